#!/usr/bin/env bash
# 160-abandoned-bye-trunk-removed: an INVITE left behind by SP-SSE
# failover is answered 200 after a reload removed its trunk; trunkd ACKs
# it and BYEs that dialog (call_abandon.c) and the carrier challenges the
# BYE (407): with the trunk gone there are no credentials to answer with,
# so the challenge is left unanswered with a WARN naming the trunk, and
# nothing more reaches the carrier.
#   - trunk "failover": 127.0.0.3 (slow_sse.py: holds the INVITE) and
#     127.0.0.5 (486 at once, sse2-busy.xml), invite_timeout 2 s, with a
#     username and password;
#   - the PBX's call: left at the slow SP-SSE after 2 s, 486 from the
#     second, relayed to the PBX;
#   - reload: [trunk failover] is now [trunk other] elsewhere;
#   - the slow SP-SSE answers 200: it gets the ACK and the BYE, answers
#     407, and gets nothing for 1.5 s; trunkd logs the WARN and runs on.
# REQ: none (robustness of call_abandon.c across a reload; the challenge of an abandoned INVITE's BYE itself: 154, STA-6)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5

ti_start sse1 python3 "$TI_TEST_DIR/slow_sse.py" 127.0.0.3 "$(ti_port 5090)" \
	"$TI_DIR/go" "$TI_DIR/sse1.log"
ti_wait_port udp 127.0.0.3 "$(ti_port 5090)" 10
tc_peer sse2 127.0.0.5 5090 "$TI_TEST_DIR/sse2-busy.xml"

# The PBX's call: the slow SP-SSE is left after invite_timeout (its
# INVITE given to call_abandon.c with the trunk's name), the second
# refuses: 486 for the PBX, the call over.
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx.xml" \
	STATUS=486 FOREIGN='127\.0\.0\.[35]' MAX_FORWARDS=70 CHECKS=
rc=0
tc__uac pbx "$TI_DIR/pbx.xml" u1 5060 -s +15550100001 \
	-set trunkd "127.0.0.1:$(ti_port 5060)" || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX did not get 486 (SIPp exit $rc)"
tc_peer_wait sse2
ti_wait_until 5 tc_no_calls || ti_fail "trunkd still has the call: $(ti_ctl status)"

# The trunk removed by a reload (another in its place).
sed -i -e 's/^\[trunk failover\]$/[trunk other]/' \
	-e 's/^proxy = 127\.0\.0\.3:.*/proxy = 127.0.0.7:5090/' "$TI_DIR/trunkd.conf"
grep -q '^\[trunk other\]$' "$TI_DIR/trunkd.conf" || ti_fail "trunkd.conf: no trunk renamed"
out=$(ti_ctl reload) || ti_fail "reload failed: $out"
[ "$(ti_json "$(ti_ctl status)" "[t['name'] for t in j['trunks']]")" = "['other']" ] ||
	ti_fail "the reload did not remove trunk failover: $(ti_ctl status)"

# Now the slow SP-SSE answers 200 and challenges trunkd's BYE.
touch "$TI_DIR/go"
ti_wait_exit sse1 20 || ti_fail "slow_sse.py still running after 20 s"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "the slow SP-SSE: $(grep FAIL "$TI_DIR/sse1.log" || echo "exit $TI_EXIT_STATUS")"
# The log is the subject here: the unanswered challenge is explained.
grep -q 'WARN .*BYE of the abandoned INVITE.s dialog .* challenged (407), trunk failover no longer configured: not answered' \
	"$TI_DIR/trunkd.log" || ti_fail "no WARN naming the removed trunk in trunkd's log"
! grep -q 'ERROR' "$TI_DIR/trunkd.log" || ti_fail "an ERROR in trunkd's log: $(grep ERROR "$TI_DIR/trunkd.log")"
ti_ctl status >/dev/null || ti_fail "trunkd does not answer after the challenge"
ti_pass
