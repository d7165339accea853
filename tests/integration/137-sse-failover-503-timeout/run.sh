#!/usr/bin/env bash
# 137-sse-failover-503-timeout: a trunk with two SP-SSEs over UDP
# (127.0.0.3, 127.0.0.5; invite_timeout = 2s). 1. The first stays silent:
# the second gets the INVITE 2 s later (not after Timer B, 32 s), the call
# completes, the first is shown down. 2. The next call goes to the second
# first: the first (down) is tried last and gets nothing. 3. With trunkd
# restarted (both SP-SSEs unknown again), the first answers 503 with
# Retry-After: trunkd ACKs it, the second gets the INVITE and the call
# completes (the PBX never sees the 503), the first is shown down.
# REQ: STA-1 (partly: configured SP-SSE addresses tried in turn on 503 and on silence)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
sse1=127.0.0.3:$(ti_port 5090)
sse2=127.0.0.5:$(ti_port 5090)

# sse2 NAME: the second SP-SSE answers one call (SIPp's uas), in the
# background, its messages in NAME.msg.txt.
sse2()
{
	ti_start "$1" sipp -sn uas -t u1 -m 1 -i 127.0.0.5 -p "$(ti_port 5090)" \
		-nostdin -timeout 20s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt"
	ti_wait_port udp 127.0.0.5 "$(ti_port 5090)" 10
}

# sse_states WHAT: trunkctl shows the first SP-SSE down, the second up.
sse_states()
{
	local status
	status=$(ti_ctl status) || ti_fail "trunkctl status failed"
	ti_json_check "$status" "[(s['address'], s['state']) for s in
		[t for t in j['trunks'] if t['name'] == 'failover'][0]['sse']] ==
		[('$sse1', 'down'), ('$sse2', 'up')]" "$1"
}

# 1. The first SP-SSE is silent.
ti_start silent python3 "$TI_ROOT/peers/silent_sse.py" 127.0.0.3 \
	"$(ti_port 5090)" "$TI_DIR/silent.txt"
ti_wait_port udp 127.0.0.3 "$(ti_port 5090)" 10
sse2 sse2-a
tc_uac_call pbx-a
ti_wait_exit sse2-a 15 || ti_fail "sse2-a: SIPp did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "sse2-a: SIPp exit $TI_EXIT_STATUS"
t0=$(awk '/ INVITE sip:\+15550100001@carrier\.invalid;user=phone SIP\/2\.0 /{print $1; exit}' "$TI_DIR/silent.txt")
[ -n "$t0" ] || ti_fail "the silent SP-SSE got no INVITE"
t1=$(tc_msg_time sse2-a received '^INVITE sip:\+15550100001@carrier\.invalid' 2>/dev/null)
[ "$t1" != none ] || ti_fail "the second SP-SSE got no INVITE"
gap=$(python3 -c "print('%.2f' % ($t1 - $t0))")
python3 -c "import sys; sys.exit(not 1.8 <= $gap <= 4.5)" ||
	ti_fail "the second SP-SSE got the INVITE $gap s after the first, not ~2 s (invite_timeout)"
ti_log "silent SP-SSE: the second got the INVITE $gap s after it (invite_timeout 2 s)"
sse_states "SP-SSE states after the silent one"
calls_first=$(awk -F' [|] ' '{print $2}' "$TI_DIR/silent.txt" | sort -u | wc -l)

# 2. The next call: the SP-SSE marked down is tried last.
sse2 sse2-b
tc_uac_call pbx-b
ti_wait_exit sse2-b 15 || ti_fail "sse2-b: SIPp did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "sse2-b: SIPp exit $TI_EXIT_STATUS"
calls_now=$(awk -F' [|] ' '{print $2}' "$TI_DIR/silent.txt" | sort -u | wc -l)
[ "$calls_now" = "$calls_first" ] ||
	ti_fail "the SP-SSE marked down got the next call first ($calls_first -> $calls_now Call-IDs)"
ti_stop silent

# 3. trunkd afresh; the first SP-SSE answers 503.
ti_stop trunkd
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_start sse1 sipp -sf "$TI_TEST_DIR/sse-503.xml" -t u1 -m 1 -i 127.0.0.3 \
	-p "$(ti_port 5090)" -nostdin -timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/sse1.msg.txt" \
	-trace_err -error_file "$TI_DIR/sse1.err.log"
ti_wait_port udp 127.0.0.3 "$(ti_port 5090)" 10
sse2 sse2-c
tc_uac_call pbx-c
for p in sse1 sse2-c; do
	ti_wait_exit "$p" 15 || ti_fail "$p: SIPp did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "$p: SIPp exit $TI_EXIT_STATUS"
done
tc_checks_ok sse1 || ti_fail "sse1: a failed assertion"
grep -q '^SIP/2.0 503' "$TI_DIR/pbx-c.msg.txt" && ti_fail "the PBX saw the 503"
sse_states "SP-SSE states after the 503"
ti_pass
