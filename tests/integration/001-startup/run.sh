#!/usr/bin/env bash
# 001-startup: trunkd starts with the default config, answers status on its
# control socket (mode 0600) and OPTIONS on every listener.
# REQ: SC-8-1
. "$(dirname "$0")/../lib.sh"
ti_setup

version=$(ti_exec "$TRUNKD" --version) || ti_fail "trunkd --version exited $?"
[[ $version == "trunkd 0.1.0"* ]] || ti_fail "trunkd --version printed '$version'"

ti_config "$SOURCE_ROOT/config/trunkd.conf" "$TI_DIR/trunkd.conf"
# Started with a soft open-files limit of 1,024 (a shell's usual), trunkd
# raises it to the hard limit (four descriptors per call).
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -gt 1024 ] && ulimit -Sn 1024
ti_trunkd_start "$TI_DIR/trunkd.conf"
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$(ti_pid trunkd)/limits")
if [ "$hard" = unlimited ] || [ "$hard" -gt 1024 ]; then
	[ "$soft" = "$hard" ] ||
		ti_fail "trunkd's open-files limit is $soft, not the hard limit $hard"
else
	ti_log "hard open-files limit $hard: nothing to raise"
fi

mode=$(stat -c %a "$TI_SOCK")
[ "$mode" = 600 ] || ti_fail "control socket mode is $mode, expected 600"

status=$(ti_ctl status) || ti_fail "trunkctl status exited $?: $status"
ti_json_check "$status" 'j["ok"] is True' "status"
ti_json_check "$status" 'j["version"] == "0.1.0"' "status version"
ti_json_check "$status" 'j["generation"] == 1' "status generation"
ti_json_check "$status" "j['config'] == '$TI_DIR/trunkd.conf'" "status config"
ti_json_check "$status" "j['pid'] == $(ti_pid trunkd)" "status pid"
ti_json_check "$status" '[t["name"] for t in j["trunks"]] == ["local"]' \
	"status trunks"
ti_json_check "$status" 'j["trunks"][0]["mode"] == "static"' "trunk mode"
# The heap walk (mallinfo2(), milliseconds on a busy daemon's heap during
# which no SIP is read) only on request, never in a monitor's plain poll.
ti_json_check "$status" '"heap_bytes" not in j' "plain status walks no heap"
status=$(ti_ctl status heap) || ti_fail "trunkctl status heap exited $?: $status"
ti_json_check "$status" 'j["heap_bytes"] > 100000 and j["heap_walk_us"] >= 0' \
	"status heap"
ti_json_check "$status" '[t["name"] for t in j["trunks"]] == ["local"]' \
	"status heap has the rest"
if out=$(ti_ctl status bogus); then
	ti_fail "status with an unknown argument answered ok: $out"
fi
ti_json_check "$out" '"unknown argument" in j["error"]' "status bogus"

# Every listener of the default config, on UDP and TCP; all are probed
# before the verdict so that a failure names every listener concerned.
failed=
for side in 5060 5080; do
	port=$(ti_port "$side")
	ti_wait_port udp 127.0.0.1 "$port" 5
	ti_wait_port tcp 127.0.0.1 "$port" 5
	for tr in u1 t1; do
		rc=0
		ti_sipp "options-$tr-$side" "$TI_TEST_DIR/options.xml" "$tr" \
			127.0.0.1 "$port" || rc=$?
		[ "$rc" = 0 ] || failed+=" $tr:127.0.0.1:$port(SIPp exit $rc)"
	done
done
[ -z "$failed" ] || ti_fail "OPTIONS probe failed for:$failed"

ti_pass
