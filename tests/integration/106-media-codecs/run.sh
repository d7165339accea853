#!/usr/bin/env bash
# 106-media-codecs: [media] codecs is the codec list of every trunk without
# its own. calls.conf's [media] gets codecs = PCMA here and [trunk carrier]
# has no list, so the carrier's calls behave as 079's ([trunk carrier]
# codecs = PCMA), with its peer files:
#   out  the PBX offers PCMU, PCMA, telephone-event; the carrier's INVITE
#        from trunkd offers PCMA and telephone-event only (its fmtp kept);
#        the PBX's 200 names them only;
#   in   the carrier offers the same; the PBX gets PCMA and
#        telephone-event only, and so does the carrier's 200.
# REQ: RTP-3 (partly: codec list for all trunks)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# calls.conf with [media] codecs = PCMA.
sed 's/^\[media\]$/&\ncodecs = PCMA/' "$TI_ROOT/peers/calls.conf" \
	>"$TI_DIR/codecs.conf"
grep -q '^codecs = PCMA$' "$TI_DIR/codecs.conf" || ti_fail "no [media] section to edit"
[ "$(grep -c '^codecs' "$TI_DIR/codecs.conf")" = 1 ] ||
	ti_fail "calls.conf has another codecs line: the test would not be about [media]"
ti_config "$TI_DIR/codecs.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port "$p")" 5
done

peers=$TI_ROOT/079-trunk-codecs
rc=0
tc_peer carrier-out "$TC_CARRIER" 5090 "$peers/answerer.xml"
tc_pbx pbx-out "$peers/caller.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "out: the PBX's call failed (SIPp exit $rc)"
tc_peer_wait carrier-out

tc_peer pbx-in "$TC_PBX" 5070 "$peers/answerer.xml"
tc_carrier carrier-in "$peers/caller.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "in: the carrier's call failed (SIPp exit $rc)"
tc_peer_wait pbx-in
ti_pass
