#!/usr/bin/env python3
"""A PBX that retransmits a refused INVITE (099-overload-limits).

retransmit.py udp|tcp LOCAL_IP LOCAL_PORT TRUNKD_IP TRUNKD_PORT NUMBER [GO]

Sends one INVITE, reads the answer; with GO (a file name) creates GO.first
and waits (at most 10 s) until GO exists; sends the very same bytes again
(a retransmission: same branch, Call-ID, CSeq), reads that answer, ACKs,
then listens 700 ms more. SIPp cannot do this: it takes the second,
identical 503 for a retransmission of the first and resends its INVITE.
Exit 0 when both answers are exactly "SIP/2.0 503 Service Unavailable"
with "Retry-After: 5", the same To tag (tag=ovl + 16 hex digits, RFC 3261
8.2.7), no 100 Trying and nothing else arrives; each message received is
printed.
"""
import re
import socket
import sys
import os
import time

proto, lip, lport, rip, rport, number = sys.argv[1:7]
go = sys.argv[7] if len(sys.argv) > 7 else None
lport, rport = int(lport), int(rport)
tp = proto.upper()
via = "SIP/2.0/%s %s:%d;branch=z9hG4bK-ovl-retrans-%s" % (tp, lip, lport, proto)
head = (
    "INVITE sip:%s@%s:%d SIP/2.0\r\n"
    "Via: %s\r\n"
    "From: <sip:2001@%s:%d>;tag=ovl-rt-%s\r\n"
    "To: <sip:%s@%s:%d>\r\n"
    "Call-ID: ovl-retrans-%s-%s@%s\r\n"
    "CSeq: 1 INVITE\r\n"
    % (number, rip, rport, via, lip, lport, proto, number, rip, rport, proto,
       number, lip)
)
invite = (head + "Contact: <sip:2001@%s:%d;transport=%s>\r\n"
          "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
          % (lip, lport, proto)).encode()

if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((lip, lport))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((lip, lport))
    s.connect((rip, rport))
buf = b""


def send(data):
    if proto == "udp":
        s.sendto(data, (rip, rport))
    else:
        s.sendall(data)


def recv(timeout):
    """One SIP message (None on timeout)."""
    global buf
    s.settimeout(timeout)
    if proto == "udp":
        try:
            return s.recv(65535).decode()
        except socket.timeout:
            return None
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


def answer():
    m = recv(5)
    if m is None:
        sys.exit("no answer to the INVITE within 5 s")
    print("received:\n" + m)
    lines = m.split("\r\n")
    if lines[0] != "SIP/2.0 503 Service Unavailable":
        sys.exit("expected the 503, got: " + lines[0])
    if "Retry-After: 5" not in lines:
        sys.exit("no 'Retry-After: 5' in the 503")
    to = [l for l in lines if l.lower().startswith("to:")]
    if len(to) != 1 or not re.search(r";tag=ovl[0-9a-f]{16}$", to[0]):
        sys.exit("To of the 503 without our stateless tag: %s" % to)
    return to[0]


send(invite)
to1 = answer()
if go:
    open(go + ".first", "w").close()
    deadline = time.monotonic() + 10
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            sys.exit("no go for the retransmission within 10 s")
        time.sleep(0.02)
send(invite)
to2 = answer()
if to1 != to2:
    sys.exit("the retransmission got another To tag: %s / %s" % (to1, to2))
ack = (
    "ACK sip:%s@%s:%d SIP/2.0\r\nVia: %s\r\n"
    "From: <sip:2001@%s:%d>;tag=ovl-rt-%s\r\n%s\r\n"
    "Call-ID: ovl-retrans-%s-%s@%s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n"
    "Content-Length: 0\r\n\r\n"
    % (number, rip, rport, via, lip, lport, proto, to1, proto, number, lip)
)
send(ack.encode())
# A stateful 503 over UDP would come again after T1 (500 ms) until ACKed.
late = recv(0.7)
if late is not None:
    sys.exit("unexpected message after the ACK:\n" + late)
print("ok: two identical 503s, Retry-After 5, %s" % to1)
