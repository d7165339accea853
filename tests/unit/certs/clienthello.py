#!/usr/bin/env python3
"""TLS-1 (no version intolerance): send a hand-made ClientHello to
127.0.0.1:PORT and check the ServerHello.

    clienthello.py PORT legacy     ClientHello.legacy_version = 0x0305
                                   (a "TLS 1.4"), no supported_versions
    clienthello.py PORT grease     legacy_version 0x0303 and
                                   supported_versions = GREASE, 0x0305,
                                   0x0303 (unknown versions offered)

Both must get a TLS 1.2 ServerHello (version 0x0303) choosing
ECDHE-RSA-AES128-GCM-SHA256 (0xc02f), the only suite offered. Exit 0 on
that, 1 otherwise (with the reason on stderr)."""
import os
import socket
import struct
import sys


def ext(kind, body):
    return struct.pack("!HH", kind, len(body)) + body


def hello(mode):
    exts = b""
    exts += ext(0x000a, struct.pack("!HHH", 4, 0x001d, 0x0017))  # groups
    exts += ext(0x000b, b"\x01\x00")  # ec_point_formats: uncompressed
    exts += ext(0x000d, struct.pack("!HHHH", 6, 0x0804, 0x0401, 0x0403))
    exts += ext(0xff01, b"\x00")  # renegotiation_info (empty)
    version = 0x0305
    if mode == "grease":
        version = 0x0303
        exts += ext(0x002b, struct.pack("!BHHH", 6, 0x0a0a, 0x0305, 0x0303))
    body = struct.pack("!H", version) + os.urandom(32)
    body += b"\x00"  # no session id
    body += struct.pack("!HH", 2, 0xc02f)  # ECDHE-RSA-AES128-GCM-SHA256
    body += b"\x01\x00"  # null compression only
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d bytes" % len(buf))
        buf += chunk
    return buf


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(hello(mode))
    head = read_exact(s, 5)
    if head[0] != 0x16:
        sys.stderr.write("not a handshake record: %r\n" % head)
        return 1
    rec = read_exact(s, struct.unpack("!H", head[3:5])[0])
    if rec[0] != 0x02:
        sys.stderr.write("not a ServerHello: type %d\n" % rec[0])
        return 1
    version = struct.unpack("!H", rec[4:6])[0]
    sid_len = rec[38]
    suite = struct.unpack("!H", rec[39 + sid_len:41 + sid_len])[0]
    print("ServerHello version 0x%04x suite 0x%04x" % (version, suite))
    s.close()
    return 0 if version == 0x0303 and suite == 0xc02f else 1


if __name__ == "__main__":
    sys.exit(main())
