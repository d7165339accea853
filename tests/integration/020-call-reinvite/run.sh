#!/usr/bin/env bash
# 020-call-reinvite: re-INVITE relayed both ways through an established
# call: the PBX holds with an offer (a=sendonly) and gets the carrier's
# answer; the carrier sends an offerless re-INVITE, the PBX's offer reaches
# it in the 200 and its answer reaches the PBX in the ACK.
# REQ: XFR-2, HOLD-1
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default "$TI_TEST_DIR/pbx-section.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"

# The carrier: the first trunk's proxy, 127.0.0.1:5090.
ti_start carrier sipp -sf "$TI_TEST_DIR/carrier.xml" -m 1 -t u1 \
	-i 127.0.0.1 -p "$(ti_port 5090)" -nostdin \
	-timeout 20s -timeout_error -recv_timeout 8s \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt" \
	-trace_err -error_file "$TI_DIR/carrier.err.log" \
	-trace_logs -log_file "$TI_DIR/carrier.actions.txt"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10

rc=0
ti_sipp pbx "$TI_TEST_DIR/pbx.xml" u1 127.0.0.1 "$(ti_port 5060)" \
	-cid_str 'pbx-%u-%p@%s' || rc=$?
[ "$rc" = 0 ] || ti_fail "PBX scenario failed (SIPp exit $rc)"
ti_wait_exit carrier 15 || ti_fail "carrier SIPp did not finish"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "carrier scenario failed (SIPp exit $TI_EXIT_STATUS)"
ti_pass
