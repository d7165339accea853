# shellcheck shell=bash
#
# Helpers of the call tests (010-017), sourced after lib.sh:
#
#     . "$(dirname "$0")/../lib.sh"
#     . "$TI_ROOT/calls.sh"
#     ti_setup
#
# The call tests use peers/calls.conf: trunkd on 127.0.0.1 (enterprise
# side :5060, trunk side :5080), the PBX on 127.0.0.2:5070 and the
# carrier's SP-SSE on 127.0.0.3:5090, so that an address of one peer in a
# message to the other is a topology leak the peers can assert. Linux
# routes all of 127.0.0.0/8 to lo, in a namespace as on the host.

# shellcheck disable=SC2034 # used by the run.sh scripts
TC_PBX=127.0.0.2
TC_CARRIER=127.0.0.3
TC_STRANGER=127.0.0.4 # neither the PBX nor the carrier: gets 403

# tc_trunkd_start [SECTIONS...]: trunkd with peers/calls.conf (plus the
# given files appended, and the lines of $TC_GLOBAL, if set, added to its
# [global] section) and its four listeners up.
tc_trunkd_start()
{
	cat "$TI_ROOT/peers/calls.conf" "$@" |
		TC_ADD=${TC_GLOBAL:-} awk '{ print }
			/^\[global\]$/ && ENVIRON["TC_ADD"] != "" { print ENVIRON["TC_ADD"] }' \
			>"$TI_DIR/src.conf"
	ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
	tc__trunkd_up
}

# tc__trunkd_up: trunkd on $TI_DIR/trunkd.conf, its four listeners up.
tc__trunkd_up()
{
	local p tr
	ti_trunkd_start "$TI_DIR/trunkd.conf"
	for p in 5060 5080; do
		for tr in udp tcp; do
			ti_wait_port "$tr" 127.0.0.1 "$(ti_port "$p")" 5
		done
	done
}

# tc_trunkd SIDE: trunkd's address on that side (ent or trunk), HOST:PORT.
tc_trunkd()
{
	case $1 in
	ent) printf '127.0.0.1:%s\n' "$(ti_port 5060)" ;;
	trunk) printf '127.0.0.1:%s\n' "$(ti_port 5080)" ;;
	*) ti_fail "tc_trunkd: no side $1" ;;
	esac
}

# tc_calls_confirmed: how many calls `trunkctl calls` shows CONFIRMED;
# tc_call_up N: exactly N (for ti_wait_until); tc_call_id: the first
# confirmed call's id.
tc_calls_confirmed()
{
	ti_json "$(ti_ctl calls)" \
		"len([c for c in j['calls'] if c['state'] == 'CONFIRMED'])"
}
tc_call_up() { [ "$(tc_calls_confirmed)" = "$1" ]; }
tc_call_id()
{
	ti_json "$(ti_ctl calls)" \
		'[c["id"] for c in j["calls"] if c["state"] == "CONFIRMED"][0]'
}

# tc_peer NAME IP PORT SCENARIO [SIPP ARG...]: a SIPp peer in the
# background for one call, bound to IP:$(ti_port PORT) over UDP (over TCP
# with TC_PEER_TCP=1), with the file names of ti_sipp (NAME.msg.txt,
# NAME.err.log, NAME.actions.txt). A UAC gets its destination among the
# ARGs. Waits until it listens.
tc_peer()
{
	local name=$1 ip=$2 port sf=$4 tp=u1 proto=udp
	port=$(ti_port "$3")
	shift 4
	[ "${TC_PEER_TCP:-0}" = 0 ] || tp=t1 proto=tcp
	ti_start "$name" sipp -sf "$sf" -m 1 -t "$tp" -i "$ip" -p "$port" \
		-nostdin -timeout 20s -timeout_error -recv_timeout 10s \
		-trace_msg -message_file "$TI_DIR/$name.msg.txt" \
		-trace_err -error_file "$TI_DIR/$name.err.log" \
		-trace_logs -log_file "$TI_DIR/$name.actions.txt" "$@"
	ti_wait_until 10 tc__peer_up "$name" "$ip" "$port" "$proto" ||
		ti_fail "$name: SIPp does not listen on $proto $ip:$port after 10 s"
}

