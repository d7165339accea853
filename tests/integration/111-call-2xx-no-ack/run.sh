#!/usr/bin/env bash
# 111-call-2xx-no-ack: a caller that never ACKs trunkd's 200 gets it T1,
# 2*T1, ... apart (at most T2) over UDP, once over TCP, and 64*T1 after
# the first one trunkd's BYE; the other leg gets a BYE too and the call is
# gone (RFC 3261 13.3.1.4, 14.2). T1 is 100 ms here (sip_t1), so 64*T1 is
# 6.4 s. The PBX calling out, the carrier calling in, the carrier's
# re-INVITE (leg B), and the PBX calling out over TCP
# (peers/sip_2xx_peer.py --never-ack).
# REQ: SC-6-1 SC-8-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
TI_CMD_TIMEOUT=30
ti_setup

TC_GLOBAL="sip_t1 = 100ms" tc_trunkd_start

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }

peer() # NAME ARG...: one call by peers/sip_2xx_peer.py, then no call left
{
	local name=$1 rc=0
	shift
	ti_exec python3 "$TI_ROOT/peers/sip_2xx_peer.py" --t1 100 \
		--log "$TI_DIR/$name.msg.txt" "$@" >"$TI_DIR/$name.log" 2>&1 ||
		rc=$?
	cat "$TI_DIR/$name.log" >&2
	[ "$rc" = 0 ] || ti_fail "$name: $(grep FAIL "$TI_DIR/$name.log" || echo "exit $rc")"
	ti_wait_until 5 calls_ended || ti_fail "$name: trunkd still has the call"
}

out=(--caller "$TC_PBX:$(ti_port 5070)" --callee "$TC_CARRIER:$(ti_port 5090)"
	--target "$(tc_trunkd ent)")
in=(--caller "$TC_CARRIER:$(ti_port 5090)" --callee "$TC_PBX:$(ti_port 5070)"
	--target "$(tc_trunkd trunk)")
# trunkd's 200 to the PBX's INVITE (enterprise side, leg A).
peer outbound "${out[@]}" --never-ack invite
# trunkd's 200 to the carrier's INVITE (trunk side, leg A).
peer inbound "${in[@]}" --never-ack invite
# trunkd's 200 to the carrier's re-INVITE in a call the PBX placed (leg B).
peer reinvite "${out[@]}" --reinvite callee --never-ack reinvite
# A late offer (no SDP in the PBX's INVITE): the carrier's 200 had the offer
# whose answer never comes: trunkd ACKs it without one before its BYE.
peer outbound-late "${out[@]}" --late --never-ack invite
# Over TCP: the 200 once, the BYE all the same.
peer outbound-tcp "${out[@]}" --transport tcp --never-ack invite

ti_running trunkd || ti_fail "trunkd died"
ti_pass
