"""Both peers' RTP through trunkd for test 159, 50 packets/s each way
(172 bytes: a 12-byte header, payload type 0, and 160 bytes that name the
packet), from when the call is up until the file STOP exists (at most
30 s):
  - the PBX sends from 127.0.0.2:40000 to trunkd's enterprise-side port
    A_PORT, the carrier from 127.0.0.3:50000 to the trunk-side B_PORT;
  - packets 100-109: after each of the PBX's, one from a stranger
    (127.0.0.4:40000) to A_PORT: the latched PBX sends in between, so the
    latch must stay and none of them may reach the carrier;
  - from packet 150 on the PBX sends from 127.0.0.2:40002 instead (its
    NAT moved): after 8 of them the latch moves there, and the carrier's
    RTP goes to 40002.
Every packet received must come from trunkd's port of that leg
(127.0.0.1:B_PORT at the carrier, 127.0.0.1:A_PORT at the PBX) and be
one that was sent, byte for byte. Prints one line of counts (key=value).
Usage: rtp.py A_PORT B_PORT STOP"""
import os
import socket
import struct
import sys
import time

a_port, b_port, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
SSRC_PBX, SSRC_CAR, SSRC_STRANGER = 0x1590A, 0x1590B, 0x1590C


def rtp(ssrc, seq):
    body = struct.pack("!II", ssrc, seq) * 20
    return struct.pack("!BBHII", 0x80, 0, seq & 0xffff, seq * 160, ssrc) + body


socks = []
for addr in (("127.0.0.2", 40000), ("127.0.0.2", 40002),
             ("127.0.0.3", 50000), ("127.0.0.4", 40000)):
    socks.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    socks[-1].bind(addr)
    socks[-1].setblocking(False)
pbx, pbx_moved, car, stranger = socks
sent = set()
n = {"to_carrier": 0, "to_carrier_moved": 0, "to_pbx": 0,
     "to_pbx_moved": 0, "stranger": 0, "bad": 0}


def drain(s, want_src, key):
    while True:
        try:
            data, src = s.recvfrom(2048)
        except BlockingIOError:
            return
        if src != want_src or data not in sent:
            n["bad"] += 1
            continue
        ssrc, seq = struct.unpack("!II", data[12:20])
        if ssrc == SSRC_STRANGER:
            n["stranger"] += 1
        elif key == "to_carrier" and seq >= 150:
            n["to_carrier_moved"] += 1
        else:
            n[key] += 1


start = time.monotonic()
i = 0
while not os.path.exists(stop) and time.monotonic() - start < 30:
    p, c = rtp(SSRC_PBX, i), rtp(SSRC_CAR, i)
    sent.update((p, c))
    (pbx if i < 150 else pbx_moved).sendto(p, ("127.0.0.1", a_port))
    car.sendto(c, ("127.0.0.1", b_port))
    if 100 <= i < 110:
        x = rtp(SSRC_STRANGER, i)
        sent.add(x)
        stranger.sendto(x, ("127.0.0.1", a_port))
    i += 1
    while True:
        drain(car, ("127.0.0.1", b_port), "to_carrier")
        drain(pbx, ("127.0.0.1", a_port), "to_pbx")
        drain(pbx_moved, ("127.0.0.1", a_port), "to_pbx_moved")
        left = start + i * 0.02 - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(left, 0.005))
print("sent=%d %s" % (i, " ".join("%s=%d" % kv for kv in n.items())))