# A peer that is gone before it was seen listening: a UAC (038's desk)
# can run its whole scenario between two polls, on a loaded machine even
# before the first. Its status is kept for tc_peer_wait; only a failure
# is an error at start.
declare -A TC_EXITED=()
tc__peer_up()
{
	if ! ti_running "$1"; then
		ti_wait_exit "$1" 5 || ti_fail "$1: SIPp neither runs nor exits"
		[ "$TI_EXIT_STATUS" = 0 ] ||
			ti_fail "$1: SIPp exited at start (exit $TI_EXIT_STATUS, see $1.log)"
		TC_EXITED[$1]=0
		return 0
	fi
	ti__listening "$4" "$2" "$3"
}

# tc_checks_ok NAME: SIPp recorded no failed assertion in NAME.err.log.
# A check_it that fails in the actions of a <recv> fails the call (and
# SIPp's exit status), but one in a <nop> (the scenarios' conditional
# checks) is only written to the error log; so that log is part of the
# verdict.
tc_checks_ok()
{
	local f=$TI_DIR/$1.err.log
	if [ -e "$f" ] && grep -qE 'with check_it|Failed regexp match' "$f"; then
		ti_log "$1: failed assertions: $(grep -E 'with check_it|Failed regexp match' "$f")"
		return 1
	fi
	return 0
}

# tc_peer_wait NAME: wait (bounded) for a tc_peer to finish; fail unless
# its scenario succeeded with every assertion.
tc_peer_wait()
{
	if [ -n "${TC_EXITED[$1]:-}" ]; then # done during tc_peer
		TI_EXIT_STATUS=${TC_EXITED[$1]}
		unset "TC_EXITED[$1]"
	else
		ti_wait_exit "$1" 25 || ti_fail "$1: SIPp still running after 25 s"
	fi
	[ "$TI_EXIT_STATUS" = 0 ] ||
		ti_fail "$1: scenario failed (SIPp exit $TI_EXIT_STATUS, see $1.err.log)"
	tc_checks_ok "$1" || ti_fail "$1: scenario failed an assertion"
}

# tc__uac NAME SCENARIO TRANSPORT PORT [ARG...]: ti_sipp toward trunkd's
# 127.0.0.1:$(ti_port PORT); its exit status, or 1 when an assertion
# failed without failing the call (tc_checks_ok).
tc__uac()
{
	local name=$1 sf=$2 tr=$3 port=$4 rc=0
	shift 4
	ti_sipp "$name" "$sf" "$tr" 127.0.0.1 "$(ti_port "$port")" "$@" || rc=$?
	[ "$rc" != 0 ] || tc_checks_ok "$name" || rc=1
	return "$rc"
}

# tc_inbound_refused NAME FROM_IP: an INVITE to +15550100099 from FROM_IP
# (on the trunk side, as a carrier would send it) gets 403.
tc_inbound_refused()
{
	local rc=0
	tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/$1.xml" \
		STATUS=403 FOREIGN='127\.0\.0\.2' MAX_FORWARDS=70 CHECKS=
	tc__uac "$1" "$TI_DIR/$1.xml" u1 5080 -i "$2" -p "$(ti_port 5090)" \
		-s +15550100099 -set trunkd "$(tc_trunkd trunk)" || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: no 403 for an INVITE from $2 (SIPp exit $rc)"
}

# tc_inbound_call NAME FROM_IP: a carrier's call from FROM_IP to
# +15550100001 reaches the PBX, which answers it (both scenarios pass).
tc_inbound_call()
{
	local rc=0
	tc_peer "pbx-$1" "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
		-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
	tc__uac "carrier-$1" "$TI_ROOT/peers/carrier-invite.xml" u1 5080 \
		-i "$2" -p "$(ti_port 5090)" -s +15550100001 \
		-cid_str 'carrier-call-%u-%p@%s' -set trunkd "$(tc_trunkd trunk)" ||
		rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: the call from $2 failed (SIPp exit $rc)"
	tc_peer_wait "pbx-$1"
}

