"""RTP both ways through trunkd's relay after the carrier's late-offer call.
The carrier's media (127.0.0.3:50000, its answer in the ACK) sends 50
PCMU packets to its relay port (the m= port of trunkd's 200 to the
carrier); the PBX's media (127.0.0.2:40000, its offer in the 200) must
receive at least 10; then the PBX sends to its relay port (the m= port of
trunkd's ACK to the PBX) and the carrier must receive at least 10. Then
the carrier sends 30 ms packets (240 bytes of PCMU, 30 ms apart) where
the PBX sent 20 ms ones (RTP-2: another packetization is relayed as it
is): the PBX must receive at least 10, each of 12 + 240 bytes. Last,
latching (RTP-1): the PBX's media moves to port 40010 (a NAT binding
that changed) and sends 30 packets; the relay takes the new source after
8 in a row, so the carrier receives 20 to 23 (the first 7 are dropped
as strays: at most 23 may arrive); then what the carrier
sends reaches the PBX at 40010 (at least 10) and nothing at 40000. Each
phase is bounded by 5 s.
Usage: rtp.py CARRIER_MSG_LOG PBX_MSG_LOG (SIPp message logs)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from rtplib import m_port, phase, sock  # noqa: E402

carrier = sock("127.0.0.3", 50000)
pbx = sock("127.0.0.2", 40000)
trunk_side = ("127.0.0.1", m_port(sys.argv[1], "SIP/2.0 200"))
ent_side = ("127.0.0.1", m_port(sys.argv[2], "ACK "))
to_pbx, = phase(carrier, trunk_side, [pbx], 0x1111)
to_carrier, = phase(pbx, ent_side, [carrier], 0x2222)
sizes = set()
ptime30, = phase(carrier, trunk_side, [pbx], 0x1111, count=34, ms=30,
                 sizes=sizes)
moved = sock("127.0.0.2", 40010)
from_moved, = phase(moved, ent_side, [carrier], 0x2223, count=30)
to_moved, to_old = phase(carrier, trunk_side, [moved, pbx], 0x1112,
                         count=30)
print("PCMU: carrier -> PBX %d, PBX -> carrier %d (of 50); relay ports %d, %d"
      % (to_pbx, to_carrier, trunk_side[1], ent_side[1]))
print("30 ms packets: carrier -> PBX %d (of 34), sizes %s"
      % (ptime30, sorted(sizes)))
print("PBX moved to port 40010: -> carrier %d (of 30); carrier -> 40010 %d, "
      "-> 40000 %d (of 30)" % (from_moved, to_moved, to_old))
sys.exit(0 if min(to_pbx, to_carrier, ptime30, to_moved) >= 10
         and sizes == {252} and 20 <= from_moved <= 23 and to_old == 0
         else 1)
