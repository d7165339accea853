#!/usr/bin/env bash
# 044-tls-flow-kept: in Static mode without a certificate of its own,
# trunkd keeps a TLS connection to the SP-SSE open and opens a new one at
# once when it is lost (TLS-11, TLS-12). The SP-SSE's TLS front end
# (stunnel) closes every connection after 2 s of silence; the OPTIONS
# supervision runs every 60 s. Within 10 s stunnel must nevertheless have
# accepted at least 3 connections, each with an OPTIONS over TLS answered
# by the SP-SSE (sse.py behind stunnel: SIPp ends its run when a TCP peer
# resets), and trunkctl shows the held connection: verified, its TLS
# version and cipher, the name the SP-SSE proved, its expiry and the OCSP
# status (tls_ocsp = prefer by default; stunnel staples nothing: no-staple).
# REQ: TLS-11, TLS-12
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"

ti_start carrier python3 "$TI_TEST_DIR/sse.py" 127.0.0.3 5090
ti_wait_port tcp 127.0.0.3 5090 10
tls_stunnel_server sse 127.0.0.3:5091 127.0.0.3:5090 "$TLS_PKI/carrier.pem" \
	'TIMEOUTidle = 2'
ti_trunkd_start "$TI_DIR/trunkd.conf"

held()
{
	local out
	out=$(ti_ctl status) || return 1
	# Open, verified, and what certs/ saw: version, cipher, the name the
	# SP-SSE proved, its certificate's expiry, the OCSP staple's status.
	[ "$(ti_json "$out" '(lambda t: t.get("connected") and t.get("verified") and t.get("version", "").startswith("TLSv1.") and t.get("cipher", "") != "" and t.get("identity") == "carrier.test" and t.get("expiry", 0) > 0 and t.get("ocsp") == "no-staple")(j["trunks"][0]["sse"][0].get("tls", {}))')" = True ]
}
ti_wait_until 5 held || ti_fail "trunkctl: no verified TLS connection held"
three() { [ "$(tls_connections sse)" -ge 3 ]; }
ti_wait_until 10 three ||
	ti_fail "the lost TLS connection was not re-opened at once ($(tls_connections sse) connections in 10 s)"
options3() { [ "$(grep -c '^OPTIONS [0-9]* over Via: SIP/2.0/TLS ' "$TI_DIR/carrier.log")" -ge 3 ]; }
ti_wait_until 5 options3 || ti_fail "the SP-SSE did not answer 3 OPTIONS over TLS"
ti_pass
