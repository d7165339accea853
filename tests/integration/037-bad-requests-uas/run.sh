#!/usr/bin/env bash
# 037-bad-requests-uas: what a UAS refuses before anything else, from the
# PBX's address (../peers/calls.conf; no carrier listens): 416 for tel:
# and mailto: Request-URIs (INVITE and OPTIONS), 482 for the same INVITE
# arriving again with another branch (merged request), 483 for
# Max-Forwards 0, 400 for an unparsable Max-Forwards, a body shorter than
# Content-Length and a CSeq method mismatch, 488 for unparsable SDP, 420
# only for unknown extensions (Require: 100rel and Require: timer are
# accepted now); OPTIONS then advertises Supported: 100rel, timer and
# trunkd exits 0 on SIGTERM.
# REQ: SC-6-2, SC-6-1 (partly: RFC 3261 8.2.2 request checks)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_start
ti_exec python3 "$TI_TEST_DIR/probe.py" "$(ti_port 5060)" \
	>"$TI_DIR/probe.log" 2>&1 ||
	{ cat "$TI_DIR/probe.log" >&2; ti_fail "a request got the wrong answer"; }
ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS after the probes"
ti_pass
