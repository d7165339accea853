#!/usr/bin/env bash
# 150-trunk-by-domain-sse: a Static-mode trunk configured by domain only
# (carrier.test, UDP) has the SRV targets DNS gives as its SP-SSEs:
# supervised by OPTIONS, shown by trunkctl, used for calls in SRV order.
# dnsmasq: SRV _sip._udp.carrier.test -> sse1.carrier.test:5090 (priority
# 10, 127.0.0.3) and sse2.carrier.test:5090 (priority 20, 127.0.0.5).
#   1. sse1 is silent (binds its port, answers nothing), sse2 is a SIPp
#      SP-SSE: trunkctl shows sse1 down (its OPTIONS unanswered) and sse2
#      up, each with its SRV target; the PBX's call goes to sse2 at once,
#      sse1 gets no INVITE.
#   2. sse1 comes back (a SIPp SP-SSE): its next OPTIONS marks it up, and
#      the next call goes to it (the better SRV priority) again.
# Every INVITE is for carrier.test (R-URI, To) without Route or maddr.
# REQ: STA-1, STA-4, STA-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup
ti_dns_resolver

port=$(ti_port 5090)
SSE1=127.0.0.3
SSE2=127.0.0.5
ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
ti_dnsmasq dns --local=/carrier.test/ \
	--srv-host=_sip._udp.carrier.test,sse1.carrier.test,"$port",10,10 \
	--srv-host=_sip._udp.carrier.test,sse2.carrier.test,"$port",20,10 \
	--host-record=sse1.carrier.test,"$SSE1" \
	--host-record=sse2.carrier.test,"$SSE2"

# 1. sse1 silent, sse2 up.
ti_start silent python3 "$TI_ROOT/peers/silent_sse.py" "$SSE1" "$port" \
	"$TI_DIR/silent.txt"
ti_wait_port udp "$SSE1" "$port" 10
tc_sse_by_dns sse2 "$SSE2"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_until 10 tc_dns_answered dns 0 ||
	ti_fail "no DNS answer for carrier.test: $(tc_dns dns state)"
grep -q 'query\[SRV\] _sip._udp.carrier.test' "$TI_DIR/dns.log" ||
	ti_fail "trunkd did not look up the SRV records of carrier.test"
ti_wait_until 10 tc_sse_states_are dns "$SSE1:$port sse1.carrier.test down" \
	"$SSE2:$port sse2.carrier.test up" ||
	ti_fail "trunkctl does not show sse1 down and sse2 up: $(tc_sse_states dns)"
grep -q ' OPTIONS sip:' "$TI_DIR/silent.txt" || ti_fail "sse1 got no OPTIONS"
# The human form names both targets too.
human=$(ti_exec "$TRUNKCTL" -s "$TI_SOCK" status) || ti_fail "trunkctl status failed"
for t in sse1.carrier.test sse2.carrier.test; do
	grep -q "$t" <<<"$human" || ti_fail "trunkctl status does not name $t"
done

tc_uac_call pbx-a
[ "$(tc_invites sse2)" = 1 ] || ti_fail "sse2 got $(tc_invites sse2) INVITEs, expected 1"
grep -q ' INVITE ' "$TI_DIR/silent.txt" &&
	ti_fail "the INVITE went to sse1, shown down: $(grep ' INVITE ' "$TI_DIR/silent.txt")"

# 2. sse1 comes back.
ti_stop silent
tc_sse_by_dns sse1 "$SSE1"
ti_wait_until 10 tc_sse_states_are dns "$SSE1:$port sse1.carrier.test up" \
	"$SSE2:$port sse2.carrier.test up" ||
	ti_fail "sse1 not shown up again: $(tc_sse_states dns)"
tc_uac_call pbx-b
[ "$(tc_invites sse1)" = 1 ] || ti_fail "sse1 got $(tc_invites sse1) INVITEs, expected 1"
[ "$(tc_invites sse2)" = 1 ] || ti_fail "sse2 got another INVITE"

for s in sse1 sse2; do
	grep -qE '^(Route:|.*maddr)' "$TI_DIR/$s.msg.txt" &&
		ti_fail "$s: a Route header or maddr reached the carrier"
	tc_checks_ok "$s" || ti_fail "$s: a failed assertion"
done
ti_pass
