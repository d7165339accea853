#!/usr/bin/env bash
# 036-call-session-timer: RFC 4028 session timers, negotiated per leg with
# trunkd's session_expires 8 s and min_se 4 s (short, for the test):
#   refresh  the PBX asks for 10 s and refreshes its leg: trunkd gives it
#            8 s with refresher=uac and Require: timer, and answers its
#            bodiless UPDATE itself (not relayed); on the carrier's leg
#            trunkd asks for 8 s / Min-SE 4 on its own, is made the
#            refresher and sends a bodiless UPDATE at half the interval
#            (checked: 3.5-6 s after the 200, exactly one UPDATE);
#   expire   the PBX knows no timers: trunkd imposes 8 s with
#            refresher=uas and refreshes it by re-INVITE with the same SDP
#            (SDP-3: nothing changed, nor does its o= version; the PBX does
#            not allow UPDATE); the carrier takes the
#            refresher role and never refreshes: trunkd sends BYE on both
#            legs at interval - min(32 s, interval/3) (checked: 4.8-7.5 s
#            after the carrier's 200);
#   422      the carrier answers 422 with Min-SE: 10: trunkd retries at
#            once in the same dialog with Session-Expires 10 / Min-SE 10
#            and the call goes through; a PBX INVITE with
#            Session-Expires 2 (< min_se) gets 422 with Min-SE: 4 and
#            reaches no carrier.
# REQ: SC-6-2, SDP-3, XFR-2 (partly: re-INVITE sent with an offer as a refresh), SC-6-1 (partly: RFC 4028 on both legs)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# peers/calls.conf with short session timers in [global].
TC_GLOBAL=$'session_expires = 8s\nmin_se = 4s' tc_trunkd_start


tc_call_pair refresh
ok=$(tc_msg_time carrier-refresh sent '^SIP/2\.0 200' 2>/dev/null)
upd=$(tc_msg_time carrier-refresh received '^UPDATE ' 2>"$TI_DIR/n-upd")
[ "$(cat "$TI_DIR/n-upd")" = 1 ] ||
	ti_fail "refresh: the carrier got $(cat "$TI_DIR/n-upd") UPDATEs, not 1 (the PBX's refresh must stay on its leg)"
d=$(tc_between "$ok" "$upd" 3.5 6) ||
	ti_fail "refresh: trunkd's UPDATE came $d s after the 200, not at half of 8 s"
ti_log "refresh: trunkd refreshed the carrier's leg $d s after its 200"

tc_call_pair expire
ok=$(tc_msg_time carrier-expire sent '^SIP/2\.0 200' 2>/dev/null)
bye=$(tc_msg_time carrier-expire received '^BYE ' 2>/dev/null)
d=$(tc_between "$ok" "$bye" 4.8 7.5) ||
	ti_fail "expire: trunkd's BYE came $d s after the 200, expected about 5.3 s"
ti_log "expire: trunkd hung up $d s after the carrier's 200"

# 422 from the carrier: trunkd retries with the carrier's Min-SE; the PBX
# (../peers/pbx-call.xml) sees an ordinary call.
tc_peer carrier-422 "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-422.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx-call "$TI_ROOT/peers/pbx-call.xml" u1 -s +15550100001 \
	-set contact_tp udp || rc=$?
[ "$rc" = 0 ] || ti_fail "422 from the carrier: PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier-422

# 422 to the PBX: the carrier must see nothing (no SIPp there: trunkd would get an
# ICMP error or a timeout, never a 422 of its own).
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-422.xml" \
	STATUS=422 MAX_FORWARDS=70 FOREIGN='127\.0\.0\.3' \
	CHECKS='<ereg regexp="^ *4$" search_in="hdr" header="Min-SE:" check_it="true" assign_to="min_se"/>
<log message="422 with Min-SE [$min_se]"/>'
sed -i 's/^\( *\)Max-Forwards: 70$/&\n\1Supported: timer\n\1Session-Expires: 2/' \
	"$TI_DIR/pbx-422.xml"
rc=0
tc_pbx pbx-422 "$TI_DIR/pbx-422.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "422: PBX scenario failed (SIPp exit $rc)"
ti_pass
