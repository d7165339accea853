#!/usr/bin/env bash
# 117-torture: the RFC 4475 SIP torture messages (cases/, one file per
# case in the RFC's notation, its section in the file) sent as raw bytes
# by torture.py to both sides of trunkd, from the PBX in the ACL to the
# enterprise side and from the carrier's SP-SSE to the trunk side, over
# UDP and TCP. Valid messages are processed (OPTIONS 200, an INVITE
# becomes a call through the other leg, answered, ACKed and hung up;
# unknown methods 501, REGISTER challenged or refused by side), invalid
# ones get the 4xx/5xx the RFC names (400, 416, 420 + Unsupported, 483,
# 505, 415, 406) or are dropped where no answer can be formed; nothing
# of a refused message reaches the other leg; trunkd answers OPTIONS
# after every message. Then a SIPp call each way still works, no call is
# left over and trunkd exits 0 on SIGTERM (no crash, no sanitizer
# report).
# REQ: SC-6-1, SC-6-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# T1 = 50 ms: an INVITE whose answer trunkd must discard (3.1.2.19) ends
# by Timer B after 3.2 s instead of 32 s.
TC_GLOBAL='sip_t1 = 50ms' tc_trunkd_start
cat >"$TI_DIR/sides.json" <<JSON
{"sides": [
 {"name": "ent", "trunkd": ["127.0.0.1", $(ti_port 5060)],
  "self": "$TC_PBX", "peer": ["$TC_CARRIER", $(ti_port 5090)],
  "callee": "+15550100001", "transports": ["udp", "tcp"]},
 {"name": "trunk", "trunkd": ["127.0.0.1", $(ti_port 5080)],
  "self": "$TC_CARRIER", "peer": ["$TC_PBX", $(ti_port 5070)],
  "callee": "+15550100001", "transports": ["udp", "tcp"]}]}
JSON
rc=0
TI_CMD_TIMEOUT=75 ti_exec python3 "$TI_TEST_DIR/torture.py" \
	"$TI_DIR/sides.json" "$TI_TEST_DIR/cases" "$@" \
	>"$TI_DIR/torture.log" 2>&1 || rc=$?
cat "$TI_DIR/torture.log" >&2
[ "$rc" = 0 ] || ti_fail "torture.py: a message got the wrong outcome (exit $rc)"

# trunkd still places calls both ways with real peers, and holds none.
tc_outbound_call u1
tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
tc_carrier carrier "$TI_ROOT/peers/carrier-invite.xml" -s +15550100001 ||
	ti_fail "the carrier's call after the torture messages failed"
tc_peer_wait pbx
calls=$(ti_ctl calls) || ti_fail "trunkctl calls: $calls"
ti_json_check "$calls" "len(j['calls']) == 0" "calls left over"
ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS"
ti_pass
