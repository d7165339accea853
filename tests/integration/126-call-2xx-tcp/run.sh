#!/usr/bin/env bash
# 126-call-2xx-tcp: over TCP toward the carrier nta ends trunkd's INVITE
# client transaction with the 2xx (no timer D on a reliable transport) and
# trunkd hands it back at once, so that nta frees our INVITE and the 2xx
# (~11 KB per call) instead of holding them 64*T1 = 32 s; a 2xx that comes
# later still reaches the call: a retransmission is ACKed again (RFC 3261
# 13.2.2.4; before, trunkd dropped it for 32 s over TCP), a 2xx from a fork
# not seen before (another To-tag) is ACKed and its dialog ended with a
# BYE, while the call goes on in the first one.
#   - PBX (UDP, peers/pbx-call.xml, waits for the BYE) -> trunkd -> carrier
#     (TCP, carrier-2xx-tcp.xml), default sip_t1 (500 ms: 64*T1 = 32 s);
#   - once the call is up, `trunkctl status` shows no client transaction on
#     the trunk side within 3 s (bounded wait);
#   - the carrier: 200, ACK; 1 s later the same 200, ACK again (same CSeq,
#     its To-tag); a 200 from another To-tag, ACK and BYE in that fork's
#     dialog (R-URI its Contact), 200; then BYE of the call, which reaches
#     the PBX.
# REQ: SC-6-1 (partly: 2xx retransmissions ACKed on the trunk leg)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

sed '/^\[trunk carrier\]$/,/^$/ s/^transport = udp$/transport = tcp/' \
	"$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
grep -q '^transport = tcp$' "$TI_DIR/src.conf" || ti_fail "calls.conf: no carrier transport to change"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5
ti_wait_port tcp 127.0.0.1 "$(ti_port 5080)" 5

TC_PEER_TCP=1 tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-2xx-tcp.xml" \
	-set trunkd "$(tc_trunkd trunk)"

tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-call.xml" -s +15550100001 \
	-cid_str 'pbx-call-%u-%p@%s' -set trunkd "$(tc_trunkd ent)" \
	-set contact_tp udp -set bye wait "$(tc_trunkd ent)"

status() { ti_ctl status; }
up() {
	ti_running pbx || ti_fail "the PBX's SIPp exited early (see pbx.log)"
	[ "$(ti_json "$(status)" "j['calls'] == 1")" = True ] &&
		grep -q 'first ACK' "$TI_DIR/carrier.actions.txt" 2>/dev/null
}
no_client_transaction() {
	[ "$(ti_json "$(status)" "j['sip']['trunk']['client_transactions'] == 0 and j['calls'] == 1")" = True ]
}
ti_wait_until 10 up || ti_fail "the call is not up: $(status)"
ti_wait_until 3 no_client_transaction ||
	ti_fail "nta still holds trunkd's INVITE toward the carrier 3 s after the call was up: $(status)"
ti_log "the call is up and nta holds no client transaction toward the carrier"

tc_peer_wait carrier
tc_peer_wait pbx
for l in 'ACK again: CSeq' 'fork ACKed: CSeq' 'fork ended: BYE sip:fork2@'; do
	grep -q "$l" "$TI_DIR/carrier.actions.txt" || ti_fail "the carrier logged no '$l'"
done
calls_ended() { [ "$(ti_json "$(status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call after the BYE"
ti_pass