# tc_pbx NAME SCENARIO TRANSPORT [SIPP ARG...]: the PBX (a UAC on
# 127.0.0.2:5070) runs SCENARIO against trunkd's enterprise side, in the
# foreground, with the Call-ID pbx-call-N-PID@127.0.0.2 (the carrier
# asserts it never sees it) and -set trunkd <enterprise side>; returns
# non-zero when the scenario or an assertion failed (tc__uac).
tc_pbx()
{
	local name=$1 sf=$2 tr=$3
	shift 3
	tc__uac "$name" "$sf" "$tr" 5060 -i "$TC_PBX" -p "$(ti_port 5070)" \
		-cid_str 'pbx-call-%u-%p@%s' \
		-set trunkd "$(tc_trunkd ent)" "$@"
}

# tc_carrier NAME SCENARIO [SIPP ARG...]: the carrier (a UAC on
# 127.0.0.3:5090) runs SCENARIO against trunkd's trunk side over UDP, in
# the foreground, with the Call-ID carrier-call-N-PID@127.0.0.3 and -set
# trunkd <trunk side>; returns like tc_pbx.
tc_carrier()
{
	local name=$1 sf=$2
	shift 2
	tc__uac "$name" "$sf" u1 5080 -i "$TC_CARRIER" -p "$(ti_port 5090)" \
		-cid_str 'carrier-call-%u-%p@%s' \
		-set trunkd "$(tc_trunkd trunk)" "$@"
}

# tc_carrier_answers NAME [SIPP ARG...]: the carrier's SP-SSE waits in the
# background for one call from trunkd (peers/carrier-call.xml), whose
# INVITE must have Max-Forwards 69 (our PBX scenarios send 70).
tc_carrier_answers()
{
	local name=$1
	shift
	tc_peer "$name" "$TC_CARRIER" 5090 "$TI_ROOT/peers/carrier-call.xml" \
		-set trunkd "$(tc_trunkd trunk)" -set max_forwards 69 "$@"
}

# tc_outbound_call TRANSPORT [CARRIER ARG...] -- [PBX ARG...]: one call
# from the PBX (peers/pbx-call.xml over TRANSPORT, dialling +15550100001)
# to the carrier (tc_carrier_answers), peers named pbx-TRANSPORT and
# carrier-TRANSPORT; fails the test unless both scenarios succeed.
tc_outbound_call()
{
	local tr=$1 rc=0 carrier=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		carrier+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	tc_carrier_answers "carrier-$tr" "${carrier[@]}"
	tc_pbx "pbx-$tr" "$TI_ROOT/peers/pbx-call.xml" "$tr" -s +15550100001 \
		-set contact_tp "$([ "$tr" = t1 ] && echo tcp || echo udp)" \
		"$@" || rc=$?
	[ "$rc" = 0 ] || ti_fail "PBX over $tr: scenario failed (SIPp exit $rc)"
	tc_peer_wait "carrier-$tr"
}

# tc_call_pair NAME: the PBX's $TI_TEST_DIR/pbx-NAME.xml (tc_pbx, dialling
# +15550100001) against the carrier's $TI_TEST_DIR/carrier-NAME.xml
# (tc_peer) through trunkd; fails unless both succeed.
tc_call_pair()
{
	local rc=0
	tc_peer "carrier-$1" "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-$1.xml" \
		-set trunkd "$(tc_trunkd trunk)"
	tc_pbx "pbx-$1" "$TI_TEST_DIR/pbx-$1.xml" u1 -s +15550100001 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: PBX scenario failed (SIPp exit $rc)"
	tc_peer_wait "carrier-$1"
}

# tc_section_conf SECTION SRC LINE...: $TI_DIR/trunkd.conf (through
# ti_config, via $TI_DIR/src.conf) from SRC with each LINE ("key = value")
# added to its [SECTION]; fails when SRC has none.
tc_section_conf()
{
	local section=$1 src=$2 line
	shift 2
	awk -v add="$(printf '%s\n' "$@")" -v head="[$section]" \
		'{ print } $0 == head { print add }' "$src" >"$TI_DIR/src.conf"
	for line in "$@"; do
		grep -qxF "$line" "$TI_DIR/src.conf" ||
			ti_fail "$src has no [$section] section for '$line'"
	done
	ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
}

