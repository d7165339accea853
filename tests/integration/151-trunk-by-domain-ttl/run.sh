#!/usr/bin/env bash
# 151-trunk-by-domain-ttl: the SP-SSEs of a trunk by domain follow DNS when
# the answer's TTL runs out, without a reload (dns_min_ttl = 1s; dnsmasq's
# records have TTL 0).
#   1. dnsmasq: SRV _sip._udp.carrier.test -> sse1.carrier.test
#      (127.0.0.3). trunkctl shows sse1 up, its lookups count up.
#   2. DNS goes away: the lookups get no answer (trunkctl's "failed" counts
#      up) and sse1 is kept: a call reaches it.
#   3. DNS is back with the carrier renumbered: sse2.carrier.test
#      (127.0.0.5, priority 10) before sse1 (priority 20). Without a
#      reload trunkctl shows sse2 then sse1 (sse1 still up), and the next
#      call goes to sse2.
# REQ: STA-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup
ti_dns_resolver

port=$(ti_port 5090)
SSE1=127.0.0.3
SSE2=127.0.0.5
ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"

# dns FIELD: trunkctl's "dns" FIELD of the trunk.
dns()
{
	local s
	s=$(ti_ctl status) || return 1
	ti_json "$s" "[t for t in j['trunks'] if t['name'] == 'dns'][0]['dns']['$1']"
}
dns_over() { [ "$(dns "$1")" -gt "$2" ]; }

# 1.
ti_dnsmasq dns1 --local=/carrier.test/ \
	--srv-host=_sip._udp.carrier.test,sse1.carrier.test,"$port",10,10 \
	--host-record=sse1.carrier.test,"$SSE1"
tc_sse_by_dns sse1 "$SSE1"
tc_sse_by_dns sse2 "$SSE2"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_until 10 tc_sse_states_are dns "$SSE1:$port sse1.carrier.test up" ||
	ti_fail "trunkctl does not show sse1 up: $(tc_sse_states dns)"
n=$(dns lookups)
ti_wait_until 5 dns_over lookups "$n" ||
	ti_fail "no new lookup of carrier.test within 5 s (dns_min_ttl 1 s)"
[ "$(grep -c 'query\[SRV\] _sip._udp.carrier.test' "$TI_DIR/dns1.log")" -ge 2 ] ||
	ti_fail "dnsmasq saw fewer than two SRV queries"

# 2.
ti_stop dns1
n=$(dns failed)
ti_wait_until 10 dns_over failed "$n" ||
	ti_fail "no failed lookup counted with DNS down (trunkctl dns.failed)"
tc_sse_states_are dns "$SSE1:$port sse1.carrier.test up" ||
	ti_fail "the SP-SSE was not kept while DNS is down: $(tc_sse_states dns)"
tc_uac_call pbx-a
[ "$(tc_invites sse1)" = 1 ] || ti_fail "sse1 got $(tc_invites sse1) INVITEs, expected 1"

# 3.
ti_dnsmasq dns2 --local=/carrier.test/ \
	--srv-host=_sip._udp.carrier.test,sse2.carrier.test,"$port",10,10 \
	--srv-host=_sip._udp.carrier.test,sse1.carrier.test,"$port",20,10 \
	--host-record=sse1.carrier.test,"$SSE1" \
	--host-record=sse2.carrier.test,"$SSE2"
ti_wait_until 10 tc_sse_states_are dns "$SSE2:$port sse2.carrier.test up" \
	"$SSE1:$port sse1.carrier.test up" ||
	ti_fail "trunkctl does not show sse2 then sse1, both up: $(tc_sse_states dns)"
tc_uac_call pbx-b
[ "$(tc_invites sse2)" = 1 ] || ti_fail "sse2 got $(tc_invites sse2) INVITEs, expected 1"
[ "$(tc_invites sse1)" = 1 ] || ti_fail "sse1 got another INVITE"
for s in sse1 sse2; do
	tc_checks_ok "$s" || ti_fail "$s: a failed assertion"
done
ti_pass
