#!/usr/bin/env bash
# 157-bye-during-reinvite: a BYE while a re-INVITE relayed by trunkd is
# still unanswered ends that re-INVITE with 487 Request Terminated (RFC
# 3261 15.1.2), not nta's 500 when the call is freed:
# a. the PBX holds, the carrier hangs up instead of answering: the PBX's
#    re-INVITE gets 487 (ACKed), then trunkd's BYE;
# b. the PBX holds and hangs up at once in the same dialog: its re-INVITE
#    gets 487, then its BYE 200; the carrier gets the BYE;
# c. the PBX BYEs its early dialog (after trunkd's 180): 200, then 487 to
#    its INVITE; the carrier gets CANCEL.
# REQ: SC-6-1 (partly: RFC 3261 15.1.2, pending requests of a dialog that a BYE ends)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
no_calls() { [ "$(ti_json "$(ti_ctl calls)" "len(j['calls'])")" = 0 ]; }

for part in a b c; do
	tc_call_pair "$part"
	! grep -q '^SIP/2\.0 500' "$TI_DIR/pbx-$part.msg.txt" ||
		ti_fail "$part: the PBX got a 500"
	ti_wait_until 5 no_calls || ti_fail "$part: calls left after 5 s: $(ti_ctl calls)"
done
ti_log "a: 487 to the PBX's re-INVITE before trunkd's BYE; b: 487, then 200 to its BYE"
ti_pass
