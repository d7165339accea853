"""PCMA (payload type 8) through trunkd's relay after the attended
transfer and the carrier's re-INVITE. The carrier's media
(127.0.0.3:50000) sends 50 packets to its relay port (the m= port of
trunkd's 200 to the carrier); eve's media (127.0.0.2:42000) must receive
at least 10; then eve sends to her relay port (the m= port of trunkd's
last INVITE to eve: the join re-INVITE) and the carrier must receive at
least 10. Each phase is bounded by 5 s.
Usage: rtp.py CARRIER_MSG_LOG EVE_MSG_LOG (SIPp message logs)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from rtplib import m_port, phase, sock  # noqa: E402

carrier = sock("127.0.0.3", 50000)
eve = sock("127.0.0.2", 42000)
trunk_side = ("127.0.0.1", m_port(sys.argv[1], "SIP/2.0 200"))
ent_side = ("127.0.0.1", m_port(sys.argv[2], "INVITE ", last=True))
to_eve, = phase(carrier, trunk_side, [eve], 0x1111, pt=8)
to_carrier, = phase(eve, ent_side, [carrier], 0x2222, pt=8)
print("PCMA: carrier -> eve %d, eve -> carrier %d (of 50); relay ports %d, %d"
      % (to_eve, to_carrier, trunk_side[1], ent_side[1]))
sys.exit(0 if min(to_eve, to_carrier) >= 10 else 1)
