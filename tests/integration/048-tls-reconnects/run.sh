#!/usr/bin/env bash
# 048-tls-reconnects: many short TLS connections stay clean. 50 warm-up
# connections, then 400 more to the enterprise side's TLS listener, each a
# verified handshake, an OPTIONS answered 200 and a close (Python's ssl,
# i.e. OpenSSL, as the client). trunkd's resident memory may grow by at
# most 8 MB over the 400 (Sofia-SIP alone leaks about 80 KB per TLS
# connection: 32 MB; certs/ frees them). Under ASan (TRUNKD from a
# -Db_sanitize build) the log must also be free of sanitizer reports,
# LeakSanitizer's at exit included.
# REQ: TLS-12
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port tcp 127.0.0.1 5061 5

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$(ti_pid trunkd)/status"; }
n=$(TI_CMD_TIMEOUT=60 ti_exec python3 "$TI_TEST_DIR/clients.py" 127.0.0.1 5061 "$TLS_PKI/ca.pem" 50) ||
	ti_fail "warm-up clients failed"
[ "$n" = 50 ] || ti_fail "warm-up: $n of 50 connections answered"
before=$(rss)
n=$(TI_CMD_TIMEOUT=80 ti_exec python3 "$TI_TEST_DIR/clients.py" 127.0.0.1 5061 "$TLS_PKI/ca.pem" 400) ||
	ti_fail "clients failed"
[ "$n" = 400 ] || ti_fail "$n of 400 connections answered"
after=$(rss)
ti_log "RSS ${before} kB -> ${after} kB over 400 TLS connections"
# ASan keeps freed memory in quarantine: its RSS says nothing; its
# LeakSanitizer at exit does (below).
case $(ldd "$TRUNKD") in
*libasan*) ;;
*)
	((after - before < 8192)) ||
		ti_fail "trunkd grew by $((after - before)) kB over 400 TLS connections"
	;;
esac
ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS (sanitizer report?)"
grep -qE 'Sanitizer|runtime error' "$TI_DIR/trunkd.log" &&
	ti_fail "sanitizer report in trunkd.log"
ti_pass
