#!/usr/bin/env bash
# 016-call-bye-from-carrier: a call from the PBX that the carrier hangs up;
# trunkd answers the carrier's BYE and sends its own BYE in the PBX's
# dialog (no carrier address in it); the PBX answers it.
# REQ: SC-6-1 (partly: BYE from the called side relayed)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_outbound_call u1 -set bye send -- -set bye wait
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call after both BYEs"
ti_pass
