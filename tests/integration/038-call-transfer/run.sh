#!/usr/bin/env bash
# 038-call-transfer: transfer by third-party call control (SIPconnect 12,
# XFR-1), the carrier seeing nothing of it. A second PBX "desk" (SIPp on
# 127.0.0.5) calls the carrier (127.0.0.3); phone eve, extension 2002,
# registered from 127.0.0.2, is the target (SIPp on 127.0.0.2:5070).
#   refer     a REFER whose Replaces names no call gets 481; the desk's
#             blind REFER to 2002 gets 202 and NOTIFY 100; trunkd calls
#             eve with its own INVITE and anchored SDP; when eve answers,
#             the desk gets NOTIFY 200 (terminated) and BYE; eve hangs up
#             and the carrier gets the BYE. The carrier's own REFER gets
#             405 and it never sees a REFER or re-INVITE.
#   ctl       the same call transferred by `trunkctl transfer ID 2002`:
#             the desk gets only the BYE; then RTP flows both ways
#             between eve and the carrier through the relay (rtp.py), and
#             `trunkctl hangup` ends the call.
#   busy      a blind REFER to eve, who is busy (486): NOTIFY 486
#             (terminated), the desk keeps the carrier and hangs up.
#   attended  the desk consults eve (a second call, 2002), then REFERs
#             the carrier's call with Replaces naming the consultation:
#             eve is re-INVITEd in her dialog (same o= session, higher
#             version, the carrier call's relay port) and joins the
#             carrier; the desk gets NOTIFY 200 and BYE on the first call
#             and BYE on the consultation.
# REQ: XFR-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

DESK=127.0.0.5
tc_trunkd_start "$TI_TEST_DIR/desk.conf"

rc=0
tc__uac eve-register "$TI_TEST_DIR/register-as.xml" u1 5060 \
	-i "$TC_PBX" -p "$(ti_port 5071)" -au eve -ap eve-pw-7 -key user eve \
	-key contact_port "$(ti_port 5070)" || rc=$?
[ "$rc" = 0 ] || ti_fail "eve could not register (SIPp exit $rc)"


# peers MODE TARGET_SCENARIO [CARRIER_SCENARIO [SIPP ARG...]]: the carrier
# and eve for one transfer (the SIPp ARGs for both).
peers()
{
	local mode=$1 target=$2 carrier=${3:-$TI_TEST_DIR/carrier.xml}
	shift $(($# < 3 ? $# : 3))
	tc_peer "carrier-$mode" "$TC_CARRIER" 5090 "$carrier" \
		-set trunkd "$(tc_trunkd trunk)" "$@"
	tc_peer "eve-$mode" "$TC_PBX" 5070 "$TI_TEST_DIR/$target" \
		-set trunkd "$(tc_trunkd ent)" "$@"
}

# desk NAME SCENARIO PORT [SIPP ARG...]: the desk placing a call.
desk()
{
	local name=$1 sf=$2 port=$3
	shift 3
	tc_peer "$name" "$DESK" "$port" "$TI_TEST_DIR/$sf" \
		-cid_str "$name-%u@%s" -set trunkd "$(tc_trunkd ent)" "$@" \
		"$(tc_trunkd ent)"
}

finish() { local p; for p in "$@"; do tc_peer_wait "$p"; done; }

# 1. blind, by REFER
peers refer target.xml
desk desk-refer desk-refer.xml 5070 -s +15550100001
finish desk-refer eve-refer carrier-refer

# 2. blind, by trunkctl, with real RTP afterwards: the carrier's and eve's
# media on loopback addresses; rtp.py sends both ways through the relay.
sed 's/198\.51\.100\.20/127.0.0.3/' "$TI_TEST_DIR/carrier.xml" \
	>"$TI_DIR/carrier-media.xml"
# Here the carrier's and eve's next message (the BYE) waits for the
# test's own steps (trunkctl calls, transfer, RTP both ways, hangup):
# tc_peer's 10 s per message did not cover them on a loaded machine (the
# carrier's BYE came 13 s after its 405, 038 under load).
peers ctl target-media.xml "$TI_DIR/carrier-media.xml" \
	-recv_timeout 40s -timeout 60s
desk desk-ctl desk-ctl.xml 5070 -s +15550100001
ti_wait_until 10 tc_call_up 1 || ti_fail "ctl: no established call to transfer"
id=$(tc_call_id)
out=$(ti_ctl transfer "$id" 2002) ||
	ti_fail "ctl: trunkctl transfer failed: $out"
ti_json_check "$out" 'j["ok"]' "trunkctl transfer"
finish desk-ctl
eve_acked() { grep -q '^ACK ' "$TI_DIR/eve-ctl.msg.txt"; }
ti_wait_until 10 eve_acked || ti_fail "ctl: eve got no ACK"
ti_exec python3 "$TI_TEST_DIR/rtp.py" "$TI_DIR/carrier-ctl.msg.txt" \
	"$TI_DIR/eve-ctl.msg.txt" >"$TI_DIR/rtp.log" 2>&1 ||
	{ cat "$TI_DIR/rtp.log" >&2; ti_fail "ctl: no RTP between eve and the carrier after the transfer"; }
ti_log "ctl: $(cat "$TI_DIR/rtp.log")"
out=$(ti_ctl hangup "$id") || ti_fail "ctl: trunkctl hangup failed: $out"
finish eve-ctl carrier-ctl

# 3. blind to a busy target: NOTIFY 486, the desk keeps the call.
peers busy target-busy.xml
desk desk-busy desk-busy.xml 5070 -s +15550100001
finish desk-busy eve-busy carrier-busy

# 4. attended: the consultation first, so that its tags are known.
peers att target-attended.xml
desk desk-consult desk-consult.xml 5072 -s 2002
ti_wait_until 10 tc_call_up 1 || ti_fail "attended: the consultation is not up"
totag=$(sed -n 's/^To: .*;tag=\([^;[:space:]]*\).*/\1/p' \
	"$TI_DIR/desk-consult.msg.txt" | head -n 1)
[ -n "$totag" ] || ti_fail "attended: no To tag in the consultation's 200"
desk desk-att desk-attended.xml 5070 -s +15550100001 \
	-key replaces "desk-consult-1@$DESK%3Bto-tag%3D$totag%3Bfrom-tag%3Dconsult-1"
finish desk-att desk-consult eve-att carrier-att

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has calls after the transfers"
ti_pass
