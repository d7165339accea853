#!/usr/bin/env bash
# 078-trunk-by-hostname: inbound calls from a trunk whose SP-SSE is
# configured by host name (proxy = sse.carrier.test:5090). trunkd resolves
# the name (A record, through a dnsmasq in the test's namespace, as 028) at
# start and on every reload, and accepts INVITEs from those addresses only.
#   1. sse.carrier.test is 127.0.0.3: the carrier's INVITE from 127.0.0.3
#      reaches the PBX and is answered; one from 127.0.0.4 gets 403 and
#      reaches nobody.
#   2. the carrier renumbers: dnsmasq now says 127.0.0.4; after `trunkctl
#      reload` an INVITE from 127.0.0.4 is a call and one from 127.0.0.3
#      gets 403.
# dnsmasq's log shows trunkd's A queries for the name (start and reload).
# REQ: STA-1 (partly: SP-SSE by host name, inbound accepted from its addresses)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup
ti_dns_resolver

ti_dnsmasq dns1 --host-record=sse.carrier.test,127.0.0.3
sed 's/^proxy = 127\.0\.0\.3:5090$/proxy = sse.carrier.test:5090/' \
	"$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
grep -q '^proxy = sse.carrier.test:5090$' "$TI_DIR/src.conf" ||
	ti_fail "calls.conf has no proxy line to rewrite"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port "$p")" 5
done
grep -q 'query\[A\] sse.carrier.test' "$TI_DIR/dns1.log" ||
	ti_fail "trunkd did not look up sse.carrier.test at start"

tc_inbound_call at-start "$TC_CARRIER"
tc_inbound_refused stranger-at-start "$TC_STRANGER"

# The carrier renumbers; the next reload learns it.
ti_stop dns1
ti_dnsmasq dns2 --host-record=sse.carrier.test,127.0.0.4
out=$(ti_ctl reload) || ti_fail "reload failed: $out"
grep -q 'query\[A\] sse.carrier.test' "$TI_DIR/dns2.log" ||
	ti_fail "trunkd did not look up sse.carrier.test on reload"
tc_inbound_call after-reload "$TC_STRANGER"
tc_inbound_refused old-address "$TC_CARRIER"
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
