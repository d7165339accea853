#!/usr/bin/env bash
# 107-inbound-contact: STA-3's second half, "a Contact we supplied
# earlier". In Static mode trunkd's Contact toward the carrier has no user
# part (<sip:HOST:PORT;transport=udp>), so a carrier INVITE to it names
# nobody; trunkd rings the trunk's main number, its first Enterprise
# Public Identity (+15550100000 of calls.conf's +15550100000-+15550100099),
# as if that DID had been called (docs/identity.md).
#   1. The PBX calls the carrier; the Contact of trunkd's INVITE to the
#      carrier is read from the carrier's log.
#   2. The carrier sends a new INVITE (out of dialog) whose Request-URI is
#      exactly that Contact (To names +15550100042: routing on To would be
#      wrong, ID-2). The PBX must get trunkd's INVITE for
#      sip:+15550100000@<its address> and the call completes.
#   3. A user-less Request-URI at a host that is not trunkd's
#      (sip:carrier.invalid) gets 404 and never reaches the PBX.
# REQ: STA-3, ID-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

# 1. The Contact trunkd supplies to the carrier.
tc_outbound_call u1
contact=$(python3 - "$TI_DIR/carrier-u1.msg.txt" <<'PY'
import re, sys
for b in open(sys.argv[1], encoding="latin-1").read().split("-" * 47 + " "):
    if "message received" in b and "\nINVITE " in b:
        m = re.search(r"^Contact: *<([^>]+)>", b, re.M)
        print(m.group(1) if m else "")
        break
PY
)
[ -n "$contact" ] || ti_fail "no Contact in trunkd's INVITE to the carrier"
case $contact in
*@*) ti_fail "trunkd's Contact $contact has a user part: this test is about user-less ones" ;;
esac
ti_log "trunkd's Contact toward the carrier: $contact"

# 2. A carrier INVITE to that Contact rings the main number.
sed 's/+15550100001@\[local_ip\]/+15550100000@[local_ip]/' \
	"$TI_ROOT/peers/pbx-answer.xml" >"$TI_DIR/pbx-main.xml"
grep -q '+15550100000@' "$TI_DIR/pbx-main.xml" || ti_fail "cannot edit pbx-answer.xml"
sed 's|^      INVITE sip:\[service\]@\[remote_ip\]:\[remote_port\] SIP/2.0$|      INVITE [contact_uri] SIP/2.0|' \
	"$TI_ROOT/peers/carrier-invite.xml" >"$TI_DIR/carrier-contact.xml"
grep -q 'INVITE \[contact_uri\]' "$TI_DIR/carrier-contact.xml" || ti_fail "cannot edit carrier-invite.xml"
tc_peer pbx "$TC_PBX" 5070 "$TI_DIR/pbx-main.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
rc=0
tc_carrier carrier "$TI_DIR/carrier-contact.xml" -key contact_uri "$contact" || rc=$?
[ "$rc" = 0 ] || ti_fail "the INVITE to trunkd's Contact failed (SIPp exit $rc)"
tc_peer_wait pbx

# 3. No user part, not our host: 404, nothing reaches the PBX.
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/other.xml" \
	STATUS=404 FOREIGN='127\.0\.0\.2' MAX_FORWARDS=70 CHECKS=
sed -i 's|^      INVITE sip:\[service\]@\[remote_ip\]:\[remote_port\] SIP/2.0$|      INVITE sip:carrier.invalid SIP/2.0|' \
	"$TI_DIR/other.xml"
grep -q 'INVITE sip:carrier.invalid ' "$TI_DIR/other.xml" || ti_fail "cannot edit uac-rejected.xml.in"
tc__uac other "$TI_DIR/other.xml" u1 5080 -i "$TC_CARRIER" \
	-p "$(ti_port 5072)" -s x -set trunkd "$(tc_trunkd trunk)" || rc=$?
[ "$rc" = 0 ] || ti_fail "a user-less INVITE to another host did not get 404 (SIPp exit $rc)"
n=$(grep -c '^INVITE ' "$TI_DIR/pbx.msg.txt" || true)
[ "$n" = 1 ] || ti_fail "the PBX got $n INVITEs, want exactly the main number's one"
ti_pass
