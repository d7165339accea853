#!/usr/bin/env bash
# 141-registrar-replay: a phone's digest is accepted once per nonce count.
# An attacker replaying a REGISTER's Authorization (its own Contact, new
# branch and CSeq) gets a new challenge with stale=true, never a binding;
# the phone's next count on the same nonce is accepted; a digest without
# qop is good once; a wrong password gets a plain challenge and uses up
# no count; a nonce trunkd never issued (or issued before its restart)
# with the digest right for it gets a challenge with stale=true (RFC 7616
# 3.3), with a wrong password a plain one (phone.py). The same for a [pbx]
# with a username, whose INVITEs get 407 (stale=true for a nonce never
# issued or issued before the restart with the digest right; a wrong
# password 403) (phone.py --pbx).
# REQ: none (enterprise registrar: issue 3; RFC 3261 22.4, RFC 2617 3.2.2 nonce-count, RFC 7616 3.3)
. "$(dirname "$0")/../lib.sh"
ti_setup

# phone LOG [--after-restart]: phone.py's steps (the nonce kept in
# $TI_DIR/nonce from one run to the next); the test fails unless each got
# the right answer and only the phone's Contact is bound (never the
# attacker's), and the password is in no log of trunkd's.
phone()
{
	local log=$1 rc=0 s
	shift
	ti_exec python3 "$TI_TEST_DIR/phone.py" "127.0.0.1:$(ti_port 5060)" \
		alice alice-pw-1 "$TI_DIR/nonce" "$@" >"$TI_DIR/$log" 2>&1 || rc=$?
	cat "$TI_DIR/$log" >&2
	[ "$rc" = 0 ] || ti_fail "$log: a step got the wrong answer (exit $rc)"
	s=$(ti_ctl registrations) || ti_fail "trunkctl registrations failed"
	ti_json_check "$s" "len(j['registrations']) == 1 and
		j['registrations'][0]['contact'] == 'sip:alice@127.0.0.1:5071'" \
		"only the phone's binding ($log)"
	! grep -qF alice-pw-1 "$TI_DIR"/trunkd*.log ||
		ti_fail "the phone's password is in trunkd's log"
}

# pbx LOG --pbx|--pbx-after-restart: phone.py's [pbx] steps (the nonce
# kept in $TI_DIR/pbx-nonce); the password is in no log of trunkd's.
pbx()
{
	local log=$1 rc=0
	shift
	ti_exec python3 "$TI_TEST_DIR/phone.py" "127.0.0.1:$(ti_port 5060)" \
		office office-pw-1 "$TI_DIR/pbx-nonce" "$@" >"$TI_DIR/$log" 2>&1 || rc=$?
	cat "$TI_DIR/$log" >&2
	[ "$rc" = 0 ] || ti_fail "$log: a step got the wrong answer (exit $rc)"
	! grep -qF office-pw-1 "$TI_DIR"/trunkd*.log ||
		ti_fail "the PBX's password is in trunkd's log"
}

ti_config_default --drop enterprise "$TI_TEST_DIR/phones.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5
phone phone.log
pbx pbx.log --pbx
grep -q "digest replayed (nonce count 00000001 already used)" \
	"$TI_DIR/trunkd.log" || ti_fail "no WARN for the replay in trunkd's log"

# trunkd restarted: a new secret, no nonce of the first run is its own.
# The phone's next digest on its old nonce gets stale=true (steps 9-11).
ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS on SIGTERM"
mv "$TI_DIR/trunkd.log" "$TI_DIR/trunkd-run1.log"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5
phone phone-restart.log --after-restart
pbx pbx-restart.log --pbx-after-restart
ti_pass
