#!/usr/bin/env bash
# 094-call-invite-retransmit: the PBX's INVITE retransmitted after trunkd's
# 200 and before the PBX's ACK gets that 200 again (nta keeps A's INVITE
# transaction after the 2xx for this; trunk/call.c hands it back to nta
# right after sending the 2xx), and it is neither relayed to the carrier
# (which would fail its scenario on a second INVITE) nor a second call.
# REQ: SC-6-1 (partly: a retransmitted INVITE absorbed, its 2xx sent again)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_carrier_answers carrier -set max_forwards 69
rc=0
# -nr: SIPp would take trunkd's second 200, the same bytes as the first,
# for a retransmission and answer it with its INVITE again (and again).
tc_pbx pbx "$TI_TEST_DIR/pbx-retx.xml" u1 -s +15550100001 -nr || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's scenario failed (SIPp exit $rc)"
tc_peer_wait carrier
# On the wire: the PBX sent its INVITE twice and got two 200s to it.
count() # DIRECTION FIRST-LINE-REGEXP: PBX messages with CSeq 1 INVITE
{
	python3 - "$TI_DIR/pbx.msg.txt" "$1" "$2" <<'PY'
import re, sys
path, direction, rx = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
n = 0
for block in open(path, encoding="latin-1").read().split("-" * 47 + " ")[1:]:
    lines = block.split("\n")
    first = next((l for l in lines[2:] if l.strip()), "")
    if direction in lines[1] and rx.search(first) and \
            re.search(r"^CSeq: *1 INVITE", block, re.M):
        n += 1
print(n)
PY
}
[ "$(count sent '^INVITE ')" = 2 ] || ti_fail "the PBX did not send its INVITE twice"
[ "$(count received '^SIP/2.0 200 ')" = 2 ] ||
	ti_fail "the PBX did not get exactly two 200s to its INVITE"
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call after the BYE"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
