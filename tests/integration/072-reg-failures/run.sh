#!/usr/bin/env bash
# 072-reg-failures: registration failure paths on the wire. Trunk
# "carrier": a SIPp registrar answers every REGISTER 403; trunkd backs
# off (register_retry_base = 1s: 1, 2, 4 s), and after the fourth refusal
# in a row logs an error for the administrator and backs off 8 s (REG-7):
# no REGISTER in the 5 s after it (SIPp fails on an unscripted one, and
# the REGISTERs are counted). Trunk "gin": a registrar answering 420 with
# Unsupported: gin leaves the registration failed with the gin reason and
# never retried. Trunk "busy": 480 is a delivery failure (REG-8): back
# off register_retry_base = 3 s, no REGISTER before it, one after it.
# REQ: REG-7 REG-8
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
for n in 403:5090 420:5092 480:5094; do
	ti_start "registrar${n%%:*}" sipp -sf "$TI_TEST_DIR/registrar-${n%%:*}.xml" \
		-m 1 -t u1 -i 127.0.0.1 -p "$(ti_port "${n#*:}")" -nostdin \
		-timeout 60s -timeout_error \
		-trace_msg -message_file "$TI_DIR/registrar${n%%:*}.msg.txt" \
		-trace_err -error_file "$TI_DIR/registrar${n%%:*}.err.log"
	ti_wait_port udp 127.0.0.1 "$(ti_port "${n#*:}")" 10
done
ti_trunkd_start "$TI_DIR/trunkd.conf"

nregs() { grep -c '^REGISTER ' "$TI_DIR/registrar$1.msg.txt" 2>/dev/null || echo 0; }
reg() { ti_json "$(ti_ctl registrations)" "[t for t in j['trunks'] if t['trunk'] == '$1'][0]$2"; }

# reg_gaps REGISTRAR MIN...: the gaps between the REGISTERs REGISTRAR
# received, from its own receive times (a loaded machine can only make a
# gap longer), are as many as MINs and each at least its MIN seconds.
reg_gaps()
{
	python3 - "$TI_DIR/registrar$1.msg.txt" "${@:2}" <<'PY'
import re, sys
from datetime import datetime
text = open(sys.argv[1]).read()
mins = [float(m) for m in sys.argv[2:]]
times = [datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f") for t in
         re.findall(r"^-+ (\S+ \S+)\n[^\n]*received[^\n]*\n\s*REGISTER ", text, re.M)]
gaps = [round((b - a).total_seconds(), 2) for a, b in zip(times, times[1:])]
print("gaps between REGISTERs:", gaps, "wanted at least", mins, file=sys.stderr)
sys.exit(0 if len(gaps) == len(mins) and
         all(g >= m for g, m in zip(gaps, mins)) else 1)
PY
}

# 420 gin: failed at once, with the reason, no retry.
ti_wait_until 10 eval '[ "$(reg gin "[\"state\"]")" = failed ]' ||
	ti_fail "420 gin: state $(reg gin "['state']"), not failed"
reg gin "['reason']" | grep -q gin || ti_fail "420 gin: reason $(reg gin "['reason']")"
reg gin "['last_response']" | grep -q '^420' || ti_fail "420 gin: last response"

# 480: back-off with the reason; the next REGISTER only after 3 s (the
# 480 script fails on one in its 2.5 s pause).
ti_wait_until 5 eval '[ "$(reg busy "[\"state\"]")" = backoff ]' ||
	ti_fail "480: state $(reg busy "['state']"), not backoff"
# (3 s, or 6 s when a loaded machine got here after the second 480)
reg busy "['reason']" | grep -qE '^480 Temporarily Unavailable, retry in [36] s' ||
	ti_fail "480: reason $(reg busy "['reason']")"

# 403 four times: REG-7.
ti_wait_until 15 eval '[ "$(nregs 403)" -ge 4 ]' || ti_fail "fewer than 4 REGISTERs to the 403 registrar"
ti_wait_until 5 grep -q 'refused 4 times in a row' "$TI_DIR/trunkd.log" ||
	ti_fail "no error for the administrator after the fourth 403"
grep 'refused 4 times in a row' "$TI_DIR/trunkd.log" | grep -qi 'err' ||
	ti_fail "the REG-7 message is not logged as an error"
ti_wait_until 3 eval '[ "$(reg carrier "[\"reason\"]")" = "credentials refused (REG-7), retry in 8 s" ]' ||
	ti_fail "403 x 4: reason $(reg carrier "['reason']")"
ti_json_check "$(ti_ctl registrations)" \
	"[t for t in j['trunks'] if t['trunk'] == 'carrier'][0]['state'] == 'backoff' and 0 <= [t for t in j['trunks'] if t['trunk'] == 'carrier'][0]['next_attempt_in'] <= 8" \
	"403 x 4: backoff, next attempt within the 8 s back-off"

# The back-off ends: the fifth REGISTER comes, and the scripts pass.
ti_wait_exit registrar403 15 || ti_fail "no REGISTER after the REG-7 back-off"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the 403 registrar's script failed (SIPp exit $TI_EXIT_STATUS)"
[ "$(nregs 403)" = 5 ] || ti_fail "REGISTERs to the 403 registrar: $(nregs 403)"
# The back-off itself: 1, 2, 4 s, then 8 s after the fourth (REG-7).
reg_gaps 403 0.9 1.9 3.9 7.9 || ti_fail "REG-7 back-off not kept (see above)"
ti_wait_exit registrar480 10 || ti_fail "the 480 registrar did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the 480 registrar's script failed (SIPp exit $TI_EXIT_STATUS): a REGISTER before the back-off, or none after it"
[ "$(nregs 480)" = 2 ] || ti_fail "REGISTERs to the 480 registrar: $(nregs 480)"
reg_gaps 480 2.9 || ti_fail "480: the second REGISTER came before the 3 s back-off"
ti_wait_exit registrar420 10 || ti_fail "the 420 registrar did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "the 420 registrar's script failed (SIPp exit $TI_EXIT_STATUS): a retry after 420"
[ "$(nregs 420)" = 1 ] || ti_fail "REGISTERs to the 420 registrar: $(nregs 420)"
ti_running trunkd || ti_fail "trunkd died"
ti_stop trunkd 10
ti_pass
