#!/usr/bin/env bash
# 091-call-update: UPDATE with SDP (RFC 3311) relayed through trunkd,
# both peers allowing UPDATE.
#  1. Confirmed dialog: the PBX's UPDATE offer reaches the carrier and the
#     carrier's UPDATE offer the PBX, and each 200's answer the asker,
#     every SDP rewritten by trunkd: its relay address and the port of its
#     first SDP on that leg, no address or SDP line of the other peer, the
#     offered codecs and direction kept. The PBX hangs up.
#  2. Early dialog: the carrier answers with an 183 with SDP; the PBX's
#     UPDATE offer in that early dialog and its 200 are relayed and
#     rewritten the same way; then the 200, ACK and BYE.
# run.sh checks that the SDPs each peer received from trunkd are one o=
# session whose version rises with each change (SDP-3).
# REQ: SDP-3, SDP-4 (partly: UPDATE with SDP in confirmed and early dialogs; not whether both sides advertise UPDATE)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# o_versions PEER RELATIONS: the o= lines of the SDPs PEER received from
# trunkd are one session, and their versions follow RELATIONS, one
# character (< rises, = same) between each two in order.
o_versions()
{
	python3 - "$TI_DIR/$1.msg.txt" "$2" <<'PY' ||
import re, sys
text, want = open(sys.argv[1], encoding="latin-1").read(), sys.argv[2]
o = [re.search(r"o=trunkd (\d+) (\d+) ", b).groups()
     for b in text.split("-" * 47 + " ")
     if "message received" in b and "o=trunkd" in b]
print("o= trunkd sent:", o, file=sys.stderr)
v = [int(x[1]) for x in o]
ok = len(o) == len(want) + 1 and len({x[0] for x in o}) == 1 and all(
    (a < b) if r == "<" else (a == b) for a, b, r in zip(v, v[1:], want))
sys.exit(not ok)
PY
		ti_fail "$1: trunkd's o= lines are not one session with versions $2"
}

tc_trunkd_start

# 1. Confirmed dialog.
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier
# The INVITE (200), then one SDP per UPDATE: each a change.
o_versions pbx '<<'
o_versions carrier '<<'

# 2. Early dialog.
tc_peer carrier-early "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-early.xml"
tc_pbx pbx-early "$TI_TEST_DIR/pbx-early.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario in the early dialog failed (SIPp exit $rc)"
tc_peer_wait carrier-early
# The PBX: 183, the UPDATE's 200 (a change), the INVITE's 200 (the same
# session again); the carrier: the INVITE, the UPDATE.
o_versions pbx-early '<='
o_versions carrier-early '<'
ti_pass
