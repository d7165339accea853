#!/usr/bin/env bash
# 112-reinvite-cancel-crossed: the PBX CANCELs its re-INVITE while the
# carrier accepts it (the carrier's 200 crosses trunkd's CANCEL, RFC 3261
# 9.1). The PBX keeps its session (487); trunkd ACKs the carrier and gives
# it back the PBX's media: a re-INVITE of its own offering what was agreed
# (PCMU, not the PCMA of the cancelled offer), at a higher o= version; for
# an offerless re-INVITE the carrier's 200 has an offer, which trunkd's ACK
# answers with PCMU (a second call). A third call: the carrier refuses
# trunkd's re-INVITE (488): trunkd BYEs both legs. The session has two
# m-lines (audio, and T.38 rejected); the cancelled offer adds a third:
# trunkd's offer and answer restore every one, in order, none dropped.
# REQ: SC-6-1 XFR-2 SDP-3
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }

call() # NAME MODE VERSIONS: one call, both peers in MODE (-set mode)
{
	local rc=0
	tc_peer "carrier-$1" "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml" \
		-set mode "$2"
	tc_pbx "pbx-$1" "$TI_TEST_DIR/pbx.xml" u1 -set mode "$2" || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: PBX scenario failed (SIPp exit $rc)"
	tc_peer_wait "carrier-$1"
	# What the carrier got from trunkd is one o= session whose version
	# rises with each change.
	tc_o_versions "carrier-$1" "$3"
	ti_wait_until 5 calls_ended || ti_fail "$1: trunkd still has the call"
}

# The INVITE, the PBX's re-INVITE (PCMA), trunkd's own (PCMU).
call offer offer '<<'
# The INVITE, the ACK answering the carrier's offer (PCMU).
call offerless offerless '<'
# As "offer"; the carrier refuses trunkd's re-INVITE: BYE both.
call refused refused '<<'
ti_running trunkd || ti_fail "trunkd died"
ti_pass
