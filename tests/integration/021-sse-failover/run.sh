#!/usr/bin/env bash
# 021-sse-failover: a trunk with two SP-SSE addresses; the first refuses
# the TCP connection, so the INVITE fails over to the second, the call
# completes, and trunkctl shows the first SP-SSE down and the second up.
# REQ: none (SP-SSE failover, SIPconnect 17.1 prose; STA-1 by RFC 3263: 028-sse-dns)
. "$(dirname "$0")/../lib.sh"
ti_setup

# The default config without its own [trunk local], plus this test's.
ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

ti_start carrier sipp -sn uas -t t1 -m 1 -i 127.0.0.1 -p "$(ti_port 5091)" \
	-nostdin -timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt"
ti_wait_port tcp 127.0.0.1 "$(ti_port 5091)" 10

rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p "$(ti_port 5070)" \
	-s +15550100001 -nostdin -timeout 15s -timeout_error \
	-trace_msg -message_file "$TI_DIR/pbx.msg.txt" \
	"127.0.0.1:$(ti_port 5060)" >"$TI_DIR/pbx.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's call failed (SIPp exit $rc)"
ti_wait_exit carrier 15 || ti_fail "carrier SIPp did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "carrier SIPp exit $TI_EXIT_STATUS"
grep -q '^INVITE sip:+15550100001@carrier.invalid;user=phone SIP/2.0' \
	"$TI_DIR/carrier.msg.txt" || ti_fail "the carrier got no INVITE"

status=$(ti_ctl status) || ti_fail "trunkctl status failed"
ti_json_check "$status" "[(s['address'], s['state']) for s in
	[t for t in j['trunks'] if t['name'] == 'failover'][0]['sse']] ==
	[('127.0.0.1:$(ti_port 5090)', 'down'), ('127.0.0.1:$(ti_port 5091)', 'up')]" \
	"SP-SSE states after the failover"
ti_pass
