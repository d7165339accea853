#!/usr/bin/env bash
# 115-reinvite-prack-timeout: an offer in a reliable 18x to an offerless
# re-INVITE that the asker never PRACKs (RFC 3262 3). The PBX re-INVITEs
# without SDP (Supported: 100rel); the carrier offers in a reliable 183;
# trunkd relays it reliably and sends it again; the PBX never PRACKs.
# With sip_t1 = 50ms, 64*T1 = 3.2 s after the first 183 nta fails the
# PBX's re-INVITE with 503, and trunkd CANCELs the carrier's (200, 487,
# ACK), which never got a PRACK (an unanswered offer must not stay there).
# The call stays up: the carrier hangs up, no call is left.
# REQ: SDP-1 XFR-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

TC_GLOBAL='sip_t1 = 50ms' tc_trunkd_start
tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier.xml"
rc=0
tc_pbx pbx "$TI_TEST_DIR/pbx.xml" u1 || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
tc_peer_wait carrier

first=$(tc_msg_time pbx received '^SIP/2\.0 183' 2>"$TI_DIR/n183")
final=$(tc_msg_time pbx received '^SIP/2\.0 503' 2>/dev/null)
[ "$(cat "$TI_DIR/n183")" -ge 3 ] ||
	ti_fail "trunkd did not send its reliable 183 again ($(cat "$TI_DIR/n183") sent)"
d=$(tc_between "$first" "$final" 2.9 5) ||
	ti_fail "the 503 came $d s after the first 183, not 64*T1 = 3.2 s"
ti_log "503 $d s after the first reliable 183 ($(cat "$TI_DIR/n183") copies)"
grep -q 'never PRACKed our reliable 18x to its re-INVITE' "$TI_DIR/trunkd.log" ||
	ti_fail "no log line for the missing PRACK"

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
