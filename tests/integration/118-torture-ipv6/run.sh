#!/usr/bin/env bash
# 118-torture-ipv6: the IPv6 torture messages of RFC 5118 (cases/, in the
# RFC's notation, section in each file) sent as raw bytes by
# ../117-torture/torture.py to both sides of trunkd on [::1], over UDP and
# TCP: IPv6 references in the Request-URI, To, From, Contact and Via
# parsed (OPTIONS 200, REGISTER challenged or refused by side), an
# unbracketed IPv6 Request-URI and the three-colon form refused with 400,
# IPv6, mixed and IPv4-mapped SDP addresses in calls that are set up and
# torn down through the other leg; trunkd answers OPTIONS after every
# message and exits 0 on SIGTERM (no crash, no sanitizer report).
# REQ: SC-15-1, SC-6-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup
if [ -z "$TI_NETNS" ]; then
	ti_log "SKIP: needs a network namespace (fixed IPv6 ports)"
	exit 77
fi
ti_config "$TI_TEST_DIR/trunkd.conf.in" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for p in 5060 5080; do
	for tr in udp tcp; do
		ti_wait_port "$tr" "[::1]" "$p" 5
	done
done
cat >"$TI_DIR/sides.json" <<JSON
{"sides": [
 {"name": "ent", "trunkd": ["::1", 5060], "self": "::1",
  "peer": ["::1", 5090], "callee": "+15550100001",
  "transports": ["udp", "tcp"]},
 {"name": "trunk", "trunkd": ["::1", 5080], "self": "::1",
  "peer": ["::1", 5070], "callee": "+15550100001",
  "transports": ["udp", "tcp"]}]}
JSON
tc_torture 60 "$TI_TEST_DIR/cases" "$@"
calls=$(ti_ctl calls) || ti_fail "trunkctl calls: $calls"
ti_json_check "$calls" "len(j['calls']) == 0" "calls left over"
ti_stop trunkd 10
[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS"
ti_pass
