#!/usr/bin/env bash
# 025-phone-calls: phones registered to trunkd call each other and the
# trunk. bob registers a contact where his UAS listens; alice (digest on
# her INVITE: 407) calls bob's extension 202, then a trunk number; the
# carrier calls 202 with a To that names someone else: trunkd routes on
# the R-URI (ID-2) to bob.
# REQ: ID-2
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop enterprise "$TI_TEST_DIR/phones.conf"
# The carrier dials an extension here, not a DID: the trunk lists no
# identities, so STA-3's check (test 092) lets any number in.
sed -i '/^identities = /d' "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

bob_port=$(ti_port 5072)
rc=0
ti_sipp bob-register "$TI_TEST_DIR/register-as.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -au bob -ap bob-pw-2 -key user bob \
	-key contact_port "$bob_port" || rc=$?
[ "$rc" = 0 ] || ti_fail "bob could not register (SIPp exit $rc)"

# bob's phone answers two calls; the carrier answers one.
ti_start bob sipp -sn uas -m 2 -t u1 -i 127.0.0.1 -p "$bob_port" -nostdin \
	-timeout 30s -timeout_error -trace_msg -message_file "$TI_DIR/bob.msg.txt"
ti_start carrier sipp -sn uas -m 1 -t u1 -i 127.0.0.1 -p "$(ti_port 5090)" \
	-nostdin -timeout 30s -timeout_error \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt"
ti_wait_port udp 127.0.0.1 "$bob_port" 10
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10

# 1. alice -> 202 (internal call to bob's registered contact).
rc=0
ti_sipp alice-202 "$TI_TEST_DIR/call-with-auth.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -s 202 -au alice -ap alice-pw-1 || rc=$?
[ "$rc" = 0 ] || ti_fail "alice's call to 202 failed (SIPp exit $rc)"
grep -q "^INVITE sip:bob@127.0.0.1:$bob_port SIP/2.0" "$TI_DIR/bob.msg.txt" ||
	ti_fail "bob's contact did not get the INVITE"

# 2. alice -> a trunk number.
rc=0
ti_sipp alice-trunk "$TI_TEST_DIR/call-with-auth.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -s +15550100001 -au alice -ap alice-pw-1 || rc=$?
[ "$rc" = 0 ] || ti_fail "alice's trunk call failed (SIPp exit $rc)"
ti_wait_exit carrier 15 || ti_fail "the carrier did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "carrier SIPp exit $TI_EXIT_STATUS"
grep -q '^INVITE sip:+15550100001@carrier.invalid;user=phone SIP/2.0' \
	"$TI_DIR/carrier.msg.txt" || ti_fail "the carrier got no INVITE"

# 3. The carrier calls 202 with To naming 999: routed on the R-URI (ID-2).
rc=0
ti_exec sipp -sf "$TI_TEST_DIR/carrier-call.xml" -m 1 -t u1 -i 127.0.0.1 \
	-p "$(ti_port 5090)" -nostdin -timeout 15s -timeout_error \
	-trace_msg -message_file "$TI_DIR/carrier-call.msg.txt" \
	"127.0.0.1:$(ti_port 5080)" >"$TI_DIR/carrier-call.screen.txt" 2>&1 ||
	rc=$?
[ "$rc" = 0 ] || ti_fail "the carrier's call to 202 failed (SIPp exit $rc)"
ti_wait_exit bob 15 || ti_fail "bob's phone did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "bob's SIPp exit $TI_EXIT_STATUS"
n=$(grep -c "^INVITE sip:bob@127.0.0.1:$bob_port SIP/2.0" "$TI_DIR/bob.msg.txt")
[ "$n" = 2 ] || ti_fail "bob got $n INVITEs, expected 2"
ti_pass
