#!/usr/bin/env bash
# 086-flow-stun-mapped: a Registration-mode trunk over UDP to an SP-SSE
# (peers/udp_outbound_registrar.py: registrar with Flow-Timer 2 and STUN
# server on one UDP socket) whose STUN Binding answers name the true
# address three times, then a different port (the binding moved). trunkd
# compares XOR-MAPPED-ADDRESS (OB-3): the flow fails at the first changed
# answer, not before, and the registration is re-formed at once with the
# same +sip.instance and reg-id (OB-5). The new flow takes the new address
# and stays up. Before each true answer the peer sends two that must be
# ignored: one for another transaction naming port + 2000, and a truncated
# copy. Capture (tshark) and the peer's log are the verdict.
# REQ: OB-3, OB-5
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/flows.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
flows_global "random_seed = 86"
flows_hook
flows_capture_start
ti_start carrier python3 "$TI_ROOT/peers/udp_outbound_registrar.py" \
	127.0.0.1 "$(ti_port 5090)" 2 change 3 "$TI_DIR/carrier-events.log"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

ev() { grep " $1 " "$TI_DIR/carrier-events.log" || true; }
# The re-registration after the changed answer, and two STUN exchanges on
# the new flow after it (the new address is stable: no third REGISTER).
settled()
{
	[ "$(ev REGISTER | wc -l)" -ge 2 ] &&
		[ "$(ev STUN | awk -v t="$(ev REGISTER | sed -n 2p | cut -d' ' -f1)" '$1 > t' | wc -l)" -ge 3 ]
}
ti_wait_until 30 settled || ti_fail "no re-registration and new STUN exchanges: $(cat "$TI_DIR/carrier-events.log")"
ti_log "carrier events: $(cat "$TI_DIR/carrier-events.log")"
[ "$(ev REGISTER | wc -l)" = 2 ] || ti_fail "expected exactly 2 REGISTERs (the new address is stable)"

# OB-3: the three true answers left the flow alone; the re-registration
# came after the first changed answer (STUN 4), within 1 s of it.
t_change=$(ev STUN | awk '$3 == 4 {print $1}')
t_reg2=$(ev REGISTER | sed -n 2p | cut -d' ' -f1)
grep -q " STUN 4 127.0.0.1:$(ti_port 5080) answered=127.0.0.1:$(($(ti_port 5080) + 1000))\$" "$TI_DIR/carrier-events.log" ||
	ti_fail "the 4th STUN answer did not name the moved address"
python3 -c "import sys; d = $t_reg2 - $t_change; print('changed answer -> REGISTER', round(d, 3), file=sys.stderr); sys.exit(0 if 0 <= d <= 1.0 else 1)" ||
	ti_fail "the re-registration did not follow the changed XOR-MAPPED-ADDRESS at once"
# OB-5: same instance and reg-id, same 5-tuple (UDP), Expires 3600.
regs=$(ev REGISTER)
[ "$(grep -o '+sip.instance="<urn:uuid:[0-9a-f-]*>";reg-id=1' <<<"$regs" | sort -u | wc -l)" = 1 ] ||
	ti_fail "instance or reg-id changed between the flows: $regs"
[ "$(grep -c "REGISTER 127.0.0.1:$(ti_port 5080) expires=3600 " <<<"$regs")" = 2 ] ||
	ti_fail "REGISTERs not from the SIP socket with Expires 3600: $regs"

# On the wire: the 4th Binding success response carries the moved port in
# XOR-MAPPED-ADDRESS; a REGISTER follows it.
flows_capture_stop
# (The decoys for other transactions and the truncated copies are not
# counted: only full answers whose transaction id trunkd sent.)
ports=$(flows_fields "stun.type == 0x0101 && udp.length > 32 && stun.att.port != $(($(ti_port 5080) + 2000))" stun.att.port | tr '\n' ' ')
ti_log "XOR-MAPPED-ADDRESS ports on the wire: $ports"
read -r -a p <<<"$ports"
[ "${p[0]}" = "$(ti_port 5080)" ] && [ "${p[2]}" = "$(ti_port 5080)" ] &&
	[ "${p[3]}" = "$(($(ti_port 5080) + 1000))" ] || ti_fail "unexpected mapped ports on the wire: $ports"
t4=$(flows_fields "stun.type == 0x0101 && udp.length > 32 && stun.att.port != $(($(ti_port 5080) + 2000))" frame.time_epoch | sed -n 4p)
decoys=$(flows_fields "stun.type == 0x0101 && stun.att.port == $(($(ti_port 5080) + 2000))" frame.number | wc -l)
[ "$decoys" -ge 4 ] || ti_fail "only $decoys decoy answers on the wire"
treg=$(flows_fields "sip.Method == \"REGISTER\"" frame.time_epoch | sed -n 2p)
python3 -c "import sys; sys.exit(0 if 0 <= $treg - $t4 <= 1.0 else 1)" ||
	ti_fail "on the wire, the 2nd REGISTER ($treg) does not follow the changed answer ($t4)"

# trunkctl: the new flow is up with the new address; the reason names the
# change; the event hook saw the failure.
flows=$(ti_ctl flows)
ti_log "flows: $flows"
ti_json_check "$flows" "j['flows'][0]['state'] == 'up' and j['flows'][0]['id'] == 2 and j['flows'][0]['mapped'] == '127.0.0.1:$(($(ti_port 5080) + 1000))' and j['flows'][0]['keepalive'] == 'stun'" "the new flow"
ti_json_check "$flows" "'XOR-MAPPED-ADDRESS changed from 127.0.0.1:$(ti_port 5080) to 127.0.0.1:$(($(ti_port 5080) + 1000))' in j['flows'][0]['reason'] and j['flows'][0]['failures'] == 1 and j['flows'][0]['last_pong_ago_s'] >= 0" "the failure"
ti_json_check "$(ti_ctl registrations)" "j['trunks'][0]['state'] == 'registered'" "registration"
grep -q '^flow|carrier|failed|XOR-MAPPED-ADDRESS changed' "$TI_DIR/hook.log" ||
	ti_fail "the hook did not see the flow failure: $(cat "$TI_DIR/hook.log")"
ti_pass
