#!/usr/bin/env bash
# 038-call-transfer: transfer by third-party call control (SIPconnect 12,
# XFR-1), the carrier seeing nothing of it. A second PBX "desk" (SIPp on
# 127.0.0.5) calls the carrier (127.0.0.3); extension 2002 lives on the
# first PBX (127.0.0.2, the target).
#   refer  the desk's attended REFER (Replaces) gets 501; its blind REFER
#          to 2002 gets 202 and NOTIFY 100; trunkd calls 2002 with its own
#          INVITE and anchored SDP; when 2002 answers, the desk gets
#          NOTIFY 200 (terminated) and BYE; 2002 hangs up and the carrier
#          gets the BYE. The carrier's own REFER gets 405 and it never
#          sees a REFER or re-INVITE.
#   ctl    the same call transferred by `trunkctl transfer ID 2002`: the
#          desk gets only the BYE.
# REQ: XFR-1 (partly: blind transfer; attended, with Replaces, gets 501)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

DESK=127.0.0.5
tc_trunkd_start "$TI_TEST_DIR/desk.conf"

# transfer MODE: one transferred call, the desk running desk-MODE.xml.
transfer()
{
	local mode=$1
	tc_peer "carrier-$mode" "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml" \
		-set trunkd "$(tc_trunkd trunk)"
	tc_peer "target-$mode" "$TC_PBX" 5070 "$TI_TEST_DIR/target.xml" \
		-set trunkd "$(tc_trunkd ent)"
	tc_peer "desk-$mode" "$DESK" 5070 "$TI_TEST_DIR/desk-$mode.xml" \
		-s +15550100001 -cid_str "desk-$mode-%u@%s" \
		-set trunkd "$(tc_trunkd ent)" "$(tc_trunkd ent)"
	if [ "$mode" = ctl ]; then
		ti_wait_until 10 call_up ||
			ti_fail "ctl: no established call to transfer"
		out=$(ti_ctl transfer "$(call_id)" 2002) ||
			ti_fail "ctl: trunkctl transfer failed: $out"
		ti_json_check "$out" 'j["ok"]' "trunkctl transfer"
	fi
	tc_peer_wait "desk-$mode"
	tc_peer_wait "target-$mode"
	tc_peer_wait "carrier-$mode"
}

calls_json() { ti_ctl calls; }
call_up()
{
	[ "$(ti_json "$(calls_json)" \
		'len([c for c in j["calls"] if c["state"] == "CONFIRMED"])')" = 1 ]
}
call_id()
{
	ti_json "$(calls_json)" \
		'[c["id"] for c in j["calls"] if c["state"] == "CONFIRMED"][0]'
}

transfer refer
transfer ctl
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has calls after the transfers"
ti_pass
