#!/usr/bin/env bash
# 163-transfer-across-trunk: blind transfer to a target reachable across
# the trunk (SIPconnect 12.1.1, by 3pcc: XFR-1). The carrier has two
# SP-SSEs (127.0.0.4 answers 503, 127.0.0.3) and challenges; the PBX
# (127.0.0.2) is the transferor.
#   refer  the carrier's caller (127.0.0.3:5091) calls DID +15550100001,
#          which the PBX answers; the PBX REFERs it to +15550100077 with
#          its own P-Asserted-Identity. trunkd calls the target across the
#          trunk as the PBX would: the first SP-SSE's 503 moves the INVITE
#          to the second (STA-1), whose 401 gets the trunk's digest
#          (STA-6); R-URI and To at the carrier's domain, the PBX's
#          identity asserted (ID-8), trunkd's anchored offer, nothing of
#          the PBX. When the target answers, the PBX gets NOTIFY 200 and
#          BYE, and the caller sees nothing until the target's BYE reaches
#          it. trunkctl then shows the first SP-SSE down, the second up.
#   ctl    the PBX calls +15550100001 across the trunk; `trunkctl transfer
#          ID +15550100077` sends the carrier's party to another number
#          across the trunk (digest from the start, the nonce reused:
#          REG-4); the PBX gets only the BYE; RTP flows both ways between
#          the two carrier calls through the relay (rtp.py); `trunkctl
#          calls` shows both legs on the trunk; `trunkctl hangup` ends both.
#   keep   the same after a reload with the trunk's keep-alives on: the
#          transfer's INVITE offers RFC 6223 keep like leg B's (KEEP-1);
#          both answer keep=1 and trunkctl flows lists a flow for each
#          dialog of the call (KEEP-2) until the hangup.
#   att    attended across the trunk: the PBX consults +15550100077 (the
#          carrier), then REFERs the caller's call with Replaces naming
#          the consultation; trunkd re-INVITEs the consulted party in its
#          dialog (same o= session, version 2, the first call's relay
#          port, nothing of the PBX) and joins it to the caller: NOTIFY
#          200 and BYE to the PBX on both calls; the consulted party's BYE
#          reaches the caller.
#   hangup the call is hung up (trunkctl) while the target across the trunk
#          rings: trunkd CANCELs the target's INVITE in its transaction;
#          the caller and the PBX (after NOTIFY 100) get a BYE.
#   plan   with a dial plan (reloaded): the PBX's REFER names 95550100079;
#          the plan turns it into +15550100079 on trunk carrier, as for a
#          call the PBX dials, and the carrier gets that R-URI. A
#          trunkctl transfer to 911 (emergency in the plan) gets 403 and
#          the call stays up.
#   moved  trunkd restarted with its trunk side on 127.0.0.10 (enterprise
#          and trunk media addresses differ): the target's offer names a
#          relay port on 127.0.0.10, never the enterprise address; once it
#          answers the transferee is re-INVITEd onto a new relay port
#          there (o= version 2, SDP-3); RTP flows both ways.
#   att-moved  the attended transfer of "att" there: the consulted
#          party's re-INVITE has a relay port of its own on 127.0.0.10,
#          and the caller is re-INVITEd onto a new one.
#   join   `trunkctl join` (attended by the operator) there: the PBX's
#          second call's far end replaces the PBX in its first call;
#          both carrier parties are re-INVITEd onto new relay ports on
#          127.0.0.10; RTP flows both ways between them.
#   refuses the transferee answers 488 to the re-INVITE that moves it:
#          trunkd hangs up (BYE to both carrier parties) rather than leave
#          it sending to a freed port.
# REQ: XFR-1, STA-6, ID-8, KEEP-1, KEEP-2, SDP-3
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

ti_config "$TI_TEST_DIR/trunkd.conf" "$TI_DIR/trunkd.conf"
tc__trunkd_up

