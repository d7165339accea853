"""RTP through trunkd's relay after a transfer. The carrier's media
(127.0.0.3:50000) sends first, alone: the target's media (127.0.0.2:42000)
must receive it, which it can only if the relay took the target's address
from its SDP answer (nothing from the target to latch on yet). Then the
target sends and the carrier must receive. 50 PCMU packets each way, at
least 10 must arrive, each phase bounded by 5 s.
Usage: rtp.py CARRIER_MSG_LOG TARGET_MSG_LOG (SIPp message logs: the
relay ports are the m= ports of the INVITEs trunkd sent)."""
import re
import socket
import struct
import sys
import time


def relay_port(path):
    """m= port of the last INVITE's SDP received in a SIPp message log."""
    text = open(path, encoding="latin-1").read()
    blocks = [b for b in text.split("-" * 47 + " ")
              if "message received" in b and "\nINVITE " in b]
    ports = re.findall(r"m=audio (\d+) ", blocks[-1]) if blocks else []
    if not ports:
        sys.exit("no INVITE with SDP in " + path)
    return int(ports[0])


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
    """src sends 50 packets to dst; how many rx received (5 s at most)."""
    got = 0
    deadline = time.time() + 5
    for seq in range(50):
        src.sendto(struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc) +
                   b"\xff" * 160, dst)
        time.sleep(0.02)
        got += drain(rx)
    while got < 10 and time.time() < deadline:
        time.sleep(0.05)
        got += drain(rx)
    return got


carrier = sock("127.0.0.3", 50000)
target = sock("127.0.0.2", 42000)
carrier_side = ("127.0.0.1", relay_port(sys.argv[1]))
target_side = ("127.0.0.1", relay_port(sys.argv[2]))
to_target = phase(carrier, carrier_side, target, 0x1111)
to_carrier = phase(target, target_side, carrier, 0x2222)
print("relay ports: carrier side %d, target side %d; carrier -> target %d,"
      " target -> carrier %d (of 50)" % (carrier_side[1], target_side[1],
                                         to_target, to_carrier))
sys.exit(0 if min(to_target, to_carrier) >= 10 else 1)
