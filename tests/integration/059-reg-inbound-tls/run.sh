#!/usr/bin/env bash
# 059-reg-inbound-tls: an inbound call over the registered TLS flow. The
# trunk registers over TLS (TLS-9) with the carrier, SIPp behind stunnel
# (test PKI, carrier.test). On that same TLS connection the carrier sends
# INVITE sip:+15550100202@127.0.0.1:5081;transport=tls, the RFC 6140
# Request-URI (REG-13); the dial plan maps the DID to extension 202, bob,
# a baresip phone registered to trunkd with digest that auto-answers.
# Audio flows both ways through trunkd's relay (SIPp echoes the RTP), the
# relay counts packets on both legs, the carrier hangs up, and stunnel
# accepted exactly one connection for REGISTER, INVITE, ACK and BYE.
# REQ: REG-13, TLS-9
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
command -v baresip >/dev/null || ti_fail "baresip not found (apt-get install baresip-core)"
tls_pki
tls_config "$TI_TEST_DIR/trunkd.conf"
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 5060 10

# bob, extension 202: baresip registered to trunkd's enterprise side,
# auto-answer (as in 026).
dir=$TI_DIR/bob
mkdir -p "$dir"
sed -e "s/@USER@/bob/g" -e "s/@SIP_PORT@/5110/" -e "s/@RTP_PORTS@/30200-30298/" \
	"$TI_TEST_DIR/baresip.config.in" >"$dir/config"
printf '<sip:bob@127.0.0.1:5060>;auth_pass=bob-pw-2;answermode=auto;regint=600\n' \
	>"$dir/accounts"
ti_start bob baresip -f "$dir" -t 60
said() { tr "\r" "\n" <"$TI_DIR/$1.log" | grep -q "$2"; }
ti_wait_until 10 said bob "200 OK () \[1 binding\]" || ti_fail "bob did not register"

# The carrier: SIPp over TCP behind stunnel's TLS, RTP echo on 127.0.0.3.
ti_start carrier sipp -sf "$TI_TEST_DIR/registrar-call.xml" -m 1 -t t1 \
	-i 127.0.0.3 -p 5090 -mi 127.0.0.3 -mp 6000 -rtp_echo -nostdin \
	-timeout 40s -timeout_error \
	-trace_msg -message_file "$TI_DIR/carrier.msg.txt" \
	-trace_err -error_file "$TI_DIR/carrier.err.log" \
	-trace_logs -log_file "$TI_DIR/carrier.actions.txt"
ti_wait_port tcp 127.0.0.3 5090 10
tls_stunnel_server sse 127.0.0.3:5091 127.0.0.3:5090 "$TLS_PKI/carrier.pem"
ti_wait_port tcp 127.0.0.1 5081 10

ti_wait_until 15 said bob "Call established: sip:" ||
	ti_fail "bob did not get the carrier's call (carrier: $(tail -5 "$TI_DIR/carrier.err.log" 2>/dev/null))"
# The DID reached bob with the caller's number.
said bob "+12125557777" || ti_fail "bob's call does not show the carrier's caller"
ti_wait_until 10 said bob "audio=[1-9][0-9]*/[1-9]" ||
	ti_fail "bob reports no audio both ways"
# Media is anchored: bob's RTP comes from the relay's port range.
said bob 'receiving from 127\.0\.0\.1:20[0-9][0-9][0-9]$' ||
	ti_fail "bob's RTP does not come from the relay"
counting()
{
	ti_json "$(ti_ctl calls)" "len(j['calls']) == 1 and all(20000 <= l['media_port'] <= 20999 and
		l['rtp_in'] > 0 and l['rtp_out'] > 0 for l in j['calls'][0]['legs'])" |
		grep -q True
}
ti_wait_until 5 counting || ti_fail "trunkctl calls shows no relayed RTP both ways: $(ti_ctl calls)"

ti_wait_until 15 said bob "session closed" || ti_fail "the carrier's BYE did not end bob's call"
# Checked before the carrier's SIPp ends (it closes the connection then,
# and trunkd re-forms the flow): REGISTER, INVITE, ACK and BYE on one.
n=$(tls_connections sse)
[ "$n" = 1 ] || ti_fail "stunnel accepted $n TLS connections, want 1 (REGISTER and the call on one)"
ti_wait_exit carrier 15 || ti_fail "the carrier did not finish"
[ "$TI_EXIT_STATUS" = 0 ] ||
	ti_fail "the carrier's assertions failed (SIPp exit $TI_EXIT_STATUS): $(tail -5 "$TI_DIR/carrier.err.log" 2>/dev/null)"
# The RFC 6140 Request-URI (REG-13).
grep -q '^INVITE sip:+15550100202@127.0.0.1:5081;transport=tls SIP/2.0' \
	"$TI_DIR/carrier.msg.txt" || ti_fail "the carrier sent no RFC 6140 INVITE"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
