#!/usr/bin/env bash
# 067-emergency-shipped-plans: every emergency number of every shipped
# dial plan (dialplan/plans/, included unchanged), dialled by extension 250
# whose presentation is restricted, reaches the carrier (SIPp) as a call
# with the identity still present (EM-3): R-URI = the national emergency
# number as a dial string (EM-2), To = R-URI, From and P-Asserted-Identity
# = the plan's identity for 250 in ID-1 form, no Privacy header. A national
# call from 250 under the same plan is anonymous with Privacy: id, so the
# restriction is in force. Plans are switched by trunkctl reload.
# REQ: EM-1, EM-2, EM-3, ID-7, ID-9, ID-10
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/expect.sh"
ti_setup

cp "$SOURCE_ROOT"/dialplan/plans/*.dialplan "$TI_DIR/"
cat "$SOURCE_ROOT/config/trunkd.conf" "$TI_TEST_DIR/extra.conf" |
	sed -e '/^\[trunk local\]$/,/^$/d' -e '/^\[pbx local\]$/,/^$/d' \
		-e 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' \
		>"$TI_DIR/src.conf"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"

# use PLAN: the test's plan includes dialplan/plans/PLAN.
use()
{
	sed "s|@PLAN@|$1.dialplan|" "$TI_TEST_DIR/restricted.dialplan.in" \
		>"$TI_DIR/test.dialplan"
}
use nanp
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 10
ENT="127.0.0.1:$(ti_port 5060)"
TE_FROM='<sip:[caller]@[local_ip]:[local_port]>'
TE_CALLER=250

# emergency NUMBER DIALLED IDENTITY: 250 dials DIALLED; the carrier must
# get the emergency number NUMBER with IDENTITY in From and PAI.
emergency()
{
	local n=$1 dialled=$2 id=${3//+/\\+} name="em-$plan-$2"
	te_uas "car-$name" 127.0.0.1 5090 --ruri "sip:$n@carrier\\.invalid" \
		--hdr To "<sip:$n@carrier\\.invalid>" \
		--hdr From "<sip:$id@carrier\\.invalid;user=phone>;tag=[^;]+" \
		--hdr P-Asserted-Identity "<sip:$id@carrier\\.invalid;user=phone>" \
		--absent Privacy
	te_uac "pbx-$name" 127.0.0.1 5070 "$ENT" "$dialled" 200
	te_uas_done "car-$name"
}

# national DIALLED E164 IDENTITY: the same caller is anonymous otherwise.
national()
{
	local e=${2//+/\\+} id=${3//+/\\+} name="nat-$plan"
	te_uas "car-$name" 127.0.0.1 5090 \
		--ruri "sip:$e@carrier\\.invalid;user=phone" \
		--hdr From '"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=[^;]+' \
		--hdr P-Asserted-Identity "<sip:$id@carrier\\.invalid;user=phone>" \
		--hdr Privacy 'id'
	te_uac "pbx-$name" 127.0.0.1 5070 "$ENT" "$1" 200
	te_uas_done "car-$name"
}

reload()
{
	local j
	use "$1"
	j=$(ti_ctl reload) || ti_fail "reload with $1.dialplan: $j"
}

plan=nanp
for n in 911 933; do emergency $n $n +12125550250; done
emergency 911 9911 +12125550250
emergency 933 9933 +12125550250
national 2125551234 +12125551234 +12125550250

plan=uk
reload uk
for n in 999 112; do emergency $n $n +442079460250; done
national 02071234567 +442071234567 +442079460250

plan=germany
reload germany
for n in 110 112; do emergency $n $n +49301234567250; done
national 0301234567 +49301234567 +49301234567250

plan=france
reload france
for n in 15 17 18 112 114 115 119 116000; do
	emergency $n $n +33199000250
done
national 0123456789 +33123456789 +33199000250
ti_pass
