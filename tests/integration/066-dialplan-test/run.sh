#!/usr/bin/env bash
# 066-dialplan-test: `trunkd --dialplan-test` (offline) and `trunkctl
# dialplan test` (live) show, without placing a call, the rule (file:line)
# and leg B's R-URI, To, From, P-Asserted-Identity, Privacy and extra
# headers (Geolocation...), computed by the code that builds the real
# INVITE. For a national, an international, a restricted, a Privacy: none,
# an emergency-from-restricted-extension (with a location), an inbound DID
# (plain and with Privacy: id), a rejected and an invalid number:
#  1. the offline text is exactly expected/NAME.txt;
#  2. the live JSON says the same (rule, status, R-URI, To, From, headers);
#  3. six of them are then placed for real, and the callee (SIPp) receives
#     exactly what the live test printed: every listed header with its
#     value, no identity header it did not list.
# REQ: ID-1, ID-3, ID-4, ID-6, ID-7, ID-8, ID-9, ID-10, EM-1, EM-2, EM-3, EM-5, EM-7
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/expect.sh"
ti_setup

cat "$SOURCE_ROOT/config/trunkd.conf" "$TI_TEST_DIR/extra.conf" |
	sed 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' >"$TI_DIR/src.conf"
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
sed -i 's/^keepalive = options$/keepalive = off/' "$TI_DIR/trunkd.conf"

# NAME|offline arguments|trunkctl arguments
cases=(
	"national|2125551234 --caller 2000|2125551234 caller=2000"
	"international|011442079460123 --caller 2000|011442079460123 caller=2000"
	"restricted|2125551234 --caller 2001|2125551234 caller=2001"
	"privacy-none|2125551234 --caller 2002|2125551234 caller=2002"
	"emergency|911 --caller 2001|911 caller=2001"
	"inbound|+15550100001 --direction inbound --caller +12125550000|+15550100001 direction=inbound caller=+12125550000"
	"inbound-private|+15550100001 --direction inbound --caller +12125550000 --privacy|+15550100001 direction=inbound caller=+12125550000 privacy=id"
	"rejected|555 --caller 2000|555 caller=2000"
	"invalid|12ab --caller 2000|12ab caller=2000"
)

# 1. Offline: exact text (the plan's path and the per-call cid neutral).
for c in "${cases[@]}"; do
	IFS='|' read -r name off _ <<<"$c"
	# shellcheck disable=SC2086 # the arguments are split on purpose
	"$TRUNKD" --config "$TI_DIR/trunkd.conf" --dialplan-test $off \
		>"$TI_DIR/$name.raw" 2>"$TI_DIR/$name.stderr" ||
		ti_fail "$name: --dialplan-test failed: $(cat "$TI_DIR/$name.stderr")"
	sed -e "s|$TI_DIR/||g" -e "s|:$(ti_port 5070);|:5070;|g" -e 's/location-[0-9a-f]\{16\}/location-HEX/g' \
		"$TI_DIR/$name.raw" >"$TI_DIR/$name.txt"
	diff -u "$TI_TEST_DIR/expected/$name.txt" "$TI_DIR/$name.txt" ||
		ti_fail "$name: --dialplan-test output differs (above)"
done
# Bad queries: a clear message and exit status 2.
rc=0
"$TRUNKD" --config "$TI_DIR/trunkd.conf" --dialplan-test 911 --context nosuch \
	>/dev/null 2>"$TI_DIR/ctx.err" || rc=$?
[ "$rc" = 2 ] && grep -q '^no such context: nosuch$' "$TI_DIR/ctx.err" ||
	ti_fail "unknown context: exit $rc, $(cat "$TI_DIR/ctx.err")"
rc=0
"$TRUNKD" --config "$TI_DIR/trunkd.conf" --dialplan-test 911 --from nosuch \
	>/dev/null 2>"$TI_DIR/from.err" || rc=$?
[ "$rc" = 2 ] && grep -q '^no \[phone nosuch\] or \[pbx nosuch\]$' "$TI_DIR/from.err" ||
	ti_fail "unknown sender: exit $rc, $(cat "$TI_DIR/from.err")"

ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 10

# 2. Live: the same decision and the same INVITE as the offline text.
for c in "${cases[@]}"; do
	IFS='|' read -r name _ live <<<"$c"
	# shellcheck disable=SC2086
	ti_ctl dialplan test $live >"$TI_DIR/$name.json" ||
		ti_fail "$name: trunkctl dialplan test: $(cat "$TI_DIR/$name.json")"
	python3 - "$TI_DIR/$name.json" "$TI_DIR/$name.txt" <<'PY' ||
import json, re, sys
j = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
kv = [l.split(": ", 1) for l in lines]
first = dict(kv[:7])
rule = j["rule"].rsplit("/", 1)[-1] if j["rule"] else "none (built-in outcome)"
assert rule == first["rule"], (rule, first["rule"])
res = dict(kv)["result"]
if j["status"]:
    assert res.startswith("%d, no INVITE" % j["status"]), res
    sys.exit(0)
assert res == "INVITE to %s %s" % (j["peer_kind"], j["peer"]), res
wire = kv[kv.index(["result", res]) + 1:]
wire = [(k, re.sub(r"location-[0-9a-f]{16}", "location-HEX", v)) for k, v in wire
        if k != "body"]
got = [("Request-URI", j["request_uri"]), ("To", j["to_header"]),
       ("From", j["from"])] + [(h["name"], h["value"]) for h in j["headers"]]
got = [(k, re.sub(r"location-[0-9a-f]{16}", "location-HEX", v)) for k, v in got]
assert got == wire, (got, wire)
PY
		ti_fail "$name: trunkctl and --dialplan-test disagree: $(cat "$TI_DIR/$name.json")"
done

# 3. On the wire: the callee gets exactly what the live test printed.
ENT="127.0.0.1:$(ti_port 5060)"
TE_FROM='<sip:[caller]@[local_ip]:[local_port]>'
outbound_call()
{
	local name=$1 caller=$2 number=$3
	mapfile -t args < <(python3 "$TI_TEST_DIR/wire_args.py" <"$TI_DIR/$name.json")
	te_uas "car-$name" 127.0.0.1 5090 "${args[@]}"
	TE_CALLER=$caller te_uac "pbx-$name" 127.0.0.1 5070 "$ENT" "$number" 200
	te_uas_done "car-$name"
}
outbound_call national 2000 2125551234
outbound_call international 2000 011442079460123
outbound_call restricted 2001 2125551234
outbound_call privacy-none 2002 2125551234
outbound_call emergency 2001 911

# Inbound: the carrier calls the DID with an asserted caller; the PBX
# gets what the live test printed.
mapfile -t args < <(python3 "$TI_TEST_DIR/wire_args.py" <"$TI_DIR/inbound.json")
te_uas pbx-inbound 127.0.0.1 5070 "${args[@]}"
TE_CALLER=+12125550000 TE_FROM='<sip:[caller]@carrier.invalid>' \
	te_uac car-inbound 127.0.0.1 5090 "127.0.0.1:$(ti_port 5080)" \
	+15550100001 200 \
	'P-Asserted-Identity: <sip:+12125550000@carrier.invalid;user=phone>'
te_uas_done pbx-inbound
ti_pass
