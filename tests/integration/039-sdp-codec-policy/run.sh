#!/usr/bin/env bash
# 039-sdp-codec-policy: the codec policy of the SDP rewrite, asserted on
# the exact m=, a=rtpmap, a=fmtp and a=ptime lines each leg gets:
#  1. the PBX offers PCMU, PCMA, G.729 annexb=no, CN and telephone-event
#     at 20 ms: the carrier gets all of them with their fmtp and ptime
#     (G.711 kept: RTP-3; annexb=no: RTP-6); the carrier answers PCMA and
#     telephone-event without CN: the PBX's answer has no CN (RTP-5);
#  2. the carrier offers G.729 only with annexb=no: the PBX gets exactly
#     that (RTP-6); the PBX answers G.729 annexb=no and PCMU, which was not
#     offered: the carrier's answer names G.729 only (no transcoding);
#  3. call 1 again with loopback media: the PBX sends PCMA and CN through
#     the relay, the carrier (whose answer lacked CN) gets the PCMA and no
#     CN (RTP-5: never sent to a side that did not list 13); then
#     `trunkctl hangup`.
# In each SDP the port is trunkd's relay port, never the peer's.
# REQ: RTP-3 RTP-4 RTP-5 RTP-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

here=$TI_ROOT/039-sdp-codec-policy
sdp_head='v=0
o=@WHO@ 1 1 IN IP4 @HOST@
s=-
c=IN IP4 @HOST@
t=0 0'

# mk NAME uac|uas WHO HOST SDP-LINES [TAIL]: the scenario NAME.xml; a UAC
# ends with bye-send.xml, or TAIL (bye-recv.xml: wait for trunkd's BYE).
mk()
{
	local head=${sdp_head//@WHO@/$3}
	tc_template "$here/$2.xml.in" "$TI_DIR/$1.xml" WHO="$3" \
		SDP="${head//@HOST@/$4}
$5" TAIL="$(cat "$here/${6:-bye-send.xml}")"
}

# expect NAME START PEERPORT WANT: the SDP of the first message NAME
# received starting with START has exactly the lines WANT (sdp_lines.py),
# with a port of trunkd's (not 0, not the peer's PEERPORT).
expect()
{
	local got port
	got=$(python3 "$here/sdp_lines.py" "$TI_DIR/$1.msg.txt" "$2") ||
		ti_fail "$1: no SDP in the $2 it received: $got"
	port=$(head -n1 <<<"$got")
	got=$(tail -n +2 <<<"$got")
	[ "$port" != 0 ] && [ "$port" != "$3" ] ||
		ti_fail "$1: $2 names port $port, not trunkd's relay port"
	[ "$got" = "$4" ] ||
		ti_fail "$1: $2 SDP lines differ; want:
$4
got:
$got"
	ti_log "$1: $2 SDP as expected (port $port)"
}

tc_trunkd_start

# 1. PBX -> carrier
pbx_offer='m=audio 40000 RTP/AVP 0 8 18 13 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:13 CN/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20'
mk pbx1 uac pbx 192.0.2.10 "$pbx_offer"
mk carrier1 uas carrier 192.0.2.30 'm=audio 50000 RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20'
tc_peer carrier1 "$TC_CARRIER" 5090 "$TI_DIR/carrier1.xml"
rc=0
tc_pbx pbx1 "$TI_DIR/pbx1.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "pbx1: scenario failed (SIPp exit $rc)"
tc_peer_wait carrier1
expect carrier1 INVITE 40000 'm=audio PORT RTP/AVP 0 8 18 13 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:13 CN/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20'
expect pbx1 'SIP/2.0 200' 50000 'm=audio PORT RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20'

# 2. carrier -> PBX
mk carrier2 uac carrier 192.0.2.30 'm=audio 50000 RTP/AVP 18
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=ptime:20'
mk pbx2 uas pbx 192.0.2.10 'm=audio 40000 RTP/AVP 18 0
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:0 PCMU/8000
a=ptime:20'
tc_peer pbx2 "$TC_PBX" 5070 "$TI_DIR/pbx2.xml"
rc=0
tc_carrier carrier2 "$TI_DIR/carrier2.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "carrier2: scenario failed (SIPp exit $rc)"
tc_peer_wait pbx2
expect pbx2 INVITE 50000 'm=audio PORT RTP/AVP 18
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=ptime:20'
expect carrier2 'SIP/2.0 200' 40000 'm=audio PORT RTP/AVP 18
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=ptime:20'

# 3. RTP: CN is not relayed to the carrier that did not list it.
mk pbx3 uac pbx 127.0.0.2 "$pbx_offer" bye-recv.xml
mk carrier3 uas carrier 127.0.0.3 'm=audio 50000 RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20'
tc_peer carrier3 "$TC_CARRIER" 5090 "$TI_DIR/carrier3.xml"
tc_peer pbx3 "$TC_PBX" 5070 "$TI_DIR/pbx3.xml" -s +15550100001 \
	-set trunkd "$(tc_trunkd ent)" "$(tc_trunkd ent)"
acked() { grep -q '^ACK ' "$TI_DIR/carrier3.msg.txt" 2>/dev/null; }
ti_wait_until 10 acked || ti_fail "call 3: the carrier got no ACK"
ti_exec python3 "$here/rtp.py" "$TI_DIR/pbx3.msg.txt" >"$TI_DIR/rtp.log" 2>&1 ||
	{ cat "$TI_DIR/rtp.log" >&2; ti_fail "call 3: CN reached the carrier or PCMA did not"; }
ti_log "call 3: $(cat "$TI_DIR/rtp.log")"
id=$(ti_json "$(ti_ctl calls)" 'j["calls"][0]["id"]') ||
	ti_fail "call 3: no call in trunkctl calls"
ti_ctl hangup "$id" >/dev/null || ti_fail "call 3: trunkctl hangup failed"
tc_peer_wait pbx3
tc_peer_wait carrier3
ti_pass
