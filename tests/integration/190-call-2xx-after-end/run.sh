#!/usr/bin/env bash
# 190-call-2xx-after-end: the carrier's 200 to trunkd's INVITE reaches a
# call that already ended (TERMINATED) but is not yet freed: the PBX's
# BYE of its early dialog and the carrier's 200 wait together in trunkd's
# sockets (trunkd stopped with SIGSTOP, our own trunkd by PID), the BYE
# first, and are read in one pass of trunkd's event loop. The carrier
# must get trunkd's ACK of that 200 and then its BYE (RFC 3261 13.2.2.4,
# 15); the PBX its 200 for the BYE and no 2xx for its INVITE.
# REQ: SC-6-1 (partly: RFC 3261 13.2.2.4 ACK+BYE of a 2xx that crossed the end of its call)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
trunkd=$(ti_pid trunkd)
gate=$TI_DIR/gate

no_calls() { [ "$(ti_json "$(ti_ctl calls)" "len(j['calls'])")" = 0 ]; }

# stopped: trunkd is stopped (state T in /proc/PID/stat).
stopped()
{
	local st
	read -r st <"/proc/$trunkd/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" = T ]
}

ti_start peer python3 "$TI_TEST_DIR/crossed_2xx.py" \
	--pbx "$TC_PBX:$(ti_port 5070)" --carrier "$TC_CARRIER:$(ti_port 5090)" \
	--ent "$(tc_trunkd ent)" --trunk "$(tc_trunkd trunk)" \
	--gate "$gate" --log "$TI_DIR/peer.msg.txt"
ti_wait_file "$gate.ready" 15
kill -STOP "$trunkd"
ti_wait_until 5 stopped || { kill -CONT "$trunkd"; ti_fail "trunkd did not stop"; }
touch "$gate"
ti_wait_until 10 test -e "$gate.queued" ||
	{ kill -CONT "$trunkd"; ti_fail "the BYE and the 200 did not both wait in trunkd's sockets: $(tail -1 "$TI_DIR/peer.log")"; }
kill -CONT "$trunkd"
ti_wait_exit peer 30 || ti_fail "the peer still runs after 30 s"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the peer: $(tail -1 "$TI_DIR/peer.log")"
ti_wait_until 5 no_calls || ti_fail "a call is left in trunkctl calls"
ti_log "the 200 that crossed the PBX's BYE got ACK and BYE"
ti_pass
