"""RTP helpers of the media tests (038, 073, 076): sockets on loopback
media addresses, the relay ports trunkd named in SDP (from SIPp message
logs), and bounded send/receive phases. Import with
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
"""
import re
import socket
import struct
import sys
import time


def m_port(path, first_line, last=False):
    """m= port of the first (or last) message received in a SIPp message
    log whose first line starts with first_line and that has SDP."""
    text = open(path, encoding="latin-1").read()
    ports = []
    for b in text.split("-" * 47 + " "):
        if "message received" in b and ("\n" + first_line) in b:
            ports += re.findall(r"m=audio (\d+) ", b)[:1]
    if not ports:
        sys.exit("no %r with SDP received in %s" % (first_line, path))
    return int(ports[-1] if last else ports[0])


def sock(ip, port):
    """A non-blocking UDP socket bound to ip:port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    s.setblocking(False)
    return s


def drain(s):
    """How many datagrams were waiting on s (all read)."""
    n = 0
    try:
        while True:
            s.recv(2048)
            n += 1
    except BlockingIOError:
        return n


def phase(src, dst, rxs, ssrc, pt=0, count=50, want=10, bound=5):
    """src sends count packets of payload type pt to dst, 20 ms apart;
    returns how many each socket of rxs received, waiting at most bound
    seconds for the first of them to get want."""
    got = [0] * len(rxs)
    deadline = time.time() + bound
    fill = b"\xff" if pt == 0 else b"\xd5"
    for seq in range(count):
        src.sendto(struct.pack("!BBHII", 0x80, pt, seq, seq * 160, ssrc) +
                   fill * 160, dst)
        time.sleep(0.02)
        got = [g + drain(r) for g, r in zip(got, rxs)]
    while got[0] < want and time.time() < deadline:
        time.sleep(0.05)
        got = [g + drain(r) for g, r in zip(got, rxs)]
    return got
