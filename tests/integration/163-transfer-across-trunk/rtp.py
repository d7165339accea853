"""RTP through trunkd's relay after a transfer across the trunk: both
ends are the carrier's (127.0.0.3), the transferee's media on port 50001
and the target's on 50002. The transferee sends first, alone: the target
must receive it, which it can only if the relay took the target's address
from its SDP answer. Then the target sends and the transferee must
receive. 50 PCMU packets each way, at least 10 must arrive, each phase
bounded by 5 s.
Usage: rtp.py CARRIER_MSG_LOG (the SIPp log of both calls). The relay's
address and port toward each are those of the last INVITE trunkd sent in
its dialog (the transferee's is the first Call-ID; after a re-INVITE that
moved it, the re-INVITE's)."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from rtplib import phase, sock  # noqa: E402

last = {}  # Call-ID -> (address, port) of its last INVITE with SDP
order = []
text = open(sys.argv[1], encoding="latin-1").read()
for b in text.split("-" * 47 + " "):
    if "message received" not in b or "\nINVITE " not in b:
        continue
    cid = re.search(r"^Call-ID: *(\S+)", b, re.M)
    c = re.search(r"^c=IN IP4 (\S+)", b, re.M)
    m = re.search(r"^m=audio (\d+) ", b, re.M)
    if not (cid and c and m):
        continue
    if cid.group(1) not in last:
        order.append(cid.group(1))
    last[cid.group(1)] = (c.group(1), int(m.group(1)))
if len(order) != 2:
    sys.exit("expected the INVITEs of two calls in %s, got %d" %
             (sys.argv[1], len(order)))
transferee_side, target_side = last[order[0]], last[order[1]]
transferee = sock("127.0.0.3", 50001)
target = sock("127.0.0.3", 50002)
to_target, = phase(transferee, transferee_side, [target], 0x1111)
to_transferee, = phase(target, target_side, [transferee], 0x2222)
print("relay: transferee side %s:%d, target side %s:%d; transferee -> "
      "target %d, target -> transferee %d (of 50)"
      % (transferee_side + target_side + (to_target, to_transferee)))
sys.exit(0 if transferee_side != target_side
         and min(to_target, to_transferee) >= 10 else 1)
