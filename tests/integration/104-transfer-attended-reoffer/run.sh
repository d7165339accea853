#!/usr/bin/env bash
# 104-transfer-attended-reoffer: after an attended transfer (3pcc,
# SIPconnect 12) the leg that stays is re-INVITEd when the joined party's
# codecs differ (SDP-3). The PBX consults phone eve (2002), then takes the
# carrier's call (offered PCMU and PCMA, answered PCMU) and REFERs it with
# Replaces naming the consultation. trunkd re-INVITEs eve in her dialog
# with the carrier's offer (PCMU and PCMA, her o= session at a higher
# version, the carrier call's relay port); eve takes PCMA only. Then:
#   - the PBX gets NOTIFY 200 and BYE, the consultation its BYE;
#   - the carrier is re-INVITEd in its dialog: PCMA only, the same relay
#     address and port, its o= session at a higher version (checked here),
#     nothing of the enterprise; trunkd ACKs its PCMA answer;
#   - PCMA flows both ways between the carrier and eve (rtp.py);
# and `trunkctl hangup` ends the call (BYE to both). 038's attended case
# is the other half: a joined party with the agreed codec, no re-INVITE.
# REQ: SDP-3, XFR-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start "$TI_ROOT/076-transfer-reoffer/eve.conf"
rc=0
tc__uac eve-register "$TI_ROOT/038-call-transfer/register-as.xml" u1 5060 \
	-i "$TC_PBX" -p "$(ti_port 5072)" -au eve -ap eve-pw-7 -key user eve \
	-key contact_port "$(ti_port 5071)" || rc=$?
[ "$rc" = 0 ] || ti_fail "eve could not register (SIPp exit $rc)"

calls_json() { ti_ctl calls; }
confirmed() { ti_json "$(calls_json)" "len([c for c in j['calls'] if c['state'] == 'CONFIRMED'])"; }
call_up() { [ "$(confirmed)" = "$1" ]; }

# The consultation: the PBX (from 127.0.0.2:5073) calls eve.
tc_peer eve "$TC_PBX" 5071 "$TI_TEST_DIR/eve.xml" -set trunkd "$(tc_trunkd ent)"
tc_peer consult "$TC_PBX" 5073 "$TI_TEST_DIR/consult.xml" -s 2002 \
	-cid_str 'consult-%u@%s' -set trunkd "$(tc_trunkd ent)" "$(tc_trunkd ent)"
ti_wait_until 10 call_up 1 || ti_fail "the consultation is not up: $(calls_json)"
totag=$(sed -n 's/^To: .*;tag=\([^;[:space:]]*\).*/\1/p' \
	"$TI_DIR/consult.msg.txt" | head -n 1)
[ -n "$totag" ] || ti_fail "no To tag in the consultation's 200"

# The carrier's call to the PBX, which transfers it once answered.
tc_peer pbx "$TC_PBX" 5070 "$TI_TEST_DIR/pbx.xml" -set trunkd "$(tc_trunkd ent)" \
	-key replaces "consult-1@$TC_PBX%3Bto-tag%3D$totag%3Bfrom-tag%3Dconsult-1"
tc_peer carrier "$TC_CARRIER" 5090 "$TI_ROOT/076-transfer-reoffer/carrier.xml" \
	-s +15550100001 -cid_str 'carrier-call-%u-%p@%s' \
	-set trunkd "$(tc_trunkd trunk)" "$(tc_trunkd trunk)"
tc_peer_wait pbx
tc_peer_wait consult

# The re-INVITE was answered: trunkd ACKed the carrier's answer.
reoffered() { [ "$(tc_msg_time carrier received '^ACK ' 2>/dev/null)" != none ]; }
ti_wait_until 10 reoffered || ti_fail "the carrier got no re-INVITE (or no ACK to its answer)"
# trunkd's 200 and its re-INVITE: one o= session, the version risen.
tc_o_versions carrier '<'

ti_exec python3 "$TI_TEST_DIR/rtp.py" "$TI_DIR/carrier.msg.txt" \
	"$TI_DIR/eve.msg.txt" >"$TI_DIR/rtp.log" 2>&1 ||
	{ cat "$TI_DIR/rtp.log" >&2; ti_fail "no PCMA between the carrier and eve after the re-INVITE"; }
ti_log "$(cat "$TI_DIR/rtp.log")"

ti_wait_until 5 call_up 1 || ti_fail "not one call left after the join: $(calls_json)"
id=$(ti_json "$(calls_json)" '[c["id"] for c in j["calls"] if c["state"] == "CONFIRMED"][0]')
out=$(ti_ctl hangup "$id") || ti_fail "trunkctl hangup failed: $out"
tc_peer_wait carrier
tc_peer_wait eve
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
