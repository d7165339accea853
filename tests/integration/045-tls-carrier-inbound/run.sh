#!/usr/bin/env bash
# 045-tls-carrier-inbound: a call from the carrier to the PBX on a TLS
# connection the carrier opens (Static mode, mutual TLS: TLS-10). The
# carrier is SIPp behind stunnel in client mode, which presents the test
# PKI's carrier.pem from 127.0.0.3 and verifies trunkd's certificate
# (gw.enterprise.test, test CA). trunkd requires and verifies the
# carrier's certificate, answers with its TLS Contact, and relays the call
# to the PBX (SIPp over UDP); the carrier hangs up. A second carrier
# connection without a client certificate gets no call through. In a
# second call trunkd hangs up: its BYE reaches the carrier on the
# carrier's own TLS connection (no connection of trunkd's own).
# REQ: TLS-10, STA-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port tcp 127.0.0.1 5081 5

# The carrier's side of the TLS: SIPp's TCP goes to 127.0.0.3:5071, stunnel
# opens TLS from 127.0.0.3 to trunkd with the carrier's certificate and
# checks trunkd's; the same without a client certificate on :5072.
tls_stunnel_client out 127.0.0.3:5071 127.0.0.1:5081 \
	'local = 127.0.0.3' "cert = $TLS_PKI/carrier.pem" "key = $TLS_PKI/leaf.key" \
	"CAfile = $TLS_PKI/ca.pem" 'verifyChain = yes' 'checkHost = gw.enterprise.test'
tls_stunnel_client nocert 127.0.0.3:5072 127.0.0.1:5081 \
	'local = 127.0.0.3' "CAfile = $TLS_PKI/ca.pem" 'verifyChain = yes'

# The carrier scenario of the call tests, speaking as a TLS UA (Via TLS,
# Contact at the SP-SSE's TLS address).
sed -e 's|SIP/2.0/\[transport\]|SIP/2.0/TLS|' \
	-e 's|Contact: <sip:carrier@\[local_ip\]:\[local_port\]>|Contact: <sip:carrier@127.0.0.3:5091;transport=tls>|' \
	"$TI_ROOT/peers/carrier-invite.xml" >"$TI_DIR/carrier-tls.xml"
tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
rc=0
ti_sipp carrier "$TI_DIR/carrier-tls.xml" t1 127.0.0.3 5071 -i 127.0.0.3 \
	-p 5090 -cid_str 'carrier-call-%u-%p@%s' -set trunkd 127.0.0.1:5081 \
	-s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "the carrier's call over mutual TLS failed (SIPp exit $rc)"
tc_checks_ok carrier || ti_fail "the carrier's scenario failed an assertion"
tc_peer_wait pbx
grep -q 'verify ok' "$TI_DIR/out.log" || grep -q 'Certificate accepted' "$TI_DIR/out.log" ||
	ti_fail "stunnel did not verify trunkd's certificate"

# trunkd hangs up a call the carrier made: its BYE goes on the carrier's
# own TLS connection (TLS-10 "reuse existing connections", STA-2), not to
# the SP-SSE's address (127.0.0.3:5091, where nothing listens here).
sed -e 's|SIP/2.0/\[transport\]|SIP/2.0/TLS|' \
	-e 's|Contact: <sip:carrier@\[local_ip\]:\[local_port\]>|Contact: <sip:carrier@127.0.0.3:5091;transport=tls>|' \
	"$TI_TEST_DIR/carrier-hungup.xml" >"$TI_DIR/carrier-hungup.xml"
before=$(tls_connections out)
tc_peer pbx2 "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
ti_start carrier2 sipp -sf "$TI_DIR/carrier-hungup.xml" -m 1 -t t1 \
	-i 127.0.0.3 -p 5094 -nostdin -timeout 20s -timeout_error \
	-cid_str 'carrier-call-%u-%p@%s' -set trunkd 127.0.0.1:5081 \
	-s +15550100001 -trace_msg -message_file "$TI_DIR/carrier2.msg.txt" \
	-trace_err -error_file "$TI_DIR/carrier2.err.log" 127.0.0.3:5071
confirmed() { [ "$(ti_json "$(ti_ctl calls)" "j['calls'][0]['state'] if j['calls'] else ''")" = CONFIRMED ]; }
ti_wait_until 10 confirmed || ti_fail "the carrier's second call was not established"
ti_ctl hangup "$(ti_json "$(ti_ctl calls)" "j['calls'][0]['id']")" >/dev/null ||
	ti_fail "trunkctl hangup failed"
tc_peer_wait carrier2
tc_peer_wait pbx2
[ "$(tls_connections out)" = $((before + 1)) ] ||
	ti_fail "the carrier's side opened $(($(tls_connections out) - before)) TLS connections for one call, want 1"
grep -q 'TLS to 127\.0\.0\.3:5091' "$TI_DIR/trunkd.log" &&
	ti_fail "trunkd opened a connection of its own to the SP-SSE for its BYE"

# Without a client certificate: refused in the handshake.
rc=0
ti_sipp nocert "$TI_DIR/carrier-tls.xml" t1 127.0.0.3 5072 -i 127.0.0.3 \
	-p 5093 -set trunkd 127.0.0.1:5081 -s +15550100001 -timeout 5s || rc=$?
[ "$rc" != 0 ] || ti_fail "a carrier without a client certificate got a call through"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
