#!/usr/bin/env bash
# 154-sse-timeout-late-answer: a trunk with two SP-SSEs over UDP
# (127.0.0.3 slow, 127.0.0.5; invite_timeout = 2s). The first answers
# trunkd's INVITE 3 s late, after the call went to the second:
# 1. with 180: it must get trunkd's CANCEL of that INVITE (and the
#    ACK of its 487), while the call completes at the second untouched;
# 2. with 200 OK at once: trunkd must ACK and BYE that dialog, the call
#    completes at the second;
# 3. with 200 OK after the second refused the call (486, relayed to the
#    PBX, the call over): trunkd must still ACK and BYE it;
# 4. with 200 OK, then 407 to trunkd's BYE: the BYE must come again with
#    the trunk's credentials (Proxy-Authorization), once;
# 5. ringing reliably (PRACKed by trunkd), the call hung up by trunkctl,
#    then 200 OK crossing trunkd's CANCEL: ACK, and a BYE whose CSeq is
#    above the PRACK's;
# 6. with 407 to trunkd's INVITE, then 200 OK to the INVITE with
#    credentials: the ACK of that late 200 must carry the INVITE's
#    Proxy-Authorization (RFC 3261 13.2.2.4), then the BYE.
# REQ: SC-6-1, STA-1, STA-6 (all partly: RFC 3261 9.1 CANCEL and 13.2.2.4 ACK+BYE of an INVITE left by SP-SSE failover; failover on silence leaves the first SP-SSE clean; a challenge to the BYE of an abandoned INVITE's dialog; the ACK of its late 2xx with the INVITE's credentials)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"

# sse1 NAME SCENARIO: the slow SP-SSE (127.0.0.3) for one call.
sse1()
{
	tc_peer "$1" 127.0.0.3 5090 "$TI_TEST_DIR/$2"
}

# sse2 NAME [SCENARIO]: the second SP-SSE (127.0.0.5), SIPp's built-in
# uas (answers, then takes the PBX's BYE) or SCENARIO.
sse2()
{
	if [ $# -gt 1 ]; then
		tc_peer "$1" 127.0.0.5 5090 "$TI_TEST_DIR/$2"
		return
	fi
	ti_start "$1" sipp -sn uas -t u1 -m 1 -i 127.0.0.5 -p "$(ti_port 5090)" \
		-nostdin -timeout 20s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log"
	ti_wait_port udp 127.0.0.5 "$(ti_port 5090)" 10
}

# call NAME: the PBX's call to +15550100001 must complete (SIPp's built-in
# uac); it holds the call 4 s before its BYE, so the slow SP-SSE answers
# while it is up: any message of that SP-SSE's relayed to the PBX (a 180,
# a second 200) is unexpected there and fails it.
call()
{
	local rc=0
	ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p "$(ti_port 5070)" \
		-s +15550100001 -d 4000 -nostdin -timeout 15s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log" \
		"127.0.0.1:$(ti_port 5060)" >"$TI_DIR/$1.screen.txt" 2>&1 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: the PBX's call failed (SIPp exit $rc)"
}

# part N SSE1-SCENARIO: trunkd afresh (both SP-SSEs unknown: the slow one
# is tried first), the slow SP-SSE with its scenario.
part()
{
	ti_stop trunkd
	ti_trunkd_start "$TI_DIR/trunkd.conf"
	sse1 "sse1-$1" "$2"
}

# completed N SSE1-SCENARIO: part N, the PBX's call completed at the
# second SP-SSE while the slow one ran its scenario.
completed()
{
	part "$1" "$2"
	sse2 "sse2-$1"
	call "pbx-$1"
	tc_peer_wait "sse1-$1"
	ti_wait_exit "sse2-$1" 15 || ti_fail "sse2-$1: SIPp did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "sse2-$1: SIPp exit $TI_EXIT_STATUS"
}

# 1. Ringing late: CANCEL.
completed 1 sse1-late-18x.xml
ti_log "1: the slow SP-SSE's late 180 got trunkd's CANCEL; the call completed at the second"

# 2. Answering late: ACK and BYE.
completed 2 sse1-late-200.xml
ti_log "2: the slow SP-SSE's late 200 got ACK and BYE; the call completed at the second"

# 3. Answering late after the call ended (486 from the second).
part 3 sse1-late-200.xml
sse2 sse2-3 sse2-busy.xml
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-3.xml" \
	STATUS=486 FOREIGN='127\.0\.0\.[35]' MAX_FORWARDS=70 CHECKS=
rc=0
tc__uac pbx-3 "$TI_DIR/pbx-3.xml" u1 5060 -s +15550100001 \
	-set trunkd "127.0.0.1:$(ti_port 5060)" || rc=$?
[ "$rc" = 0 ] || ti_fail "pbx-3: no 486 for the PBX (SIPp exit $rc)"
tc_peer_wait sse2-3
tc_peer_wait sse1-3
ti_log "3: the late 200 after the call ended got ACK and BYE"

# 4. Answering late, then challenging the BYE: the BYE again, once, with
# Proxy-Authorization (its digest checked here: SIPp checks Authorization
# only).
completed 4 sse1-late-200-auth.xml
ti_exec python3 "$TI_ROOT/peers/digest_check.py" "$TI_DIR/sse1-4.msg.txt" \
	BYE Proxy-Authorization abye- trunkuser trunk-secret-4 ||
	ti_fail "4: the second BYE's Proxy-Authorization is not the digest of trunkuser's password"
ti_log "4: the challenged BYE of the late 200's dialog came again with credentials"

# 5. A call hung up while it rings after trunkd PRACKed the SP-SSE's
# reliable 180; the SP-SSE answers 200 anyway. trunkd sends the PRACK in
# the same pass that takes the 180, so once trunkctl shows the call EARLY
# the PRACK's CSeq is spent.
part 5 sse1-prack-hangup-200.xml
ti_start pbx-5 sipp -sf "$TI_TEST_DIR/pbx-5.xml" -m 1 -t u1 -i 127.0.0.1 \
	-p "$(ti_port 5070)" -s +15550100001 -nostdin -timeout 20s \
	-timeout_error -trace_msg -message_file "$TI_DIR/pbx-5.msg.txt" \
	-trace_err -error_file "$TI_DIR/pbx-5.err.log" \
	"127.0.0.1:$(ti_port 5060)"
early() { [ "$(ti_json "$(ti_ctl calls)" "[c['state'] for c in j['calls']]")" = "['EARLY']" ]; }
ti_wait_until 10 early || ti_fail "5: the call is not EARLY: $(ti_ctl calls)"
ti_ctl hangup "$(ti_json "$(ti_ctl calls)" "j['calls'][0]['id']")" >/dev/null ||
	ti_fail "5: trunkctl hangup failed"
ti_wait_exit pbx-5 15 || ti_fail "5: the PBX's SIPp did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "5: the PBX did not get 503 (SIPp exit $TI_EXIT_STATUS)"
tc_peer_wait sse1-5
ti_log "5: the PBX got 503; the 200 after the PRACK and the hangup got ACK and a BYE above the PRACK's CSeq"

# 6. Challenged, then answering late: the ACK of that 200 carries the
# credentials of the INVITE it acknowledges.
completed 6 sse1-late-200-invauth.xml
out=$(python3 "$TI_ROOT/peers/ack_auth.py" "$TI_DIR/sse1-6.msg.txt" 1 2>&1) ||
	ti_fail "6: $out"
ti_log "6: the late 200 to the INVITE with credentials got an ACK with them ($out), and a BYE"
ti_pass
