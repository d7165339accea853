#!/usr/bin/env bash
# 114-overload-tls-wait: how long an INVITE over TLS waited in the kernel
# before trunkd read it is measured, as over UDP and TCP (test 099 step
# 2b): the overload detector's input for TLS callers. OpenSSL reads the
# socket itself, so certs/' SSL_read() peeks at the stamp of the data
# waiting first (SO_TIMESTAMPNS). A TLS client sends an INVITE and gets
# its answer; trunkd is stopped (SIGSTOP, our own trunkd by PID) before
# the client's second INVITE goes out on the same connection, and
# continued once it has waited a measured time in trunkd's socket:
# trunkd's last_wait_us is at least that time, and not absurdly more.
# REQ: none (DESIGN.md performance goal: overload control; no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port tcp 127.0.0.1 5061 5

st() { ti_json "$(ti_ctl status)" "$1"; }
# Nothing has been timed yet (no UDP or TCP request reached trunkd).
w0=$(st "j['admission']['last_wait_us']")

go=$TI_DIR/tlswait-go
ti_start tlswait python3 "$TI_TEST_DIR/tlswait.py" 127.0.0.2 127.0.0.1 5061 \
	"$TLS_PKI/ca.pem" "$go"
ti_wait_file "$go.first" 10
# The first INVITE on the connection was timed too (the handshake turned
# the stamps on): a wait, small, and no longer the initial value.
w1=$(st "j['admission']['last_wait_us']")
ti_log "TLS: before any request last_wait_us $w0; after the first INVITE $w1"
queued()
{
	ti_exec ss -tnH state established "( sport = :5061 )" |
		awk '$1 > 0 { f = 1 } END { exit !f }'
}
kill -STOP "$(ti_pid trunkd)"
touch "$go"
ti_wait_until 5 queued || { kill -CONT "$(ti_pid trunkd)"; ti_fail "TLS: the second INVITE never reached trunkd's socket"; }
ti__now q0
ti_wait_until 1 eval 'ti__now q1; ((q1 - q0 >= 300000))' # the wait to measure
kill -CONT "$(ti_pid trunkd)"
ti_wait_exit tlswait 10 || ti_fail "TLS: the stopped-for client hangs"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "TLS: the INVITEs: $(tail -1 "$TI_DIR/tlswait.log")"
w=$(st "j['admission']['last_wait_us']")
ti_log "TLS: the second INVITE waited >= $(((q1 - q0) / 1000)) ms in the socket; trunkd measured $((w / 1000)) ms"
((w >= q1 - q0)) || ti_fail "TLS: last_wait_us $w under the $((q1 - q0)) us the INVITE waited"
((w < 10000000)) || ti_fail "TLS: last_wait_us $w: more than 10 s, not this INVITE's wait"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
