#!/usr/bin/env bash
# 079-trunk-codecs: a per-trunk codec list ([trunk carrier] codecs = PCMA)
# restricts what crosses on that trunk's calls, both ways (the relay never
# transcodes):
#   out  the PBX offers PCMU, PCMA, telephone-event; the carrier's INVITE
#        from trunkd offers PCMA and telephone-event only (its fmtp kept);
#        the PBX's 200 names them only;
#   in   the carrier offers the same; the PBX gets PCMA and
#        telephone-event only, and so does the carrier's 200.
# Unset, everything both peers list crosses (010, 039 and others).
# REQ: RTP-3 (partly: per-trunk codec list)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# calls.conf's [trunk carrier] with codecs = PCMA.
sed 's/^\[trunk carrier\]$/&\ncodecs = PCMA/' "$TI_ROOT/peers/calls.conf" \
	>"$TI_DIR/codecs.conf"
grep -q '^codecs = PCMA$' "$TI_DIR/codecs.conf" || ti_fail "no [trunk carrier] to edit"
ti_config "$TI_DIR/codecs.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port "$p")" 5
done

rc=0
tc_peer carrier-out "$TC_CARRIER" 5090 "$TI_TEST_DIR/answerer.xml"
tc_pbx pbx-out "$TI_TEST_DIR/caller.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "out: the PBX's call failed (SIPp exit $rc)"
tc_peer_wait carrier-out

tc_peer pbx-in "$TC_PBX" 5070 "$TI_TEST_DIR/answerer.xml"
tc_carrier carrier-in "$TI_TEST_DIR/caller.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "in: the carrier's call failed (SIPp exit $rc)"
tc_peer_wait pbx-in
ti_pass
