#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions polled through ti_wait_until
# tests/bench/calls/run.sh [quick|full]: the signalling benchmark (DESIGN.md
# "Performance goals", method of the project's performance notes).
#
#   SIPp UAC (uac.xml, 127.0.0.1:5070) -> system -> SIPp UAS (uas.xml, :5090)
#   INVITE/100/180/200/ACK, 1 s pause, BYE/200; UDP on loopback, in a
#   private network namespace when run as root (lib.sh of the integration
#   tests: bounded waits, cleanup of the PIDs it started, nothing else).
#
# Systems, one after the other in the same run:
#   direct   UAC -> UAS: the generator's own ceiling;
#   trunkd   UAC -> trunkd (enterprise side :5060, trunk side :5080) -> UAS,
#            config/trunkd.conf plus a [pbx bench] for the caller, log level
#            warn, no keep-alive;
#   kamailio UAC -> Kamailio (kamailio.cfg: tm + rr, one worker, -x tlsf)
#            -> UAS: the baseline.
# Each system runs the call rates in turn, STEP seconds each, and stops at
# its first failing step. A step passes when both SIPp instances exit 0
# with every call successful and none failed, retransmissions stay under
# 1 % of the calls, and the step's wall time shows the rate was held
# (<= STEP * 1.05 + 3 s). Per step: CPU of the system under test (utime +
# stime from /proc, all Kamailio processes summed) divided by the calls,
# the minor page faults per call (minflt of /proc/PID/stat, summed the
# same way; column flt/cl) and the memory (PSS, summed) at the end of the
# step.
# Latency (DESIGN.md: INVITE added latency p50/p99): while a step of trunkd
# or Kamailio runs, dumpcap captures the INVITEs and 200s on the loopback
# (a kernel filter on the first bytes of the UDP payload: nothing else is
# copied); latency.py pairs each call's INVITE into the system with the
# INVITE out of it (by the X-Bench header, SIPp's call number, which both
# relay), and the callee's 200 with the 200 out; p50/p99/max per step, in
# µs from the sender's sendmsg() to the system's own. BENCH_LATENCY=0
# turns the capture off (it costs a little CPU on the same machine).
# Memory: a fresh trunkd holds HOLD established calls (long pause); RSS
# minus idle RSS, divided by HOLD, and the same for the heap in use
# (`trunkctl status heap` heap_bytes: what malloc holds for live objects, not
# what it keeps freed), right after the last ACK (nta still keeps the
# INVITE transactions for its RFC 3261 timers) and again SETTLE seconds
# later (0: not measured; 40 s outlasts timer D, 64*T1); peak RSS (VmHWM)
# of the stepped run.
#
# Modes:
#   quick  (the meson test, < 60 s) rates 100 and 400 for 5 s, generator at
#          400 for 3 s, hold 200 calls. Fails only when something crashed
#          or a 100 calls/s step failed.
#   full   rates 100 200 400 800 1200 1600 2000 2500 3000 for 20 s
#          (generator up to 5000), hold 1000 calls. The README numbers.
#   callgrind  instructions per call (callgrind.sh): trunkd, BENCH_BASE's
#          trunkd and Kamailio each under valgrind --tool=callgrind, one
#          step at the first of BENCH_RATES (default 20 calls/s) for
#          BENCH_STEP seconds (default 50: 1,000 calls), minus an idle run;
#          repeatable whatever else loads the machine (about 10 minutes).
# Overload (both modes, after trunkd's steps; see overload_step): a fresh
# trunkd at 2 x its last passing rate, crash or not, share of 503s, calls
# completed, time to recover. The rate steps and the held calls run with
# overload_delay = 0 (capacity, not shedding); the overload step with the
# shipped overload control.
# Overrides: BENCH_RATES, BENCH_GEN_RATES, BENCH_STEP, BENCH_HOLD,
# BENCH_SETTLE, BENCH_HOLD_RATE (calls/s while setting up the held calls,
# default min(HOLD, 500)), BENCH_TIME_LIMIT, BENCH_LATENCY,
# BENCH_OVERLOAD_RATE, BENCH_OVERLOAD_STEP, BENCH_OVERLOAD=0 (no overload
# step); BENCH_BASE=PATH runs another trunkd binary (e.g. a build of the
# previous commit) through the same steps after trunkd, as system "base",
# for A/B comparisons within one run; BENCH_HEAP_RESERVE /
# BENCH_BASE_HEAP_RESERVE (MB) and BENCH_GLOBAL / BENCH_BASE_GLOBAL (more
# [global] lines, ';' between two, e.g. "sip_t1 = 200ms") configure
# trunkd's and the base's steps; BENCH_CDR=1: the steps write call
# records (cdr = on; by default off, as Kamailio's tm writes none); BENCH_PERF=1 records the trunkd
# steps with `perf record -g` (BENCH_PERF=all: Kamailio's steps too;
# BENCH_PERF_OPTS: other options) into the temp dir (with TI_KEEP=1:
# perf report -i $TI_DIR/trunkd-RATE.perf.data);
# BENCH_SYSCALLS=1 counts the system calls of the system under test
# during each step (`perf trace -s`, every thread; it slows the system
# down, so the CPU figures of such a run are not comparable) and logs
# them per call, per thread and per call name ($TI_DIR/NAME.syscalls.txt);
# TI_KEEP=1 keeps the temp dir
# (SIPp statistics, logs).
# Run as root (the namespace gives fixed ports; otherwise ports are moved to
# free ones and other load on the host shows in the numbers).

MODE=${1:-quick}
case $MODE in
quick)
	RATES=${BENCH_RATES:-100 400}
	GEN_RATES=${BENCH_GEN_RATES:-400}
	STEP=${BENCH_STEP:-5}
	GEN_STEP=${BENCH_STEP:-3}
	HOLD=${BENCH_HOLD:-200}
	SETTLE=${BENCH_SETTLE:-0}
	TI_TIME_LIMIT=${BENCH_TIME_LIMIT:-$((100 + SETTLE))}
	;;
full)
	RATES=${BENCH_RATES:-100 200 400 800 1200 1600 2000 2500 3000}
	GEN_RATES=${BENCH_GEN_RATES:-$RATES 3500 4000 5000}
	STEP=${BENCH_STEP:-20}
	GEN_STEP=$STEP
	HOLD=${BENCH_HOLD:-1000}
	SETTLE=${BENCH_SETTLE:-40}
	TI_TIME_LIMIT=${BENCH_TIME_LIMIT:-$((3000 + SETTLE))}
	;;
