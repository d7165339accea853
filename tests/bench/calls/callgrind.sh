# shellcheck shell=bash
# tests/bench/calls/callgrind.sh: sourced by run.sh in its callgrind mode
# (`run.sh callgrind`): the instructions executed per call (Ir, valgrind
# --tool=callgrind) by trunkd, BENCH_BASE's trunkd and Kamailio. The same
# binary and the same calls give the same count whatever else the machine
# runs, unlike the CPU time of the other modes.
#
# Per system, two fresh runs under callgrind, each STEP + LINGER seconds:
#   idle: started, left alone, stopped;
#   calls: started, RATE calls/s for STEP seconds (run.sh's step, its pass
#          criteria), LINGER seconds more (default 35: nta's and tm's
#          transaction timers run out and free what the calls left), stopped.
# Instructions per call = (the calls run's instructions - the idle run's) /
# calls, summed over every process (Kamailio's forked workers cannot be
# reached by callgrind_control, hence totals at exit rather than dumps).
# So it includes start-up-free steady work only: parsing, routing, timers,
# freeing, at a rate callgrind keeps up with (run.sh's BENCH_RATES, default
# 20 calls/s; a low rate batches less per epoll wake-up than a high one).
# The profiles stay in $TI_DIR/cg/SYSTEM-calls/ (TI_KEEP=1) for
# `callgrind_annotate --inclusive=yes FILE`. BENCH_CG_LINGER: the linger;
# BENCH_CG_OPTS: more valgrind options (e.g. --separate-threads=yes);
# BENCH_CG_KAMAILIO=0: no Kamailio runs (its count does not change with
# trunkd: 219,069 per call in docs/benchmarks.md).

CG_LINGER=${BENCH_CG_LINGER:-35}
declare -A R_IR

cg_setup()
{
	command -v valgrind >/dev/null ||
		ti_fail "bench/calls callgrind: valgrind not found (apt-get install valgrind)"
	mkdir -p "$TI_DIR/cg"
	cg_wrapper trunkd "$TRUNKD"
	TRUNKD=$TI_DIR/trunkd-cg
	if [ -n "${BENCH_BASE:-}" ]; then
		cg_wrapper base "$BENCH_BASE"
		BENCH_BASE=$TI_DIR/base-cg
	fi
}

# cg_wrapper NAME BINARY: $TI_DIR/NAME-cg runs BINARY under callgrind,
# its profile in $CG_OUT (ti_trunkd_start runs $TRUNKD).
cg_wrapper()
{
	cat >"$TI_DIR/$1-cg" <<-EOF
		#!/bin/sh
		exec valgrind --tool=callgrind ${BENCH_CG_OPTS:-} "--callgrind-out-file=\$CG_OUT/%p" "$2" "\$@"
	EOF
	chmod +x "$TI_DIR/$1-cg"
}

cg_never() { return 1; }

# cg_total DIR: the instructions of every profile in DIR.
cg_total()
{
	awk '$1 == "summary:" || $1 == "totals:" { v[FILENAME] = $2 }
		END { for (f in v) s += v[f]; printf "%d\n", s }' "$1"/*
}

# cg_run SYSTEM RUN [RATE]: one run of SYSTEM (trunkd, base, kamailio)
# under callgrind, with RATE calls/s for STEP seconds or idle; its total
# instructions in CG_TOTAL.
cg_run()
{
	local sys=$1 ok=0
	export CG_OUT=$TI_DIR/cg/$sys-$2
	mkdir -p "$CG_OUT"
	case $sys in
	kamailio)
		KAMAILIO_CMD=(valgrind --tool=callgrind ${BENCH_CG_OPTS:-}
			"--callgrind-out-file=$CG_OUT/%p" kamailio)
		kamailio_up
		;;
	base) TRUNKD=$BENCH_BASE trunkd_up ;;
	*) trunkd_up ;;
	esac
	if [ -n "${3:-}" ]; then
		step "$sys" "$3" "$STEP" || ok=1
		ti_wait_until "$CG_LINGER" cg_never || true
	else
		ti_wait_until $((STEP + CG_LINGER)) cg_never || true
	fi
	ti_running "$(proc_of "$sys")" || ti_fail "$sys died under callgrind ($2)"
	ti_stop "$(proc_of "$sys")" 30
	CG_TOTAL=$(cg_total "$CG_OUT")
	return $ok
}

# cg_system SYSTEM: R_IR[SYSTEM:RATE] for the first of RATES.
cg_system()
{
	local sys=$1 rate=${RATES%% *} idle
	cg_run "$sys" idle
	idle=$CG_TOTAL
	cg_run "$sys" calls "$rate" || true
	R_IR[$sys:$rate]=$(((CG_TOTAL - idle) / (rate * STEP)))
	ti_log "callgrind: $sys: $CG_TOTAL instructions with $((rate * STEP)) calls, $idle idle:" \
		"${R_IR[$sys:$rate]} per call"
}
