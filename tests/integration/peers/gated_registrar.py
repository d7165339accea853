#!/usr/bin/env python3
"""A registrar whose answers wait for the test (054): each new REGISTER is
held until the file GATE_DIR/go-N exists (N: its number, 1 first), then
answered with the N-th scripted 200. While REGISTER N+1 is held, trunkd
has processed answer N and nothing else can reach it, so the test reads
trunkd's state of answer N without racing the next refresh.

    gated_registrar.py IP PORT GATE_DIR LOG

Answers (UDP; grants of 4 s make trunkd refresh after 2 s):
  1. 200, expires 4, Flow-Timer: 0
  2. 200, expires 4, Flow-Timer: 100000
  3. 200, expires 4, Via keep=junk
  4. 200, expires 3600 (no refresh before the test ends), Via keep=3
  5. must be the un-REGISTER (Expires: 0): 200, then exit 0.
Every REGISTER's top Via must offer keep (RFC 6223: a bare ";keep").
A retransmission (same branch) is answered again once answered, else
dropped. Any other REGISTER, a missing keep offer or a sixth REGISTER:
a line "ERROR ..." and exit 1. STUN and other datagrams are logged and
not answered (the test counts trunkd's keep-alives on the wire).

LOG lines, flushed at once: "<epoch> REGISTER <n> held branch=<b>",
"<epoch> REGISTER <n> answered", "<epoch> STUN", "<epoch> ERROR <why>".
"""
import os
import re
import select
import socket
import sys
import time

SCRIPT = [
    (4, "Flow-Timer: 0", None),
    (4, "Flow-Timer: 100000", None),
    (4, None, "keep=junk"),
    (3600, None, "keep=3"),
]


def header(msg, name, compact=None):
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() in (name.lower(), (compact or "").lower()):
            return v.strip()
    return None


def answer(msg, n):
    via = header(msg, "Via", "v")
    out = ["SIP/2.0 200 OK"]
    extra = None
    if n <= len(SCRIPT):
        expires, extra, keep = SCRIPT[n - 1]
        if keep:
            via = re.sub(r";keep(?=;|$)", ";" + keep, via, count=1)
    out += ["Via: " + via,
            "From: " + header(msg, "From", "f"),
            "To: " + header(msg, "To", "t") + ";tag=gated1",
            "Call-ID: " + header(msg, "Call-ID", "i"),
            "CSeq: " + header(msg, "CSeq")]
    if n <= len(SCRIPT):
        out.append("Contact: %s;expires=%d" % (header(msg, "Contact", "m"),
                                                expires))
    if extra:
        out.append(extra)
    out += ["Content-Length: 0", "", ""]
    return "\r\n".join(out).encode()


def main():
    ip, port, gate, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    out = open(log, "a", buffering=1)

    def note(what):
        out.write("%.6f %s\n" % (time.time(), what))

    def fail(why):
        note("ERROR " + why)
        sys.exit(1)

    n = 0            # REGISTERs seen
    branch = None    # the current one's
    held = None      # (msg, src) of a REGISTER not answered yet
    last = None      # the current one's answer, once sent
    while True:
        if held and os.path.exists(os.path.join(gate, "go-%d" % n)):
            last = answer(*held[:1], n)
            s.sendto(last, held[1])
            note("REGISTER %d answered" % n)
            held = None
            if n == len(SCRIPT) + 1:
                return 0
        if not select.select([s], [], [], 0.05)[0]:
            continue
        data, src = s.recvfrom(65535)
        if not data.startswith(b"REGISTER "):
            note("STUN" if data[:1] == b"\x00" else "OTHER %r" % data[:20])
            continue
        msg = data.decode("latin-1")
        via = header(msg, "Via", "v") or ""
        b = re.search(r";branch=([^;,\s]+)", via)
        if b and b.group(1) == branch:  # a retransmission
            if last and not held:
                s.sendto(last, src)
            continue
        n += 1
        branch = b.group(1) if b else None
        last = None
        if not re.match(r"SIP/2\.0/UDP [^;]+;keep(;|$)", via):
            fail("REGISTER %d: its Via offers no keep: %s" % (n, via))
        if n > len(SCRIPT) + 1:
            fail("REGISTER %d: more than the scripted ones" % n)
        if n == len(SCRIPT) + 1 and header(msg, "Expires") != "0":
            fail("REGISTER %d: not the un-REGISTER (Expires %s)"
                 % (n, header(msg, "Expires")))
        held = (msg, src)
        note("REGISTER %d held branch=%s" % (n, branch))


if __name__ == "__main__":
    sys.exit(main())
