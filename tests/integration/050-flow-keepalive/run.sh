#!/usr/bin/env bash
# 050-flow-keepalive: two Registration-mode trunks register with Kamailio
# (registrar + outbound, Flow-Timer: 3), one over TCP, one over UDP. On the
# wire: REGISTER offers keep in its top Via (KEEP-1); the TCP flow sends
# CRLFCRLF pings that Kamailio pongs, the UDP flow STUN Binding requests,
# each 80-100 % of the Flow-Timer apart (OB-2, OB-3, OB-4). trunkctl flows
# and registrations show them; the event hook saw every state change.
# REQ: OB-2, OB-3, OB-4, KEEP-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/flows.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
flows_global "random_seed = 50"
flows_hook
flows_capture_start
flows_kamailio 3 yes
ti_trunkd_start "$TI_DIR/trunkd.conf"

both_registered()
{
	[ "$(flows_ctl registrations "sorted(t['state'] for t in j['trunks'])")" = "['registered', 'registered']" ]
}
ti_wait_until 10 both_registered || ti_fail "the trunks did not register"

# Three intervals of at most 3 s each, plus the first one.
pings() { [ "$(flows_fields "tcp.dstport == $(ti_port 5090) && tcp.payload == 0d:0a:0d:0a" frame.time_epoch | wc -l)" -ge 4 ]; }
ti_wait_until 20 pings || ti_fail "fewer than 4 CRLFCRLF pings on the TCP flow"
stuns() { [ "$(flows_fields "udp.dstport == $(ti_port 5090) && stun.type == 0x0001" frame.time_epoch | wc -l)" -ge 4 ]; }
ti_wait_until 20 stuns || ti_fail "fewer than 4 STUN Binding requests on the UDP flow"

flows=$(ti_ctl flows) || ti_fail "trunkctl flows failed"
ti_log "flows: $flows"
for t in overtcp overudp; do
	f="[f for f in j['flows'] if f['trunk'] == '$t'][0]"
	ti_json_check "$flows" "$f['state'] == 'up' and $f['interval_source'] == 'Flow-Timer' and $f['server_value_s'] == 3 and 2400 <= $f['interval_ms'] <= 3000" "flow of $t"
	ti_json_check "$flows" "$f['remote'] == '127.0.0.1:$(ti_port 5090)'" "remote of $t"
done
ti_json_check "$flows" "[f['transport'] for f in j['flows'] if f['trunk'] == 'overudp'] == ['udp'] and [f['keepalive'] for f in j['flows'] if f['trunk'] == 'overudp'] == ['stun']" "UDP flow"
ti_json_check "$flows" "[f['transport'] for f in j['flows'] if f['trunk'] == 'overtcp'] == ['tcp']" "TCP flow"
regs=$(ti_ctl registrations) || ti_fail "trunkctl registrations failed"
ti_json_check "$regs" "all(t['last_response'] == '200 OK' and t['next_attempt_in'] > 0 and t['failures'] == 0 for t in j['trunks'])" "registrations"

flows_capture_stop

# OB-2: each ping is answered by a CRLF pong from the registrar.
npong=$(flows_fields "tcp.srcport == $(ti_port 5090) && tcp.payload == 0d:0a" frame.time_epoch | wc -l)
nping=$(flows_fields "tcp.dstport == $(ti_port 5090) && tcp.payload == 0d:0a:0d:0a" frame.time_epoch | wc -l)
[ "$npong" -ge $((nping - 1)) ] || ti_fail "$nping pings but only $npong pongs"
# OB-4: 80-100 % of Flow-Timer 3 s (+50 ms for timers and capture).
flows_fields "tcp.dstport == $(ti_port 5090) && tcp.payload == 0d:0a:0d:0a" frame.time_epoch |
	flows_gaps_within 2.4 3.05 "TCP pings" || ti_fail "TCP ping intervals"
flows_fields "udp.dstport == $(ti_port 5090) && stun.type == 0x0001" frame.time_epoch |
	flows_gaps_within 2.4 3.05 "STUN requests" || ti_fail "STUN request intervals"
# OB-3: the STUN requests leave the SIP socket of the flow (same 5-tuple).
src=$(flows_fields "udp.dstport == $(ti_port 5090) && stun.type == 0x0001" udp.srcport | sort -u)
[ "$src" = "$(ti_port 5080)" ] || ti_fail "STUN from port(s) $src, not the SIP port $(ti_port 5080)"

# KEEP-1: every REGISTER offers keep in its top Via.
flows_registers | grep -q . || ti_fail "Kamailio logged no REGISTER"
if flows_registers | grep -Ev 'via=\[SIP/2\.0/[A-Z]+ 127\.0\.0\.1:[0-9]+;keep(;|\])'; then
	ti_fail "a REGISTER without keep in its Via"
fi

# The hook ran for the flows and the registrations.
for line in "flow|overtcp|up|" "flow|overudp|up|" "registration|overtcp|registered|" "registration|overudp|registered|"; do
	ti_wait_until 5 grep -qF "$line" "$TI_DIR/hook.log" ||
		ti_fail "the event hook did not see $line"
done
ti_pass