finish() { local p; for p in "$@"; do tc_peer_wait "$p"; done; }
# rtp PART: RTP both ways between the two carrier parties of carrier-PART
# (rtp.py on its message log).
rtp()
{
	ti_exec python3 "$TI_TEST_DIR/rtp.py" "$TI_DIR/carrier-$1.msg.txt" \
		>"$TI_DIR/rtp-$1.log" 2>&1 ||
		{ cat "$TI_DIR/rtp-$1.log" >&2; ti_fail "$1: no RTP between the carrier's parties"; }
	ti_log "$1: $(cat "$TI_DIR/rtp-$1.log")"
}

# 1. blind, by the PBX's REFER, after a failover and a challenge
tc_peer sse4 127.0.0.4 5090 "$TI_TEST_DIR/sse-503.xml" \
	-set trunkd "$(tc_trunkd trunk)"
tc_peer target 127.0.0.3 5090 "$TI_TEST_DIR/target.xml" \
	-set trunkd "$(tc_trunkd trunk)"
tc_peer pbx-refer 127.0.0.2 5070 "$TI_TEST_DIR/pbx-refer.xml" \
	-set trunkd "$(tc_trunkd ent)" -key refer_to "sip:+15550100077@$(tc_trunkd ent)"
tc_peer caller 127.0.0.3 5091 "$TI_TEST_DIR/caller.xml" \
	-set trunkd "$(tc_trunkd trunk)" "$(tc_trunkd trunk)"
finish caller pbx-refer target sse4

status=$(ti_ctl status) || ti_fail "trunkctl status failed"
ti_json_check "$status" "[(s['address'], s['state']) for s in
	[t for t in j['trunks'] if t['name'] == 'carrier'][0]['sse']] ==
	[('127.0.0.4:$(ti_port 5090)', 'down'), ('127.0.0.3:$(ti_port 5090)', 'up')]" \
	"refer: SP-SSE states after the transfer's failover"

# ctl_transfer PART CARRIER_SCENARIO: the PBX calls +15550100001, the
# carrier (two calls) answers, `trunkctl transfer` sends its party to
# +15550100077; the PBX is released. Sets id.
ctl_transfer()
{
	local out
	tc_peer "carrier-$1" 127.0.0.3 5090 "$2" \
		-set trunkd "$(tc_trunkd trunk)" -m 2 -recv_timeout 40s -timeout 60s
	tc_peer "pbx-$1" 127.0.0.2 5072 "$TI_TEST_DIR/pbx-call.xml" \
		-set trunkd "$(tc_trunkd ent)" -s +15550100001 "$(tc_trunkd ent)"
	ti_wait_until 10 tc_call_up 1 || ti_fail "$1: no established call to transfer"
	id=$(tc_call_id)
	out=$(ti_ctl transfer "$id" +15550100077) ||
		ti_fail "$1: trunkctl transfer failed: $out"
	ti_json_check "$out" 'j["ok"]' "$1: trunkctl transfer"
	finish "pbx-$1"
}

# 2. blind, by trunkctl, with RTP between the two carrier calls afterwards
ctl_transfer ctl "$TI_TEST_DIR/callee.xml"
target_acked() { [ "$(grep -c '^ACK ' "$TI_DIR/carrier-ctl.msg.txt")" = 2 ]; }
ti_wait_until 10 target_acked || ti_fail "ctl: the target got no ACK"
ti_json_check "$(ti_ctl calls)" "[(c['from'], c['to'], c['state'])
	for c in j['calls']] == [('trunk', 'trunk', 'CONFIRMED')]" \
	"ctl: the call joins two carrier parties"
rtp ctl
out=$(ti_ctl hangup "$id") || ti_fail "ctl: trunkctl hangup failed: $out"
finish carrier-ctl

# 3. keep (RFC 6223): with the trunk's keep-alives on, the transfer's
# INVITE offers keep like leg B's (KEEP-1); both dialogs answer keep=1,
# and trunkctl flows lists two dialog flows of the call (KEEP-2) until the
# hangup.
python3 - "$TI_TEST_DIR/callee.xml" "$TI_DIR/callee-keep.xml" <<'PY' ||
import sys
s = open(sys.argv[1]).read()
ruri = 'assign_to="ruri"/>\n'
assert s.count(ruri) == 1
s = s.replace(ruri, ruri +
              '      <ereg regexp="^ *SIP/2\\.0/UDP ([^;, ]+);keep;(.*)$" search_in="hdr"\n'
              '            header="Via:" check_it="true" assign_to="via,sentby,rest"/>\n'
              '      <log message="INVITE Via offers keep: [$via]"/>\n')
