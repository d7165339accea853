#!/usr/bin/env bash
# 076-transfer-reoffer: after a transfer the remaining leg is re-INVITEd
# when the new party's codecs differ (SDP-3, SIPconnect 12). The carrier
# calls the PBX offering PCMU and PCMA; the PBX answers PCMU. `trunkctl
# transfer ID 2002` calls phone eve (registered), whose answer names PCMA
# only. trunkd then
#   - sends the PBX BYE (eve took its place);
#   - re-INVITEs the carrier in its dialog: PCMA only, the same relay
#     address and port, its o= the same session as in its 200 with a
#     higher version (checked here from the carrier's message log), no
#     enterprise address; ACKs the carrier's PCMA answer;
#   - relays PCMA both ways between the carrier and eve (rtp.py);
# and `trunkctl hangup` ends the call (BYE to both). Test 038 proves the
# other half: a target with the agreed codec causes no re-INVITE.
# REQ: SDP-3, XFR-1 (partly: 3pcc transfer keeps media signalled)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start "$TI_TEST_DIR/eve.conf"
rc=0
tc__uac eve-register "$TI_ROOT/038-call-transfer/register-as.xml" u1 5060 \
	-i "$TC_PBX" -p "$(ti_port 5072)" -au eve -ap eve-pw-7 -key user eve \
	-key contact_port "$(ti_port 5071)" || rc=$?
[ "$rc" = 0 ] || ti_fail "eve could not register (SIPp exit $rc)"

tc_peer pbx "$TC_PBX" 5070 "$TI_TEST_DIR/pbx.xml" -set trunkd "$(tc_trunkd ent)"
tc_peer eve "$TC_PBX" 5071 "$TI_TEST_DIR/eve.xml" -set trunkd "$(tc_trunkd ent)"
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml" \
	-s +15550100001 -cid_str 'carrier-call-%u-%p@%s' \
	-set trunkd "$(tc_trunkd trunk)" "$(tc_trunkd trunk)"

calls_json() { ti_ctl calls; }
call_up() { [ "$(ti_json "$(calls_json)" "len([c for c in j['calls'] if c['state'] == 'CONFIRMED'])")" = 1 ]; }
ti_wait_until 10 call_up || ti_fail "no established call to transfer: $(calls_json)"
id=$(ti_json "$(calls_json)" 'j["calls"][0]["id"]')
out=$(ti_ctl transfer "$id" 2002) || ti_fail "trunkctl transfer failed: $out"
tc_peer_wait pbx

# The re-INVITE was answered: trunkd ACKed the carrier's answer.
reoffered() { [ "$(tc_msg_time carrier received '^ACK ' 2>/dev/null)" != none ]; }
ti_wait_until 10 reoffered || ti_fail "the carrier got no re-INVITE (or no ACK to its answer)"
# trunkd's 200 and its re-INVITE: one o= session, the version risen.
tc_o_versions carrier '<'

ti_exec python3 "$TI_TEST_DIR/rtp.py" "$TI_DIR/carrier.msg.txt" \
	"$TI_DIR/eve.msg.txt" >"$TI_DIR/rtp.log" 2>&1 ||
	{ cat "$TI_DIR/rtp.log" >&2; ti_fail "no PCMA between the carrier and eve after the re-INVITE"; }
ti_log "$(cat "$TI_DIR/rtp.log")"

out=$(ti_ctl hangup "$id") || ti_fail "trunkctl hangup failed: $out"
tc_peer_wait carrier
tc_peer_wait eve
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
