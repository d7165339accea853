#!/usr/bin/env bash
# 030-inbound-identity: calls from the carrier to DIDs. The dial plan maps
# +15550100200..299 to extensions 200..299 (on the PBX); the PBX asserts
# the R-URI and the caller it is shown:
#  1. PAI as a tel URI and a SIP URI: the SIP one is the caller (ID-3);
#  2. Privacy: id: the PBX sees an anonymous caller (ID-4);
#  3. From sip:anonymous@anonymous.invalid without PAI: accepted (ID-5);
#  4. From sip:unavailable@unknown.invalid without PAI: accepted (ID-5);
#  5. a DID of the trunk outside the plan's range: 404 from the plan, the
#     PBX sees nothing (the identities are widened to +15550100999 for it).
# REQ: ID-2, ID-3, ID-4, ID-5
. "$(dirname "$0")/../lib.sh"
ti_setup

cat "$SOURCE_ROOT/config/trunkd.conf" "$TI_TEST_DIR/extra.conf" |
	sed -e 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' \
		-e 's|^identities = .*|identities = +15550100000-+15550100999|' \
		>"$TI_DIR/src.conf"
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

# make TEMPLATE OUT KEY=VALUE...: fill @KEY@ (values used verbatim; the
# *_RE values become quoted XML attributes).
make()
{
	python3 - "$@" <<'PY'
import sys
from xml.sax.saxutils import quoteattr
tpl, out, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
s = open(tpl).read()
for k, v in (p.split("=", 1) for p in pairs):
    if not v:  # an empty value drops its line: a blank line ends headers
        s = "\n".join(l for l in s.split("\n") if l.strip() != "@%s@" % k)
    s = s.replace("@%s@" % k, quoteattr(v) if k.endswith("_RE") else v)
open(out, "w").write(s)
PY
}

# case NAME DID FROM HEADERS FINAL [PBX_FROM_RE]: one call from the carrier.
case_()
{
	local name=$1 did=$2 from=$3 hdrs=$4 final=$5 pbx_from=${6:-}
	make "$TI_TEST_DIR/carrier.xml.in" "$TI_DIR/$name-carrier.xml" \
		"FROM=$from" "HEADERS=$hdrs" "FINAL=$final"
	if [ -n "$pbx_from" ]; then
		make "$TI_TEST_DIR/pbx.xml.in" "$TI_DIR/$name-pbx.xml" \
			"RURI_RE=^INVITE sip:${did: -3}@127\.0\.0\.1:[0-9]+;transport=udp SIP/2\.0" \
			"FROM_RE=$pbx_from"
		ti_start "$name-pbx" sipp -sf "$TI_DIR/$name-pbx.xml" -m 1 \
			-t u1 -i 127.0.0.1 -p "$(ti_port 5070)" -nostdin \
			-timeout 20s -timeout_error \
			-trace_err -error_file "$TI_DIR/$name-pbx.err.log"
		ti_wait_port udp 127.0.0.1 "$(ti_port 5070)" 10
	fi
	rc=0
	ti_exec sipp -sf "$TI_DIR/$name-carrier.xml" -m 1 -t u1 -i 127.0.0.1 \
		-p "$(ti_port 5090)" -s "$did" -nostdin -timeout 15s \
		-timeout_error -trace_msg -message_file "$TI_DIR/$name.msg.txt" \
		"127.0.0.1:$(ti_port 5080)" >"$TI_DIR/$name.screen.txt" 2>&1 ||
		rc=$?
	[ "$rc" = 0 ] || ti_fail "$name: the carrier did not get $final (SIPp exit $rc)"
	if [ -n "$pbx_from" ]; then
		ti_wait_exit "$name-pbx" 15 || ti_fail "$name: the PBX did not finish"
		[ "$TI_EXIT_STATUS" = 0 ] ||
			ti_fail "$name: the PBX's assertions failed (SIPp exit $TI_EXIT_STATUS)"
	fi
}

case_ two-pai +15550100205 '<sip:+15557779999@carrier.invalid>' \
	'P-Asserted-Identity: <tel:+15557779999>, <sip:+15557770001@carrier.invalid;user=phone>' \
	486 '^ *<sip:\+15557770001@127\.0\.0\.1>;tag='
case_ privacy +15550100205 '<sip:+15557770001@carrier.invalid>' \
	'P-Asserted-Identity: <sip:+15557770001@carrier.invalid;user=phone>
      Privacy: id' \
	486 '^ *"Anonymous" <sip:anonymous@anonymous\.invalid>;tag='
case_ anonymous +15550100206 '"Anonymous" <sip:anonymous@anonymous.invalid>' \
	'' 486 '^ *"Anonymous" <sip:anonymous@127\.0\.0\.1>;tag='
case_ unavailable +15550100207 '<sip:unavailable@unknown.invalid>' \
	'' 486 '^ *<sip:unavailable@127\.0\.0\.1>;tag='
case_ unknown-did +15550100999 '<sip:+15557770001@carrier.invalid>' '' 404
ti_pass
