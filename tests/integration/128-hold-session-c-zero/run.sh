#!/usr/bin/env bash
# 128-hold-session-c-zero: hold and resume both ways through trunkd, with
# [media] rtp_timeout = 3s and no RTP at all (nobody is expected to send
# while held):
#   1. the PBX holds with RFC 2543's c=IN IP4 0.0.0.0 at session level
#      (no m-level c=, no direction): the carrier gets a=sendonly and
#      trunkd's address, never 0.0.0.0, a=sendrecv or a=inactive; the
#      PBX gets the carrier's recvonly; 4 s held without a BYE;
#   2. the PBX resumes: no hold direction nor 0.0.0.0 either way;
#   3. the carrier holds with a=inactive: the PBX gets a=inactive with
#      trunkd's address, the carrier the PBX's inactive answer; 4 s held
#      without a BYE;
#   4. the carrier resumes (a=sendrecv): no hold direction either way;
#   5. the PBX hangs up.
# Every assertion is a regexp in pbx.xml / carrier.xml.
# REQ: HOLD-1, HOLD-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_section_conf media "$TI_ROOT/peers/calls.conf" "rtp_timeout = 3s"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port "$p")" 5
done

rc=0
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml" \
	-timeout 40s -recv_timeout 15s
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 -timeout 40s -recv_timeout 15s ||
	rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's scenario failed (SIPp exit $rc)"
tc_peer_wait carrier
! grep -q 'no RTP or RTCP from leg\|no RTP from leg' "$TI_DIR/trunkd.log" ||
	ti_fail "trunkd reported an RTP timeout for a held call"
no_calls() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 no_calls || ti_fail "trunkd still has the call"
ti_pass
