#!/usr/bin/env bash
# 129-carrier-auth-dialog: the carrier challenges inside the dialog.
# Its 407 to the INVITE, 401 (new nonce) to a re-INVITE and 407 (new
# nonce) to the BYE are each answered once with a digest SIPp verifies;
# a refused retry (the same challenge again) is final and reaches the PBX
# as 403, never as a 401/407; the call is gone on both sides. The next
# call's INVITE carries the last nonce's digest unasked (one nonce cache
# per trunk, REG-4). The ACK of every 2xx carries the credentials of the
# INVITE it acknowledges (RFC 3261 13.2.2.4), also the ACK of a 2xx with
# an offer (to a re-INVITE without one), sent once the PBX's ACK brings
# the answer (call 3).
# REQ: REG-4, STA-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

# 1. Call 1: challenged on the INVITE, a re-INVITE (answered, then
# refused) and the BYE.
ti_carrier carrier carrier.xml
rc=0
ti_sipp pbx "$TI_TEST_DIR/pbx.xml" u1 127.0.0.1 "$(ti_port 5060)" || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
ti_carrier_done carrier
ti_wait_until 10 tc_no_calls || ti_fail "call 1 still up in trunkd"
# Exactly two INVITEs per challenge: 2 initial + 2 hold + 2 resume.
n=$(grep -c '^INVITE ' "$TI_DIR/carrier.msg.txt" || true)
[ "$n" = 6 ] || ti_fail "the carrier got $n INVITEs, expected 6"
n=$(grep -c '^BYE ' "$TI_DIR/carrier.msg.txt" || true)
[ "$n" = 2 ] || ti_fail "the carrier got $n BYEs, expected 2"
tc_digest carrier INVITE Proxy-Authorization inv-
tc_digest carrier BYE Proxy-Authorization bye-
# The ACKs of the 2xx to the INVITE and to the hold re-INVITE: each its
# INVITE's credentials (RFC 3261 13.2.2.4).
out=$(python3 "$TI_ROOT/peers/ack_auth.py" "$TI_DIR/carrier.msg.txt" 2 2>&1) ||
	ti_fail "call 1: $out"
ti_log "call 1: $out"

# 2. Call 2: the cached nonce, no challenge.
ti_carrier cached carrier-cached.xml
rc=0
ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p "$(ti_port 5070)" \
	-s +15550100001 -nostdin -timeout 15s -timeout_error \
	"127.0.0.1:$(ti_port 5060)" >"$TI_DIR/pbx2.screen.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's second call failed (SIPp exit $rc)"
ti_carrier_done cached
tc_digest cached INVITE Proxy-Authorization bye-
tc_digest cached BYE Proxy-Authorization bye-
out=$(python3 "$TI_ROOT/peers/ack_auth.py" "$TI_DIR/cached.msg.txt" 1 2>&1) ||
	ti_fail "call 2: $out"
ti_log "call 2: $out"
ti_wait_until 10 tc_no_calls || ti_fail "call 2 still up in trunkd"

# 3. Call 3: a re-INVITE without SDP from the PBX; the carrier offers in
# its 200, the PBX answers in its ACK, and trunkd's ACK to the carrier,
# deferred until then, carries the answer and the re-INVITE's credentials.
ti_carrier offerless carrier-offerless.xml
rc=0
ti_sipp pbx3 "$TI_TEST_DIR/pbx-offerless.xml" u1 127.0.0.1 "$(ti_port 5060)" || rc=$?
[ "$rc" = 0 ] || ti_fail "call 3: PBX scenario failed (SIPp exit $rc)"
ti_carrier_done offerless
out=$(python3 "$TI_ROOT/peers/ack_auth.py" "$TI_DIR/offerless.msg.txt" 2 2>&1) ||
	ti_fail "call 3: $out"
ti_log "call 3: $out"
ti_wait_until 10 tc_no_calls || ti_fail "call 3 still up in trunkd"
! grep -qF trunk-secret-9 "$TI_DIR/trunkd.log" ||
	ti_fail "the trunk's password is in trunkd's log"
ti_pass
