#!/usr/bin/env bash
# 143-call-reoffers: re-offers in an established call.
# Hold: the RFC 2543 hold written in IPv6, c=IN IP6 ::,
# is a hold like c=IN IP4 0.0.0.0 (HOLD-2), here on IPv4 calls, whose
# peers may write it so. Each time the other side gets trunkd's own IPv4
# address and a direction, never "::" nor IP6, and the relay stops sending
# to the holder:
#   1. outbound: the PBX holds with a session-level c=IN IP6 :: and no
#      direction: the carrier gets a=sendonly, the PBX its a=recvonly;
#      the PBX's RTP still reaches the carrier (a holder may send music),
#      the carrier's reaches the PBX not at all: trunkctl counts each of
#      its 50 packets in drop_hold;
#   2. inbound: the carrier holds with c=IN IP6 :: on its m= line and
#      a=recvonly: the PBX gets a=inactive, the carrier the PBX's
#      a=inactive; the PBX's RTP never reaches the carrier (drop_hold).
# Each call ends with trunkctl hangup (BYE to both peers).
# Unchanged re-offers (SDP-2):
#   3. the PBX, then the carrier, re-INVITEs with its SDP exactly as before
#      (same o= id and version, a session refresh), then UPDATEs the same
#      way: trunkd answers each itself, with its own SDP at the same o=
#      version as before (nothing changed), and the other side gets
#      nothing (INFOs relayed between the peers sequence the steps: a
#      relayed re-offer would arrive before them and fail the peer).
# REQ: HOLD-1, HOLD-2, SDP-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start

calls_json() { ti_ctl calls; }
# acks NAME N: SIPp peer NAME has received N ACKs (the hold's is the 2nd).
acks() { [ "$(grep -c '^ACK ' "$TI_DIR/$1.msg.txt" 2>/dev/null)" -ge "$2" ]; }
leg() { ti_json "$(calls_json)" "j['calls'][0]['legs'][$1]['$2']"; }
# media NAME SRC_IP SRC_PORT RELAY_PORT DST_IP DST_PORT some|none
media()
{
	local name=$1
	shift
	ti_exec python3 "$TI_TEST_DIR/rtp.py" "$@" >"$TI_DIR/$name.log" 2>&1 ||
		{ cat "$TI_DIR/$name.log" >&2; ti_fail "$name: RTP not as expected"; }
	ti_log "$name: $(cat "$TI_DIR/$name.log")"
}
drops() { [ "$(leg "$1" drop_hold)" -ge 50 ]; }

# hold_call WHAT HELD HELD_IP HELD_PORT HOLDER HOLDER_IP HOLDER_PORT SIDE:
# the test's HELD.xml (a UAS) and HOLDER.xml (the UAC, calling trunkd's
# SIDE) up to the hold's ACK.
hold_call()
{
	tc_peer "$2" "$3" "$4" "$TI_TEST_DIR/$2.xml"
	tc_peer "$5" "$6" "$7" "$TI_TEST_DIR/$5.xml" -s +15550100001 \
		-set trunkd "$(tc_trunkd "$8")" "$(tc_trunkd "$8")"
	ti_wait_until 10 acks "$2" 2 || ti_fail "$1: the hold did not complete"
}

# hold_end WHAT HELD HOLDER: the callee's (leg B's) RTP was counted as held,
# none went to the caller (leg A); trunkctl hangup; both peers pass.
hold_end()
{
	ti_wait_until 5 drops 1 || ti_fail "$1: leg B's RTP is not counted as held: $(calls_json)"
	[ "$(leg 0 rtp_out)" = 0 ] || ti_fail "$1: trunkd sent RTP to leg A: $(calls_json)"
	out=$(ti_ctl hangup "$(ti_json "$(calls_json)" 'j["calls"][0]["id"]')") ||
		ti_fail "trunkctl hangup failed: $out"
	tc_peer_wait "$3"
	tc_peer_wait "$2"
	ti_wait_until 5 tc_no_calls || ti_fail "$1: calls left: $(calls_json)"
}

# 1. Outbound, the PBX holds with a session-level c=IN IP6 ::.
hold_call outbound carrier-held "$TC_CARRIER" 5090 pbx-holds "$TC_PBX" 5070 ent
media out-pbx-to-carrier 127.0.0.2 40000 "$(leg 0 media_port)" 127.0.0.3 50000 some
media out-carrier-to-pbx 127.0.0.3 50000 "$(leg 1 media_port)" 127.0.0.2 40000 none
hold_end outbound carrier-held pbx-holds

# 2. Inbound, the carrier holds with c=IN IP6 :: on its m= line, recvonly.
hold_call inbound pbx-held "$TC_PBX" 5070 carrier-holds "$TC_CARRIER" 5090 trunk
media in-pbx-to-carrier 127.0.0.2 40000 "$(leg 1 media_port)" 127.0.0.3 50000 none
hold_end inbound pbx-held carrier-holds

# 3. Unchanged re-offers from both sides, answered by trunkd.
tc_peer carrier-same "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-same.xml"
rc=0
tc_pbx pbx-same "$TI_TEST_DIR/pbx-same.xml" u1 -s +15550100001 -timeout 30s || rc=$?
[ "$rc" = 0 ] || ti_fail "unchanged re-offers: the PBX's scenario failed (SIPp exit $rc)"
tc_peer_wait carrier-same
# What each peer got from trunkd: one o= session, one version throughout.
tc_o_versions pbx-same '=='
tc_o_versions carrier-same '=='
ti_wait_until 5 tc_no_calls || ti_fail "unchanged re-offers: calls left: $(calls_json)"
ti_pass
