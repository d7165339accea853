#!/usr/bin/env bash
# 166-signalling-slice: [global] signalling_slice sets the scheduler time
# slice of trunkd's signalling thread (sched_setattr, Linux 6.12 and
# later) and of no other thread: the kernel's own record of each thread
# (/proc/PID/task/TID/sched, se.slice) shows it, `trunkctl status`
# reports it, a reload changes it (0: the kernel's own slice again), a
# failed reload keeps it, a thread started later (the DNS worker) does
# not keep it, and a value over the range is refused naming file and
# line; under a real-time policy trunkd warns that it was not applied. On a kernel without per-thread slices trunkd must say so in
# its log and report 0.
# REQ: none (performance: INVITE added latency on a shared machine)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# slice_ns TID: the kernel's slice of trunkd's thread TID (ns), or "" on
# a kernel without EEVDF slices.
slice_ns()
{
	awk '$1 == "se.slice" { print $3 }' \
		"/proc/$(ti_pid trunkd)/task/$1/sched"
}

# conf VALUE: the test config with signalling_slice = VALUE in [global]
# ("" : without the key), written where the running trunkd reads it.
conf()
{
	awk -v v="$1" '{ print } /^\[global\]$/ && v != "" {
		print "signalling_slice = " v }' \
		"$SOURCE_ROOT/config/trunkd.conf" >"$TI_DIR/src.conf"
	ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
}

# reported: what `trunkctl status` says of the slice (us).
reported()
{
	local status
	status=$(ti_ctl status) || ti_fail "trunkctl status exited $?: $status"
	ti_json "$status" "j['signalling_slice_us']"
}

# check US: the signalling thread (the main thread: TID = PID) has a
# slice of US microseconds and trunkctl says so; every other thread of
# trunkd keeps the kernel's own ($default).
check()
{
	local pid tid got
	pid=$(ti_pid trunkd)
	got=$(slice_ns "$pid")
	[ "$got" = $(($1 * 1000)) ] ||
		ti_fail "signalling thread's se.slice is $got ns, expected $(($1 * 1000))"
	[ "$(reported)" = "$1" ] ||
		ti_fail "trunkctl status signalling_slice_us $(reported), expected $1"
	for tid in $(ls "/proc/$pid/task"); do
		[ "$tid" = "$pid" ] && continue
		got=$(slice_ns "$tid")
		[ "$got" = "$default" ] ||
			ti_fail "thread $tid has se.slice $got ns, not the kernel's $default"
	done
}

printf '[global]\nsignalling_slice = 200000\n' >"$TI_DIR/bad.conf"
if out=$(ti_exec "$TRUNKD" --check-config "$TI_DIR/bad.conf" 2>&1); then
	ti_fail "signalling_slice = 200000 accepted: $out"
fi
[[ $out == *"bad.conf:2"*"signalling_slice"* ]] ||
	ti_fail "signalling_slice = 200000: the error names no file:line and key: $out"

# The kernel's own slice: this shell's (nobody set one for it).
default=$(awk '$1 == "se.slice" { print $3 }' /proc/self/sched)
IFS=. read -r major minor _ <<<"$(uname -r)"
conf 250
ti_trunkd_start "$TI_DIR/trunkd.conf"
if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 12 ]; }; then
	ti_log "kernel $(uname -r): no per-thread slices"
	grep -q 'this kernel has no per-thread time slices' "$TI_DIR/trunkd.log" ||
		ti_fail "kernel $(uname -r) ignores slices but trunkd did not say so"
	[ "$(reported)" = 0 ] ||
		ti_fail "kernel $(uname -r): trunkctl status reports a slice of $(reported) us"
	ti_stop trunkd
	ti_pass
fi
[ -n "$default" ] && [ "$default" != 250000 ] ||
	ti_fail "cannot tell the kernel's own slice ($default ns)"
ti_log "kernel $(uname -r): default slice $default ns"
check 250
grep -q "signalling thread's time slice 250 us" "$TI_DIR/trunkd.log" ||
	ti_fail "trunkd did not log the slice it set"

conf 400
reply=$(ti_ctl reload) || ti_fail "reload to 400 us: exit $?: $reply"
check 400

# A failed reload keeps the running configuration, slice included.
sed -i 's/^signalling_slice = 400$/signalling_slice = 5x/' "$TI_DIR/trunkd.conf"
grep -q '^signalling_slice = 5x$' "$TI_DIR/trunkd.conf" ||
	ti_fail "the test config has no signalling_slice line to spoil"
if reply=$(ti_ctl reload); then
	ti_fail "a reload with signalling_slice = 5x succeeded: $reply"
fi
[[ $reply == *"signalling_slice"* ]] ||
	ti_fail "the failed reload does not name the key: $reply"
check 400

conf ""
reply=$(ti_ctl reload) || ti_fail "reload without the key: exit $?: $reply"
check 100 # the default

conf 0
reply=$(ti_ctl reload) || ti_fail "reload to 0: exit $?: $reply"
[ "$(slice_ns "$(ti_pid trunkd)")" = "$default" ] ||
	ti_fail "signalling_slice = 0: se.slice $(slice_ns "$(ti_pid trunkd)") ns, not the kernel's $default"
[ "$(reported)" = $((default / 1000)) ] ||
	ti_fail "signalling_slice = 0: trunkctl status says $(reported) us"
ti_stop trunkd

# A thread started later from the signalling thread (the DNS worker, at
# the first lookup of a trunk by domain that a reload added) keeps the
# kernel's slice, not the one it was created with. Its resolv.conf needs
# the test's own network namespace.
if [ -n "$TI_NETNS" ]; then
	ti_dns_resolver
	ti_dnsmasq dns --local=/carrier.test/ \
		--srv-host=_sip._udp.carrier.test,sse1.carrier.test,"$(ti_port 5090)",10,10 \
		--host-record=sse1.carrier.test,127.0.0.3
	conf 250
	ti_trunkd_start "$TI_DIR/trunkd.conf"
	threads=$(ls "/proc/$(ti_pid trunkd)/task" | wc -l)
	cat "$TI_TEST_DIR/trunk.conf" >>"$TI_DIR/src.conf"
	ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
	reply=$(ti_ctl reload) || ti_fail "reload adding a trunk by domain: exit $?: $reply"
	ti_wait_until 10 tc_dns_answered dns 0 ||
		ti_fail "no DNS answer for carrier.test: $(tc_dns dns state)"
	[ "$(ls "/proc/$(ti_pid trunkd)/task" | wc -l)" -gt "$threads" ] ||
		ti_fail "no DNS worker thread after the first lookup"
	check 250
	ti_stop trunkd
else
	ti_log "no network namespace: the DNS worker case not run"
fi

# Under a real-time policy the thread has no slice: trunkd says the value
# was not applied (needs CAP_SYS_NICE to start it so).
if chrt -f 1 true 2>/dev/null; then
	conf 250
	ti_start trunkd chrt -f 1 "$TRUNKD" --config "$TI_DIR/trunkd.conf"
	ti_wait_until 10 ti__trunkd_up || ti_fail "trunkd under chrt did not start"
	grep -q 'signalling_slice 250 us not applied: the thread runs under a real-time policy' \
		"$TI_DIR/trunkd.log" ||
		ti_fail "trunkd under SCHED_FIFO did not say the slice was not applied"
	[ "$(reported)" = 0 ] ||
		ti_fail "under SCHED_FIFO trunkctl status reports a slice of $(reported) us"
	ti_stop trunkd
else
	ti_log "no CAP_SYS_NICE: the real-time case not run"
fi
ti_pass
