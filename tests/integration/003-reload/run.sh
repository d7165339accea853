#!/usr/bin/env bash
# 003-reload: a good reload (trunkctl) applies a new trunk; a bad one is
# refused with FILE:LINE and changes nothing (status, SIP listener); SIGHUP
# reloads like trunkctl.
# REQ: none (reload; DESIGN 11, no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
ti_setup

live=$TI_DIR/trunkd.conf
default=$SOURCE_ROOT/config/trunkd.conf

# install SRC...: the concatenation of SRC... becomes the live config,
# replaced atomically (rename) so trunkd never reads half a file.
install()
{
	cat "$@" >"$TI_DIR/next.src"
	ti_config "$TI_DIR/next.src" "$TI_DIR/next.conf"
	mv "$TI_DIR/next.conf" "$live"
}

# trunks_are GENERATION NAME...: status shows that generation and exactly
# those trunks, in that order.
trunks_are()
{
	local gen=$1 names status
	shift
	names=$(printf '"%s",' "$@")
	status=$(ti_ctl status) || return 1
	[ "$(ti_json "$status" "j['generation'] == $gen and
		[t['name'] for t in j['trunks']] == [${names%,}]")" = True ]
}

install "$default"
ti_trunkd_start "$live"
trunks_are 1 local || ti_fail "start: status is not generation 1 with [local]"

# 1. A valid change through trunkctl.
install "$default" "$TI_TEST_DIR/trunk-second.conf"
reply=$(ti_ctl reload) || ti_fail "reload of a valid config: exit $?: $reply"
ti_json_check "$reply" 'j["ok"] is True and j["generation"] == 2' "reload reply"
trunks_are 2 local second ||
	ti_fail "after reload: status is not generation 2 with [local, second]"

# 2. A broken file: refused with FILE:LINE, nothing changes.
printf 'frobnicate = yes\n' >"$TI_DIR/broken-line.conf"
install "$default" "$TI_TEST_DIR/trunk-second.conf" "$TI_DIR/broken-line.conf"
line=$(grep -n '^frobnicate' "$live" | cut -d: -f1)
rc=0
reply=$(ti_ctl reload) || rc=$?
[ "$rc" = 1 ] || ti_fail "reload of a broken config: exit $rc, expected 1: $reply"
ti_json_check "$reply" "j['ok'] is False and
	'$live:$line:' in j['error']" "refused reload names $live:$line"
trunks_are 2 local second ||
	ti_fail "after a refused reload: status changed from generation 2 with [local, second]"
for tr in u1 t1; do
	ti_sipp "options-$tr" "$TI_ROOT/peers/options-ping.xml" "$tr" \
		127.0.0.1 "$(ti_port 5060)" ||
		ti_fail "after a refused reload: OPTIONS over $tr: SIPp exited $?"
done

# 3. SIGHUP with a valid file (the second trunk removed again).
install "$default"
kill -HUP "$(ti_pid trunkd)"
ti_wait_until 10 trunks_are 3 local ||
	ti_fail "SIGHUP: status did not reach generation 3 with [local] in 10 s"
ti_running trunkd || ti_fail "trunkd exited after SIGHUP"

ti_pass
