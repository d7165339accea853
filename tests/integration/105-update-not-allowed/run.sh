#!/usr/bin/env bash
# 105-update-not-allowed: UPDATE toward a peer that did not list UPDATE in
# its Allow (SDP-4: UPDATE only when both sides advertise it; RFC 3311 4).
#  1. Confirmed dialog, neither side allowing UPDATE: the PBX's UPDATE
#     offer reaches the carrier as a re-INVITE (trunkd's SDP), whose 2xx
#     answers the UPDATE and gets an ACK without a body; the carrier's
#     UPDATE reaches the PBX the same way. The PBX hangs up.
#  2. Early dialog, the carrier's 183 allowing no UPDATE: the PBX's UPDATE
#     with an offer gets 500 with Retry-After, one without a body 200,
#     and neither reaches the carrier; then the PBX CANCELs.
# 091 is the other half: both sides allow UPDATE, and it is relayed as
# UPDATE. run.sh checks that the SDPs each peer received from trunkd are
# one o= session whose version rises with each change (SDP-3).
# REQ: SDP-3, SDP-4, SC-6-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# o_versions PEER RELATIONS: as in 091.
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
o_versions pbx '<<'
o_versions carrier '<<'

# 2. Early dialog.
tc_peer carrier-early "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-early.xml"
tc_pbx pbx-early "$TI_TEST_DIR/pbx-early.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario in the early dialog failed (SIPp exit $rc)"
tc_peer_wait carrier-early

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
