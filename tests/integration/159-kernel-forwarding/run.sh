#!/usr/bin/env bash
# 159-kernel-forwarding: [media] kernel_forwarding = on, with rtp_timeout =
# 2s, in the test's network namespace (lo: trunkd's media address
# 127.0.0.1). First, without CAP_BPF and CAP_NET_ADMIN (setpriv), on
# refuses to start and says why, auto starts on the relay with one
# warning. Then the PBX calls the carrier (SIPp: signalling only); rtp.py
# plays both peers' RTP, 50 packets/s each way, until the end:
#   1. once both legs latched, the tc program carries both directions:
#      trunkctl status shows kernel_forwarding active with 2 entries and
#      counts its packets; every packet a peer receives comes from
#      trunkd's port of that leg, byte for byte (rtp.py);
#   2. a stranger's packets interleaved with the PBX's reach the socket
#      and are dropped (the latch stays); the PBX's source port moves:
#      after 8 packets the latch and the entry move with it;
#   3. the call outlives 4 x rtp_timeout of RTP that only the kernel
#      forwarded (no BYE: either SIPp peer fails on one);
#   4. the PBX holds (a=inactive both ways): the entries are removed, what
#      the peers still send reaches the relay (drop_hold) and the kernel
#      forwards nothing more;
#   5. the PBX resumes: 2 entries again, the kernel forwards again;
#   6. trunkctl calls counts what the kernel forwarded as relayed; the
#      kernel carried nearly every packet the peers received;
#   7. trunkctl hangup while the entries are in: no call, 0 entries, the
#      map empty (bpftool).
# Skipped (77) when the kernel refuses a tc BPF program (probe.py).
# REQ: RTP-1, HOLD-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

[ -n "$TI_NETNS" ] || {
	ti_log "SKIP: needs a network namespace (the program attaches to lo)"
	exit 77
}
why=$(python3 "$TI_TEST_DIR/probe.py") || {
	ti_log "SKIP: $why"
	exit 77
}

status() { ti_ctl status; }
kf() { ti_json "$(status)" "j['media']['kernel_forwarding']['$1']"; }

# 0. Without CAP_BPF and CAP_NET_ADMIN (nor CAP_SYS_ADMIN, which stands
# for both): on refuses to start and says why; auto starts with the relay
# alone after one warning.
nocap=(setpriv --bounding-set -bpf,-net_admin,-sys_admin,-perfmon --)
tc_section_conf media "$TI_ROOT/peers/calls.conf" "kernel_forwarding = on"
ti_start trunkd "${nocap[@]}" "$TRUNKD" --config "$TI_DIR/trunkd.conf"
ti_wait_exit trunkd 10 || ti_fail "0: trunkd runs without CAP_BPF with kernel_forwarding = on"
[ "$TI_EXIT_STATUS" != 0 ] || ti_fail "0: trunkd exited 0 without CAP_BPF"
grep -q 'kernel_forwarding = on: .*CAP_BPF and CAP_NET_ADMIN' "$TI_DIR/trunkd.log" ||
	ti_fail "0: trunkd did not say why: $(tail -3 "$TI_DIR/trunkd.log")"
ti_log "0: on without CAP_BPF: $(grep -o 'kernel_forwarding = on: .*' "$TI_DIR/trunkd.log")"
tc_section_conf media "$TI_ROOT/peers/calls.conf" "kernel_forwarding = auto"
ti_start trunkd "${nocap[@]}" "$TRUNKD" --config "$TI_DIR/trunkd.conf"
ti_wait_until 10 ti__trunkd_up || ti_fail "0: trunkd did not start with auto"
[ "$(kf active)" = False ] || ti_fail "0: auto without CAP_BPF claims to forward"
[ "$(grep -c 'kernel_forwarding = auto: ' "$TI_DIR/trunkd.log")" = 1 ] ||
	ti_fail "0: auto did not warn once: $(tail -3 "$TI_DIR/trunkd.log")"
ti_stop trunkd
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "0: trunkd with auto exited $TI_EXIT_STATUS"

tc_section_conf media "$TI_ROOT/peers/calls.conf" "rtp_timeout = 2s" \
	"kernel_forwarding = on"
tc__trunkd_up
call_up() { [ "$(ti_json "$(status)" 'j["calls"]')" = 1 ]; }

[ "$(kf active)" = True ] || ti_fail "kernel forwarding not active: $(status)"
ti_log "tc program attached with $(kf attach), map id $(kf map_id)"

tc_media_call
ti_start rtp python3 "$TI_TEST_DIR/rtp.py" "$TC_PORT_A" "$TC_PORT_B" \
	"$TI_DIR/stop"