via = "[last_Via:]\n      [last_From:]\n      [last_To:];tag=car-"
assert s.count(via) == 1
s = s.replace(via, via.replace("[last_Via:]",
                               "Via: SIP/2.0/UDP [$sentby];keep=1;[$rest]"))
open(sys.argv[2], "w").write(s)
PY
	ti_fail "cannot make callee-keep.xml"
sed -i 's/^keepalive = off$/keepalive = crlf/' "$TI_DIR/trunkd.conf"
grep -q '^keepalive = crlf$' "$TI_DIR/trunkd.conf" || ti_fail "keep: no keepalive line to change"
out=$(ti_ctl reload) || ti_fail "keep: reload failed: $out"
ctl_transfer keep "$TI_DIR/callee-keep.xml"
two_flows()
{
	[ "$(ti_json "$(ti_ctl flows)" "sorted((f['owner'], f['call'], f['keepalive'], f['server_value_s'], f['remote']) for f in j['flows']) == [('dialog', 'call $id', 'stun', 1, '127.0.0.3:$(ti_port 5090)')] * 2")" = True ]
}
ti_wait_until 5 two_flows || ti_fail "keep: trunkctl flows does not show both dialogs' flows: $(ti_ctl flows)"
ti_log "keep: flows after the transfer: $(ti_ctl flows)"
out=$(ti_ctl hangup "$id") || ti_fail "keep: trunkctl hangup failed: $out"
finish carrier-keep
no_flows() { [ "$(ti_json "$(ti_ctl flows)" "j['flows']")" = "[]" ]; }
ti_wait_until 3 no_flows || ti_fail "keep: the dialogs' flows outlived the call: $(ti_ctl flows)"

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has calls after the transfers"

# 4. attended: the PBX consults +15550100077 across the trunk (a fixed
# Call-ID), then REFERs the carrier caller's call with Replaces naming
# that consultation: trunkd re-INVITEs the consulted party in its dialog
# and joins it to the caller.
# attended PART Y_SCENARIO CALLER_SCENARIO TRUNK_ADDR: the PBX consults
# +15550100077 (Call-ID PART-1@127.0.0.2), the caller calls the DID on
# trunkd's TRUNK_ADDR, and the PBX REFERs that call with Replaces naming
# the consultation (its tags read from the consultation's messages).
attended()
{
	local part=$1 y=$2 caller=$3 trunk=$4 totag fromtag
	tc_peer "y-$part" 127.0.0.3 5090 "$y" \
		-set trunkd "$trunk" -recv_timeout 40s -timeout 60s
	tc_peer "consult-$part" 127.0.0.2 5072 "$TI_TEST_DIR/pbx-call.xml" \
		-set trunkd "$(tc_trunkd ent)" -cid_str "$part-%u@%s" \
		-s +15550100077 -recv_timeout 40s -timeout 60s "$(tc_trunkd ent)"
	ti_wait_until 10 tc_call_up 1 || ti_fail "$part: the consultation is not up"
	totag=$(sed -n 's/^To: .*;tag=\([^;[:space:]]*\).*/\1/p' \
		"$TI_DIR/consult-$part.msg.txt" | tail -n 1)
	fromtag=$(sed -n 's/^From: .*;tag=\([^;[:space:]]*\).*/\1/p' \
		"$TI_DIR/consult-$part.msg.txt" | tail -n 1)
	[ -n "$totag" ] && [ -n "$fromtag" ] ||
		ti_fail "$part: no tags in the consultation's messages"
	tc_peer "pbx-$part" 127.0.0.2 5070 "$TI_TEST_DIR/pbx-refer.xml" \
		-set trunkd "$(tc_trunkd ent)" -key refer_to \
		"sip:+15550100077@$(tc_trunkd ent)?Replaces=$part-1%40127.0.0.2%3Bto-tag%3D$totag%3Bfrom-tag%3D$fromtag"
	tc_peer "caller-$part" 127.0.0.3 5091 "$caller" \
		-set trunkd "$trunk" "$trunk"
	finish "caller-$part" "pbx-$part" "consult-$part" "y-$part"
	ti_wait_until 5 calls_ended || ti_fail "$part: trunkd still has calls"
}
attended att "$TI_TEST_DIR/y-attended.xml" "$TI_TEST_DIR/caller.xml" \
	"$(tc_trunkd trunk)"

