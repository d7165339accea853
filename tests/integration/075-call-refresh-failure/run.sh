#!/usr/bin/env bash
# 075-call-refresh-failure: a session refresh that fails ends the call on
# both legs (RFC 4028 10). trunkd runs with session_expires 30 s, min_se
# 4 s; the carrier makes it the refresher of a 4 s session on its leg
# (Session-Expires: 4;refresher=uac), so trunkd sends a bodiless UPDATE
# about 2 s after the carrier's 200 (checked 1.5-3 s). The carrier then
#   481   answers 481: trunkd sends BYE to the carrier and to the PBX at
#         once (checked within 0.5 s of the UPDATE);
#   408   answers 408: the same;
#   none  never answers (UPDATE retransmissions ignored): trunkd sends BYE
#         on both legs when the session would expire, interval -
#         min(32 s, interval/3) after the 200, 0.67 s after its UPDATE
#         (checked 0.4-1.5 s).
# The PBX (../peers/pbx-call.xml -set bye wait) must get the BYE in its
# dialog; no call is left.
# REQ: SC-6-1 (partly: RFC 4028 10, a failed session refresh ends the call)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

TC_GLOBAL=$'session_expires = 30s\nmin_se = 4s' tc_trunkd_start

# refresh_fails CASE ANSWER LOW HIGH: one call whose refresh the carrier
# fails with ANSWER (a <send> block, or the ignoring of UPDATEs); the BYE
# must come LOW-HIGH s after the UPDATE.
refresh_fails()
{
	local name=$1 rc=0 ok upd bye d
	tc_template "$TI_TEST_DIR/carrier.xml.in" "$TI_DIR/carrier-$name.xml" \
		CASE="$name" ANSWER="$2"
	tc_peer "carrier-$name" "$TC_CARRIER" 5090 "$TI_DIR/carrier-$name.xml" \
		-set trunkd "$(tc_trunkd trunk)"
	tc_pbx "pbx-$name" "$TI_ROOT/peers/pbx-call.xml" u1 -s +15550100001 \
		-set bye wait -set contact_tp udp || rc=$?
	[ "$rc" = 0 ] || ti_fail "$name: PBX scenario failed (SIPp exit $rc)"
	tc_peer_wait "carrier-$name"
	ok=$(tc_msg_time "carrier-$name" sent '^SIP/2\.0 200' 2>/dev/null)
	upd=$(tc_msg_time "carrier-$name" received '^UPDATE ' 2>/dev/null)
	bye=$(tc_msg_time "carrier-$name" received '^BYE ' 2>/dev/null)
	d=$(tc_between "$ok" "$upd" 1.5 3) ||
		ti_fail "$name: the refresh came $d s after the 200, not at half of 4 s"
	d=$(tc_between "$upd" "$bye" "$3" "$4") ||
		ti_fail "$name: the BYE came $d s after the UPDATE, not $3-$4 s"
	ti_log "$name: BYE on both legs $d s after the failed refresh"
}

answer()
{
	cat <<XML
<send>
  <![CDATA[

    SIP/2.0 $1
    [last_Via:]
    [last_From:]
    [last_To:]
    [last_Call-ID:]
    [last_CSeq:]
    Content-Length: 0

  ]]>
</send>
XML
}

refresh_fails 481 "$(answer '481 Call/Transaction Does Not Exist')" 0 0.5
refresh_fails 408 "$(answer '408 Request Timeout')" 0 0.5
refresh_fails none '<label id="ignore"/>
<recv request="UPDATE" optional="true" next="ignore"/>' 0.4 1.5

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
