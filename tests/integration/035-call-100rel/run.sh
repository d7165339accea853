#!/usr/bin/env bash
# 035-call-100rel: reliable provisional responses (RFC 3262) across trunkd,
# each leg with its own RSeq and PRACK:
#   rel-early   the PBX supports 100rel, the carrier's reliable 183 carries
#               the answer: the PBX gets a reliable 183 (Require: 100rel,
#               RSeq) with trunkd's SDP, its PRACK reaches the carrier as
#               trunkd's PRACK (RAck of the carrier's RSeq and CSeq), the
#               carrier's 200 comes back, then 200/ACK/BYE;
#   rel-late    the same with an offerless INVITE: the offer is in the
#               reliable 183, the PBX's answer in its PRACK reaches the
#               carrier anchored (o=trunkd), the 200 has no SDP and both
#               ACKs are bodiless (SDP-1);
#   norel       the PBX does not support 100rel: it gets an unreliable 183
#               (no RSeq, no Require) and trunkd PRACKs the carrier itself;
#   require     the PBX requires 100rel (no 420 any more), the carrier's
#               183 is unreliable: the PBX still gets it reliably and its
#               PRACK is answered by trunkd; the carrier sees no PRACK;
#   late-norel  an offerless INVITE from a PBX without 100rel: trunkd's
#               INVITE must not offer 100rel (it could not answer an offer
#               in a reliable 18x); the carrier refuses it (480).
# Every INVITE to the carrier says Supported: timer and allows PRACK.
# prack-*.xml.part are the PRACK exchanges put into the templates; BLANK
# stands for their empty lines, which tc_template drops from a value.
# REQ: SDP-1, SC-6-2, SC-6-1 (partly: RFC 3262 on both legs)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

sdp()
{
	printf 'v=0\no=%s 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\nm=audio %s RTP/AVP 0\na=rtpmap:0 PCMU/8000' \
		"$1" "$2" "$2" "$3"
}
PBX_SDP=$(sdp pbx 192.0.2.10 40000)
CARRIER_SDP=$(sdp carrier 198.51.100.20 50000)
CT='Content-Type: application/sdp'
REL='Require: 100rel
RSeq: 1'
SUP_100REL='<ereg regexp="(^|[ ,])100rel([ ,]|$)" search_in="hdr" header="Supported:" check_it="true" assign_to="sup_100rel"/>
<log message="Supported has 100rel: [$sup_100rel]"/>'
RELIABLE='<ereg regexp="(^|[ ,])100rel([ ,]|$)" search_in="hdr" header="Require:" check_it="true" assign_to="req_100rel"/>
<ereg regexp="^ *([0-9]+)$" search_in="hdr" header="RSeq:" check_it="true" assign_to="rseq_hdr,rseq"/>
<log message="reliable 183: Require [$req_100rel], RSeq [$rseq] ([$rseq_hdr])"/>'
UNRELIABLE='<ereg regexp="RSeq:|100rel" search_in="msg" check_it_inverse="true" assign_to="rel_hdrs"/>
<log message="unreliable 183: no RSeq or 100rel [$rel_hdrs]"/>'
PRACK_EMPTY='<ereg regexp="^ *0$" search_in="hdr" header="Content-Length:" check_it="true" assign_to="prack_empty"/>
<log message="PRACK without a body [$prack_empty]"/>'
PRACK_ANSWER='<ereg regexp="o=trunkd [0-9]+ [0-9]+ IN IP4 127\.0\.0\.1" search_in="body" check_it="true" assign_to="prack_sdp"/>
<ereg regexp="198\.51\.100\.20|192\.0\.2\.10" search_in="body" check_it_inverse="true" assign_to="prack_raw"/>
<log message="PRACK carries the answer, anchored: [$prack_sdp], no raw address [$prack_raw]"/>'
INVITE_EMPTY='<ereg regexp="^ *0$" search_in="hdr" header="Content-Length:" check_it="true" assign_to="inv_empty"/>
<log message="offerless INVITE [$inv_empty]"/>'

