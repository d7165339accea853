#!/usr/bin/env bash
# 065-forward-per-phone: per-extension forwarding of calls from the trunk
# by new INVITE (FWD-1; issue 4 item 7: unconditional and busy).
#  1. bob (forward_busy) is registered and answers 486: the carrier's
#     SP-SSE (SIPp on 127.0.0.1:5091) gets an INVITE to +12125550000 with
#     the DID +15550100202 in PAI and History-Info with cause 486, the
#     original caller in From; the carrier's call is answered.
#  2. carol (forward_always) is not registered: her DID +15550100203 is
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

bob_port=$(ti_port 5072)
rc=0
ti_sipp bob-register "$TI_ROOT/025-phone-calls/register-as.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -au bob -ap bob-pw-2 -key user bob \
	-key contact_port "$bob_port" || rc=$?
[ "$rc" = 0 ] || ti_fail "bob could not register (SIPp exit $rc)"

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
		--absent Privacy --not-body "127\\.0\\.0\\.1:$bob_port"
}

# 1. bob is busy.
te_uas bob 127.0.0.1 5072 --final 486 \
	--ruri "sip:bob@127\\.0\\.0\\.1:$bob_port"
forwarded sse1 +15550100202 +12125550000 486
te_uac carrier1 127.0.0.1 5090 "127.0.0.1:$(ti_port 5080)" +15550100202 200
te_uas_done bob
te_uas_done sse1

# 2. carol forwards everything, registered or not.
forwarded sse2 +15550100203 +12125550001 302
te_uac carrier2 127.0.0.1 5090 "127.0.0.1:$(ti_port 5080)" +15550100203 200
te_uas_done sse2
ti_pass
