#!/usr/bin/env bash
# 027-outbound-identity: the dial plan and trunk/identity on the wire. The
# carrier (SIPp) receives, per call, exactly the R-URI, To, From,
# P-Asserted-Identity and Privacy the rules require:
#  1. 2000 dials 2125551234: E.164 R-URI with user=phone, To = R-URI,
#     From and PAI = the site's number, no Privacy;
#  2. 2001 (restricted) dials the same: From sip:anonymous@anonymous.invalid,
#     Privacy: id, PAI still present;
#  3. 2001 dials 911: dial-string R-URI, never anonymous, PAI present;
#  4. 555 is rejected by the plan with 404 and never reaches the carrier.
# Also: trunkd --dialplan-test shows the same decision offline.
# REQ: ID-6, ID-7, ID-8, ID-9, ID-10, EM-1, EM-2, EM-3
. "$(dirname "$0")/../lib.sh"
ti_setup

cat "$SOURCE_ROOT/config/trunkd.conf" "$TI_TEST_DIR/extra.conf" |
	sed 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' >"$TI_DIR/src.conf"
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"

# Offline, the same decision the live call makes.
out=$("$TRUNKD" --config "$TI_DIR/trunkd.conf" --dialplan-test 2125551234 \
	--caller 2000) || ti_fail "--dialplan-test failed: $out"
grep -q '+12125551234' <<<"$out" || ti_fail "--dialplan-test: $out"
grep -q 'test.dialplan:7' <<<"$out" || ti_fail "--dialplan-test names no rule: $out"

ti_trunkd_start "$TI_DIR/trunkd.conf"

# Live, from the running plan: trunkctl dialplan test (issue 4 item 3).
live=$(ti_ctl dialplan test 911 caller=2001) || ti_fail "trunkctl dialplan test: $live"
ti_json_check "$live" "j['emergency'] is True and j['number'] == '911' and
	j['request_uri'] == 'sip:911@carrier.invalid' and
	j['rule'].endswith('test.dialplan:6') and j['presentation'] == 'restricted' and
	j['identity'] == '+15550100000'" "trunkctl dialplan test 911"

# carrier_expect NAME RURI FROM_RE PAI_RE PRIVACY: a carrier UAS that
# answers one call and asserts those headers (regexps, anchored); PRIVACY
# NONE means no Privacy header at all.
carrier_expect()
{
	# XML-escape the regexps into the template (python: no sed quoting).
	python3 - "$TI_TEST_DIR/carrier.xml.in" "$@" >"$TI_DIR/$1.xml" <<'PY'
import sys
from xml.sax.saxutils import quoteattr
tpl, name, ruri, frm, pai, priv = sys.argv[1:]
if priv == "NONE":
    check = ('<ereg regexp="Privacy:" search_in="msg" '
             'check_it_inverse="true" assign_to="privacy"/>')
else:
    check = ('<ereg regexp=%s search_in="hdr" header="Privacy:" '
             'check_it="true" assign_to="privacy"/>' % quoteattr("^ *%s *$" % priv))
out = open(tpl).read()
out = out.replace('"^INVITE @RURI@ SIP/2\\.0"', quoteattr("^INVITE %s SIP/2\\.0" % ruri))
out = out.replace('"^ *&lt;@RURI@&gt;$"', quoteattr("^ *<%s>$" % ruri))
out = out.replace('"^ *@FROM@;tag=[^;]+$"', quoteattr("^ *%s;tag=[^;]+$" % frm))
out = out.replace('"^ *@PAI@ *$"', quoteattr("^ *%s *$" % pai))
out = out.replace("@PRIVACY@", check)
sys.stdout.write(out)
PY
	ti_start "$1" sipp -sf "$TI_DIR/$1.xml" -m 1 -t u1 -i 127.0.0.1 \
		-p "$(ti_port 5090)" -nostdin -timeout 20s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log"
	ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
}

# call NAME CALLER NUMBER: the PBX call; fails the test unless answered.
call()
{
	local rc=0
	ti_sipp "$1" "$TI_TEST_DIR/pbx-call.xml" u1 127.0.0.1 \
		"$(ti_port 5060)" -key caller "$2" -s "$3" || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: the PBX's call failed (SIPp exit $rc)"
}

carrier_done()
{
	ti_wait_exit "$1" 15 || ti_fail "$1: the carrier did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] ||
		ti_fail "$1: carrier assertions failed (see $1.err.log)"
}

site='<sip:\+15550100000@carrier\.invalid;user=phone>'
carrier_expect national 'sip:\+12125551234@carrier\.invalid;user=phone' \
	"\"Desk 2000\" $site" "$site" 'NONE'
call pbx-national 2000 2125551234
carrier_done national

carrier_expect restricted 'sip:\+12125551234@carrier\.invalid;user=phone' \
	'"Anonymous" <sip:anonymous@anonymous\.invalid>' "$site" 'id'
call pbx-restricted 2001 2125551234
carrier_done restricted

carrier_expect emergency 'sip:911@carrier\.invalid' \
	"\"Desk 2001\" $site" "$site" 'NONE'
call pbx-emergency 2001 911
carrier_done emergency

# The plan rejects 555: 404 to the PBX, nothing to the carrier.
rc=0
ti_sipp pbx-rejected "$TI_TEST_DIR/pbx-rejected.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -s 555 || rc=$?
[ "$rc" = 0 ] || ti_fail "555 was not rejected with 404 (SIPp exit $rc)"
ti_pass
