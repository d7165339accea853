#!/usr/bin/env bash
# 012-call-cancel: the PBX cancels a call while the carrier rings; the PBX
# gets 200 for its CANCEL and 487 for its INVITE, the carrier gets trunkd's
# CANCEL for trunkd's INVITE, answers 487 and gets the ACK.
# REQ: SC-6-1 (partly: CANCEL relayed, RFC 3261 9)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-cancel.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx-cancel.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier
ti_pass
