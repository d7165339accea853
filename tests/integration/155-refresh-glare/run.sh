#!/usr/bin/env bash
# 155-refresh-glare: trunkd's own session refresh by re-INVITE (RFC 4028:
# the carrier makes trunkd the refresher of a 10 s session and does not
# allow UPDATE) takes part in glare like any INVITE (RFC 3261 14):
# a. the carrier's re-INVITE while the refresh is pending on its dialog
#    gets 491 from trunkd (never relayed to the PBX); the carrier answers
#    the refresh 491 too; trunkd sends it again 2.1-4 s later (14.1) and
#    the carrier's retried re-INVITE then reaches the PBX;
# b. the PBX's re-INVITE while the refresh is pending on the carrier's
#    dialog gets 491 (relayed it would be a second INVITE there, 14.1); the
#    PBX's retry after the refresh goes through.
# The peers cue each other with INFOs relayed by trunkd, no timing.
# REQ: SC-6-1 (partly: RFC 3261 14 glare with trunkd's own RFC 4028 session refresh)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

TC_GLOBAL='min_se = 4s' tc_trunkd_start
no_calls() { [ "$(ti_json "$(ti_ctl calls)" "len(j['calls'])")" = 0 ]; }

# glare PART: carrier-PART.xml and pbx-PART.xml on one call, both
# passed; no call left after it.
glare()
{
	tc_call_pair "$1"
	ti_wait_until 5 no_calls || ti_fail "$1: calls left after 5 s: $(ti_ctl calls)"
}

# a. The carrier's re-INVITE crosses trunkd's refresh.
glare a
t491=$(tc_msg_time carrier-a sent '^SIP/2\.0 491' 2>/dev/null)
python3 - "$TI_DIR/carrier-a.msg.txt" "$t491" <<'PY' || ti_fail "a: trunkd's refresh did not come again 2.1-4 s after its 491"
import datetime, re, sys
path, t491 = sys.argv[1], float(sys.argv[2])
times = []
for block in open(path, encoding="latin-1").read().split("-" * 47 + " ")[1:]:
    lines = block.split("\n")
    first = next((l for l in lines[2:] if l.strip()), "")
    if "received" in lines[1] and first.startswith("INVITE "):
        times.append(datetime.datetime.strptime(
            lines[0].strip(), "%Y-%m-%d %H:%M:%S.%f").timestamp())
# the refresh, then the same again after the 491 (retransmissions of
# the first would come 0.5 s after it, before the 491)
later = [t - t491 for t in times if t > t491]
print("refresh again %.2f s after the 491" % later[0] if later else "no refresh after the 491", file=sys.stderr)
sys.exit(not later or not 2.0 <= later[0] <= 4.5)
PY
ti_log "a: the carrier's re-INVITE got 491, trunkd's refresh came again after the glare, the retry reached the PBX"

# b. The PBX's re-INVITE while trunkd refreshes the carrier's leg.
glare b
ti_log "b: the PBX's re-INVITE got 491 while the refresh was pending, its retry went through"
ti_pass