callgrind)
	# Instructions per call (callgrind.sh): trunkd and Kamailio under
	# valgrind --tool=callgrind, a low rate it keeps up with, no
	# generator step, no held calls, no overload step, no capture.
	RATES=${BENCH_RATES:-20}
	GEN_RATES=
	STEP=${BENCH_STEP:-50}
	GEN_STEP=$STEP
	HOLD=0
	SETTLE=0
	BENCH_LATENCY=${BENCH_LATENCY:-0}
	BENCH_OVERLOAD=0
	TI_TIME_LIMIT=${BENCH_TIME_LIMIT:-$((600 + 4 * STEP))}
	;;
*)
	echo "usage: $0 [quick|full|callgrind]" >&2
	exit 2
	;;
esac
export TI_TIME_LIMIT

# shellcheck source=../../integration/lib.sh
. "$(dirname "$0")/../../integration/lib.sh"

LATENCY=${BENCH_LATENCY:-1}
for tool in sipp kamailio getconf awk $([ "$LATENCY" = 0 ] || echo dumpcap); do
	command -v "$tool" >/dev/null ||
		{ echo "bench/calls: $tool not found" >&2; exit 1; }
done
CLK_TCK=$(getconf CLK_TCK)
# Four RTP sockets per call in trunkd: room for thousands of calls.
# (A hard limit below it stays: logged with the machine line, since at
# 2,000 calls/s media anchoring needs more than 20,000 descriptors.)
ulimit -n 65536 2>/dev/null || true
DIALLED=+15550100001 # inside [trunk local] identities of config/trunkd.conf

ti_setup
KAMAILIO_CMD=(kamailio)
if [ "$MODE" = callgrind ]; then
	# shellcheck source=callgrind.sh
	. "$TI_TEST_DIR/callgrind.sh"
	cg_setup
fi

# --------------------------------------------------------------------------
# Measuring

# stat_sum "I J..." PID...: the sum over the processes of the fields I, J...
# of /proc/PID/stat, counted from 0 after the command's closing ')'
# (the state is field 0).
stat_sum()
{
	local idx=$1 pid st f i sum=0
	shift
	for pid in "$@"; do
		read -r st <"/proc/$pid/stat" || continue
		st=${st##*) }
		read -ra f <<<"$st"
		for i in $idx; do
			sum=$((sum + f[i]))
		done
	done
	echo "$sum"
}

# sys_ticks PID...: stime of the processes (the kernel's share), in ticks.
sys_ticks() { stat_sum 12 "$@"; }

# cpu_ticks PID...: utime + stime of the processes, in clock ticks.
cpu_ticks() { stat_sum "11 12" "$@"; }

# minflt PID...: minor page faults of the processes so far (/proc/PID/stat
# minflt, every thread: a page first touched, e.g. when malloc grows or
# reuses memory the kernel had taken back).
minflt() { stat_sum 7 "$@"; }

# run_delay_us PID...: how long the processes' main threads waited for a
# CPU while runnable, in µs (/proc/PID/schedstat: the scheduler's
# run_delay; time the machine's other load took from them).
run_delay_us()
{
	local pid st sum=0
	for pid in "$@"; do
		read -r st <"/proc/$pid/schedstat" || continue
		st=${st#* }
		sum=$((sum + ${st%% *} / 1000))
	done
	echo "$sum"
}

# status_kb PID FIELD: VmRSS or VmHWM of PID in kB.
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# pss_kb PID...: proportional set size of the processes summed, in kB
# (Kamailio's workers share its memory pool; PSS counts it once).
pss_kb()
{
	local pid sum=0 v
	for pid in "$@"; do
		v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || v=
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# The processes of the system under test (Kamailio: main and its children;
# base: the other trunkd of BENCH_BASE, run as process "trunkd").
sut_pids()
{
	case $1 in
	trunkd | base) ti_pid trunkd ;;
	kamailio) ti_pid kamailio; pgrep -P "$(ti_pid kamailio)" || true ;;
	esac
}

# sipp_stat CSV COLUMN: the column of the last line of a -trace_stat file.
sipp_stat()
{
	[ -s "$1" ] || { echo '?'; return; }
	awk -F';' -v k="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next }
		{ v = $c }
		END { print (c && v != "") ? v : "?" }' "$1"
}

# udp_drops: "ALL SUT" datagrams dropped so far in the namespace because a
# UDP socket's receive buffer was full (RcvbufErrors of /proc/net/snmp),
# and those of them dropped by the sockets of the system under test
# (the drops column of /proc/net/udp for local ports 5060 and 5080;
# SIPp's sockets close with each step, the SUT's persist).
udp_drops()
{
	ti_exec awk -v a="$(printf '%04X' "$(ti_port 5060)")" -v b="$(printf '%04X' "$(ti_port 5080)")" '
		FILENAME ~ /snmp/ && $1 == "Udp:" && $2 !~ /^[0-9]/ {
			for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; next }
		FILENAME ~ /snmp/ && $1 == "Udp:" && c { all = $c }
		FILENAME ~ /udp$/ && FNR > 1 { split($2, l, ":"); if (l[2] == a || l[2] == b) sut += $NF }
		END { print all + 0, sut + 0 }' /proc/net/snmp /proc/net/udp
}

# usecs: wall clock in µs.
usecs() { echo "${EPOCHREALTIME/./}"; }

# --------------------------------------------------------------------------
# Peers

# -buff_size: 4 MB socket buffers (Linux caps them at net.core.rmem_max):
# with its default 64 KB, SIPp itself dropped responses that a loaded
# system under test sent in a burst after a stall.
SIPP_COMMON=(-t u1 -i 127.0.0.1 -nostdin -max_log_size 5000000 -buff_size 4194304)

uas_start() # NAME CALLS TIMEOUT_S [SIPP ARG...] (in $TI_DIR: -trace_counts)
{
	ti_start uas env -C "$TI_DIR" sipp -sf "$TI_TEST_DIR/uas.xml" "${SIPP_COMMON[@]}" \
		-p "$(ti_port 5090)" -m "$2" -timeout "${3}s" -timeout_error \
		-trace_stat -stf "$TI_DIR/$1.uas.csv" -fd 1 \
		-trace_err -error_file "$TI_DIR/$1.uas.err.txt" "${@:4}"
	ti_wait_until 10 uas_up ||
		ti_fail "UAS: no listener on udp 127.0.0.1:$(ti_port 5090) after 10 s"
}

uas_up()
{
	ti_running uas || ti_fail "UAS exited at start (see uas.log)"
	ti__listening udp 127.0.0.1 "$(ti_port 5090)"
}

# The caller's SIPp arguments toward TARGET (HOST:PORT).
uac_args() # NAME RATE CALLS PAUSE_MS TIMEOUT_S TARGET
{
	UAC_ARGS=(-sf "$TI_TEST_DIR/uac.xml" "${SIPP_COMMON[@]}"
		-p "$(ti_port 5070)" -s "$DIALLED" -r "$2" -m "$3" -d "$4"
		-timeout "${5}s" -timeout_error
		-trace_stat -stf "$TI_DIR/$1.uac.csv" -fd 1
		-trace_err -error_file "$TI_DIR/$1.uac.err.txt" "$6")
}

target_of()
{
	case $1 in
	direct) echo "127.0.0.1:$(ti_port 5090)" ;;
	*) echo "127.0.0.1:$(ti_port 5060)" ;;
	esac
}

