#!/usr/bin/env bash
# 015-call-late-offer: the PBX calls without SDP; the carrier gets an
# INVITE without a body, its 200 carries the offer to the PBX, the PBX's
# ACK carries the answer and trunkd's ACK to the carrier must carry it too.
# REQ: SDP-1 (partly: an offerless INVITE is accepted and the offer reaches the caller in the 200), SC-6-1 (partly: RFC 3264 offer in the 2xx, answer in the ACK)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
tc_outbound_call u1 -set offer late -- -set offer late
ti_pass
