#!/usr/bin/env bash
# 110-call-2xx-retransmit: trunkd's 200 to an INVITE that the caller does
# not get is sent again, T1 then 2*T1 later, byte for byte, until the
# caller's ACK, and then no more (RFC 3261 13.3.1.4, 14.2). Over UDP on
# both sides: the PBX calling out (the 200 to leg A on the enterprise
# side) and re-INVITEing, the carrier calling in (leg A on the trunk side)
# and the PBX re-INVITEing (trunkd's 200 to leg B). The callers
# (peers/sip_2xx_peer.py) ignore trunkd's first two 200s each time.
# REQ: SC-6-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

TC_GLOBAL="sip_t1 = 200ms" tc_trunkd_start

peer() # NAME ARG...: one call by peers/sip_2xx_peer.py
{
	local name=$1 rc=0
	shift
	ti_exec python3 "$TI_ROOT/peers/sip_2xx_peer.py" --t1 200 --drop 2 \
		--log "$TI_DIR/$name.msg.txt" "$@" >"$TI_DIR/$name.log" 2>&1 ||
		rc=$?
	cat "$TI_DIR/$name.log" >&2
	[ "$rc" = 0 ] || ti_fail "$name: $(grep FAIL "$TI_DIR/$name.log" || echo "exit $rc")"
}

# The PBX calls the carrier, then re-INVITEs it: trunkd's 200s to the PBX.
peer outbound --caller "$TC_PBX:$(ti_port 5070)" \
	--callee "$TC_CARRIER:$(ti_port 5090)" --target "$(tc_trunkd ent)" \
	--reinvite caller
# A late offer: the carrier's offer in trunkd's 200, the PBX's answer in
# its ACK, relayed to the carrier once it comes.
peer outbound-late --caller "$TC_PBX:$(ti_port 5070)" \
	--callee "$TC_CARRIER:$(ti_port 5090)" --target "$(tc_trunkd ent)" \
	--late
# The carrier calls the PBX, the PBX re-INVITEs: trunkd's 200 to the
# carrier's INVITE, then to the PBX's re-INVITE (leg B).
peer inbound --caller "$TC_CARRIER:$(ti_port 5090)" \
	--callee "$TC_PBX:$(ti_port 5070)" --target "$(tc_trunkd trunk)" \
	--reinvite callee

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call after the BYEs"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
