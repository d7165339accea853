#!/usr/bin/env bash
# 083-reg-tcp-drops: a scripted registrar over TCP (peers/reg_carrier.py; SIPp can
# neither put non-SIP bytes on a stream nor cut a response off) answers
# the REGISTERs: (1) garbage, the connection left open: Timer F (6.4 s
# with sip_t1 = 100ms), not registered, back off 1 s (REG-6); (2) the
# first 60 bytes of a 200, then it closes the connection: Timer F again,
# back off 2 s; (3) a 200, then it closes the connection: registered, the
# flow failed, re-formed at once on a new connection (OB-5); (4) 200
# granting 4 s: the refresh 2 s later; (5) 480: a delivery failure of a
# registered trunk backs off by REG-6 (1 s, the count reset by the last
# success), not by the failed flow's RFC 5626 back-off (15-60 s here);
# (6) 200. The REGISTERs the carrier saw are counted and timed: never more
# than the back-off allows, and trunkd stays up.
# REQ: REG-5 REG-6 REG-8 OB-5
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
sed -i "/^\[global\]/a sip_t1 = 100ms" "$TI_DIR/trunkd.conf"
ti_start carrier python3 "$TI_ROOT/peers/reg_carrier.py" "$(ti_port 5090)" \
	"$TI_DIR/carrier.txt" 4 garbage,cut,ok-close,ok,480,ok
ti_wait_port tcp 127.0.0.1 "$(ti_port 5090)" 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

nregs() { grep -c ' REGISTER ' "$TI_DIR/carrier.txt" 2>/dev/null || echo 0; }
reg() { ti_json "$(ti_ctl registrations)" "j['trunks'][0]$1"; }

ti_wait_until 40 eval '[ "$(nregs)" -ge 6 ]' || ti_fail "only $(nregs) REGISTERs in 40 s"
ti_wait_until 3 eval '[ "$(reg "[\"state\"]")" = registered ]' || ti_fail "not registered at the end"
# After the last 200 (a 4 s grant) only its refreshes, 2 s apart: two of
# them are awaited and their gaps checked below (a loop would show as
# gaps far under 2 s; counting them in a window after this script saw
# "registered" failed under load when it saw it late).
ti_wait_until 10 eval '[ "$(nregs)" -ge 8 ]' || ti_fail "no refreshes after the last 200"
ti_running trunkd || ti_fail "trunkd died"
cat "$TI_DIR/carrier.txt" >&2
python3 - "$TI_DIR/carrier.txt" <<'PY' || ti_fail "the REGISTERs do not follow the back-off (above)"
import sys
regs = []
for l in open(sys.argv[1]):
    f = l.split()
    if f[2] == "REGISTER":
        regs.append((float(f[0]), int(f[1]), f[5]))
t = [r[0] for r in regs]
g = [round(b - a, 3) for a, b in zip(t, t[1:])]
print("gaps", g, file=sys.stderr)
want = [(7.3, 8.2, "garbage: Timer F + 1 s"),
        (8.3, 9.2, "cut-off 200: Timer F + 2 s"),
        (0.0, 0.5, "flow closed after the 200: re-formed at once"),
        (1.95, 2.6, "refresh of a 4 s grant"),
        (0.95, 1.6, "480 on a registered trunk: REG-6 base, 1 s"),
        (1.95, 2.6, "refresh of a 4 s grant"),
        (1.95, 2.6, "refresh of a 4 s grant")]
bad = [(x, w) for x, w in zip(g, want) if not w[0] <= x <= w[1]]
if len(g) < len(want) or bad:
    sys.exit("gaps %s; wrong: %s" % (g, bad))
if regs[3][1] == regs[2][1]:
    sys.exit("the re-formed flow did not use a new connection")
PY
ti_stop trunkd 10
ti_pass
