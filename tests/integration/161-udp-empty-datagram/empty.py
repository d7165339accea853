"""Send COUNT datagrams of no bytes to trunkd's UDP port, then an OPTIONS
that must get 200 (bounded wait). Usage: empty.py PORT COUNT. Exit 0 when
the OPTIONS was answered 200, 1 otherwise."""
import socket
import sys
import time

PORT, COUNT = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
lport = s.getsockname()[1]
for _ in range(COUNT):
    s.sendto(b"", ("127.0.0.1", PORT))
s.sendto("\r\n".join([
    "OPTIONS sip:127.0.0.1:%d SIP/2.0" % PORT,
    "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-empty-1" % lport,
    "Max-Forwards: 70",
    "From: <sip:empty@127.0.0.1>;tag=empty1",
    "To: <sip:127.0.0.1:%d>" % PORT,
    "Call-ID: empty-1@127.0.0.1",
    "CSeq: 1 OPTIONS",
    "Content-Length: 0", "", ""]).encode(), ("127.0.0.1", PORT))
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    s.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        data = s.recv(65535)
    except socket.timeout:
        break
    if b"empty-1@127.0.0.1" in data:
        line = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
        print(line)
        sys.exit(0 if line.startswith("SIP/2.0 200") else 1)
print("no answer to the OPTIONS within 5 s")
sys.exit(1)