# tc_global_conf SRC LINE...: tc_section_conf for [global].
tc_global_conf() { tc_section_conf global "$@"; }

# tc_many_calls N RATE TIMEOUT: in the background, the test's own
# carrier.xml (SIPp "carrier" on the carrier's address) answers N calls
# that its pbx.xml (SIPp "pbx" on the PBX's) places at RATE per second to
# +15550100001, all of them held at once (-l N); each gives up after
# TIMEOUT (SIPp's -timeout) and logs its errors to NAME.err.log.
tc_many_calls()
{
	ti_start carrier sipp -sf "$TI_TEST_DIR/carrier.xml" -m "$1" -t u1 \
		-i "$TC_CARRIER" -p "$(ti_port 5090)" -nostdin -timeout "$3" \
		-timeout_error -trace_err -error_file "$TI_DIR/carrier.err.log"
	ti_wait_port udp "$TC_CARRIER" "$(ti_port 5090)" 10
	ti_start pbx sipp -sf "$TI_TEST_DIR/pbx.xml" -m "$1" -l "$1" -r "$2" \
		-t u1 -i "$TC_PBX" -p "$(ti_port 5070)" -s +15550100001 \
		-nostdin -timeout "$3" -timeout_error -trace_err \
		-error_file "$TI_DIR/pbx.err.log" 127.0.0.1:"$(ti_port 5060)"
}

# tc_media_call: the test's carrier.xml (tc_peer "carrier") and pbx.xml
# (tc_peer "pbx", a UAC in the background dialling +15550100001 with the
# Call-ID of tc_pbx), both for a call that stays up for the test to send
# media through; waits for the ACK at the carrier and sets TC_PORT_A and
# TC_PORT_B, trunkd's RTP ports of the call's legs A (the PBX's) and B.
tc_media_call()
{
	tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
	tc_peer pbx "$TC_PBX" 5070 "$TI_TEST_DIR/pbx.xml" \
		-s +15550100001 -cid_str 'pbx-call-%u-%p@%s' \
		-set trunkd "$(tc_trunkd ent)" "$(tc_trunkd ent)"
	ti_wait_until 10 tc__acked || ti_fail "the call did not come up"
	TC_PORT_A=$(tc_leg 0 media_port)
	TC_PORT_B=$(tc_leg 1 media_port)
}
tc__acked() { grep -q '^ACK ' "$TI_DIR/carrier.msg.txt" 2>/dev/null; }
# tc_leg LEG KEY: trunkctl calls' KEY of the first call's LEG (0, 1).
tc_leg() { ti_json "$(ti_ctl calls)" "j['calls'][0]['legs'][$1]['$2']"; }

# tc_no_calls: trunkd has no call left (trunkctl status).
tc_no_calls() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }

# tc_both_ways NAME CALLER CALLEE: one call each way with the test's SIPp
# scenarios CALLER (a UAC, -s +15550100001) and CALLEE (its UAS): the PBX
# calling out to the carrier (peers pbx-NAME-out, carrier-NAME-out), then
# the carrier calling in to the PBX (carrier-NAME-in, pbx-NAME-in). Fails
# unless every scenario passes and no call is left after each.
tc_both_ways()
{
	local name=$1 caller=$TI_TEST_DIR/$2 callee=$TI_TEST_DIR/$3 rc
	tc_peer "carrier-$name-out" "$TC_CARRIER" 5090 "$callee"
	rc=0
	tc_pbx "pbx-$name-out" "$caller" u1 -s +15550100001 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$name, outbound: the PBX's scenario failed (SIPp exit $rc)"
	tc_peer_wait "carrier-$name-out"
	ti_wait_until 5 tc_no_calls || ti_fail "$name, outbound: trunkd still has the call"

	tc_peer "pbx-$name-in" "$TC_PBX" 5070 "$callee"
	rc=0
	tc_carrier "carrier-$name-in" "$caller" -s +15550100001 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$name, inbound: the carrier's scenario failed (SIPp exit $rc)"
	tc_peer_wait "pbx-$name-in"
	ti_wait_until 5 tc_no_calls || ti_fail "$name, inbound: trunkd still has the call"
}