# --------------------------------------------------------------------------
# Systems under test

trunkd_config()
{
	# config/trunkd.conf with warn logging, a shutdown that does not
	# linger, RTP ports for 12,500 calls (two pairs each), no OPTIONS
	# toward the UAS, X-Bench relayed to it and the caller as a PBX.
	sed -e 's/^log_levels = .*/log_levels = warn/' \
		-e 's/^rtp_port_min = .*/rtp_port_min = 10000/' \
		-e 's/^rtp_port_max = .*/rtp_port_max = 59999/' \
		-e 's/^shutdown_grace = .*/shutdown_grace = 1s/' \
		-e '/^\[trunk local\]/,$ s/^keepalive = .*/keepalive = off\npass_headers = X-Bench/' \
		"$SOURCE_ROOT/config/trunkd.conf" >"$TI_DIR/src.conf"
	cat >>"$TI_DIR/src.conf" <<-'EOF'

	# tests/bench/calls: the SIPp caller.
	[pbx bench]
	address = 127.0.0.1:5070
	transport = udp
	EOF
	grep -q '^keepalive = off' "$TI_DIR/src.conf" ||
		ti_fail "config/trunkd.conf: no keepalive line in [trunk local]"
	# trunkd-ovl.conf: the shipped overload control (overload_step);
	# trunkd.conf: without the automatic detector, so that the rate
	# steps and the held calls measure capacity, not 503 shedding (and
	# the quick run under ASan is not shed at its lowest rate).
	ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd-ovl.conf"
	sed 's/^\[global\]$/[global]\noverload_delay = 0/' "$TI_DIR/src.conf" \
		>"$TI_DIR/src-steps.conf"
	grep -q '^overload_delay = 0$' "$TI_DIR/src-steps.conf" ||
		ti_fail "config/trunkd.conf: no [global] section"
	# BENCH_HEAP_RESERVE / BENCH_BASE_HEAP_RESERVE (MB): [global]
	# heap_reserve of trunkd's and BENCH_BASE's steps (none by default);
	# BENCH_GLOBAL / BENCH_BASE_GLOBAL: more [global] lines for them,
	# separated by ';' (e.g. "sip_t1 = 100ms")
	global_config base "${BENCH_BASE_HEAP_RESERVE:-0}" "${BENCH_BASE_GLOBAL:-}"
	global_config trunkd "${BENCH_HEAP_RESERVE:-0}" "${BENCH_GLOBAL:-}"
}

# cdr_off BINARY: "cdr = off" unless BENCH_CDR=1: by default the steps
# write no call records, as Kamailio's tm writes none (no acc module);
# BENCH_CDR=1 measures trunkd with them (the shipped default). A binary
# older than the records has no such key: nothing.
cdr_off()
{
	[ "${BENCH_CDR:-0}" != 1 ] && [ -n "$1" ] &&
		"$1" --config-reference 2>/dev/null | grep -q '^| `cdr` ' &&
		echo "cdr = off"
	return 0
}

# global_config NAME MB LINES: $TI_DIR/NAME.conf (trunkd-base.conf for
# base) from src-steps.conf, with heap_reserve = MB unless 0 and LINES
# (';' between two) at the start of [global].
global_config()
{
	local out=$TI_DIR/$1.conf add=$3 bin=$TRUNKD cdr
	[ "$1" = base ] && out=$TI_DIR/trunkd-base.conf bin=${BENCH_BASE:-}
	[ "$2" = 0 ] || add="heap_reserve = $2${add:+;$add}"
	cdr=$(cdr_off "$bin")
	[ -z "$cdr" ] || add="$cdr${add:+;$add}"
	# one line per ';', trimmed, none empty; read in after [global]
	tr ';' '\n' <<<"$add" | sed 's/^ *//; s/ *$//; /^$/d' >"$TI_DIR/global-$1.txt"
	sed "/^\[global\]\$/r $TI_DIR/global-$1.txt" "$TI_DIR/src-steps.conf" \
		>"$TI_DIR/src-$1.conf"
	ti_config "$TI_DIR/src-$1.conf" "$out"
}

# trunkd_up [CONFIG]: start trunkd (default: trunkd.conf, no detector).
trunkd_up()
{
	rm -f "$TI_SOCK"
	ti_trunkd_start "${1:-$TI_DIR/trunkd.conf}"
	ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 10
	ti_wait_port udp 127.0.0.1 "$(ti_port 5080)" 10
}

# 1 GB of shared memory: tm keeps each finished transaction a few seconds;
# at 2,000 calls/s 256 MB ran out ("could not allocate shared memory").
kamailio_up()
{
	mkdir -p "$TI_DIR/kamailio-run"
	sed -e "s/^listen=udp:127.0.0.1:5060\$/listen=udp:127.0.0.1:$(ti_port 5060)/" \
		-e "s/\"127.0.0.1\", \"5090\"/\"127.0.0.1\", \"$(ti_port 5090)\"/" \
		"$TI_TEST_DIR/kamailio.cfg" >"$TI_DIR/kamailio.cfg"
	ti_start kamailio "${KAMAILIO_CMD[@]}" -f "$TI_DIR/kamailio.cfg" -DD -E \
		-n 1 -x tlsf -m 1024 -M 16 -Y "$TI_DIR/kamailio-run" \
		-w "$TI_DIR/kamailio-run"
	ti_wait_until 10 kamailio_listening ||
		ti_fail "kamailio: no listener on udp 127.0.0.1:$(ti_port 5060) after 10 s"
}

kamailio_listening()
{
	ti_running kamailio || ti_fail "kamailio exited at start (see kamailio.log)"
	ti__listening udp 127.0.0.1 "$(ti_port 5060)"
}

# --------------------------------------------------------------------------
# Latency capture

# The INVITEs ("INVI") and the 200s ("SIP/", "200 ") of UDP on loopback.
CAP_FILTER='udp and (udp[8:4] = 0x494e5649 or (udp[8:4] = 0x5349502f and udp[16:4] = 0x32303020))'

