#!/usr/bin/env bash
# 089-flow-tls-pong-timeout: a TLS flow watched by its own CRLF pongs
# (OB-2). trunkd registers over TLS (stunnel on 127.0.0.3:5091 in front of
# peers/tcp_outbound_registrar.py: registrar, Flow-Timer 2) and pings the
# flow with CRLFCRLF; the carrier pongs the first two pings on that
# connection, then none, the connection staying open. No OPTIONS probes
# (keepalive_probe_every = 0): trunkd sees the pongs themselves (certs/'
# SSL_read), so the third ping without a pong within keepalive_timeout
# (1 s) fails the flow: trunkd closes that connection and registers again
# at once on a new TLS connection with the same +sip.instance and reg-id
# (OB-5), whose pongs then keep it up.
# REQ: OB-2, OB-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
. "$TI_ROOT/flows.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
flows_hook
ti_start carrier python3 "$TI_ROOT/peers/tcp_outbound_registrar.py" \
	127.0.0.3 5090 2 2 "$TI_DIR/carrier-events.log"
ti_wait_port tcp 127.0.0.3 5090 10
tls_stunnel_server sse 127.0.0.3:5091 127.0.0.3:5090 "$TLS_PKI/carrier.pem"
ti_trunkd_start "$TI_DIR/trunkd.conf"

ev() { grep " $1 " "$TI_DIR/carrier-events.log" || true; }
# Re-registered on connection 2, and two pings ponged on it.
settled()
{
	ev REGISTER | grep -q ' REGISTER 2 ' &&
		[ "$(ev PING | grep -c ' PING 2 ponged=yes')" -ge 2 ]
}
ti_wait_until 30 settled || ti_fail "no re-registration on a new connection: $(cat "$TI_DIR/carrier-events.log")"
ti_log "carrier events: $(tr '\n' ';' <"$TI_DIR/carrier-events.log")"

# Connection 1: two ponged pings left the flow alone, the third (unponged)
# one was followed by trunkd closing the connection after the 1 s timeout
# and by the REGISTER on connection 2.
[ "$(ev PING | grep -c ' PING 1 ponged=yes')" = 2 ] || ti_fail "expected 2 ponged pings on connection 1"
[ "$(ev PING | grep -c ' PING 1 ponged=no')" = 1 ] || ti_fail "expected exactly 1 unponged ping on connection 1"
[ "$(ev REGISTER | grep -c ' REGISTER 1 ')" = 1 ] || ti_fail "more than one REGISTER on connection 1"
t_ping=$(ev PING | awk '$3 == 1 && $4 == "ponged=no" {print $1}')
t_close=$(ev CLOSE | awk '$3 == 1 {print $1}')
t_reg=$(ev REGISTER | awk '$3 == 2 {print $1}')
[ -n "$t_close" ] || ti_fail "connection 1 was not closed"
python3 -c "
import sys
close, reg = $t_close - $t_ping, $t_reg - $t_ping
print('unponged ping -> close', round(close, 3), '-> REGISTER', round(reg, 3), file=sys.stderr)
sys.exit(0 if 0.9 <= close <= 1.5 and close <= reg <= 2.0 else 1)" ||
	ti_fail "the flow was not failed at the pong timeout"
regs=$(ev REGISTER)
[ "$(grep -o '+sip.instance="<urn:uuid:[0-9a-f-]*>";reg-id=1' <<<"$regs" | sort -u | wc -l)" = 1 ] ||
	ti_fail "instance or reg-id changed between the flows: $regs"
[ -z "$(ev OPTIONS)" ] || ti_fail "OPTIONS probes were sent (the test needs pongs alone)"

flows=$(ti_ctl flows)
ti_log "flows: $flows"
ti_json_check "$flows" "j['flows'][0]['state'] == 'up' and j['flows'][0]['id'] == 2 and j['flows'][0]['transport'] == 'tls' and j['flows'][0]['reason'] == 'no pong to a CRLFCRLF ping within 1000 ms (OB-2)' and 0 <= j['flows'][0]['last_pong_ago_s'] <= 3" "the new flow, its pongs seen"
grep -q '^flow|carrier|failed|no pong to a CRLFCRLF ping within 1000 ms' "$TI_DIR/hook.log" ||
	ti_fail "the hook did not see the flow failure: $(cat "$TI_DIR/hook.log")"
ti_pass
