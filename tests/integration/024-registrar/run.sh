#!/usr/bin/env bash
# 024-registrar: a phone registers with digest (401 challenge, then 200
# listing its binding), an expiry under min_expires gets 423, a wrong
# password never gets a binding, trunkctl lists the binding, and Expires: 0
# removes it.
# REQ: none (enterprise registrar: issue 3; RFC 3261 10 and 22)
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop enterprise "$TI_TEST_DIR/phones.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

bindings()
{
	local s
	s=$(ti_ctl registrations) || return 1
	ti_json "$s" "len(j['registrations'])"
}

# A wrong password: challenged again, no binding.
rc=0
ti_sipp wrong "$TI_TEST_DIR/register.xml" u1 127.0.0.1 "$(ti_port 5060)" \
	-au alice -ap not-the-password || rc=$?
[ "$rc" != 0 ] || ti_fail "a wrong password was accepted"
grep -q "^SIP/2.0 401" "$TI_DIR/wrong.msg.txt" ||
	ti_fail "no 401 for the wrong password"
[ "$(bindings)" = 0 ] || ti_fail "a binding exists after a wrong password"

rc=0
ti_sipp register "$TI_TEST_DIR/register.xml" u1 127.0.0.1 "$(ti_port 5060)" \
	-au alice -ap alice-pw-1 || rc=$?
[ "$rc" = 0 ] || ti_fail "REGISTER scenario failed (SIPp exit $rc)"
s=$(ti_ctl registrations) || ti_fail "trunkctl registrations failed"
ti_json_check "$s" "len(j['registrations']) == 1 and
	j['registrations'][0]['phone'] == 'alice' and
	j['registrations'][0]['contact'].startswith('sip:alice@127.0.0.1:') and
	500 < j['registrations'][0]['expires_in'] <= 600" "the binding in trunkctl"

rc=0
ti_sipp unregister "$TI_TEST_DIR/unregister.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -au alice -ap alice-pw-1 || rc=$?
[ "$rc" = 0 ] || ti_fail "unREGISTER scenario failed (SIPp exit $rc)"
[ "$(bindings)" = 0 ] || ti_fail "the binding survived Expires: 0"
ti_pass
