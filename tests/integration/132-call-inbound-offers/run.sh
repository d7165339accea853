#!/usr/bin/env bash
# 132-call-inbound-offers: offer/answer of calls from the carrier, SIPp on
# both sides.
#   late    the carrier's INVITE has no offer (SDP-1): the PBX gets an
#           offerless INVITE, its offer in the 200 reaches the carrier
#           rewritten (trunkd's o= and relay address), the carrier's answer
#           in its ACK reaches the PBX rewritten in trunkd's ACK; PCMU is
#           relayed both ways, and 30 ms packets where the PBX sent 20 ms
#           ones pass as they are (RTP-2), and when the PBX's media moves
#           to another port the relay latches to it after 8 packets and
#           sends there (RTP-1); trunkctl hangup sends BYE to both.
#   100rel  the carrier supports 100rel, the PBX answers with a reliable
#           183 with SDP: the carrier gets a reliable 183 (Require: 100rel,
#           RSeq) with trunkd's SDP, its PRACK reaches the PBX as trunkd's
#           PRACK (RAck of the PBX's RSeq), each PRACK gets its 200, then
#           200/ACK on each leg and the carrier hangs up.
#   norel   the same PBX, a carrier without 100rel: trunkd PRACKs the PBX
#           itself and the carrier gets an unreliable 183 (no RSeq, no
#           Require) with trunkd's SDP, and no PRACK.
# REQ: SDP-1, ID-2, RTP-1, RTP-2, SC-6-1 (partly: RFC 3264 late offer and RFC 3262 on both legs, inbound)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

calls_json() { ti_ctl calls; }
no_calls() { [ "$(ti_json "$(calls_json)" "len(j['calls'])")" = 0 ]; }

# late: the carrier calls without an offer.
tc_peer pbx-late "$TC_PBX" 5070 "$TI_TEST_DIR/pbx-late.xml"
tc_peer carrier-late "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-late.xml" \
	-s +15550100001 -cid_str 'carrier-call-%u-%p@%s' \
	-set trunkd "$(tc_trunkd trunk)" "$(tc_trunkd trunk)"
acked() { [ "$(tc_msg_time pbx-late received '^ACK ' 2>/dev/null)" != none ]; }
ti_wait_until 10 acked || ti_fail "late: the PBX got no ACK"
up() { [ "$(ti_json "$(calls_json)" "[c['state'] for c in j['calls']]")" = "['CONFIRMED']" ]; }
ti_wait_until 5 up || ti_fail "late: no established call: $(calls_json)"
ti_exec python3 "$TI_TEST_DIR/rtp.py" "$TI_DIR/carrier-late.msg.txt" \
	"$TI_DIR/pbx-late.msg.txt" >"$TI_DIR/rtp.log" 2>&1 ||
	{ cat "$TI_DIR/rtp.log" >&2; ti_fail "late: no PCMU both ways between the carrier and the PBX"; }
ti_log "late: $(cat "$TI_DIR/rtp.log")"
id=$(ti_json "$(calls_json)" 'j["calls"][0]["id"]')
out=$(ti_ctl hangup "$id") || ti_fail "trunkctl hangup failed: $out"
tc_peer_wait carrier-late
tc_peer_wait pbx-late
ti_wait_until 5 no_calls || ti_fail "late: calls left after 5 s: $(calls_json)"

# 100rel: a reliable 183 from the PBX, PRACK on each leg.
tc_peer pbx-rel "$TC_PBX" 5070 "$TI_TEST_DIR/pbx-100rel.xml"
rc=0
tc_carrier carrier-rel "$TI_TEST_DIR/carrier-100rel.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "100rel: carrier scenario failed (SIPp exit $rc)"
tc_peer_wait pbx-rel
ti_wait_until 5 no_calls || ti_fail "100rel: calls left after 5 s: $(calls_json)"

# norel: the same PBX, a carrier without 100rel: trunkd PRACKs the PBX.
tc_peer pbx-norel "$TC_PBX" 5070 "$TI_TEST_DIR/pbx-100rel.xml"
rc=0
tc_carrier carrier-norel "$TI_TEST_DIR/carrier-norel.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "norel: carrier scenario failed (SIPp exit $rc)"
tc_peer_wait pbx-norel
ti_wait_until 5 no_calls || ti_fail "norel: calls left after 5 s: $(calls_json)"
ti_pass
