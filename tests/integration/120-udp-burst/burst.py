"""Send a burst of OPTIONS to trunkd over UDP while it is stopped, resume
it, count the answers. Usage: burst.py PORT COUNT PID. Prints
"answered N of COUNT"; exit 0 (the caller judges the count)."""
import os
import signal
import socket
import sys
import time

PORT, COUNT, PID = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# Our own buffer must hold every answer: the burst is the subject here.
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024 * 1024)
s.bind(("127.0.0.1", 0))
lport = s.getsockname()[1]


def options(i):
    return "\r\n".join([
        "OPTIONS sip:127.0.0.1:%d SIP/2.0" % PORT,
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-burst-%d" % (lport, i),
        "Max-Forwards: 70",
        "From: <sip:burst@127.0.0.1>;tag=burst%d" % i,
        "To: <sip:127.0.0.1:%d>" % PORT,
        "Call-ID: burst-%d@127.0.0.1" % i,
        "CSeq: 1 OPTIONS",
        "Contact: <sip:burst@127.0.0.1:%d>" % lport,
        # Some weight, like a real request's headers (~900 bytes in all).
        "User-Agent: burst/1 " + "x" * 500,
        "Content-Length: 0", "", ""]).encode()


os.kill(PID, signal.SIGSTOP)
try:
    for i in range(COUNT):
        s.sendto(options(i), ("127.0.0.1", PORT))
finally:
    os.kill(PID, signal.SIGCONT)

answered = set()
s.settimeout(0.2)
deadline = time.monotonic() + 15
quiet_since = time.monotonic()
while len(answered) < COUNT and time.monotonic() < deadline:
    try:
        reply = s.recv(65535).decode(errors="replace")
    except socket.timeout:
        # Nothing for 3 s after the last answer: the rest was lost.
        if time.monotonic() - quiet_since > 3:
            break
        continue
    quiet_since = time.monotonic()
    for line in reply.split("\r\n"):
        if line.lower().startswith("via:") and "branch=z9hG4bK-burst-" in line:
            answered.add(line.split("branch=z9hG4bK-burst-")[1].split(";")[0])
            break
print("answered %d of %d" % (len(answered), COUNT))
