# shellcheck shell=bash
#
# Integration test harness (STYLE.md 17). Each tests/integration/NNN-name/
# run.sh starts with
#
#     . "$(dirname "$0")/../lib.sh"
#     ti_setup
#
# and ends with ti_pass (or dies through ti_fail / a failing command).
#
# What it gives a test:
#   - strict mode (set -euo pipefail) and a hard time bound on the whole
#     script (TI_TIME_LIMIT seconds, below meson's timeout) plus one on every
#     foreground command run through ti_exec (TI_CMD_TIMEOUT);
#   - a temp dir $TI_DIR (logs, state files: $TI_STATE) kept on failure;
#   - as root, a private network namespace: 127.0.0.1 is ours alone, so the
#     fixed ports of the configs cannot collide with anything. Otherwise the
#     test runs on the host and ti_config moves every listen/peer port of a
#     config to a free one; `ti_port 5060` names the port actually used
#     either way;
#   - background processes (ti_start) whose PIDs are recorded, and a cleanup
#     that stops those PIDs and no other process: SIGTERM, a bounded wait,
#     SIGKILL;
#   - bounded polling instead of sleeps: ti_wait_port, ti_wait_file,
#     ti_wait_until.
#
# Verdicts come from peers' exit codes and from wire contents. trunkd's own
# log is only printed on failure, never grepped, except by a test whose
# subject is the log itself.
#
# Environment (set by tests/integration/meson.build; defaults for running a
# run.sh by hand from the source tree): TRUNKD, TRUNKCTL, SOURCE_ROOT,
# BUILD_ROOT; TI_TIME_LIMIT, TI_CMD_TIMEOUT, TI_KEEP=1 keeps the temp dir,
# TI_NO_NETNS=1 runs on the host network even as root.

set -euo pipefail

TI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TI_TEST_DIR=$(cd "$(dirname "$0")" && pwd)
TI_TEST=$(basename "$TI_TEST_DIR")
: "${SOURCE_ROOT:=$(cd "$TI_ROOT/../.." && pwd)}"
: "${BUILD_ROOT:=$SOURCE_ROOT/build}"
: "${TRUNKD:=$BUILD_ROOT/trunk/trunkd}"
: "${TRUNKCTL:=$BUILD_ROOT/tools/trunkctl}"
: "${TI_TIME_LIMIT:=100}"
: "${TI_CMD_TIMEOUT:=20}"
export SOURCE_ROOT BUILD_ROOT TRUNKD TRUNKCTL

TI_DIR=
TI_STATE=
TI_NETNS=
TI_WATCHDOG=
TI_VERDICT=
declare -A TI_PIDS=()

ti_log() { printf '[%s] %s\n' "$TI_TEST" "$*" >&2; }

ti_fail()
{
	ti_log "FAIL: $*"
	TI_VERDICT=fail
	exit 1
}

ti_pass()
{
	TI_VERDICT=pass
	ti_log "PASS"
	exit 0
}

# ---------------------------------------------------------------------------
# Time

# Microseconds since the epoch, into the named variable (no subshell).
ti__now() { printf -v "$1" '%s' "${EPOCHREALTIME/./}"; }

