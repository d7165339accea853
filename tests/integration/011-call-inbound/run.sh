#!/usr/bin/env bash
# 011-call-inbound: a call from the carrier to the PBX through trunkd,
# routed on the Request-URI user while To names another number; the PBX
# sees trunkd's own request (R-URI at the [pbx] address, one Via, new
# Call-ID, no carrier address), the carrier trunkd's answers; the carrier
# hangs up.
# REQ: ID-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
rc=0
tc_carrier carrier "$TI_ROOT/peers/carrier-invite.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "carrier scenario failed (SIPp exit $rc)"
tc_peer_wait pbx
ti_pass
