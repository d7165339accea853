#!/usr/bin/env bash
# 042-tls-listeners: `openssl s_client` against trunkd's TLS ports.
#   enterprise side (127.0.0.1:5061): the handshake verifies against the
#     test CA with the host name gw.enterprise.test, and an OPTIONS sent
#     over it is answered 200 (no client certificate asked);
#   trunk side (127.0.0.1:5081), mutual TLS (TLS-10): a client presenting
#     carrier.pem gets its OPTIONS answered; one presenting no certificate,
#     a certificate of another CA, or one of our CA that names no trunk
#     (wrong.test) is refused in the handshake;
#   bad input on the TLS ports: plain-text SIP, random bytes, a truncated
#     ClientHello, a client that stalls mid-handshake: none of them stops
#     trunkd from serving the next good client; the stalled one is cut off
#     after the 10 s handshake bound with one log line.
# REQ: TLS-10, TLS-4
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"

# Config errors name file:line: TLS on the enterprise side without our
# certificate, a trunk over TLS without a trunk-side TLS listener.
grep -v '^tls_certificate\|^tls_key' "$TI_DIR/trunkd.conf" |
	sed 's/^trunk_transports = udp, tls/trunk_transports = udp/' >"$TI_DIR/bad.conf"
rc=0
"$TRUNKD" --check-config "$TI_DIR/bad.conf" >"$TI_DIR/bad.txt" 2>&1 || rc=$?
[ "$rc" != 0 ] || ti_fail "--check-config accepted TLS without certificate"
line=$(grep -n '^enterprise_transports' "$TI_DIR/bad.conf" | cut -d: -f1)
grep -qF "$TI_DIR/bad.conf:$line: enterprise_transports has tls but [enterprise] has no tls_certificate" "$TI_DIR/bad.txt" ||
	ti_fail "no file:line error for enterprise TLS without a certificate: $(cat "$TI_DIR/bad.txt")"
line=$(grep -n '^transport = tls' "$TI_DIR/bad.conf" | cut -d: -f1)
grep -qF "$TI_DIR/bad.conf:$line: trunk carrier: transport = tls but [global] trunk_transports has no tls" "$TI_DIR/bad.txt" ||
	ti_fail "no file:line error for a TLS trunk without a TLS listener: $(cat "$TI_DIR/bad.txt")"

ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port tcp 127.0.0.1 5061 5
ti_wait_port tcp 127.0.0.1 5081 5

# options NAME PORT [S_CLIENT ARG...]: an OPTIONS over a TLS connection
# to 127.0.0.1:PORT; the session (handshake and answer) in NAME.txt.
# Returns 0 when trunkd's answer came back (its To tag; s_client may print
# a session ticket in the middle of the status line).
options()
{
	local name=$1 port=$2
	shift 2
	printf 'OPTIONS sip:127.0.0.1:%s;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.3:5099;branch=z9hG4bK-%s\r\nMax-Forwards: 70\r\nFrom: <sip:probe@carrier.test>;tag=%s\r\nTo: <sip:127.0.0.1:%s>\r\nCall-ID: %s@127.0.0.3\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' \
		"$port" "$name" "$name" "$port" "$name" |
		ti_exec timeout 5 openssl s_client -connect "127.0.0.1:$port" \
			-CAfile "$TLS_PKI/ca.pem" -verify_return_error \
			-ign_eof "$@" >"$TI_DIR/$name.txt" 2>&1 || true
	grep -q "^To: <sip:127.0.0.1:$port>;tag=" "$TI_DIR/$name.txt" &&
		grep -q "^CSeq: 1 OPTIONS" "$TI_DIR/$name.txt"
}

# The enterprise side: our certificate verifies, by name too.
options ent-ok 5061 -verify_hostname gw.enterprise.test ||
	ti_fail "enterprise side: no 200 to an OPTIONS over TLS (ent-ok.txt)"
grep -q 'Verify return code: 0 (ok)' "$TI_DIR/ent-ok.txt" ||
	ti_fail "enterprise side: our certificate did not verify as gw.enterprise.test"

# The trunk side: mutual TLS.
options trunk-mutual 5081 -cert "$TLS_PKI/carrier.pem" -key "$TLS_PKI/leaf.key" ||
	ti_fail "trunk side: the carrier's certificate was not accepted (trunk-mutual.txt)"
options trunk-nocert 5081 &&
	ti_fail "trunk side: a client without a certificate was served"
options trunk-untrusted 5081 -cert "$TLS_PKI/untrusted.pem" -key "$TLS_PKI/leaf.key" &&
	ti_fail "trunk side: a certificate of another CA was accepted"
options trunk-wronghost 5081 -cert "$TLS_PKI/wronghost.pem" -key "$TLS_PKI/leaf.key" &&
	ti_fail "trunk side: a certificate naming no trunk was accepted"

# Bad input, each on its own connection.
raw() { ti_exec python3 -c "$1" || true; }
raw 'import socket; s=socket.create_connection(("127.0.0.1",5081)); s.sendall(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n"); s.settimeout(2)
try: s.recv(100)
except Exception: pass'
raw 'import os,socket; s=socket.create_connection(("127.0.0.1",5061)); s.sendall(os.urandom(4096)); s.settimeout(2)
try: s.recv(100)
except Exception: pass'
# A ClientHello cut after its record header and a few bytes.
raw 'import socket; s=socket.create_connection(("127.0.0.1",5081)); s.sendall(bytes.fromhex("160301020001") + b"\x00"*10); s.close()'
# A client that stalls mid-handshake, kept open while others are served;
# trunkd cuts it off after its 10 s handshake bound.
ti_start stall python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", 5081))
s.sendall(bytes.fromhex("16030100c8"))
t = time.time()
s.settimeout(30)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print("closed after %.1f s" % (time.time() - t), flush=True)
'
ti_running trunkd || ti_fail "trunkd died on bad TLS input"
options after-bad 5081 -cert "$TLS_PKI/carrier.pem" -key "$TLS_PKI/leaf.key" ||
	ti_fail "trunk side: no service after bad input (after-bad.txt)"
options ent-after-bad 5061 -verify_hostname gw.enterprise.test ||
	ti_fail "enterprise side: no service after bad input"
ti_wait_exit stall 15 || ti_fail "the stalled handshake was not cut off"
grep -q 'closed after' "$TI_DIR/stall.log" || ti_fail "stall: $(cat "$TI_DIR/stall.log")"
ti_wait_until 5 tls_log_has trunkd 'TLS (from|with) 127\.0\.0\.1:[0-9]+ refused: handshake not finished within 10000 ms' ||
	ti_fail "no log line for the stalled handshake"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
