#!/usr/bin/env bash
# 029-redirects: 3xx policy.
#  1. redirect = follow: the carrier answers the INVITE with 302 to
#     another SP-SSE; trunkd calls that target itself and the call
#     completes there.
#  2. Deflection (FWD-2): the PBX answers an inbound call with 302 to
#     +4930999888; the carrier gets 302 with Contact
#     <sip:+4930999888@carrier.invalid;user=phone>, never a PBX address.
# REQ: FWD-2
. "$(dirname "$0")/../lib.sh"
ti_setup

cat "$SOURCE_ROOT/config/trunkd.conf" "$TI_TEST_DIR/extra.conf" |
	sed 's/^keepalive = options$/keepalive = off\nredirect = follow/' \
	>"$TI_DIR/src.conf"
grep -q '^redirect = follow' "$TI_DIR/src.conf" ||
	ti_fail "could not set redirect = follow in the trunk"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
# The carrier dials an extension here, not a DID: the trunk lists no
# identities, so STA-3's check (test 092) lets any number in.
sed -i '/^identities = /d' "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

# 1. follow
second=$(ti_port 5091)
ti_start redirector sipp -sf "$TI_TEST_DIR/redirector.xml" -m 1 -t u1 \
	-i 127.0.0.1 -p "$(ti_port 5090)" -nostdin -timeout 20s \
	-timeout_error -key target "sip:+15550100002@127.0.0.1:$second" \
	-trace_msg -message_file "$TI_DIR/redirector.msg.txt"
ti_start second sipp -sn uas -m 1 -t u1 -i 127.0.0.1 -p "$second" \
	-nostdin -timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/second.msg.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_wait_port udp 127.0.0.1 "$second" 10
rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p "$(ti_port 5070)" \
	-s +15550100001 -nostdin -timeout 15s -timeout_error \
	"127.0.0.1:$(ti_port 5060)" >"$TI_DIR/pbx.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the redirected call failed at the PBX (SIPp exit $rc)"
for p in redirector second; do
	ti_wait_exit "$p" 15 || ti_fail "$p did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "$p SIPp exit $TI_EXIT_STATUS"
done
grep -q "^INVITE sip:+15550100002@127.0.0.1:$second SIP/2.0" \
	"$TI_DIR/second.msg.txt" || ti_fail "the redirect target got no INVITE"

# 2. deflection by the PBX toward the carrier
ti_start pbx sipp -sf "$TI_TEST_DIR/redirector.xml" -m 1 -t u1 \
	-i 127.0.0.1 -p "$(ti_port 5070)" -nostdin -timeout 20s \
	-timeout_error -key target "sip:+4930999888@127.0.0.1:$(ti_port 5070)"
ti_wait_port udp 127.0.0.1 "$(ti_port 5070)" 10
rc=0
ti_exec sipp -sf "$TI_TEST_DIR/carrier-deflected.xml" -m 1 -t u1 \
	-i 127.0.0.1 -p "$(ti_port 5090)" -nostdin -timeout 15s \
	-timeout_error -trace_err -error_file "$TI_DIR/carrier.err.log" \
	"127.0.0.1:$(ti_port 5080)" >"$TI_DIR/carrier.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the carrier's deflected call failed (SIPp exit $rc)"
ti_wait_exit pbx 15 || ti_fail "the PBX did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "PBX SIPp exit $TI_EXIT_STATUS"
ti_pass
