#!/usr/bin/env bash
# 055-flow-tls: a Registration-mode trunk over TLS. The carrier is
# Kamailio (registrar + outbound, Flow-Timer: 3, plain TCP on
# 127.0.0.3:5090) behind stunnel (TLS on 127.0.0.3:5091), so the
# keep-alives that trunkd sends inside TLS show up in clear between
# stunnel and Kamailio: CRLFCRLF pings 2.4-3.0 s apart (80-100 % of the
# Flow-Timer), answered with CRLF pongs (OB-2 on TLS, OB-4). Then Kamailio
# is stopped: stunnel drops the TLS connection, trunkd's flow fails
# ("closed by the peer") and the registration is re-formed on a new TLS
# connection (OB-5): stunnel accepts another one.
# REQ: OB-2, OB-4, OB-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
. "$TI_ROOT/flows.sh"
ti_setup
flows_tls_registered 3
flows_registers | grep -q 'contact=\[<sip:[^;]*;transport=tls;bnc>' ||
	ti_fail "the REGISTER did not come over TLS with a TLS Contact"
pings() { [ "$(flows_fields "tcp.dstport == 5090 && tcp.payload == 0d:0a:0d:0a" frame.time_epoch | wc -l)" -ge 4 ]; }
ti_wait_until 20 pings || ti_fail "fewer than 4 CRLFCRLF pings through the TLS flow"
flows=$(ti_ctl flows) || ti_fail "trunkctl flows"
ti_log "flows: $flows"
ti_json_check "$flows" "j['flows'][0]['transport'] == 'tls' and j['flows'][0]['keepalive'] == 'crlf' and j['flows'][0]['state'] == 'up' and j['flows'][0]['pings'] >= 3 and 0 <= j['flows'][0]['last_ping_ago_s'] <= 3" "the TLS flow"
flows_fields "tcp.dstport == 5090 && tcp.payload == 0d:0a:0d:0a" frame.time_epoch |
	flows_gaps_within 2.4 3.05 "TLS pings" || ti_fail "TLS ping intervals"
[ "$(flows_fields "tcp.srcport == 5090 && tcp.payload == 0d:0a" frame.time_epoch | wc -l)" -ge 3 ] ||
	ti_fail "Kamailio did not pong"

# The carrier goes away: stunnel closes the TLS connection.
before=$(tls_connections sse)
ti_stop kamailio 5
failed() { grep -q '^flow|carrier|failed|' "$TI_DIR/hook.log"; }
ti_wait_until 10 failed || ti_fail "the TLS flow's failure was not noticed"
reformed() { [ "$(tls_connections sse)" -gt "$before" ]; }
ti_wait_until 10 reformed || ti_fail "no new TLS connection after the flow failed"
ti_pass
