#!/usr/bin/env bash
# 014-call-source-acl: INVITEs from anyone but the [pbx] (enterprise side)
# or the trunk's SP-SSE (trunk side) get 403, an INVITE with
# Max-Forwards 0 gets 483, and none of them reaches the other side: the
# PBX and the carrier listen throughout, and the first INVITE each of them
# gets must be a later, valid call's (R-URI user +15550100001, where the
# refused INVITEs dial +15550100099).
# Then, reloaded with [pbx] username/password: the ACL still comes first
# (the stranger gets 403, no challenge); the PBX's INVITE without a digest
# gets 407 (Proxy-Authenticate, realm trunkd.local), with a wrong one 403
# (no challenge again), with the right one (SIPp -au/-ap) the call.
# Then, reloaded with [pbx] acl_transports = tcp: the PBX's INVITE over
# UDP gets 403 (the log names the transport), its call over TCP goes
# through.
# REQ: none (source ACLs and loop protection: RFC 3261 8.2.2/16.3, PBX digest: RFC 3261 22.3, no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_carrier_answers carrier
tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 69

# refused NAME STATUS SIDE FOREIGN MAX_FORWARDS FROM_IP: one INVITE to
# trunkd's SIDE (ent or trunk) from FROM_IP must get STATUS, without the
# address FOREIGN (the peer that is not the sender) in it.
refused()
{
	local name=$1 status=$2 side=$3 rc=0 port
	tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/$name.xml" \
		STATUS="$status" FOREIGN="$4" MAX_FORWARDS="$5" CHECKS=
	port=5060
	[ "$side" = ent ] || port=5080
	tc__uac "$name" "$TI_DIR/$name.xml" u1 "$port" -i "$6" \
		-p "$(ti_port 5072)" -s +15550100099 \
		-set trunkd "$(tc_trunkd "$side")" || rc=$?
	[ "$rc" = 0 ] || ti_fail "$name: no $status (SIPp exit $rc)"
}

# no_challenge NAME: the answer NAME got carries no *-Authenticate.
no_challenge()
{
	! grep -qi '^[a-z-]*authenticate:' "$TI_DIR/$1.msg.txt" ||
		ti_fail "$1: the answer carries a challenge"
}

refused stranger-ent 403 ent '127\.0\.0\.3' 70 "$TC_STRANGER"
refused carrier-ent 403 ent '127\.0\.0\.2' 70 "$TC_CARRIER"
refused stranger-trunk 403 trunk '127\.0\.0\.2' 70 "$TC_STRANGER"
refused pbx-trunk 403 trunk '127\.0\.0\.3' 70 "$TC_PBX"
refused pbx-loop 483 ent '127\.0\.0\.3' 0 "$TC_PBX"
refused carrier-loop 483 trunk '127\.0\.0\.2' 0 "$TC_CARRIER"

status=$(ti_ctl status) || ti_fail "trunkctl status exited $?: $status"
ti_json_check "$status" 'j["calls"] == 0' "no call after refused INVITEs"

# The controls: a valid call each way; each listener's first INVITE.
rc=0
tc_pbx pbx-control "$TI_ROOT/peers/pbx-call.xml" u1 -p "$(ti_port 5072)" \
	-s +15550100001 -set contact_tp udp || rc=$?
[ "$rc" = 0 ] || ti_fail "outbound control call failed (SIPp exit $rc)"
tc_peer_wait carrier
tc_carrier carrier-control "$TI_ROOT/peers/carrier-invite.xml" \
	-s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "inbound control call failed (SIPp exit $rc)"
tc_peer_wait pbx

# PBX digest: [pbx local] gets username/password (reload).
sed '/^\[pbx local\]$/a username = pbxuser\npassword = pbx-secret-7' \
	"$TI_DIR/src.conf" >"$TI_DIR/src-digest.conf"
