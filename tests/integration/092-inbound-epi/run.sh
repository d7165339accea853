#!/usr/bin/env bash
# 092-inbound-epi: STA-3: a carrier's INVITE reaches the enterprise only
# when its Request-URI names one of the trunk's Enterprise Public
# Identities (`identities = +15550100000-+15550100099` in
# ../peers/calls.conf). A number just outside the range, one of another
# length and a national (non-E.164) form get 404 from trunkd and never reach the PBX; a DID in the range then rings the
# PBX (which must see exactly that one INVITE).
# REQ: STA-3
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 69

# not_epi NAME USER: the carrier's INVITE to USER gets 404, with no PBX
# address in it.
not_epi()
{
	local name=$1 user=$2 rc=0
	tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/$name.xml" \
		STATUS=404 FOREIGN='127\.0\.0\.2' MAX_FORWARDS=70 CHECKS=
	tc__uac "$name" "$TI_DIR/$name.xml" u1 5080 -i "$TC_CARRIER" \
		-p "$(ti_port 5072)" -s "$user" \
		-set trunkd "$(tc_trunkd trunk)" || rc=$?
	[ "$rc" = 0 ] || ti_fail "$name: INVITE to '$user' did not get 404 (SIPp exit $rc)"
}

not_epi above-range +15550100100
not_epi longer +155501000010
not_epi national 5550100001

rc=0
tc_carrier carrier "$TI_ROOT/peers/carrier-invite.xml" -s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "the call to the DID +15550100001 failed (SIPp exit $rc)"
tc_peer_wait pbx
n=$(grep -c '^INVITE ' "$TI_DIR/pbx.msg.txt" || true)
[ "$n" = 1 ] || ti_fail "the PBX got $n INVITEs, want exactly the DID's one"
ti_pass