# tc_template SRC DST KEY=VALUE...: DST is SRC with every @KEY@ replaced by
# VALUE (SIPp reads response codes and status lines when it loads a
# scenario, so they cannot be keywords). A line holding only @KEY@ is
# dropped when VALUE is empty; a VALUE of several lines keeps the indent.
tc_template()
{
	python3 - "$@" <<'PY' || ti_fail "tc_template $1: cannot write $2"
import re, sys
src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
values = dict(p.split("=", 1) for p in pairs)
out = []
for line in open(src, encoding="utf-8").read().split("\n"):
    m = re.fullmatch(r"(\s*)@([A-Z_]+)@\s*", line)
    if m and m.group(2) in values:
        out += [m.group(1) + v for v in values[m.group(2)].split("\n") if v]
        continue
    for k, v in values.items():
        line = line.replace("@" + k + "@", v)
    out.append(line)
text = "\n".join(out)
left = re.findall(r"@[A-Z_]+@", text)
if left:
    sys.exit("%s: no value for %s" % (src, ", ".join(sorted(set(left)))))
open(dst, "w", encoding="utf-8").write(text)
PY
}

# tc_msg_time NAME DIRECTION REGEXP: the time (epoch seconds) of the first
# message SIPp peer NAME sent or received (DIRECTION sent|received) whose
# first line matches REGEXP, from NAME.msg.txt ("none" if there is none);
# the count of such messages goes to stderr.
tc_msg_time()
{
	python3 - "$TI_DIR/$1.msg.txt" "$2" "$3" <<'PY'
import datetime, re, sys
path, direction, rx = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
times = []
for block in open(path, encoding="latin-1").read().split("-" * 47 + " ")[1:]:
    lines = block.split("\n")
    stamp, kind = lines[0].strip(), lines[1]
    first = next((l for l in lines[2:] if l.strip()), "")
    if direction in kind and rx.search(first):
        t = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")
        times.append(t.timestamp())
print(len(times), file=sys.stderr)
print(times[0] if times else "none")
PY
}

# tc_between A B LOW HIGH: prints B - A (seconds); true when
# LOW <= B - A <= HIGH.
tc_between()
{
	python3 -c 'import sys
a, b = sys.argv[1:3]
if "none" in (a, b): print("(missing)"); sys.exit(1)
a, b, lo, hi = map(float, sys.argv[1:])
d = b - a
print("%.2f" % d)
sys.exit(not lo <= d <= hi)' "$@"
}

# tc_o_versions PEER RELATIONS: the o= lines of the SDPs PEER received from
# trunkd are one session, and their versions follow RELATIONS, one
# character (< rises, = same) between each two in order.
tc_o_versions()
{
	python3 - "$TI_DIR/$1.msg.txt" "$2" <<'PY' ||
import re, sys
text, want = open(sys.argv[1], encoding="latin-1").read(), sys.argv[2]
o = [re.search(r"o=trunkd (\d+) (\d+) ", b).groups()
     for b in text.split("-" * 47 + " ")
     if "message received" in b and "o=trunkd" in b]
print("o= trunkd sent:", o, file=sys.stderr)
v = [int(x[1]) for x in o]
ok = len(o) == len(want) + 1 and len({x[0] for x in o}) == 1 and all(
    (a < b) if r == "<" else (a == b) for a, b, r in zip(v, v[1:], want))
sys.exit(not ok)
PY
		ti_fail "$1: trunkd's o= lines are not one session with versions $2"
}