# 5. the call ends while the target across the trunk rings: trunkd
# CANCELs the target's INVITE in its transaction (012's carrier scenario
# for another number); the PBX, after NOTIFY 100, gets only the BYE.
sed 's/+15550100001@carrier/+15550100078@carrier/' \
	"$TI_ROOT/012-call-cancel/carrier-cancel.xml" >"$TI_DIR/target-ring.xml"
grep -q '+15550100078@carrier' "$TI_DIR/target-ring.xml" ||
	ti_fail "hangup: no R-URI to change in 012's scenario"
python3 - "$TI_TEST_DIR/pbx-refer.xml" "$TI_DIR/pbx-refer-hangup.xml" <<'PY' ||
import sys
s = open(sys.argv[1]).read()
start = s.index('  <recv request="NOTIFY">', s.index("NOTIFY: [$trying_frag]"))
end = s.index("</send>\n", start) + len("</send>\n")
assert "done_frag" in s[start:end]
open(sys.argv[2], "w").write(s[:start] + s[end:])
PY
	ti_fail "cannot make pbx-refer-hangup.xml"
tc_peer target-ring 127.0.0.3 5090 "$TI_DIR/target-ring.xml" \
	-set trunkd "$(tc_trunkd trunk)"
tc_peer pbx-hup 127.0.0.2 5070 "$TI_DIR/pbx-refer-hangup.xml" \
	-set trunkd "$(tc_trunkd ent)" -key refer_to "sip:+15550100078@$(tc_trunkd ent)"
tc_peer caller-hup 127.0.0.3 5091 "$TI_TEST_DIR/caller.xml" \
	-set trunkd "$(tc_trunkd trunk)" "$(tc_trunkd trunk)"
ringing() { grep -q '^SIP/2.0 180 ' "$TI_DIR/target-ring.msg.txt" 2>/dev/null; }
ti_wait_until 10 ringing || ti_fail "hangup: the target never rang"
out=$(ti_ctl hangup "$(tc_call_id)") || ti_fail "hangup: trunkctl hangup failed: $out"
finish caller-hup pbx-hup target-ring
ti_wait_until 5 calls_ended || ti_fail "hangup: trunkd still has calls"

# 6. with a dial plan: the PBX's REFER names 95550100079, which the plan
# turns into +15550100079 on trunk carrier, as for a call the PBX dials.
cp "$TI_TEST_DIR/transfer.dialplan" "$TI_DIR/"
printf '\n[dialplan]\nfile = transfer.dialplan\n' >>"$TI_DIR/trunkd.conf"
out=$(ti_ctl reload) || ti_fail "plan: reload failed: $out"
sed 's/155501000(01|77)/15550100079/' "$TI_TEST_DIR/callee.xml" >"$TI_DIR/target-plan.xml"
grep -q '15550100079' "$TI_DIR/target-plan.xml" || ti_fail "plan: no R-URI to change in callee.xml"
tc_peer target-plan 127.0.0.3 5090 "$TI_DIR/target-plan.xml" \
	-set trunkd "$(tc_trunkd trunk)" -recv_timeout 40s -timeout 60s
tc_peer pbx-plan 127.0.0.2 5070 "$TI_TEST_DIR/pbx-refer.xml" \
	-set trunkd "$(tc_trunkd ent)" -key refer_to "sip:95550100079@$(tc_trunkd ent)"
tc_peer caller-plan 127.0.0.3 5091 "$TI_TEST_DIR/caller.xml" \
	-set trunkd "$(tc_trunkd trunk)" -recv_timeout 40s -timeout 60s "$(tc_trunkd trunk)"