cap_start() # NAME
{
	ti_start cap dumpcap -i lo -P -q -s 4096 -B 64 -f "$CAP_FILTER" \
		-w "$TI_DIR/$1.pcap"
	ti_wait_until 10 cap_up || ti_fail "dumpcap did not start (see cap.log)"
}

cap_up()
{
	ti_running cap || ti_fail "dumpcap exited at start (see cap.log)"
	grep -q '^File: ' "$TI_DIR/cap.log"
}

# cap_stop NAME: stop the capture, pair its calls: "p50/p99/max" of the
# INVITE and of the 200 in LAT_INV and LAT_OK (µs), or why not.
cap_stop()
{
	local out drops
	ti_stop cap 10
	cp "$TI_DIR/cap.log" "$TI_DIR/$1.cap.txt"
	drops=$(sed -n "s/^Packets received\/dropped on interface .*: [0-9]*\/\([0-9]*\) .*/\1/p" \
		"$TI_DIR/$1.cap.txt")
	if ! out=$(python3 "$TI_TEST_DIR/latency.py" "$TI_DIR/$1.pcap" \
		--uac "$(ti_port 5070)" --sut-in "$(ti_port 5060)" \
		--uas "$(ti_port 5090)" 2>&1); then
		LAT_INV="? ($out)"
		LAT_OK="?"
		return
	fi
	eval "local $out" # invite_n= invite_p50= ... unpaired= (our own output)
	# shellcheck disable=SC2154 # set by the eval
	{
		LAT_INV="$invite_p50/$invite_p99/$invite_max"
		LAT_OK="$ok_p50/$ok_p99/$ok_max"
		LAT_N="$invite_n/$ok_n${drops:+, $drops dropped}"
		((unpaired == 0)) || LAT_N+=", $unpaired unpaired"
	}
	[ "${TI_KEEP:-0}" = 1 ] || rm -f "$TI_DIR/$1.pcap"
}

# --------------------------------------------------------------------------
# System calls (BENCH_SYSCALLS=1)

syscalls_start() # SYSTEM NAME
{
	local pids
	pids=$(sut_pids "$1" | paste -sd,)
	ti_start sysc perf trace -s -p "$pids" -o "$TI_DIR/$2.trace.txt"
	# perf trace prints its summary on SIGINT only (ti_stop sends TERM)
	ti_wait_until 10 syscalls_up || ti_fail "perf trace did not start (see sysc.log)"
}

syscalls_up()
{
	ti_running sysc || ti_fail "perf trace exited at start (see sysc.log)"
	# attached: it holds its perf events open
	find "/proc/$(ti_pid sysc)/fd" -lname 'anon_inode:*perf_event*' 2>/dev/null | grep -q .
}

# syscalls_stop NAME CALLS: stop the count, log it per call: in all, per
# thread (name[tid]; a process's main thread has its PID), per system call
# (all threads).
syscalls_stop()
{
	kill -INT "$(ti_pid sysc)" 2>/dev/null || true
	ti_wait_exit sysc 30 || ti_stop sysc 5
	awk -v calls="$2" '
		/^ [^ ].* \([0-9]+\), [0-9]+ events/ {
			t = $0; sub(/^ /, "", t); sub(/\), .*/, "]", t)
			sub(/ \(/, "[", t); next }
		t != "" && $2 ~ /^[0-9]+$/ && $1 !~ /^-/ {
			per[t] += $2; call[$1] += $2; all += $2 }
		END {
			printf "%.1f system calls per call;", all / calls
			for (k in per) if (per[k] / calls >= 0.05)
				printf " %s %.1f", k, per[k] / calls
			printf ";"
			for (k in call) if (call[k] / calls >= 0.05)
				printf " %s %.2f", k, call[k] / calls
			printf "\n"
		}' "$TI_DIR/$1.trace.txt" >"$TI_DIR/$1.syscalls.txt" ||
		echo "? (see $1.trace.txt)" >"$TI_DIR/$1.syscalls.txt"
	ti_log "$1: $(cat "$TI_DIR/$1.syscalls.txt")"
}

# --------------------------------------------------------------------------
# One step: SYSTEM at RATE calls/s for SECS seconds. Results in R_*[key].

declare -A R_OK R_WHY R_CALLS R_CPU R_RETR R_WALL R_LOAD R_MEM R_INV R_200 R_DROP R_FLT
declare -a ORDER=()

