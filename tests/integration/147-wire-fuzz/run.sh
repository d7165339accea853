#!/usr/bin/env bash
# 147-wire-fuzz: first the defects the libFuzzer targets found that a
# peer can reach (cases/, run by 117's torture.py on both sides over UDP
# and TCP: each gets its right answer and nothing of it reaches the
# other leg, or it becomes a normal call), then a deterministic wire
# fuzzer (wirefuzz.py): 3,000 mutations of the RFC 4475 torture messages
# and of those cases, seeded, to both sides over UDP and TCP, with an
# OPTIONS that must get 200 on every side and transport after every 50.
# Then a SIPp call each way still works and trunkd exits 0 on SIGTERM
# (under ASan: no report, no leak).
# REQ: SC-6-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

# T1 = 50 ms: a call that goes nowhere ends after 3.2 s.
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
TI_CMD_TIMEOUT=40 ti_exec python3 "$TI_ROOT/117-torture/torture.py" \
	"$TI_DIR/sides.json" "$TI_TEST_DIR/cases" "$@" \
	>"$TI_DIR/regressions.log" 2>&1 || rc=$?
cat "$TI_DIR/regressions.log" >&2
[ "$rc" = 0 ] || ti_fail "a fuzz regression got the wrong outcome (exit $rc)"

rc=0
TI_CMD_TIMEOUT=60 ti_exec python3 "$TI_TEST_DIR/wirefuzz.py" \
	"$TI_DIR/sides.json" "${WIREFUZZ_COUNT:-3000}" "${WIREFUZZ_SEED:-147}" \
	"$TI_ROOT/117-torture/cases" "$TI_TEST_DIR/cases" \
	>"$TI_DIR/wirefuzz.log" 2>&1 || rc=$?
cat "$TI_DIR/wirefuzz.log" >&2
[ "$rc" = 0 ] || ti_fail "trunkd stopped answering under the wire fuzzer (exit $rc)"

# trunkd still places calls both ways with real peers.
tc_outbound_call u1
tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
tc_carrier carrier "$TI_ROOT/peers/carrier-invite.xml" -s +15550100001 ||
	ti_fail "the carrier's call after the fuzzing failed"
tc_peer_wait pbx
ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS"
ti_pass
