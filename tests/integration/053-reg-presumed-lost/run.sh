#!/usr/bin/env bash
# 053-reg-presumed-lost: a Registration-mode trunk registered with Kamailio
# (127.0.0.3). The PBX calls out through it; the carrier answers the INVITE
# 403. trunkd relays the 403 to the PBX and, per SIPconnect REG-11, presumes
# the registration lost and registers again at once (a new REGISTER after
# the INVITE in Kamailio's log); the event hook and trunkctl saw it.
# REQ: REG-11
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/flows.sh"
ti_setup

ti_config "$TI_TEST_DIR/trunkd.conf" "$TI_DIR/trunkd.conf"
flows_hook
flows_kamailio 0 yes "$TC_CARRIER"
ti_trunkd_start "$TI_DIR/trunkd.conf"
registered() { [ "$(flows_ctl registrations "j['trunks'][0]['state']")" = registered ]; }
ti_wait_until 10 registered || ti_fail "the trunk did not register"
[ "$(flows_registers | wc -l)" = 1 ] || ti_fail "more than one REGISTER before the call"

tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-403.xml" \
	STATUS=403 MAX_FORWARDS=70 FOREIGN='127\.0\.0\.3' CHECKS=
rc=0
tc_pbx pbx "$TI_DIR/pbx-403.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX did not get the 403 (SIPp exit $rc)"
grep -q 'INVITE proto=udp src=127.0.0.1:' "$TI_DIR/kamailio.log" ||
	ti_fail "the INVITE did not reach the carrier"

# REG-11: a new REGISTER, after the INVITE, and registered again.
reregistered()
{
	awk '/INVITE proto=/ { inv = 1 } inv && /REGISTER proto=/ && /expires=\[3600\]/ { found = 1 } END { exit !found }' \
		"$TI_DIR/kamailio.log"
}
ti_wait_until 10 reregistered || ti_fail "no REGISTER after the 403 to the INVITE"
ti_wait_until 10 registered || ti_fail "not registered again"
grep -q '^registration|carrier|registering|INVITE got 403: registration presumed lost (REG-11)$' "$TI_DIR/hook.log" ||
	ti_fail "the hook did not see the registration presumed lost"
# Exactly one: no loop.
[ "$(flows_registers | grep -c 'expires=\[3600\]')" = 2 ] ||
	ti_fail "$(flows_registers | grep -c 'expires=\[3600\]') REGISTERs, want 2"
ti_pass
