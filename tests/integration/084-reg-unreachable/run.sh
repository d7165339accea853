#!/usr/bin/env bash
# 084-reg-unreachable: a Registration-mode trunk over TCP with two SP-SSEs
# (127.0.0.1:5090, :5092); the connection attempts are read from a packet
# capture (TCP SYNs), so the wire, not trunkd's log, times the back-off.
# 1. Nobody listens: every attempt is refused. A connection that could
#    not be made is no established connection to re-establish (REG-5):
#    the SP-SSE is unreachable at once and the alternate is tried at once;
#    with both unreachable, the waits between the rounds are
#    register_retry_base (1 s) doubling to register_retry_max (8 s):
#    1, 2, 4, 8, 8 (REG-6), two attempts per round, one per SP-SSE.
# 2. The carrier comes up on the first SP-SSE: registered at the next
#    round, not before it.
# 3. The carrier is killed: the failed flow is re-formed at once (one
#    attempt at the first SP-SSE, then the alternate: REG-5, OB-5); the
#    waits that follow are RFC 5626 4.5's (flow_retry_all_failed 2 s
#    doubling, 50-100 %, random_seed fixed): 2-4 s, then 4-8 s.
# REQ: REG-5 REG-6 OB-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/flows.sh"
ti_setup

P=$(ti_port 5090) A=$(ti_port 5092)
ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
flows_global "random_seed = 80"
flows_capture_start "port $P or port $A"
syns() { flows_fields "tcp.flags.syn == 1 && tcp.flags.ack == 0 && (tcp.dstport == $P || tcp.dstport == $A)" frame.time_epoch tcp.dstport; }
nsyns() { syns | wc -l; }
reg() { ti_json "$(ti_ctl registrations)" "j['trunks'][0]$1"; }

# rounds_check FROM LO1,HI1 LO2,HI2 ...: the SYNs from line FROM on form
# rounds of two (one to each SP-SSE, within 0.5 s) whose starts are
# LOi..HIi s apart; with ROUNDS_LAST=single the last round may be one
# attempt at the first SP-SSE (it answered).
rounds_check()
{
	syns | tail -n +"$1" | python3 -c '
import sys
P, A, single = sys.argv[1], sys.argv[2], sys.argv[3] == "single"
want = [tuple(map(float, w.split(","))) for w in sys.argv[4:]]
rows = [l.split("\t") for l in sys.stdin.read().split("\n") if l]
t = [(float(a), p) for a, p in rows]
rounds = []
for x, p in t:
    if rounds and x - rounds[-1][0][0] < 0.5:
        rounds[-1].append((x, p))
    else:
        rounds.append([(x, p)])
print("rounds:", [[(round(x - t[0][0], 3), p) for x, p in r] for r in rounds], file=sys.stderr)
if len(rounds) < len(want) + 1:
    sys.exit("only %d rounds" % len(rounds))
for i, r in enumerate(rounds[:len(want) + 1]):
    if single and i == len(want) and [p for _, p in r] == [P]:
        continue  # the first SP-SSE answered: no alternate needed
    if sorted(p for _, p in r) != sorted([P, A]):
        sys.exit("a round is not one attempt per SP-SSE: %s" % r)
gaps = [round(b[0][0] - a[0][0], 3) for a, b in zip(rounds, rounds[1:])]
print("gaps between rounds:", gaps, file=sys.stderr)
for g, (lo, hi) in zip(gaps, want):
    if not lo <= g <= hi:
        sys.exit("gap %s outside [%s, %s]; all gaps %s" % (g, lo, hi, gaps))
' "$P" "$A" "${ROUNDS_LAST:-pair}" "${@:2}"
}

# 1. Nobody listens: rounds 1, 2, 4, 8, 8 s apart (REG-6), never faster.
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_until 30 eval '[ "$(nsyns)" -ge 12 ]' || ti_fail "only $(nsyns) connection attempts in 30 s"
rounds_check 1 0.95,1.5 1.95,2.5 3.95,4.5 7.95,8.5 7.95,8.5 ||
	ti_fail "the attempts to unreachable SP-SSEs do not follow REG-5/REG-6"
[ "$(reg "['state']")" = backoff ] || ti_fail "state $(reg "['state']"), not backoff"
reg "['reason']" | grep -q 'retry in 8 s$' || ti_fail "reason $(reg "['reason']")"

# 2. The carrier comes up on the first SP-SSE: registered at the next
# round (8 s after the last), not earlier.
n=$(nsyns)
ti_start registrar sipp -sf "$TI_TEST_DIR/registrar.xml" -m 1 -t t1 -i 127.0.0.1 \
	-p "$P" -nostdin -trace_msg -message_file "$TI_DIR/registrar.msg.txt" \
	-trace_err -error_file "$TI_DIR/registrar.err.log"
ti_wait_port tcp 127.0.0.1 "$P" 10
ti_wait_until 12 eval '[ "$(reg "[\"state\"]")" = registered ]' || ti_fail "not registered with the carrier up"
# tshark may write the SYN after trunkctl shows the registration.
ti_wait_until 5 eval '[ "$(nsyns)" -gt '"$n"' ]' || ti_fail "the capture shows no new attempt"
ROUNDS_LAST=single rounds_check "$((n - 1))" 7.95,8.5 || ti_fail "the registration did not come at the next round"
[ "$(reg "['failures']")" = 0 ] || ti_fail "the failure count was not reset"

# 3. The carrier is killed: re-formed at once, then the OB-5 waits.
n=$(nsyns)
tkill=$EPOCHREALTIME
ti_stop registrar 5
ti_wait_until 20 eval '[ "$(nsyns)" -ge $((n + 6)) ]' || ti_fail "only $(( $(nsyns) - n )) attempts after the kill"
rounds_check "$((n + 1))" 1.95,4.3 3.95,8.3 ||
	ti_fail "the attempts after the kill do not follow REG-5/OB-5"
first=$(syns | sed -n "$((n + 1))p" | cut -f1)
python3 -c "import sys; d = $first - $tkill; print('kill -> first attempt', round(d, 3), file=sys.stderr); sys.exit(0 if 0 <= d <= 1.5 else 1)" ||
	ti_fail "the failed flow was not re-formed at once"
ti_running trunkd || ti_fail "trunkd died"
flows_capture_stop
ti_pass
