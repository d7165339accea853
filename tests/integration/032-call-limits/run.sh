#!/usr/bin/env bash
# 032-call-limits: a trunk with max_calls = 1. While one call is up, a
# second ordinary call gets 503 (and never reaches the carrier); a 911
# call still goes through (EM-4: emergency calls are exempt from the
# gateway's own limits).
# REQ: EM-4
. "$(dirname "$0")/../lib.sh"
ti_setup

cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_config_default --drop "trunk local" --drop dialplan "$TI_TEST_DIR/trunk.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

# The carrier answers two calls: the long one and the emergency one.
ti_start carrier sipp -sn uas -m 2 -t u1 -i 127.0.0.1 -p "$(ti_port 5090)" \
	-nostdin -timeout 30s -timeout_error \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10

# 1. A call that stays up for 6 s.
ti_start long sipp -sn uac -t u1 -m 1 -d 6000 -i 127.0.0.1 \
	-p "$(ti_port 5070)" -s 2125551234 -nostdin -timeout 20s -timeout_error \
	"127.0.0.1:$(ti_port 5060)"
up() { ti_json "$(ti_ctl calls)" "[c['state'] for c in j['calls']] == ['CONFIRMED']" | grep -q True; }
ti_wait_until 5 up || ti_fail "the first call is not up"

# 2. A second ordinary call: 503, the carrier sees nothing of it.
rc=0
ti_exec sipp -sf "$TI_TEST_DIR/pbx-refused.xml" -m 1 -t u1 -i 127.0.0.1 \
	-p "$(ti_port 5071)" -s 2125559999 -nostdin -timeout 10s \
	-timeout_error "127.0.0.1:$(ti_port 5060)" \
	>"$TI_DIR/refused.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the second call did not get 503 (SIPp exit $rc)"
grep -q '^INVITE sip:+12125559999' "$TI_DIR/carrier.msg.txt" &&
	ti_fail "the refused call reached the carrier"

# 3. 911 from the same PBX: goes through despite the limit (EM-4).
rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p "$(ti_port 5072)" -s 911 \
	-nostdin -timeout 10s -timeout_error "127.0.0.1:$(ti_port 5060)" \
	>"$TI_DIR/emergency.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the 911 call failed at the limit (SIPp exit $rc)"
grep -q '^INVITE sip:911@carrier.invalid SIP/2.0' "$TI_DIR/carrier.msg.txt" ||
	ti_fail "the carrier got no 911 INVITE"

ti_wait_exit long 15 || ti_fail "the long call did not end"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the long call failed (SIPp exit $TI_EXIT_STATUS)"
ti_wait_exit carrier 10 || ti_fail "the carrier did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "carrier SIPp exit $TI_EXIT_STATUS"
ti_pass
