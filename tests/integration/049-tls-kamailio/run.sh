#!/usr/bin/env bash
# 049-tls-kamailio: Kamailio 5.6's tls module as the carrier's SP-SSE
# (TLS on 127.0.0.3:5091, mutual TLS), in front of the carrier's SIPp UAs
# on UDP. Kamailio presents carrier.test under the test PKI's
# intermediate CA (chain.pem: trunkd builds the path to its ca.pem from
# the chain Kamailio sends, TLS-5, and checks the name carrier.test,
# TLS-6) and verifies trunkd's gw.enterprise.test certificate (TLS-4's
# chain, TLS-10).
#  1. Outbound: the PBX calls over UDP; trunkd opens TLS to Kamailio,
#     which relays to the UAS; INVITE, ACK and BYE arrive at Kamailio
#     over TLS from trunkd with trunkd's certificate verified, all on
#     one connection (STA-2), and the UAS sees trunkd's TLS Via below
#     Kamailio's.
#  2. Inbound: the carrier's UAC calls through Kamailio, which opens TLS
#     from 127.0.0.3 to trunkd's trunk listener; trunkd requires and
#     checks Kamailio's certificate and relays the call to the PBX; the
#     carrier's ACK and BYE follow over TLS.
# REQ: TLS-4, TLS-5, TLS-6, TLS-10, STA-2, SC-8-1
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
command -v kamailio >/dev/null || ti_fail "kamailio not found (apt-get install kamailio kamailio-tls-modules)"
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port tcp 127.0.0.1 5081 5

sed "s|@PKI@|$TLS_PKI|g" "$TI_TEST_DIR/tls.cfg.in" >"$TI_DIR/tls.cfg"
sed "s|@DIR@|$TI_DIR|g" "$TI_TEST_DIR/kamailio.cfg" >"$TI_DIR/kamailio.cfg"
mkdir -p "$TI_DIR/kamailio-run"
ti_start kamailio kamailio -f "$TI_DIR/kamailio.cfg" -DD -E -n 1 \
	-Y "$TI_DIR/kamailio-run" -w "$TI_DIR/kamailio-run"
ti_wait_port tcp 127.0.0.3 5091 10
ti_wait_port udp 127.0.0.3 5094 10
# kamailio_reqs METHOD: Kamailio's log lines for METHOD received over TLS.
kamailio_reqs() { grep -E "REQ $1 proto=tls " "$TI_DIR/kamailio.log" || true; }

# 1. Outbound over TLS.
tc_peer uas 127.0.0.3 5090 "$TI_TEST_DIR/uas.xml"
rc=0
tc_pbx pbx "$TI_ROOT/peers/pbx-call.xml" u1 -s +15550100001 \
	-set contact_tp udp || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's call to Kamailio over TLS failed (SIPp exit $rc)"
tc_peer_wait uas
for m in INVITE ACK BYE; do
	line=$(kamailio_reqs "$m" | head -1)
	ti_log "Kamailio: $line"
	echo "$line" | grep -qE "src=127\.0\.0\.1:[0-9]+ version=\[TLSv1\.[23]\] verified=\[1\] peer=\[gw\.enterprise\.test\]" ||
		ti_fail "$m did not reach Kamailio over TLS with trunkd's verified certificate"
done
# STA-2: one TLS connection (one source port) for INVITE, ACK and BYE.
ports=$(grep -oE 'REQ (INVITE|ACK|BYE) proto=tls src=127\.0\.0\.1:[0-9]+' "$TI_DIR/kamailio.log" |
	sed 's/.*://' | sort -u | wc -l)
[ "$ports" = 1 ] || ti_fail "trunkd's INVITE, ACK and BYE came on $ports TLS connections, want 1"
grep -q 'certs.tls.*127.0.0.3:5091 up:.*verified as carrier.test' "$TI_DIR/trunkd.log" ||
	ti_fail "trunkd did not log Kamailio's certificate verified as carrier.test"

# 2. Inbound over TLS: Kamailio opens the connection to trunkd.
tc_peer pbx-in "$TC_PBX" 5070 "$TI_ROOT/peers/pbx-answer.xml" \
	-set trunkd "$(tc_trunkd ent)" -set max_forwards 68
rc=0
ti_sipp uac "$TI_TEST_DIR/uac.xml" u1 127.0.0.3 5094 -i 127.0.0.3 -p 5092 \
	-s +15550100001 || rc=$?
[ "$rc" = 0 ] || ti_fail "the carrier's call through Kamailio over TLS failed (SIPp exit $rc)"
tc_checks_ok uac || ti_fail "the carrier's scenario failed an assertion"
tc_peer_wait pbx-in
for m in INVITE ACK BYE; do
	grep -qE "REQ $m proto=udp src=127\.0\.0\.3:5092 " "$TI_DIR/kamailio.log" ||
		ti_fail "Kamailio did not get the UAC's $m"
done
grep -qE 'certs.tls.* from 127\.0\.0\.3:[0-9]+ up:.*verified as carrier\.test' "$TI_DIR/trunkd.log" ||
	ti_fail "trunkd did not log Kamailio's client certificate verified as carrier.test"
ti_running trunkd || ti_fail "trunkd died"
ti_running kamailio || ti_fail "kamailio died"
ti_pass
