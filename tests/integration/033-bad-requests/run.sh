#!/usr/bin/env bash
# 033-bad-requests: malformed and unexpected requests get the right answer
# and never crash trunkd (issue 3 "Bad input"): 481 for requests in unknown
# dialogs, 420 + Unsupported for an unknown Require, 400 for a missing
# Call-ID, silence for garbage; OPTIONS is answered afterwards and trunkd
# exits 0 on SIGTERM.
# REQ: SC-6-2
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config "$SOURCE_ROOT/config/trunkd.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_exec python3 "$TI_TEST_DIR/probe.py" "$(ti_port 5060)" \
	>"$TI_DIR/probe.log" 2>&1 ||
	{ cat "$TI_DIR/probe.log" >&2; ti_fail "a request got the wrong answer"; }
ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS after the probes"
ti_pass
