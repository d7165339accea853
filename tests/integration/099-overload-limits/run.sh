#!/usr/bin/env bash
# 099-overload-limits: new INVITEs refused before trunkd keeps any state of
# them. [global] max_calls = 1 with a call up: a new INVITE from the PBX
# and its retransmission both get exactly "503 Service Unavailable" +
# "Retry-After: 5" with the same To tag and no 100, over TCP and UDP, and
# nta's count of server transactions created does not move (stateless);
# over UDP the call ends between the two copies and the retransmission
# is still refused; 911 goes through at the limit (EM-4); once the call
# is gone a new call completes. After a reload to max_call_rate = 2 (burst 2), 8 calls at
# 100/s: 2-4 complete, the rest get the same 503, trunkctl's counters
# agree with the wire, and a call shortly after completes again.
# REQ: EM-4
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# ovl_config MAX_CALLS RATE BURST: peers/calls.conf with the dial plan and
# these [global] limits, as $TI_DIR/trunkd.conf.
ovl_config()
{
	cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
	awk -v add="max_calls = $1
max_call_rate = $2
max_call_burst = $3" '{ print }
		/^\[global\]$/ { print add }
		/^\[dialplan\]$/ { print "file = test.dialplan" }' \
		"$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
	ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
}

# st EXPR: EXPR over `trunkctl status` (j), printed.
st() { ti_json "$(ti_ctl status)" "$1"; }
created() { st "j['sip']['enterprise']['server_transactions_created']"; }

ovl_config 1 0 0
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5
ti_wait_port tcp 127.0.0.1 "$(ti_port 5060)" 5

# The carrier answers every call (SIPp's built-in UAS) until stopped.
ti_start carrier sipp -sn uas -t u1 -i "$TC_CARRIER" -p "$(ti_port 5090)" \
	-nostdin -trace_msg -message_file "$TI_DIR/carrier.msg.txt"
ti_wait_until 10 ti__listening udp "$TC_CARRIER" "$(ti_port 5090)" ||
	ti_fail "the carrier does not listen"

# 1. One call up: max_calls reached.
tc_peer long "$TC_PBX" 5071 "$TI_ROOT/peers/pbx-call.xml" -s 2125551234 \
	-cid_str 'pbx-call-%u-%p@%s' -set trunkd "$(tc_trunkd ent)" \
	-set bye wait -set contact_tp udp "$(tc_trunkd ent)"
up() { [ "$(ti_json "$(ti_ctl calls)" "[c['state'] for c in j['calls']] == ['CONFIRMED']")" = True ]; }
ti_wait_until 10 up || ti_fail "the first call is not up"

# 2. A new INVITE and its retransmission over TCP: 503 twice, statelessly.
before=$(created)
ti_exec python3 "$TI_TEST_DIR/retransmit.py" tcp "$TC_PBX" "$(ti_port 5073)" \
	127.0.0.1 "$(ti_port 5060)" 2125559998 >"$TI_DIR/retrans-tcp.log" 2>&1 ||
	ti_fail "TCP: the INVITE or its retransmission: $(tail -1 "$TI_DIR/retrans-tcp.log")"
[ "$(created)" = "$before" ] ||
	ti_fail "TCP: nta created server transactions for a refused INVITE"

# 2b. How long an INVITE on a TCP connection waited in the kernel is
# measured too (the overload detector's input for TCP callers, stun.c):
# the PBX's first INVITE on a connection is refused; trunkd is stopped
# (SIGSTOP, our own trunkd by PID) before the retransmission goes out on
# the same connection and continued once it has waited a measured time
# in trunkd's socket; trunkd's last_wait_us is at least that time.
gotcp=$TI_DIR/tcpwait-go
ti_start tcpwait python3 "$TI_TEST_DIR/retransmit.py" tcp "$TC_PBX" \
	"$(ti_port 5077)" 127.0.0.1 "$(ti_port 5060)" 2125559997 "$gotcp"
ti_wait_file "$gotcp.first" 10
queued()
{
	ti_exec ss -tnH state established "( sport = :$(ti_port 5060) )" |
		awk '$1 > 0 { f = 1 } END { exit !f }'
}
kill -STOP "$(ti_pid trunkd)"
touch "$gotcp"
ti_wait_until 5 queued || { kill -CONT "$(ti_pid trunkd)"; ti_fail "TCP: the retransmission never reached trunkd's socket"; }
ti__now q0
ti_wait_until 1 eval 'ti__now q1; ((q1 - q0 >= 300000))' # the wait to measure
kill -CONT "$(ti_pid trunkd)"
ti_wait_exit tcpwait 10 || ti_fail "TCP: the stopped-for PBX hangs"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "TCP: the INVITE or its retransmission: $(tail -1 "$TI_DIR/tcpwait.log")"
w=$(st "j['admission']['last_wait_us']")
ti_log "TCP: the retransmission waited >= $(((q1 - q0) / 1000)) ms in the socket; trunkd measured $((w / 1000)) ms"
((w >= q1 - q0)) || ti_fail "TCP: last_wait_us $w under the $((q1 - q0)) us the INVITE waited"

