#!/usr/bin/env bash
# 146-rtcp-relay: RTCP through trunkd's relay on a live call (RTP-1), read
# on the wire. The PBX calls the carrier; neither SDP trunkd sends has an
# a=rtcp line (our RTCP is our RTP port + 1); the carrier's answer moves
# its RTCP to a=rtcp:50011. Then (rtcp.py) 10 RTCP sender reports from the
# PBX's RTCP port (40001) to trunkd's enterprise-side RTP port + 1 reach
# the carrier on 50011, unchanged, from trunkd's trunk-side RTP port + 1
# (symmetric), and 10 receiver reports back from 50011 reach the PBX on
# 40001 from trunkd's enterprise-side RTP port + 1; nothing reaches the
# RTP ports or the carrier's default 50001. tshark's capture shows the
# same 10 + 10 packets decoded as RTCP SR/RR between those exact ports,
# and trunkctl calls counts them: rtcp_in/rtcp_out 10 per leg, no RTP.
# trunkctl hangup ends the call (BYE to both).
# REQ: RTP-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/flows.sh"
ti_setup

tc_trunkd_start
flows_capture_start "udp and (portrange 20000-20999 or port 5090)"

calls_json() { ti_ctl calls; }

tc_media_call
pa=$TC_PORT_A
pb=$TC_PORT_B
ti_exec python3 "$TI_TEST_DIR/rtcp.py" "$pa" "$pb" >"$TI_DIR/rtcp.log" 2>&1 ||
	{ cat "$TI_DIR/rtcp.log" >&2; ti_fail "RTCP not relayed as expected"; }
ti_log "$(cat "$TI_DIR/rtcp.log")"

# trunkctl's counters (published per receive batch: bounded wait).
counted()
{
	ti_json "$(calls_json)" "[(l['rtcp_in'], l['rtcp_out'], l['rtp_in'], l['rtp_out']) for l in j['calls'][0]['legs']] == [(10, 10, 0, 0), (10, 10, 0, 0)]" |
		grep -qx True
}
ti_wait_until 5 counted || ti_fail "trunkctl calls does not count the RTCP: $(calls_json)"

out=$(ti_ctl hangup "$(ti_json "$(calls_json)" 'j["calls"][0]["id"]')") ||
	ti_fail "trunkctl hangup failed: $out"
tc_peer_wait pbx
tc_peer_wait carrier
flows_capture_stop

# The wire: RTCP decoded at trunkd's RTCP ports (tshark does not guess it).
rtcp()
{
	tshark -r "$TI_DIR/cap.pcap" -n -d "udp.port==$((pa + 1)),rtcp" \
		-d "udp.port==$((pb + 1)),rtcp" -Y "$1" -T fields -e rtcp.pt \
		2>/dev/null | sort | uniq -c | awk '{ print $1 " " $2 }'
}
got=$(rtcp "ip.src==127.0.0.1 && udp.srcport==$((pb + 1)) && ip.dst==127.0.0.3 && udp.dstport==50011")
[ "$got" = "10 200" ] || ti_fail "carrier's RTCP on the wire: '$got', want 10 SR (200) from 127.0.0.1:$((pb + 1))"
got=$(rtcp "ip.src==127.0.0.1 && udp.srcport==$((pa + 1)) && ip.dst==127.0.0.2 && udp.dstport==40001")
[ "$got" = "10 201" ] || ti_fail "PBX's RTCP on the wire: '$got', want 10 RR (201) from 127.0.0.1:$((pa + 1))"
got=$(rtcp "ip.src==127.0.0.1 && (udp.dstport==50001 || udp.dstport==50000 || udp.dstport==40000)")
[ -z "$got" ] || ti_fail "trunkd sent to an RTP port or the carrier's port + 1: '$got'"
ti_pass
