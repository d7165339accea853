#!/usr/bin/env bash
# 017-drain: SIGTERM with a call up. trunkd drains: a new INVITE gets 503
# while the call goes on; when shutdown_grace (2 s in calls.conf) is over
# trunkd sends BYE to both the PBX and the carrier, and exits 0.
# REQ: none (graceful shutdown; DESIGN, no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_carrier_answers carrier
tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-call.xml" \
	-s +15550100001 -cid_str 'pbx-call-%u-%p@%s' \
	-set trunkd "$(tc_trunkd ent)" -set bye wait -set contact_tp udp \
	"127.0.0.1:$(ti_port 5060)"

# calls_are STATE...: trunkctl calls lists exactly calls in these states.
calls_are()
{
	local want reply
	want=$(printf '"%s",' "$@")
	reply=$(ti_ctl calls) || return 1
	[ "$(ti_json "$reply" "[c['state'] for c in j['calls']] == [${want%,}]")" = True ]
}
ti_wait_until 10 calls_are CONFIRMED || ti_fail "the call was not set up in 10 s"

kill -TERM "$(ti_pid trunkd)"
draining()
{
	local reply
	reply=$(ti_ctl status) || return 1
	[ "$(ti_json "$reply" 'j["draining"] is True and j["calls"] == 1')" = True ]
}
ti_wait_until 5 draining || ti_fail "trunkd is not draining its call after SIGTERM"

tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-late.xml" \
	STATUS=503 MAX_FORWARDS=70 FOREIGN='127\.0\.0\.3' CHECKS=
rc=0
tc_pbx pbx-late "$TI_DIR/pbx-late.xml" u1 -p "$(ti_port 5072)" \
	-s +15550100002 || rc=$?
[ "$rc" = 0 ] || ti_fail "an INVITE during the drain did not get 503 (SIPp exit $rc)"
ti_running trunkd || ti_fail "trunkd exited before shutdown_grace was over"

ti_wait_exit trunkd 10 || ti_fail "trunkd still running 10 s after SIGTERM"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "trunkd exited with status $TI_EXIT_STATUS after the drain, expected 0"
tc_peer_wait pbx
tc_peer_wait carrier
ti_pass