finish pbx-plan
out=$(ti_ctl hangup "$(tc_call_id)") || ti_fail "plan: trunkctl hangup failed: $out"
finish caller-plan target-plan
ti_wait_until 5 calls_ended || ti_fail "plan: trunkd still has calls"
# An emergency number is never a transfer target (its location would
# not go with it: EM-5): the PBX's call to 95550100080 stays as it is.
sed 's/155501000(01|77)/15550100080/' "$TI_TEST_DIR/callee.xml" >"$TI_DIR/callee-em.xml"
tc_peer carrier-em 127.0.0.3 5090 "$TI_DIR/callee-em.xml" \
	-set trunkd "$(tc_trunkd trunk)" -recv_timeout 40s -timeout 60s
tc_peer pbx-em 127.0.0.2 5072 "$TI_TEST_DIR/pbx-call.xml" \
	-set trunkd "$(tc_trunkd ent)" -s 95550100080 "$(tc_trunkd ent)"
ti_wait_until 10 tc_call_up 1 || ti_fail "plan: the PBX's call to 95550100080 is not up"
id=$(tc_call_id)
out=$(ti_ctl transfer "$id" 911) && ti_fail "plan: a transfer to 911 was accepted: $out"
ti_json_check "$out" 'not j["ok"] and j["error"].endswith("emergency number (403)")' \
	"plan: trunkctl transfer to 911"
ti_wait_until 5 tc_call_up 1 || ti_fail "plan: the call did not stay up"
out=$(ti_ctl hangup "$id") || ti_fail "plan: trunkctl hangup failed: $out"
finish pbx-em carrier-em
ti_wait_until 5 calls_ended || ti_fail "plan: trunkd still has calls"

# 7. the enterprise and trunk media addresses differ: trunkd again with
# its trunk side on 127.0.0.10 (one SP-SSE, no keep-alives).
# The target gets a relay port on 127.0.0.10, and the transferee is moved
# to a new one by a re-INVITE once the target answered; RTP both ways.
ti__stop_trunkd || ti_fail "trunkd did not stop"
mv "$TI_DIR/trunkd.log" "$TI_DIR/trunkd-first.log" # kept, still scanned
sed -e 's/^trunk_listen = 127\.0\.0\.1:5080$/trunk_listen = 127.0.0.10:5080/' \
	-e 's/^proxy = .*/proxy = 127.0.0.3:5090/' \
	"$TI_TEST_DIR/trunkd.conf" >"$TI_DIR/moved-src.conf"
grep -q '^trunk_listen = 127.0.0.10:5080$' "$TI_DIR/moved-src.conf" ||
	ti_fail "moved: no trunk_listen to change"
ti_config "$TI_DIR/moved-src.conf" "$TI_DIR/trunkd-moved.conf"
ti_trunkd_start "$TI_DIR/trunkd-moved.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5
ti_wait_port udp 127.0.0.10 "$(ti_port 5080)" 5
ctl_transfer moved "$TI_TEST_DIR/callee-moved.xml"
moved_acked() { [ "$(grep -c '^ACK ' "$TI_DIR/carrier-moved.msg.txt")" = 3 ]; }
ti_wait_until 10 moved_acked || ti_fail "moved: the re-INVITE of the transferee was not ACKed"
rtp moved
out=$(ti_ctl hangup "$id") || ti_fail "moved: trunkctl hangup failed: $out"
finish carrier-moved
ti_wait_until 5 calls_ended || ti_fail "moved: trunkd still has calls"

# 8. attended with the media addresses apart: the consulted party's
# re-INVITE names a relay port of its own on 127.0.0.10, and the caller
# is re-INVITEd onto a new one there once it answered. (The consulted
# party hangs up at once: its BYE may reach trunkd before the caller's
# 200, so the caller takes the BYE with or without the ACK; part 7
# proves the ACK and the media of a moved transferee.)
sed 's/127\\\.0\\\.0\\\.1\[^0-9\]/127\\.0\\.0\\.10[^0-9]/' "$TI_TEST_DIR/y-attended.xml" \
	>"$TI_DIR/y-attended-moved.xml"
[ "$(grep -c '127\\\.0\\\.0\\\.10\[^0-9\]' "$TI_DIR/y-attended-moved.xml")" = 2 ] ||
	ti_fail "att-moved: no addresses to change in y-attended.xml"
