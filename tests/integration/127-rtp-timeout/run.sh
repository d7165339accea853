#!/usr/bin/env bash
# 127-rtp-timeout: the RTP timeout (issue 3) ends dead calls only. With
# [media] rtp_timeout = 3s:
#   1. the carrier rings (180, no early media) for 5 s before its 200: the
#      call completes (the timeout applies to confirmed calls only); both
#      sides then send 2 s of RTP and stop: trunkd sends BYE on both legs,
#      4.5-8.5 s after the ACK (2 s of RTP + 3 s + the scan's tick, with a
#      margin), asserted from both SIPp peers' message logs;
#   2. the PBX holds with a=sendonly and sends no music on hold, the
#      carrier answers recvonly and sends nothing: no BYE for 6 s (twice
#      the timeout; an unexpected BYE fails either SIPp peer); the resume
#      (sendrecv) crosses both ways, then the PBX hangs up.
# REQ: HOLD-1, RTP-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_section_conf media "$TI_ROOT/peers/calls.conf" "rtp_timeout = 3s"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port "$p")" 5
done

# Raw PCMU for SIPp's rtp_stream: 2 s and 1 s of silence (0xff).
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\xff" * 16000)' \
	"$TI_DIR/2s.pcmu"
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\xff" * 8000)' \
	"$TI_DIR/1s.pcmu"
for s in pbx-ring carrier-ring; do
	tc_template "$TI_TEST_DIR/$s.xml" "$TI_DIR/$s.xml" AUDIO="$TI_DIR/2s.pcmu"
done
for s in pbx-hold carrier-hold; do
	tc_template "$TI_TEST_DIR/$s.xml" "$TI_DIR/$s.xml" AUDIO="$TI_DIR/1s.pcmu"
done
no_calls() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }

# 1. Long ringing, then a dead call.
rc=0
tc_peer carrier-ring "$TC_CARRIER" 5090 "$TI_DIR/carrier-ring.xml" \
	-timeout 40s -recv_timeout 15s
tc_pbx pbx-ring "$TI_DIR/pbx-ring.xml" u1 -timeout 40s -recv_timeout 15s ||
	rc=$?
[ "$rc" = 0 ] || ti_fail "1: the PBX's call failed (SIPp exit $rc)"
tc_peer_wait carrier-ring
ring=$(tc_between "$(tc_msg_time pbx-ring received '^SIP/2.0 180')" \
	"$(tc_msg_time pbx-ring received '^SIP/2.0 200')" 4.5 15) ||
	ti_fail "1: the call did not ring longer than rtp_timeout ($ring s)"
ti_log "1: rang for $ring s and was answered"
d=$(tc_between "$(tc_msg_time pbx-ring sent '^ACK')" \
	"$(tc_msg_time pbx-ring received '^BYE')" 4.5 8.5) ||
	ti_fail "1: trunkd's BYE to the PBX came $d s after the ACK, not 4.5-8.5"
ti_log "1: BYE to the PBX $d s after its ACK"
d=$(tc_between "$(tc_msg_time carrier-ring received '^ACK')" \
	"$(tc_msg_time carrier-ring received '^BYE')" 4.5 8.5) ||
	ti_fail "1: trunkd's BYE to the carrier came $d s after the ACK, not 4.5-8.5"
ti_log "1: BYE to the carrier $d s after its ACK"
grep -q 'no RTP or RTCP from leg' "$TI_DIR/trunkd.log" ||
	ti_fail "1: trunkd did not log the RTP timeout"
ti_wait_until 5 no_calls || ti_fail "1: trunkd still has the call"

# 2. Hold without music for twice the timeout.
tc_peer carrier-hold "$TC_CARRIER" 5090 "$TI_DIR/carrier-hold.xml" \
	-timeout 40s -recv_timeout 15s
tc_pbx pbx-hold "$TI_DIR/pbx-hold.xml" u1 -timeout 40s -recv_timeout 15s ||
	rc=$?
[ "$rc" = 0 ] || ti_fail "2: the PBX's held call failed (SIPp exit $rc)"
tc_peer_wait carrier-hold
[ "$(grep -c 'no RTP or RTCP from leg' "$TI_DIR/trunkd.log")" = 1 ] ||
	ti_fail "2: trunkd reported an RTP timeout for the held call"
ti_wait_until 5 no_calls || ti_fail "2: trunkd still has the call"
ti_pass
