#!/usr/bin/env bash
# 054-flow-bad-input: a registrar (peers/gated_registrar.py) answers
# REGISTER with Flow-Timer: 0, Flow-Timer: 100000 and a Via keep=junk:
# each is ignored (the flow keeps the RFC 5626 UDP default, 24-29 s), no
# extra REGISTER is sent (the registrar fails on any unscripted one), and
# trunkd stays up.
# The next refresh's Via offers keep again (KEEP-4) and the answer's
# keep=3 sets STUN keep-alives to 2.4-3.0 s (KEEP-2), seen on the wire.
# REQ: KEEP-2, KEEP-4, OB-4
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/flows.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
flows_global "random_seed = 54"
flows_capture_start
# The registrar holds each new REGISTER until the test lets it answer
# (gate files go-N): while REGISTER N+1 is held, trunkd's state is that
# of answer N and cannot move on (with SIPp answering at once, the next
# refresh's answer, 2 s later, could come before the check of this one).
mkdir "$TI_DIR/gate"
touch "$TI_DIR/gate/go-1"
ti_start registrar python3 "$TI_ROOT/peers/gated_registrar.py" 127.0.0.1 \
	"$(ti_port 5090)" "$TI_DIR/gate" "$TI_DIR/registrar.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

flow() { ti_json "$(ti_ctl flows)" "j['flows'][0]$1"; }
held() { grep -q "REGISTER $1 held" "$TI_DIR/registrar.txt"; }
# After each bad value (REGISTER n+1 held): the default interval, no
# server value.
for n in 1 2 3; do
	ti_wait_until 10 held $((n + 1)) || ti_fail "REGISTER $((n + 1)) did not come"
	[ "$(flow "['server_value_s']")" = 0 ] || ti_fail "a bad value was taken ($n)"
	[ "$(flow "['interval_source']")" = default ] || ti_fail "interval source after bad value $n"
	ti_json_check "$(ti_ctl flows)" "24000 <= j['flows'][0]['interval_ms'] <= 29000" "default interval after bad value $n"
	touch "$TI_DIR/gate/go-$((n + 1))"
done
# The good keep=3 after the fourth REGISTER.
keep3() { [ "$(flow "['interval_source']")" = keep ] && [ "$(flow "['server_value_s']")" = 3 ]; }
ti_wait_until 12 keep3 || ti_fail "keep=3 not taken"
ti_json_check "$(ti_ctl flows)" "2400 <= j['flows'][0]['interval_ms'] <= 3000" "interval from keep=3"
stuns() { [ "$(flows_fields "udp.dstport == $(ti_port 5090) && stun.type == 0x0001" frame.time_epoch | wc -l)" -ge 4 ]; }
ti_wait_until 15 stuns || ti_fail "fewer than 4 STUN keep-alives after keep=3"
flows_capture_stop
flows_fields "udp.dstport == $(ti_port 5090) && stun.type == 0x0001" frame.time_epoch |
	flows_gaps_within 2.4 3.05 "STUN after keep=3" || ti_fail "keep-alive interval after keep=3"
ti_running trunkd || ti_fail "trunkd died"

touch "$TI_DIR/gate/go-5" # the un-REGISTER is answered at once
ti_stop trunkd 10
ti_wait_exit registrar 10 || ti_fail "the registrar got no un-REGISTER"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "the registrar's script failed (exit $TI_EXIT_STATUS): $(grep ERROR "$TI_DIR/registrar.txt")"
ti_pass
