#!/usr/bin/env bash
# 043-tls-required-dns: "TLS required" with DNS offering UDP first. The
# trunk has a domain only (carrier.test), transport = tls and
# tls_required = yes. dnsmasq in the test's namespace publishes NAPTR
# SIP+D2U (order 10, preferred) -> _sip._udp -> 127.0.0.3:5092 and
# SIPS+D2T (order 20) -> _sips._tcp -> sse.carrier.test:5091 -> 127.0.0.3,
# where the carrier's TLS front end (stunnel, carrier.test certificate)
# sits in front of SIPp. The call from the PBX reaches the carrier over
# TLS, the SRV lookup is the TLS one, and the UDP target gets nothing.
# trunkctl shows that SRV target as the trunk's SP-SSE, up.
# A second TLS trunk found by DNS (other.test, another CA) does not take
# over the policy of that connection: trunkd picks the trunk by the name
# it connects to (carrier.test).
# REQ: TLS-8, STA-1, TLS-5, TLS-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/tls.sh"
ti_setup
ti_dns_resolver
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"

ti_dnsmasq dns \
	--naptr-record=carrier.test,10,10,S,SIP+D2U,,_sip._udp.carrier.test \
	--naptr-record=carrier.test,20,10,S,SIPS+D2T,,_sips._tcp.carrier.test \
	--srv-host=_sip._udp.carrier.test,sse.carrier.test,5092,10,10 \
	--srv-host=_sips._tcp.carrier.test,sse.carrier.test,5091,10,10 \
	--host-record=sse.carrier.test,127.0.0.3
# The UDP target DNS offers: whatever arrives there is a failure.
ti_start decoy python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.3", 5092))
data, peer = s.recvfrom(65535)
sys.stdout.write("GOT %d bytes from %s\n" % (len(data), peer))
sys.stdout.flush()
'
ti_wait_port udp 127.0.0.3 5092 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

tls_carrier_call
grep -q 'query\[SRV\] _sips._tcp.carrier.test' "$TI_DIR/dns.log" ||
	ti_fail "no SRV query for _sips._tcp.carrier.test"
grep -q '_sip._udp' "$TI_DIR/dns.log" &&
	ti_fail "trunkd looked up the UDP service although TLS is required"
ti_running decoy || ti_fail "something reached the UDP target: $(cat "$TI_DIR/decoy.log")"
# The call went to the trunk's SP-SSE found by DNS (peer_dns.c), reached at
# its address with the domain as the name to verify: carrier.pem names
# carrier.test only, not the SRV target sse.carrier.test (RFC 5922).
tc_sse_states_are carrier "127.0.0.3:5091 sse.carrier.test up" ||
	ti_fail "trunkctl does not show the SRV target up: $(tc_sse_states carrier)"
grep -q '\[trunk carrier\] TLS to 127\.0\.0\.3:5091 up:.*verified as carrier\.test' "$TI_DIR/trunkd.log" ||
	ti_fail "the connection to carrier.test's SP-SSE did not get the carrier trunk's policy"
ti_pass
