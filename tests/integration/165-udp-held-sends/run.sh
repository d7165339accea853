#!/usr/bin/env bash
# 165-udp-held-sends: datagrams trunkd sends while more of a UDP batch
# wait are held and sent together (sendmmsg); one the kernel then refuses
# still fails its request at once. A trunk's first SP-SSE is
# 127.255.255.255 (the kernel refuses to send there), the second the
# carrier SIPp. First a call alone: Sofia's own send fails, nta answers
# 503 itself and the INVITE fails over to the carrier (the path before
# held sends, for comparison). Then, on a fresh trunkd, held: trunkd is
# stopped (SIGSTOP) while the PBX's INVITE and an OPTIONS queue on its
# socket, so that after SIGCONT one read brings both and the INVITE
# toward the first SP-SSE is held until the OPTIONS is handled; the
# kernel refuses it then, and the call must still fail over within the
# PBX's 8 s (with T1 = 10 s nta's next try would come later); status
# udp_batch counts held
# datagrams in this part only; the OPTIONS gets its 200.
# REQ: none (SP-SSE failover on a transport error, SIPconnect 17.1 prose;
# held sends: DESIGN "Performance goals")
. "$(dirname "$0")/../lib.sh"
ti_setup

PORT=$(ti_port 5060)
ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
# T1 = 10 s: nta would send the INVITE again (Timer A) only after 10 s,
# and by Sofia's own send, which reports the refusal itself; the PBX
# gives up after 8 s. So the call completes only if the refusal of a
# held INVITE reached nta at once.
sed -i 's/^\[global\]$/[global]\nsip_t1 = 10s/' "$TI_DIR/trunkd.conf"
grep -q '^sip_t1 = 10s$' "$TI_DIR/trunkd.conf" ||
	ti_fail "the default config has no [global] to add sip_t1 to"

# rxq: bytes queued on trunkd's enterprise UDP socket (/proc/net/udp).
rxq()
{
	local hex
	hex=$(ti_exec awk -v p="$(printf '%04X' "$PORT")" \
		'NR > 1 { split($2, l, ":"); if (l[2] == p) { split($5, q, ":"); print q[2]; exit } }' \
		/proc/net/udp)
	echo $((16#${hex:-0}))
}
rxq_above() { (($(rxq) > $1)); }

# held_datagrams: status udp_batch.held_datagrams.
held_datagrams()
{
	local status
	status=$(ti_ctl status) || ti_fail "trunkctl status failed"
	python3 -c 'import json, sys; print(json.load(sys.stdin)["udp_batch"]["held_datagrams"])' \
		<<<"$status"
}

# call NAME [held]: one call from the PBX through trunk "held"; the
# carrier must get it from the second SP-SSE's address.
call()
{
	local rc=0 q
	ti_start carrier sipp -sn uas -m 1 -i 127.0.0.1 -p "$(ti_port 5091)" \
		-nostdin -timeout 20s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.carrier.msg.txt"
	ti_wait_port udp 127.0.0.1 "$(ti_port 5091)" 10
	if [ "${2:-}" = held ]; then
		kill -STOP "$(ti_pid trunkd)"
		q=$(rxq)
	fi
	ti_start pbx sipp -sn uac -m 1 -i 127.0.0.1 -p "$(ti_port 5070)" \
		-s +15550100001 -nostdin -timeout 8s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.pbx.msg.txt" \
		"127.0.0.1:$PORT"
	if [ "${2:-}" = held ]; then
		ti_wait_until 10 rxq_above "$q" ||
			{ kill -CONT "$(ti_pid trunkd)"; ti_fail "$1: the INVITE never queued"; }
		q=$(rxq)
		# 161's OPTIONS sender (no empty datagram before it)
		ti_start options python3 \
			"$SOURCE_ROOT/tests/integration/161-udp-empty-datagram/empty.py" "$PORT" 0
		ti_wait_until 10 rxq_above "$q" ||
			{ kill -CONT "$(ti_pid trunkd)"; ti_fail "$1: the OPTIONS never queued"; }
		kill -CONT "$(ti_pid trunkd)"
	fi
	ti_wait_exit pbx 15 || ti_fail "$1: the PBX's SIPp did not finish"
	rc=$TI_EXIT_STATUS
	[ "$rc" = 0 ] || ti_fail "$1: the PBX's call failed (SIPp exit $rc)"
	ti_wait_exit carrier 15 || ti_fail "$1: carrier SIPp did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "$1: carrier SIPp exit $TI_EXIT_STATUS"
	grep -q '^INVITE sip:+15550100001@carrier.invalid;user=phone SIP/2.0' \
		"$TI_DIR/$1.carrier.msg.txt" || ti_fail "$1: the carrier got no INVITE"
	if [ "${2:-}" = held ]; then
		ti_wait_exit options 15 || ti_fail "$1: options.py did not finish"
		[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "$1: the OPTIONS got no 200"
	fi
	status=$(ti_ctl status) || ti_fail "trunkctl status failed"
	ti_json_check "$status" "[(s['address'], s['state']) for s in
		[t for t in j['trunks'] if t['name'] == 'held'][0]['sse']] ==
		[('127.255.255.255:$(ti_port 5090)', 'down'), ('127.0.0.1:$(ti_port 5091)', 'up')]" \
		"$1: SP-SSE states after the failover"
}

# Alone: nothing held.
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$PORT" 10
call alone
n=$(held_datagrams)
[ "$n" = 0 ] || ti_fail "alone: $n datagrams held (want 0: one datagram per read)"
grep -q "127.255.255.255" "$TI_DIR/trunkd.log" ||
	ti_fail "alone: trunkd logged nothing of the failed SP-SSE"
ti_stop trunkd

# Held: a fresh trunkd (the first SP-SSE up again).
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$PORT" 10
call held held
n=$(held_datagrams)
((n >= 2)) || ti_fail "held: $n datagrams held (want the INVITE and the 100 Trying at least)"
ti_log "held: $n datagrams held and sent together"
ti_pass
