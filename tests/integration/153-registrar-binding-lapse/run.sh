#!/usr/bin/env bash
# 153-registrar-binding-lapse: phone bob (extension 202) registers for 4 s
# ([enterprise] min_expires lowered to 1 s) and never refreshes.
#   1. While bound, trunkctl lists the binding and the PBX's call to 202
#      reaches bob's contact (a SIPp UAS) and completes.
#   2. Once the 4 s are over (the test waits for the clock, asking
#      trunkd nothing meanwhile, so that the call itself meets the lapsed
#      binding), the PBX's call to 202 gets 480 Temporarily Unavailable
#      (RFC 3261 21.4.18: a known user who is not registered) and nothing
#      reaches bob's old contact; trunkctl no longer lists it.
# REQ: none (enterprise registrar: REQUIREMENTS.md has no registrar IDs; RFC 3261 10.2.1, 10.3)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_section_conf enterprise "$TI_ROOT/peers/calls.conf" "min_expires = 1s"
cat "$TI_TEST_DIR/phones.conf" >>"$TI_DIR/src.conf"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5

BOB=127.0.0.1:$(ti_port 5172)
rc=0
ti_sipp bob-register "$TI_ROOT/peers/phone-register.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -au bob -ap bob-pw-2 -key user bob \
	-key contacts "<sip:bob@$BOB>" -key expires 4 || rc=$?
[ "$rc" = 0 ] || ti_fail "bob could not register (SIPp exit $rc)"
registered=$EPOCHREALTIME
grep -q "expires=4" "$TI_DIR/bob-register.actions.txt" ||
	ti_fail "the 200 did not grant 4 s: $(cat "$TI_DIR/bob-register.actions.txt")"

# 1. Bound.
s=$(ti_ctl registrations) || ti_fail "trunkctl registrations failed"
ti_json_check "$s" "[(r['phone'], r['contact']) for r in j['registrations']] ==
	[('bob', 'sip:bob@$BOB')]" "bob's binding while registered"
ti_start bob sipp -sn uas -m 1 -t u1 -i 127.0.0.1 -p "$(ti_port 5172)" \
	-nostdin -timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/bob.msg.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5172)" 10
rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i "$TC_PBX" -p "$(ti_port 5070)" -s 202 \
	-nostdin -timeout 10s -timeout_error \
	-trace_msg -message_file "$TI_DIR/pbx-bound.msg.txt" \
	"$(tc_trunkd ent)" >"$TI_DIR/pbx-bound.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the call to 202 while bob is registered failed (SIPp exit $rc)"
ti_wait_exit bob 10 || ti_fail "bob's UAS did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "bob's UAS exit $TI_EXIT_STATUS"
grep -q "^INVITE sip:bob@$BOB SIP/2.0" "$TI_DIR/bob.msg.txt" ||
	ti_fail "bob's contact did not get the INVITE"

# 2. Lapsed: trunkd's clock is in whole seconds, the binding is gone
# 4 s after the 200 at the latest; 5 s leaves a margin.
past() { python3 -c "import sys, time; sys.exit(time.time() < $1 + 5)"; }
ti_wait_until 10 past "$registered" || ti_fail "the clock did not advance"
ti_start bob-gone python3 "$TI_ROOT/peers/silent_sse.py" 127.0.0.1 \
	"$(ti_port 5172)" "$TI_DIR/bob-gone.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5172)" 10
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/lapsed.xml" \
	STATUS=480 FOREIGN='sip:bob@' MAX_FORWARDS=70 CHECKS=
tc_pbx pbx-lapsed "$TI_DIR/lapsed.xml" u1 -s 202 ||
	ti_fail "the call to 202 after the binding lapsed did not get 480"
[ ! -s "$TI_DIR/bob-gone.txt" ] ||
	ti_fail "something reached bob's lapsed contact: $(cat "$TI_DIR/bob-gone.txt")"
s=$(ti_ctl registrations) || ti_fail "trunkctl registrations failed"
ti_json_check "$s" "not [r for r in j['registrations'] if r['phone'] == 'bob']" \
	"trunkctl still lists bob's lapsed binding"
ti_pass