python3 - "$TI_TEST_DIR/caller.xml" "$TI_DIR/caller-moved.xml" \
	"$TI_TEST_DIR/caller-reinvite.xml" <<'PY' ||
import sys
s = open(sys.argv[1]).read()
bye = '  <recv request="BYE">\n'
assert s.count(bye) == 1
reinvite = open(sys.argv[3]).read()
open(sys.argv[2], "w").write(s.replace(bye, reinvite + bye))
PY
	ti_fail "cannot make caller-moved.xml"
attended att-moved "$TI_DIR/y-attended-moved.xml" "$TI_DIR/caller-moved.xml" \
	"127.0.0.10:$(ti_port 5080)"

# 9. attended by the operator (`trunkctl join`), the addresses apart: the
# PBX calls +15550100001 and +15550100077 across the trunk; `trunkctl
# join` puts the second call's far end in place of the PBX in the first:
# it is re-INVITEd onto a relay port of its own on 127.0.0.10, then the
# first call's far end onto a new one (callee-moved.xml takes both); the
# PBX gets BYE on both calls, and RTP flows both ways between the two
# carrier parties (rtp.py).
tc_peer carrier-join 127.0.0.3 5090 "$TI_TEST_DIR/callee-moved.xml" \
	-set trunkd "127.0.0.10:$(ti_port 5080)" -m 2 -recv_timeout 40s -timeout 60s
tc_peer pbx-join1 127.0.0.2 5072 "$TI_TEST_DIR/pbx-call.xml" \
	-set trunkd "$(tc_trunkd ent)" -s +15550100001 "$(tc_trunkd ent)"
ti_wait_until 10 tc_call_up 1 || ti_fail "join: the first call is not up"
id=$(tc_call_id)
tc_peer pbx-join2 127.0.0.2 5074 "$TI_TEST_DIR/pbx-call.xml" \
	-set trunkd "$(tc_trunkd ent)" -s +15550100077 "$(tc_trunkd ent)"
ti_wait_until 10 tc_call_up 2 || ti_fail "join: the second call is not up"
other=$(ti_json "$(ti_ctl calls)" "[c['id'] for c in j['calls'] if c['id'] != $id][0]")
out=$(ti_ctl join "$id" "$other") || ti_fail "join: trunkctl join failed: $out"
ti_json_check "$out" 'j["ok"]' "join: trunkctl join"
finish pbx-join1 pbx-join2
join_acked() { [ "$(grep -c '^ACK ' "$TI_DIR/carrier-join.msg.txt")" = 4 ]; }
ti_wait_until 10 join_acked || ti_fail "join: the re-INVITEs were not both ACKed"
ti_json_check "$(ti_ctl calls)" "[(c['id'], c['from'], c['to']) for c in j['calls']] ==
	[($id, 'trunk', 'trunk')]" "join: one call left, between the carrier's parties"
rtp join
out=$(ti_ctl hangup "$id") || ti_fail "join: trunkctl hangup failed: $out"
finish carrier-join
ti_wait_until 5 calls_ended || ti_fail "join: trunkd still has calls"

# 10. the transferee refuses the re-INVITE that moves it (488): its media
# would go to the freed relay port, so trunkd hangs up the call (BYE to
# both carrier parties) instead of leaving it silent.
python3 - "$TI_TEST_DIR/callee-moved.xml" "$TI_DIR/callee-refuses.xml" \
	"$TI_TEST_DIR/callee-refuse.xml" <<'PY' ||
import sys
s = open(sys.argv[1]).read()
start = s.index('<label id="moved"/>')
end = s.index("</send>", start) + len("</send>")
refuse = open(sys.argv[3]).read().split("-->\n", 1)[1].rstrip("\n")
open(sys.argv[2], "w").write(s[:start] + refuse + s[end:])
PY
	ti_fail "cannot make callee-refuses.xml"
ctl_transfer refuses "$TI_DIR/callee-refuses.xml"
finish carrier-refuses
ti_wait_until 5 calls_ended || ti_fail "refuses: trunkd still has the call"
ti_pass
