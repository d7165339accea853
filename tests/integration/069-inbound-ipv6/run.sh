#!/usr/bin/env bash
# 069-inbound-ipv6: a call from the carrier over IPv6 loopback (SC-15-1):
# the carrier's INVITE has IPv6 literals in its Via, Contact, From and
# P-Asserted-Identity; trunkd parses them (the call is admitted as coming
# from [trunk v6], answered, and the carrier's Via is echoed in the
# responses) and generates IPv6 literals in the right forms toward the
# PBX: Request-URI sip:DID@[::1]:5070, its own Via [::1]:5060, Contact
# <sip:...@[::1]:5060...>, From = the asserted caller at [::1] (ID-3),
# the carrier's PAI as sent (trusted PBX). A second call with Privacy: id
# reaches the PBX as "Anonymous" <sip:anonymous@anonymous.invalid> (ID-4).
# REQ: SC-15-1, ID-3, ID-4
. "$(dirname "$0")/../lib.sh"
ti_setup
if [ -z "$TI_NETNS" ]; then
	ti_log "SKIP: needs a network namespace (fixed IPv6 ports)"
	exit 77
fi
EXPECT="$TI_ROOT/peers/sipp_expect.py"
ti_config "$TI_TEST_DIR/trunkd.conf.in" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_until 10 ti_exec sh -c 'ss -lunH | grep -q "\[::1\]:5080"' ||
	ti_fail "trunkd does not listen on [::1]:5080"
# [local_ip] is [::1] in SIPp (a literal [::1] would be a SIPp keyword).
pai='<sip:+12125550000@[local_ip];user=phone>'

# call NAME PBX_FROM_RE [UAC HEADER...]: the carrier calls +15550100001.
call()
{
	local name=$1 from=$2 rc=0 h args=()
	shift 2
	python3 "$EXPECT" uas "$TI_DIR/$name-pbx.xml" \
		--ruri 'sip:\+15550100001@\[::1\]:5070;transport=udp' \
		--hdr Via 'SIP/2\.0/UDP \[::1\](:5060)?;.*' \
		--hdr Contact '<sip:[^@>]*@?\[::1\](:5060)?(;[^>]*)?>' \
		--hdr From "$from;tag=[^;]+" \
		--hdr P-Asserted-Identity '<sip:\+12125550000@\[::1\];user=phone>' \
		--body 'c=IN IP6 ::1' || ti_fail "$name: scenario"
	ti_start "$name-pbx" sipp -sf "$TI_DIR/$name-pbx.xml" -m 1 -t u1 \
		-i ::1 -p 5070 -nostdin -timeout 20s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$name-pbx.msg.txt" \
		-trace_err -error_file "$TI_DIR/$name-pbx.err.log"
	ti_wait_until 10 ti_exec sh -c 'ss -lunH | grep -q "\[::1\]:5070"' ||
		ti_fail "$name: the PBX does not listen on [::1]:5070"
	for h in "P-Asserted-Identity: $pai" "$@"; do args+=(--header "$h"); done
	python3 "$EXPECT" uac "$TI_DIR/$name-car.xml" --final 200 \
		--from '<sip:+12125550000@[local_ip]:[local_port]>' "${args[@]}" ||
		ti_fail "$name: scenario"
	ti_exec sipp -sf "$TI_DIR/$name-car.xml" -m 1 -t u1 -i ::1 -p 5090 \
		-s +15550100001 -nostdin -timeout 15s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$name-car.msg.txt" \
		-trace_err -error_file "$TI_DIR/$name-car.err.log" \
		'[::1]:5080' >"$TI_DIR/$name-car.screen.txt" 2>&1 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$name: the carrier's call failed (SIPp exit $rc)"
	ti_wait_exit "$name-pbx" 10 || ti_fail "$name: the PBX did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] ||
		ti_fail "$name: PBX assertions failed (see $name-pbx.err.log)"
	# The carrier's own Via (IPv6 literal) came back in the 200.
	grep -Eq '^Via: SIP/2\.0/UDP \[::1\]:5090;' "$TI_DIR/$name-car.msg.txt" ||
		ti_fail "$name: the carrier's IPv6 Via was not echoed"
}

call plain '<sip:\+12125550000@\[::1\]>'
call private '"Anonymous" <sip:anonymous@anonymous\.invalid>' 'Privacy: id'
ti_pass
