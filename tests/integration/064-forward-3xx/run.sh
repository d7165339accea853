#!/usr/bin/env bash
# 064-forward-3xx: with [trunk local] enterprise_3xx = forward, the PBX's
# 302 for an inbound call becomes a forward by new INVITE (FWD-1,
# SIPconnect 11.1) instead of a deflection. The carrier calls DID
# +15550100205; the PBX answers 302 to sip:+12125550000@<its address>;
# the carrier's SP-SSE (SIPp on 127.0.0.1:5091) must get an INVITE with
#   R-URI and To = sip:+12125550000@carrier.invalid;user=phone (ID-6, ID-7),
#   From = the original caller as the carrier sent it,
#   P-Asserted-Identity = the DID in ID-1 form (ID-8),
#   History-Info = the DID with Reason cause 302 (index 1), the target with
#   cause=302 mapped from it (index 1.1),
#   nothing of the PBX's address (127.0.0.1:5070) anywhere,
# and answers; the carrier's call is answered end to end.
# REQ: FWD-1, ID-6, ID-7, ID-8
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/expect.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/extra.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5080)" 10
target='sip:\+12125550000@carrier\.invalid;user=phone'
did='sip:\+15550100205@carrier\.invalid;user=phone'

te_uas pbx 127.0.0.1 5070 --final 302 \
	--contact "sip:+12125550000@127.0.0.1:$(ti_port 5070)" \
	--ruri 'sip:\+15550100205@127\.0\.0\.1:[0-9]+;transport=udp'
te_uas sse 127.0.0.1 5091 --ruri "$target" --hdr To "<$target>" \
	--hdr From '"Caller" <sip:\+12125557777@carrier\.invalid;user=phone>;tag=[^;]+' \
	--hdr P-Asserted-Identity "<$did>" \
	--hdr History-Info "<$did\\?Reason=SIP%3Bcause%3D302>;index=1, *<$target;cause=302>;index=1\\.1;mp=1" \
	--absent Privacy --not-body "127\\.0\\.0\\.1:$(ti_port 5070)"
TE_FROM='"Caller" <sip:+12125557777@carrier.invalid;user=phone>' te_uac carrier 127.0.0.1 5090 "127.0.0.1:$(ti_port 5080)" \
	+15550100205 200 \
	'P-Asserted-Identity: <sip:+12125557777@carrier.invalid;user=phone>'
te_uas_done pbx
te_uas_done sse
ti_pass
