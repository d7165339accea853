#!/usr/bin/env bash
# 047-tls-policy-wire: the TLS policy (certs/' repair) on trunkd's own
# sockets, with openssl as the peer.
# As server (enterprise side, 127.0.0.1:5061):
#   TLS 1.2 offering ECDHE-RSA-AES128-GCM-SHA256 first -> chosen (TLS-2);
#   a client preferring AES128-SHA (allowed: tls_optional_ciphers) still
#     gets ECDHE (our order, TLS-3), and gets AES128-SHA when alone;
#   a client offering only a suite outside the policy is refused;
#   a TLS 1.1-only client is refused, a TLS 1.3-only one accepted, and a
#   ClientHello claiming an unknown higher version gets TLS 1.2 (TLS-1);
#   the whole chain is sent: the client verifies with the root only.
# As client (the trunk toward `openssl s_server`): SNI carrier.test, TLS
#   1.2 suites offered exactly ECDHE-RSA-AES128-GCM-SHA256, then the
#   optional AES128-GCM-SHA256 and AES128-SHA (TLS-2).
# REQ: TLS-1, TLS-2, TLS-3, TLS-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
tls_s_server sse 127.0.0.3:5091 "$TLS_PKI/carrier.pem" -tls1_2 \
	-servername carrier.test -cert2 "$TLS_PKI/carrier.pem" -key2 "$TLS_PKI/leaf.key"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port tcp 127.0.0.1 5061 5

# hs NAME [S_CLIENT ARG...]: one handshake with the enterprise side;
# the session in NAME.txt (no system openssl.cnf: the client offers what
# its arguments say, TLS 1.1 included).
hs()
{
	local name=$1
	shift
	echo | OPENSSL_CONF=/dev/null ti_exec timeout 5 openssl s_client \
		-connect 127.0.0.1:5061 -CAfile "$TLS_PKI/ca.pem" "$@" \
		>"$TI_DIR/$name.txt" 2>&1 || true
}
# "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" from the session, "" without one.
# The session block (Protocol, Cipher) may be missing when s_client ends
# before TLS 1.3's session ticket: then the "New, ..., Cipher is" line
# (its first field is the cipher's own version label, e.g. SSLv3 for
# AES128-SHA, so the protocol is read from the session block when there).
cipher_of()
{
	local p c
	p=$(sed -n 's/^ *Protocol *: *//p' "$TI_DIR/$1.txt" | head -1)
	c=$(sed -n 's/^New, [^,]*, Cipher is //p' "$TI_DIR/$1.txt" | head -1)
	[ -n "$p" ] || p=$(sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is .*/\1/p' "$TI_DIR/$1.txt" | head -1)
	[ -z "$c" ] || [ "$c" = "(NONE)" ] || echo "$p $c"
}

hs ecdhe-first -tls1_2 -cipher 'ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA'
[ "$(cipher_of ecdhe-first)" = "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" ] ||
	ti_fail "ECDHE first: got '$(cipher_of ecdhe-first)'"
hs prefers-cbc -tls1_2 -cipher 'AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256'
[ "$(cipher_of prefers-cbc)" = "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" ] ||
	ti_fail "server preference: got '$(cipher_of prefers-cbc)'"
# ... while AES128-SHA alone is allowed (tls_optional_ciphers): the choice
# above was our order, not a refusal.
hs cbc-only -tls1_2 -cipher 'AES128-SHA'
[ "$(cipher_of cbc-only)" = "TLSv1.2 AES128-SHA" ] ||
	ti_fail "AES128-SHA alone: got '$(cipher_of cbc-only)'"
hs outside -tls1_2 -cipher 'ECDHE-RSA-AES256-GCM-SHA384'
[ -z "$(cipher_of outside)" ] || ti_fail "a suite outside the policy was accepted: $(cipher_of outside)"
hs tls11 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
[ -z "$(cipher_of tls11)" ] || ti_fail "TLS 1.1 was accepted: $(cipher_of tls11)"
grep -qiE 'alert protocol version|unsupported protocol|wrong version' "$TI_DIR/tls11.txt" ||
	ti_fail "TLS 1.1: no protocol-version refusal (tls11.txt)"
hs tls13 -tls1_3
case $(cipher_of tls13) in
TLSv1.3\ *) ;;
*) ti_fail "TLS 1.3 only: got '$(cipher_of tls13)'" ;;
esac
v=$(ti_exec python3 "$TI_TEST_DIR/hello.py" 127.0.0.1 5061) || true
[ "$v" = 0x0303 ] || ti_fail "a ClientHello claiming version 0x0305 got: $v"
# The chain: our leaf's issuer is the intermediate, which the client has
# only from us.
hs chain -tls1_3 -showcerts -verify_return_error -verify_hostname carrier.test
grep -q 'Verify return code: 0 (ok)' "$TI_DIR/chain.txt" ||
	ti_fail "the chain did not verify against the root alone (chain.txt)"
[ "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$TI_DIR/chain.txt")" -ge 2 ] ||
	ti_fail "trunkd sent fewer than 2 certificates"

# As a client: the OPTIONS ping's handshake with s_server.
ti_wait_until 10 tls_log_has sse '^OPTIONS sip:' ||
	ti_fail "no OPTIONS reached the SP-SSE over TLS"
grep -q 'Hostname in TLS extension: "carrier.test"' "$TI_DIR/sse.log" ||
	ti_fail "no SNI carrier.test at the SP-SSE"
shared=$(sed -n 's/^Shared ciphers://p' "$TI_DIR/sse.log" | head -1 |
	tr ':' '\n' | grep -v '^TLS_' | paste -sd: -)
[ "$shared" = "ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256:AES128-SHA" ] ||
	ti_fail "TLS 1.2 suites offered: $shared"
grep -q '^CIPHER is ECDHE-RSA-AES128-GCM-SHA256' "$TI_DIR/sse.log" ||
	ti_fail "the SP-SSE did not negotiate ECDHE-RSA-AES128-GCM-SHA256"
ti_pass
