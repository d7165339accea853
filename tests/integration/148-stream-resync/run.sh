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
. "$TI_ROOT/148-stream-resync/stream.sh"
ti_setup
stream_run \
	udp-lwsruri udp-intmeth udp-badvers udp-ack udp-no-via \
	tcp-lwsruri tls-lwsruri tcp-intmeth tcp-binary tls-binary \
	tcp-bad-from tls-bad-from
ti_pass
