"""One bounded RTP phase through trunkd's relay (test 143): 50 PCMU
packets from SRC_IP:SRC_PORT (a peer's media address of its SDP) to
trunkd's RELAY_PORT on 127.0.0.1, received (or not) on DST_IP:DST_PORT,
the other peer's. WANT "some": at least 10 must arrive (within 5 s);
"none": not one may arrive, from the first packet to 1 s after the last.
Usage: rtp.py SRC_IP SRC_PORT RELAY_PORT DST_IP DST_PORT some|none"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from rtplib import drain, phase, sock  # noqa: E402

src_ip, src_port, relay, dst_ip, dst_port, want = sys.argv[1:7]
src = sock(src_ip, int(src_port))
dst = sock(dst_ip, int(dst_port))
if want == "some":
    got, = phase(src, ("127.0.0.1", int(relay)), [dst], 0x1430, want=10)
    ok = got >= 10
else:
    got, = phase(src, ("127.0.0.1", int(relay)), [dst], 0x1431, want=1,
                 bound=0)
    end = time.time() + 1
    while time.time() < end:
        time.sleep(0.05)
        got += drain(dst)
    ok = got == 0
print("%s:%s -> relay %s -> %s:%s: %d of 50 (want %s)"
      % (src_ip, src_port, relay, dst_ip, dst_port, got, want))
sys.exit(0 if ok else 1)
