#!/usr/bin/env bash
# 105-update-not-allowed: UPDATE toward a peer that did not list UPDATE in
# its Allow (SDP-4: UPDATE only when both sides advertise it; RFC 3311 4).
#  1. Confirmed dialog, neither side allowing UPDATE: the PBX's UPDATE
#     offer reaches the carrier as a re-INVITE (trunkd's SDP), whose 2xx
#     answers the UPDATE and gets an ACK without a body; the carrier's
#     UPDATE reaches the PBX the same way. The PBX hangs up.
#  2. Early dialog, the carrier's 183 allowing no UPDATE: the PBX's UPDATE
#     with an offer gets 500 with Retry-After, one without a body 200,
#     and neither reaches the carrier; then the PBX CANCELs.
# 091 is the other half: both sides allow UPDATE, and it is relayed as
# UPDATE. run.sh checks that the SDPs each peer received from trunkd are
# one o= session whose version rises with each change (SDP-3).
# REQ: SDP-3, SDP-4, SC-6-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

# 1. Confirmed dialog.
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier
tc_o_versions pbx '<<'
tc_o_versions carrier '<<'

# 2. Early dialog.
tc_peer carrier-early "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-early.xml"
tc_pbx pbx-early "$TI_TEST_DIR/pbx-early.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario in the early dialog failed (SIPp exit $rc)"
tc_peer_wait carrier-early

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
