#!/usr/bin/env bash
# 004-sigterm: with --pid-file, the pid file holds trunkd's PID; SIGTERM
# makes trunkd exit 0 promptly and remove its pid file and control socket,
# also while a control client is connected with half a command sent.
# (Refusing new calls during shutdown_grace needs calls: a later test.)
# REQ: none (process lifecycle; no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config "$SOURCE_ROOT/config/trunkd.conf" "$TI_DIR/trunkd.conf"

# terminate WHAT: SIGTERM trunkd, expect exit 0 within 10 s and no
# leftovers.
terminate()
{
	kill -TERM "$(ti_pid trunkd)"
	ti_wait_exit trunkd 10 || ti_fail "$1: trunkd still running 10 s after SIGTERM"
	[ "$TI_EXIT_STATUS" = 0 ] ||
		ti_fail "$1: trunkd exited with status $TI_EXIT_STATUS after SIGTERM, expected 0"
	[ ! -e "$TI_PIDFILE" ] || ti_fail "$1: pid file $TI_PIDFILE left behind"
	[ ! -e "$TI_SOCK" ] || ti_fail "$1: control socket $TI_SOCK left behind"
	rc=0
	ti_ctl status >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || ti_fail "$1: trunkctl status without a daemon exited $rc, expected 2"
}

# 1. Plain start and stop.
ti_trunkd_start "$TI_DIR/trunkd.conf" --pid-file "$TI_PIDFILE"
ti_wait_file "$TI_PIDFILE" 5
read -r pid <"$TI_PIDFILE" || ti_fail "pid file $TI_PIDFILE is empty"
[ "$pid" = "$(ti_pid trunkd)" ] ||
	ti_fail "pid file says '$pid', trunkd is $(ti_pid trunkd)"
terminate "idle"

# 2. The same with a control client connected and silent.
ti_trunkd_start "$TI_DIR/trunkd.conf" --pid-file "$TI_PIDFILE"
ti_start client python3 "$TI_TEST_DIR/idle-client.py" "$TI_SOCK"
client_connected() { grep -qs '^connected' "$TI_DIR/client.log"; }
ti_wait_until 5 client_connected || ti_fail "the idle client did not connect"
terminate "with a connected client"
ti_wait_exit client 5 || ti_fail "the idle client still runs after trunkd exited"

ti_pass