step() # SYSTEM RATE SECS
{
	local sys=$1 rate=$2 secs=$3 key="$1:$2" name="$1-$2"
	local calls=$(($2 * $3)) c0=0 c1=0 k0=0 k1=0 w0 w1 uac_rc=0 uas_rc=0 why=
	local ok fail uas_ok uas_fail retr wall_ms limit_ms d0 d1 q0=0 q1=0
	local m0=- m1=- media= f0=0 f1=0 u0=- u1=- n=2
	# A rate given twice (BENCH_RATES="300 300") is a step of its own:
	# "trunkd:300#2", files trunkd-300-2.*; the summary below reads a
	# rate's last step.
	while [ -n "${R_OK[$key]:-}" ]; do
		key="$1:$2#$n" name="$1-$2-$n" n=$((n + 1))
	done
	ORDER+=("$key")
	uas_start "$name" "$calls" $((secs * 2 + 30))
	uac_args "$name" "$rate" "$calls" 1000 $((secs * 2 + 20)) "$(target_of "$sys")"
	LAT_INV=- LAT_OK=- LAT_N=
	[ "$sys" = direct ] || [ "$LATENCY" = 0 ] || cap_start "$name"
	[ "$sys" = direct ] || [ -z "${BENCH_PERF:-}" ] ||
		{ [ "$sys" = kamailio ] && [ "$BENCH_PERF" != all ]; } ||
		ti_start perf perf record ${BENCH_PERF_OPTS:--F 1999 -g} \
			-p "$(sut_pids "$sys" | paste -sd,)" -o "$TI_DIR/$name.perf.data"
	[ "$sys" = direct ] || [ "${BENCH_SYSCALLS:-0}" = 0 ] ||
		syscalls_start "$sys" "$name"
	# (trunkctl's request before the CPU count starts)
	[ "$sys" = direct ] || [ "$sys" = kamailio ] || m0=$(media_cpu_ms)
	[ "$sys" = direct ] || [ "$sys" = kamailio ] || u0=$(udp_batch)
	# shellcheck disable=SC2046 # PIDs, one word each
	[ "$sys" = direct ] || c0=$(cpu_ticks $(sut_pids "$sys"))
	# shellcheck disable=SC2046
	[ "$sys" = direct ] || k0=$(sys_ticks $(sut_pids "$sys"))
	# shellcheck disable=SC2046
	[ "$sys" = direct ] || q0=$(run_delay_us $(sut_pids "$sys"))
	# shellcheck disable=SC2046
	[ "$sys" = direct ] || f0=$(minflt $(sut_pids "$sys"))
	d0=$(udp_drops)
	w0=$(usecs)
	TI_CMD_TIMEOUT=$((secs * 2 + 40)) ti_exec sipp "${UAC_ARGS[@]}" \
		>"$TI_DIR/$name.uac.screen.txt" 2>&1 || uac_rc=$?
	w1=$(usecs)
	d1=$(udp_drops)
	# shellcheck disable=SC2046
	[ "$sys" = direct ] || c1=$(cpu_ticks $(sut_pids "$sys"))
	# shellcheck disable=SC2046
	[ "$sys" = direct ] || k1=$(sys_ticks $(sut_pids "$sys"))
	# shellcheck disable=SC2046
	[ "$sys" = direct ] || q1=$(run_delay_us $(sut_pids "$sys"))
	# shellcheck disable=SC2046
	[ "$sys" = direct ] || f1=$(minflt $(sut_pids "$sys"))
	[ "$sys" = direct ] || [ "$sys" = kamailio ] || m1=$(media_cpu_ms)
	[ "$m0" = - ] || [ "$m1" = - ] ||
		media=", media threads $(((m1 - m0) * 1000 / calls)) µs/call"
	[ "$sys" = direct ] || [ "$sys" = kamailio ] || u1=$(udp_batch)
	[ "$u0" = - ] || [ "$u1" = - ] ||
		media+=", UDP $(udp_batch_step "$u0" "$u1" "$calls")"
	R_MEM[$key]=-
	# shellcheck disable=SC2046
	[ "$sys" = direct ] || R_MEM[$key]=$(pss_kb $(sut_pids "$sys"))
	if ti_wait_exit uas 15; then
		uas_rc=$TI_EXIT_STATUS
	else
		ti_stop uas 3
		uas_rc=timeout
	fi
	! ti_running cap || cap_stop "$name"
	! ti_running perf || ti_stop perf 20
	! ti_running sysc || syscalls_stop "$name" "$calls"
	R_INV[$key]=$LAT_INV
	R_200[$key]=$LAT_OK

	ok=$(sipp_stat "$TI_DIR/$name.uac.csv" 'SuccessfulCall(C)')
	fail=$(sipp_stat "$TI_DIR/$name.uac.csv" 'FailedCall(C)')
	uas_ok=$(sipp_stat "$TI_DIR/$name.uas.csv" 'SuccessfulCall(C)')
	uas_fail=$(sipp_stat "$TI_DIR/$name.uas.csv" 'FailedCall(C)')
	retr=$(($(sipp_stat "$TI_DIR/$name.uac.csv" 'Retransmissions(C)' | tr -c -d 0-9) + \
		$(sipp_stat "$TI_DIR/$name.uas.csv" 'Retransmissions(C)' | tr -c -d 0-9) + 0))
	wall_ms=$(((w1 - w0) / 1000))
	limit_ms=$((secs * 1050 + 3000))

	[ "$uac_rc" = 0 ] || why+="UAC exit $uac_rc; "
	[ "$uas_rc" = 0 ] || why+="UAS exit $uas_rc; "
	[ "$ok" = "$calls" ] || why+="UAC $ok/$calls successful; "
	[ "$fail" = 0 ] || why+="UAC failed $fail; "
	[ "$uas_ok" = "$calls" ] || why+="UAS $uas_ok/$calls successful; "
	[ "$uas_fail" = 0 ] || why+="UAS failed $uas_fail; "
	((retr * 100 <= calls)) || why+="$retr retransmissions; "
	((wall_ms <= limit_ms)) || why+="rate not held (${wall_ms} ms); "

	R_DROP[$key]="$((${d1% *} - ${d0% *})) ($((${d1#* } - ${d0#* })) by the SUT)"
	R_CALLS[$key]=$calls
	R_RETR[$key]=$retr
	R_WALL[$key]=$wall_ms
	if [ "$sys" = direct ]; then
		R_CPU[$key]=-
		R_LOAD[$key]=-
		R_FLT[$key]=-
	else
		# minor page faults per call, one decimal
		R_FLT[$key]=$(awk -v f=$((f1 - f0)) -v c="$calls" 'BEGIN { printf "%.1f", f / c }')
		# µs per call; CPU share of one core over the step
		R_CPU[$key]=$(((c1 - c0) * 1000000 / CLK_TCK / calls))
		R_LOAD[$key]=$(((c1 - c0) * 1000 * 100 / CLK_TCK / (wall_ms > 0 ? wall_ms : 1)))
	fi
	if [ -z "$why" ]; then
		R_OK[$key]=pass
	else
		R_OK[$key]=FAIL
		R_WHY[$key]=${why%; }
	fi
	ti_log "$sys $rate calls/s x ${secs} s: ${R_OK[$key]}" \
		"(CPU ${R_CPU[$key]} µs/call ($(((k1 - k0) * 1000000 / CLK_TCK / calls)) in the kernel), ${R_LOAD[$key]} % of a core$media, ${R_FLT[$key]} minor page faults/call," \
		"$retr retransmissions, ${R_DROP[$key]} UDP drops, waited $(((q1 - q0) / 1000)) ms for a CPU, ${wall_ms} ms, PSS ${R_MEM[$key]} kB;" \
		"latency µs p50/p99/max INVITE $LAT_INV, 200 $LAT_OK${LAT_N:+ (paired INVITE/200: $LAT_N)})${why:+: ${why%; }}"
	[ -z "$why" ]
}

proc_of() { [ "$1" = base ] && echo trunkd || echo "$1"; }

# media_cpu_ms: the media threads' CPU time so far (`trunkctl status`
# media.cpu_ms), "-" when there is none.
media_cpu_ms()
{
	local out
	out=$(ti_ctl status 2>/dev/null) || { echo -; return; }
	out=$(sed -n 's/.*"media":{[^}]*"cpu_ms":\([0-9]*\).*/\1/p' <<<"$out")
	echo "${out:--}"
}

