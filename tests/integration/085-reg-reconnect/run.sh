#!/usr/bin/env bash
# 085-reg-reconnect: REG-5 on an established connection. A scripted
# registrar over TCP (peers/reg_carrier.py) registers the trunk (4 s),
# then stays silent, its connection open. The refresh gets no answer:
# at Timer F (6.4 s with sip_t1 = 100ms) trunkd closes that connection and
# sends one new REGISTER at once over a NEW connection (re-establish
# exactly once); silent again: no further attempt at once, the SP-SSE is
# unreachable and the failed flow's back-off (OB-5, 15-60 s here) runs.
# REQ: REG-5 OB-5
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
sed -i "/^\[global\]/a sip_t1 = 100ms" "$TI_DIR/trunkd.conf"
ti_start carrier python3 "$TI_ROOT/peers/reg_carrier.py" "$(ti_port 5090)" \
	"$TI_DIR/carrier.txt" 4 ok,silent,silent
ti_wait_port tcp 127.0.0.1 "$(ti_port 5090)" 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

nregs() { grep -c ' REGISTER ' "$TI_DIR/carrier.txt" 2>/dev/null || echo 0; }
reg() { ti_json "$(ti_ctl registrations)" "j['trunks'][0]$1"; }

ti_wait_until 15 eval '[ "$(nregs)" -ge 3 ]' || ti_fail "only $(nregs) REGISTERs"
ti_wait_until 10 eval '[ "$(reg "[\"state\"]")" = backoff ]' || ti_fail "no back-off after the reconnect timed out"
# The OB-5 wait: nothing in the next 8 s.
ti_wait_until 8 eval '[ "$(nregs)" -ge 4 ]' && ti_fail "more than one reconnect"
cat "$TI_DIR/carrier.txt" >&2
python3 - "$TI_DIR/carrier.txt" <<'PY' || ti_fail "REG-5 on the wire (above)"
import sys
regs, closed = [], {}
for l in open(sys.argv[1]):
    f = l.split()
    if f[2] == "REGISTER":
        regs.append((float(f[0]), int(f[1])))
    elif f[2] == "closed-by-peer":
        closed[int(f[1])] = float(f[0])
if len(regs) != 3:
    sys.exit("%d REGISTERs, not 3" % len(regs))
(t1, c1), (t2, c2), (t3, c3) = regs
if not (c1 == c2 and c3 != c2):
    sys.exit("connections %s: the retry must use a new one" % [c1, c2, c3])
# The close and the new connection's REGISTER reach the script on two
# sockets at once, seen in either order (65 us apart in one run): the
# close must come with the retry, not later.
if c2 not in closed or not closed[c2] <= t3 + 0.1:
    sys.exit("trunkd did not close the silent connection with the retry")
if not 6.3 <= t3 - t2 <= 7.0:
    sys.exit("retry %.3f s after the unanswered refresh, not at Timer F" % (t3 - t2))
PY
ti_json_check "$(ti_ctl registrations)" "15 <= j['trunks'][0]['next_attempt_in'] <= 60" "the OB-5 wait"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
