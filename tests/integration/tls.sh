# shellcheck shell=bash
#
# Helpers of the TLS tests (040-049), sourced after lib.sh:
#
#     . "$(dirname "$0")/../lib.sh"
#     . "$TI_ROOT/tls.sh"
#     ti_setup
#
# The test PKI is made at test time by certs/test-pki.sh into $TLS_PKI
# (nothing long-lived is committed, STYLE.md 18): ca.pem, carrier.pem
# (carrier.test), gw.pem (gw.enterprise.test), leaf.key (the key of every
# leaf), the negative certificates (expired, untrusted, wronghost,
# cn-only, cn-ignored), chain.pem (leaf + intermediate) and gw-chain.pem
# (gw.pem followed by ca.pem).
# Addresses as in the call tests: trunkd 127.0.0.1, PBX 127.0.0.2, the
# carrier's SP-SSE 127.0.0.3 (its TLS port :5091 is stunnel or openssl in
# front of a SIPp on :5090 over TCP).

TLS_PKI=

# tls_pki: make the test PKI once per test.
tls_pki()
{
	command -v openssl >/dev/null || ti_fail "openssl not found (apt-get install openssl)"
	TLS_PKI=$TI_DIR/pki
	[ -x "$SOURCE_ROOT/certs/test-pki.sh" ] || [ -f "$SOURCE_ROOT/certs/test-pki.sh" ] ||
		ti_fail "no certs/test-pki.sh (the test PKI of certs/)"
	sh "$SOURCE_ROOT/certs/test-pki.sh" "$TLS_PKI" >"$TI_DIR/pki.out" 2>&1 ||
		ti_fail "certs/test-pki.sh failed: $(tail -3 "$TI_DIR/pki.out")"
	# Our certificate followed by its chain, as an operator installs it.
	cat "$TLS_PKI/gw.pem" "$TLS_PKI/ca.pem" >"$TLS_PKI/gw-chain.pem"
}

# tls_config SRC: $TI_DIR/trunkd.conf from SRC with @PKI@ replaced by the
# test PKI's directory, through ti_config.
tls_config()
{
	sed "s|@PKI@|$TLS_PKI|g" "$1" >"$TI_DIR/src.conf"
	ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
}

# tls_stunnel_server NAME ACCEPT CONNECT CERT [OPTION=VALUE...]: stunnel in
# server mode (a carrier's TLS front end): TLS on ACCEPT (IP:PORT), plain
# TCP to CONNECT, presenting CERT with leaf.key. Its log (notice level:
# one line per accepted connection) is $TI_DIR/NAME.log.
tls_stunnel_server()
{
	local name=$1 accept=$2 connect=$3 cert=$4 opt
	shift 4
	command -v stunnel >/dev/null || ti_fail "stunnel not found (apt-get install stunnel4)"
	{
		printf 'foreground = yes\npid =\ndebug = 5\n[%s]\n' "$name"
		printf 'accept = %s\nconnect = %s\ncert = %s\nkey = %s\n' \
			"$accept" "$connect" "$cert" "$TLS_PKI/leaf.key"
		for opt in "$@"; do printf '%s\n' "$opt"; done
	} >"$TI_DIR/$name.stunnel.conf"
	ti_start "$name" stunnel "$TI_DIR/$name.stunnel.conf"
	ti_wait_port tcp "${accept%:*}" "${accept##*:}" 10
}

# tls_stunnel_client NAME ACCEPT CONNECT [OPTION=VALUE...]: stunnel in
# client mode (a carrier opening TLS toward trunkd): plain TCP on ACCEPT,
# TLS to CONNECT.
tls_stunnel_client()
{
	local name=$1 accept=$2 connect=$3 opt
	shift 3
	{
		printf 'foreground = yes\npid =\ndebug = 5\n[%s]\nclient = yes\n' "$name"
		printf 'accept = %s\nconnect = %s\n' "$accept" "$connect"
		for opt in "$@"; do printf '%s\n' "$opt"; done
	} >"$TI_DIR/$name.stunnel.conf"
	ti_start "$name" stunnel "$TI_DIR/$name.stunnel.conf"
	ti_wait_port tcp "${accept%:*}" "${accept##*:}" 10
}

# tls_connections NAME: TLS connections stunnel NAME accepted so far.
tls_connections()
{
	grep -c 'accepted connection from' "$TI_DIR/$1.log" || true
}

# tls_ms_since START_US: milliseconds since START_US (ti__now).
tls_ms_since()
{
	local now
	ti__now now
	echo $(((now - $1) / 1000))
}

# tls_s_server NAME ACCEPT CERT [S_SERVER ARG...]: `openssl s_server` on
# ACCEPT (IP:PORT) with CERT and leaf.key, in the background as process
# NAME (its stdin a FIFO we hold open, so it never sees end of input);
# what it receives is printed to $TI_DIR/NAME.log.
tls_s_server()
{
	local name=$1 accept=$2 cert=$3 fifo
	shift 3
	fifo=$TI_DIR/$name.stdin
	[ -p "$fifo" ] || mkfifo "$fifo"
	# Held open read-write by this shell: the server's stdin never ends.
	exec {TLS_FIFO_FD}<>"$fifo"
	[ -z "${TI_PIDS[$name]:-}" ] || ti_fail "tls_s_server: $name already running"
	if [ -n "$TI_NETNS" ]; then
		ip netns exec "$TI_NETNS" openssl s_server -accept "$accept" \
			-cert "$cert" -key "$TLS_PKI/leaf.key" "$@" \
			<"$fifo" >"$TI_DIR/$name.log" 2>&1 &
	else
		openssl s_server -accept "$accept" -cert "$cert" \
			-key "$TLS_PKI/leaf.key" "$@" \
			<"$fifo" >"$TI_DIR/$name.log" 2>&1 &
	fi
	TI_PIDS[$name]=$!
	ti_wait_port tcp "${accept%:*}" "${accept##*:}" 10
}

# tls_log_has NAME REGEXP: $TI_DIR/NAME.log matches (grep -E).
tls_log_has() { grep -qE "$2" "$TI_DIR/$1.log"; }

# tls_carrier_call: one outbound call over TLS: the carrier SIPp of 040
# (040-tls-carrier-call/carrier-tls.xml, TCP on 127.0.0.3:5090) behind a
# stunnel "sse" on 127.0.0.3:5091 with carrier.pem, the PBX of calls.sh
# calling +15550100001 through trunkd; fails the test unless both ends
# finished the call. trunkd must be running with its carrier TLS on :5081.
tls_carrier_call()
{
	local rc=0
	ti_start carrier sipp -sf "$TI_ROOT/040-tls-carrier-call/carrier-tls.xml" \
		-m 1 -t t1 -i 127.0.0.3 -p 5090 -nostdin -timeout 20s -timeout_error \
		-set trunkd_tls 127.0.0.1:5081 \
		-trace_msg -message_file "$TI_DIR/carrier.msg.txt" \
		-trace_err -error_file "$TI_DIR/carrier.err.log" \
		-trace_logs -log_file "$TI_DIR/carrier.actions.txt"
	ti_wait_port tcp 127.0.0.3 5090 10
	tls_stunnel_server sse 127.0.0.3:5091 127.0.0.3:5090 "$TLS_PKI/carrier.pem"
	tc_pbx pbx "$TI_ROOT/peers/pbx-call.xml" u1 -s +15550100001 \
		-set contact_tp udp || rc=$?
	[ "$rc" = 0 ] || ti_fail "the PBX's call failed (SIPp exit $rc)"
	tc_peer_wait carrier
}
