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
#   3. the DNS server is gone during a reload: the lookup fails and the
#      trunk keeps the addresses it had (a call from 127.0.0.5 still
#      reaches the PBX), rather than refusing its carrier until the next
#      reload.
#   4. an SRV answer larger than 4,096 bytes (60 long target names:
#      truncated over UDP, fetched over TCP) is read whole and within its
#      buffer (glibc returns a truncated answer's full length; the ASan
#      run catches a read past the buffer).
#   5. SRV records whose only target is "." (RFC 2782: no such service):
#      the domain's own address (127.0.0.4) is not a trunk source; RFC
#      3263 4.2 falls back to it only when there are no SRV records.
#   6. a DNS server that does not serve NAPTR at all (dnsmasq without
#      --local=/carrier.test/ refuses the NAPTR query; glibc reports it as
#      TRY_AGAIN, like no answer) with the SRV and A records only: no
#      NAPTR records (RFC 3263 4.1), the lookup goes on with the default
#      SRV name and a call from its target (127.0.0.3) reaches the PBX.
# dnsmasq's log shows the NAPTR and SRV queries.
# REQ: STA-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup
ti_dns_resolver

OTHER=127.0.0.5

p=$(ti_port 5090)
ti_dnsmasq dns1 --local=/carrier.test/ \
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
# The lookup runs on trunkd's resolver thread: wait for its answer.
ti_wait_until 10 tc_dns_answered carrier 0 ||
	ti_fail "no DNS answer for carrier.test: $(tc_dns carrier state)"
grep -q 'query\[NAPTR\] carrier.test' "$TI_DIR/dns1.log" ||
	ti_fail "trunkd did not look up carrier.test's NAPTR at start"
grep -q 'query\[SRV\] _sip._udp.sse.carrier.test' "$TI_DIR/dns1.log" ||
	ti_fail "trunkd did not follow the NAPTR to its SRV name"

tc_inbound_call first-target "$TC_CARRIER"
tc_inbound_call second-target "$TC_STRANGER"
tc_inbound_refused stranger "$OTHER"

# reload_answered WHAT: reload, then wait (bounded) for a lookup of
# carrier.test answered after it; WHAT names the DNS server in the error.
reload_answered()
{
	local n
	n=$(tc_dns carrier lookups)
	out=$(ti_ctl reload) || ti_fail "reload failed: $out"
	ti_wait_until 10 tc_dns_answered carrier "$n" ||
		ti_fail "no DNS answer for carrier.test after the reload $1 (state $(tc_dns carrier state), $(tc_dns carrier addresses) address(es))"
}

# The carrier renumbers; the next reload learns it.
ti_stop dns1
ti_dnsmasq dns2 --local=/carrier.test/ \
	--srv-host=_sip._udp.carrier.test,c.carrier.test,"$p",10,10 \
	--host-record=c.carrier.test,"$OTHER"
reload_answered "(renumbered)"
grep -q 'query\[SRV\] _sip._udp.carrier.test' "$TI_DIR/dns2.log" ||
	ti_fail "trunkd did not look up the default SRV name on reload"
tc_inbound_call after-reload "$OTHER"
tc_inbound_refused old-address "$TC_CARRIER"

# reload_logs PATTERN: reload, then wait for one more trunkd log line
# matching PATTERN than before it.
reload_logs()
{
	local before
	before=$(grep -c -- "$1" "$TI_DIR/trunkd.log")
	out=$(ti_ctl reload) || ti_fail "reload failed: $out"
	log_grown() { (($(grep -c -- "$1" "$TI_DIR/trunkd.log") > $2)); }
	ti_wait_until 5 log_grown "$1" "$before"
}

# 3. DNS outage during a reload.
ti_stop dns2
reload_logs 'DNS lookup of carrier.test failed.*kept its 1 previous' ||
	ti_fail "no log of the failed lookup keeping the old address"
tc_inbound_call dns-outage "$OTHER"

# 4. A large SRV answer (TCP).
big=()
for i in $(seq 1 60); do
	t=$(printf 'sse-%03d-0123456789abcdef0123456789abcdef.carrier.test' "$i")
	big+=(--srv-host=_sip._udp.carrier.test,"$t","$p",$((i + 10)),10
		--host-record="$t","$TC_CARRIER")
done
ti_dnsmasq dns3 --local=/carrier.test/ "${big[@]}"
reload_logs 'trunk carrier: inbound accepted from 1 address' ||
	ti_fail "the large SRV answer did not give the carrier's address"
grep -q 'query\[SRV\] _sip._udp.carrier.test' "$TI_DIR/dns3.log" ||
	ti_fail "trunkd did not look up the large SRV set"
tc_inbound_call large-answer "$TC_CARRIER"
tc_inbound_refused renumbered-away "$OTHER"

# 5. SRV says "no such service": no fallback to the domain's address.
ti_stop dns3
ti_dnsmasq dns4 --local=/carrier.test/ --srv-host=_sip._udp.carrier.test \
	--host-record=carrier.test,"$TC_STRANGER"
reload_logs 'carrier.test resolves to no address' ||
	ti_fail "trunkd took an address for a domain whose SRV says none"
tc_inbound_refused apex-address "$TC_STRANGER"
# 6. No NAPTR service at all: the SRV records still count.
ti_stop dns4
ti_dnsmasq dns5 \
	--srv-host=_sip._udp.carrier.test,d.carrier.test,"$p",10,10 \
	--host-record=d.carrier.test,"$TC_CARRIER"
reload_answered "(a DNS server refusing NAPTR)"
grep -A1 'query\[NAPTR\] carrier.test' "$TI_DIR/dns5.log" | grep -q REFUSED ||
	ti_fail "dnsmasq did not refuse the NAPTR query: $(grep NAPTR "$TI_DIR/dns5.log")"
grep -q 'query\[SRV\] _sip._udp.carrier.test' "$TI_DIR/dns5.log" ||
	ti_fail "trunkd did not go on with the SRV query after the refused NAPTR"
[ "$(tc_dns carrier addresses)" = 1 ] ||
	ti_fail "carrier.test has $(tc_dns carrier addresses) address(es), expected 1 (d.carrier.test)"
tc_inbound_call no-naptr-service "$TC_CARRIER"

calls_ended() { [ "$(ti_json "$(ti_ctl status)" 'j["calls"]')" = 0 ]; }
ti_wait_until 5 calls_ended || ti_fail "trunkd still has a call"
ti_pass
