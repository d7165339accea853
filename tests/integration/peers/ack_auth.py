#!/usr/bin/env python3
"""The ACK of every 2xx carries the same credentials as the INVITE it
acknowledges (RFC 3261 13.2.2.4: "The ACK MUST contain the same
credentials as the INVITE"), read in a carrier's SIPp message log (what
it received). An ACK of a 2xx is one whose Via branch differs from its
INVITE's (the ACK of a non-2xx reuses the INVITE's branch, RFC 3261
17.1.1.3, and is nta's business); its INVITE is the last one received
before it with the same CSeq number. Their Authorization and
Proxy-Authorization headers must be the same, byte for byte, or both
absent. Exits 1 on a difference, or when fewer than MIN such ACKs
acknowledged an INVITE with credentials (default 1).

    ack_auth.py CARRIER.msg.txt [MIN]
"""
import re
import sys

CREDS = ("Authorization", "Proxy-Authorization")


def received(path):
    text = open(path, encoding="latin-1").read()
    for b in text.split("-" * 47 + " "):
        if "message received" in b:
            yield b


def header(msg, name):
    m = re.search(r"^%s:\s*(.*?)\r?$" % name, msg, re.M | re.I)
    return m.group(1) if m else None


def cseq_n(msg):
    return header(msg, "CSeq").split()[0]


def branch(msg):
    return re.search(r"branch=([^;\s]+)", header(msg, "Via")).group(1)


def main():
    invites, checked, with_creds = {}, 0, 0
    for msg in received(sys.argv[1]):
        if re.search(r"^INVITE ", msg, re.M):
            invites[cseq_n(msg)] = msg
        elif re.search(r"^ACK ", msg, re.M):
            inv = invites.get(cseq_n(msg))
            if not inv or branch(inv) == branch(msg):
                continue
            for h in CREDS:
                if header(msg, h) != header(inv, h):
                    sys.exit("ACK of CSeq %s: %s %r, its INVITE's %r" %
                             (cseq_n(msg), h, header(msg, h),
                              header(inv, h)))
            checked += 1
            with_creds += any(header(inv, h) for h in CREDS)
    need = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if with_creds < need:
        sys.exit("%d ACKs of a 2xx to an INVITE with credentials in %s, "
                 "expected at least %d" % (with_creds, sys.argv[1], need))
    print("%d ACKs of a 2xx, %d with their INVITE's credentials" %
          (checked, with_creds))


main()
