#!/usr/bin/env bash
# 141-registrar-replay: a phone's digest is accepted once per nonce count.
# An attacker replaying a REGISTER's Authorization (its own Contact, new
# branch and CSeq) gets a new challenge with stale=true, never a binding;
# the phone's next count on the same nonce is accepted; a digest without
# qop is good once; a nonce trunkd never issued and a wrong password get a
# plain challenge and use up no count (phone.py).
# REQ: none (enterprise registrar: issue 3; RFC 3261 22.4, RFC 2617 3.2.2 nonce-count, RFC 7616 3.3)
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop enterprise "$TI_TEST_DIR/phones.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5

rc=0
ti_exec python3 "$TI_TEST_DIR/phone.py" "127.0.0.1:$(ti_port 5060)" \
	alice alice-pw-1 >"$TI_DIR/phone.log" 2>&1 || rc=$?
cat "$TI_DIR/phone.log" >&2
[ "$rc" = 0 ] || ti_fail "phone.py: a step got the wrong answer (exit $rc)"

# The attacker's Contact was never bound; the phone's is.
s=$(ti_ctl registrations) || ti_fail "trunkctl registrations failed"
ti_json_check "$s" "len(j['registrations']) == 1 and
	j['registrations'][0]['contact'] == 'sip:alice@127.0.0.1:5071'" \
	"only the phone's binding"
grep -q "digest replayed (nonce count 00000001 already used)" \
	"$TI_DIR/trunkd.log" || ti_fail "no WARN for the replay in trunkd's log"
! grep -qF alice-pw-1 "$TI_DIR/trunkd.log" ||
	ti_fail "the phone's password is in trunkd's log"
ti_pass
