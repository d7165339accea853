"""RTP through trunkd's relay after a forked call. The PBX's media
(127.0.0.2:40000) sends 50 PCMU packets to the relay's enterprise-side
port (the m= port of the 200 the PBX got): the answering fork's media
(127.0.0.3:50001) must receive at least 10 of them, fork 2's (50002, whose
183 brought early media before) none. Then fork 1 sends to the relay's
trunk-side port (the m= port of the INVITE the carrier got) and the PBX
must receive at least 10. Each phase is bounded by 5 s.
Usage: rtp.py PBX_MSG_LOG CARRIER_MSG_LOG (SIPp message logs)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from rtplib import m_port, phase, sock  # noqa: E402

pbx = sock("127.0.0.2", 40000)
fork1 = sock("127.0.0.3", 50001)
fork2 = sock("127.0.0.3", 50002)
ent_side = ("127.0.0.1", m_port(sys.argv[1], "SIP/2.0 200"))
trunk_side = ("127.0.0.1", m_port(sys.argv[2], "INVITE "))
to_fork1, to_fork2 = phase(pbx, ent_side, [fork1, fork2], 0x1111)
to_pbx, = phase(fork1, trunk_side, [pbx], 0x2222)
print("relay ports: enterprise side %d, trunk side %d; PBX -> fork 1 %d,"
      " PBX -> fork 2 %d, fork 1 -> PBX %d (of 50)"
      % (ent_side[1], trunk_side[1], to_fork1, to_fork2, to_pbx))
sys.exit(0 if to_fork1 >= 10 and to_pbx >= 10 and to_fork2 == 0 else 1)
