#!/usr/bin/env bash
# 031-registration: Registration mode against a SIPp registrar that asserts
# the RFC 6140 REGISTER (REG-1, REG-2, OB-1), challenges it (REG-4),
# grants 4 s and expects the refresh in time (REG-12), and at SIGTERM
# receives the un-REGISTER. trunkctl shows the trunk registered.
# REQ: REG-1, REG-2, REG-4, REG-12, OB-1
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"

ti_start registrar sipp -sf "$TI_TEST_DIR/registrar.xml" -m 1 -t u1 \
	-i 127.0.0.1 -p "$(ti_port 5090)" -nostdin -timeout 30s -timeout_error \
	-trace_msg -message_file "$TI_DIR/registrar.msg.txt" \
	-trace_err -error_file "$TI_DIR/registrar.err.log" \
	-trace_logs -log_file "$TI_DIR/registrar.actions.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

registered()
{
	local s
	s=$(ti_ctl status) || return 1
	[ "$(ti_json "$s" "[t for t in j['trunks'] if t['name'] == 'carrier'][0]['registration']['state']")" = registered ]
}
ti_wait_until 10 registered || ti_fail "the trunk is not registered"

# The refresh (REGISTER number 3) comes within the 4 s grant.
refreshed() { [ "$(grep -c '^REGISTER ' "$TI_DIR/registrar.msg.txt")" -ge 3 ]; }
ti_wait_until 6 refreshed || ti_fail "no refresh within the granted 4 s"
ti_wait_until 5 registered || ti_fail "not registered after the refresh"

# The instance-id is kept across restarts (OB-1): the file exists.
[ -s "$TI_STATE/instance-id" ] || ti_fail "no persistent instance-id file"

ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS on SIGTERM"
ti_wait_exit registrar 10 || ti_fail "the registrar got no un-REGISTER"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "the registrar's assertions failed (SIPp exit $TI_EXIT_STATUS)"
ti_pass
