#!/usr/bin/env bash
# 026-baresip-calls: two real softphones (baresip) register to trunkd with
# digest and call each other through it; then one calls out through the
# trunk to a SIPp carrier. Audio flows (baresip reports the bit rate).
# trunkctl calls shows the relay's ports, packet counters and the call's
# age; trunkctl hangup ends each call with BYE on both legs. RTP goes through
# trunkd's relay (RTP-1).
# REQ: RTP-1
. "$(dirname "$0")/../lib.sh"
ti_setup
command -v baresip >/dev/null || ti_fail "baresip not found (apt-get install baresip-core)"

ti_config_default --drop enterprise "$TI_TEST_DIR/phones.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

# phone NAME USER PASSWORD SIP_PORT RTP_PORTS [baresip args...]: start a
# baresip phone as process NAME, registered as USER.
phone()
{
	local name=$1 user=$2 pw=$3 port=$4 rtp=$5 dir=$TI_DIR/$1
	shift 5
	mkdir -p "$dir"
	sed -e "s/@USER@/$user/g" -e "s/@SIP_PORT@/$port/" \
		-e "s/@RTP_PORTS@/$rtp/" "$TI_TEST_DIR/baresip.config.in" \
		>"$dir/config"
	printf '<sip:%s@127.0.0.1:%s>;auth_pass=%s;answermode=auto;regint=600\n' \
		"$user" "$(ti_port 5060)" "$pw" >"$dir/accounts"
	ti_start "$name" baresip -f "$dir" -t 60 "$@"
}

said() { tr "\r" "\n" <"$TI_DIR/$1.log" | grep -q "$2"; }

# The id of the (first) call trunkctl shows.
call_id() { ti_json "$(ti_ctl calls)" "j['calls'][0]['id']"; }

phone bob bob bob-pw-2 "$(ti_port 5110)" 30200-30298
ti_wait_until 10 said bob "200 OK () \[1 binding\]" ||
	ti_fail "bob did not register"
t0=$(date +%s) # before alice dials: no call of hers is older
phone alice alice alice-pw-1 "$(ti_port 5100)" 30000-30098 -e "/dial 202"

# 1. alice -> bob through trunkd.
ti_wait_until 15 said alice "Call established: sip:202@" ||
	ti_fail "alice's call to 202 was not established"
ti_wait_until 5 said bob "Call established: sip:alice@" ||
	ti_fail "bob did not see the call established"
ti_wait_until 10 said bob "audio=[1-9][0-9]*/[1-9]" ||
	ti_fail "bob reports no audio both ways"
# Media is anchored: each phone's RTP comes from trunkd's relay (the
# [media] port range 20000-20999 of the default config), not from the
# other phone's own ports (30000-30298).
relay='receiving from 127\.0\.0\.1:20[0-9][0-9][0-9]$'
said bob "$relay" || ti_fail "bob's RTP does not come from the relay"
said alice "$relay" || ti_fail "alice's RTP does not come from the relay"
# trunkctl calls shows the relay's ports and its packet counters (issue 3
# item 6).
counting()
{
	ti_json "$(ti_ctl calls)" "all(20000 <= l['media_port'] <= 20999 and
		l['rtp_in'] > 0 and l['rtp_out'] > 0 for l in j['calls'][0]['legs'])" |
		grep -q True
}
ti_wait_until 5 counting || ti_fail "trunkctl calls shows no relayed RTP: $(ti_ctl calls)"
# ... and the call's age in seconds: it reaches 2, and is never more
# than the time since alice dialled.
duration() { ti_json "$(ti_ctl calls)" "j['calls'][0]['duration_s']"; }
aged() { [ "$(duration)" -ge 2 ]; }
ti_wait_until 6 aged || ti_fail "trunkctl calls: duration_s stays below 2: $(ti_ctl calls)"
d=$(duration)
[ "$d" -le $(($(date +%s) - t0 + 1)) ] ||
	ti_fail "trunkctl calls: duration_s $d, yet alice dialled $(($(date +%s) - t0)) s ago"
ti_log "1: duration_s $d"
ti_ctl hangup "$(call_id)" >/dev/null || ti_fail "trunkctl hangup failed"
ti_wait_until 5 said alice "session closed" || ti_fail "alice's call did not end"
ti_wait_until 5 said bob "session closed" || ti_fail "bob's call did not end"

# 2. alice -> the carrier through the trunk (SIPp answers on the proxy).
ti_start carrier sipp -sn uas -m 1 -t u1 -i 127.0.0.1 -p "$(ti_port 5090)" \
	-nostdin -timeout 30s -timeout_error \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_stop alice
phone alice2 alice alice-pw-1 "$(ti_port 5100)" 30000-30098 \
	-e "/dial +15550100001"
ti_wait_until 15 said alice2 "Call established: sip:+15550100001@" ||
	ti_fail "alice's call to the carrier was not established"
grep -q '^INVITE sip:+15550100001@carrier.invalid;user=phone SIP/2.0' \
	"$TI_DIR/carrier.msg.txt" || ti_fail "the carrier got no INVITE"
ti_ctl hangup "$(call_id)" >/dev/null || ti_fail "trunkctl hangup failed"
ti_wait_exit carrier 10 || ti_fail "the carrier did not get its BYE"
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "carrier SIPp exit $TI_EXIT_STATUS"
ti_wait_until 5 said alice2 "session closed" || ti_fail "alice's call did not end"
ti_pass
