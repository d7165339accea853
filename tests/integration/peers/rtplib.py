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


def drain(s, sizes=None):
    """How many datagrams were waiting on s (all read); their sizes are
    added to the set sizes if one is given."""
    n = 0
    try:
        while True:
            d = s.recv(2048)
            if sizes is not None:
                sizes.add(len(d))
            n += 1
    except BlockingIOError:
        return n


def phase(src, dst, rxs, ssrc, pt=0, count=50, want=10, bound=5, ms=20,
          sizes=None):
    """src sends count packets of payload type pt to dst, ms ms of G.711
    each (8 * ms bytes), ms ms apart; returns how many each socket of rxs
    received, waiting at most bound seconds for the first of them to get
    want. The sizes of what the first received go to the set sizes."""
    got = [0] * len(rxs)
    deadline = time.time() + bound
    fill = b"\xff" if pt == 0 else b"\xd5"
    n = 8 * ms

    def poll():
        return [g + drain(r, sizes if i == 0 else None)
                for i, (g, r) in enumerate(zip(got, rxs))]

    for seq in range(count):
        src.sendto(struct.pack("!BBHII", 0x80, pt, seq, seq * n, ssrc) +
                   fill * n, dst)
        time.sleep(ms / 1000)
        got = poll()
    while got[0] < want and time.time() < deadline:
        time.sleep(0.05)
        got = poll()
    return got
