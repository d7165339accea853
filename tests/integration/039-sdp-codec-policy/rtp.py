"""RTP-5 on the wire: after the carrier answered without CN, the relay
must not send CN (PT 13) to it. The PBX's media (127.0.0.2:40000) sends
PCMA (PT 8) x10, CN x10, PCMA x10 to trunkd's enterprise-side relay port;
the carrier's media (127.0.0.3:50000) must receive the last PCMA packet
(seq 29; loopback and one relay socket keep the order, so every CN packet
that was relayed arrived before it) and no CN. Bounded: 5 s.
Usage: rtp.py PBX_MSG_LOG (the SIPp message log of the PBX: the relay
port is the m= port of the 200 it received)."""
import re
import socket
import struct
import sys
import time

text = open(sys.argv[1], encoding="latin-1").read()
m = re.search(r"message received.*?\nSIP/2\.0 200 .*?m=audio (\d+) ", text,
              re.S)
if not m:
    sys.exit("no 200 with SDP in " + sys.argv[1])
relay = ("127.0.0.1", int(m.group(1)))
pbx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
pbx.bind(("127.0.0.2", 40000))
carrier = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
carrier.bind(("127.0.0.3", 50000))
carrier.settimeout(0.1)
for seq in range(30):
    pt = 13 if 10 <= seq < 20 else 8
    body = b"\x40" if pt == 13 else b"\xd5" * 160
    pbx.sendto(struct.pack("!BBHII", 0x80, pt, seq, seq * 160, 0x3333) +
               body, relay)
    time.sleep(0.005)
got = {8: 0, 13: 0}
last = False
deadline = time.time() + 5
while not last and time.time() < deadline:
    try:
        pkt = carrier.recv(2048)
    except socket.timeout:
        continue
    pt, seq = pkt[1] & 0x7F, struct.unpack("!H", pkt[2:4])[0]
    got[pt] = got.get(pt, 0) + 1
    last = seq == 29
print("relay port %d: carrier got PCMA %d, CN %d (of 20 and 10), last %s" %
      (relay[1], got[8], got[13], last))
sys.exit(0 if last and got[13] == 0 and got[8] >= 10 else 1)
