#!/usr/bin/env bash
# 073-call-forking: forked early dialogs on the carrier's leg (RFC 3261
# 12.1.2, 13.2.2.4). The carrier (carrier-fork.xml) answers trunkd's
# INVITE from two forks: 180 from fork 1, 183 with SDP from fork 2, 200
# from fork 1, then a 200 from fork 2 as well.
#   - trunkd ACKs fork 1's 200 in fork 1's dialog (its tag and Contact),
#     and ACKs fork 2's 200 in fork 2's dialog, then sends BYE there;
#   - the PBX sees one early dialog (180, 183 and 200 with trunkd's one
#     To-tag, trunkd's SDP, no carrier address) and exactly one confirmed
#     dialog: nothing of fork 2's 200 reaches it;
#   - media follows the fork that answered: RTP from the PBX reaches fork
#     1's media address and not fork 2's (whose 183 set up early media),
#     and fork 1's RTP reaches the PBX (rtp.py);
#   - `trunkctl hangup` then sends BYE in the PBX's dialog and in fork 1's
#     dialog; no call is left;
#   - a second call, cancelled by the PBX while both forks ring: the PBX
#     sees both forks' 18x in one early dialog, trunkd sends one CANCEL on the
#     INVITE's branch, ACKs the 487, and no leg or call is left.
# REQ: SC-6-1 (partly: forked early dialogs, RFC 3261 12.1.2 and 13.2.2.4)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-fork.xml" \
	-set trunkd "$(tc_trunkd trunk)"
# The PBX waits for trunkd's BYE: in the background, like the carrier.
ti_start pbx sipp -sf "$TI_TEST_DIR/pbx-fork.xml" -m 1 -t u1 -i "$TC_PBX" \
	-p "$(ti_port 5070)" -s +15550100001 -cid_str 'pbx-call-%u-%p@%s' \
	-set trunkd "$(tc_trunkd ent)" -nostdin -timeout 30s -timeout_error \
	-trace_msg -message_file "$TI_DIR/pbx.msg.txt" \
	-trace_err -error_file "$TI_DIR/pbx.err.log" \
	-trace_logs -log_file "$TI_DIR/pbx.actions.txt" \
	127.0.0.1:"$(ti_port 5060)"

# The stray fork is gone (its BYE answered) and the PBX has ACKed.
fork2_byed() { grep -q '^BYE sip:fork2@' "$TI_DIR/carrier.msg.txt" 2>/dev/null; }
pbx_acked() { grep -q '^ACK ' "$TI_DIR/pbx.msg.txt" 2>/dev/null; }
ti_wait_until 10 fork2_byed || ti_fail "fork 2's 200 got no BYE from trunkd"
ti_wait_until 5 pbx_acked || ti_fail "the PBX never ACKed a 200"

calls_json() { ti_ctl calls; }
confirmed() { ti_json "$(calls_json)" "len([c for c in j['calls'] if c['state'] == 'CONFIRMED'])"; }
one_call() { [ "$(confirmed)" = 1 ]; }
ti_wait_until 5 one_call || ti_fail "trunkd does not show exactly one confirmed call: $(calls_json)"
[ "$(ti_json "$(calls_json)" 'len(j["calls"])')" = 1 ] ||
	ti_fail "trunkd shows more than one call: $(calls_json)"

ti_exec python3 "$TI_TEST_DIR/rtp.py" "$TI_DIR/pbx.msg.txt" \
	"$TI_DIR/carrier.msg.txt" >"$TI_DIR/rtp.log" 2>&1 ||
	{ cat "$TI_DIR/rtp.log" >&2; ti_fail "media does not follow the answering fork"; }
ti_log "$(cat "$TI_DIR/rtp.log")"

id=$(ti_json "$(calls_json)" 'j["calls"][0]["id"]')
out=$(ti_ctl hangup "$id") || ti_fail "trunkctl hangup failed: $out"
tc_peer_wait carrier
tc_peer_wait pbx
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"

# Cancelled while both forks ring: one early dialog, one CANCEL, no leg
# left (nothing in either fork's dialog; no call in trunkd).
tc_peer carrier-cancel "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-fork-cancel.xml" \
	-set trunkd "$(tc_trunkd trunk)"
rc=0
tc_pbx pbx-cancel "$TI_TEST_DIR/pbx-fork-cancel.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "cancel: PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier-cancel
ti_wait_until 5 calls_ended || ti_fail "cancel: trunkd still has a call"
ti_pass
