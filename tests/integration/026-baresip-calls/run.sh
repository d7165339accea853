#!/usr/bin/env bash
# 026-baresip-calls: two real softphones (baresip) register to trunkd with
# digest and call each other through it; then one calls out through the
# trunk to a SIPp carrier. Audio flows (baresip reports the bit rate).
# trunkctl calls shows the relay's ports, packet counters and the call's
# age; trunkctl hangup ends each call with BYE on both legs. RTP goes through
# trunkd's relay (RTP-1). Last, a phone transfers its call to another
# phone with REFER (SIPconnect 12: 3pcc inside trunkd).
# REQ: RTP-1
. "$(dirname "$0")/../lib.sh"
ti_setup
command -v baresip >/dev/null || ti_fail "baresip not found (apt-get install baresip-core)"

ti_config_default --drop enterprise "$TI_TEST_DIR/phones.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

# phone NAME USER PASSWORD SIP_PORT RTP_PORTS [baresip args...]: start a
# baresip phone as process NAME, registered as USER ($PHONE_CONFIG: more
# lines for its config).
phone()
{
	local name=$1 user=$2 pw=$3 port=$4 rtp=$5 dir=$TI_DIR/$1
	shift 5
	mkdir -p "$dir"
	sed -e "s/@USER@/$user/g" -e "s/@SIP_PORT@/$port/" \
		-e "s/@RTP_PORTS@/$rtp/" "$TI_TEST_DIR/baresip.config.in" \
		>"$dir/config"
	printf '%s' "${PHONE_CONFIG:-}" >>"$dir/config"
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

# 3. A phone's blind transfer (SIPconnect 12, 3pcc): alice calls bob; bob
# (told through baresip's ctrl_tcp) sends REFER to carol (203); trunkd
# calls carol, joins alice to her (a re-INVITE only if the codecs must
# change), and ends bob's leg (NOTIFY 200, BYE).
ti_stop alice2
ti_stop bob
ctrl=$(ti_port 5120)
PHONE_CONFIG=$(printf 'module_app\t\tctrl_tcp.so\nctrl_tcp_listen\t\t127.0.0.1:%s\n' "$ctrl") \
	phone bob2 bob bob-pw-2 "$(ti_port 5110)" 30200-30298
phone carol carol carol-pw-3 "$(ti_port 5130)" 30400-30498
ti_wait_until 10 said bob2 "200 OK () \[1 binding\]" ||
	ti_fail "bob did not register again"
ti_wait_until 10 said carol "200 OK () \[1 binding\]" ||
	ti_fail "carol did not register"
phone alice3 alice alice-pw-1 "$(ti_port 5100)" 30000-30098 -e "/dial 202"
ti_wait_until 15 said bob2 "Call established: sip:alice@" ||
	ti_fail "alice's second call to bob was not established"
ti_wait_port tcp 127.0.0.1 "$ctrl" 5
# bob_cmd COMMAND [PARAMS]: a command to bob's baresip (ctrl_tcp, JSON in
# netstrings, events skipped); prints its output, fails unless baresip
# says ok. Every read is bounded by the socket's 5 s timeout.
bob_cmd()
{
	ti_exec python3 - "$ctrl" "$@" <<'PY'
import json, socket, sys
cmd = json.dumps({"command": sys.argv[2],
                  "params": sys.argv[3] if len(sys.argv) > 3 else "",
                  "token": "t"}).encode()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"%d:%s," % (len(cmd), cmd))
buf = b""
while True:  # netstrings: events may come before the response
    while b":" not in buf or len(buf) < buf.index(b":") + 2 + int(
            buf[:buf.index(b":")]):
        d = s.recv(4096)
        if not d:
            sys.exit("ctrl_tcp closed the connection")
        buf += d
    n, rest = buf.split(b":", 1)
    msg, buf = json.loads(rest[:int(n)]), rest[int(n) + 1:]
    if msg.get("response"):
        break
print(msg.get("data", ""))
sys.exit(0 if msg.get("ok") else 1)
PY
}
bob_cmd listcalls | grep -q "sip:alice@" || ti_fail "bob's baresip lists no call with alice"
bob_cmd transfer "sip:203@127.0.0.1:$(ti_port 5060)" >/dev/null ||
	ti_fail "bob's ctrl_tcp did not take the transfer command"
ti_wait_until 15 said carol "Call established: sip:alice@" ||
	ti_fail "the transfer did not reach carol"
# trunkd ends bob's leg (NOTIFY 200, BYE): bob has no call left.
bob_idle() { ! bob_cmd listcalls | grep -q "sip:alice@"; }
ti_wait_until 10 bob_idle || ti_fail "bob's leg did not end after his transfer"
grep -q "transferring leg . to sip:carol" "$TI_DIR/trunkd.log" ||
	ti_fail "trunkd did not log the transfer"
joined()
{
	ti_json "$(ti_ctl calls)" "len(j['calls']) == 1 and
		j['calls'][0]['state'] == 'CONFIRMED' and
		j['calls'][0]['target'].startswith('sip:carol')" | grep -q True
}
ti_wait_until 10 joined || ti_fail "alice and carol are not one call: $(ti_ctl calls)"
! said alice3 "session closed" || ti_fail "alice's call ended with the transfer"
# Audio flows between alice and carol through the relay.
ti_wait_until 10 said carol "receiving from 127\.0\.0\.1:20[0-9][0-9][0-9]$" ||
	ti_fail "carol gets no RTP from the relay"
ti_ctl hangup "$(call_id)" >/dev/null || ti_fail "trunkctl hangup failed"
ti_wait_until 5 said alice3 "session closed" || ti_fail "alice's call did not end"
ti_wait_until 5 said carol "session closed" || ti_fail "carol's call did not end"
ti_pass
