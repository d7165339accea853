#!/usr/bin/env python3
"""A TLS 1.2 ClientHello whose record and hello versions claim a version
above TLS 1.3 (0x0305: unknown) and no supported_versions extension, sent
to HOST:PORT. RFC 5246 E.1 / RFC 8446 4.1.2: the server must answer with
the highest version it supports (TLS 1.2 here). Prints the version of the
ServerHello ("0x0303"), or what came instead. Usage: hello.py HOST PORT"""
import os
import socket
import struct
import sys


def ext(kind, body):
    return struct.pack("!HH", kind, len(body)) + body


def hello():
    suites = struct.pack("!HH", 2, 0xC02F)  # ECDHE-RSA-AES128-GCM-SHA256
    exts = (ext(10, struct.pack("!HHH", 4, 0x001D, 0x0017))  # groups
            + ext(11, b"\x01\x00")  # point formats: uncompressed
            + ext(13, struct.pack("!HHHH", 6, 0x0804, 0x0401, 0x0403)))
    body = (b"\x03\x05" + os.urandom(32) + b"\x00" + suites + b"\x01\x00"
            + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x05" + struct.pack("!H", len(hs)) + hs


s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(hello())
data = b""
while len(data) < 11:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
if len(data) >= 11 and data[0] == 0x16 and data[5] == 0x02:
    print("0x%02x%02x" % (data[9], data[10]))
else:
    print("no ServerHello: %s" % data[:16].hex())
