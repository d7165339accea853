#!/usr/bin/env bash
# 182-trunk-by-domain-aaaa: the SRV target of a trunk by domain reached over
# IPv6 (address_family = ipv6, trunk side on [::1] only). dnsmasq: SRV
# _sip._udp.carrier.test -> sse1.carrier.test:5090, which has an A record
# (127.0.0.3, where a silent decoy listens) and an AAAA record (::1, a SIPp
# SP-SSE). Asserted: trunkd asks for the AAAA record, trunkctl shows
# [::1]:5090 (sse1.carrier.test) up after its OPTIONS over IPv6, the PBX's
# call (IPv4) reaches the SP-SSE over IPv6 with trunkd's IPv6 Via, and
# nothing reaches the IPv4 address.
# REQ: STA-1, STA-4, SC-15-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup
ti_dns_resolver
ti_config "$TI_TEST_DIR/trunkd.conf" "$TI_DIR/trunkd.conf"

port=$(ti_port 5090)
ti_dnsmasq dns --local=/carrier.test/ \
	--srv-host=_sip._udp.carrier.test,sse1.carrier.test,"$port",10,10 \
	--host-record=sse1.carrier.test,127.0.0.3,::1
ti_start decoy python3 "$TI_ROOT/peers/silent_sse.py" 127.0.0.3 "$port" \
	"$TI_DIR/decoy.txt"
ti_wait_port udp 127.0.0.3 "$port" 10
ti_start sse1 sipp -sf "$TI_ROOT/peers/sse-by-dns.xml" -t u1 -i ::1 -p "$port" \
	-nostdin -trace_msg -message_file "$TI_DIR/sse1.msg.txt" \
	-trace_err -error_file "$TI_DIR/sse1.err.log" \
	-trace_logs -log_file "$TI_DIR/sse1.actions.txt"
ti_wait_until 10 ti_exec sh -c "ss -lunH | grep -q '\[::1\]:$port'" ||
	ti_fail "the SP-SSE does not listen on [::1]:$port"
ti_trunkd_start "$TI_DIR/trunkd.conf"

ti_wait_until 10 tc_sse_states_are dns "[::1]:$port sse1.carrier.test up" ||
	ti_fail "trunkctl does not show [::1]:$port up: $(tc_sse_states dns)"
grep -q 'query\[AAAA\] sse1.carrier.test' "$TI_DIR/dns.log" ||
	ti_fail "trunkd did not ask for sse1.carrier.test's AAAA record"
grep -q '^OPTIONS sip:\[::1\]:'"$port" "$TI_DIR/sse1.msg.txt" ||
	ti_fail "sse1 got no OPTIONS for [::1]"

tc_uac_call pbx
[ "$(tc_invites sse1)" = 1 ] || ti_fail "sse1 got $(tc_invites sse1) INVITEs, expected 1"
grep -q '^Via: SIP/2.0/UDP \[::1\]:5080' "$TI_DIR/sse1.msg.txt" ||
	ti_fail "the INVITE did not come from trunkd's IPv6 address"
[ ! -s "$TI_DIR/decoy.txt" ] ||
	ti_fail "something reached the A record's address: $(cat "$TI_DIR/decoy.txt")"
tc_checks_ok sse1 || ti_fail "sse1: a failed assertion"
ti_pass
