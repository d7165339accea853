#!/usr/bin/env bash
# 041-tls-carrier-refused: the SP-SSE's certificate decides. For each test
# certificate an `openssl s_server` plays the SP-SSE on 127.0.0.3:5091 and
# a fresh trunkd pings it (OPTIONS) at start:
#   - carrier.pem (SAN URI+DNS carrier.test) and cn-only.pem (no SAN at
#     all, CN=carrier.test: RFC 5922 lets the CN count then) are accepted:
#     the OPTIONS arrives over TLS;
#   - expired.pem, untrusted.pem (another CA), wronghost.pem (wrong.test)
#     and cn-ignored.pem (CN=carrier.test but SAN DNS:other.test: the CN
#     must not count) are refused: nothing arrives, trunkd logs one line
#     naming the SP-SSE and the name it wanted, trunkctl shows the SP-SSE
#     down, and a call from the PBX gets 503 well under Timer B (32 s):
#     below 3 s here, the new connection being refused again.
# REQ: TLS-5, TLS-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-503.xml" \
	STATUS=503 MAX_FORWARDS=70 FOREIGN='127\.0\.0\.3' CHECKS=''

# one_cert CERT accepted|refused [REASON]: REASON (a regexp) must be in
# the one log line of the refusal.
one_cert()
{
	local cert=$1 want=$2 reason=${3:-} name start ms rc=0 out
	name=sse-${cert%.pem}
	tls_s_server "$name" 127.0.0.3:5091 "$TLS_PKI/$cert"
	ti_trunkd_start "$TI_DIR/trunkd.conf"
	if [ "$want" = accepted ]; then
		ti_wait_until 10 tls_log_has "$name" '^OPTIONS sip:' ||
			ti_fail "$cert: no OPTIONS reached the SP-SSE over TLS"
	else
		ti_wait_until 10 tls_log_has trunkd \
			"WARN  certs\\.tls \\[trunk carrier\\] TLS to 127\\.0\\.0\\.3:5091 refused: .*$reason" ||
			ti_fail "$cert: no log line naming the refusal ($reason)"
		[ "$(grep -c 'WARN  certs.tls .*refused' "$TI_DIR/trunkd.log")" -ge 1 ] ||
			ti_fail "$cert: no WARN line"
		tls_log_has "$name" '^OPTIONS' &&
			ti_fail "$cert: the OPTIONS went to an SP-SSE that should be refused"
		out=$(ti_ctl status) || ti_fail "trunkctl status failed"
		ti_json_check "$out" 'j["trunks"][0]["sse"][0]["state"] == "down"' \
			"$cert: SP-SSE down"
		ti__now start
		tc_pbx "pbx-$name" "$TI_DIR/pbx-503.xml" u1 -s +15550100001 || rc=$?
		ms=$(tls_ms_since "$start")
		[ "$rc" = 0 ] || ti_fail "$cert: the PBX did not get 503 (SIPp exit $rc)"
		((ms < 3000)) || ti_fail "$cert: 503 after $ms ms (want < 3000)"
		ti_log "$cert refused; the call failed in $ms ms"
	fi
	ti_stop trunkd
	mv "$TI_DIR/trunkd.log" "$TI_DIR/trunkd-$name.txt"
	ti_stop "$name"
}

one_cert carrier.pem accepted
one_cert cn-only.pem accepted
one_cert expired.pem refused 'expired'
one_cert untrusted.pem refused 'issuer|trusted|verif'
one_cert wronghost.pem refused 'does not name carrier\.test'
one_cert cn-ignored.pem refused 'does not name carrier\.test'

ti_pass
