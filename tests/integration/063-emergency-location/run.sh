#!/usr/bin/env bash
# 063-emergency-location: location by value on emergency calls (EM-5..EM-7,
# SIPconnect 13.1). The carrier (SIPp) asserts the exact headers and the
# multipart/mixed body:
#  1. 911 from the head office PBX, caller 2001 (restricted): Content-Type
#     multipart/mixed with trunkd's boundary, the SDP part first, the
#     PIDF-LO part with a Content-ID equal to the cid: of the Geolocation
#     header, Content-Disposition: render;handling=optional, the civic
#     address in RFC 5139 order (XML-escaped) and the circle; Geolocation-
#     Routing: yes (routing = yes); caller identity still in PAI and From
#     (EM-3);
#  2. 911 from the branch (routing = no): Geolocation with a gml:Point
#     body, no Geolocation-Routing header;
#  3. 911 from the campus, whose location goes by reference: Geolocation
#     <https://...> (the configured URI), a plain SDP body, no PIDF-LO, no
#     Geolocation-Routing;
#  4. a national call from the head office: no Geolocation, a plain SDP.
# REQ: EM-1, EM-3, EM-5, EM-6, EM-7
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/expect.sh"
ti_setup

ti_config_default "$TI_TEST_DIR/extra.conf"
sed -i 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' "$TI_DIR/trunkd.conf"
sed -i 's/^keepalive = options$/keepalive = off/' "$TI_DIR/trunkd.conf"
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 10
ENT="127.0.0.1:$(ti_port 5060)"
site='<sip:\+15550100000@carrier\.invalid;user=phone>'
b='trunkd-location-boundary-7f3a9c'
multipart=(--hdr Content-Type "multipart/mixed; *boundary=\"?$b\"?"
	--hdr Geolocation '<cid:location-[0-9a-f]{16}@trunkd\.invalid>'
	--hdr P-Asserted-Identity "$site" --absent Privacy
	--body "Geolocation: *<cid:([^>]+)>.*Content-ID: <\\1>"
	--body "--$b[[:space:]]+Content-Type: application/sdp[[:space:]]+v=0.*m=audio [0-9]+ RTP/AVP 0.*--$b[[:space:]]+Content-Type: application/pidf\\+xml[[:space:]]+Content-ID: <location-[0-9a-f]{16}@trunkd\\.invalid>[[:space:]]+Content-Disposition: render;handling=optional[[:space:]]+<\\?xml.*</presence>[[:space:]]+--$b--"
	--body "entity=\"pres:\\+15550100000@carrier\\.invalid\""
	--body '<gp:method>Manual</gp:method>')

# 1. Head office, restricted caller: civic + circle, routing wanted.
TE_CALLER=2001
te_uas car1 127.0.0.1 5090 --hold 3000 --ruri 'sip:911@carrier\.invalid' \
	--hdr From "\"Desk 2001\" $site;tag=[^;]+" \
	--hdr Geolocation-Routing 'yes' "${multipart[@]}" \
	--body '<ca:civicAddress xml:lang="en">[[:space:]]*<ca:country>US</ca:country>[[:space:]]*<ca:A1>NY</ca:A1>[[:space:]]*<ca:A3>New York</ca:A3>[[:space:]]*<ca:RD>Broadway</ca:RD>[[:space:]]*<ca:HNO>1</ca:HNO>[[:space:]]*<ca:NAM>Acme &amp; Sons</ca:NAM>[[:space:]]*<ca:PC>10004</ca:PC>[[:space:]]*</ca:civicAddress>' \
	--body '<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326">[[:space:]]*<gml:pos>40\.7128 -74\.0060</gml:pos>[[:space:]]*<gs:radius uom="urn:ogc:def:uom:EPSG::9001">30</gs:radius>'
