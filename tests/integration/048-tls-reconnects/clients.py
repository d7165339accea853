#!/usr/bin/env python3
"""N short TLS connections to HOST:PORT, each verified against CAFILE,
sending one OPTIONS and reading trunkd's answer, then closing. Prints how
many got their answer. Usage: clients.py HOST PORT CAFILE N"""
import socket
import ssl
import sys

host, port, cafile, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
ok = 0
for i in range(n):
    with socket.create_connection((host, port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall((
                "OPTIONS sip:%s:%d;transport=tls SIP/2.0\r\n"
                "Via: SIP/2.0/TLS 127.0.0.2:5099;branch=z9hG4bK-r%d\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.2>;tag=r%d\r\n"
                "To: <sip:%s>\r\nCall-ID: r%d@127.0.0.2\r\n"
                "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                % (host, port, i, i, host, i)).encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"SIP/2.0 200 "):
                ok += 1
print(ok)
