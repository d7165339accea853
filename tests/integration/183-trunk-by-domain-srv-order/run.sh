#!/usr/bin/env bash
# 183-trunk-by-domain-srv-order: the RFC 2782 order of several SRV targets
# and the failover along it, on the wire. dnsmasq, in this record order:
#   _sip._udp.carrier.test  priority 10  weight 0      y.carrier.test  127.0.0.4
#   _sip._udp.carrier.test  priority 10  weight 65535  x.carrier.test  127.0.0.3
#   _sip._udp.carrier.test  priority 20  weight 10     z.carrier.test  127.0.0.5
#   _sip._udp.carrier.test  priority 5   weight 10     .               (none)
# Within priority 10 the weighted draw puts x first unless it draws 0 of
# 0..65535 (1 in 65536): neither the record order nor the names give that
# order. The "." target is no target (RFC 2782) despite its priority.
# x and y answer pings and refuse calls with 503 (sse-refuse.xml), z takes
# them (peers/sse-by-dns.xml). Asserted: trunkctl lists x, y, z (all up,
# with their priorities and weights); the PBX's call goes x (503) -> y
# (503) -> z (200), one INVITE each, in that order; the PBX gets the call.
# REQ: STA-1, STA-4, STA-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup
ti_dns_resolver

port=$(ti_port 5090)
X=127.0.0.3
Y=127.0.0.4
Z=127.0.0.5
ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
ti_dnsmasq dns --local=/carrier.test/ \
	--srv-host=_sip._udp.carrier.test,y.carrier.test,"$port",10,0 \
	--srv-host=_sip._udp.carrier.test,x.carrier.test,"$port",10,65535 \
	--srv-host=_sip._udp.carrier.test,z.carrier.test,"$port",20,10 \
	--srv-host=_sip._udp.carrier.test,.,"$port",5,10 \
	--host-record=x.carrier.test,"$X" \
	--host-record=y.carrier.test,"$Y" \
	--host-record=z.carrier.test,"$Z"

# refuser NAME IP: an SP-SSE answering pings and refusing calls (503).
refuser()
{
	ti_start "$1" sipp -sf "$TI_TEST_DIR/sse-refuse.xml" -t u1 -i "$2" \
		-p "$port" -nostdin \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log" \
		-trace_logs -log_file "$TI_DIR/$1.actions.txt"
	ti_wait_port udp "$2" "$port" 10
}
refuser x "$X"
refuser y "$Y"
tc_sse_by_dns z "$Z"
ti_trunkd_start "$TI_DIR/trunkd.conf"

ti_wait_until 10 tc_sse_states_are dns "$X:$port x.carrier.test up" \
	"$Y:$port y.carrier.test up" "$Z:$port z.carrier.test up" ||
	ti_fail "trunkctl does not show x, y, z up in that order: $(tc_sse_states dns)"
prio=$(ti_json "$(ti_ctl status)" "' '.join('%s/%s/%s' % (x['target'], x['priority'], x['weight']) for x in [t for t in j['trunks'] if t['name'] == 'dns'][0]['sse'])")
[ "$prio" = "x.carrier.test/10/65535 y.carrier.test/10/0 z.carrier.test/20/10" ] ||
	ti_fail "priorities and weights shown: $prio"

tc_uac_call pbx
for s in x y z; do
	[ "$(tc_invites "$s")" = 1 ] || ti_fail "$s got $(tc_invites "$s") INVITEs, expected 1"
	tc_checks_ok "$s" || ti_fail "$s: a failed assertion"
done
tx=$(tc_msg_time x received '^INVITE ' 2>/dev/null)
ty=$(tc_msg_time y received '^INVITE ' 2>/dev/null)
tz=$(tc_msg_time z received '^INVITE ' 2>/dev/null)
python3 -c 'import sys; a, b, c = map(float, sys.argv[1:]); sys.exit(not a <= b <= c)' \
	"$tx" "$ty" "$tz" || ti_fail "INVITEs not in SRV order x, y, z: $tx $ty $tz"
ti_pass
