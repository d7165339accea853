#!/usr/bin/env bash
# 130-carrier-auth-refresh: trunkd refreshes an 8 s session on the
# carrier's leg (RFC 4028); the carrier answers the refresh UPDATE with
# 401 and a new nonce: trunkd sends the UPDATE again at once with a
# digest SIPp verifies, the session lives on (the next refresh reuses the
# nonce) and the call ends by the PBX's BYE, not by trunkd's expiry.
# REQ: REG-4, STA-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# peers/calls.conf with short session timers and credentials for the
# carrier's trunk.
sed -e '/^\[global\]$/a session_expires = 8s\nmin_se = 4s' \
	-e '/^\[trunk carrier\]$/a username = trunkuser\npassword = trunk-secret-9' \
	"$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for tr in udp tcp; do
	ti_wait_port "$tr" 127.0.0.1 "$(ti_port 5060)" 5
done

tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 -s +15550100001 -timeout 25s || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier
n=$(grep -c '^UPDATE ' "$TI_DIR/carrier.msg.txt" || true)
[ "$n" = 3 ] || ti_fail "the carrier got $n UPDATEs, expected 3"
! grep -q 'session refresh got\|session expired' "$TI_DIR/trunkd.log" ||
	ti_fail "trunkd took the challenged refresh for a failure"
! grep -qF trunk-secret-9 "$TI_DIR/trunkd.log" ||
	ti_fail "the trunk's password is in trunkd's log"
ti_pass
