#!/usr/bin/env python3
"""A tiny client for test 052 (OB-6).

  stun_client.py stun HOST PORT      RFC 5389 Binding request: the answer
                                     must be a Binding success with our
                                     own address in XOR-MAPPED-ADDRESS
  stun_client.py stun3489 HOST PORT  RFC 3489 request (no magic cookie):
                                     MAPPED-ADDRESS expected
  stun_client.py junk HOST PORT      a truncated and a non-Binding STUN
                                     message: no answer expected
  stun_client.py crlf HOST PORT      TCP: CRLFCRLF ping, a CRLF pong
                                     expected within 2 s

Exit 0 when the peer behaved, 1 (with the reason on stderr) otherwise.
"""
import os
import socket
import struct
import sys

COOKIE = 0x2112A442


def fail(why):
    sys.exit("stun_client: " + why)


def stun(host, port, rfc5389):
    txid = os.urandom(12)
    cookie = struct.pack("!I", COOKIE) if rfc5389 else os.urandom(4)
    req = struct.pack("!HH", 0x0001, 0) + cookie + txid
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2)
    s.sendto(req, (host, port))
    try:
        resp, _ = s.recvfrom(2048)
    except socket.timeout:
        fail("no answer to a Binding request on %s:%d" % (host, port))
    me = s.getsockname()
    mtype, mlen = struct.unpack("!HH", resp[:4])
    if mtype != 0x0101:
        fail("answer type 0x%04x, not Binding success" % mtype)
    if resp[4:8] != cookie or resp[8:20] != txid:
        fail("answer for another transaction")
    if mlen != len(resp) - 20:
        fail("bad length %d" % mlen)
    attrs, found = resp[20:], None
    while len(attrs) >= 4:
        atype, alen = struct.unpack("!HH", attrs[:4])
        value = attrs[4:4 + alen]
        if atype in (0x0020, 0x0001) and value[1] == 1:
            port_, addr = struct.unpack("!H", value[2:4])[0], value[4:8]
            if atype == 0x0020:
                port_ ^= COOKIE >> 16
                addr = bytes(a ^ b for a, b in zip(addr, struct.pack("!I", COOKIE)))
            found = (atype, socket.inet_ntoa(addr), port_)
        attrs = attrs[4 + ((alen + 3) & ~3):]
    want = 0x0020 if rfc5389 else 0x0001
    if not found or found[0] != want:
        fail("no %s in %r" % ("XOR-MAPPED-ADDRESS" if rfc5389 else "MAPPED-ADDRESS", resp))
    if found[1:] != me:
        fail("mapped address %s:%d is not ours %s:%d" % (found[1], found[2], me[0], me[1]))
    print("%s:%d answered, mapped %s:%d" % (host, port, found[1], found[2]))


def junk(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    txid = os.urandom(12)
    s.sendto(b"\x00\x01\x00", (host, port))  # truncated
    s.sendto(struct.pack("!HHI", 0x0003, 0, COOKIE) + txid, (host, port))  # not Binding
    s.sendto(struct.pack("!HHI", 0x0001, 8, COOKIE) + txid, (host, port))  # bad length
    try:
        resp, _ = s.recvfrom(2048)
        fail("answered junk: %r" % resp)
    except socket.timeout:
        print("junk ignored")


def crlf(host, port):
    s = socket.create_connection((host, port), timeout=2)
    s.sendall(b"\r\n\r\n")
    got = b""
    try:
        while len(got) < 2:
            chunk = s.recv(16)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    if got != b"\r\n":
        fail("pong %r, not CRLF, on %s:%d" % (got, host, port))
    print("%s:%d ponged" % (host, port))


if __name__ == "__main__":
    what, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"stun": lambda: stun(host, port, True),
     "stun3489": lambda: stun(host, port, False),
     "junk": lambda: junk(host, port),
     "crlf": lambda: crlf(host, port)}[what]()