# udp_batch: the UDP batch reads so far (`trunkctl status` udp_batch:
# reads, datagrams, full reads of 8), "-" when trunkd has none.
udp_batch()
{
	local out
	local -a f
	out=$(ti_ctl status 2>/dev/null) || { echo -; return; }
	# (a BENCH_BASE before held sends has no held_* fields: 0 0)
	out=$(sed -nE 's/.*"udp_batch":\{"reads":([0-9]*),"datagrams":([0-9]*),"full":([0-9]*)(,"held_sends":([0-9]*),"held_datagrams":([0-9]*))?\}.*/\1 \2 \3 \5 \6/p' <<<"$out")
	read -ra f <<<"$out"
	[ "${#f[@]}" -ge 3 ] || { echo -; return; }
	echo "${f[0]} ${f[1]} ${f[2]} ${f[3]:-0} ${f[4]:-0}"
}

# udp_batch_step "R0 D0 F0 S0 H0" "R1 D1 F1 S1 H1" CALLS: the step's
# reads per call, datagrams per read, share of full reads; datagrams
# sent held per call and per sendmmsg().
udp_batch_step()
{
	local -a a b
	read -ra a <<<"$1"
	read -ra b <<<"$2"
	awk -v r=$((b[0] - a[0])) -v d=$((b[1] - a[1])) -v f=$((b[2] - a[2])) \
		-v s=$((b[3] - a[3])) -v h=$((b[4] - a[4])) -v c="$3" \
		'BEGIN { printf "%.2f reads/call, %.2f datagrams/read, %.1f %% full, %.2f datagrams/call sent held (%.2f per sendmmsg)", r / c, r ? d / r : 0, r ? f * 100 / r : 0, h / c, s ? h / s : 0 }'
}

# run_steps SYSTEM SECS RATE...: the rates in turn until one fails; the
# system (if any) must survive every step.
declare -A MAX_RATE
run_steps()
{
	local sys=$1 secs=$2 rate
	shift 2
	MAX_RATE[$sys]=0
	for rate in "$@"; do
		if step "$sys" "$rate" "$secs"; then
			MAX_RATE[$sys]=$rate
		else
			break
		fi
		if [ "$sys" != direct ] && ! ti_running "$(proc_of "$sys")"; then
			break
		fi
	done
	if [ "$sys" != direct ] && ! ti_running "$(proc_of "$sys")"; then
		ti_wait_exit "$(proc_of "$sys")" 1 || true
		ti_fail "$sys died during the $rate calls/s step (exit $TI_EXIT_STATUS)"
	fi
}

# --------------------------------------------------------------------------
# Memory: HOLD established calls on a fresh trunkd.

HOLD_RSS_IDLE=0
HOLD_RSS=0
HOLD_PER_CALL=-
HOLD_HEAP=-
HOLD_SETTLED=-
hold_calls()
{
	local rate=${BENCH_HOLD_RATE:-$((HOLD < 500 ? HOLD : 500))} n st heap0 heap1 rss
	trunkd_up
	HOLD_RSS_IDLE=$(status_kb "$(ti_pid trunkd)" VmRSS)
	heap0=$(heap_bytes)
	uas_start hold "$HOLD" 600 -trace_counts
	uac_args hold "$rate" "$HOLD" 3600000 600 "$(target_of trunkd)"
	ti_start uac sipp "${UAC_ARGS[@]}"
	# Established: every call of trunkd CONFIRMED, HOLD of them.
	if ! ti_wait_until $((HOLD / rate + 20)) hold_established; then
		st=$(ti_ctl status) || true
		ti_fail "hold: $HOLD calls not established after $((HOLD / rate + 20)) s (status: ${st:0:300})"
	fi
	HOLD_RSS=$(status_kb "$(ti_pid trunkd)" VmRSS)
	HOLD_PER_CALL=$(((HOLD_RSS - HOLD_RSS_IDLE) * 1024 / HOLD))
	heap1=$(heap_bytes)
	HOLD_HEAP=$(((heap1 - heap0) / HOLD))
	ti_log "hold: $HOLD calls: RSS ${HOLD_RSS_IDLE} kB idle, ${HOLD_RSS} kB held: ${HOLD_PER_CALL} bytes per call; heap $((heap0 / 1024)) -> $((heap1 / 1024)) kB: ${HOLD_HEAP} bytes per call"
	if ((SETTLE > 0)); then
		# Bounded: the calls' pause is an hour; only nta's timers run.
		# The heap every 4 s on the way shows which timer frees what.
		local t series=
		for ((t = 4; t < SETTLE; t += 4)); do
			ti_wait_until 4 hold_died || true
			series+=" ${t}s:$((($(heap_bytes) - heap0) / HOLD))"
		done
		ti_wait_until $((SETTLE - t + 4)) hold_died || true
		ti_log "hold: heap per call while settling:$series"
		[ "$(ti_json "$(ti_ctl status)" "j['calls']")" = "$HOLD" ] ||
			ti_fail "hold: calls ended while settling"
		rss=$(status_kb "$(ti_pid trunkd)" VmRSS)
		heap1=$(heap_bytes)
		HOLD_SETTLED=$(((heap1 - heap0) / HOLD))
		ti_log "hold: ${SETTLE} s later: RSS ${rss} kB; heap $((heap1 / 1024)) kB: ${HOLD_SETTLED} bytes per call"
	fi
	ti_running trunkd || ti_fail "trunkd died while holding calls"
	# trunkd ends the calls itself (shutdown_grace 1 s); then the peers go.
	ti_stop trunkd 10
	n=$TI_EXIT_STATUS
	ti_stop uac 3
	ti_stop uas 3
	case $n in
	0 | 143 | 137) ;;
	*) ti_fail "trunkd exited with status $n after holding calls" ;;
	esac
}

# heap_bytes: trunkd's heap in use (`trunkctl status heap`), in bytes.
heap_bytes()
{
	local out
	out=$(ti_ctl status heap) || ti_fail "trunkctl status heap failed"
	ti_json "$out" "j['heap_bytes']"
}

# While settling: never true (the wait runs its whole bound), fails if
# trunkd dies.
hold_died()
{
	ti_running trunkd || ti_fail "trunkd died while holding calls"
	return 1
}

# Established: the UAS has every ACK (its per-message counts, written each
# second) and trunkd counts HOLD calls. (`trunkctl calls` cannot list them:
# its reply is limited to 64 KB, a few hundred calls.)
hold_established()
{
	local out acks
	ti_running trunkd || ti_fail "trunkd died while calls were set up"
	ti_running uac || ti_fail "hold: the caller's SIPp exited (see uac.log)"
	acks=$(sipp_stat "$(echo "$TI_DIR"/uas_*_counts.csv)" 3_ACK_Recv)
	[ "$acks" = "$HOLD" ] || return 1
	out=$(ti_ctl status 2>/dev/null) || return 1
	[ "$(ti_json "$out" "j['calls']")" = "$HOLD" ]
}

