"""RTCP both ways through trunkd's relay (test 146), after the call is up.
The PBX (media 127.0.0.2:40000, no a=rtcp: RTCP on 40001) sends 10 RTCP
sender reports to trunkd's enterprise-side RTP port + 1 (A_PORT + 1);
the carrier (media 127.0.0.3:50000, a=rtcp:50011) must receive each one
on 50011, unchanged, from trunkd's trunk-side RTCP port (B_PORT + 1:
symmetric, the port we receive on). Then the carrier sends 10 receiver
reports from 50011 to B_PORT + 1 and the PBX must receive each on 40001
from A_PORT + 1. Nothing may reach the RTP ports (40000, 50000) nor the
carrier's RTP port + 1 (50001), which its a=rtcp replaced. Each phase is
bounded by 5 s.
Usage: rtcp.py A_PORT B_PORT"""
import socket
import struct
import sys
import time

a_port, b_port = int(sys.argv[1]), int(sys.argv[2])


def sock(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    s.setblocking(False)
    return s


def sr(ssrc, n):
    """RTCP sender report (PT 200), no report block: 28 bytes."""
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, 0x83AA7E80 + n, 0,
                       n * 160, n, n * 160)


def rr(ssrc, n):
    """RTCP receiver report (PT 201) with one report block: 32 bytes."""
    return struct.pack("!BBHIIIIIII", 0x81, 201, 7, ssrc, 0x1430, n, n,
                       0, 0, 0)


def recv_all(s):
    got = []
    try:
        while True:
            got.append(s.recvfrom(2048))
    except BlockingIOError:
        return got


def phase(src, dst, rx, make, ssrc, want_src):
    sent = [make(ssrc, n) for n in range(10)]
    got = []
    for p in sent:
        src.sendto(p, dst)
        time.sleep(0.02)
        got += recv_all(rx)
    deadline = time.time() + 5
    while len(got) < len(sent) and time.time() < deadline:
        time.sleep(0.05)
        got += recv_all(rx)
    bad = [(d, a) for d, a in got if a != want_src or d not in sent]
    print("%d of %d RTCP packets from %s to %s arrived; %d not from %s or "
          "changed" % (len(got), len(sent), src.getsockname(), dst,
                       len(bad), want_src))
    return len(got) == len(sent) and not bad


pbx_rtcp, car_rtcp = sock("127.0.0.2", 40001), sock("127.0.0.3", 50011)
others = [sock("127.0.0.2", 40000), sock("127.0.0.3", 50000),
          sock("127.0.0.3", 50001)]
ok = phase(pbx_rtcp, ("127.0.0.1", a_port + 1), car_rtcp, sr, 0x146A,
           ("127.0.0.1", b_port + 1))
ok = phase(car_rtcp, ("127.0.0.1", b_port + 1), pbx_rtcp, rr, 0x146B,
           ("127.0.0.1", a_port + 1)) and ok
stray = sum(len(recv_all(s)) for s in others)
print("datagrams at the RTP ports or 50001: %d" % stray)
sys.exit(0 if ok and not stray else 1)
