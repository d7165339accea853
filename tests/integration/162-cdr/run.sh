#!/usr/bin/env bash
# 162-cdr: call detail records (docs/cdr.md), one SQLite row per call,
# checked against what the peers saw on the wire:
#   1. the PBX's call to the carrier, answered, BYE from the PBX: direction
#      outbound, trunk carrier, leg A's From URI, R-URI and Call-ID as the
#      PBX sent them, leg B's From, R-URI and Call-ID as the carrier got
#      them, status 200, start <= answer <= end, duration = end - answer;
#   2. a call the carrier refuses with 486: status 486, no answer time,
#      duration 0;
#   3. a call whose leg B is never set up (the PBX's SDP cannot be
#      parsed: 488 at once): direction outbound, status 488, reason
#      "cannot set up leg B", no Call-ID for leg B;
#   4. a call with RTP both ways (40 packets from the PBX, 25 from the
#      carrier), ended by trunkctl hangup: the packet counts of trunkctl
#      calls, reason "hangup by trunkctl";
#   5. the database locked by another process (a write transaction held):
#      a call still completes at once, its row waits (trunkctl status: a
#      failed transaction, 1 queued, nothing dropped) and is written once
#      the lock goes;
#   6. the carrier's INVITE to a number that is not its DID: 404 and a
#      row (call 0, inbound, trunk carrier, status 404, nothing of leg B);
#      an INVITE from an unknown address: 403 and no row;
#   7. a carrier's call to the PBX (inbound), then SIGTERM at once: its
#      row is written before trunkd exits;
#   8. trunkd refuses to start, naming the config line and the reason,
#      when cdr_database cannot be made (a file where its directory goes)
#      or holds a cdr table of another shape, and naming the default path
#      when the config has no cdr_database and /var/lib cannot be written
#      (a read-only tmpfs over it, in a mount namespace of trunkd's own);
#      with cdr = off a call leaves
#      no database and trunkctl status no "cdr";
#   9. with cdr_keep_days = 30, a row of a call that started 40 days ago
#      is deleted at start (trunkctl status: purged 1), the others stay.
# REQ: none (call detail records: DESIGN.md, no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

DB=$TI_STATE/cdr.sqlite
cdr() { python3 "$TI_TEST_DIR/cdr.py" "$@"; }
rows() { cdr rows "$DB"; }
count_is() { [ "$(cdr count "$DB")" = "$1" ]; }
# check N EXPR WHAT: EXPR over r (row N, from 1) and j (all rows) holds.
check()
{
	local json
	json=$(rows)
	[ "$(ti_json "$json" "(lambda r: $2)(j[$1 - 1])")" = True ] ||
		ti_fail "$3: row $1: $(ti_json "$json" "j[$1 - 1]")"
}
cdr_stat() { ti_json "$(ti_ctl status)" "j['cdr']['$1']"; }

tc_trunkd_start

# 1. Outbound, answered.
tc_outbound_call u1
ti_wait_until 5 count_is 1 || ti_fail "1: no row: $(cdr count "$DB") rows"
a=$(cdr invite "$TI_DIR/pbx-u1.msg.txt" sent)
b=$(cdr invite "$TI_DIR/carrier-u1.msg.txt" received)
q() { ti_json "$1" "j['$2']"; }
check 1 "r['call'] == 1 and r['direction'] == 'outbound' and r['trunk'] == 'carrier'" "1: call, direction, trunk"
check 1 "r['from_a'] == '$(q "$a" from_uri)' and r['ruri_a'] == '$(q "$a" ruri)' and r['call_id_a'] == '$(q "$a" call_id)'" \
	"1: leg A as the PBX sent it ($a)"
check 1 "r['from_b'] == '$(q "$b" from | sed "s/'/\\\\'/g")' and r['ruri_b'] == '$(q "$b" ruri)' and r['call_id_b'] == '$(q "$b" call_id)'" \
	"1: leg B as the carrier got it ($b)"
