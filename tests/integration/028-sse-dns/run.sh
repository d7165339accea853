#!/usr/bin/env bash
# 028-sse-dns: a trunk configured by domain only. trunkd locates the SP-SSE
# by RFC 3263 through a dnsmasq in the test's namespace: NAPTR carrier.test
# -> SIP+D2U -> SRV _sip._udp.carrier.test -> sse.carrier.test:5090 -> A
# 127.0.0.1, where the carrier (SIPp) answers the call.
# The namespace's resolver is set the way "ip netns exec" provides:
# /etc/netns/NS/resolv.conf is mounted over /etc/resolv.conf for trunkd.
# REQ: STA-1, REG-3
. "$(dirname "$0")/../lib.sh"
ti_setup
ti_dns_resolver

sse_port=$(ti_port 5090)
ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"

ti_dnsmasq dns \
	--naptr-record=carrier.test,10,10,S,SIP+D2U,,_sip._udp.carrier.test \
	--srv-host=_sip._udp.carrier.test,sse.carrier.test,"$sse_port",10,10 \
	--host-record=sse.carrier.test,127.0.0.1
ti_trunkd_start "$TI_DIR/trunkd.conf"

ti_start carrier sipp -sn uas -m 1 -t u1 -i 127.0.0.1 -p "$sse_port" \
	-nostdin -timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt"
ti_wait_port udp 127.0.0.1 "$sse_port" 10

rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p "$(ti_port 5070)" \
	-s +15550100001 -nostdin -timeout 15s -timeout_error \
	"127.0.0.1:$(ti_port 5060)" >"$TI_DIR/pbx.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's call failed (SIPp exit $rc)"
ti_wait_exit carrier 15 || ti_fail "the carrier did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "carrier SIPp exit $TI_EXIT_STATUS"
grep -q '^INVITE sip:+15550100001@carrier.test;user=phone SIP/2.0' \
	"$TI_DIR/carrier.msg.txt" || ti_fail "the carrier got no INVITE for carrier.test"
# The lookups really went NAPTR -> SRV (dnsmasq logs the queries).
grep -q 'query\[NAPTR\] carrier.test' "$TI_DIR/dns.log" ||
	ti_fail "no NAPTR query for carrier.test"
grep -q 'query\[SRV\] _sip._udp.carrier.test' "$TI_DIR/dns.log" ||
	ti_fail "no SRV query for _sip._udp.carrier.test"
ti_pass
