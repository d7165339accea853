#!/usr/bin/env bash
# 161-udp-empty-datagram: UDP datagrams of no bytes (anyone can send
# them, and a wake-up whose datagram the kernel dropped looks the same to
# the reader) are dropped without a word: with the shipped log levels
# (sofia=warn) 200 of them to each side's SIP port leave no line in the
# log, and an OPTIONS right after each burst gets 200. Before the fix each
# one logged "su_getmsgsize(): Resource temporarily unavailable" at
# Sofia's level 1: a log line per empty datagram.
# REQ: none (robustness: malformed input never floods the log)
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config "$SOURCE_ROOT/config/trunkd.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for port in "$(ti_port 5060)" "$(ti_port 5080)"; do
	ti_wait_port udp 127.0.0.1 "$port" 10
	before=$(wc -l <"$TI_DIR/trunkd.log")
	out=$(ti_exec python3 "$TI_TEST_DIR/empty.py" "$port" 200 2>&1) ||
		ti_fail "port $port: after 200 empty datagrams: $out"
	ti_running trunkd || ti_fail "trunkd died after empty datagrams"
	# The OPTIONS was answered after the empty datagrams (one socket, in
	# order): anything they logged is in the log by now.
	new=$(tail -n +"$((before + 1))" "$TI_DIR/trunkd.log")
	if grep -qiE 'su_getmsgsize|zero length|runt' <<<"$new"; then
		ti_fail "port $port: empty datagrams were logged: $(grep -iE 'su_getmsgsize|zero length|runt' <<<"$new" | head -3)"
	fi
	ti_log "port $port: 200 empty datagrams, then OPTIONS: $out; nothing logged"
done
ti_stop trunkd 10
ti_pass
