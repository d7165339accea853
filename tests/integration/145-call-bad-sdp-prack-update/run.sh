#!/usr/bin/env bash
# 145-call-bad-sdp-prack-update: SDP that cannot be parsed in a reliable
# 18x, in a PRACK and in an UPDATE (offer and answer) never crosses raw,
# never leaves a call up without media, and the failing request gets 488;
# the PBX calling out and the carrier calling in each time (same
# scenarios both ways):
#   rel     the callee's answer in a reliable 183 cannot be parsed: the
#           caller gets the 183 reliably without a body, PRACKs it (the
#           callee gets trunkd's bodiless PRACK), and when the callee's
#           200 brings no usable answer, ACK and BYE to the callee, 502 to
#           the caller;
#   prack   an offerless INVITE, the callee offers in a reliable 183, the
#           caller's answer in its PRACK cannot be parsed: 488 to the
#           PRACK and to the INVITE, the callee CANCELled (it never gets
#           a PRACK);
#   update  in a confirmed call: an UPDATE whose offer cannot be parsed
#           gets 488 and is not relayed; a hold UPDATE crosses both ways
#           as trunkd's SDP; a resume UPDATE whose answer from the callee
#           cannot be parsed gets 488 (never a 200 without an answer) and
#           the callee is given the held session back (re-INVITE at a
#           higher o= version, as 134 for a re-INVITE); the callee hangs
#           up;
#   early   an UPDATE in the early dialog (after the callee's 183 with its
#           answer) whose answer cannot be parsed: 488 to the UPDATE, and
#           as no re-INVITE can repair the callee's session before the
#           INVITE completes (RFC 3261 14.1), 503 to the INVITE and a
#           CANCEL to the callee.
# No call is left after each; trunkd stays up.
# REQ: SDP-3, SDP-4, SC-6-1 (partly: RFC 3262/3311 offer/answer failures on both legs)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

tc_both_ways rel caller-rel.xml callee-rel-bad.xml
tc_both_ways prack caller-prack-bad.xml callee-late-rel.xml
tc_both_ways update caller-update.xml callee-update.xml
tc_both_ways early caller-early-update.xml callee-early-update.xml
# The callee's SDPs from trunkd: the INVITE, the hold and resume UPDATEs,
# the re-INVITE with the held session: one o= session, each a new version
# (SDP-3: the resume changed what we said, the held session again).
tc_o_versions carrier-update-out '<<<'
tc_o_versions pbx-update-in '<<<'

ti_running trunkd || ti_fail "trunkd died"
ti_pass