# The carrier rings for 3 s: meanwhile the call is listed as an emergency
# call by trunkctl calls (issue 4 item 6), in the background UAC's time.
python3 "$TE_EXPECT" uac "$TI_DIR/pbx1.xml" --final 200 || ti_fail "pbx1: scenario"
ti_start pbx1 sipp -sf "$TI_DIR/pbx1.xml" -m 1 -t u1 -i 127.0.0.1 \
	-p "$(ti_port 5070)" -key caller 2001 -s 911 -nostdin -timeout 15s \
	-timeout_error -trace_err -error_file "$TI_DIR/pbx1.err.log" "$ENT"
listed()
{
	local j
	j=$(ti_ctl calls) || return 1
	[ "$(ti_json "$j" "[c['emergency'] for c in j['calls']]")" = "[True]" ]
}
ti_wait_until 10 listed || ti_fail "trunkctl calls shows no emergency call: $(ti_ctl calls)"
ti_wait_exit pbx1 15 || ti_fail "pbx1: did not finish"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "pbx1: the call failed (SIPp exit $TI_EXIT_STATUS)"
te_uas_done car1
# INFO: the emergency call, its caller and sender, the location's source.
grep -qF 'emergency call to sip:911@carrier.invalid from 2001 (pbx hq) as +15550100000 (dial plan); location [location hq] of pbx hq, by value' \
	"$TI_DIR/trunkd.log" || ti_fail "no INFO line for the emergency call"
grep -qE 'call [0-9]+\] enterprise -> trunk: sip:911@carrier\.invalid \(emergency call\)' \
	"$TI_DIR/trunkd.log" || ti_fail "the call's INFO line does not mark it"

# 2. Branch: a point, no Geolocation-Routing.
TE_CALLER=2000
te_uas car2 127.0.0.1 5090 --ruri 'sip:911@carrier\.invalid' \
	--absent Geolocation-Routing "${multipart[@]}" \
	--body '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326">[[:space:]]*<gml:pos>51\.5072 -0\.1276</gml:pos>[[:space:]]*</gml:Point>'
te_uac pbx2 127.0.0.2 5070 "$ENT" 911 200
te_uas_done car2

# 3. By reference: Geolocation names the configured URI; a plain SDP
# body, no PIDF-LO, no Geolocation-Routing. trunkctl dialplan test and the
# log say so.
j=$(ti_ctl dialplan test 911 caller=2000 from=campus) || ti_fail "dialplan test: $j"
ti_json_check "$j" "[(h['name'], h['value']) for h in j['headers']] ==
	[('P-Asserted-Identity', '<sip:+15550100000@carrier.invalid;user=phone>'),
	 ('Geolocation', '<https://lis.example.com/loc/campus-7?sig=a1b2>')] and
	j['location'] == 'campus'" "dialplan test by reference"
TE_CALLER=2000
te_uas car4 127.0.0.1 5090 --ruri 'sip:911@carrier\.invalid' \
	--hdr Geolocation '<https://lis\.example\.com/loc/campus-7\?sig=a1b2>' \
	--hdr Content-Type 'application/sdp' --absent Geolocation-Routing \
	--hdr P-Asserted-Identity "$site" --absent Privacy \
	--not-body 'pidf|Content-ID|multipart'
te_uac pbx4 127.0.0.3 5070 "$ENT" 911 200
te_uas_done car4
grep -qF 'location [location campus] of pbx campus, by reference' \
	"$TI_DIR/trunkd.log" || ti_fail "no INFO line for the call by reference"

# 4. Not an emergency: no location at all.
te_uas car3 127.0.0.1 5090 \
	--ruri 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr Content-Type 'application/sdp' --absent Geolocation \
	--absent Geolocation-Routing
te_uac pbx3 127.0.0.1 5070 "$ENT" 2125551234 200
te_uas_done car3
grep -qE 'enterprise -> trunk: sip:\+12125551234@carrier\.invalid;user=phone$' \
	"$TI_DIR/trunkd.log" || ti_fail "a national call is marked as emergency"
ti_pass
