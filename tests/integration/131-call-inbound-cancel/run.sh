#!/usr/bin/env bash
# 131-call-inbound-cancel: CANCEL in both directions on the wire.
#   inbound   the carrier calls the PBX and CANCELs while the PBX rings
#             (the 180 must come): the PBX gets trunkd's CANCEL of trunkd's
#             INVITE and answers 200 + 487; the carrier gets 200 for its
#             CANCEL, 487 for its INVITE and ACKs it; no call is left in
#             trunkctl calls.
#   crossed   the PBX calls out and CANCELs; the carrier answers trunkd's
#             CANCEL 200 and then the INVITE 200 (the 2xx crosses the
#             CANCEL): the carrier gets an ACK and then trunkd's BYE, the
#             PBX only 200 (CANCEL) and 487 (INVITE), never a 200 for the
#             INVITE; no call is left.
#   inbound-crossed  the same the other way: the carrier CANCELs, the PBX
#             answers trunkd's CANCEL 200 and then the INVITE 200: the PBX
#             gets ACK and BYE, the carrier only 200 (CANCEL) and 487.
# REQ: ID-2, SC-6-1 (partly: CANCEL, RFC 3261 9, and a 2xx crossing it)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

no_calls() { [ "$(ti_json "$(ti_ctl calls)" "len(j['calls'])")" = 0 ]; }
# only_487 PEER WHAT: of the responses PEER received to its INVITE (CSeq
# 1), one is a 487 and none is a 2xx.
only_487()
{
	python3 - "$TI_DIR/$1.msg.txt" <<'PY' || ti_fail "$2 got a 2xx for its INVITE, or no 487"
import re, sys
blocks = open(sys.argv[1], encoding="latin-1").read().split("-" * 47 + " ")
got = [next(l for l in b.split("\n")[2:] if l.strip()).strip() for b in blocks
       if "message received" in b and re.search(r"^CSeq: *1 INVITE", b, re.M)]
print("responses to the INVITE:", got, file=sys.stderr)
sys.exit(not (any(s.startswith("SIP/2.0 487") for s in got)
              and not any(s.startswith("SIP/2.0 2") for s in got)))
PY
}

calls_gone() # WHAT
{
	ti_wait_until 5 no_calls ||
		ti_fail "$1: calls left after 5 s: $(ti_ctl calls)"
}

# inbound: the carrier cancels.
tc_peer pbx-in "$TC_PBX" 5070 "$TI_TEST_DIR/pbx-cancelled.xml"
rc=0
tc_carrier carrier-in "$TI_TEST_DIR/carrier-cancel.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "inbound: carrier scenario failed (SIPp exit $rc)"
tc_peer_wait pbx-in
calls_gone inbound

# crossed: the PBX cancels, the carrier's 200 crosses trunkd's CANCEL.
tc_peer carrier-x "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-crossed.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx-x "$TI_TEST_DIR/pbx-cancel.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "crossed: PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier-x
only_487 pbx-x "crossed: the PBX"
calls_gone crossed

# inbound-crossed: the carrier cancels, the PBX's 200 crosses trunkd's
# CANCEL: the PBX gets ACK and BYE, the carrier only 487.
tc_peer pbx-ix "$TC_PBX" 5070 "$TI_TEST_DIR/pbx-crossed.xml" \
	-set trunkd "$(tc_trunkd ent)"
rc=0
tc_carrier carrier-ix "$TI_TEST_DIR/carrier-cancel.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "inbound-crossed: carrier scenario failed (SIPp exit $rc)"
tc_peer_wait pbx-ix
only_487 carrier-ix "inbound-crossed: the carrier"
calls_gone inbound-crossed
ti_pass