# --------------------------------------------------------------------------
# BEGIN overload step (DESIGN.md "Performance goals": "overload (2x
# capacity): no crash, excess INVITEs get 503 before any transaction state
# is kept, recovery within 10 s"). Kept apart from the steps above: it
# only reads MAX_RATE, STEP and the peers' helpers.
#
# A fresh trunkd (default overload control, no configured limits) is
# offered 2 x the last rate it passed (BENCH_OVERLOAD_RATE overrides) for
# BENCH_OVERLOAD_STEP seconds (default STEP) by uac-overload.xml, which
# takes a 503 as an answer. Reported: crash or not, INVITEs refused with
# 503 (trunkd's own counters, `trunkctl status` admission, and what the
# caller saw), calls completed (the BYE's 200 at the caller) and failed
# otherwise, and the recovery time: from the planned end of the offer to
# the start of the first probe call (uac.xml, one call, no pause, tried
# back to back) that completes.

OVL_LINE="overload: not run"
OVL_RECOVERY_S=-

# ovl_counter JSON: "REFUSED ADMITTED" from `trunkctl status`.
ovl_counter()
{
	ti_json "$1" "'%d %d' % (sum(j['admission']['refused'].values()), j['admission']['admitted'])"
}

# ovl_probe: one call completes (exit 0), or not.
ovl_probe()
{
	OVL_PROBES=$((OVL_PROBES + 1))
	local i
	uac_args probe 1 1 0 5 "$(target_of trunkd)"
	for i in "${!UAC_ARGS[@]}"; do # beside the overload caller on :5070
		[ "${UAC_ARGS[$i]}" != -p ] || UAC_ARGS[i + 1]=$(ti_port 5071)
	done
	OVL_T_PROBE=$(usecs)
	ti_exec sipp "${UAC_ARGS[@]}" -recv_timeout 3s \
		>"$TI_DIR/probe.screen.txt" 2>&1
}

ovl_offer_over() { (($(usecs) >= OVL_T_END)); }

overload_step()
{
	local base=${MAX_RATE[trunkd]:-0} rate secs calls st0 st1 r0 a0 r1 a1
	local w0 refused admitted saw503 completed failed uac_rc=0 c0 c1 share
	((base > 0)) || base=${RATES%% *}
	rate=${BENCH_OVERLOAD_RATE:-$((2 * base))}
	secs=${BENCH_OVERLOAD_STEP:-$STEP}
	calls=$((rate * secs))
	trunkd_up "$TI_DIR/trunkd-ovl.conf"
	st0=$(ti_ctl status) || ti_fail "overload: trunkctl status"
	read -r r0 a0 <<<"$(ovl_counter "$st0")"
	uas_start overload 100000000 $((secs * 3 + 60))
	uac_args overload "$rate" "$calls" 1000 $((secs * 2 + 20)) "$(target_of trunkd)"
	UAC_ARGS[1]=$TI_TEST_DIR/uac-overload.xml
	c0=$(cpu_ticks "$(ti_pid trunkd)")
	w0=$(usecs)
	OVL_T_END=$((w0 + secs * 1000000))
	ti_start uac env -C "$TI_DIR" sipp "${UAC_ARGS[@]}" -trace_counts
	# The offer runs; then probe until a call completes (bounded: 30 s).
	ti_wait_until $((secs + 5)) ovl_offer_over || true
	OVL_PROBES=0
	if ti_wait_until 30 ovl_probe; then
		OVL_RECOVERY_S=$(awk -v a="$OVL_T_PROBE" -v b="$OVL_T_END" \
			'BEGIN { d = (a - b) / 1e6; printf "%.1f", d < 0 ? 0 : d }')
	else
		OVL_RECOVERY_S="none within 30"
	fi
	if ti_wait_exit uac $((secs * 2 + 40)); then
		uac_rc=$TI_EXIT_STATUS
	else
		ti_stop uac 3
		uac_rc=timeout
	fi
	c1=$(cpu_ticks "$(ti_pid trunkd)")
	ti_running trunkd || ti_fail "trunkd died in the overload step (offered $rate calls/s)"
	st1=$(ti_ctl status) || ti_fail "overload: trunkctl status after the step"
	read -r r1 a1 <<<"$(ovl_counter "$st1")"
	ti_stop uas 3
	ti_stop trunkd 10
	refused=$((r1 - r0))
	admitted=$((a1 - a0))
	saw503=$(sipp_stat "$(echo "$TI_DIR"/uac-overload_*_counts.csv)" 1_503_Recv)
	completed=$(sipp_stat "$(echo "$TI_DIR"/uac-overload_*_counts.csv)" 8_200_Recv)
	failed=$(sipp_stat "$TI_DIR/overload.uac.csv" 'FailedCall(C)')
	share=$(awk -v r="$refused" -v a="$admitted" \
		'BEGIN { printf "%.1f", (r + a) ? 100 * r / (r + a) : 0 }')
	OVL_LINE="overload: $rate calls/s (${BENCH_OVERLOAD_RATE:+BENCH_OVERLOAD_RATE, }2 x $base = $((2 * base))) for $secs s, $calls calls offered:"
	OVL_LINE+=" no crash; trunkd refused $refused of $((refused + admitted)) new INVITEs"
	OVL_LINE+=" with 503 ($share %; the caller got $saw503),"
	OVL_LINE+=" $completed calls completed, $failed failed otherwise (SIPp exit $uac_rc);"
	OVL_LINE+=" trunkd CPU $(((c1 - c0) * 100 / CLK_TCK / (secs > 0 ? secs : 1))) % of a core;"
	OVL_LINE+=" recovery: a call completed ${OVL_RECOVERY_S} s after the offer stopped ($OVL_PROBES probes)"
	ti_log "$OVL_LINE"
	[ "$OVL_RECOVERY_S" != "none within 30" ] ||
		ti_fail "overload: no call completed within 30 s after the offer stopped"
}
# END overload step
# --------------------------------------------------------------------------

# report_callgrind: the callgrind mode's table (callgrind.sh).
report_callgrind()
{
	local key rate=${RATES%% *}
	printf '\n| %s calls/s x %s s, %s calls | step | instructions per call | / Kamailio |\n|---|---|---|---|\n' \
		"$rate" "$STEP" $((rate * STEP))
	for key in "${ORDER[@]}"; do
		printf '| %s | %s%s | %s | %s |\n' "${key%%:*}" "${R_OK[$key]}" \
			"${R_WHY[$key]:+ (${R_WHY[$key]})}" "${R_IR[$key]}" \
			"$(awk -v a="${R_IR[$key]}" -v b="${R_IR[kamailio:$rate]:-0}" \
				'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }')"
	done
	for key in "${ORDER[@]}"; do
		[ "${R_OK[$key]}" = pass ] || ti_fail "callgrind: ${key%%:*} failed its step: ${R_WHY[$key]}"
	done
}

