#!/usr/bin/env bash
# 117-torture: the RFC 4475 SIP torture messages (cases/, one file per
# case in the RFC's notation, its section in the file) sent as raw bytes
# by torture.py to both sides of trunkd, from the PBX in the ACL to the
# enterprise side and from the carrier's SP-SSE to the trunk side, over
# UDP and TCP. Valid messages are processed (OPTIONS 200, an INVITE
# becomes a call through the other leg, answered, ACKed and hung up;
# unknown methods 501, REGISTER challenged or refused by side), invalid
# ones get the 4xx/5xx the RFC names (400, 416, 420 + Unsupported, 483,
# 505, 415, 406) or are dropped where no answer can be formed; nothing
# of a refused message reaches the other leg; trunkd answers OPTIONS
# after every message. Then a SIPp call each way still works, no call is
# left over and trunkd exits 0 on SIGTERM (no crash, no sanitizer
# report).
# REQ: SC-6-1, SC-6-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_torture_start
tc_torture 75 "$TI_TEST_DIR/cases" "$@"
tc_torture_end
