"""RTP through trunkd's relay after a transfer. The carrier's media
(127.0.0.3:50000) sends first, alone: the target's media (127.0.0.2:42000)
must receive it, which it can only if the relay took the target's address
from its SDP answer (nothing from the target to latch on yet). Then the
target sends and the carrier must receive. 50 PCMU packets each way, at
least 10 must arrive, each phase bounded by 5 s.
Usage: rtp.py CARRIER_MSG_LOG TARGET_MSG_LOG (SIPp message logs: the
relay ports are the m= ports of the INVITEs trunkd sent)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from rtplib import m_port, phase, sock  # noqa: E402

carrier = sock("127.0.0.3", 50000)
target = sock("127.0.0.2", 42000)
carrier_side = ("127.0.0.1", m_port(sys.argv[1], "INVITE ", last=True))
target_side = ("127.0.0.1", m_port(sys.argv[2], "INVITE ", last=True))
to_target, = phase(carrier, carrier_side, [target], 0x1111)
to_carrier, = phase(target, target_side, [carrier], 0x2222)
print("relay ports: carrier side %d, target side %d; carrier -> target %d,"
      " target -> carrier %d (of 50)" % (carrier_side[1], target_side[1],
                                         to_target, to_carrier))
sys.exit(0 if min(to_target, to_carrier) >= 10 else 1)
