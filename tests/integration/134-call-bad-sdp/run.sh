#!/usr/bin/env bash
# 134-call-bad-sdp: SDP that cannot be parsed in an answer never leaves a
# call up without media (issue 3). The callee's 183 and 200 carry
# "v=0 / this is not sdp": the caller gets the 183 without a body and then
# 502 Bad Gateway (never a 200), the callee gets trunkd's ACK and then its
# BYE, and no call is left; the PBX calling out (carrier answers) and the
# carrier calling in (PBX answers). Then a late offer whose answer, in the
# PBX's ACK, cannot be parsed: the carrier's ACK comes without a body,
# and both legs get a BYE. Then a re-INVITE (the PBX's, then the
# carrier's) whose 200 cannot be parsed: the asker gets 488 and keeps its
# session, the answerer gets the ACK and trunkd's re-INVITE with the
# session it had.
# REQ: SDP-1 SC-6-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }

# Outbound: the PBX calls, the carrier answers with garbage.
tc_peer carrier-out "$TC_CARRIER" 5090 "$TI_TEST_DIR/answerer.xml" -set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx-out "$TI_TEST_DIR/caller.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "outbound: the PBX did not get 183 without SDP, then 502 (SIPp exit $rc)"
tc_peer_wait carrier-out
ti_wait_until 5 calls_ended || ti_fail "outbound: trunkd still has the call"

# Inbound: the carrier calls, the PBX answers with garbage.
tc_peer pbx-in "$TC_PBX" 5070 "$TI_TEST_DIR/answerer.xml" -set trunkd "$(tc_trunkd ent)"
rc=0
tc_carrier carrier-in "$TI_TEST_DIR/caller.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "inbound: the carrier did not get 183 without SDP, then 502 (SIPp exit $rc)"
tc_peer_wait pbx-in
ti_wait_until 5 calls_ended || ti_fail "inbound: trunkd still has the call"

# Late offer: the answer in the PBX's ACK cannot be parsed.
tc_peer carrier-late "$TC_CARRIER" 5090 "$TI_TEST_DIR/late-callee.xml" -set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx-late "$TI_TEST_DIR/late-caller.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "late offer: the PBX got no BYE after its unusable answer (SIPp exit $rc)"
tc_peer_wait carrier-late
ti_wait_until 5 calls_ended || ti_fail "late offer: trunkd still has the call"

# A re-INVITE of the PBX's whose 200 from the carrier cannot be parsed.
tc_peer carrier-reinv "$TC_CARRIER" 5090 "$TI_TEST_DIR/reinv-callee.xml" -set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx-reinv "$TI_TEST_DIR/reinv-caller.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "re-INVITE: the PBX got no 488, or no BYE (SIPp exit $rc)"
tc_peer_wait carrier-reinv
ti_wait_until 5 calls_ended || ti_fail "re-INVITE: trunkd still has the call"

# The other direction: the carrier's re-INVITE, the PBX's unusable 200.
tc_peer pbx-reinv-in "$TC_PBX" 5070 "$TI_TEST_DIR/reinv-callee.xml" -set trunkd "$(tc_trunkd ent)"
rc=0
tc_carrier carrier-reinv-in "$TI_TEST_DIR/reinv-caller.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "carrier's re-INVITE: the carrier got no 488, or no BYE (SIPp exit $rc)"
tc_peer_wait pbx-reinv-in
ti_wait_until 5 calls_ended || ti_fail "carrier's re-INVITE: trunkd still has the call"

ti_running trunkd || ti_fail "trunkd died"
ti_pass
