#!/usr/bin/env bash
# 091-call-update: UPDATE with SDP (RFC 3311) relayed through trunkd,
# both peers allowing UPDATE.
#  1. Confirmed dialog: the PBX's UPDATE offer reaches the carrier and the
#     carrier's UPDATE offer the PBX, and each 200's answer the asker,
#     every SDP rewritten by trunkd: its relay address and the port of its
#     first SDP on that leg, no address or SDP line of the other peer, the
#     offered codecs and direction kept. The PBX hangs up.
#  2. Early dialog: the carrier answers with an 183 with SDP; the PBX's
#     UPDATE offer in that early dialog and its 200 are relayed and
#     rewritten the same way; then the 200, ACK and BYE.
# run.sh checks that the SDPs each peer received from trunkd are one o=
# session whose version rises with each change (SDP-3).
# REQ: SDP-3, SDP-4 (partly: UPDATE with SDP in confirmed and early dialogs; not whether both sides advertise UPDATE)
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
# The INVITE (200), then one SDP per UPDATE: each a change.
tc_o_versions pbx '<<'
tc_o_versions carrier '<<'

# 2. Early dialog.
tc_peer carrier-early "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-early.xml"
tc_pbx pbx-early "$TI_TEST_DIR/pbx-early.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario in the early dialog failed (SIPp exit $rc)"
tc_peer_wait carrier-early
# The PBX: 183, the UPDATE's 200 (a change), the INVITE's 200 (the same
# session again); the carrier: the INVITE, the UPDATE.
tc_o_versions pbx-early '<='
tc_o_versions carrier-early '<'
ti_pass