ti_config "$TI_DIR/src-digest.conf" "$TI_DIR/trunkd.conf"
reply=$(ti_ctl reload) || ti_fail "reload with the PBX's digest: $reply"
refused stranger-digest 403 ent '127\.0\.0\.3' 70 "$TC_STRANGER"
no_challenge stranger-digest
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-nodigest.xml" \
	STATUS=407 FOREIGN='127\.0\.0\.3' MAX_FORWARDS=70 \
	CHECKS='<ereg regexp="Digest realm=&quot;trunkd.local&quot;" search_in="hdr" header="Proxy-Authenticate:" check_it="true" assign_to="ch"/>
<log message="challenged: [$ch]"/>'
rc=0
tc__uac pbx-nodigest "$TI_DIR/pbx-nodigest.xml" u1 5060 -i "$TC_PBX" \
	-p "$(ti_port 5072)" -s +15550100001 \
	-set trunkd "$(tc_trunkd ent)" || rc=$?
[ "$rc" = 0 ] || ti_fail "pbx-nodigest: no 407 (SIPp exit $rc)"
rc=0
tc_pbx pbx-wrong "$TI_TEST_DIR/pbx-digest-wrong.xml" u1 -p "$(ti_port 5072)" \
	-s +15550100001 -au pbxuser -ap not-the-password || rc=$?
[ "$rc" = 0 ] || ti_fail "pbx-wrong: no 403 (SIPp exit $rc)"
status=$(ti_ctl status) || ti_fail "trunkctl status exited $?: $status"
ti_json_check "$status" 'j["calls"] == 0' "no call without the PBX's digest"
tc_carrier_answers carrier-digest
rc=0
tc_pbx pbx-digest "$TI_TEST_DIR/pbx-digest.xml" u1 -p "$(ti_port 5072)" \
	-s +15550100001 -au pbxuser -ap pbx-secret-7 || rc=$?
[ "$rc" = 0 ] || ti_fail "pbx-digest: the call failed (SIPp exit $rc)"
tc_peer_wait carrier-digest
n=$(grep -c '^INVITE ' "$TI_DIR/carrier-digest.msg.txt" || true)
[ "$n" = 1 ] || ti_fail "the carrier got $n INVITEs, expected 1"
! grep -q 'pbx-secret-7' "$TI_DIR/trunkd.log" ||
	ti_fail "the PBX's password is in the log"

# Transport ACL: reloaded with acl_transports = tcp (no digest), the PBX's
# INVITE over UDP from its own address is not the PBX's: 403, nothing to
# the carrier, and the log names the transport; over TCP its call goes
# through. The carrier's first INVITE must be the TCP call's.
sed '/^\[pbx local\]$/a acl_transports = tcp' \
	"$TI_DIR/src.conf" >"$TI_DIR/src-tcp.conf"
ti_config "$TI_DIR/src-tcp.conf" "$TI_DIR/trunkd.conf"
reply=$(ti_ctl reload) || ti_fail "reload with acl_transports: $reply"
tc_carrier_answers carrier-tcp
refused pbx-udp-refused 403 ent '127\.0\.0\.3' 70 "$TC_PBX"
grep -q "INVITE from $TC_PBX over udp: no \[pbx\] takes that transport" \
	"$TI_DIR/trunkd.log" ||
	ti_fail "the log does not say why the PBX's UDP INVITE got 403"
rc=0
tc_pbx pbx-tcp "$TI_ROOT/peers/pbx-call.xml" t1 -s +15550100001 \
	-set contact_tp tcp || rc=$?
[ "$rc" = 0 ] || ti_fail "pbx-tcp: the call over TCP failed (SIPp exit $rc)"
tc_peer_wait carrier-tcp
n=$(grep -c '^INVITE ' "$TI_DIR/carrier-tcp.msg.txt" || true)
[ "$n" = 1 ] || ti_fail "the carrier got $n INVITEs over acl_transports, expected 1"
ti_pass
