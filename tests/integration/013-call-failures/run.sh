#!/usr/bin/env bash
# 013-call-failures: the carrier refuses the PBX's call with 486, 404, 302
# (with a Contact) and 503 (with Retry-After); the PBX gets the same
# status from trunkd, with the redirect Contact kept and no carrier
# address, but for the 503: that becomes 500 without Retry-After (RFC 3261
# 16.7 step 6: a PBX using trunkd as its only next hop would otherwise
# stop all its calls for Retry-After seconds although one carrier SP-SSE
# is overloaded; docs/calls.md). 603 Decline and 600 Busy Everywhere
# (6xx, global failures) reach the PBX as they are. The carrier gets
# trunkd's ACK each time. Inbound, the PBX refuses the carrier's call
# with 486, 480, 404 and 603: the carrier gets the same status and
# phrase, with no PBX address, and the PBX gets trunkd's ACK.
# REQ: SC-6-1 (partly: final responses relayed with their status)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

carrier_contact='Contact: <sip:carrier@[local_ip]:[local_port]>'
# refused STATUS REASON CARRIER_HEADERS PBX_CHECKS [PBX_STATUS]
refused()
{
	local status=$1 pbx_status=${5:-$1} rc=0
	tc_template "$TI_TEST_DIR/callee-reject.xml.in" \
		"$TI_DIR/carrier-$status.xml" STATUS="$status" REASON="$2" \
		HEADERS="$3" FOREIGN='127\.0\.0\.2' \
		RURI='sip:\+15550100001@carrier\.invalid;user=phone'
	tc_template "$TI_ROOT/peers/uac-rejected.xml.in" \
		"$TI_DIR/pbx-$status.xml" STATUS="$pbx_status" MAX_FORWARDS=70 \
		FOREIGN='127\.0\.0\.3' CHECKS="$4"
	tc_peer "carrier-$status" "$TC_CARRIER" 5090 "$TI_DIR/carrier-$status.xml" \
		-set trunkd "$(tc_trunkd trunk)"
	tc_pbx "pbx-$status" "$TI_DIR/pbx-$status.xml" u1 -s +15550100001 ||
		rc=$?
	[ "$rc" = 0 ] || ti_fail "$status: PBX did not get $pbx_status (SIPp exit $rc)"
	tc_peer_wait "carrier-$status"
}

refused 486 "Busy Here" "$carrier_contact" ''
refused 404 "Not Found" "$carrier_contact" ''
refused 603 "Decline" "$carrier_contact" ''
refused 600 "Busy Everywhere" "$carrier_contact" ''
refused 302 "Moved Temporarily" \
	'Contact: <sip:+15550100077@carrier.invalid;user=phone>' \
	'<ereg regexp="^ *&lt;sip:\+15550100077@carrier\.invalid;user=phone>" search_in="hdr" header="Contact:" check_it="true" assign_to="target"/>
<log message="redirect target kept: [$target]"/>'
# Last: a 503 marks the carrier's SP-SSE down (failover, STA-1); the only
# SP-SSE, so the PBX gets 500, without the carrier's Retry-After.
refused 503 "Service Unavailable" "$carrier_contact
Retry-After: 120" \
	'<ereg regexp="Retry-After" search_in="msg" check_it_inverse="true" assign_to="retry"/>
<log message="no Retry-After [$retry]"/>' 500

# inbound STATUS REASON: the PBX refuses the carrier's call with STATUS
# REASON; the carrier must get the same, without the PBX's address.
inbound()
{
	local status=$1 rc=0
	tc_template "$TI_TEST_DIR/callee-reject.xml.in" \
		"$TI_DIR/pbx-in-$status.xml" STATUS="$status" REASON="$2" \
		HEADERS="Contact: <sip:2001@[local_ip]:[local_port]>" \
		FOREIGN='127\.0\.0\.3' RURI='sip:\+15550100001@127\.0\.0\.2:[0-9]+;transport=udp'
	tc_template "$TI_ROOT/peers/uac-rejected.xml.in" \
		"$TI_DIR/carrier-in-$status.xml" STATUS="$status" \
		MAX_FORWARDS=70 FOREIGN='127\.0\.0\.2' \
		CHECKS="<ereg regexp=\"^SIP/2\\.0 $status $2\" search_in=\"msg\" check_it=\"true\" assign_to=\"line\"/>
<log message=\"status line [\$line]\"/>"
	tc_peer "pbx-in-$status" "$TC_PBX" 5070 "$TI_DIR/pbx-in-$status.xml" \
		-set trunkd "$(tc_trunkd ent)"
	tc__uac "carrier-in-$status" "$TI_DIR/carrier-in-$status.xml" u1 5080 \
		-i "$TC_CARRIER" -p "$(ti_port 5090)" -s +15550100001 \
		-set trunkd "$(tc_trunkd trunk)" || rc=$?
	[ "$rc" = 0 ] || ti_fail "inbound $status: the carrier did not get $status $2 (SIPp exit $rc)"
	tc_peer_wait "pbx-in-$status"
}

inbound 486 "Busy Here"
inbound 480 "Temporarily Unavailable"
inbound 404 "Not Found"
inbound 603 "Decline"
ti_pass
