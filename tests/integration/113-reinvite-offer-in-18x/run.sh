#!/usr/bin/env bash
# 113-reinvite-offer-in-18x: an offer in a reliable 18x answering an
# offerless re-INVITE (RFC 3262 5, RFC 6337 3.1). The PBX re-INVITEs
# without SDP and with 100rel: the carrier's unreliable 180 with a body
# reaches it without one; the carrier's reliable 183 with an offer reaches
# it reliably with the offer rewritten (trunkd's o= line, a higher
# version), and its PRACK's answer reaches the carrier in trunkd's PRACK;
# the 200s and ACKs carry nothing. The same from the carrier to the PBX.
# A third offerless re-INVITE of the PBX's without 100rel: trunkd answers
# the carrier's offer in its PRACK with the session the PBX has, the PBX
# gets the 183 unreliable without a body and the 200 offering what it has
# (same o= version); its ACK's answer stays on its leg. A fourth, offerless
# with 100rel, CANCELled by the PBX once the offer in the carrier's
# reliable 183 is answered, while the carrier's 200 crosses trunkd's
# CANCEL: the offer/answer in it is void (RFC 6141 5), and trunkd gives
# the carrier back the session the PBX kept in a re-INVITE of its own.
# REQ: SDP-1 SDP-3 XFR-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier
# What each peer got from trunkd is one o= session: the carrier the
# INVITE, the PRACK with the PBX's answer (PCMA), the 183 with the PBX's
# offer (PCMU), the PRACK answering its offer with what the PBX has (no
# change), step 4's PRACK (PCMA), trunkd's re-INVITE (PCMU again); the
# PBX the 200, the 183 (the carrier's offer), the PRACK (the carrier's
# answer), the 200 offering it what it has (no change), step 4's 183.
tc_o_versions carrier '<<=<<'
tc_o_versions pbx '<<=<'
grep -q 'answered with the session leg A has' "$TI_DIR/trunkd.log" ||
	ti_fail "no log line for the offer answered by trunkd"

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
