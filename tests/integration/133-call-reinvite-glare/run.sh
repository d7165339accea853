#!/usr/bin/env bash
# 133-call-reinvite-glare: re-INVITE glare (RFC 3261 14) across trunkd,
# SIPp on both sides. The PBX's hold re-INVITE reaches the carrier; before
# answering it the carrier sends its own re-INVITE, which trunkd must
# refuse with 491 (14.2; never relayed to the PBX); the carrier then
# refuses trunkd's re-INVITE with 491, which trunkd ACKs and relays to the
# PBX as 491; the PBX's retry reaches the carrier as a new re-INVITE and
# is answered end to end (a=recvonly, trunkd's o=); the PBX hangs up.
# Then the same on a call from the carrier with the roles swapped (the
# carrier holds, the PBX's re-INVITE crosses it).
# REQ: HOLD-1, XFR-2, SC-6-1 (partly: re-INVITE glare, RFC 3261 14)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-glare.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx-glare.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier
no_calls() { [ "$(ti_json "$(ti_ctl calls)" "len(j['calls'])")" = 0 ]; }
ti_wait_until 5 no_calls || ti_fail "outbound: calls left after 5 s: $(ti_ctl calls)"

# inbound: the same with the roles swapped on a call from the carrier.
tc_peer pbx-in "$TC_PBX" 5070 "$TI_TEST_DIR/pbx-glare-in.xml" \
	-set trunkd "$(tc_trunkd ent)"
rc=0
tc_carrier carrier-in "$TI_TEST_DIR/carrier-glare-in.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "inbound: carrier scenario failed (SIPp exit $rc)"
tc_peer_wait pbx-in
ti_wait_until 5 no_calls || ti_fail "inbound: calls left after 5 s: $(ti_ctl calls)"
ti_pass
