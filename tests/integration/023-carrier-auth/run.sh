#!/usr/bin/env bash
# 023-carrier-auth: the carrier challenges trunkd's INVITE with 401; trunkd
# answers with a digest the carrier verifies, and reuses the nonce for the
# BYE (REG-4 on a Static-mode trunk: STA-6); the ACK of its 2xx carries
# the INVITE's credentials (RFC 3261 13.2.2.4). A carrier that refuses the
# credentials gets no third INVITE and the PBX gets 403, never the 401.
# REQ: REG-4, STA-6
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

# 1. Valid credentials: the call completes, INVITE and BYE verify.
ti_carrier carrier carrier.xml
rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p "$(ti_port 5070)" \
	-s +15550100001 -nostdin -timeout 15s -timeout_error \
	"127.0.0.1:$(ti_port 5060)" >"$TI_DIR/pbx.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's call failed (SIPp exit $rc)"
ti_carrier_done carrier
# The ACK of the 2xx: the INVITE's credentials (RFC 3261 13.2.2.4).
out=$(python3 "$TI_ROOT/peers/ack_auth.py" "$TI_DIR/carrier.msg.txt" 2>&1) ||
	ti_fail "$out"
ti_log "$out"

# 2. Refused credentials: exactly two INVITEs, 403 to the PBX.
ti_carrier refuser carrier-refuses.xml
rc=0
ti_sipp pbx-refused "$TI_TEST_DIR/pbx-refused.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX did not get 403 (SIPp exit $rc)"
ti_carrier_done refuser
n=$(grep -c '^INVITE ' "$TI_DIR/refuser.msg.txt" || true)
[ "$n" = 2 ] || ti_fail "the refusing carrier got $n INVITEs, expected 2"
ti_pass
