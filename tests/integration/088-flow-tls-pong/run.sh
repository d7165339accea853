#!/usr/bin/env bash
# 088-flow-tls-pong: trunkd as the server end of TLS flows (OB-6). A client
# (tls_ping.py, Python's ssl) opens TLS connections to trunkd's enterprise
# TLS port (5061) and, with the carrier's certificate, to its trunk TLS
# port (5081, mutual TLS), and sends CRLFCRLF pings: each is answered with
# exactly one CRLF (Sofia's TLS alone answers none), twice per connection;
# a lone CRLF (a pong) gets nothing; an OPTIONS on the same connection is
# still answered 200. trunkd stays up.
# REQ: OB-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port tcp 127.0.0.1 5061 5
ti_wait_port tcp 127.0.0.1 5081 5

ping() { ti_exec python3 "$TI_TEST_DIR/tls_ping.py" "$@"; }
ping 127.0.0.1 5061 "$TLS_PKI/ca.pem" gw.enterprise.test ||
	ti_fail "enterprise TLS port: CRLFCRLF not ponged"
ping 127.0.0.1 5081 "$TLS_PKI/ca.pem" gw.enterprise.test \
	"$TLS_PKI/carrier.pem" "$TLS_PKI/leaf.key" ||
	ti_fail "trunk TLS port (mutual TLS): CRLFCRLF not ponged"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
