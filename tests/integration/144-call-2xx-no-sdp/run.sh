#!/usr/bin/env bash
# 144-call-2xx-no-sdp: a 2xx without the SDP that was due never leaves a
# call up without media (RFC 3261 13.2.1, 13.2.2.4; RFC 3262; RFC 6337),
# the PBX calling out and the carrier calling in each time:
#   offer     the caller offers, the callee rings and answers 200 without
#             SDP (no answer ever): the callee gets trunkd's ACK without a
#             body and then its BYE; the caller gets the 180 and then
#             502 Bad Gateway (as for an unparsable answer, test 134);
#   late      the same with an offerless INVITE: the 200 brings no offer
#             either: ACK and BYE to the callee, 502 to the caller;
#   norel     the caller offers without 100rel, the callee answers in a
#             reliable 183 (trunkd PRACKs it) and its 200 has no SDP, as
#             RFC 3262 allows: the caller, whose 183 was unreliable, gets
#             the answer in trunkd's 200 (the 183's SDP again, same o=
#             version), and the call completes;
#   ack       (outbound) a late offer whose 200 from the carrier offers,
#             and the PBX's ACK brings no answer: the carrier's ACK comes
#             without a body, then BYE to both (134's late-caller.xml
#             without its ACK body).
# No call is left after each.
# REQ: SDP-1, SC-6-1 (partly: RFC 3264 offer/answer failures on both legs)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

tc_both_ways offer caller-offer.xml callee-nosdp.xml
tc_both_ways late caller-late.xml callee-nosdp.xml
tc_both_ways norel caller-norel.xml callee-rel.xml
# The 183 and the 200 the caller got: one o= session, one version.
tc_o_versions pbx-norel-out '='
tc_o_versions carrier-norel-in '='

# ack: the PBX's ACK does not answer the carrier's offer in trunkd's 200.
sed '/Content-Type: application\/sdp/d; /^ *v=0$/d; /this is not sdp/d;
	s/Content-Length: \[len\]/Content-Length: 0/' \
	"$TI_ROOT/134-call-bad-sdp/late-caller.xml" >"$TI_DIR/late-caller-noanswer.xml"
! grep -q 'not sdp\|\[len\]' "$TI_DIR/late-caller-noanswer.xml" ||
	ti_fail "late-caller-noanswer.xml still has a body"
tc_peer carrier-ack "$TC_CARRIER" 5090 "$TI_ROOT/134-call-bad-sdp/late-callee.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx-ack "$TI_DIR/late-caller-noanswer.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "ack: the PBX got no BYE after its ACK without an answer (SIPp exit $rc)"
tc_peer_wait carrier-ack
ti_wait_until 5 tc_no_calls || ti_fail "ack: trunkd still has the call"

ti_running trunkd || ti_fail "trunkd died"
ti_pass
