#!/usr/bin/env bash
# 136-media-ports-exhausted: the RTP port range holds two RTP/RTCP pairs
# ([media] rtp_port_max = rtp_port_min + 3), one call's worth (a pair per
# leg). With a call up, `trunkctl status` shows no pair free, and a second
# call from the PBX gets trunkd's "503 Service Unavailable" with
# "Retry-After: 60" (no 100 Trying: the call never gets as far as the
# INVITE toward the carrier, which never sees it).
# Once the first call has ended, its pairs are free again and serve the
# next call.
# REQ: none (the media relay's port range, docs/media.md; no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

sed 's/^rtp_port_max = 20999$/rtp_port_max = 20003/' \
	"$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
grep -q '^rtp_port_max = 20003$' "$TI_DIR/src.conf" ||
	ti_fail "cannot narrow the port range of peers/calls.conf"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
pairs() { ti_json "$(ti_ctl status)" "j['media']['pairs_free']"; }
[ "$(pairs)" = 2 ] || ti_fail "at start: $(pairs) pairs free, expected 2"

ti_start carrier sipp -sn uas -t u1 -i "$TC_CARRIER" -p "$(ti_port 5090)" \
	-nostdin -trace_msg -message_file "$TI_DIR/carrier.msg.txt"
ti_wait_until 10 ti__listening udp "$TC_CARRIER" "$(ti_port 5090)" ||
	ti_fail "the carrier does not listen"

# 1. A call up: both pairs in use.
tc_peer long "$TC_PBX" 5071 "$TI_ROOT/peers/pbx-call.xml" -s +15550100001 \
	-cid_str 'pbx-call-%u-%p@%s' -set trunkd "$(tc_trunkd ent)" \
	-set bye wait -set contact_tp udp "$(tc_trunkd ent)"
up() { [ "$(ti_json "$(ti_ctl calls)" "[c['state'] for c in j['calls']] == ['CONFIRMED']")" = True ]; }
ti_wait_until 10 up || ti_fail "the first call is not up"
[ "$(pairs)" = 0 ] || ti_fail "during the call: $(pairs) pairs free, expected 0"

# 2. A second call: trunkd's 503 with Retry-After, never at the carrier.
python3 "$TI_ROOT/peers/sipp_expect.py" uac "$TI_DIR/refused.xml" \
	--final 503 --from "<sip:2001@[local_ip]:[local_port]>" || ti_fail "scenario"
tc__uac refused "$TI_DIR/refused.xml" u1 5060 -i "$TC_PBX" \
	-p "$(ti_port 5072)" -s +15550100002 ||
	ti_fail "the second call did not get 503"
refusal=$(tr -d '\r' <"$TI_DIR/refused.msg.txt" |
	awk '/^SIP\/2\.0 503 /{p=1} p&&/^$/{exit} p')
grep -q '^Retry-After: 60$' <<<"$refusal" ||
	ti_fail "trunkd's 503 has no 'Retry-After: 60': $refusal"
# The call's own refusal, not the admission control's stateless 503 (which
# has no Retry-After: 60 either). A 100 Trying is no longer the sign of
# it: trunkd sends one only once the INVITE toward the carrier is out
# (960d554), and this call never gets there.
[ "$(ti_json "$(ti_ctl status)" 'sum(j["admission"]["refused"].values())')" = 0 ] ||
	ti_fail "the admission control refused the call: $(ti_ctl status)"
grep -q '+15550100002' "$TI_DIR/carrier.msg.txt" &&
	ti_fail "the refused call reached the carrier"

# 3. The first call ends: its pairs serve the next call.
id=$(ti_json "$(ti_ctl calls)" "j['calls'][0]['id']")
ti_ctl hangup "$id" >/dev/null || ti_fail "trunkctl hangup $id"
tc_peer_wait long
freed() { [ "$(pairs)" = 2 ]; }
ti_wait_until 10 freed || ti_fail "after the call: $(pairs) pairs free, expected 2"
tc_pbx after "$TI_ROOT/peers/pbx-call.xml" u1 -s +15550100003 \
	-set contact_tp udp || ti_fail "no call once the pairs were free again"
ti_stop carrier
ti_pass
