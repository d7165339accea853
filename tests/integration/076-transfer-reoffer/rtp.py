"""PCMA (payload type 8) through trunkd's relay after the transfer and
the carrier's re-INVITE. The carrier's media (127.0.0.3:50000) sends 50
packets to its relay port (the m= port of trunkd's 200 to the carrier);
eve's media (127.0.0.2:42000) must receive at least 10; then eve sends to
her relay port (the m= port of trunkd's INVITE to eve) and the carrier
must receive at least 10. Each phase is bounded by 5 s.
Usage: rtp.py CARRIER_MSG_LOG EVE_MSG_LOG (SIPp message logs)."""
import re
import socket
import struct
import sys
import time


def m_port(path, first_line):
    """m= port of the first received message starting with first_line."""
    text = open(path, encoding="latin-1").read()
    for b in text.split("-" * 47 + " "):
        if "message received" in b and ("\n" + first_line) in b:
            ports = re.findall(r"m=audio (\d+) ", b)
            if ports:
                return int(ports[0])
    sys.exit("no %r with SDP received in %s" % (first_line, path))


def sock(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    s.setblocking(False)
    return s


def drain(s):
    n = 0
    try:
        while True:
            s.recv(2048)
            n += 1
    except BlockingIOError:
        return n


def phase(src, dst, rx, ssrc):
    got, deadline = 0, time.time() + 5
    for seq in range(50):
        src.sendto(struct.pack("!BBHII", 0x80, 8, seq, seq * 160, ssrc) +
                   b"\xd5" * 160, dst)
        time.sleep(0.02)
        got += drain(rx)
    while got < 10 and time.time() < deadline:
        time.sleep(0.05)
        got += drain(rx)
    return got


carrier = sock("127.0.0.3", 50000)
eve = sock("127.0.0.2", 42000)
trunk_side = ("127.0.0.1", m_port(sys.argv[1], "SIP/2.0 200"))
ent_side = ("127.0.0.1", m_port(sys.argv[2], "INVITE "))
to_eve = phase(carrier, trunk_side, eve, 0x1111)
to_carrier = phase(eve, ent_side, carrier, 0x2222)
print("PCMA: carrier -> eve %d, eve -> carrier %d (of 50); relay ports %d, %d"
      % (to_eve, to_carrier, trunk_side[1], ent_side[1]))
sys.exit(0 if min(to_eve, to_carrier) >= 10 else 1)
