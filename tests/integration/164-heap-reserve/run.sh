#!/usr/bin/env bash
# 164-heap-reserve: [global] heap_reserve = 64 makes trunkd take and touch
# 64 MB of heap at start-up and keep it mapped once freed: its resident
# memory is at least 64 MB while the heap in use (trunkctl status heap)
# stays small; without the key the same daemon stays well below 64 MB; a
# value over the range is refused naming file and line.
# REQ: none (performance: page faults on the signalling thread)
. "$(dirname "$0")/../lib.sh"
ti_setup

RESERVE_KB=$((64 * 1024))

# rss_kb: trunkd's VmRSS in kB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$(ti_pid trunkd)/status"; }

printf '[global]\nheap_reserve = 4000\n' >"$TI_DIR/bad.conf"
if out=$(ti_exec "$TRUNKD" --check-config "$TI_DIR/bad.conf" 2>&1); then
	ti_fail "heap_reserve = 4000 accepted: $out"
fi
[[ $out == *"bad.conf:2"*"heap_reserve"* ]] ||
	ti_fail "heap_reserve = 4000: the error names no file:line and key: $out"

# Without a reserve: the baseline this test's verdict must be able to fail.
ti_config_default
ti_trunkd_start "$TI_DIR/trunkd.conf"
base=$(rss_kb)
ti_log "without heap_reserve: VmRSS $base kB"
[ "$base" -lt "$RESERVE_KB" ] ||
	ti_fail "trunkd without heap_reserve already has $base kB resident"
ti_stop trunkd

# With it: the key goes into [global] (the default config's first section).
awk '{ print } /^\[global\]$/ { print "heap_reserve = 64" }' \
	"$SOURCE_ROOT/config/trunkd.conf" >"$TI_DIR/src.conf"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
grep -q '^heap_reserve = 64$' "$TI_DIR/trunkd.conf" ||
	ti_fail "the test config has no heap_reserve line"
ti_trunkd_start "$TI_DIR/trunkd.conf"
rss=$(rss_kb)
status=$(ti_ctl status heap) || ti_fail "trunkctl status heap exited $?: $status"
heap=$(ti_json "$status" "j['heap_bytes']")
ti_log "heap_reserve = 64: VmRSS $rss kB, heap in use $heap bytes"
[ "$rss" -ge "$RESERVE_KB" ] ||
	ti_fail "heap_reserve = 64 but trunkd has only $rss kB resident"
[ "$heap" -lt $((32 * 1024 * 1024)) ] ||
	ti_fail "the reserve counts as heap in use ($heap bytes): it must be free heap"
grep -q 'heap_reserve: 64 MB taken' "$TI_DIR/trunkd.log" ||
	ti_fail "trunkd logged no 'heap_reserve: 64 MB taken'"
ti_stop trunkd
ti_pass
