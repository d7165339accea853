"""The PBX of 109 (UDP on 127.0.0.2:5070): an INVITE with Require: 100rel
to trunkd; it PRACKs trunkd's reliable 183 only once the file GO exists
(run.sh creates it when `trunkctl calls` shows the call CONFIRMED, i.e.
after trunkd took the carrier's 200). trunkd must then answer the PRACK
with 200 and the INVITE with 200 (never 500); we ACK and hang up.
Usage: pbx.py TRUNKD_HOST:PORT GO_FILE. Exit 0 on success; every message
is logged to stderr."""
import os
import re
import socket
import sys
import time

host, port = sys.argv[1].split(":")
dest, go = (host, int(port)), sys.argv[2]
me = ("127.0.0.2", 5070)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(me)
s.settimeout(0.2)
cid, ftag = "pbx-late-prack-1@127.0.0.2", "pbx-late-1"
sdp = ("v=0\r\no=pbx 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
       "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
ruri = "sip:+15550100001@%s:%s" % dest


def send(method, cseq, branch, extra="", body="", uri=ruri, to=None):
    msg = ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n"
           "From: <sip:2001@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\n"
           "CSeq: %d %s\r\nContact: <sip:2001@%s:%d>\r\nMax-Forwards: 70\r\n"
           "%s%sContent-Length: %d\r\n\r\n%s" % (
               method, uri, me[0], me[1], branch, me[0], ftag,
               to or "<%s>" % ruri, cid, cseq, method, me[0], me[1], extra,
               "Content-Type: application/sdp\r\n" if body else "",
               len(body), body))
    print(">>> " + msg.split("\r\n")[0], file=sys.stderr)
    s.sendto(msg.encode(), dest)


def recv(deadline):
    while time.time() < deadline:
        try:
            data = s.recv(65535).decode("latin-1")
        except socket.timeout:
            continue
        first = data.split("\r\n")[0]
        hdr = lambda n: (re.search(r"^%s: *(.*)$" % n, data, re.M | re.I)
                         or [None, ""])[1].strip()
        print("<<< %s (CSeq %s, RSeq %s)" % (first, hdr("CSeq"), hdr("RSeq")),
              file=sys.stderr)
        return first, hdr, data
    sys.exit("timed out")


send("INVITE", 1, "-inv", "Supported: 100rel\r\nRequire: 100rel\r\n", sdp)
end = time.time() + 10
while True:
    first, hdr, data = recv(end)
    if first.startswith("SIP/2.0 183"):
        break
    if not first.startswith("SIP/2.0 1"):
        sys.exit("wanted a 183, got " + first)
rseq, to = hdr("RSeq"), hdr("To")
target = re.search(r"<([^>]+)>", hdr("Contact")).group(1)
if not rseq or "100rel" not in hdr("Require"):
    sys.exit("the 183 is not reliable")
# Wait (bounded) for run.sh: trunkd has taken the carrier's 200.
while not os.path.exists(go):
    if time.time() > end:
        sys.exit("no go from run.sh")
    time.sleep(0.05)
send("PRACK", 2, "-prack", "RAck: %s 1 INVITE\r\n" % rseq, uri=target, to=to)
got = {}
while len(got) < 2:
    first, hdr, data = recv(end)
    m = re.match(r"SIP/2\.0 (\d+)", first)
    code, cseq = int(m.group(1)), hdr("CSeq")
    if code < 200:
        continue  # the 183 again, until our PRACK got there
    got[cseq.split()[-1]] = code
    if code >= 300:
        sys.exit("%s answered %d" % (cseq, code))
print("final answers:", got, file=sys.stderr)
to = hdr("To") if "INVITE" in hdr("CSeq") else to
send("ACK", 1, "-ack", uri=target, to=to)
send("BYE", 3, "-bye", uri=target, to=to)
while True:
    first, hdr, data = recv(end)
    if "BYE" in hdr("CSeq") and first.startswith("SIP/2.0 200"):
        break
sys.exit(0)
