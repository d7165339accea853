#!/usr/bin/env bash
# 200-registrar-challenge-flood: a flood of REGISTERs that are challenged
# and never answered (SIPp, more than trunkd's 4,096 nonce slots) pushes
# out no phone's nonce: a phone challenged before the flood answers after
# it and is registered at once (not stale), and keeps counting on that
# nonce (141's phone.py --across-flood).
# REQ: none (enterprise registrar: issue 3; RFC 7616 3.3, RFC 2617 3.2.1)
. "$(dirname "$0")/../lib.sh"
ti_setup

FLOOD=5000 # more than TRUNK_NONCE_SLOTS (4,096)
ti_config_default --drop enterprise "$TI_ROOT/141-registrar-replay/phones.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 5

# The phone (127.0.0.1:5071) is challenged, then waits for the flood.
ti_start phone python3 "$TI_ROOT/141-registrar-replay/phone.py" \
	"127.0.0.1:$(ti_port 5060)" alice alice-pw-1 "$TI_DIR/nonce" \
	--across-flood "$TI_DIR/ready" "$TI_DIR/go"
ti_wait_file "$TI_DIR/ready" 10

rc=0
TI_CMD_TIMEOUT=70 ti_sipp flood "$TI_TEST_DIR/flood.xml" u1 127.0.0.1 \
	"$(ti_port 5060)" -m "$FLOOD" -r 2500 -timeout 60s || rc=$?
[ "$rc" = 0 ] || ti_fail "the flood: not every REGISTER was challenged (SIPp exit $rc)"
n=$(grep -c "^SIP/2.0 401" "$TI_DIR/flood.msg.txt") || true
[ "$n" -ge "$FLOOD" ] || ti_fail "the flood got $n challenges, not $FLOOD"

touch "$TI_DIR/go"
ti_wait_exit phone 20 || ti_fail "phone.py did not finish"
cat "$TI_DIR/phone.log" >&2
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "phone.py: a step got the wrong answer (exit $TI_EXIT_STATUS)"
s=$(ti_ctl registrations) || ti_fail "trunkctl registrations failed"
ti_json_check "$s" "len(j['registrations']) == 1 and
	j['registrations'][0]['contact'] == 'sip:alice@127.0.0.1:5071'" \
	"the phone's binding, and no other"
ti_pass
