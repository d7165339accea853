#!/usr/bin/env python3
"""sdp_lines.py TRACE START: the m=, a=rtpmap/fmtp/ptime and direction
lines of the SDP body of the first message SIPp received (TRACE: its
-trace_msg file) whose start line begins with START, one a line, the m=
port written PORT (printed alone on the first line)."""
import re
import sys

trace, start = sys.argv[1], sys.argv[2]
text = open(trace, encoding="utf-8", errors="replace").read()
for chunk in re.split(r"(?m)^-{10,}[^\n]*\n", text):
    if "message received" not in chunk.split("\n", 1)[0]:
        continue
    msg = chunk.split("\n", 1)[1].lstrip("\n")
    if not msg.startswith(start):
        continue
    body = re.split(r"\r?\n\r?\n", msg, 1)[1] if re.search(r"\r?\n\r?\n", msg) else ""
    port = None
    for line in body.splitlines():
        line = line.strip()
        m = re.match(r"m=audio (\d+) (.*)", line)
        if m:
            port = m.group(1)
            print(port)
            print("m=audio PORT " + m.group(2))
        elif re.match(r"a=(rtpmap|fmtp|ptime|sendrecv|sendonly|recvonly|inactive)", line):
            print(line)
    sys.exit(0 if port else 1)
sys.exit("no received message starting with %r in %s" % (start, trace))
