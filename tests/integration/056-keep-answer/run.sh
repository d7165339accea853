#!/usr/bin/env bash
# 056-keep-answer: RFC 6223 as the server (KEEP-3). An OPTIONS whose Via
# offers keep gets a 200 whose Via carries keep=30 (keep_answer), on the
# enterprise and the trunk side; one without keep gets none; a phone's
# REGISTER that offers keep gets keep=30 in the Via of its 200.
# REQ: KEEP-3 (OPTIONS and REGISTER; INVITE: 058)
. "$(dirname "$0")/../lib.sh"
ti_setup

ti_config_default --drop enterprise "$SOURCE_ROOT/tests/integration/024-registrar/phones.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port $p)" 10
	rc=0
	ti_sipp "options-$p" "$TI_TEST_DIR/options.xml" u1 127.0.0.1 "$(ti_port $p)" || rc=$?
	[ "$rc" = 0 ] || ti_fail "OPTIONS on $p: no keep=30 for keep, or keep without (SIPp exit $rc)"
done
rc=0
ti_sipp register "$TI_TEST_DIR/register.xml" u1 127.0.0.1 "$(ti_port 5060)" \
	-au alice -ap alice-pw-1 || rc=$?
[ "$rc" = 0 ] || ti_fail "REGISTER with keep: no keep=30 in the 200 (SIPp exit $rc)"
ti_pass
