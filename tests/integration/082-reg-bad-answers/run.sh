#!/usr/bin/env bash
# 082-reg-bad-answers: a SIPp registrar over UDP answers REGISTER badly:
# a 302 naming another registrar (REG-14: not followed, a failure with
# back-off), a 200 without Contact, a 200 with somebody else's binding
# only, a 200 granting our Contact 0 s (each: not registered, back off per
# REG-6: 1, 2, 4, 8 s), a 200 granting 1 s (refreshed after
# register_min_refresh, 3 s, not every second), garbage to a refresh
# (Timer F; no connection to re-establish over UDP (REG-5), so back off
# 1 s), a 200 granting 2^32 s (taken as the 60 s asked for, not
# wrapped to 0). The registrar's pauses fail on any early REGISTER and its
# timeouts on a late one; the REGISTER transactions are counted, each bad
# answer is one log line, and nothing goes to the 302's target.
# REQ: REG-5 REG-6 REG-10 REG-12 REG-14
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/flows.sh"
ti_setup

ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunk.conf"
flows_global "sip_t1 = 100ms" "random_seed = 82"
ti_start target sipp -sf "$TI_TEST_DIR/target.xml" -m 1 -t u1 -i 127.0.0.1 \
	-p "$(ti_port 5092)" -nostdin -trace_msg -message_file "$TI_DIR/target.msg.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5092)" 10
ti_start registrar sipp -sf "$TI_TEST_DIR/registrar.xml" -m 1 -t u1 \
	-i 127.0.0.1 -p "$(ti_port 5090)" -nostdin -timeout 80s -timeout_error \
	-set target_port "$(ti_port 5092)" \
	-trace_msg -message_file "$TI_DIR/registrar.msg.txt" \
	-trace_err -error_file "$TI_DIR/registrar.err.log" \
	-trace_logs -log_file "$TI_DIR/registrar.actions.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_trunkd_start "$TI_DIR/trunkd.conf"

reg() { ti_json "$(ti_ctl registrations)" "j['trunks'][0]$1"; }
# REGISTER transactions (retransmissions share their CSeq).
ntx() { grep -a '^CSeq: [0-9]* REGISTER' "$TI_DIR/registrar.msg.txt" 2>/dev/null | sort -u | wc -l; }

# The last answer, 2^32 s: registered for the 60 s asked for.
ti_wait_until 60 eval '[ "$(ntx)" -ge 7 ]' || ti_fail "only $(ntx) REGISTERs came"
ti_wait_until 3 eval '[ "$(reg "[\"state\"]")" = registered ]' ||
	ti_fail "not registered after the 2^32 s grant: $(ti_ctl registrations)"
ti_json_check "$(ti_ctl registrations)" \
	"0 < j['trunks'][0]['expires_in'] <= 60 and 25 <= j['trunks'][0]['next_attempt_in'] <= 30" \
	"the 2^32 s grant taken as 60 s"
# 60 s asked, refresh after 30 s: nothing in the next 6 s (a grant
# wrapped to 0 would refresh at once; the registrar's pause fails too).
ti_wait_until 6 eval '[ "$(ntx)" -ge 8 ]' && ti_fail "a REGISTER right after the 2^32 s grant"
ti_running trunkd || ti_fail "trunkd died"

ti_stop trunkd 10
ti_wait_exit registrar 10 || ti_fail "the registrar got no un-REGISTER"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "the registrar's script failed (SIPp exit $TI_EXIT_STATUS): a REGISTER too early or too late"
[ "$(ntx)" = 8 ] || ti_fail "$(ntx) REGISTER transactions, not 8"
! grep -aq '^REGISTER ' "$TI_DIR/target.msg.txt" 2>/dev/null ||
	ti_fail "trunkd followed the 302 (REG-14)"

# The registration's state changes, in order, from the log: each bad
# answer is a failure with the REG-6 back-off, or a registration.
grep -a 'trunk.reg' "$TI_DIR/trunkd.log" | grep -ao '[a-z]* -> [a-z]* (.*)' >"$TI_DIR/states.txt" || true
cat >"$TI_DIR/states.want" <<'WANT'
idle -> registering (REGISTER sent)
registering -> backoff (302 Moved Temporarily, retry in 1 s)
backoff -> registering (REGISTER sent)
registering -> backoff (2xx without a Contact, retry in 2 s)
backoff -> registering (REGISTER sent)
registering -> backoff (2xx without our Contact (another binding only), retry in 4 s)
backoff -> registering (REGISTER sent)
registering -> backoff (2xx granting our Contact 0 s (not bound), retry in 8 s)
backoff -> registering (REGISTER sent)
registering -> registered (granted 1 s)
registered -> backoff (408 Request Timeout, retry in 1 s)
backoff -> registering (REGISTER sent)
registering -> registered (granted 60 s)
registered -> registering (un-REGISTER sent)
WANT
diff -u "$TI_DIR/states.want" "$TI_DIR/states.txt" >&2 ||
	ti_fail "unexpected registration states (above)"
# One WARN line per bad answer, none repeated.
for w in "REGISTER failed: 2xx without a Contact" \
	"REGISTER failed: 2xx without our Contact (another binding only)" \
	"REGISTER failed: 2xx granting our Contact 0 s (not bound)" \
	"granted only 1 s: refreshing after register_min_refresh (3 s), not 1 s" \
	"ignoring unusable expires=4294967296 in the 2xx's Contact"; do
	[ "$(grep -c "WARN  trunk.reg .*$w" "$TI_DIR/trunkd.log")" = 1 ] ||
		ti_fail "not exactly one warning: $w"
done
ti_pass