# tc_uac_call NAME: a call from SIPp's built-in uac on 127.0.0.1:5070 (the
# [pbx local] of the SP-SSE tests) to +15550100001 through trunkd's
# enterprise side must complete; its messages in NAME.msg.txt.
tc_uac_call()
{
	local rc=0
	ti_exec sipp -sn uac -t u1 -m 1 -i 127.0.0.1 -p "$(ti_port 5070)" \
		-s +15550100001 -nostdin -timeout 15s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		"127.0.0.1:$(ti_port 5060)" >"$TI_DIR/$1.screen.txt" 2>&1 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: the PBX's call failed (SIPp exit $rc)"
}

# tc_sse_by_dns NAME IP: an SP-SSE of a trunk by domain (SIPp,
# peers/sse-by-dns.xml: answers OPTIONS pings and calls for carrier.test)
# on IP:$(ti_port 5090) until the test stops it.
tc_sse_by_dns()
{
	ti_start "$1" sipp -sf "$TI_ROOT/peers/sse-by-dns.xml" -t u1 -i "$2" \
		-p "$(ti_port 5090)" -nostdin \
		-trace_msg -message_file "$TI_DIR/$1.msg.txt" \
		-trace_err -error_file "$TI_DIR/$1.err.log" \
		-trace_logs -log_file "$TI_DIR/$1.actions.txt"
	ti_wait_port udp "$2" "$(ti_port 5090)" 10
}

# tc_invites NAME: how many INVITEs SIPp peer NAME received.
tc_invites() { grep -c '^INVITE sip:' "$TI_DIR/$1.msg.txt" 2>/dev/null || true; }

# tc_dns TRUNK FIELD: trunkctl's "dns" FIELD of trunk by domain TRUNK
# (state, lookups, failed, addresses, ...).
tc_dns()
{
	local s
	s=$(ti_ctl status) || return 1
	ti_json "$s" "[t for t in j['trunks'] if t['name'] == '$1'][0]['dns']['$2']"
}

# tc_dns_answered TRUNK N: TRUNK's lookups exceed N and its DNS state is
# "resolved" (a lookup after the N-th was answered).
tc_dns_answered()
{
	[ "$(tc_dns "$1" lookups)" -gt "$2" ] && [ "$(tc_dns "$1" state)" = resolved ]
}

# tc_sse_states TRUNK: trunkctl's SP-SSEs of TRUNK, one "address target
# state" line each (target: the SRV target of a trunk by domain, else
# None).
tc_sse_states()
{
	local s
	s=$(ti_ctl status) || return 1
	ti_json "$s" "'\n'.join('%s %s %s' % (x['address'], x.get('target'), x['state'])
		for x in [t for t in j['trunks'] if t['name'] == '$1'][0]['sse'])"
}

# tc_sse_states_are TRUNK LINE...: tc_sse_states TRUNK is exactly LINEs.
tc_sse_states_are()
{
	local trunk=$1
	shift
	[ "$(tc_sse_states "$trunk")" = "$(printf '%s\n' "$@")" ]
}

# tc_torture_start: trunkd for 117-torture's torture.py (also 147), with
# T1 = 50 ms (an INVITE whose answer trunkd must discard ends by Timer B
# after 3.2 s), and $TI_DIR/sides.json: the PBX toward the enterprise
# side and the carrier toward the trunk side, each the other's far end,
# over UDP and TCP.
tc_torture_start()
{
	TC_GLOBAL='sip_t1 = 50ms' tc_trunkd_start
	cat >"$TI_DIR/sides.json" <<JSON
{"sides": [
 {"name": "ent", "trunkd": ["127.0.0.1", $(ti_port 5060)],
  "self": "$TC_PBX", "peer": ["$TC_CARRIER", $(ti_port 5090)],
  "callee": "+15550100001", "transports": ["udp", "tcp"]},
 {"name": "trunk", "trunkd": ["127.0.0.1", $(ti_port 5080)],
  "self": "$TC_CARRIER", "peer": ["$TC_PBX", $(ti_port 5070)],
  "callee": "+15550100001", "transports": ["udp", "tcp"]}]}
JSON
}

