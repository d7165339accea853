#!/usr/bin/env bash
# 010-call-outbound: a call from the PBX to the carrier through trunkd, the
# PBX over UDP and then over TCP; the carrier sees trunkd's own request
# (R-URI at the trunk's domain, To = R-URI, one Via, Max-Forwards 69, new
# Call-ID, no PBX address), the PBX trunkd's answers; OPTIONS in the
# dialog gets 200; the PBX hangs up (REFER: 038-call-transfer).
# REQ: ID-7, SC-8-1, SC-6-1 (partly: INVITE/1xx/2xx/ACK/BYE relayed by a B2BUA with two dialogs)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
for tr in u1 t1; do
	tc_outbound_call "$tr"
done
ti_pass
