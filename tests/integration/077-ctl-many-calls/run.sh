#!/usr/bin/env bash
# 077-ctl-many-calls: `trunkctl calls` with 1,000 established calls, an
# answer of over 300 KB (it was cut at 64 KB before), with the default
# media port range (20000-29999: 2,500 calls of two RTP/RTCP pairs).
#   - the PBX (pbx.xml, SIPp at 200 calls/s) holds 1,000 calls for 25 s,
#     the carrier (carrier.xml) answers them all;
#   - `trunkctl --json calls` lists all 1,000, CONFIRMED, with distinct
#     ids and distinct relay ports; the answer is over 256 KiB; the
#     pretty form prints them too;
#   - slow_client.py pipelines "calls" and "status" on one connection and
#     reads nothing for a second: trunkd keeps what the socket cannot take
#     and sends it as the client reads, then answers "status";
#   - all calls then end normally (every SIPp call succeeds).
# REQ: none (issue 3: trunkctl shows active calls; the default media port range)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

N=1000
# peers/calls.conf without its small port range: the default applies.
# The automatic overload control is off: this test is about trunkctl's
# output, and 200 calls/s on a loaded (ASan, parallel) CI machine could
# otherwise be shed with 503 (tests 099/100 cover the shedding).
grep -v '^rtp_port_m' "$TI_ROOT/peers/calls.conf" >"$TI_DIR/base.conf"
tc_global_conf "$TI_DIR/base.conf" "overload_delay = 0"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port "$p")" 5
done

tc_many_calls "$N" 200 60s

# (The answer is too large for a command-line argument: ti_json cannot.)
calls_json() { ti_ctl calls >"$TI_DIR/calls.json"; }
confirmed() {
	calls_json &&
		python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(len([c for c in j["calls"] if c["state"] == "CONFIRMED"]) != int(sys.argv[2]))' \
			"$TI_DIR/calls.json" "$N"
}
ti_wait_until 25 confirmed ||
	ti_fail "trunkctl calls does not list $N established calls (size $(wc -c <"$TI_DIR/calls.json"))"
size=$(wc -c <"$TI_DIR/calls.json")
[ "$size" -gt 262144 ] || ti_fail "the answer is only $size bytes: not a test of large answers"
python3 - "$TI_DIR/calls.json" "$N" <<'PY' || ti_fail "calls answer: ids or relay ports not distinct"
import json, sys
calls = json.load(open(sys.argv[1]))["calls"]
ids = {c["id"] for c in calls}
ports = {l["media_port"] for c in calls for l in c["legs"]}
print("%d calls, %d ids, %d relay ports" % (len(calls), len(ids), len(ports)), file=sys.stderr)
sys.exit(not (len(ids) == int(sys.argv[2]) and len(ports) == 2 * int(sys.argv[2])))
PY
ti_log "trunkctl --json calls: $N calls in $size bytes"
ti_exec "$TRUNKCTL" -s "$TI_SOCK" calls >"$TI_DIR/calls.txt" ||
	ti_fail "trunkctl calls (pretty) failed"
[ "$(grep -c '"CONFIRMED"' "$TI_DIR/calls.txt")" = "$N" ] ||
	ti_fail "trunkctl calls (pretty) does not print $N calls"
ti_exec python3 "$TI_TEST_DIR/slow_client.py" "$TI_SOCK" "$N" \
	>"$TI_DIR/slow.log" 2>&1 ||
	{ cat "$TI_DIR/slow.log" >&2; ti_fail "a slow reader did not get both answers whole"; }
ti_log "slow reader: $(cat "$TI_DIR/slow.log")"

ti_wait_exit pbx 60 || ti_fail "the PBX's SIPp still runs after 60 s"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "some of the $N calls failed (SIPp exit $TI_EXIT_STATUS)"
ti_wait_exit carrier 20 || ti_fail "the carrier's SIPp still runs"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the carrier's SIPp failed (exit $TI_EXIT_STATUS)"
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 10 calls_ended || ti_fail "trunkd still has calls"
ti_pass
