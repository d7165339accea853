#!/usr/bin/env bash
# 061-dialplan-config-check: the dial plan is checked against the
# configuration (issue 4): a rule routing to a trunk without a [trunk]
# section, a [pbx] context the plan does not define and a [location] it
# names that does not exist, are errors with
# file:line at --check-config, at start (trunkd exits 1) and at reload
# (refused; the running plan keeps deciding calls).
# REQ: none (configuration handling; no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default "$TI_TEST_DIR/extra.conf"
sed -i 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' "$TI_DIR/trunkd.conf"
grep -q '^file = test.dialplan$' "$TI_DIR/trunkd.conf" ||
	ti_fail "could not name the dial plan in the config"
plan=$TI_DIR/test.dialplan
conf=$TI_DIR/trunkd.conf

# has_error FILE:LINE: TEXT: the captured stderr/reply has that error.
has_error() { grep -qF -- "$1" "$TI_DIR/err"; }

# 1. --check-config names both bad trunk references and nothing else.
cp "$TI_TEST_DIR/bad.dialplan" "$plan"
rc=0
ti_exec "$TRUNKD" --check-config "$conf" >"$TI_DIR/out" 2>"$TI_DIR/err" || rc=$?
[ "$rc" = 1 ] || ti_fail "--check-config with a bad plan: exit $rc, expected 1"
has_error "$plan:5: trunk nosuch is not configured" ||
	ti_fail "--check-config: no $plan:5 error: $(cat "$TI_DIR/err")"
has_error "$plan:6: trunk backup is not configured" ||
	ti_fail "--check-config: no $plan:6 error: $(cat "$TI_DIR/err")"
[ "$(grep -c 'is not configured' "$TI_DIR/err")" = 2 ] ||
	ti_fail "--check-config: expected exactly 2 trunk errors: $(cat "$TI_DIR/err")"

# 2. A context the plan lacks, named by the [pbx], at the config's line.
cp "$TI_TEST_DIR/good.dialplan" "$plan"
sed -i 's/^context = outbound$/context = nowhere/' "$conf"
line=$(grep -n '^context = nowhere$' "$conf" | cut -d: -f1)
[ -n "$line" ] || ti_fail "could not set a missing context"
rc=0
ti_exec "$TRUNKD" --check-config "$conf" >"$TI_DIR/out" 2>"$TI_DIR/err" || rc=$?
[ "$rc" = 1 ] || ti_fail "--check-config with a missing context: exit $rc"
has_error "$conf:$line: context nowhere is not in the dial plan" ||
	ti_fail "--check-config: no $conf:$line context error: $(cat "$TI_DIR/err")"
sed -i 's/^context = nowhere$/context = outbound/' "$conf"

# 2b. A [location] the [pbx] names but the config lacks (EM-5).
sed -i 's/^context = outbound$/context = outbound\nlocation = hq/' "$conf"
line=$(grep -n '^location = hq$' "$conf" | cut -d: -f1)
[ -n "$line" ] || ti_fail "could not set a missing location"
rc=0
ti_exec "$TRUNKD" --check-config "$conf" >"$TI_DIR/out" 2>"$TI_DIR/err" || rc=$?
[ "$rc" = 1 ] || ti_fail "--check-config with a missing location: exit $rc"
has_error "$conf:$line: location hq: no [location hq]" ||
	ti_fail "--check-config: no $conf:$line location error: $(cat "$TI_DIR/err")"
printf '\n[location hq]\ngeodetic = 40.7128 -74.0060\n' >>"$conf"

# 3. Start with the bad plan: refused, exit 1, the error on stderr.
cp "$TI_TEST_DIR/bad.dialplan" "$plan"
rc=0
ti_exec "$TRUNKD" --config "$conf" >"$TI_DIR/out" 2>"$TI_DIR/err" || rc=$?
[ "$rc" = 1 ] || ti_fail "start with a bad plan: exit $rc, expected 1"
has_error "$plan:5: trunk nosuch is not configured" ||
	ti_fail "start: no $plan:5 error: $(cat "$TI_DIR/err")"

# 4. Start with the good plan, reload with the bad one: refused with
# file:line, and the running plan still decides.
cp "$TI_TEST_DIR/good.dialplan" "$plan"
ti_exec "$TRUNKD" --check-config "$conf" >/dev/null 2>&1 ||
	ti_fail "--check-config of the good plan failed"
ti_trunkd_start "$conf"
cp "$TI_TEST_DIR/bad.dialplan" "$plan"
rc=0
reply=$(ti_ctl reload) || rc=$?
[ "$rc" = 1 ] || ti_fail "reload with a bad plan: exit $rc, expected 1: $reply"
ti_json_check "$reply" "j['ok'] is False and
	'$plan:5: trunk nosuch' in j['error']" "refused reload names $plan:5"
live=$(ti_ctl dialplan test 2125551234) || ti_fail "dialplan test: $live"
ti_json_check "$live" "j['rule'].endswith('test.dialplan:3') and
	j['number'] == '+12125551234'" "the running plan after a refused reload"
ti_pass
