# Helpers of the flow tests (05x-*), sourced after lib.sh: Kamailio as the
# carrier's registrar with SIP Outbound, and a packet capture on the test's
# loopback read back with tshark (the wire, not trunkd's logs, is the
# verdict).

# flows_kamailio FLOW_TIMER PONG [IP]: start peers/kamailio-registrar.cfg
# on IP (127.0.0.1):$(ti_port 5090), UDP and TCP, as process "kamailio".
flows_kamailio()
{
	local ip=${3:-127.0.0.1}
	mkdir -p "$TI_DIR/kamailio-run"
	sed -e "s/@PORT@/$(ti_port 5090)/g" -e "s/@FLOW_TIMER@/$1/" \
		-e "s/@PONG@/$2/" -e "s/@IP@/$ip/g" \
		"$TI_ROOT/peers/kamailio-registrar.cfg" >"$TI_DIR/kamailio.cfg"
	ti_start kamailio kamailio -f "$TI_DIR/kamailio.cfg" -DD -E -n 1 \
		-Y "$TI_DIR/kamailio-run" -w "$TI_DIR/kamailio-run"
	ti_wait_port tcp "$ip" "$(ti_port 5090)" 10
	ti_wait_port udp "$ip" "$(ti_port 5090)" 10
}

# flows_registers: the REGISTER lines Kamailio logged.
flows_registers() { grep 'REGISTER proto=' "$TI_DIR/kamailio.log" || true; }

# flows_capture_start [FILTER]: capture port $(ti_port 5090) (or the
# capture filter FILTER) on lo as "capture" into $TI_DIR/cap.pcap, and
# wait until the capture runs.
flows_capture_start()
{
	command -v tshark >/dev/null || ti_fail "tshark not found (apt-get install tshark)"
	ti_start capture tshark -i lo -n -f "${1:-port $(ti_port 5090)}" \
		-w "$TI_DIR/cap.pcap"
	ti_wait_until 10 grep -q "Capturing on" "$TI_DIR/capture.log" ||
		ti_fail "tshark does not capture"
	# "Capturing on" may come before packets are written: wait until a
	# probe to 127.0.0.9 (nobody there) shows in the file.
	ti_wait_until 10 flows__capture_probe ||
		ti_fail "tshark does not write captured packets"
}

flows__capture_probe()
{
	ti_exec python3 -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"capture-probe", ("127.0.0.9", int(sys.argv[1])))' "$(ti_port 5090)"
	[ -n "$(flows_fields "ip.dst == 127.0.0.9" frame.number)" ]
}

flows_capture_stop() { ti_stop capture 5; }

# flows_fields FILTER FIELD...: tab-separated fields of the captured
# packets matching the display filter FILTER.
flows_fields()
{
	local filter=$1 args=() f
	shift
	for f in "$@"; do args+=(-e "$f"); done
	tshark -r "$TI_DIR/cap.pcap" -n -Y "$filter" -T fields "${args[@]}" \
		2>/dev/null
}

# flows_gaps_within LO HI WHAT: every gap between consecutive times on
# stdin (seconds, one per line) is within [LO, HI]; at least 2 gaps.
flows_gaps_within()
{
	python3 -c '
import sys
lo, hi, what = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
t = [float(x) for x in sys.stdin.read().split()]
g = [round(b - a, 3) for a, b in zip(t, t[1:])]
print("%s: times %s gaps %s" % (what, t, g), file=sys.stderr)
if len(g) < 2:
    sys.exit("%s: fewer than 2 gaps" % what)
bad = [x for x in g if not lo <= x <= hi]
if bad:
    sys.exit("%s: gaps %s outside [%s, %s]" % (what, bad, lo, hi))
' "$1" "$2" "$3"
}

# flows_global "KEY = VALUE"...: add keys to [global] of the test's
# $TI_DIR/trunkd.conf (made by ti_config_default).
flows_global()
{
	local kv
	for kv in "$@"; do
		sed -i "/^\[global\]/a $kv" "$TI_DIR/trunkd.conf"
	done
}

# flows_hook: an event_hook script appending its arguments, one call per
# line, to $TI_DIR/hook.log.
flows_hook()
{
	cat >"$TI_DIR/hook.sh" <<HOOK
#!/bin/sh
printf '%s|%s|%s|%s\n' "\$1" "\$2" "\$3" "\$4" >>"$TI_DIR/hook.log"
HOOK
	chmod 755 "$TI_DIR/hook.sh"
	flows_global "event_hook = $TI_DIR/hook.sh"
}

# flows_ctl CMD EXPR: trunkctl --json CMD evaluated with ti_json.
flows_ctl() { ti_json "$(ti_ctl "$1")" "$2"; }

# flows_tls_registered FLOW_TIMER [PONG]: the TLS flow tests' setup (055, 071),
# after ti_setup: the test PKI, $TI_DIR/trunkd.conf from the test's
# trunkd.conf with the event hook, a capture, Kamailio (Flow-Timer
# FLOW_TIMER, CRLF pongs unless PONG is no) on plain TCP 127.0.0.3:5090
# behind stunnel "sse"
# (TLS on 127.0.0.3:5091, carrier.test), trunkd started and its trunk
# registered. Skips the test outside a network namespace (fixed ports).
flows_tls_registered()
{
	[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
	tls_pki
	tls_config "$TI_TEST_DIR/trunkd.conf"
	flows_hook
	flows_capture_start
	flows_kamailio "$1" "${2:-yes}" 127.0.0.3
	tls_stunnel_server sse 127.0.0.3:5091 127.0.0.3:5090 "$TLS_PKI/carrier.pem"
	ti_trunkd_start "$TI_DIR/trunkd.conf"
	ti_wait_until 10 flows_registered || ti_fail "the trunk did not register over TLS"
}

# flows_registered: the first trunk is registered (trunkctl).
flows_registered() { [ "$(flows_ctl registrations "j['trunks'][0]['state']")" = registered ]; }
