#!/bin/sh
# Check relay_tc.bpf.c's checksum patching (a manual check, root, with
# bpftool, tc and python3; not a meson test). Through bench_media's UDP
# sockets the packets on lo stay CHECKSUM_PARTIAL and the receiver never
# verifies their checksums; a datagram from a raw socket carries a full
# checksum, which the receiving UDP socket does verify. In a network and
# mount namespace of their own: the program on lo's ingress, one map
# entry that rewrites both addresses and both ports (127.0.0.7:40011 ->
# 127.0.0.5:40010 becomes 127.0.0.3:40020 -> 127.0.0.9:40000), then
# datagrams with a good checksum (even and odd length) must arrive
# rewritten, one with a bad checksum must still be dropped (forwarding
# does not repair it) and one without a checksum (0) must arrive.
#   relay_tc_csum.sh BUILD/tests/bench/media/relay_tc.bpf.o
# Prints PASS and exits 0, or FAIL and exits 1.
set -e
obj=$(realpath "${1:?usage: relay_tc_csum.sh relay_tc.bpf.o}")
if [ -z "$RELAY_TC_CSUM_INNER" ]; then
	# shellcheck disable=SC2016 # expanded by the inner sh
	exec env RELAY_TC_CSUM_INNER=1 unshare -n -m sh -c \
		'mount --make-rprivate / && exec "$0" "$1"' "$0" "$obj"
fi
ip link set lo up
mount -t bpf bpf /sys/fs/bpf
bpftool prog load "$obj" /sys/fs/bpf/relay type classifier \
	pinmaps /sys/fs/bpf/maps
tc qdisc add dev lo clsact
tc filter add dev lo ingress bpf direct-action pinned /sys/fs/bpf/relay
# struct relay_tc_key, struct relay_tc_val (relay_tc.h), x86 byte order
# for ifindex 1 and the counters
bpftool map update pinned /sys/fs/bpf/maps/relay_map \
	key hex 7f 00 00 05 9c 4a 00 00 \
	value hex 7f 00 00 07 9c 4b 9c 54 7f 00 00 03 7f 00 00 09 \
	9c 40 00 00 01 00 00 00 00 00 00 00 00 00 00 00 \
	00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
exec python3 - <<'PY'
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def udp(payload, check='good'):
    src, sport, dst, dport = '127.0.0.7', 40011, '127.0.0.5', 40010
    n = 8 + len(payload)
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 17, n)
    c = csum(ph + struct.pack('!HHHH', sport, dport, n, 0) + payload) or 0xffff
    c = {'good': c, 'bad': c ^ 0x1234, 'none': 0}[check]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + n, 1, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return ip + struct.pack('!HHHH', sport, dport, n, c) + payload

rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(('0.0.0.0', 40000))
rx.settimeout(0.5)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
ok = True
for name, pkt, want in (
        ('good checksum, 172 bytes', udp(b'\x80' + b'y' * 171), True),
        ('good checksum, 171 bytes', udp(b'\x80' + b'z' * 170), True),
        ('bad checksum', udp(b'\x80' + b'y' * 171, 'bad'), False),
        ('no checksum', udp(b'\x80' + b'w' * 171, 'none'), True)):
    raw.sendto(pkt, ('127.0.0.5', 0))
    try:
        d, a = rx.recvfrom(2048)
        got = a == ('127.0.0.3', 40020) and d == pkt[28:]
        print('%s: received from %s:%d' % (name, a[0], a[1]))
    except socket.timeout:
        got = False
        print('%s: dropped' % name)
    ok = ok and got == want
print('PASS' if ok else 'FAIL')
sys.exit(0 if ok else 1)
PY
