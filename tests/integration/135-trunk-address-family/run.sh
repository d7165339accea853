#!/usr/bin/env bash
# 135-trunk-address-family: the trunk side listens on 127.0.0.1 and [::1];
# [trunk v4] (the default address_family) and [trunk v6]
# (address_family = ipv6) each keep signalling and media in their family
# (SC-15-2), although the first trunk_listen address is IPv4:
#   out4  the PBX calls 2125551234: the IPv4 carrier's INVITE has Via,
#         Contact, o= and c= on 127.0.0.1;
#   out6  the PBX calls 3125551234: the IPv6 carrier's INVITE has them on
#         [::1] / ::1, and the relay port it names is bound on ::1;
#   tcp6  the same over TCP to [trunk v6tcp] (4125551234);
#   in6   the IPv6 carrier calls +15550100001: trunkd's 200 to it has
#         Contact [::1]:5080 and c=IN IP6 ::1, while the PBX (IPv4) gets
#         c=IN IP4 127.0.0.1.
# (002-check-config refuses the families trunkd cannot keep.)
# REQ: SC-15-2
. "$(dirname "$0")/../lib.sh"
ti_setup
if [ -z "$TI_NETNS" ]; then
	ti_log "SKIP: needs a network namespace (fixed IPv6 ports)"
	exit 77
fi
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_config "$TI_TEST_DIR/trunkd.conf.in" "$TI_DIR/trunkd.conf"
listens() { ti_exec sh -c "ss -lunH | grep -qF '$1'"; }

# carrier NAME IP PORT [TRANSPORT]: a SIPp carrier answering one call.
carrier()
{
	ti_start "$1" sipp -sn uas -m 1 -t "${4:-u1}" -i "$2" -p "$3" -nostdin \
		-timeout 20s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt"
}
# first_msg FILE START_RE: the first message of FILE starting with
# START_RE, headers and body, without CRs.
first_msg()
{
	tr -d '\r' <"$1" |
		awk -v re="$2" '$0 ~ re {p=1} p&&/^$/{n++} p{print} n==2{exit}'
}
# expect WHAT TEXT RE...: every RE matches a line of TEXT.
expect()
{
	local what=$1 text=$2 re
	shift 2
	for re in "$@"; do
		grep -Eq "$re" <<<"$text" || ti_fail "$what lacks /$re/: $text"
	done
}
# pbx_call NAME NUMBER: the PBX (IPv4) calls NUMBER and completes.
pbx_call()
{
	local rc=0
	ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p 5070 -s "$2" -nostdin \
		-timeout 15s -timeout_error -trace_msg \
		-message_file "$TI_DIR/$1-pbx.msg.txt" 127.0.0.1:5060 \
		>"$TI_DIR/$1-pbx.screen.txt" 2>&1 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: the PBX's call failed (SIPp exit $rc)"
}
# outbound NAME NUMBER CARRIER: the PBX calls NUMBER, CARRIER (started by
# carrier()) answers it; $invite is trunkd's INVITE as CARRIER got it.
outbound()
{
	pbx_call "$1" "$2"
	ti_wait_exit "$3" 10 || ti_fail "$1: the carrier did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "$1: carrier SIPp exit $TI_EXIT_STATUS"
	invite=$(first_msg "$TI_DIR/$3.msg.txt" '^INVITE ')
}
# no_ipv4 WHAT TEXT: no IPv4 address in what an IPv6 carrier got.
no_ipv4()
{
	! grep -q '127\.0\.0\.1' <<<"$2" ||
		ti_fail "$1: an IPv4 address reached the IPv6 carrier: $2"
}

carrier car4 127.0.0.1 5090
carrier car6 ::1 5092
carrier car6t ::1 5094 t1
ti_wait_until 10 listens '127.0.0.1:5090' || ti_fail "no IPv4 carrier"
ti_wait_until 10 listens '[::1]:5092' || ti_fail "no IPv6 carrier"
ti_wait_until 10 ti_exec sh -c "ss -ltnH | grep -qF '[::1]:5094'" ||
	ti_fail "no IPv6 TCP carrier"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_until 10 listens '[::1]:5080' || ti_fail "trunkd does not listen on [::1]:5080"

# out4: the default family, the first listen address.
outbound out4 2125551234 car4
expect "out4: trunkd's INVITE" "$invite" \
	'^INVITE sip:\+12125551234@carrier4\.invalid' \
	'^Via: SIP/2\.0/UDP 127\.0\.0\.1:5080;' \
	'^Contact: <sip:127\.0\.0\.1:5080;transport=udp>' \
	'^o=trunkd [0-9]+ [0-9]+ IN IP4 127\.0\.0\.1$' '^c=IN IP4 127\.0\.0\.1$'

# out6: address_family = ipv6 although the first address is IPv4.
outbound out6 3125551234 car6
expect "out6: trunkd's INVITE" "$invite" \
	'^INVITE sip:\+13125551234@carrier6\.invalid' \
	'^Via: SIP/2\.0/UDP \[::1\]:5080;' \
	'^Contact: <sip:\[::1\]:5080;transport=udp>' \
	'^o=trunkd [0-9]+ [0-9]+ IN IP6 ::1$' '^c=IN IP6 ::1$' \
	'^m=audio 2[0-9]{4} RTP/AVP'
no_ipv4 out6 "$invite"
# The PBX's answer names the relay on its own side, IPv4.
expect "out6: the PBX's 200" \
	"$(first_msg "$TI_DIR/out6-pbx.msg.txt" '^SIP/2\.0 200 OK')" \
	'^c=IN IP4 127\.0\.0\.1$'

# tcp6: the same over TCP.
outbound tcp6 4125551234 car6t
expect "tcp6: trunkd's INVITE" "$invite" \
	'^Via: SIP/2\.0/TCP \[::1\]:5080;' \
	'^Contact: <sip:\[::1\]:5080;transport=tcp>' '^c=IN IP6 ::1$'
no_ipv4 tcp6 "$invite"

# in6: the IPv6 carrier calls the PBX's DID.
ti_start pbx sipp -sn uas -m 1 -t u1 -i 127.0.0.1 -p 5070 -nostdin \
	-timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/in6-pbx.msg.txt"
ti_wait_until 10 listens '127.0.0.1:5070' || ti_fail "in6: no PBX"
rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i ::1 -p 5092 -s +15550100001 -nostdin \
	-timeout 15s -timeout_error -trace_msg \
	-message_file "$TI_DIR/in6-car.msg.txt" '[::1]:5080' \
	>"$TI_DIR/in6-car.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "in6: the carrier's call failed (SIPp exit $rc)"
ti_wait_exit pbx 10 || ti_fail "in6: the PBX did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "in6: PBX SIPp exit $TI_EXIT_STATUS"
ok=$(first_msg "$TI_DIR/in6-car.msg.txt" '^SIP/2\.0 200 OK')
expect "in6: trunkd's 200 to the carrier" "$ok" \
	'^Contact: <sip:[^@>]*@?\[::1\]:5080;transport=udp>' \
	'^o=trunkd [0-9]+ [0-9]+ IN IP6 ::1$' '^c=IN IP6 ::1$'
no_ipv4 in6 "$ok"
expect "in6: trunkd's INVITE to the PBX" \
	"$(first_msg "$TI_DIR/in6-pbx.msg.txt" '^INVITE ')" \
	'^c=IN IP4 127\.0\.0\.1$'
ti_pass
