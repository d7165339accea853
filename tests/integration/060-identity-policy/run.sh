#!/usr/bin/env bash
# 060-identity-policy: header policing by configuration (issue 4 item 4)
# and P-Preferred-Identity (ID-11), asserted on the wire.
# Outbound, the carrier (SIPp) asserts the exact identity headers and the
# absence of everything the enterprise must not leak:
#  1. trusted PBX, PAI an identity of the trunk: asserted as sent (in ID-1
#     form at the carrier's domain), PPI the same, X-Account and
#     User-to-User passed; History-Info, Remote-Party-ID, Diversion,
#     X-Internal and Privacy absent;
#  2. trusted PBX, PAI not an identity of the trunk: replaced by the
#     trunk's default identity;
#  3. untrusted PBX with PAI and PPI: its PAI is ignored, its PPI chosen;
#  4. untrusted PBX with PAI only: the trunk's default identity.
# Inbound, the PBX asserts what it is given:
#  5. trusted PBX: the carrier's PAI and Privacy: id as the carrier sent
#     them, an anonymous From;
#  6. after a reload with trust_identity = no: no PAI, no Privacy.
# REQ: ID-3, ID-4, ID-8, ID-9, ID-11
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/expect.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/extra.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 10
ti_wait_port udp 127.0.0.1 "$(ti_port 5080)" 10
ENT="127.0.0.1:$(ti_port 5060)"
TRK="127.0.0.1:$(ti_port 5080)"
at='@carrier\.invalid;user=phone>'
ruri='sip:\+12125551234@carrier\.invalid;user=phone'
leak=(--absent History-Info --absent Remote-Party-ID --absent Diversion
	--absent X-Internal --absent Privacy)

# 1. Trusted PBX asserting one of the trunk's identities.
te_uas car1 127.0.0.1 5090 --ruri "$ruri" \
	--hdr P-Asserted-Identity "<sip:\+15550100042$at" \
	--hdr P-Preferred-Identity "<sip:\+15550100042$at" \
	--hdr From "\"Desk 2000\" <sip:\+15550100042$at;tag=[^;]+" \
	--hdr X-Account '42' --hdr User-to-User '3a3b;encoding=hex' "${leak[@]}" \
	--not-body 'X-Account: *X-Account' --not-body 'User-to-User: *User-to-User'
te_uac pbx1 127.0.0.1 5070 "$ENT" +12125551234 200 \
	'P-Asserted-Identity: <sip:+15550100042@127.0.0.1;user=phone>' \
	'History-Info: <sip:2000@127.0.0.1>;index=1' \
	'Remote-Party-ID: "Desk 2000" <sip:2000@127.0.0.1>;party=calling' \
	'Diversion: <sip:2001@127.0.0.1>;reason=unconditional' \
	'X-Internal: secret' 'X-Account: 42' 'User-to-User: 3a3b;encoding=hex'
te_uas_done car1

# 2. Trusted PBX asserting a number that is not the trunk's.
te_uas car2 127.0.0.1 5090 --ruri "$ruri" \
	--hdr P-Asserted-Identity "<sip:\+15550100000$at" "${leak[@]}"
te_uac pbx2 127.0.0.1 5070 "$ENT" +12125551234 200 \
	'P-Asserted-Identity: <tel:+15559990000>'
te_uas_done car2

# 3. Untrusted PBX: its PAI is dropped, its PPI chooses the identity.
te_uas car3 127.0.0.1 5090 --ruri "$ruri" \
	--hdr P-Asserted-Identity "<sip:\+15550100043$at" \
	--hdr P-Preferred-Identity "<sip:\+15550100043$at" "${leak[@]}"
te_uac pbx3 127.0.0.2 5070 "$ENT" +12125551234 200 \
	'P-Asserted-Identity: <sip:+15550100042@127.0.0.2;user=phone>' \
	'P-Preferred-Identity: <sip:+15550100043@127.0.0.2;user=phone>'
te_uas_done car3

# 4. Untrusted PBX with a PAI only: the trunk's default identity.
te_uas car4 127.0.0.1 5090 --ruri "$ruri" \
	--hdr P-Asserted-Identity "<sip:\+15550100000$at" "${leak[@]}"
te_uac pbx4 127.0.0.2 5070 "$ENT" +12125551234 200 \
	'P-Asserted-Identity: <sip:+15550100042@127.0.0.2;user=phone>'
te_uas_done car4

# 5. Inbound to the trusted PBX: the carrier's PAI and Privacy pass.
cpai='<sip:+12125557777@carrier.invalid;user=phone>'
te_uas pbx5 127.0.0.1 5070 --final 486 \
	--hdr P-Asserted-Identity '<sip:\+12125557777@carrier\.invalid;user=phone>' \
	--hdr Privacy 'id' \
	--hdr From '"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=[^;]+'
te_uac car5 127.0.0.1 5090 "$TRK" +15550100007 486 \
	"P-Asserted-Identity: $cpai" 'Privacy: id'
te_uas_done pbx5

# 6. The same PBX untrusted after a reload: nothing of the identity.
sed -i 's/^trust_identity = yes$/trust_identity = no/' "$TI_DIR/trunkd.conf"
grep -q '^trust_identity = no$' "$TI_DIR/trunkd.conf" ||
	ti_fail "could not turn trust_identity off"
reply=$(ti_ctl reload) || ti_fail "reload: $reply"
ti_json_check "$reply" 'j["ok"] is True' "reload reply"
te_uas pbx6 127.0.0.1 5070 --final 486 --absent P-Asserted-Identity \
	--absent Privacy \
	--hdr From '"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=[^;]+'
te_uac car6 127.0.0.1 5090 "$TRK" +15550100007 486 \
	"P-Asserted-Identity: $cpai" 'Privacy: id'
te_uas_done pbx6
ti_pass
