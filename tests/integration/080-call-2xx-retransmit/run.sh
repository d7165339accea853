#!/usr/bin/env bash
# 080-call-2xx-retransmit: trunkd hands its INVITE to the carrier back to
# nta 64*T1 after the call is up (memory per established call); a 2xx the
# carrier retransmits (our ACK "got lost") must be ACKed again, in the
# dialog, for the INVITE's CSeq (RFC 3261 13.2.2.4), before that and
# after. With sip_t1 = 50ms (64*T1 = 3.2 s) the carrier
# (carrier-2xx-again.xml) sends its 200 again 0.5 s and 4 s after the
# first ACK and asserts an ACK each time; then it hangs up and the PBX
# gets trunkd's BYE.
# REQ: SC-6-1 (partly: 2xx retransmissions ACKed on the trunk leg)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

sed 's/^\[global\]$/[global]\nsip_t1 = 50ms/' "$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
grep -q '^sip_t1 = 50ms$' "$TI_DIR/src.conf" || ti_fail "calls.conf has no [global] to add sip_t1 to"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5
ti_wait_port udp 127.0.0.1 "$(ti_port 5080)" 5
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-2xx-again.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx "$TI_ROOT/peers/pbx-call.xml" u1 -s +15550100001 \
	-set contact_tp udp -set bye wait || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's call failed (SIPp exit $rc)"
tc_peer_wait carrier
# (The scenario fails without those ACKs; its log lines say which they
# were. Bounded wait: the log file is SIPp's to flush.)
logged() { grep -q "$1" "$TI_DIR/carrier.actions.txt"; }
ti_wait_until 3 logged 'ACK again: CSeq' ||
	ti_fail "the carrier logged no second ACK"
ti_wait_until 3 logged 'ACK once more: CSeq' ||
	ti_fail "the carrier logged no third ACK"
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call after the BYE"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
