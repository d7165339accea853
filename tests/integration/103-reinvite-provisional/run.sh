#!/usr/bin/env bash
# 103-reinvite-provisional: provisional responses to a relayed re-INVITE
# reach the asker. The carrier re-INVITEs; the PBX answers 180 then 200:
# the carrier gets the 180 (its own dialog's To tag, unreliable, no body,
# nothing of the PBX) before the 200. The PBX re-INVITEs with Supported:
# 100rel; the carrier answers a reliable 183 with SDP: trunkd PRACKs it
# in the carrier's dialog and the PBX gets an unreliable 183 with that
# answer rewritten by trunkd, then the 200 with the same SDP. A third
# re-INVITE of the PBX's, CANCELled after the carrier's 180: the carrier
# gets trunkd's CANCEL (200, 487, ACK). The carrier hangs up; no call is
# left.
# REQ: SC-6-1 (partly: 18x to re-INVITEs relayed), XFR-2 (partly: re-INVITEs with an offer only)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