# tc_torture SECONDS CASE_DIR [CASE...]: torture.py's cases (all, or those
# named) sent to the sides of $TI_DIR/sides.json, bounded by SECONDS; its
# log is shown and a wrong outcome fails the test.
tc_torture()
{
	local rc=0 secs=$1
	shift
	TI_CMD_TIMEOUT=$secs ti_exec python3 \
		"$TI_ROOT/117-torture/torture.py" "$TI_DIR/sides.json" "$@" \
		>"$TI_DIR/torture.log" 2>&1 || rc=$?
	cat "$TI_DIR/torture.log" >&2
	[ "$rc" = 0 ] ||
		ti_fail "torture.py: a message got the wrong outcome (exit $rc)"
}

# tc__no_calls: trunkd holds no call right now.
tc__no_calls()
{
	local calls
	calls=$(ti_ctl calls) && [ "$(ti_json "$calls" "len(j['calls'])")" = 0 ]
}

# tc_torture_end: after bad input, trunkd holds no call once what the
# input set up has ended, still places a call each way with real peers
# (SIPp), holds no call and exits 0 on SIGTERM (under ASan: no report);
# then the test passes.
tc_torture_end()
{
	# A call the bad input made whose other leg did not answer (147's
	# fuzzer leaves half the INVITEs unanswered on purpose, and that leg
	# is gone now) ends by timer B (64*T1: 3.2 s with these tests' T1).
	# Until then its INVITE, sent again, would reach the carrier SIPp
	# below, which listens where that leg did, as a call of its own.
	ti_wait_until 30 tc__no_calls ||
		ti_fail "calls left over after the bad input: $(ti_ctl calls)"
	tc_outbound_call u1
	tc_peer pbx "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
		-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
	tc_carrier carrier "$TI_ROOT/peers/carrier-invite.xml" \
		-s +15550100001 ||
		ti_fail "the carrier's call after the bad input failed"
	tc_peer_wait pbx
	calls=$(ti_ctl calls) || ti_fail "trunkctl calls: $calls"
	ti_json_check "$calls" "len(j['calls']) == 0" "calls left over"
	ti_stop trunkd 10
	[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS"
	ti_pass
}

# Credentials of peers/calls.conf's [trunk carrier] in the tests whose
# carrier challenges (tc_trunkd_auth_start).
TC_AUTH_USER=trunkuser
TC_AUTH_PASSWORD=trunk-secret-9

# tc_trunkd_auth_start: tc_trunkd_start with username TC_AUTH_USER and
# password TC_AUTH_PASSWORD in [trunk carrier], for a carrier that
# challenges (REG-4, STA-6).
tc_trunkd_auth_start()
{
	tc_section_conf "trunk carrier" "$TI_ROOT/peers/calls.conf" \
		"username = $TC_AUTH_USER" "password = $TC_AUTH_PASSWORD"
	tc__trunkd_up
}

# tc_digest PEER METHOD HEADER NONCE_PREFIX [USER PASSWORD]: the METHOD
# requests SIPp peer PEER received whose HEADER (Authorization or
# Proxy-Authorization) answers a nonce NONCE_PREFIX... carry digests that
# verify for USER/PASSWORD (TC_AUTH_USER/TC_AUTH_PASSWORD), and not for
# another password (the check can fail); peers/digest_check.py reads
# PEER.msg.txt (SIPp's verifyauth reads Authorization only).
tc_digest()
{
	local peer=$1 method=$2 header=$3 prefix=$4 out
	local user=${5:-$TC_AUTH_USER} password=${6:-$TC_AUTH_PASSWORD}
	out=$(python3 "$TI_ROOT/peers/digest_check.py" "$TI_DIR/$peer.msg.txt" \
		"$method" "$header" "$prefix" "$user" "$password") ||
		ti_fail "$peer: $method $header on nonce $prefix did not verify: $out"
	! python3 "$TI_ROOT/peers/digest_check.py" "$TI_DIR/$peer.msg.txt" \
		"$method" "$header" "$prefix" "$user" "not-$password" >/dev/null ||
		ti_fail "$peer: digest_check.py accepts a wrong password"
}

# tc_no_calls: trunkctl status shows no call (for ti_wait_until).
tc_no_calls()
{
	local st
	st=$(ti_ctl status) || return 1
	[ "$(ti_json "$st" 'j["calls"]')" = 0 ]
}
