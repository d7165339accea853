#!/usr/bin/env bash
# 152-registrar-max-contacts: phone alice (max_contacts = 2) registers two
# devices; a third gets 403 "Too Many Registered Contacts" with a Warning
# naming the limit, and no binding changes. A REGISTER is all or nothing
# (RFC 3261 10.3 steps 6-7): one that removes a device but adds two
# (three after it) is refused whole, the removed device stays; one that
# removes a device and adds one is accepted. trunkctl registrations shows
# the bindings after each step. "Contact: *" removes them all with
# Expires: 0 and gets 400 with any other expiry.
# REQ: none (enterprise registrar: REQUIREMENTS.md has no registrar IDs; RFC 3261 10.3)
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop enterprise "$TI_TEST_DIR/phones.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

dev() { printf '<sip:alice@127.0.0.1:%s>' "$(ti_port "$1")"; }
A=$(dev 5171) B=$(dev 5172) C=$(dev 5173) D=$(dev 5174)

# register NAME SCENARIO CONTACTS: alice's REGISTER of CONTACTS (600 s)
# must end as SCENARIO expects.
register()
{
	local rc=0
	ti_sipp "$1" "$2" u1 127.0.0.1 "$(ti_port 5060)" -au alice \
		-ap alice-pw-1 -key user alice -key contacts "$3" \
		-key expires 600 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: REGISTER of $3 did not end as $(basename "$2") expects (SIPp exit $rc)"
}
ok() { register "$1" "$TI_ROOT/peers/phone-register.xml" "$2"; }
full() { register "$1" "$TI_TEST_DIR/register-full.xml" "$2"; }

# bound CONTACT...: trunkctl lists exactly these bindings of alice.
bound()
{
	local s want
	s=$(ti_ctl registrations) || ti_fail "trunkctl registrations failed"
	want=$(printf '%s\n' "$@" | sed 's/^<//; s/>$//' | sort | paste -sd,)
	ti_json_check "$s" "','.join(sorted(r['contact'] for r in j['registrations']
		if r['phone'] == 'alice')) == '$want'" "alice's bindings"
}

ok dev-a "$A"
ok dev-b "$B"
bound "$A" "$B"
# A refresh of a bound device is no new binding: accepted at the limit.
ok refresh-b "$B"
bound "$A" "$B"

# A third device.
full dev-c "$C"
bound "$A" "$B"

# Remove A and add C and D: three after it, refused whole (A stays).
full swap-two "$A;expires=0, $C, $D"
bound "$A" "$B"

# Remove A and add C: two after it.
ok swap-one "$A;expires=0, $C"
bound "$B" "$C"
grep -q 'Contact: *<sip:alice@127.0.0.1:[0-9]*>;expires=' "$TI_DIR/swap-one.msg.txt" ||
	ti_fail "the 200 lists no binding"

# "*" removes every binding, but only alone and with Expires: 0 (RFC 3261
# 10.3 step 6): with another expiry, 400 and nothing removed.
rc=0
ti_sipp star-bad "$TI_TEST_DIR/register-star-bad.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -au alice -ap alice-pw-1 -key user alice \
	-key contacts '*' -key expires 600 || rc=$?
[ "$rc" = 0 ] || ti_fail "star-bad: no 400 for Contact: * with Expires: 600 (SIPp exit $rc)"
bound "$B" "$C"
rc=0
ti_sipp star "$TI_ROOT/peers/phone-register.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -au alice -ap alice-pw-1 -key user alice \
	-key contacts '*' -key expires 0 || rc=$?
[ "$rc" = 0 ] || ti_fail "star: Contact: * with Expires: 0 was not accepted (SIPp exit $rc)"
bound
ti_pass
