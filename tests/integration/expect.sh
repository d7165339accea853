# shellcheck shell=bash
#
# Helpers of the header tests (060-069), sourced after lib.sh: SIPp peers
# made by peers/sipp_expect.py that send or assert exact headers.
#
#     . "$(dirname "$0")/../lib.sh"
#     . "$TI_ROOT/expect.sh"
#     ti_setup

TE_EXPECT="$TI_ROOT/peers/sipp_expect.py"

# te_uas NAME IP PORT ARGS...: a UAS (sipp_expect.py uas ARGS) in the
# background on IP:$(ti_port PORT), listening before this returns.
te_uas()
{
	local name=$1 ip=$2 port
	port=$(ti_port "$3")
	shift 3
	python3 "$TE_EXPECT" uas "$TI_DIR/$name.xml" "$@" || ti_fail "$name: scenario"
	ti_start "$name" sipp -sf "$TI_DIR/$name.xml" -m 1 -t u1 -i "$ip" \
		-p "$port" -nostdin -timeout 20s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$name.msg.txt" \
		-trace_err -error_file "$TI_DIR/$name.err.log"
	ti_wait_port udp "$ip" "$port" 10
}

# te_uas_done NAME: the UAS finished and every assertion held.
te_uas_done()
{
	ti_wait_exit "$1" 15 || ti_fail "$1: did not finish"
	[ "$TI_EXIT_STATUS" = 0 ] ||
		ti_fail "$1: header assertions failed (SIPp exit $TI_EXIT_STATUS, see $1.err.log)"
}

# te_uac NAME IP PORT DEST NUMBER FINAL [HEADER...]: one call from
# IP:$(ti_port PORT) as caller 2000 (TE_CALLER; TE_FROM replaces the whole
# From; TE_RURI the Request-URI) to NUMBER at DEST, with the extra
# headers; fails the test unless
# it ends with FINAL.
te_uac()
{
	local name=$1 ip=$2 port dest=$4 number=$5 final=$6 rc=0 h
	local args=()
	port=$(ti_port "$3")
	shift 6
	for h in "$@"; do args+=(--header "$h"); done
	[ -z "${TE_FROM:-}" ] || args+=(--from "$TE_FROM")
	[ -z "${TE_RURI:-}" ] || args+=(--ruri "$TE_RURI")
	python3 "$TE_EXPECT" uac "$TI_DIR/$name.xml" --final "$final" \
		"${args[@]}" || ti_fail "$name: scenario"
	ti_exec sipp -sf "$TI_DIR/$name.xml" -m 1 -t u1 -i "$ip" -p "$port" \
		-key caller "${TE_CALLER:-2000}" -s "$number" -nostdin \
		-timeout 15s -timeout_error \
		-trace_msg -message_file "$TI_DIR/$name.msg.txt" \
		-trace_err -error_file "$TI_DIR/$name.err.log" \
		"$dest" >"$TI_DIR/$name.screen.txt" 2>&1 || rc=$?
	[ "$rc" = 0 ] || ti_fail "$name: the call did not end with $final (SIPp exit $rc)"
}
