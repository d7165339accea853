#!/usr/bin/env bash
# 062-forward-new-invite: a DID the dial plan forwards to an external
# number leaves as a new INVITE (FWD-1, SIPconnect 11.1). The forward-to
# SP-SSE (SIPp on 127.0.0.1:5091) asserts exactly:
#   R-URI and To = the target sip:+12125550000@forward.invalid;user=phone;
#   From = the original caller as the carrier sent it;
#   P-Asserted-Identity = the forwarding DID, an identity of the enterprise,
#   in ID-1 form;
#   History-Info (RFC 7044) = the DID with the Reason (cause 302) as
#   index 1, the target with cause=302 as index 1.1 mapped from it;
#   no Privacy, no trace of the carrier's PAI.
# The call is answered end to end. A second call with Privacy: id from an
# anonymous caller keeps both (From anonymous, Privacy: id), PAI and
# History-Info unchanged.
# REQ: FWD-1, ID-1, ID-6, ID-7, ID-8
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/extra.conf"
sed -i 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' "$TI_DIR/trunkd.conf"
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5080)" 10
EXPECT="$TI_ROOT/peers/sipp_expect.py"

# forward NAME FROM_RE PRIVACY_ARGS... -- UAC_FROM UAC_HEADER...
forward()
{
	local name=$1 from_re=$2 rc=0 h
	local uas_args=() uac_args=()
	shift 2
	while [ "$1" != -- ]; do uas_args+=("$1"); shift; done
	shift
	local uac_from=$1
	shift
	for h in "$@"; do uac_args+=(--header "$h"); done
	python3 "$EXPECT" uas "$TI_DIR/$name-target.xml" \
		--ruri 'sip:\+12125550000@forward\.invalid;user=phone' \
		--hdr To '<sip:\+12125550000@forward\.invalid;user=phone>' \
		--hdr From "$from_re;tag=[^;]+" \
		--hdr P-Asserted-Identity '<sip:\+15550100300@forward\.invalid;user=phone>' \
		--hdr History-Info '<sip:\+15550100300@forward\.invalid;user=phone\?Reason=SIP%3Bcause%3D302>;index=1, *<sip:\+12125550000@forward\.invalid;user=phone;cause=302>;index=1\.1;mp=1' \
		--absent Remote-Party-ID --absent Diversion "${uas_args[@]}" ||
		ti_fail "$name: scenario"
	python3 "$EXPECT" uac "$TI_DIR/$name-carrier.xml" --from "$uac_from" \
		"${uac_args[@]}" || ti_fail "$name: scenario"
	ti_start "$name-target" sipp -sf "$TI_DIR/$name-target.xml" -m 1 \
		-t u1 -i 127.0.0.1 -p "$(ti_port 5091)" -nostdin -timeout 20s \
		-timeout_error -trace_msg -message_file "$TI_DIR/$name-target.msg.txt" \
		-trace_err -error_file "$TI_DIR/$name-target.err.log"
	ti_wait_port udp 127.0.0.1 "$(ti_port 5091)" 10
	ti_exec sipp -sf "$TI_DIR/$name-carrier.xml" -m 1 -t u1 -i 127.0.0.1 \
		-p "$(ti_port 5090)" -s +15550100300 -nostdin -timeout 15s \
		-timeout_error -trace_msg -message_file "$TI_DIR/$name-carrier.msg.txt" \
		-trace_err -error_file "$TI_DIR/$name-carrier.err.log" \
		"127.0.0.1:$(ti_port 5080)" >"$TI_DIR/$name-carrier.screen.txt" 2>&1 ||
		rc=$?
	[ "$rc" = 0 ] || ti_fail "$name: the forwarded call was not answered (SIPp exit $rc)"
	ti_wait_exit "$name-target" 15 || ti_fail "$name: the target did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] ||
		ti_fail "$name: the target's assertions failed (SIPp exit $TI_EXIT_STATUS, see $name-target.err.log)"
}

forward plain '"Caller" <sip:\+12125557777@carrier\.invalid;user=phone>' \
	--absent Privacy -- \
	'"Caller" <sip:+12125557777@carrier.invalid;user=phone>' \
	'P-Asserted-Identity: <sip:+12125557777@carrier.invalid;user=phone>'
forward private '"Anonymous" <sip:anonymous@anonymous\.invalid>' \
	--hdr Privacy 'id' -- \
	'"Anonymous" <sip:anonymous@anonymous.invalid>' \
	'P-Asserted-Identity: <sip:+12125557777@carrier.invalid;user=phone>' \
	'Privacy: id'
ti_pass
