#!/usr/bin/env bash
# 105-update-not-allowed: UPDATE toward a peer that did not list UPDATE in
# its Allow (SDP-4: UPDATE only when both sides advertise it; RFC 3311 4).
#  1. Confirmed dialog, neither side allowing UPDATE: the PBX's UPDATE
#     offer reaches the carrier as a re-INVITE (trunkd's SDP), whose 2xx
#     answers the UPDATE and gets an ACK without a body; the carrier's
#     UPDATE reaches the PBX the same way. The PBX hangs up.
#  2. Early dialog, the carrier's 183 allowing no UPDATE: the PBX's UPDATE
#     with an offer gets 500 with a Retry-After of 0-10 s, one without a
#     body 200, and neither reaches the carrier; then the PBX CANCELs.
#     Five such calls: the Retry-After values are not all the same (RFC
#     3311 5.2: chosen at random; 11^-4 that five random ones agree).
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

# 2. Early dialog, five times.
ra=()
for i in 1 2 3 4 5; do
	tc_peer "carrier-early$i" "$TC_CARRIER" 5090 \
		"$TI_TEST_DIR/carrier-early.xml"
	tc_pbx "pbx-early$i" "$TI_TEST_DIR/pbx-early.xml" u1 || rc=$?
	[ "$rc" = 0 ] ||
		ti_fail "PBX scenario in the early dialog failed (SIPp exit $rc)"
	tc_peer_wait "carrier-early$i"
	ra+=("$(sed -n 's/.*500, Retry-After *\([0-9][0-9]*\) .*/\1/p' \
		"$TI_DIR/pbx-early$i.actions.txt")")
done
ti_log "Retry-After of the five 500s: ${ra[*]}"
[ "$(printf '%s\n' "${ra[@]}" | sort -u | grep -c .)" -gt 1 ] ||
	ti_fail "the same Retry-After five times (${ra[*]}): not random"

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
