#!/usr/bin/env bash
# 093-call-memory: what an established call keeps does not grow with its
# traffic. A call from the PBX (UDP) to the carrier (TCP), then rounds of
# a re-INVITE and an UPDATE from the PBX, each with an offer that crosses
# to the carrier and an answer that crosses back (anchored SDP both ways).
# trunkd's heap in use (`trunkctl status` heap_bytes) is taken once nta
# holds no transaction any more (its RFC 3261 timers ran: "sip" shows no
# server or client transaction; bounded wait) after WARMUP rounds, and again after ROUNDS more: the
# difference per round must stay under LIMIT bytes. The warm-up has more
# rounds: nta's hash tables grow with the transactions it holds at once
# (and never shrink), so they reach their size there. Before trunkd
# built the relayed bodies and headers on its scratch home, each round
# left ~2.4 KB on the call's home until the call ended.
# sip_t1 = 50ms makes nta's timers short (64*T1 = 3.2 s; T4 stays 5 s);
# over TCP toward the carrier nta ends its client transactions at once.
# REQ: none (DESIGN.md performance goal: memory per established call)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

WARMUP=80
ROUNDS=60
LIMIT=400 # bytes per round; 50-100 measured (malloc's caches hold a few KB
# whatever the rounds), 2.4 KB before

sed -e 's/^\[global\]$/[global]\nsip_t1 = 50ms/' \
	-e '/^\[trunk carrier\]$/,/^$/ s/^transport = udp$/transport = tcp/' \
	"$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
grep -q '^sip_t1 = 50ms$' "$TI_DIR/src.conf" || ti_fail "calls.conf has no [global]"
grep -q '^transport = tcp$' "$TI_DIR/src.conf" || ti_fail "calls.conf: no carrier transport to change"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5
ti_wait_port tcp 127.0.0.1 "$(ti_port 5080)" 5

ti_start carrier sipp -sf "$TI_TEST_DIR/carrier.xml" -m 1 -t t1 \
	-i "$TC_CARRIER" -p "$(ti_port 5090)" -nostdin \
	-timeout 90s -timeout_error -recv_timeout 40s \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt" \
	-trace_err -error_file "$TI_DIR/carrier.err.log" \
	-trace_logs -log_file "$TI_DIR/carrier.actions.txt"
ti_wait_port tcp "$TC_CARRIER" "$(ti_port 5090)" 10

CID=mem-call-1@pbx
ti_start pbx sipp -sf "$TI_TEST_DIR/pbx.xml" -m 1 -t u1 \
	-i "$TC_PBX" -p "$(ti_port 5070)" -s +15550100001 -cid_str "$CID" \
	-set warmup "$WARMUP" -set rounds "$ROUNDS" -nostdin \
	-timeout 90s -timeout_error -recv_timeout 40s \
	-trace_msg -message_file "$TI_DIR/pbx.msg.txt" \
	-trace_err -error_file "$TI_DIR/pbx.err.log" \
	-trace_logs -log_file "$TI_DIR/pbx.actions.txt" \
	"$(tc_trunkd ent)"

status() { ti_ctl status heap; }
# The transactions nta holds, both sides, server and client (`trunkctl
# status` "sip"), those it keeps for its timers after their end included.
HELD="sum(s['server_transactions'] + s['client_transactions'] for s in j['sip'].values())"
# Settled: the call is up and nta keeps no transaction (nothing under way,
# nothing lingering for its timers).
settled()
{
	local st
	ti_running pbx || ti_fail "the PBX's SIPp exited early (see pbx.log)"
	st=$(status) || return 1
	[ "$(ti_json "$st" "j['calls'] == 1 and $HELD == 0")" = True ] || return 1
	HEAP=$(ti_json "$st" "j['heap_bytes']")
}
busy()
{
	[ "$(ti_json "$(status)" "$HELD > 0")" = True ]
}
kick()
{
	ti_exec python3 "$TI_TEST_DIR/kick.py" "$TC_PBX" "$(ti_port 5070)" "$CID" ||
		ti_fail "cannot send kick $1 to the PBX"
}

ti_wait_until 30 settled || ti_fail "no settled call after the warm-up: $(status)"
heap1=$HEAP
kick 1
ti_wait_until 5 busy || ti_fail "no transaction after kick 1: the rounds did not start"
ti_wait_until 30 settled || ti_fail "not settled after $ROUNDS rounds: $(status)"
heap2=$HEAP
kick 2
per_round=$(((heap2 - heap1) / ROUNDS))
ti_log "heap in use: $heap1 bytes after the warm-up, $heap2 after $ROUNDS rounds: $per_round bytes per round"

ti_wait_exit pbx 15 || ti_fail "the PBX's SIPp did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the PBX's scenario failed (SIPp exit $TI_EXIT_STATUS)"
tc_checks_ok pbx || ti_fail "the PBX's scenario failed an assertion"
ti_wait_exit carrier 15 || ti_fail "the carrier's SIPp did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the carrier's scenario failed (SIPp exit $TI_EXIT_STATUS)"
tc_checks_ok carrier || ti_fail "the carrier's scenario failed an assertion"
((per_round < LIMIT)) ||
	ti_fail "the call keeps $per_round bytes per re-INVITE+UPDATE round (limit $LIMIT)"
ti_pass
