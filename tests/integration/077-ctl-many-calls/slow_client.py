"""A control client that pipelines "calls" and "status" on one connection
and reads nothing for a while, so that trunkd's answer cannot go out at
once: trunkd must keep the rest and send it as we read, then answer the
second command. Prints the two answers' sizes and the calls count; exits
non-zero unless both answers arrive whole within 20 s and the calls
answer lists at least WANT calls.
Usage: slow_client.py SOCKET WANT"""
import json
import socket
import sys
import time

path, want = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.sendall(b"calls\nstatus\n")
time.sleep(1)  # trunkd fills the socket and must wait for us
s.settimeout(20)
data = b""
deadline = time.time() + 20
while data.count(b"\n") < 2 and time.time() < deadline:
    chunk = s.recv(4096)  # small reads: many writable events on its side
    if not chunk:
        break
    data += chunk
lines = data.split(b"\n")
if len(lines) < 3:
    sys.exit("got %d bytes, %d whole lines" % (len(data), len(lines) - 1))
calls, status = json.loads(lines[0]), json.loads(lines[1])
n = len(calls["calls"])
ids = {c["id"] for c in calls["calls"]}
print("calls answer %d bytes, %d calls (%d distinct); status answer %d bytes"
      % (len(lines[0]), n, len(ids), len(lines[1])))
sys.exit(0 if calls["ok"] and status["ok"] and n >= want and len(ids) == n
         else 1)