check 1 "r['status'] == 200 and r['reason'] == 'BYE from A' and r['emergency'] == 0" "1: status, reason"
check 1 "r['start_ms'] <= r['answer_ms'] <= r['end_ms'] and r['duration_ms'] == r['end_ms'] - r['answer_ms'] and abs(r['start_ms'] / 1000 - $(date +%s)) < 60" \
	"1: times"

# 2. Refused by the carrier.
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-486.xml" \
	STATUS=486 MAX_FORWARDS=70 FOREIGN='127\.0\.0\.3' CHECKS=
tc_peer carrier-486 "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-busy.xml"
tc_pbx pbx-486 "$TI_DIR/pbx-486.xml" u1 -s +15550100001 ||
	ti_fail "2: the PBX did not get 486"
tc_peer_wait carrier-486
ti_wait_until 5 count_is 2 || ti_fail "2: no row"
check 2 "r['status'] == 486 and r['answer_ms'] is None and r['duration_ms'] == 0 and r['start_ms'] <= r['end_ms']" \
	"2: a refused call"
check 2 "r['call_id_b'] == '$(q "$(cdr invite "$TI_DIR/carrier-486.msg.txt" received)" call_id)'" \
	"2: leg B's Call-ID"

# 3. Leg B never set up: the PBX's offer cannot be parsed (488 at once).
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/pbx-488.xml" \
	STATUS=488 MAX_FORWARDS=70 FOREIGN='127\.0\.0\.3' CHECKS=
sed -i '/^      o=uac /,/^      a=rtpmap:/c\      this is not sdp' "$TI_DIR/pbx-488.xml"
grep -q '^      this is not sdp$' "$TI_DIR/pbx-488.xml" || ti_fail "3: no bad SDP in the PBX's scenario"
tc_pbx pbx-488 "$TI_DIR/pbx-488.xml" u1 -s +15550100001 ||
	ti_fail "3: the PBX did not get 488"
ti_wait_until 5 count_is 3 || ti_fail "3: no row"
check 3 "r['direction'] == 'outbound' and r['trunk'] == 'carrier' and r['status'] == 488 and r['reason'] == 'cannot set up leg B' and r['answer_ms'] is None and not r['call_id_b'] and r['call_id_a'] == '$(q "$(cdr invite "$TI_DIR/pbx-488.msg.txt" sent)" call_id)'" \
	"3: leg B never set up"

# 4. RTP both ways, trunkctl hangup.
tc_media_call
ti_exec python3 "$TI_TEST_DIR/cdr.py" rtp 127.0.0.2:40000 "127.0.0.1:$TC_PORT_A" 40
ti_exec python3 "$TI_TEST_DIR/cdr.py" rtp 127.0.0.3:50000 "127.0.0.1:$TC_PORT_B" 25
counted() { [ "$(tc_leg 0 rtp_in),$(tc_leg 1 rtp_in)" = 40,25 ]; }
ti_wait_until 5 counted ||
	ti_fail "4: trunkctl calls counts $(tc_leg 0 rtp_in), $(tc_leg 1 rtp_in) RTP packets, want 40, 25"
id=$(ti_json "$(ti_ctl calls)" 'j["calls"][0]["id"]')
ti_ctl hangup "$id" >/dev/null || ti_fail "4: trunkctl hangup failed"
tc_peer_wait pbx
tc_peer_wait carrier
ti_wait_until 5 count_is 4 || ti_fail "4: no row"
check 4 "r['call'] == $id and r['rtp_a'] == 40 and r['rtp_b'] == 25 and r['reason'] == 'hangup by trunkctl' and r['status'] == 200" \
	"4: RTP counted, hangup"

