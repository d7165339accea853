#!/usr/bin/env bash
# 109-call-prack-late: the PBX requires 100rel, the carrier's 183 (with
# SDP) is unreliable and its 200 follows at once. trunkd relays the 183
# to the PBX reliably (nta makes it so: the PBX requires it) and must hold
# its 200 until the PBX PRACKs that 183 (RFC 3262 3: an unPRACKed reliable
# 18x with SDP holds the 2xx back). The PBX (pbx.py) PRACKs only after
# `trunkctl calls` shows the call CONFIRMED, i.e. after trunkd took the
# carrier's 200: its PRACK must get 200 and its INVITE 200 (before, trunkd
# gave A's INVITE back to nta at the carrier's 200 while nta still held
# the 2xx, and nta answered the INVITE 500 instead; 035's `require` case
# hit that now and then). Then ACK and BYE; the carrier never sees a
# PRACK. No call is left.
# REQ: SC-6-1 (partly: a 2xx held behind a reliable 18x)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
ti_start pbx python3 "$TI_TEST_DIR/pbx.py" "$(tc_trunkd ent)" "$TI_DIR/go"
confirmed() { ti_ctl calls | grep -q CONFIRMED; }
ti_wait_until 10 confirmed || ti_fail "the call never got CONFIRMED: $(ti_ctl calls)"
touch "$TI_DIR/go"
ti_wait_exit pbx 15 || ti_fail "the PBX did not finish in 15 s"
[ "$TI_EXIT_STATUS" = 0 ] || { cat "$TI_DIR/pbx.log" >&2; ti_fail "the PBX's call failed (see pbx.log)"; }
ti_log "$(grep 'final answers' "$TI_DIR/pbx.log")"
tc_peer_wait carrier
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
