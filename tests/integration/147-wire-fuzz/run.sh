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

tc_torture_start
tc_torture 40 "$TI_TEST_DIR/cases" "$@"

rc=0
count=${WIREFUZZ_COUNT:-3000}
WIREFUZZ_KEEP=${WIREFUZZ_KEEP:-$TI_DIR/failing} \
	TI_CMD_TIMEOUT=$((60 + count / 50)) ti_exec python3 "$TI_TEST_DIR/wirefuzz.py" \
	"$TI_DIR/sides.json" "$count" "${WIREFUZZ_SEED:-147}" \
	"$TI_ROOT/117-torture/cases" "$TI_TEST_DIR/cases" \
	>"$TI_DIR/wirefuzz.log" 2>&1 || rc=$?
cat "$TI_DIR/wirefuzz.log" >&2
[ "$rc" != 2 ] || ti_fail "trunkd answered a mutated message 500 or 502 (inputs in ${WIREFUZZ_KEEP:-$TI_DIR/failing})"
[ "$rc" != 3 ] || ti_fail "an OPTIONS over UDP got its 200 only when sent again: trunkd lost the first one"
[ "$rc" = 0 ] || ti_fail "trunkd stopped answering under the wire fuzzer (exit $rc)"

tc_torture_end
