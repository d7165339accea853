#!/usr/bin/env bash
# 081-reg-retry-after: REG-9 on the wire, a Registration-mode trunk over
# TCP with two SP-SSEs (SIPp). The first answers 503 Retry-After: 10:
# trunkd waits exactly 10 s (10.0-10.5 s between the REGISTERs SIPp
# received) and retries the same SP-SSE, the alternate gets nothing
# meanwhile; then 503 Retry-After: 120: trunkd remembers it for that
# address and registers with the alternate at once. The alternate is then
# killed: the flow is re-formed toward it, refused, and the first SP-SSE,
# still blocked, is skipped: no REGISTER reaches it (its scenario fails on
# one), trunkd backs off instead.
# REQ: REG-9
. "$(dirname "$0")/../lib.sh"
ti_setup

P=$(ti_port 5090) A=$(ti_port 5092)
ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
for s in primary:$P alternate:$A; do
	ti_start "${s%%:*}" sipp -sf "$TI_TEST_DIR/${s%%:*}.xml" -m 1 -t t1 \
		-i 127.0.0.1 -p "${s#*:}" -nostdin -timeout 60s -timeout_error \
		-trace_msg -message_file "$TI_DIR/${s%%:*}.msg.txt" \
		-trace_err -error_file "$TI_DIR/${s%%:*}.err.log"
	ti_wait_port tcp 127.0.0.1 "${s#*:}" 10
done
ti_trunkd_start "$TI_DIR/trunkd.conf"

reg() { ti_json "$(ti_ctl registrations)" "j['trunks'][0]$1"; }
# reg_times NAME: epoch seconds of each REGISTER SIPp NAME received.
reg_times()
{
	python3 -c '
import sys, datetime
t = None
for l in open(sys.argv[1], encoding="latin-1"):
    if l.startswith("-----") and l.strip("-\n ").count(":") == 2:
        t = datetime.datetime.strptime(l.strip("-\n "), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    elif l.startswith("REGISTER ") and t is not None:
        print("%.6f" % t)
        t = None
' "$TI_DIR/$1.msg.txt" 2>/dev/null
}
nregs() { reg_times "$1" | wc -l; }

# 1. Retry-After: 10: back-off for exactly that, shown by trunkctl.
ti_wait_until 5 eval '[ "$(nregs primary)" -ge 1 ]' || ti_fail "no REGISTER to the first SP-SSE"
ti_wait_until 3 eval '[ "$(reg "[\"state\"]")" = backoff ]' || ti_fail "no back-off after 503 Retry-After: 10"
[ "$(reg "['reason']")" = "503 Service Unavailable, retry in 10 s" ] ||
	ti_fail "reason $(reg "['reason']")"
# next_attempt_in counts down from the 503 (right after the first
# REGISTER): with the time since then added it is 10 s, however late this
# reads it (a loaded machine).
t0=$(date +%s.%N)
next=$(reg "['next_attempt_in']")
t1=$(date +%s.%N)
python3 -c '
import sys
first, t0, t1, nxt = map(float, sys.argv[1:])
print("next attempt in %d s, read %.3f-%.3f s after the first REGISTER"
      % (nxt, t0 - first, t1 - first), file=sys.stderr)
if not (9 <= nxt + t1 - first and nxt + t0 - first <= 11):
    sys.exit("the next attempt %.1f-%.1f s after the 503, not 10"
             % (nxt + t0 - first, nxt + t1 - first))
' "$(reg_times primary | head -n 1)" "$t0" "$t1" "$next" || ti_fail "the next attempt in 10 s"
[ "$(reg "['failures']")" = 0 ] || ti_fail "a short Retry-After counted as a delivery failure"

# 2. Retry-After: 120 on the second: registered with the alternate.
ti_wait_until 14 eval '[ "$(reg "[\"state\"]")" = registered ]' || ti_fail "not registered with the alternate"
ti_json_check "$(ti_ctl registrations)" "':$A;' in j['trunks'][0]['sse']" "the alternate in use"
python3 -c '
import sys
p = [float(x) for x in sys.argv[1].split()]
a = [float(x) for x in sys.argv[2].split()]
print("REGISTERs: first SP-SSE", p, "alternate", a, file=sys.stderr)
if len(p) != 2 or len(a) != 1:
    sys.exit("REGISTERs: %d to the first, %d to the alternate" % (len(p), len(a)))
if not 10.0 <= p[1] - p[0] <= 10.5:
    sys.exit("Retry-After: 10 waited %.3f s" % (p[1] - p[0]))
if not 0 <= a[0] - p[1] <= 1.0:
    sys.exit("the alternate came %.3f s after the Retry-After: 120" % (a[0] - p[1]))
' "$(reg_times primary)" "$(reg_times alternate)" || ti_fail "REG-9 timing"

# 3. The alternate dies: the first SP-SSE stays blocked (120 s).
ti_stop alternate 5
ti_wait_until 5 eval '[ "$(reg "[\"state\"]")" = backoff ]' || ti_fail "no back-off after the alternate died"
ti_wait_exit primary 25 || ti_fail "the first SP-SSE's scenario did not end"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "the first SP-SSE's scenario failed (SIPp exit $TI_EXIT_STATUS): a REGISTER too early, or while blocked"
[ "$(nregs primary)" = 2 ] || ti_fail "$(nregs primary) REGISTERs to the blocked SP-SSE"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
