#!/usr/bin/env bash
# 156-call-rate-counts-calls: [global] max_call_rate counts calls, not
# INVITEs. trunkd runs peers/calls.conf with max_call_rate = 1 and
# max_call_burst = 1 (one token, one more per second) and a digest for the
# PBX ([pbx] username/password), restarted before each part so that the
# bucket starts full:
# 1. the PBX's call: its INVITE gets 407, the INVITE with credentials the
#    call (the 407 gave the token back; before, the second INVITE met an
#    empty bucket: 503);
# 2. a scanner (127.0.0.4, neither PBX nor carrier) sends 6 INVITEs to
#    each side within ~60 ms: every one gets 403, none 503; right after,
#    the PBX's call still gets through (407, then the call).
# The standing-queue overload detector still sees every INVITE before any
# transaction (099, 100).
# REQ: none (overload control: DESIGN "Performance goals", RFC 3261 21.5.4; no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

cat "$TI_ROOT/peers/calls.conf" |
	awk '{ print }
		/^\[global\]$/ { print "max_call_rate = 1"; print "max_call_burst = 1" }
		/^\[pbx local\]$/ { print "username = pbxuser"; print "password = pbx-secret-156" }' \
		>"$TI_DIR/src.conf"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"

# fresh: trunkd (re)started, its listeners up: a full bucket.
fresh()
{
	ti_stop trunkd
	ti_trunkd_start "$TI_DIR/trunkd.conf"
	ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5
	ti_wait_port udp 127.0.0.1 "$(ti_port 5080)" 5
}

# pbx_call NAME: the PBX's call with its digest (407, then the INVITE
# with credentials) reaches the carrier and completes.
pbx_call()
{
	local rc=0
	tc_carrier_answers "carrier-$1"
	tc_pbx "pbx-$1" "$TI_ROOT/014-call-source-acl/pbx-digest.xml" u1 \
		-s +15550100001 -au pbxuser -ap pbx-secret-156 || rc=$?
	[ "$rc" = 0 ] || ti_fail "pbx-$1: the PBX's call failed (SIPp exit $rc; a 503 means the rate limit counted its challenged INVITE)"
	tc_peer_wait "carrier-$1"
	! grep -q '^SIP/2\.0 503' "$TI_DIR/pbx-$1.msg.txt" ||
		ti_fail "pbx-$1: a 503 reached the PBX"
}

# scan NAME SIDE PORT: 6 INVITEs from the scanner to trunkd's SIDE (ent,
# trunk) at 100 per second; each must get 403 (uac-rejected.xml.in, no
# address of the other peer in it), not 503.
scan()
{
	local rc=0 n
	tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/$1.xml" \
		STATUS=403 FOREIGN='127\.0\.0\.[23]' MAX_FORWARDS=70 CHECKS=
	ti_exec sipp -sf "$TI_DIR/$1.xml" -m 6 -r 100 -t u1 \
		-i "$TC_STRANGER" -p "$(ti_port 5072)" -s +15550100001 \
		-set trunkd "$(tc_trunkd "$2")" -nostdin -timeout 10s \
		-timeout_error -recv_timeout 5s \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log" \
		"127.0.0.1:$(ti_port "$3")" >"$TI_DIR/$1.screen.txt" 2>&1 || rc=$?
	[ "$rc" = 0 ] && tc_checks_ok "$1" ||
		ti_fail "$1: not every INVITE got 403 (SIPp exit $rc; see $1.msg.txt)"
	n=$(grep -c '^SIP/2\.0 403 ' "$TI_DIR/$1.msg.txt" || true)
	[ "$n" = 6 ] || ti_fail "$1: $n INVITEs got 403, expected 6"
}

# 1. A challenged call costs one token.
fresh
pbx_call 1
ti_log "1: the PBX's challenged call went through with max_call_rate = 1"

# 2. Scanners cost none.
fresh
scan scan-ent ent 5060
scan scan-trunk trunk 5080
pbx_call 2
ti_log "2: 12 INVITEs from an unknown source got 403, the PBX's call went through"
ti_pass