# call NAME PBX_HDR LATE(yes|no) CARRIER_REL(yes|no) PBX_RELIABLE(yes|no)
# CARRIER_PRACK(yes|no)
call()
{
	local name=$1 hdr=$2 late=$3 crel=$4 prel=$5 cprack=$6 rc=0
	local inv_ct=$CT inv_sdp=$PBX_SDP ok_ct=$CT ok_sdp=$CARRIER_SDP
	local prack_ct='' prack_sdp='' prack_checks=$PRACK_EMPTY
	local inv_checks=$SUP_100REL pprack='' cprack_xml='' rel=''
	if [ "$late" = yes ]; then
		inv_ct='' inv_sdp='' ok_ct='' ok_sdp=''
		prack_ct=$CT prack_sdp=$PBX_SDP prack_checks=$PRACK_ANSWER
		inv_checks="$SUP_100REL
$INVITE_EMPTY"
	fi
	[ "$crel" = yes ] && rel=$REL
	if [ "$prel" = yes ]; then
		tc_template "$TI_TEST_DIR/prack-pbx.xml.part" "$TI_DIR/$name.pp" \
			PRACK_CT="$prack_ct" PRACK_SDP="$prack_sdp" BLANK=" "
		pprack=$(cat "$TI_DIR/$name.pp")
	fi
	if [ "$cprack" = yes ]; then
		tc_template "$TI_TEST_DIR/prack-carrier.xml.part" \
			"$TI_DIR/$name.cp" PRACK_CHECKS="$prack_checks" BLANK=" "
		cprack_xml=$(cat "$TI_DIR/$name.cp")
	fi
	tc_template "$TI_TEST_DIR/carrier.xml.in" "$TI_DIR/carrier-$name.xml" \
		REL_HDRS="$rel" PRACK="$cprack_xml" INVITE_CHECKS="$inv_checks" \
		OK_CT="$ok_ct" OK_SDP="$ok_sdp"
	tc_template "$TI_TEST_DIR/pbx.xml.in" "$TI_DIR/pbx-$name.xml" \
		EXT_HDR="$hdr" INV_CT="$inv_ct" INV_SDP="$inv_sdp" \
		PROV_CHECKS="$([ "$prel" = yes ] && echo "$RELIABLE" || echo "$UNRELIABLE")" \
		PRACK="$pprack"
	tc_peer "carrier-$name" "$TC_CARRIER" 5090 "$TI_DIR/carrier-$name.xml" \
		-set trunkd "$(tc_trunkd trunk)"
	tc_pbx "pbx-$name" "$TI_DIR/pbx-$name.xml" u1 -s +15550100001 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$name: PBX scenario failed (SIPp exit $rc)"
	tc_peer_wait "carrier-$name"
}

call rel-early 'Supported: 100rel, timer' no yes yes yes
call rel-late 'Supported: 100rel' yes yes yes yes
call norel '' no yes no yes
call require 'Require: 100rel' no no yes no

# late-norel: the carrier asserts trunkd's INVITE does not offer 100rel.
tc_template "$TI_TEST_DIR/carrier-no100rel.xml.in" \
	"$TI_DIR/carrier-late-norel.xml"
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-late-norel.xml" \
	STATUS=480 MAX_FORWARDS=70 FOREIGN='127\.0\.0\.3' CHECKS=''
sed -i '/Content-Type: application\/sdp/d; /^ *[vosctma]=/d' \
	"$TI_DIR/pbx-late-norel.xml"
tc_peer carrier-late-norel "$TC_CARRIER" 5090 "$TI_DIR/carrier-late-norel.xml"
rc=0
tc_pbx pbx-late-norel "$TI_DIR/pbx-late-norel.xml" u1 -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "late-norel: PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier-late-norel
ti_pass
