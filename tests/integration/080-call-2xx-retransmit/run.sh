#!/usr/bin/env bash
# 080-call-2xx-retransmit: trunkd hands its INVITE to the carrier back to
# nta once the call is up (memory per established call); a 2xx the
# carrier retransmits after that (our ACK "got lost") must still be ACKed
# again, in the dialog, for the INVITE's CSeq (RFC 3261 13.2.2.4). The
# carrier (carrier-2xx-again.xml) sends its 200 a second time after the
# first ACK and asserts the second ACK; then it hangs up and the PBX gets
# trunkd's BYE.
# REQ: SC-6-1 (partly: 2xx retransmissions ACKed on the trunk leg)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-2xx-again.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx "$TI_ROOT/peers/pbx-call.xml" u1 -s +15550100001 \
	-set contact_tp udp -set bye wait || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's call failed (SIPp exit $rc)"
tc_peer_wait carrier
grep -q 'ACK again: CSeq' "$TI_DIR/carrier.actions.txt" ||
	ti_fail "the carrier logged no second ACK"
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call after the BYE"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
