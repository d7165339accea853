#!/usr/bin/env bash
# 181-trunk-by-domain-tls-options: OPTIONS keep-alives over TLS to the SRV
# targets of a trunk known by its domain only (carrier.test, transport =
# tls), each certificate checked against the domain, never the SRV target
# (RFC 5922 4.1). dnsmasq: SRV _sips._tcp.carrier.test ->
#   sse2.carrier.test:5091 (priority 10, 127.0.0.5): stunnel presenting a
#     certificate of the test CA for sse2.carrier.test only (right for the
#     target, wrong for the domain), in front of a SIPp SP-SSE;
#   sse1.carrier.test:5091 (priority 20, 127.0.0.3): stunnel presenting
#     carrier.pem (carrier.test), in front of a SIPp SP-SSE.
# Asserted: trunkctl shows sse2 down and sse1 up (TLS verified as
# carrier.test), sse1's SIPp gets repeated OPTIONS over TLS (Via TLS) on
# one held connection, sse2's stunnel saw trunkd connect but its SIPp gets
# nothing; the PBX's call goes to sse1.
# REQ: STA-1, STA-4, STA-5, TLS-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/tls.sh"
ti_setup
ti_dns_resolver
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"

# A certificate of the trusted CA naming the SRV target only.
cat >"$TI_DIR/target.ext" <<'EXT'
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = URI:sip:sse2.carrier.test, DNS:sse2.carrier.test
EXT
openssl req -new -key "$TLS_PKI/leaf.key" -subj /CN=sse2.carrier.test \
	-out "$TI_DIR/target.csr" 2>"$TI_DIR/target.err" &&
	openssl x509 -req -in "$TI_DIR/target.csr" -CA "$TLS_PKI/ca.pem" \
		-CAkey "$TLS_PKI/ca.key" -set_serial 0x181 -days 30 -sha256 \
		-extfile "$TI_DIR/target.ext" -out "$TLS_PKI/target.pem" \
		2>>"$TI_DIR/target.err" ||
	ti_fail "cannot make the SRV target's certificate: $(cat "$TI_DIR/target.err")"

SSE1=127.0.0.3
SSE2=127.0.0.5
ti_dnsmasq dns --local=/carrier.test/ \
	--srv-host=_sips._tcp.carrier.test,sse2.carrier.test,5091,10,10 \
	--srv-host=_sips._tcp.carrier.test,sse1.carrier.test,5091,20,10 \
	--host-record=sse1.carrier.test,"$SSE1" \
	--host-record=sse2.carrier.test,"$SSE2"

# sse_tls NAME IP CERT: a SIPp SP-SSE over TCP on IP:5090 behind stunnel
# NAME-tls (TLS on IP:5091 with CERT).
sse_tls()
{
	ti_start "$1" sipp -sf "$TI_ROOT/peers/sse-by-dns.xml" -t t1 -i "$2" \
		-p 5090 -nostdin \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log" \
		-trace_logs -log_file "$TI_DIR/$1.actions.txt"
	ti_wait_port tcp "$2" 5090 10
	tls_stunnel_server "$1-tls" "$2:5091" "$2:5090" "$3"
}
sse_tls sse1 "$SSE1" "$TLS_PKI/carrier.pem"
sse_tls sse2 "$SSE2" "$TLS_PKI/target.pem"
ti_trunkd_start "$TI_DIR/trunkd.conf"

ti_wait_until 15 tc_sse_states_are carrier \
	"$SSE2:5091 sse2.carrier.test down" "$SSE1:5091 sse1.carrier.test up" ||
	ti_fail "trunkctl does not show sse2 down and sse1 up: $(tc_sse_states carrier)"
grep -q 'query\[SRV\] _sips._tcp.carrier.test' "$TI_DIR/dns.log" ||
	ti_fail "no SRV query for _sips._tcp.carrier.test"
# sse1's held connection proved carrier.test.
tls_of() { ti_json "$(ti_ctl status)" "[x for x in [t for t in j['trunks'] if t['name'] == 'carrier'][0]['sse'] if x['target'] == '$1'][0]['tls']$2"; }
[ "$(tls_of sse1.carrier.test "['verified']")" = True ] ||
	ti_fail "sse1's connection not verified: $(tls_of sse1.carrier.test '')"
[ "$(tls_of sse1.carrier.test "['identity']")" = carrier.test ] ||
	ti_fail "sse1 did not prove carrier.test: $(tls_of sse1.carrier.test '')"
[ "$(tls_of sse2.carrier.test "['verified']")" = False ] ||
	ti_fail "sse2's certificate (the SRV target's name only) was accepted"

# Keep-alives: every 5 s, over TLS, on the one held connection.
options() { grep -c '^OPTIONS sip:' "$TI_DIR/$1.msg.txt" 2>/dev/null || true; }
ti_wait_until 20 eval '[ "$(options sse1)" -ge 2 ]' ||
	ti_fail "sse1 got $(options sse1) OPTIONS, expected 2 (every 5 s)"
grep -q '^Via: SIP/2.0/TLS ' "$TI_DIR/sse1.msg.txt" ||
	ti_fail "the OPTIONS did not come over TLS"
[ "$(tls_connections sse1-tls)" = 1 ] ||
	ti_fail "sse1's stunnel accepted $(tls_connections sse1-tls) connections, expected 1 (held)"
[ "$(tls_connections sse2-tls)" -ge 1 ] ||
	ti_fail "trunkd never connected to sse2"
[ "$(options sse2)" = 0 ] ||
	ti_fail "an OPTIONS reached sse2 through a certificate not naming carrier.test"

tc_uac_call pbx
[ "$(tc_invites sse1)" = 1 ] || ti_fail "sse1 got $(tc_invites sse1) INVITEs, expected 1"
[ "$(tc_invites sse2)" = 0 ] || ti_fail "sse2 got an INVITE"
tc_checks_ok sse1 || ti_fail "sse1: a failed assertion"
ti_pass
