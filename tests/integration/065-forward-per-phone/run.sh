#!/usr/bin/env bash
# 065-forward-per-phone: per-extension forwarding of calls from the trunk
# by new INVITE (FWD-1; issue 4 item 7: unconditional, busy, no answer).
#  1. bob (forward_busy) is registered and answers 486: the carrier's
#     SP-SSE (SIPp on 127.0.0.1:5091) gets an INVITE to +12125550000 with
#     the DID +15550100202 in PAI and History-Info with cause 486, the
#     original caller in From; the carrier's call is answered.
#  2. dave (forward_no_answer, 1 s) rings and never answers: trunkd
#     cancels his call and forwards to +12125550002, cause 408;
#  3. carol (forward_always) is not registered: her DID +15550100203 is
#     forwarded at once to +12125550001, History-Info cause 302.
# REQ: FWD-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/expect.sh"
ti_setup

ti_config_default --drop enterprise --drop "trunk local" "$TI_TEST_DIR/extra.conf"
sed -i 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' "$TI_DIR/trunkd.conf"
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 10

# register NAME PASSWORD PORT: the phone's contact is 127.0.0.1:PORT.
register()
{
	local rc=0
	ti_sipp "$1-register" "$TI_ROOT/025-phone-calls/register-as.xml" u1 \
		127.0.0.1 "$(ti_port 5060)" -au "$1" -ap "$2" -key user "$1" \
		-key contact_port "$3" || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1 could not register (SIPp exit $rc)"
}
bob_port=$(ti_port 5072)
dave_port=$(ti_port 5073)
register bob bob-pw-2 "$bob_port"
register dave dave-pw-4 "$dave_port"

TE_FROM='"Caller" <sip:+12125557777@carrier.invalid;user=phone>'
caller='"Caller" <sip:\+12125557777@carrier\.invalid;user=phone>;tag=[^;]+'

# forwarded NAME DID TARGET CAUSE: the SP-SSE's assertions for a forward.
forwarded()
{
	local t="sip:\\$3@carrier\\.invalid;user=phone"
	local d="sip:\\$2@carrier\\.invalid;user=phone"
	te_uas "$1" 127.0.0.1 5091 --ruri "$t" --hdr To "<$t>" \
		--hdr From "$caller" --hdr P-Asserted-Identity "<$d>" \
		--hdr History-Info "<$d\\?Reason=SIP%3Bcause%3D$4>;index=1, *<$t;cause=$4>;index=1\\.1;mp=1" \
		--absent Privacy --not-body "127\\.0\\.0\\.1:$bob_port" \
		--not-body "127\\.0\\.0\\.1:$dave_port"
}

# 1. bob is busy.
te_uas bob 127.0.0.1 5072 --final 486 \
	--ruri "sip:bob@127\\.0\\.0\\.1:$bob_port"
forwarded sse1 +15550100202 +12125550000 486
te_uac carrier1 127.0.0.1 5090 "127.0.0.1:$(ti_port 5080)" +15550100202 200
te_uas_done bob
te_uas_done sse1

# 2. dave's phone rings (180 without SDP) and never answers: after 1 s
# trunkd cancels it (his SIPp requires the CANCEL) and forwards, cause 408.
ti_start dave sipp -sf "$TI_TEST_DIR/phone-rings.xml" -m 1 -t u1 \
	-i 127.0.0.1 -p "$dave_port" -nostdin -timeout 20s -timeout_error \
	-trace_msg -message_file "$TI_DIR/dave.msg.txt" \
	-trace_err -error_file "$TI_DIR/dave.err.log"
ti_wait_port udp 127.0.0.1 "$dave_port" 10
forwarded sse3 +15550100204 +12125550002 408
te_uac carrier3 127.0.0.1 5090 "127.0.0.1:$(ti_port 5080)" +15550100204 200
te_uas_done dave
te_uas_done sse3

# 3. carol forwards everything, registered or not.
forwarded sse2 +15550100203 +12125550001 302
te_uac carrier2 127.0.0.1 5090 "127.0.0.1:$(ti_port 5080)" +15550100203 200
te_uas_done sse2
ti_pass
