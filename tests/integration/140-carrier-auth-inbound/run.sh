#!/usr/bin/env bash
# 140-carrier-auth-inbound: the carrier calls in (leg A of the call faces
# its trunk) and challenges the requests trunkd sends it in that dialog:
# the PBX's re-INVITE (401), its UPDATE (407) and trunkd's BYE after the
# PBX hung up (407) each come again once with a digest that verifies; a
# refused retry (the same challenge again) is final and reaches the PBX as
# 403, never as a 401/407; the call is gone on both sides. The next
# inbound call's BYE carries the last nonce's digest unasked (one nonce
# cache per trunk). The ACK of the re-INVITE's 2xx carries its
# credentials (RFC 3261 13.2.2.4).
# REQ: REG-4, STA-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_auth_start

# 1. Call 1: challenged on a re-INVITE, an UPDATE, a refused re-INVITE
# and the BYE.
tc_peer pbx "$TC_PBX" 5070 "$TI_TEST_DIR/pbx.xml"
rc=0
tc_carrier carrier "$TI_TEST_DIR/carrier.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "carrier scenario failed (SIPp exit $rc)"
tc_peer_wait pbx
ti_wait_until 10 tc_no_calls || ti_fail "call 1 still up in trunkd"
# 1 initial + 2 hold + 2 refused; 2 UPDATEs; 2 BYEs.
for m in INVITE:5 UPDATE:2 BYE:2; do
	n=$(grep -c "^${m%:*} " "$TI_DIR/carrier.msg.txt" || true)
	[ "$n" = "${m#*:}" ] ||
		ti_fail "the carrier got $n ${m%:*}s, expected ${m#*:}"
done
tc_digest carrier UPDATE Proxy-Authorization upd-
tc_digest carrier BYE Proxy-Authorization bye-
# The ACK of the 2xx to the hold re-INVITE: its credentials (RFC 3261
# 13.2.2.4).
out=$(python3 "$TI_ROOT/peers/ack_auth.py" "$TI_DIR/carrier.msg.txt" 1 2>&1) ||
	ti_fail "call 1: $out"
ti_log "call 1: $out"
grep -q "refused our credentials for INVITE on leg A" "$TI_DIR/trunkd.log" ||
	ti_fail "no ERROR for the refused credentials in trunkd's log"

# 2. Call 2: the cached nonce on trunkd's BYE, no challenge.
tc_peer pbx2 "$TC_PBX" 5070 "$TI_TEST_DIR/pbx-bye.xml"
rc=0
tc_carrier cached "$TI_TEST_DIR/carrier-cached.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "the carrier's second call failed (SIPp exit $rc)"
tc_peer_wait pbx2
tc_digest cached BYE Proxy-Authorization bye-
ti_wait_until 10 tc_no_calls || ti_fail "call 2 still up in trunkd"
! grep -qF "$TC_AUTH_PASSWORD" "$TI_DIR/trunkd.log" ||
	ti_fail "the trunk's password is in trunkd's log"
ti_pass
