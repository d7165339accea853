#!/usr/bin/env bash
# 046-tls-registration: Registration mode over TLS without a certificate
# of ours (TLS-9). The registrar is SIPp behind stunnel (the test PKI's
# carrier.test certificate, verified by trunkd). The REGISTER comes over
# TLS with the RFC 6140 Contact at trunkd's TLS address, the 4 s grant is
# refreshed in time on the same TLS connection (stunnel accepts exactly
# one), trunkctl shows the trunk registered and, in `flows`, the TLS flow
# with its version, cipher, the name the registrar proved and its expiry.
# REQ: TLS-9, STA-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"

ti_start registrar sipp -sf "$TI_TEST_DIR/registrar-tls.xml" -m 1 -t t1 \
	-i 127.0.0.3 -p 5090 -nostdin -timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/registrar.msg.txt" \
	-trace_err -error_file "$TI_DIR/registrar.err.log" \
	-trace_logs -log_file "$TI_DIR/registrar.actions.txt"
ti_wait_port tcp 127.0.0.3 5090 10
tls_stunnel_server sse 127.0.0.3:5091 127.0.0.3:5090 "$TLS_PKI/carrier.pem"
ti_trunkd_start "$TI_DIR/trunkd.conf"

refreshed() { [ "$(grep -c '^REGISTER ' "$TI_DIR/registrar.msg.txt" 2>/dev/null)" -ge 2 ]; }
ti_wait_until 10 refreshed || ti_fail "the registrar did not get the REGISTER and its refresh"
registered()
{
	local s
	s=$(ti_ctl status) || return 1
	[ "$(ti_json "$s" "[t for t in j['trunks'] if t['name'] == 'carrier'][0]['registration']['state']")" = registered ]
}
ti_wait_until 3 registered || ti_fail "the trunk is not registered"
n=$(tls_connections sse)
[ "$n" = 1 ] || ti_fail "stunnel accepted $n TLS connections, want 1 (REGISTER and refresh on one)"
# trunkctl flows: the registration's TLS flow with what certs/ saw of it.
out=$(ti_ctl flows) || ti_fail "trunkctl flows failed"
ti_json_check "$out" '(lambda f: f["transport"] == "tls" and f["tls"]["verified"] and f["tls"]["version"].startswith("TLSv1.") and f["tls"]["identity"] == "carrier.test" and f["tls"]["expiry"] > 0)(j["flows"][0])' \
	"trunkctl flows shows the TLS flow verified with version and identity"
ti_wait_exit registrar 10 || ti_fail "the registrar did not finish"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "the registrar's assertions failed (SIPp exit $TI_EXIT_STATUS)"
ti_pass
