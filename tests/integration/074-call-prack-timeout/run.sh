#!/usr/bin/env bash
# 074-call-prack-timeout: a reliable provisional response nobody PRACKs
# (RFC 3262 3). The PBX calls with Supported: 100rel; the carrier answers
# with a reliable 183; trunkd relays it reliably (its own RSeq) and
# retransmits it; the PBX never PRACKs. With sip_t1 = 50ms, 64*T1 = 3.2 s
# after the first 183 trunkd ends the PBX's INVITE with 503 and CANCELs
# the carrier's (200, 487, ACK); the carrier never got a PRACK. Then a
# re-INVITE from the PBX (Require: 100rel) that the carrier answers with a
# reliable 183: trunkd PRACKs it (RAck in the carrier's dialog) and relays
# it to the PBX reliably with its own RSeq; the PBX PRACKs it, the 200
# reaches the PBX. No call is left.
# REQ: SC-6-1 (partly: reliable provisional responses, PRACK timeout, 100rel on re-INVITEs)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

TC_GLOBAL='sip_t1 = 50ms' tc_trunkd_start

tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier

first=$(tc_msg_time pbx received '^SIP/2\.0 183' 2>"$TI_DIR/n183")
final=$(tc_msg_time pbx received '^SIP/2\.0 503' 2>/dev/null)
[ "$(cat "$TI_DIR/n183")" -ge 3 ] ||
	ti_fail "trunkd did not retransmit its reliable 183 ($(cat "$TI_DIR/n183") sent)"
d=$(tc_between "$first" "$final" 2.9 5) ||
	ti_fail "the 503 came $d s after the first 183, not 64*T1 = 3.2 s"
ti_log "503 $d s after the first reliable 183 ($(cat "$TI_DIR/n183") copies)"
# A reliable 183 to a re-INVITE (the PBX's, which requires 100rel): trunkd
# PRACKs it itself, so the carrier's 200 follows; the PBX gets the 183
# reliably (trunkd's RSeq), then the 200.
tc_peer carrier-re "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-reinvite.xml"
rc=0
tc_pbx pbx-re "$TI_TEST_DIR/pbx-reinvite.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "re-INVITE: PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier-re

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
