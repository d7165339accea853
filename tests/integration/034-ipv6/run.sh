#!/usr/bin/env bash
# 034-ipv6: the whole call on IPv6 loopback: the PBX calls over [::1], the
# carrier on [::1] receives IPv6 literals in Via, Contact and SDP in the
# right forms, and the PBX gets an IPv6 answer from the relay.
# REQ: SC-15-1
. "$(dirname "$0")/../lib.sh"
ti_setup
if [ -z "$TI_NETNS" ]; then
	ti_log "SKIP: needs a network namespace (fixed IPv6 ports)"
	exit 77
fi
ti_config "$TI_TEST_DIR/trunkd.conf.in" "$TI_DIR/trunkd.conf"
ti_start carrier sipp -sn uas -m 1 -t u1 -i ::1 -p 5090 -nostdin \
	-timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt"
ti_wait_until 10 ti_exec sh -c 'ss -lunH | grep -q "\[::1\]:5090"' ||
	ti_fail "the carrier does not listen on [::1]:5090"
ti_trunkd_start "$TI_DIR/trunkd.conf"
rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i ::1 -p 5070 -s +15550100001 -nostdin \
	-timeout 15s -timeout_error -trace_msg \
	-message_file "$TI_DIR/pbx.msg.txt" '[::1]:5060' \
	>"$TI_DIR/pbx.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the IPv6 call failed at the PBX (SIPp exit $rc)"
grep -q '^c=IN IP6 ::1' "$TI_DIR/pbx.msg.txt" ||
	ti_fail "the PBX's answer has no IPv6 connection address"
ti_wait_exit carrier 10 || ti_fail "the carrier did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "carrier SIPp exit $TI_EXIT_STATUS"

# trunkd's INVITE as the carrier received it: IPv6 literals in the right
# forms (brackets in Via and URIs, none in SDP), the relay's own address.
invite=$(awk '/^INVITE /{p=1} p&&/^$/{n++} p{print} n==2{exit}' \
	"$TI_DIR/carrier.msg.txt")
for re in '^Via: SIP/2\.0/UDP \[::1\]:5080;' \
	'^Contact: <sip:\[::1\]:5080;transport=udp>' \
	'^o=trunkd [0-9]+ [0-9]+ IN IP6 ::1' '^c=IN IP6 ::1' \
	'^m=audio 2[0-9]{4} RTP/AVP'; do
	grep -Eq "$re" <<<"$invite" ||
		ti_fail "trunkd's IPv6 INVITE lacks /$re/: $invite"
done
ti_pass
