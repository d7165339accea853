#!/usr/bin/env bash
# 006-control-group: with [global] control_group the control socket is mode
# 0660 and owned by that group (issue 2: permissions restrict trunkctl to
# the configured group); a group that does not exist stops start-up with a
# clear error and exit status 1.
# REQ: none (issue 2: control interface permissions)
. "$(dirname "$0")/../lib.sh"
ti_setup

group=$(getent group nogroup daemon | head -n 1 | cut -d: -f1)
[ -n "$group" ] || ti_fail "no group nogroup or daemon on this machine"
sed "s/^\[global\]$/[global]\ncontrol_group = $group/" \
	"$SOURCE_ROOT/config/trunkd.conf" >"$TI_DIR/src.conf"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
got=$(stat -c '%a %G' "$TI_SOCK")
[ "$got" = "660 $group" ] || ti_fail "control socket is '$got', expected '660 $group'"
ti_ctl status >/dev/null || ti_fail "trunkctl status failed"
ti_stop trunkd
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS"

# A group that does not exist: no start, exit 1, the reason on stderr.
sed "s/^control_group = .*/control_group = no-such-group-$$/" \
	"$TI_DIR/trunkd.conf" >"$TI_DIR/bad.conf"
rc=0
ti_exec "$TRUNKD" --config "$TI_DIR/bad.conf" >"$TI_DIR/bad.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || ti_fail "trunkd with an unknown control_group exited $rc, expected 1"
grep -q "control_group no-such-group-$$: no such group" "$TI_DIR/bad.log" ||
	ti_fail "no clear error for the unknown group: $(cat "$TI_DIR/bad.log")"
[ ! -e "$TI_SOCK" ] || ti_fail "a control socket was left behind"
ti_pass