# --------------------------------------------------------------------------
# The run

# shellcheck disable=SC2086 # lists of rates
{
	ti_log "mode $MODE: rates $RATES, ${STEP} s each; generator $GEN_RATES, ${GEN_STEP} s; hold $HOLD"
	ti_log "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
		"open files limit $(ulimit -n) (trunkd anchors media: 4 sockets per call)"

	if [ "$MODE" = callgrind ]; then
		trunkd_config
		cg_system trunkd
		[ -z "${BENCH_BASE:-}" ] || cg_system base
		[ "${BENCH_CG_KAMAILIO:-1}" = 0 ] || cg_system kamailio
		report_callgrind
		ti_pass
	fi
	run_steps direct "$GEN_STEP" $GEN_RATES

	trunkd_config
	hold_calls
	trunkd_up
	run_steps trunkd "$STEP" $RATES
	TRUNKD_HWM=$(status_kb "$(ti_pid trunkd)" VmHWM)
	ti_stop trunkd 10
	cp "$TI_DIR/trunkd.log" "$TI_DIR/trunkd-steps.log" # the next one's goes there
	# a fresh trunkd at 2x the last passing rate (BENCH_OVERLOAD=0: not)
	[ "${BENCH_OVERLOAD:-1}" = 0 ] || overload_step

	if [ -n "${BENCH_BASE:-}" ]; then
		TRUNKD=$BENCH_BASE trunkd_up "$TI_DIR/trunkd-base.conf"
		run_steps base "$STEP" $RATES
		ti_stop trunkd 10
		cp "$TI_DIR/trunkd.log" "$TI_DIR/base-steps.log"
	fi

	kamailio_up
	run_steps kamailio "$STEP" $RATES
	ti_stop kamailio 10
}

# --------------------------------------------------------------------------
# Report

printf '\n%-9s %6s %7s %-5s %9s %7s %7s %7s %8s %9s %18s %18s  %s\n' system "cps" calls step \
	"µs/call" "flt/cl" "%core" retrans "wall ms" "PSS kB" "INVITE µs 50/99/max" "200 µs 50/99/max" "note"
for key in "${ORDER[@]}"; do
	printf '%-9s %6s %7s %-5s %9s %7s %7s %7s %8s %9s %18s %18s  %s\n' "${key%%:*}" "${key#*:}" \
		"${R_CALLS[$key]}" "${R_OK[$key]}" "${R_CPU[$key]}" "${R_FLT[$key]}" \
		"${R_LOAD[$key]}" "${R_RETR[$key]}" "${R_WALL[$key]}" "${R_MEM[$key]}" \
		"${R_INV[$key]}" "${R_200[$key]}" "${R_WHY[$key]:-}"
done

# Ratio at the highest rate both systems passed.
common=0
for rate in $RATES; do
	[ "${R_OK[trunkd:$rate]:-}" = pass ] && [ "${R_OK[kamailio:$rate]:-}" = pass ] &&
		common=$rate
done
# A rate given several times: the summary reads its last step, the
# steadiest (trunkd's heap grows until it holds 32 s of finished calls,
# so the first steps at a high rate also pay for page faults), and lists
# the ratio of every step both systems passed.
nth_key() { if (($3 == 1)); then echo "$1:$2"; else echo "$1:$2#$3"; fi; }
last_key()
{
	local n=1 last="$1:$2"
	while [ "${R_OK[$(nth_key "$1" "$2" "$n")]:-}" = pass ]; do
		last=$(nth_key "$1" "$2" "$n") n=$((n + 1))
	done
	echo "$last"
}
ratio_of()
{
	awk -v a="${R_CPU[$1]}" -v b="${R_CPU[$2]}" \
		'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}
ratio=-
steps=
if ((common > 0)); then
	ratio=$(ratio_of "$(last_key trunkd "$common")" "$(last_key kamailio "$common")")
	n=1
	while [ "${R_OK[$(nth_key trunkd "$common" "$n")]:-}" = pass ] &&
		[ "${R_OK[$(nth_key kamailio "$common" "$n")]:-}" = pass ]; do
		steps="$steps${steps:+, }$(ratio_of "$(nth_key trunkd "$common" "$n")" "$(nth_key kamailio "$common" "$n")")"
		n=$((n + 1))
	done
	((n > 2)) || steps=
fi
cpu_at() { echo "${R_CPU[$(last_key "$1" "$common")]:-?}"; }

lat_at()
{
	local key
	key=$(last_key "$1" "$common")
	echo "${R_INV[$key]:-?} (200: ${R_200[$key]:-?})"
}

cat <<EOF

| | max zero-failure rate | CPU per call @ $common calls/s (its last step) | INVITE added latency µs p50/p99/max @ $common calls/s (its last step) | memory |
|---|---|---|---|---|
| generator (SIPp UAC -> UAS) | ${MAX_RATE[direct]} calls/s (tried: $GEN_RATES) | - | - | - |
| trunkd | ${MAX_RATE[trunkd]} calls/s (tried: $RATES) | $(cpu_at trunkd) µs | $(lat_at trunkd) | $HOLD_PER_CALL bytes RSS per held call ($HOLD calls: $HOLD_RSS_IDLE -> $HOLD_RSS kB), heap $HOLD_HEAP bytes per call, $HOLD_SETTLED after ${SETTLE} s; peak RSS $TRUNKD_HWM kB |
${BENCH_BASE:+| trunkd of BENCH_BASE | ${MAX_RATE[base]} calls/s | $(cpu_at base) µs | $(lat_at base) | - |
}| Kamailio tm (1 worker, tlsf) | ${MAX_RATE[kamailio]} calls/s (tried: $RATES) | $(cpu_at kamailio) µs | $(lat_at kamailio) | - |
| trunkd / Kamailio | | $ratio${steps:+ (each step at $common calls/s: $steps)} | | |

$OVL_LINE

EOF

# The quick run (meson) fails only on a crash (above) or when the lowest,
# trivially low rate fails.
lowest=${RATES%% *}
if ((lowest <= 100)); then
	for sys in trunkd kamailio; do
		[ "${R_OK[$sys:$lowest]:-}" = pass ] ||
			ti_fail "$sys failed at $lowest calls/s: ${R_WHY[$sys:$lowest]:-not run}"
	done
fi
ti_pass