# 1. Both directions in the kernel.
forwarding() { [ "$(kf entries)" = 2 ] && [ "$(kf packets)" -ge "$1" ]; }
ti_wait_until 5 forwarding 100 ||
	ti_fail "1: the kernel does not forward both directions: $(status)"
ti_log "1: 2 entries, $(kf packets) packets forwarded by the kernel"

# 3, 4. After 8 s the PBX holds: no entry while the call goes on.
held() { call_up || ti_fail "3: the call ended before the hold"; [ "$(kf entries)" = 0 ]; }
ti_wait_until 15 held || ti_fail "4: entries left on hold: $(status)"
k1=$(kf packets)
ti_log "4: held, 0 entries; $k1 packets forwarded by the kernel"
dropped() { [ "$(tc_leg 0 drop_hold)" -ge 25 ] && [ "$(tc_leg 1 drop_hold)" -ge 25 ]; }
ti_wait_until 3 dropped || ti_fail "4: the relay does not see the held RTP: $(ti_ctl calls)"
[ "$(kf packets)" = "$k1" ] ||
	ti_fail "4: the kernel forwarded on hold: $k1 then $(kf packets)"

# 5. The resume (4 s later): in the kernel again.
ti_wait_until 10 forwarding $((k1 + 50)) ||
	ti_fail "5: the kernel does not forward after the resume: $(status)"
ti_log "5: resumed, 2 entries, $(kf packets) packets"

: >"$TI_DIR/stop"
ti_wait_exit rtp 5 || ti_fail "rtp.py did not stop"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "rtp.py failed (exit $TI_EXIT_STATUS)"
out=$(cat "$TI_DIR/rtp.log")
ti_log "rtp.py: $out"
val() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$out"; }

# 1. The wire, as the peers received it.
[ "$(val bad)" = 0 ] ||
	ti_fail "1: $(val bad) packets not from trunkd's port of the leg or changed"
[ "$(val to_carrier)" -ge 140 ] && [ "$(val to_pbx)" -ge 140 ] ||
	ti_fail "1: packets lost before the move: $out"
# 2. The stranger dropped; the move followed (7 of the moved source's
# first 8 are dropped before it latches).
[ "$(val stranger)" = 0 ] || ti_fail "2: a stranger's packets were relayed"
[ "$(val to_carrier_moved)" -ge 100 ] && [ "$(val to_pbx_moved)" -ge 100 ] ||
	ti_fail "2: the latch did not move with the PBX: $out"
# 6. trunkctl calls counts the kernel's packets as relayed (at the media
# thread's next tick).
to_car=$(($(val to_carrier) + $(val to_carrier_moved)))
to_pbx=$(($(val to_pbx) + $(val to_pbx_moved)))
counted()
{
	ti_json "$(ti_ctl calls)" "j['calls'][0]['legs'][0]['rtp_in'] >= $to_car and j['calls'][0]['legs'][1]['rtp_out'] >= $to_car and j['calls'][0]['legs'][1]['rtp_in'] >= $to_pbx and j['calls'][0]['legs'][0]['rtp_out'] >= $to_pbx" |
		grep -qx True
}
ti_wait_until 3 counted ||
	ti_fail "6: trunkctl calls does not count the kernel's packets ($to_car, $to_pbx): $(ti_ctl calls)"

# 7. The end, with the entries in: none left, the map empty.
[ "$(kf entries)" = 2 ] || ti_fail "7: not 2 entries before the end: $(status)"
out=$(ti_ctl hangup "$(ti_json "$(ti_ctl calls)" 'j["calls"][0]["id"]')") ||
	ti_fail "trunkctl hangup failed: $out"
tc_peer_wait pbx
tc_peer_wait carrier
ti_wait_until 5 tc_no_calls || ti_fail "7: trunkd still has the call"
empty() { [ "$(kf entries)" = 0 ]; }
ti_wait_until 5 empty || ti_fail "7: entries left after the call: $(status)"
if command -v bpftool >/dev/null; then
	n=$(ti_exec bpftool -j map dump id "$(kf map_id)" |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') ||
		ti_fail "7: bpftool cannot dump map $(kf map_id)"
	[ "$n" = 0 ] || ti_fail "7: the map holds $n entries after the call"
	ti_log "7: bpftool: map $(kf map_id) empty"
fi
# 6. The kernel carried nearly all (the relay: the first packets before
# both legs latched, the 8 of the move, what was queued at a change).
k=$(kf packets)
total=$((to_car + to_pbx))
[ "$k" -ge $((total - 60)) ] && [ "$k" -le "$total" ] ||
	ti_fail "6: the kernel forwarded $k of the $total packets relayed"
ti_log "6: the kernel forwarded $k of the $total packets the peers received"
ti_pass