# "2.5" -> 2500000
ti__secs_to_us()
{
	local s=$1 i f=
	i=${s%%.*}
	[[ $s == *.* ]] && f=${s#*.}
	f=${f}000000
	printf -v "$2" '%s' "$((10#${i:-0} * 1000000 + 10#${f:0:6}))"
}

# ti_wait_until TIMEOUT CMD [ARG...]: poll CMD every 50 ms until it succeeds;
# returns 1 when TIMEOUT seconds pass first.
ti_wait_until()
{
	local timeout=$1 now us deadline
	shift
	ti__secs_to_us "$timeout" us
	ti__now now
	deadline=$((now + us))
	while true; do
		if "$@"; then
			return 0
		fi
		ti__now now
		if ((now >= deadline)); then
			return 1
		fi
		sleep 0.05
	done
}

# ti_wait_file FILE TIMEOUT: until FILE exists (any type: socket, regular).
ti_wait_file()
{
	ti_wait_until "$2" test -e "$1" ||
		ti_fail "$1 did not appear within $2 s"
}

# ---------------------------------------------------------------------------
# Setup and cleanup

# The watchdog: after TI_TIME_LIMIT seconds, SIGTERM to the test's shell and
# to its direct children (our peers, our daemons, the `timeout` wrapping a
# foreground command), so that the EXIT trap runs at once instead of after
# the foreground command.
ti__watchdog_run()
{
	local main=$1 limit=$2 netns=$3 sp p
	trap - EXIT INT HUP
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$limit" &
	sp=$!
	wait "$sp" || exit 0
	printf '[%s] time limit of %s s reached\n' "$TI_TEST" "$limit" >&2
	kill -TERM "$main" 2>/dev/null
	for p in $(pgrep -P "$main"); do
		[ "$p" = "$BASHPID" ] || kill -TERM "$p" 2>/dev/null
	done
	# The EXIT trap stops our processes; if the script is still stuck
	# after a grace period (a foreground command whose grandchild holds
	# its output), whatever runs in the test's own namespace is ours:
	# SIGKILL it, so that nothing outlives the test.
	sleep 10 &
	sp=$!
	wait "$sp" || exit 0
	ti__kill_netns "$netns"
	exit 0
}

# ti__kill_netns NS: SIGKILL every process left in the test's own network
# namespace NS (only processes this test started run there).
ti__kill_netns()
{
	local p
	[ -n "$1" ] || return 0
	for p in $(ip netns pids "$1" 2>/dev/null); do
		ti_log "pid $p still running in $1 at exit: SIGKILL"
		kill -KILL "$p" 2>/dev/null
	done
}

# ti_dns_resolver: processes of the test's namespace (trunkd) resolve
# through a DNS server on 127.0.0.1:53 that the test starts (dnsmasq):
# /etc/netns/NS/resolv.conf, which "ip netns exec" mounts over
# /etc/resolv.conf, removed at exit. Fails without dnsmasq; without a
# namespace (not root) the test is skipped (77). Call after ti_setup.
ti_dns_resolver()
{
	command -v dnsmasq >/dev/null ||
		ti_fail "dnsmasq not found (apt-get install dnsmasq-base)"
	if [ -z "$TI_NETNS" ]; then
		ti_log "SKIP: needs a network namespace (root) for its own resolv.conf"
		exit 77
	fi
	mkdir -p "/etc/netns/$TI_NETNS"
	# set +e: under errexit the failing (exit $rc) would end the trap before
	# ti__on_exit, leaving the test's processes running.
	trap 'rc=$?; set +e; rm -rf "/etc/netns/$TI_NETNS"; (exit $rc); ti__on_exit' EXIT
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n' \
		>"/etc/netns/$TI_NETNS/resolv.conf"
}

# ti_dnsmasq NAME RECORD...: the DNS server of ti_dns_resolver, a dnsmasq
# on 127.0.0.1:53 serving only RECORDs (--host-record=..., --srv-host=...,
# --naptr-record=...) and logging every query to NAME.log; started as
# process NAME, waited for (bounded).
ti_dnsmasq()
{
	local name=$1
	shift
	ti_start "$name" dnsmasq --keep-in-foreground --port=53 \
		--listen-address=127.0.0.1 --bind-interfaces --no-resolv \
		--no-hosts --pid-file= --log-queries --log-facility=- "$@"
	ti_wait_port udp 127.0.0.1 53 10
}

ti_setup()
{
	local tool
	for tool in ip ss python3 timeout pgrep; do
		command -v "$tool" >/dev/null ||
			ti_fail "$tool not found (apt-get install iproute2 python3 coreutils procps)"
	done
	TI_DIR=$(mktemp -d "${TMPDIR:-/tmp}/trunkd-it-$TI_TEST.XXXXXX")
	TI_DIR=$(cd "$TI_DIR" && pwd -P) # the daemon reports resolved paths
	TI_STATE=$TI_DIR/state
	mkdir -p "$TI_STATE"
	: >"$TI_DIR/ports"
	trap ti__on_exit EXIT
	trap 'ti_log "interrupted"; exit 130' INT
	trap 'ti_log "terminated"; exit 143' TERM HUP

	if [ "$(id -u)" = 0 ] && [ "${TI_NO_NETNS:-0}" != 1 ]; then
		local ns="trunkd-t-$$-$RANDOM"
		if ip netns add "$ns" 2>"$TI_DIR/netns.err"; then
			TI_NETNS=$ns
		else
			ti_log "no network namespace ($(cat "$TI_DIR/netns.err")); using host ports"
		fi
	fi
	ti__watchdog_run "$$" "$TI_TIME_LIMIT" "$TI_NETNS" &
	TI_WATCHDOG=$!
	if [ -n "$TI_NETNS" ]; then
		ip -n "$TI_NETNS" link set lo up ||
			ti_fail "cannot bring up lo in namespace $TI_NETNS"
	fi
	if [ -n "$TI_NETNS" ]; then
		ti_log "temp dir $TI_DIR, network namespace $TI_NETNS"
	else
		ti_log "temp dir $TI_DIR, host network with free ports"
	fi
}

ti__alive()
{
	local st
	[ -r "/proc/$1/stat" ] || return 1
	read -r st <"/proc/$1/stat" 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

ti__dead() { ! ti__alive "$1"; }

# ti_wait_exit NAME TIMEOUT: wait for a process started with ti_start to
# exit; its exit status goes to TI_EXIT_STATUS (128+N for signal N).
# Returns 1 if it is still running after TIMEOUT seconds.
TI_EXIT_STATUS=
ti_wait_exit()
{
	local pid=${TI_PIDS[$1]:?"ti_wait_exit: unknown process $1"}
	ti_wait_until "$2" ti__dead "$pid" || return 1
	TI_EXIT_STATUS=0
	wait "$pid" || TI_EXIT_STATUS=$?
	unset "TI_PIDS[$1]"
	return 0
}

# ti_stop NAME [TIMEOUT]: SIGTERM, wait up to TIMEOUT (5 s), then SIGKILL.
# Exit status in TI_EXIT_STATUS.
ti_stop()
{
	local name=$1 timeout=${2:-5} pid
	pid=${TI_PIDS[$name]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	if ! ti_wait_exit "$name" "$timeout"; then
		ti_log "$name (pid $pid) ignored SIGTERM for $timeout s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		ti_wait_exit "$name" 5 || ti_log "$name (pid $pid) survived SIGKILL"
	fi
}

# ti__stop_trunkd: trunkd at the end of a test: SIGTERM (it drains its
# calls for shutdown_grace), a second SIGTERM after 5 s (it ends them at
# once), SIGKILL only 10 s later. A trunkd that needs the SIGKILL fails the
# test: it hangs on shutdown, and under ASan its leak check never ran.
ti__stop_trunkd()
{
	local pid=${TI_PIDS[trunkd]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	ti_wait_exit trunkd 5 && return 0
	kill -TERM "$pid" 2>/dev/null || true
	ti_wait_exit trunkd 10 && return 0
	ti_log "FAIL: trunkd (pid $pid) still running 15 s after SIGTERM: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	ti_wait_exit trunkd 5 || ti_log "trunkd (pid $pid) survived SIGKILL"
	return 1
}

# ti__sanitizer_reports: the process logs in $TI_DIR that hold an
# AddressSanitizer, LeakSanitizer or UBSan report (none: empty output).
ti__sanitizer_reports()
{
	grep -lE '==[0-9]+==ERROR: (Address|Leak)Sanitizer|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|: runtime error: ' \
		"$TI_DIR"/*.log 2>/dev/null | tr '\n' ' '
}

ti__on_exit()
{
	local rc=$? name f
	trap - EXIT INT TERM HUP
	set +e
	if [ "$rc" = 0 ] && [ "$TI_VERDICT" != pass ]; then
		ti_log "FAIL: run.sh ended without a verdict (ti_pass)"
		rc=1
	fi
	for name in "${!TI_PIDS[@]}"; do
		if [ "$name" = trunkd ]; then
			ti__stop_trunkd || { [ "$rc" != 0 ] || rc=1; }
		else
			ti_stop "$name" 3
		fi
	done
	if [ -n "$TI_WATCHDOG" ]; then
		kill -TERM "$TI_WATCHDOG" 2>/dev/null
		wait "$TI_WATCHDOG" 2>/dev/null
	fi
	# A sanitizer report of any process the test started (trunkd under
	# ASan/UBSan in CI) fails the test even when the wire looked right:
	# leaks and UBSan findings at exit change no behaviour a test sees.
	if [ "$rc" = 0 ] && [ -n "$TI_DIR" ]; then
		f=$(ti__sanitizer_reports)
		if [ -n "$f" ]; then
			ti_log "FAIL: sanitizer report in: $f"
			rc=1
		fi
	fi
	if [ -n "$TI_NETNS" ]; then
		ti__kill_netns "$TI_NETNS"
		ip netns del "$TI_NETNS" || ti_log "could not delete namespace $TI_NETNS"
	fi
	if [ "$rc" != 0 ] || [ "${TI_KEEP:-0}" = 1 ]; then
		if [ "$rc" != 0 ] && [ -n "$TI_DIR" ]; then
			# Process logs (ti_start) and SIPp error logs; the
			# messages and screens stay in *.txt.
			for f in "$TI_DIR"/*.log; do
				[ -e "$f" ] || continue
				printf -- '--- tail of %s\n' "$f" >&2
				tail -n 40 "$f" >&2
			done
		fi
		[ -n "$TI_DIR" ] && ti_log "kept $TI_DIR"
	elif [ -n "$TI_DIR" ]; then
		rm -rf "$TI_DIR"
	fi
	exit "$rc"
}

# ---------------------------------------------------------------------------
# Processes

# ti_exec CMD [ARG...]: run CMD in the test's network (namespace or host),
# bounded by TI_CMD_TIMEOUT seconds; returns CMD's exit status (124: timeout).
ti_exec()
{
	if [ -n "$TI_NETNS" ]; then
		timeout -k 2 "$TI_CMD_TIMEOUT" ip netns exec "$TI_NETNS" "$@"
	else
		timeout -k 2 "$TI_CMD_TIMEOUT" "$@"
	fi
}

# ti_start NAME CMD [ARG...]: start CMD in the background in the test's
# network; stdout and stderr go to $TI_DIR/NAME.log, the PID to TI_PIDS[NAME]
# ("ip netns exec" execs CMD, so $! is CMD's own PID). Must be called from
# the test's main shell, not from a $(...) subshell.
ti_start()
{
	local name=$1
	shift
	[ -z "${TI_PIDS[$name]:-}" ] || ti_fail "ti_start: $name already running"
	if [ -n "$TI_NETNS" ]; then
		ip netns exec "$TI_NETNS" "$@" >"$TI_DIR/$name.log" 2>&1 </dev/null &
	else
		"$@" >"$TI_DIR/$name.log" 2>&1 </dev/null &
	fi
	TI_PIDS[$name]=$!
}

ti_pid() { printf '%s\n' "${TI_PIDS[$1]:?"ti_pid: unknown process $1"}"; }

# ti_running NAME: the process is alive (not exited, not a zombie).
ti_running() { [ -n "${TI_PIDS[$1]:-}" ] && ti__alive "${TI_PIDS[$1]}"; }

# ---------------------------------------------------------------------------
# Ports and configs

# ti_free_port: a port free for both UDP and TCP on 127.0.0.1 right now.
ti_free_port() { python3 "$TI_ROOT/ti_config.py" --free-port; }

# ti_port PORT: the port that stands for PORT of the configs and peer files:
# PORT itself in a namespace, otherwise a free port chosen once per test
# (kept in $TI_DIR/ports, so $(ti_port N) agrees across subshells).
ti_port()
{
	local want=$1 orig actual
	if [ -n "$TI_NETNS" ]; then
		printf '%s\n' "$want"
		return 0
	fi
	while read -r orig actual; do
		if [ "$orig" = "$want" ]; then
			printf '%s\n' "$actual"
			return 0
		fi
	done <"$TI_DIR/ports"
	actual=$(ti_free_port)
	printf '%s %s\n' "$want" "$actual" >>"$TI_DIR/ports"
	printf '%s\n' "$actual"
}

# ti_config SRC DST: copy a trunkd config for this test. State paths
# (control_socket, cdr_database, instance_id_file, pid_file) are rewritten
# in place to $TI_STATE/{trunkd.sock,cdr.sqlite,instance-id,trunkd.pid};
# the first three are added to [global] when SRC lacks them, so nothing is
# written outside the temp dir. Without a namespace, every port of the
# listen and peer addresses becomes $(ti_port PORT). Line numbers are kept
# when SRC already names all three state paths.
TI_SOCK=
TI_PIDFILE=
ti_config()
{
	local remap=()
	[ -n "$TI_NETNS" ] || remap=(--port-map "$TI_DIR/ports")
	python3 "$TI_ROOT/ti_config.py" --state-dir "$TI_STATE" "${remap[@]}" \
		"$1" "$2" || ti_fail "ti_config $1: cannot rewrite"
	TI_SOCK=$TI_STATE/trunkd.sock
	TI_PIDFILE=$TI_STATE/trunkd.pid
}

# ti_config_default [--drop SECTION]... [EXTRA.conf]...: the test's
# $TI_DIR/trunkd.conf made from config/trunkd.conf without the named
# sections ("trunk local", "enterprise": header up to the next section),
# followed by the EXTRA files, through ti_config.
ti_config_default()
{
	local drop=() extra=()
	while [ $# -gt 0 ]; do
		case $1 in
		--drop) drop+=("[$2]"); shift 2 ;;
		*) extra+=("$1"); shift ;;
		esac
	done
	awk -v drop="$(printf '%s\n' "${drop[@]}")" '
		BEGIN { n = split(drop, d, "\n"); for (i = 1; i <= n; i++) del[d[i]] = 1 }
		/^\[/ { skip = ($0 in del) }
		!skip' "$SOURCE_ROOT/config/trunkd.conf" >"$TI_DIR/src.conf"
	[ ${#extra[@]} -eq 0 ] || cat "${extra[@]}" >>"$TI_DIR/src.conf"
	ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
}

# ti_wait_port PROTO HOST PORT TIMEOUT: until something listens on
# HOST:PORT (PROTO tcp or udp) in the test's network.
ti__listening()
{
	local opt=-ltnH
	[ "$1" = udp ] && opt=-lunH
	ti_exec ss "$opt" "sport = :$3" 2>/dev/null |
		awk -v a="$2:$3" -v p=":$3" '
			$4 == a || $4 == "0.0.0.0" p || $4 == "*" p ||
			$4 == "[::]" p || $4 == "[" a "]" { found = 1 }
			END { exit !found }'
}

ti_wait_port()
{
	ti_wait_until "$4" ti__listening "$1" "$2" "$3" ||
		ti_fail "nothing listens on $1 $2:$3 after $4 s"
}

# ---------------------------------------------------------------------------
# trunkd, trunkctl and SIPp

# ti_carrier NAME SCENARIO: the carrier, a SIPp running the test's
# SCENARIO once over UDP on 127.0.0.1:$(ti_port 5090) (the trunk's proxy
# port), tracing messages, errors and actions to NAME.msg.txt,
# NAME.err.log and NAME.actions.txt; waited for (bounded).
ti_carrier()
{
	ti_start "$1" sipp -sf "$TI_TEST_DIR/$2" -m 1 -t u1 -i 127.0.0.1 \
		-p "$(ti_port 5090)" -nostdin -timeout 20s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log" \
		-trace_logs -log_file "$TI_DIR/$1.actions.txt"
	ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
}

# ti_carrier_done NAME: wait (20 s) for ti_carrier NAME to end; fail
# unless its scenario passed.
ti_carrier_done()
{
	ti_wait_exit "$1" 20 || ti_fail "$1 SIPp did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] ||
		ti_fail "$1 scenario failed (SIPp exit $TI_EXIT_STATUS)"
}

# ti_trunkd_start CONFIG [ARG...]: start trunkd as process "trunkd" and wait
# (bounded) until its control socket exists.
ti_trunkd_start()
{
	local cfg=$1
	shift
	[ -x "$TRUNKD" ] || ti_fail "no trunkd at $TRUNKD (build first)"
	ti_start trunkd "$TRUNKD" --config "$cfg" "$@"
	ti_wait_until 10 ti__trunkd_up ||
		ti_fail "trunkd: no control socket $TI_SOCK within 10 s"
}

ti__trunkd_up()
{
	ti_running trunkd || ti_fail "trunkd exited during start-up"
	[ -S "$TI_SOCK" ]
}

# ti_ctl ARG...: trunkctl -s $TI_SOCK --json ARG..., bounded; output on
# stdout, exit status returned.
ti_ctl()
{
	ti_exec "$TRUNKCTL" -s "$TI_SOCK" --json "$@"
}

# ti_json JSON EXPR: evaluate a Python expression over the parsed JSON
# object j and print the result (True/False, a number, a string).
ti_json()
{
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval("(" + sys.argv[2] + ")"))' "$1" "$2"
}

# ti_json_check JSON EXPR WHAT: fail the test unless EXPR is true.
ti_json_check()
{
	local got
	got=$(ti_json "$1" "$2") || ti_fail "$3: not JSON: $1"
	[ "$got" = True ] || ti_fail "$3: expected $2 in $1"
}

# ti_sipp NAME SCENARIO u1|t1 HOST PORT [SIPP ARG...]: one SIPp run of
# SCENARIO (-m 1) against HOST:PORT from 127.0.0.1:$(ti_port 5070); returns
# SIPp's exit status (0: the call succeeded). Files in $TI_DIR: NAME.err.log
# (unexpected messages, failed checks; shown on failure), NAME.msg.txt (the
# messages), NAME.actions.txt (<log> actions), NAME.screen.txt.
ti_sipp()
{
	local name=$1 sf=$2 tr=$3 host=$4 port=$5 rc=0
	shift 5
	command -v sipp >/dev/null || ti_fail "sipp not found (apt-get install sip-tester)"
	ti_exec sipp -sf "$sf" -m 1 -t "$tr" \
		-i 127.0.0.1 -p "$(ti_port 5070)" \
		-timeout 10s -timeout_error -recv_timeout 5s -nostdin \
		-trace_msg -message_file "$TI_DIR/$name.msg.txt" \
		-trace_err -error_file "$TI_DIR/$name.err.log" \
		-trace_logs -log_file "$TI_DIR/$name.actions.txt" \
		"$@" "$host:$port" >"$TI_DIR/$name.screen.txt" 2>&1 || rc=$?
	return "$rc"
}