# 3. 911 at the limit: exempt (EM-4), it reaches the carrier.
tc_pbx em "$TI_ROOT/peers/pbx-call.xml" u1 -s 911 -set contact_tp udp ||
	ti_fail "the 911 call failed at max_calls"
grep -q '^INVITE sip:911@carrier.invalid SIP/2.0' "$TI_DIR/carrier.msg.txt" ||
	ti_fail "the carrier got no 911 INVITE"
ti_json_check "$(ti_ctl status)" "j['admission']['emergency_exempt'] == 1" \
	"the 911 call counted as exempt"

# 4. Over UDP: a new INVITE gets 503; before its retransmission the call
# ends (the limit is free again), yet the retransmission gets the same 503
# (it was refused once: admitting the copy would start a call the UAC has
# already ended with its ACK of our 503).
go=$TI_DIR/retrans-go
before=$(created)
ti_start retrans-udp python3 "$TI_TEST_DIR/retransmit.py" udp "$TC_PBX" \
	"$(ti_port 5072)" 127.0.0.1 "$(ti_port 5060)" 2125559999 "$go"
ti_wait_file "$go.first" 10
id=$(ti_json "$(ti_ctl calls)" "j['calls'][0]['id']")
ti_ctl hangup "$id" >/dev/null || ti_fail "trunkctl hangup $id"
tc_peer_wait long
idle() { [ "$(st "j['calls']")" = 0 ]; }
ti_wait_until 10 idle || ti_fail "the call did not go away"
touch "$go"
ti_wait_exit retrans-udp 15 || ti_fail "UDP: the retransmitting PBX hangs"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "UDP: the INVITE or its retransmission: $(tail -1 "$TI_DIR/retrans-udp.log")"
[ "$(created)" = "$before" ] ||
	ti_fail "UDP: nta created server transactions for a refused INVITE"
j=$(ti_ctl status)
ti_json_check "$j" "j['admission']['refused']['max_calls'] == 3 and j['admission']['refused_again'] == 3" \
	"503s counted (3 INVITEs, 3 retransmissions)"
ti_json_check "$j" "j['admission']['max_calls'] == 1" "max_calls in force"
grep -q '^INVITE sip:+1212555999[89]' "$TI_DIR/carrier.msg.txt" &&
	ti_fail "a refused call reached the carrier"

# 5. The limit is free: a new call completes.
tc_pbx after "$TI_ROOT/peers/pbx-call.xml" u1 -s 2125551234 \
	-set contact_tp udp || ti_fail "no call after the limit was free again"

# 6. Reload: no call limit, at most 2 new calls per second, burst 2.
ovl_config 0 2 2
ti_json_check "$(ti_ctl reload)" "j['ok']" "reload"
j=$(ti_ctl status)
ti_json_check "$j" "j['admission']['max_call_rate'] == 2 and j['admission']['max_calls'] == 0" \
	"limits after the reload"
adm0=$(ti_json "$j" "j['admission']['admitted']")
ref0=$(ti_json "$j" "j['admission']['refused']['max_call_rate']")
rc=0
ti_exec sipp -sf "$TI_TEST_DIR/call-or-503.xml" -m 8 -r 100 -l 8 -t u1 \
	-i "$TC_PBX" -p "$(ti_port 5074)" -s 2125551234 -nostdin \
	-timeout 15s -timeout_error -recv_timeout 5s \
	-trace_msg -message_file "$TI_DIR/burst.msg.txt" \
	-trace_err -error_file "$TI_DIR/burst.err.log" \
	"$(tc_trunkd ent)" >"$TI_DIR/burst.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "burst: a call neither completed nor got the 503 (SIPp exit $rc)"
tc_checks_ok burst || ti_fail "burst: a 503 was not as expected"
j=$(ti_ctl status)
adm=$(($(ti_json "$j" "j['admission']['admitted']") - adm0))
ref=$(($(ti_json "$j" "j['admission']['refused']['max_call_rate']") - ref0))
wire503=$(grep -c '^SIP/2.0 503 Service Unavailable' "$TI_DIR/burst.msg.txt" || true)
wire200=$(grep -A12 '^SIP/2.0 200 OK' "$TI_DIR/burst.msg.txt" | grep -c '^CSeq: 1 INVITE' || true)
ti_log "burst of 8: $adm admitted, $ref refused; on the wire $wire200 answered, $wire503 refused"
[ "$adm" -ge 2 ] && [ "$adm" -le 4 ] || ti_fail "burst: $adm admitted, expected 2-4"
[ $((adm + ref)) = 8 ] || ti_fail "burst: $adm + $ref is not 8"
[ "$wire503" = "$ref" ] && [ "$wire200" = "$adm" ] ||
	ti_fail "burst: counters ($adm/$ref) and wire ($wire200/$wire503) disagree"

# 7. Load gone: a new call completes again within a second or two.
n=0
again()
{
	n=$((n + 1))
	tc__uac "again-$n" "$TI_TEST_DIR/call-or-503.xml" u1 5060 \
		-i "$TC_PBX" -p "$(ti_port 5075)" -s 2125551234 || return 1
	! grep -q '^SIP/2.0 503' "$TI_DIR/again-$n.msg.txt"
}
ti_wait_until 5 again || ti_fail "no call completed after the burst"

ti_stop carrier
ti_pass
