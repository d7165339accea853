#!/usr/bin/env python3
"""A TLS client whose second INVITE waits in trunkd's socket (test 114).

tlswait.py LOCAL_IP TRUNKD_IP TRUNKD_PORT CA_FILE GO

Opens a TLS connection (verifying gw.enterprise.test against CA_FILE),
sends an INVITE and reads its final answer; creates GO.first and waits
(at most 10 s) until GO exists; then sends a second INVITE (a new call)
on the same connection and reads its final answer. Exit 0 when both got
one; each message received is printed. Over TLS nothing can be sent
"as is" again: the second INVITE is a new request.
"""
import os
import re
import socket
import ssl
import sys
import time

lip, rip, rport, cafile, go = sys.argv[1:6]
rport = int(rport)

ctx = ssl.create_default_context(cafile=cafile)
raw = socket.create_connection((rip, rport), timeout=5, source_address=(lip, 0))
s = ctx.wrap_socket(raw, server_hostname="gw.enterprise.test")
lport = s.getsockname()[1]
buf = b""


def invite(n):
    return (
        "INVITE sip:+15550100001@%s:%d;transport=tls SIP/2.0\r\n"
        "Via: SIP/2.0/TLS %s:%d;branch=z9hG4bK-tlswait-%d\r\n"
        "From: <sip:2001@%s>;tag=tlswait-%d\r\n"
        "To: <sip:+15550100001@%s>\r\n"
        "Call-ID: tlswait-%d-%d@%s\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:2001@%s:%d;transport=tls>\r\n"
        "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        % (rip, rport, lip, lport, n, lip, n, rip, n, os.getpid(), lip, lip,
           lport)
    ).encode()


def recv(timeout):
    """One SIP message (None on timeout or end of stream)."""
    global buf
    s.settimeout(timeout)
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            m = re.search(rb"(?im)^content-length:\s*(\d+)", buf[:end])
            n = end + 4 + (int(m.group(1)) if m else 0)
            if len(buf) >= n:
                msg, buf = buf[:n], buf[n:]
                return msg.decode()
        try:
            chunk = s.recv(65535)
        except socket.timeout:
            return None
        if not chunk:
            return None
        buf += chunk


def final(n):
    """Send INVITE n, read up to its final answer (ACKed: non-2xx)."""
    s.sendall(invite(n))
    while True:
        m = recv(5)
        if m is None:
            sys.exit("no final answer to INVITE %d within 5 s" % n)
        print("received:\n" + m)
        code = int(m.split(" ", 2)[1])
        if code >= 200:
            to = re.search(r"(?im)^to:[^\r\n]*", m).group(0)
            s.sendall((
                "ACK sip:+15550100001@%s:%d;transport=tls SIP/2.0\r\n"
                "Via: SIP/2.0/TLS %s:%d;branch=z9hG4bK-tlswait-%d\r\n"
                "From: <sip:2001@%s>;tag=tlswait-%d\r\n%s\r\n"
                "Call-ID: tlswait-%d-%d@%s\r\nCSeq: 1 ACK\r\n"
                "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                % (rip, rport, lip, lport, n, lip, n, to, n, os.getpid(), lip)
            ).encode())
            return code


print("first INVITE answered", final(1))
open(go + ".first", "w").close()
deadline = time.monotonic() + 10
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("no go for the second INVITE within 10 s")
    time.sleep(0.02)
print("second INVITE answered", final(2))
s.close()
