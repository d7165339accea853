#!/usr/bin/env bash
# 125-call-memory-setup: the memory of an established call in its first
# 32 s, while nta keeps the transactions of its set-up, and after.
# N calls PBX (UDP) -> trunkd -> carrier (UDP), all held together; trunkd's
# heap in use (`trunkctl status` heap_bytes, minus the idle heap) per call:
#   UP       right after all are up: nta keeps A's INVITE server transaction
#            (timer I, T4 = 5 s) and our INVITE client transaction toward
#            the carrier (timer D, 32 s), each with its request and final
#            response;
#   MID      once nta holds no server transaction (timer I ran);
#   SETTLED  once nta holds no transaction at all (timer D ran).
# Each must stay under its limit (measured: 31.3, 20.0 and 7.4 KB with
# glibc; less under ASan, which counts the bytes asked for). A change that
# keeps more per call (a message reference held after its use, a
# transaction never handed back to nta, a header kept on the call's home)
# raises one of them; one that frees sooner only lowers them. Both waits
# are bounded: a transaction nta never ends fails the test too.
# REQ: none (DESIGN.md performance goal: memory per established call)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

N=100
LIMIT_UP=35000 # bytes per call
LIMIT_MID=22000
LIMIT_SETTLED=8000

# The automatic overload control is off: 50 calls/s on a loaded (ASan)
# machine must not be shed with 503 (tests 099/100 cover the shedding).
tc_global_conf "$TI_ROOT/peers/calls.conf" "overload_delay = 0"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port "$p")" 5
done

status() { ti_ctl status heap; }
heap() { ti_json "$(status)" "j['heap_bytes']"; }
IDLE=$(heap)

tc_many_calls "$N" 50 90s

# nta's transactions, both sides: server (irq) and client (orq), those it
# keeps for its timers included.
SERVER="sum(s['server_transactions'] for s in j['sip'].values())"
CLIENT="sum(s['client_transactions'] for s in j['sip'].values())"
ST=
calls_up() {
	ti_running pbx || ti_fail "the PBX's SIPp exited early (see pbx.log)"
	ti_ctl calls >"$TI_DIR/calls.json" || return 1
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(len([c for c in j["calls"] if c["state"] == "CONFIRMED"]) != int(sys.argv[2]))' \
		"$TI_DIR/calls.json" "$N"
}
# per_call NAME CONDITION: when CONDITION holds (with all N calls still
# there), the heap per call above the idle heap in $NAME.
per_call() {
	local st
	ti_running pbx || ti_fail "the PBX's SIPp exited early (see pbx.log)"
	st=$(status) || return 1
	[ "$(ti_json "$st" "$2")" = True ] || return 1
	[ "$(ti_json "$st" "j['calls']")" = "$N" ] ||
		ti_fail "calls ended before the $1 measurement: $(ti_json "$st" "j['calls']") of $N left"
	ST=$st
	printf -v "$1" '%s' $((($(ti_json "$st" "j['heap_bytes']") - IDLE) / N))
}

ti_wait_until 20 calls_up || ti_fail "not all $N calls CONFIRMED within 20 s"
per_call UP True
ti_log "all $N calls up: nta holds $(ti_json "$ST" "$SERVER") server and $(ti_json "$ST" "$CLIENT") client transactions"
ti_wait_until 20 per_call MID "$SERVER == 0" ||
	ti_fail "nta still holds server transactions 20 s after set-up: $(status)"
ti_wait_until 45 per_call SETTLED "$SERVER + $CLIENT == 0" ||
	ti_fail "nta still holds client transactions 45 s after set-up: $(status)"
ti_log "heap per call (idle $IDLE bytes): up $UP, without the server transactions $MID, settled $SETTLED bytes"

# Under ASan heap_bytes is the sanitizer's count; it must still see the
# calls (a heap that does not move would make the limits below vacuous).
((UP > 2000)) || ti_fail "heap_bytes does not grow with $N calls ($UP bytes per call): nothing measured"

ti_wait_exit pbx 70 || ti_fail "the PBX's SIPp still runs"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "some of the $N calls failed (SIPp exit $TI_EXIT_STATUS)"
ti_wait_exit carrier 20 || ti_fail "the carrier's SIPp still runs"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the carrier's SIPp failed (exit $TI_EXIT_STATUS)"

((UP <= LIMIT_UP)) || ti_fail "$UP bytes per call right after set-up (limit $LIMIT_UP)"
((MID <= LIMIT_MID)) || ti_fail "$MID bytes per call after timer I (limit $LIMIT_MID)"
((SETTLED <= LIMIT_SETTLED)) || ti_fail "$SETTLED bytes per settled call (limit $LIMIT_SETTLED)"
ti_pass
