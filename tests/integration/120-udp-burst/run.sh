#!/usr/bin/env bash
# 120-udp-burst: trunkd's SIP UDP sockets get the configured receive
# buffer ([global] udp_receive_buffer, default 8 MB), so that a burst that
# arrives while the signalling thread is busy is queued, not dropped. The
# shipped default is checked on both sides' sockets (ss); then trunkd is
# stopped (SIGSTOP), 1,000 OPTIONS (~900 bytes each) arrive, trunkd is
# resumed and must answer every one of them, and the kernel must count no
# drop on its sockets. The same burst against udp_receive_buffer = 0 (the
# system's default, 208 KB on Linux) shows what the setting prevents.
# REQ: none (capacity: DESIGN "Performance goals", no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
ti_setup

BURST=1000
PORT=$(ti_port 5060)

# drops PORT: the kernel's drop counter of the UDP socket on PORT.
drops()
{
	ti_exec awk -v p="$(printf '%04X' "$1")" \
		'NR > 1 { split($2, l, ":"); if (l[2] == p) d += $NF } END { print d + 0 }' \
		/proc/net/udp
}

# rcvbuf PORT: the socket's receive buffer in bytes (ss: skmem rb).
rcvbuf()
{
	ti_exec ss -ulnmH "sport = :$1" |
		sed -n 's/.*skmem:(.*,rb\([0-9]*\),.*/\1/p' | head -1
}

burst() # NAME: the burst against the running trunkd; sets ANSWERED
{
	local out
	out=$(ti_exec python3 "$TI_TEST_DIR/burst.py" "$PORT" "$BURST" \
		"$(ti_pid trunkd)" 2>&1) || ti_fail "$1: burst.py failed: $out"
	ti_running trunkd || ti_fail "$1: trunkd died after the burst"
	ANSWERED=${out#answered }
	ANSWERED=${ANSWERED%% of *}
	ti_log "$1: $out, $(drops "$PORT") dropped by trunkd's socket"
}

# The shipped default.
ti_config "$SOURCE_ROOT/config/trunkd.conf" "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$PORT" 10
ti_wait_port udp 127.0.0.1 "$(ti_port 5080)" 10
# Linux doubles the size asked for (its bookkeeping); as root trunkd gets
# it past net.core.rmem_max (SO_RCVBUFFORCE), otherwise it is capped.
want=$((2 * 8192 * 1024))
if [ "$(id -u)" != 0 ]; then
	max=$(($(cat /proc/sys/net/core/rmem_max) * 2))
	((max >= want)) || want=$max
fi
for p in "$PORT" "$(ti_port 5080)"; do
	rb=$(rcvbuf "$p")
	[ "${rb:-0}" -ge "$want" ] ||
		ti_fail "udp socket on port $p: receive buffer ${rb:-?} bytes, want $want"
done

burst "udp_receive_buffer default"
[ "$ANSWERED" = "$BURST" ] ||
	ti_fail "$ANSWERED of $BURST OPTIONS answered after the pause (default buffer)"
[ "$(drops "$PORT")" = 0 ] || ti_fail "trunkd's socket dropped datagrams"
ti_stop trunkd 10

# The system's default: the same burst overflows it (when the system's
# default is Linux's 208 KB; a host with a larger one only gets a note).
sed 's/^\[global\]$/[global]\nudp_receive_buffer = 0/' \
	"$SOURCE_ROOT/config/trunkd.conf" >"$TI_DIR/src0.conf"
grep -q '^udp_receive_buffer = 0$' "$TI_DIR/src0.conf" ||
	ti_fail "config/trunkd.conf: no [global] section"
ti_config "$TI_DIR/src0.conf" "$TI_DIR/trunkd0.conf"
rm -f "$TI_SOCK"
ti_trunkd_start "$TI_DIR/trunkd0.conf"
ti_wait_port udp 127.0.0.1 "$PORT" 10
burst "udp_receive_buffer = 0 (system default)"
if [ "$(ti_exec cat /proc/sys/net/core/rmem_default)" -le 262144 ]; then
	((ANSWERED < BURST)) ||
		ti_fail "the system's default buffer held the burst too: the test proves nothing here"
else
	ti_log "note: net.core.rmem_default is large here; the control run is informative only"
fi
ti_stop trunkd 10
ti_pass
