#!/usr/bin/env bash
# 022-sse-options: trunkd pings its SP-SSE with OPTIONS at the configured
# interval (5 s here); the SP-SSE is "up" while it answers and "down" once
# it stops (its port then refuses).
# REQ: STA-4, STA-5
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"

# The SP-SSE answers two pings (two SIPp "calls"), then exits.
ti_start sse sipp -sf "$TI_TEST_DIR/responder.xml" -m 2 -t u1 \
	-i 127.0.0.1 -p "$(ti_port 5090)" -nostdin -timeout 30s \
	-trace_msg -message_file "$TI_DIR/sse.msg.txt" \
	-trace_logs -log_file "$TI_DIR/sse.actions.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

sse_state()
{
	local s
	s=$(ti_ctl status) || return 1
	ti_json "$s" "[t for t in j['trunks'] if t['name'] == 'pinged'][0]['sse'][0]['state']"
}
is_state() { [ "$(sse_state)" = "$1" ]; }

ti_wait_until 5 is_state up || ti_fail "SP-SSE not up after its first ping: $(sse_state)"
ti_wait_exit sse 15 || ti_fail "the SP-SSE did not get its second ping within 15 s"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "responder SIPp exit $TI_EXIT_STATUS"

# Two pings, about keepalive_interval apart (SIPp stamps each message).
gap=$(python3 - "$TI_DIR/sse.msg.txt" <<'PY'
import re, sys, datetime
stamps = []
lines = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(lines):
    m = re.match(r"-+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)", l)
    if m and i + 2 < len(lines) and "received" in lines[i + 1] and \
            lines[i + 3].startswith("OPTIONS"):
        stamps.append(datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f"))
print("%.2f" % (stamps[1] - stamps[0]).total_seconds() if len(stamps) >= 2 else "none")
PY
)
python3 -c "import sys; g=sys.argv[1]; sys.exit(0 if g != 'none' and 4.0 <= float(g) <= 6.5 else 1)" "$gap" ||
	ti_fail "pings were $gap s apart, expected about 5 s (keepalive_interval)"

# Nobody answers any more: the next ping fails and the SP-SSE goes down.
ti_wait_until 10 is_state down || ti_fail "SP-SSE still $(sse_state) after the responder left"
ti_pass