# 5. The database locked by another process.
ti_start lock python3 "$TI_TEST_DIR/cdr.py" lock "$DB" "$TI_DIR/unlock"
locked() { grep -qx locked "$TI_DIR/lock.log"; }
ti_wait_until 10 locked || ti_fail "5: could not lock the database"
tc_outbound_call t1 # completes: nothing waits for the disk
failing() { [ "$(cdr_stat failures)" -ge 1 ]; }
ti_wait_until 10 failing || ti_fail "5: no failed transaction: $(ti_ctl status)"
[ "$(cdr_stat queued),$(cdr_stat dropped),$(cdr_stat written)" = 1,0,4 ] ||
	ti_fail "5: while locked: $(ti_ctl status)"
count_is 4 || ti_fail "5: a row was written through the lock"
touch "$TI_DIR/unlock"
ti_wait_exit lock 10 || ti_fail "5: the lock holder did not end"
ti_wait_until 10 count_is 5 || ti_fail "5: the row did not follow the lock"
[ "$(cdr_stat queued),$(cdr_stat dropped),$(cdr_stat written)" = 0,0,5 ] ||
	ti_fail "5: after the lock: $(ti_ctl status)"
check 5 "r['status'] == 200 and r['call_id_b'] == '$(q "$(cdr invite "$TI_DIR/carrier-t1.msg.txt" received)" call_id)'" \
	"5: the delayed row"
grep -q 'cannot write 1 call records: database is locked' "$TI_DIR/trunkd.log" ||
	ti_fail "5: trunkd did not say why the row waited"

# 6. INVITEs refused: one from an unknown address (403: the sender
# refused, no row), then one from the carrier to a number that is not its
# DID (404 once the carrier was admitted: a row). Rows are written in
# order, so once the 404's is there, a row of the 403 would be too.
tc_inbound_refused stranger 127.0.0.9
tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/notdid.xml" \
	STATUS=404 FOREIGN='127\.0\.0\.2' MAX_FORWARDS=70 CHECKS=
tc__uac notdid "$TI_DIR/notdid.xml" u1 5080 -i "$TC_CARRIER" \
	-p "$(ti_port 5090)" -s +15550100100 -set trunkd "$(tc_trunkd trunk)" ||
	ti_fail "6: the carrier's INVITE to +15550100100 did not get 404"
has_6() { [ "$(cdr count "$DB")" -ge 6 ]; }
ti_wait_until 5 has_6 || ti_fail "6: no row for the 404"
check 6 "r['call'] == 0 and r['direction'] == 'inbound' and r['trunk'] == 'carrier' and r['status'] == 404 and r['reason'] == 'refused: 404 Not Found' and r['ruri_a'].startswith('sip:+15550100100@') and r['call_id_a'] == '$(q "$(cdr invite "$TI_DIR/notdid.msg.txt" sent)" call_id)' and r['from_b'] == r['ruri_b'] == r['call_id_b'] == '' and r['answer_ms'] is None and r['start_ms'] == r['end_ms']" \
	"6: the refused INVITE"
[ "$(cdr_stat written),$(cdr_stat queued)" = 6,0 ] ||
	ti_fail "6: the unknown source's INVITE was recorded: $(ti_ctl status)"

# 7. Inbound, then SIGTERM at once.
tc_inbound_call in "$TC_CARRIER"
ti_stop trunkd 20
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "7: trunkd exited $TI_EXIT_STATUS"
count_is 7 || ti_fail "7: $(cdr count "$DB") rows after SIGTERM, want 7"
check 7 "r['direction'] == 'inbound' and r['trunk'] == 'carrier' and r['status'] == 200 and r['call_id_a'] == '$(q "$(cdr invite "$TI_DIR/carrier-in.msg.txt" sent)" call_id)' and r['call_id_b'] == '$(q "$(cdr invite "$TI_DIR/pbx-in.msg.txt" received)" call_id)'" \
	"7: inbound"

