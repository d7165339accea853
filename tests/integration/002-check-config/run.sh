#!/usr/bin/env bash
# 002-check-config: trunkd --check-config refuses each bad-*.conf with
# FILE:LINE: reason; trunkd --config refuses to start on it; a missing file
# is named; the shipped configs pass; secrets never appear in the errors.
# REQ: SC-15-2 (the address family checks; the rest is configuration
# handling without a SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
ti_setup

# file -> "line:substring of the reason" (case-insensitive), several joined
# by '|'. Every bad-*.conf of this folder must have a row, so no bad config
# goes unchecked.
declare -A expect=(
	[bad-unknown-key.conf]='8:frobnicate'
	[bad-enum-value.conf]='12:transport'
	[bad-out-of-range.conf]='10:rtp_port_min'
	[bad-duplicate-trunk.conf]='14:duplicate'
	[bad-missing-file.conf]='10:nothere.txt'
	[bad-registration-no-aor.conf]='10:registration_aor'
	[bad-secret.conf]='13:max_contacts|19:username|26:password'
	[bad-address-family.conf]='14:no IPv6 address|12:is an IPv4 address|19:is an IPv6 address'
	[bad-address-family-mixed.conf]='14:must be an IP literal|19:needs proxy'
)

# check_rejected FILE LINE:SUBSTRING...: --check-config exits 1, prints no
# "OK", and has a stderr line "FILE:LINE: ...SUBSTRING...".
check_rejected()
{
	local file=$1 rc=0 want line sub
	shift
	ti_exec "$TRUNKD" --check-config "$file" >"$TI_DIR/out" 2>"$TI_DIR/err" ||
		rc=$?
	[ "$rc" = 1 ] || ti_fail "--check-config $file: exit $rc, expected 1"
	if grep -q 'OK' "$TI_DIR/out"; then
		ti_fail "--check-config $file printed OK"
	fi
	for want in "$@"; do
		line=${want%%:*}
		sub=${want#*:}
		awk -v p="$file:$line: " -v s="$sub" '
			index($0, p) == 1 &&
			index(tolower(substr($0, length(p) + 1)), tolower(s)) { f = 1 }
			END { exit !f }' "$TI_DIR/err" ||
			ti_fail "--check-config $file: no line '$file:$line: ...$sub...' in stderr: $(cat "$TI_DIR/err")"
	done
}

bad=0
for conf in "$TI_TEST_DIR"/bad-*.conf; do
	name=$(basename "$conf")
	[ -n "${expect[$name]:-}" ] || ti_fail "$name has no row in the expect table"
	IFS='|' read -r -a wants <<<"${expect[$name]}"
	check_rejected "$conf" "${wants[@]}"
	bad=$((bad + 1))

	# The daemon refuses it too, before creating anything.
	ti_config "$conf" "$TI_DIR/$name"
	ti_start "refused-$name" "$TRUNKD" --config "$TI_DIR/$name"
	ti_wait_exit "refused-$name" 5 ||
		ti_fail "trunkd --config $name is still running after 5 s"
	[ "$TI_EXIT_STATUS" != 0 ] || ti_fail "trunkd --config $name exited 0"
	[ ! -e "$TI_SOCK" ] || ti_fail "trunkd --config $name created $TI_SOCK"
done
[ "$bad" = "${#expect[@]}" ] ||
	ti_fail "expect table has ${#expect[@]} rows but $bad bad-*.conf files"

# No secret of bad-secret.conf in any output: neither --check-config's nor
# the refusing daemon's.
ti_exec "$TRUNKD" --check-config "$TI_TEST_DIR/bad-secret.conf" \
	>"$TI_DIR/secret.out" 2>&1 || true
for secret in $(sed -n 's/^password = //p' "$TI_TEST_DIR/bad-secret.conf"); do
	if grep -qF -- "$secret" "$TI_DIR/secret.out" \
		"$TI_DIR/refused-bad-secret.conf.log"; then
		ti_fail "secret value $secret appears in trunkd's error output"
	fi
done

# A missing file: non-zero, and the message names the path.
missing=$TI_DIR/no-such-dir/trunkd.conf
for opt in --check-config --config; do
	rc=0
	ti_exec "$TRUNKD" "$opt" "$missing" >"$TI_DIR/out" 2>"$TI_DIR/err" ||
		rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] ||
		ti_fail "trunkd $opt $missing: exit $rc, expected a refusal"
	grep -qF -- "$missing" "$TI_DIR/err" ||
		ti_fail "trunkd $opt $missing: stderr does not name the file: $(cat "$TI_DIR/err")"
done

# A usage error is exit status 2.
rc=0
ti_exec "$TRUNKD" --no-such-option >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || ti_fail "trunkd --no-such-option: exit $rc, expected 2"

# The shipped configs are valid: the default one and every example.
for conf in "$SOURCE_ROOT/config/trunkd.conf" "$SOURCE_ROOT"/config/examples/*.conf; do
	rc=0
	ti_exec "$TRUNKD" --check-config "$conf" >"$TI_DIR/out" 2>"$TI_DIR/err" ||
		rc=$?
	[ "$rc" = 0 ] ||
		ti_fail "--check-config $conf: exit $rc: $(cat "$TI_DIR/err")"
	grep -q ': OK$' "$TI_DIR/out" ||
		ti_fail "--check-config $conf: no 'OK' line: $(cat "$TI_DIR/out")"
done

ti_pass
