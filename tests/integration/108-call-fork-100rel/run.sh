#!/usr/bin/env bash
# 108-call-fork-100rel: reliable provisional responses from two forks of
# one INVITE (RFC 3262 3 with RFC 3261 12.1.2: each fork's early dialog has
# its own RSeq space). The carrier forks: a reliable 183 with SDP from
# fork 1 (RSeq 1), then a reliable 180 from fork 2 (RSeq 1 as well), then
# fork 1's 200.
#   - The PBX (Supported: 100rel) gets both in one early dialog, each
#     reliably with trunkd's RSeq (rising), and PRACKs each;
#   - trunkd PRACKs each fork in its own dialog (its Contact, its To-tag,
#     RAck 1 <CSeq> INVITE); before, nta dropped fork 2's 180 unseen and it
#     was never PRACKed (the carrier's scenario waits for that PRACK);
#   - fork 1's 200 is ACKed in its dialog, the PBX gets the 200 and hangs
#     up; the BYE reaches fork 1. No call is left.
# REQ: SC-6-1 (partly: reliable 18x from forked early dialogs)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