# 8. Refusals, and cdr = off.
refused()
{
	ti_start trunkd "${WRAP[@]}" "$TRUNKD" --config "$TI_DIR/trunkd.conf"
	ti_wait_exit trunkd 10 || ti_fail "8: trunkd runs with $1"
	[ "$TI_EXIT_STATUS" != 0 ] || ti_fail "8: trunkd exited 0 with $1"
	grep -q "$2" "$TI_DIR/trunkd.log" ||
		ti_fail "8: $1: not said: $(tail -3 "$TI_DIR/trunkd.log")"
	ti_log "8: $1: $(grep -o 'cdr_database .*' "$TI_DIR/trunkd.log" | tail -1)"
}
use_db()
{
	tc_section_conf global "$TI_ROOT/peers/calls.conf" "$@"
	sed -i "s|^cdr_database = .*|cdr_database = $DB|" "$TI_DIR/trunkd.conf"
}
line() { grep -n '^cdr_database' "$TI_DIR/trunkd.conf" | cut -d: -f1; }
WRAP=()
: >"$TI_DIR/afile"
DB=$TI_DIR/afile/cdr.sqlite use_db
refused "a file for a directory" \
	"trunkd.conf:$(line): cdr_database $TI_DIR/afile/cdr.sqlite: cannot make its directory: Not a directory"
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("CREATE TABLE cdr (id INTEGER PRIMARY KEY, caller TEXT)")' \
	"$TI_DIR/other.sqlite"
DB=$TI_DIR/other.sqlite use_db
refused "another cdr table" \
	"trunkd.conf:$(line): cdr_database $TI_DIR/other.sqlite: .*column"
use_db
sed -i '/^cdr_database = /d' "$TI_DIR/trunkd.conf"
# shellcheck disable=SC2016 # "$@" is the inner shell's
WRAP=(unshare --mount --propagation private
	sh -c 'mount -t tmpfs -o ro tmpfs /var/lib && exec "$@"' wrap)
refused "the default path, /var/lib read-only" \
	"cdr_database /var/lib/trunkd/cdr.sqlite (the default): cannot make its directory: Read-only file system"
WRAP=()
DB=$TI_DIR/off.sqlite use_db "cdr = off"
tc__trunkd_up
tc_outbound_call u1
[ ! -e "$TI_DIR/off.sqlite" ] || ti_fail "8: cdr = off made $TI_DIR/off.sqlite"
[ "$(ti_json "$(ti_ctl status)" "'cdr' in j")" = False ] ||
	ti_fail "8: cdr = off, yet trunkctl status has cdr"

# 9. cdr_keep_days = 30: a copy of row 1 that started 40 days ago goes at
# start; the 7 rows of today stay.
ti_stop trunkd 10
python3 - "$DB" <<'PY' || ti_fail "9: cannot add the old row"
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("""INSERT INTO cdr (call, direction, trunk, from_a, ruri_a,
  from_b, ruri_b, call_id_a, call_id_b, emergency, start_ms, answer_ms,
  end_ms, duration_ms, status, reason, rtp_a, rtp_b)
  SELECT call, direction, trunk, from_a, ruri_a, from_b, ruri_b,
  'forty-days-ago', call_id_b, emergency, start_ms - 40 * 86400000,
  answer_ms - 40 * 86400000, end_ms - 40 * 86400000, duration_ms, status,
  reason, rtp_a, rtp_b FROM cdr WHERE id = 1""")
con.commit()
PY
count_is 8 || ti_fail "9: $(cdr count "$DB") rows before, want 8"
use_db "cdr_keep_days = 30"
tc__trunkd_up
purged() { [ "$(cdr_stat purged)" = 1 ]; }
ti_wait_until 10 purged || ti_fail "9: nothing purged: $(ti_ctl status)"
count_is 7 || ti_fail "9: $(cdr count "$DB") rows after, want 7"
[ "$(ti_json "$(rows)" "[r['call_id_a'] for r in j if r['call_id_a'] == 'forty-days-ago']")" = "[]" ] ||
	ti_fail "9: the old row is still there"
grep -q 'deleted 1 call records older than 30 days' "$TI_DIR/trunkd.log" ||
	ti_fail "9: trunkd did not say what it deleted"
ti_pass
