#!/usr/bin/env bash
# 158-fork-bye-auth: the carrier's forking proxy lets two more UASs
# answer trunkd's INVITE after the call was answered by the first (RFC
# 3261 13.2.2.4); trunkd ACKs each and ends its dialog with a BYE, and the
# carrier challenges those BYEs (REG-4, STA-6):
#   - fork 2's BYE gets 407: it must come again once, CSeq + 1, with a
#     Proxy-Authorization digest of the trunk's password;
#   - fork 3's BYE must carry that cached nonce unasked; it gets 401, comes
#     again with an Authorization, gets the same 401: refused, final,
#     nothing more for 1.5 s;
#   - the call (fork 1's dialog) goes on; the carrier's BYE of it reaches
#     the PBX; no call is left.
# REQ: REG-4, STA-6, SC-6-1 (partly: the challenged BYE of a late fork's dialog, RFC 3261 13.2.2.4)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

TC_AUTH_USER=trunkuser
TC_AUTH_PASSWORD=trunk-secret-158
sed "/^\[trunk carrier\]$/,/^$/ s/^keepalive = off$/keepalive = off\\
username = $TC_AUTH_USER\\
password = $TC_AUTH_PASSWORD/" "$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
grep -q "^password = $TC_AUTH_PASSWORD\$" "$TI_DIR/src.conf" ||
	ti_fail "calls.conf: no [trunk carrier] keepalive line to add credentials to"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
tc__trunkd_up

tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-call.xml" -s +15550100001 \
	-cid_str 'pbx-call-%u-%p@%s' -set trunkd "$(tc_trunkd ent)" \
	-set contact_tp udp -set bye wait "$(tc_trunkd ent)"
tc_peer_wait carrier
tc_peer_wait pbx

# Two BYEs for each late fork, none more.
for f in fork2 fork3; do
	n=$(grep -c "^BYE sip:$f@" "$TI_DIR/carrier.msg.txt" || true)
	[ "$n" = 2 ] || ti_fail "the carrier got $n BYEs for $f, expected 2"
done
tc_digest carrier BYE Proxy-Authorization fbye-
tc_digest carrier BYE Authorization fgone-
ti_wait_until 5 tc_no_calls || ti_fail "trunkd still has a call: $(ti_ctl status)"
! grep -qF "$TC_AUTH_PASSWORD" "$TI_DIR/trunkd.log" ||
	ti_fail "the trunk's password is in trunkd's log"
ti_pass
