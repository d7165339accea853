#!/usr/bin/env bash
# 052-flow-server: trunkd as the server side of flows (OB-6). A client that
# opened a TCP connection to trunkd's enterprise and trunk ports sends a
# CRLFCRLF ping and gets a CRLF pong; STUN Binding requests (RFC 5389 and
# RFC 3489 forms) to both SIP UDP ports get Binding success answers that
# name the client's own address (XOR-MAPPED-ADDRESS, MAPPED-ADDRESS);
# malformed STUN gets nothing, and SIP on the same ports still works.
# REQ: OB-6
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port $p)" 10
	ti_wait_port tcp 127.0.0.1 "$(ti_port $p)" 10
done

client() { ti_exec python3 "$TI_TEST_DIR/stun_client.py" "$@"; }
for p in 5060 5080; do
	client crlf 127.0.0.1 "$(ti_port $p)" || ti_fail "no CRLF pong on TCP port $p"
	client stun 127.0.0.1 "$(ti_port $p)" || ti_fail "no RFC 5389 STUN answer on UDP port $p"
	client stun3489 127.0.0.1 "$(ti_port $p)" || ti_fail "no RFC 3489 STUN answer on UDP port $p"
	client junk 127.0.0.1 "$(ti_port $p)" || ti_fail "junk STUN answered on UDP port $p"
done

# SIP still works on the same UDP ports after the STUN traffic.
ti_sipp options "$SOURCE_ROOT/tests/integration/001-startup/options.xml" u1 \
	127.0.0.1 "$(ti_port 5060)" || ti_fail "OPTIONS after STUN failed"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
