#!/usr/bin/env bash
# 013-call-failures: the carrier refuses the PBX's call with 486, 404, 302
# (with a Contact) and 503 (with Retry-After); each time the PBX gets the
# same status from trunkd, with the redirect Contact and the Retry-After
# kept and no carrier address, and the carrier gets trunkd's ACK.
# REQ: SC-6-1 (partly: final responses relayed with their status)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

carrier_contact='Contact: <sip:carrier@[local_ip]:[local_port]>'
# refused STATUS REASON CARRIER_HEADERS PBX_CHECKS
refused()
{
	local status=$1 rc=0
	tc_template "$TI_TEST_DIR/carrier-reject.xml.in" \
		"$TI_DIR/carrier-$status.xml" STATUS="$status" REASON="$2" \
		HEADERS="$3"
	tc_template "$TI_ROOT/peers/uac-rejected.xml.in" \
		"$TI_DIR/pbx-$status.xml" STATUS="$status" MAX_FORWARDS=70 \
		FOREIGN='127\.0\.0\.3' CHECKS="$4"
	tc_peer "carrier-$status" "$TC_CARRIER" 5090 "$TI_DIR/carrier-$status.xml" \
		-set trunkd "$(tc_trunkd trunk)"
	tc_pbx "pbx-$status" "$TI_DIR/pbx-$status.xml" u1 -s +15550100001 ||
		rc=$?
	[ "$rc" = 0 ] || ti_fail "$status: PBX scenario failed (SIPp exit $rc)"
	tc_peer_wait "carrier-$status"
}

refused 486 "Busy Here" "$carrier_contact" ''
refused 404 "Not Found" "$carrier_contact" ''
refused 302 "Moved Temporarily" \
	'Contact: <sip:+15550100077@carrier.invalid;user=phone>' \
	'<ereg regexp="^ *&lt;sip:\+15550100077@carrier\.invalid;user=phone>" search_in="hdr" header="Contact:" check_it="true" assign_to="target"/>
<log message="redirect target kept: [$target]"/>'
# Last: a 503 marks the carrier's SP-SSE down (failover, STA-1).
refused 503 "Service Unavailable" "$carrier_contact
Retry-After: 120" \
	'<ereg regexp="^ *120$" search_in="hdr" header="Retry-After:" check_it="true" assign_to="retry"/>
<log message="Retry-After kept: [$retry]"/>'
ti_pass
