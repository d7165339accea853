#!/usr/bin/env bash
# 005-secrets: with log_levels = debug, phone, PBX and trunk passwords never
# reach trunkd's log or its control answers, through start-up, OPTIONS on
# both sides, trunkctl reload, SIGHUP and SIGTERM. The subject of this test
# is the log, so it is the one test that reads trunkd's log.
# REQ: none (STYLE.md 8: secrets never logged; no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config "$TI_TEST_DIR/secrets.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

for port in 5060 5080; do
	ti_sipp "options-$port" "$TI_ROOT/peers/options-ping.xml" u1 \
		127.0.0.1 "$(ti_port "$port")" ||
		ti_fail "OPTIONS to $port: SIPp exited $?"
done
ti_ctl status >"$TI_DIR/ctl.out" || ti_fail "trunkctl status failed"
ti_ctl reload >>"$TI_DIR/ctl.out" || ti_fail "trunkctl reload failed"
kill -HUP "$(ti_pid trunkd)"
reloaded() { ti_json "$(ti_ctl status)" 'j["generation"]' | grep -qx 3; }
ti_wait_until 10 reloaded || ti_fail "SIGHUP: no generation 3 within 10 s"
ti_ctl status >>"$TI_DIR/ctl.out" || ti_fail "trunkctl status failed"
kill -TERM "$(ti_pid trunkd)"
ti_wait_exit trunkd 10 || ti_fail "trunkd still running 10 s after SIGTERM"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS after SIGTERM"

# The log must show that debug logging was on, or the test proves nothing.
grep -q ' DEBUG ' "$TI_DIR/trunkd.log" ||
	ti_fail "no DEBUG line in trunkd's log: log_levels = debug not in effect?"
for secret in $(sed -n 's/^password = //p' "$TI_TEST_DIR/secrets.conf"); do
	if grep -qF -- "$secret" "$TI_DIR/trunkd.log" "$TI_DIR/ctl.out"; then
		ti_fail "password $secret appears in trunkd's log or control answers"
	fi
done

ti_pass
