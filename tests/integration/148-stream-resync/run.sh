#!/usr/bin/env bash
# 148-stream-resync: a TCP or TLS connection on which trunkd receives a
# message it cannot frame is closed at once (with a WARN line naming the
# peer), so that the peer reconnects, instead of staying open but deaf
# until Sofia's 30-minute idle timeout: a request line Sofia cannot read
# (RFC 4475 3.1.2.8), binary junk, a bad From (nta's 400, then closed).
# The good OPTIONS written right after the bad message is never answered
# (its framing is lost); an OPTIONS over a new connection gets 200, and
# so does one over UDP after every case.
# A request line Sofia cannot read is answered (400/501/505) from the
# raw bytes over UDP, TCP and TLS; an ACK or a request without Via not.
# REQ: SC-6-1, SC-8-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
. "$TI_ROOT/calls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 5060 5
ti_wait_port tcp 127.0.0.1 5060 5
ti_wait_port tcp 127.0.0.1 5061 5

rc=0
TI_CMD_TIMEOUT=60 ti_exec python3 "$TI_TEST_DIR/stream.py" "$TC_PBX" 127.0.0.1 \
	5060 5060 5061 "$TLS_PKI/ca.pem" \
	udp-lwsruri udp-intmeth udp-badvers udp-ack udp-no-via \
	tcp-lwsruri tls-lwsruri tcp-intmeth tcp-binary tls-binary \
	tcp-bad-from tls-bad-from \
	>"$TI_DIR/stream.log" 2>&1 || rc=$?
cat "$TI_DIR/stream.log" >&2
[ "$rc" = 0 ] || ti_fail "stream.py: a case failed (exit $rc)"
ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS"
ti_pass
