#!/usr/bin/env bash
# 071-flow-tls-silent: a missing pong on a TLS flow whose connection stays
# open (OB-2, OB-5), toward a carrier that never pongs CRLFCRLF (a pong's
# timeout is test 089): trunkd follows its CRLFCRLF keep-alives with an
# OPTIONS over the flow (here after every one, keepalive_probe_every = 1)
# and takes any answer as the pong. The carrier is Kamailio (registrar +
# outbound, Flow-Timer: 2, answers OPTIONS 404, tcp_crlf_ping off) behind
# stunnel (TLS on 127.0.0.3:5091):
#  1. while the carrier answers, the probes go over the registered TLS
#     connection (seen in clear between stunnel and Kamailio) and the flow
#     stays up, on one connection;
#  2. stunnel is frozen (SIGSTOP): the TCP connection stays open but
#     nothing comes back. Within the keep-alive interval plus the 1 s pong
#     timeout the flow fails for the missing pong (event hook), not for a
#     closed connection;
#  3. stunnel thawed (SIGCONT): trunkd registers again on a NEW TLS
#     connection with the same +sip.instance and reg-id=1.
# REQ: OB-2, OB-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
. "$TI_ROOT/flows.sh"
ti_setup
flows_tls_registered 2 no
# 1. Probes answered: the flow stays up on the one connection.
probes() { [ "$(flows_fields "tcp.dstport == 5090 && sip.Method == \"OPTIONS\"" frame.time_epoch | wc -l)" -ge 3 ]; }
ti_wait_until 15 probes || ti_fail "fewer than 3 OPTIONS probes over the TLS flow"
[ "$(flows_fields "tcp.srcport == 5090 && sip.Status-Code == 404 && sip.CSeq.method == \"OPTIONS\"" frame.time_epoch | wc -l)" -ge 2 ] ||
	ti_fail "Kamailio did not answer the probes"
flows=$(ti_ctl flows) || ti_fail "trunkctl flows"
ti_log "flows: $flows"
ti_json_check "$flows" "j['flows'][0]['state'] == 'up' and j['flows'][0]['id'] == 1 and 0 <= j['flows'][0]['last_pong_ago_s'] <= 3" \
	"the answered probes count as pongs, the first flow is still up"
! grep -q '^flow|carrier|failed|' "$TI_DIR/hook.log" 2>/dev/null || ti_fail "the flow failed while the carrier answered"
[ "$(tls_connections sse)" = 1 ] || ti_fail "more than one TLS connection while the carrier answered"

# 2. The carrier goes silent with the connection open.
kill -STOP "$(ti_pid sse)" || ti_fail "cannot freeze stunnel"
failed() { grep -q '^flow|carrier|failed|.*no pong' "$TI_DIR/hook.log"; }
ti_wait_until 8 failed || { kill -CONT "$(ti_pid sse)"; ti_fail "the silent TLS flow was not declared failed: $(cat "$TI_DIR/hook.log")"; }
grep '^flow|carrier|failed|' "$TI_DIR/hook.log" | head -1 | grep -q 'closed' &&
	{ kill -CONT "$(ti_pid sse)"; ti_fail "the flow failed as closed, not for the missing pong"; }

# 3. Back: re-registration on a new TLS connection, same reg-id.
kill -CONT "$(ti_pid sse)" || ti_fail "cannot thaw stunnel"
reformed() { [ "$(tls_connections sse)" -ge 2 ] && flows_registered; }
ti_wait_until 20 reformed || ti_fail "no re-registration on a new TLS connection: $(cat "$TI_DIR/hook.log")"
regs=$(flows_registers)
ti_log "REGISTERs: $regs"
[ "$(printf '%s\n' "$regs" | sed -n 's/.*src=\([0-9.]*:[0-9]*\).*/\1/p' | sort -u | wc -l)" -ge 2 ] ||
	ti_fail "the REGISTERs did not come over two connections"
[ "$(printf '%s\n' "$regs" | grep -o '+sip.instance="<urn:uuid:[-0-9a-f]*>";reg-id=1' | sort -u | wc -l)" = 1 ] ||
	ti_fail "not the same +sip.instance and reg-id=1 on the new flow"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
