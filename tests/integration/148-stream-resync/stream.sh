# shellcheck shell=bash
#
# Tests 148 and 149, sourced after lib.sh, tls.sh and calls.sh and
# ti_setup: stream_run CASE... starts trunkd with 148's trunkd.conf (the
# test PKI made here), runs stream.py's CASEs from the PBX's address and
# fails the test unless they all pass and trunkd then exits 0.
# STREAM_CONF: another trunkd.conf (with STREAM_MAX, its max_message_size).
stream_run()
{
	local dir=$TI_ROOT/148-stream-resync rc=0
	[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
	tls_pki
	tls_config "${STREAM_CONF:-$dir/trunkd.conf}"
	ti_trunkd_start "$TI_DIR/trunkd.conf"
	ti_wait_port udp 127.0.0.1 5060 5
	ti_wait_port tcp 127.0.0.1 5060 5
	ti_wait_port tcp 127.0.0.1 5061 5
	STREAM_MAX=${STREAM_MAX:-2097152} TI_CMD_TIMEOUT=80 ti_exec python3 "$dir/stream.py" "$TC_PBX" 127.0.0.1 \
		5060 5060 5061 "$TLS_PKI/ca.pem" "$@" \
		>"$TI_DIR/stream.log" 2>&1 || rc=$?
	cat "$TI_DIR/stream.log" >&2
	[ "$rc" = 0 ] || ti_fail "stream.py: a case failed (exit $rc)"
	ti_stop trunkd 10
	[ "$TI_EXIT_STATUS" = 0 ] || ti_fail "trunkd exited $TI_EXIT_STATUS"
}
