#!/usr/bin/env bash
# 149-stream-limits: trunkd bounds what one TCP or TLS connection can
# hold and for how long (stream.py of 148, its trunkd.conf: T1 = 50 ms).
# A message larger than the 2 MB maximum: 413, the connection is closed
# at once, while another connection is served; the largest UDP
# datagram (65,507 bytes) is under the maximum and answered. Half a
# message, then nothing: closed after 64*T1 without a byte (TCP: Sofia's
# receive timeout, which trunkd sets; TLS: trunkd's own timer, Sofia has
# none), another connection served meanwhile. A byte now and then
# (slowloris): closed 128*T1 after the message began. CRLF keep-alive
# pings are not half messages: that connection stays up, and 256
# connections that only ping (TLS: each ping reaches Sofia's parser) do
# not use up the slots half messages are timed in; a message sent in two
# parts 1 s apart is answered.
# REQ: SC-6-1, SC-8-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/148-stream-resync/stream.sh"
ti_setup
stream_run \
	udp-largest tcp-oversize tls-oversize tcp-split tls-split \
	tcp-half tls-half tcp-trickle tls-trickle tcp-keepalive tls-keepalive \
	tls-keepalive-many
ti_pass
