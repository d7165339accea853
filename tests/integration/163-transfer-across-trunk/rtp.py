"""RTP through trunkd's relay after a transfer across the trunk: both
ends are the carrier's (127.0.0.3), the transferee's media on port 50001
and the target's on 50002. The transferee sends first, alone: the target
must receive it, which it can only if the relay took the target's address
from its SDP answer. Then the target sends and the transferee must
receive. 50 PCMU packets each way, at least 10 must arrive, each phase
bounded by 5 s.
Usage: rtp.py CARRIER_MSG_LOG (the SIPp log of both calls: the relay
ports are the m= ports of the INVITEs trunkd sent, the transferee's first,
the target's last)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from rtplib import m_port, phase, sock  # noqa: E402

transferee = sock("127.0.0.3", 50001)
target = sock("127.0.0.3", 50002)
transferee_side = ("127.0.0.1", m_port(sys.argv[1], "INVITE "))
target_side = ("127.0.0.1", m_port(sys.argv[1], "INVITE ", last=True))
to_target, = phase(transferee, transferee_side, [target], 0x1111)
to_transferee, = phase(target, target_side, [transferee], 0x2222)
print("relay ports: transferee side %d, target side %d; transferee -> "
      "target %d, target -> transferee %d (of 50)"
      % (transferee_side[1], target_side[1], to_target, to_transferee))
sys.exit(0 if transferee_side[1] != target_side[1]
         and min(to_target, to_transferee) >= 10 else 1)
