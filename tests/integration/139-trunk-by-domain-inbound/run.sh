#!/usr/bin/env bash
# 139-trunk-by-domain-inbound: inbound calls from a trunk configured by
# domain only (no proxy). trunkd resolves the domain by RFC 3263 for the
# trunk's transport (dnsmasq in the test's namespace, as 028) at start and
# on every reload, and accepts INVITEs from the addresses of every SRV
# target:
#   1. NAPTR carrier.test -> SIP+D2U -> SRV _sip._udp.sse.carrier.test ->
#      a.carrier.test (127.0.0.3, priority 10) and b.carrier.test
#      (127.0.0.4, priority 20): a call from each reaches the PBX; one
#      from 127.0.0.5 gets 403 and reaches nobody.
#   2. the carrier renumbers: no NAPTR, the default SRV name
#      _sip._udp.carrier.test -> c.carrier.test (127.0.0.5); after
#      `trunkctl reload` a call from 127.0.0.5 reaches the PBX, one from
#      127.0.0.3 gets 403.
# dnsmasq's log shows the NAPTR and SRV queries.
# REQ: STA-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup
ti_dns_resolver

OTHER=127.0.0.5

# dns NAME RECORD...: dnsmasq (logging to NAME.log) with these records.
dns()
{
	local name=$1
	shift
	ti_start "$name" dnsmasq --keep-in-foreground --port=53 \
		--listen-address=127.0.0.1 --bind-interfaces --no-resolv \
		--no-hosts --pid-file= --log-queries --log-facility=- "$@"
	ti_wait_port udp 127.0.0.1 53 10
}

# refused NAME FROM_IP: the carrier's INVITE from FROM_IP gets 403.
refused()
{
	local rc=0
	tc_template "$TI_ROOT/peers/uac-rejected.xml.in" "$TI_DIR/$1.xml" \
		STATUS=403 FOREIGN='127\.0\.0\.2' MAX_FORWARDS=70 CHECKS=
	tc__uac "$1" "$TI_DIR/$1.xml" u1 5080 -i "$2" -p "$(ti_port 5090)" \
		-s +15550100099 -set trunkd "$(tc_trunkd trunk)" || rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: no 403 for an INVITE from $2 (SIPp exit $rc)"
}

# call NAME FROM_IP: the carrier's call from FROM_IP reaches the PBX.
call()
{
	local rc=0
	tc_peer "pbx-$1" "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
		-set trunkd "$(tc_trunkd ent)" -set max_forwards 69
	tc__uac "carrier-$1" "$TI_ROOT/peers/carrier-invite.xml" u1 5080 \
		-i "$2" -p "$(ti_port 5090)" -s +15550100001 \
		-cid_str 'carrier-call-%u-%p@%s' -set trunkd "$(tc_trunkd trunk)" ||
		rc=$?
	[ "$rc" = 0 ] || ti_fail "$1: the call from $2 failed (SIPp exit $rc)"
	tc_peer_wait "pbx-$1"
}

p=$(ti_port 5090)
dns dns1 \
	--naptr-record=carrier.test,10,10,S,SIP+D2U,,_sip._udp.sse.carrier.test \
	--srv-host=_sip._udp.sse.carrier.test,a.carrier.test,"$p",10,10 \
	--srv-host=_sip._udp.sse.carrier.test,b.carrier.test,"$p",20,10 \
	--host-record=a.carrier.test,"$TC_CARRIER" \
	--host-record=b.carrier.test,"$TC_STRANGER"
# calls.conf's trunk, by domain only.
sed -e '/^proxy = 127\.0\.0\.3:5090$/d' \
	-e 's/^domain = carrier\.invalid$/domain = carrier.test/' \
	"$TI_ROOT/peers/calls.conf" >"$TI_DIR/src.conf"
grep -q '^domain = carrier.test$' "$TI_DIR/src.conf" &&
	! grep -q '^proxy = 127.0.0.3' "$TI_DIR/src.conf" ||
	ti_fail "calls.conf's trunk has no proxy/domain lines to rewrite"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
for port in 5060 5080; do
	ti_wait_port udp 127.0.0.1 "$(ti_port "$port")" 5
done
grep -q 'query\[NAPTR\] carrier.test' "$TI_DIR/dns1.log" ||
	ti_fail "trunkd did not look up carrier.test's NAPTR at start"
grep -q 'query\[SRV\] _sip._udp.sse.carrier.test' "$TI_DIR/dns1.log" ||
	ti_fail "trunkd did not follow the NAPTR to its SRV name"

call first-target "$TC_CARRIER"
call second-target "$TC_STRANGER"
refused stranger "$OTHER"

# The carrier renumbers; the next reload learns it.
ti_stop dns1
dns dns2 \
	--srv-host=_sip._udp.carrier.test,c.carrier.test,"$p",10,10 \
	--host-record=c.carrier.test,"$OTHER"
out=$(ti_ctl reload) || ti_fail "reload failed: $out"
grep -q 'query\[SRV\] _sip._udp.carrier.test' "$TI_DIR/dns2.log" ||
	ti_fail "trunkd did not look up the default SRV name on reload"
call after-reload "$OTHER"
refused old-address "$TC_CARRIER"
calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
