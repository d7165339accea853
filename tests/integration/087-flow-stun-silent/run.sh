#!/usr/bin/env bash
# 087-flow-stun-silent: two Registration-mode trunks over UDP, each to a
# scripted SP-SSE (peers/udp_outbound_registrar.py, Flow-Timer 2).
# "carrier" answers two STUN Binding requests, then none until the next
# REGISTER: trunkd retransmits the unanswered request once (same
# transaction, half the 1 s timeout later), declares the flow failed at
# the timeout (a missing STUN answer, OB-3) and re-registers at once with
# the same +sip.instance and reg-id (OB-5); the new flow is answered and
# stays up. "nostun" never answers STUN (a server without STUN): its flow
# is not failed for it, the keep-alives go on, one REGISTER only.
# REQ: OB-3, OB-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/flows.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
flows_global "random_seed = 87"
flows_hook
flows_capture_start
ti_start carrier python3 "$TI_ROOT/peers/udp_outbound_registrar.py" \
	127.0.0.1 "$(ti_port 5090)" 2 silent 2 "$TI_DIR/carrier-events.log"
ti_start nostun python3 "$TI_ROOT/peers/udp_outbound_registrar.py" \
	127.0.0.1 "$(ti_port 5092)" 2 silent 0 "$TI_DIR/nostun-events.log"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_wait_port udp 127.0.0.1 "$(ti_port 5092)" 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

ev() { grep " $2 " "$TI_DIR/$1-events.log" || true; }
# The re-registration, then two answered STUN exchanges on the new flow.
settled()
{
	[ "$(ev carrier REGISTER | wc -l)" -ge 2 ] &&
		[ "$(ev carrier STUN | awk -v t="$(ev carrier REGISTER | sed -n 2p | cut -d' ' -f1)" '$1 > t && $5 != "answered=-"' | wc -l)" -ge 2 ]
}
ti_wait_until 30 settled || ti_fail "no re-registration and answered STUN after it: $(cat "$TI_DIR/carrier-events.log")"
ti_log "carrier events: $(cat "$TI_DIR/carrier-events.log")"
[ "$(ev carrier REGISTER | wc -l)" = 2 ] || ti_fail "expected exactly 2 REGISTERs from carrier"

# OB-3 on the wire: the 3rd request is unanswered and sent again with the
# same transaction id 0.5 s later; the REGISTER comes 1 s (the timeout)
# after the first send.
flows_capture_stop
req() { flows_fields "udp.dstport == $(ti_port 5090) && stun.type == 0x0001" "$@"; }
ids=$(req stun.id | sed -n 3,4p | sort -u | wc -l)
[ "$ids" = 1 ] || ti_fail "the unanswered request was not retransmitted as the same transaction"
t3=$(req frame.time_epoch | sed -n 3p)
t4=$(req frame.time_epoch | sed -n 4p)
treg=$(flows_fields "udp.dstport == $(ti_port 5090) && sip.Method == \"REGISTER\"" frame.time_epoch | sed -n 2p)
answers=$(flows_fields "udp.srcport == $(ti_port 5090) && stun.type == 0x0101 && frame.time_epoch < $treg" frame.number | wc -l)
[ "$answers" = 2 ] || ti_fail "$answers STUN answers before the re-registration (expected 2)"
python3 -c "
import sys
retx, reg = $t4 - $t3, $treg - $t3
print('retransmission after', round(retx, 3), 'REGISTER after', round(reg, 3), file=sys.stderr)
sys.exit(0 if 0.4 <= retx <= 0.7 and 0.9 <= reg <= 1.3 else 1)" ||
	ti_fail "retransmission or failure not at half / the whole STUN timeout"

regs=$(ev carrier REGISTER)
[ "$(grep -o '+sip.instance="<urn:uuid:[0-9a-f-]*>";reg-id=1' <<<"$regs" | sort -u | wc -l)" = 1 ] ||
	ti_fail "instance or reg-id changed between the flows: $regs"

flows=$(ti_ctl flows)
ti_log "flows: $flows"
c="[f for f in j['flows'] if f['trunk'] == 'carrier'][0]"
n="[f for f in j['flows'] if f['trunk'] == 'nostun'][0]"
ti_json_check "$flows" "$c['state'] == 'up' and $c['id'] == 2 and $c['reason'] == 'no STUN Binding response within 1000 ms (OB-3)' and $c['mapped'] == '127.0.0.1:$(ti_port 5080)'" "carrier's flow"
# The server without STUN: one flow, never failed, keep-alives going on.
ti_json_check "$flows" "$n['state'] == 'up' and $n['id'] == 1 and $n['failures'] == 0 and $n['pings'] >= 4 and $n['mapped'] == ''" "nostun's flow"
[ "$(ev nostun REGISTER | wc -l)" = 1 ] || ti_fail "nostun re-registered: $(cat "$TI_DIR/nostun-events.log")"
[ "$(ev nostun STUN | wc -l)" -ge 4 ] || ti_fail "nostun got fewer than 4 STUN requests"
grep -q '^flow|carrier|failed|no STUN Binding response' "$TI_DIR/hook.log" ||
	ti_fail "the hook did not see the flow failure: $(cat "$TI_DIR/hook.log")"
if grep -q '^flow|nostun|failed' "$TI_DIR/hook.log"; then ti_fail "nostun's flow failed"; fi
ti_pass
