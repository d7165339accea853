#!/usr/bin/env bash
# 057-reg-alternates: a Registration-mode trunk with two SP-SSEs over TCP.
# 1. The first refuses connections: one REGISTER (no connection to
#    re-establish, REG-5), then the alternate at once, which registers
#    the trunk (no back-off).
# 2. The first answers 503 with Retry-After: 120 (more than 32 s): trunkd
#    remembers it and registers with the alternate at once (REG-9).
# trunkctl registrations names the SP-SSE in use.
# REQ: REG-5, REG-9
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/flows.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"

# sipp_server NAME SCENARIO PORT: a SIPp server on TCP 127.0.0.1:PORT.
sipp_server()
{
	ti_start "$1" sipp -sf "$TI_TEST_DIR/$2" -m 1 -t t1 -i 127.0.0.1 \
		-p "$(ti_port "$3")" -nostdin -timeout 40s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log" \
		-trace_logs -log_file "$TI_DIR/$1.actions.txt"
	ti_wait_port tcp 127.0.0.1 "$(ti_port "$3")" 10
}
# alt_ok NAME: the alternate NAME got the REGISTER (3600) and the
# un-REGISTER (0), its checks all passed. (SIPp may exit non-zero after its
# last 200 when trunkd, exiting, resets the TCP connection.)
alt_ok()
{
	ti_wait_until 10 eval '! ti_running '"$1" || ti_fail "$1 still running"
	[ "$(grep -c '^Expires: 3600' "$TI_DIR/$1.msg.txt")" = 1 ] &&
		[ "$(grep -c '^Expires: 0' "$TI_DIR/$1.msg.txt")" = 1 ] &&
		! grep -qE 'check_it|Failed regexp|Unexpected' "$TI_DIR/$1.err.log" 2>/dev/null
}
registered_with()
{
	local s
	s=$(ti_ctl registrations) || return 1
	[ "$(ti_json "$s" "j['trunks'][0]['state']")" = registered ] &&
		[ "$(ti_json "$s" "':$(ti_port 5092);' in j['trunks'][0]['sse']")" = True ]
}

# 1. Nothing listens on the first SP-SSE.
sipp_server alt registrar.xml 5092
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_until 3 registered_with ||
	ti_fail "not registered with the alternate within 3 s of a refused first SP-SSE"
ti_stop trunkd 10
alt_ok alt || ti_fail "the alternate did not get REGISTER and un-REGISTER"

# 2. The first SP-SSE is busy for 120 s.
sipp_server busy busy.xml 5090
sipp_server alt2 registrar.xml 5092
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_until 3 registered_with ||
	ti_fail "not registered with the alternate within 3 s of a 503 Retry-After: 120"
ti_wait_exit busy 5 || ti_fail "the busy SP-SSE got no REGISTER"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the busy SP-SSE's scenario failed (SIPp exit $TI_EXIT_STATUS)"
ti_stop trunkd 10
alt_ok alt2 || ti_fail "the alternate did not get REGISTER and un-REGISTER"
ti_pass
