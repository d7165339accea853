#!/usr/bin/env bash
# 070-keep-dialog: RFC 6223 keep on a dialog trunkd forms toward the trunk
# (KEEP-1, KEEP-2, KEEP-4). The PBX (SIPp) calls the carrier through
# trunkd (trunk keepalive = crlf); the carrier (SIPp, carrier-keep.xml)
# asserts that the INVITE's Via offers keep and the ACK's does not, and
# answers keep=1. A capture proves on the wire that trunkd then sends STUN
# Binding keep-alives toward the carrier every 0.8-1.0 s (80-100 % of 1 s)
# while the call is up, none before the 200 and none after the carrier's
# BYE ended the dialog. No other in-dialog request reaches the carrier
# (the scenario fails on any), so nothing renegotiates keep (KEEP-4).
# trunkctl flows lists the dialog's flow (owner dialog, its call, keep 1 s)
# while the call is up and no more once it ended.
# REQ: KEEP-1, KEEP-2, KEEP-4
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/flows.sh"
ti_setup

# peers/calls.conf with the carrier trunk's keep-alives on (the offer
# promises them).
sed 's/^keepalive = off$/keepalive = crlf/' "$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
grep -q '^keepalive = crlf$' "$TI_DIR/src.conf" || ti_fail "calls.conf has no keepalive = off to change"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
flows_capture_start
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5080)" 5

tc_peer carrier "$TC_CARRIER" 5090 "$TI_TEST_DIR/carrier-keep.xml"
# The PBX's call in the background (its own bounds: SIPp's timeouts), so
# that trunkctl flows can be read while the call is up.
tc_pbx pbx "$TI_ROOT/peers/pbx-call.xml" u1 -s +15550100001 \
	-set contact_tp udp -set bye wait &
pbx=$!
# trunkctl flows lists the dialog's flow while the call is up (KEEP-2).
dialog_flow()
{
	[ "$(ti_json "$(ti_ctl flows)" "[(f['owner'], f['trunk'], f['call'].startswith('call '), f['state'], f['keepalive'], f['interval_source'], f['server_value_s'], 800 <= f['interval_ms'] <= 1000, f['remote']) for f in j['flows']] == [('dialog', 'carrier', True, 'up', 'stun', 'keep', 1, True, '$TC_CARRIER:$(ti_port 5090)')]")" = True ]
}
ti_wait_until 4 dialog_flow || ti_fail "trunkctl flows does not show the dialog's flow: $(ti_ctl flows)"
ti_log "flows during the call: $(ti_ctl flows)"
rc=0
wait "$pbx" || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's call failed (SIPp exit $rc)"
tc_peer_wait carrier
no_flows() { [ "$(ti_json "$(ti_ctl flows)" "j['flows']")" = "[]" ]; }
ti_wait_until 3 no_flows || ti_fail "the dialog's flow outlived the call: $(ti_ctl flows)"
# Keep-alives must stop with the dialog: watch two more intervals.
# (tshark writes the capture in its own time: wait for the BYE in it.)
bye=
bye_seen()
{
	bye=$(flows_fields "udp.srcport == $(ti_port 5090) && sip.Method == \"BYE\"" frame.time_epoch | head -1)
	[ -n "$bye" ]
}
ti_wait_until 10 bye_seen || ti_fail "no BYE from the carrier in the capture"
after_bye() { python3 -c 'import sys, time; sys.exit(0 if time.time() > float(sys.argv[1]) + 2.5 else 1)' "$bye"; }
ti_wait_until 10 after_bye || ti_fail "clock"
flows_capture_stop

ok=$(flows_fields "udp.srcport == $(ti_port 5090) && sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\"" frame.time_epoch | head -1)
[ -n "$ok" ] || ti_fail "no 200 to the INVITE in the capture"
stun="udp.dstport == $(ti_port 5090) && stun.type == 0x0001"
before=$(flows_fields "$stun && frame.time_epoch < $ok" frame.time_epoch | wc -l)
[ "$before" = 0 ] || ti_fail "$before STUN keep-alives before the 200 answered keep"
flows_fields "$stun && frame.time_epoch > $ok && frame.time_epoch < $bye" frame.time_epoch |
	flows_gaps_within 0.8 1.05 "STUN keep-alives during the call" ||
	ti_fail "keep-alives during the call not every 80-100 % of keep=1"
n=$(flows_fields "$stun && frame.time_epoch > $ok && frame.time_epoch < $bye" frame.time_epoch | wc -l)
[ "$n" -ge 3 ] || ti_fail "only $n keep-alives in the 4 s call"
bye_end=$(python3 -c 'import sys; print("%.6f" % (float(sys.argv[1]) + 0.2))' "$bye")
late=$(flows_fields "$stun && frame.time_epoch > $bye_end" frame.time_epoch | wc -l)
[ "$late" = 0 ] || ti_fail "$late keep-alives after the dialog ended"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
