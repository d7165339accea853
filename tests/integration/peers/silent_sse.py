#!/usr/bin/env python3
"""A silent SP-SSE: binds UDP IP:PORT, answers nothing, and appends one
line per datagram to LOG: "EPOCH_SECONDS FIRST_LINE | CALL-ID" (flushed at
once, so the test can read it while this runs). Runs until killed."""
import re
import socket
import sys
import time

ip, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, port))
with open(log, "a", encoding="utf-8") as out:
    while True:
        data = s.recv(65535).decode("latin-1")
        cid = re.search(r"(?im)^(?:call-id|i)\s*:\s*(\S+)", data)
        out.write("%.6f %s | %s\n" % (time.time(), data.split("\r\n")[0],
                                      cid.group(1) if cid else "-"))
        out.flush()
