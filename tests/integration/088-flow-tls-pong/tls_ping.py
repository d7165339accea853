#!/usr/bin/env python3
"""A peer that opened a TLS connection to trunkd (passive open on trunkd's
side) and pings it as a SIP Outbound client does (RFC 5626 4.4.1):

    tls_ping.py HOST PORT CAFILE SERVER_NAME [CERT KEY]

1. CRLFCRLF -> exactly CRLF back within 3 s, nothing more within 0.5 s;
2. the same again (a second ping on the same connection);
3. a lone CRLF (a pong, not a ping) -> nothing back within 1 s;
4. an OPTIONS over the same connection -> a 200 OK for it (the pings left
   the SIP parser intact).
Exit 0 when all hold; otherwise 1 with the reason on stderr.
"""
import socket
import ssl
import sys
import time


def recv_for(s, secs, want=None, until=None):
    """Bytes received within secs (stop early once `want` bytes or the
    bytes `until` came)."""
    s.settimeout(0.05)
    end = time.monotonic() + secs
    got = b""
    while time.monotonic() < end:
        try:
            d = s.recv(4096)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        if not d:
            break
        got += d
        if want is not None and len(got) >= want:
            break
        if until is not None and until in got:
            break
    return got


def fail(why):
    print("tls_ping: " + why, file=sys.stderr)
    sys.exit(1)


def main():
    host, port, cafile, name = sys.argv[1:5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile)
    if len(sys.argv) > 6:
        ctx.load_cert_chain(sys.argv[5], sys.argv[6])
    raw = socket.create_connection((host, int(port)), timeout=5)
    s = ctx.wrap_socket(raw, server_hostname=name)
    for i in (1, 2):
        t0 = time.monotonic()
        s.sendall(b"\r\n\r\n")
        got = recv_for(s, 3, want=2)
        rtt = time.monotonic() - t0
        more = recv_for(s, 0.5)
        print("ping %d: %r after %.3f s, then %r" % (i, got, rtt, more),
              file=sys.stderr)
        if got != b"\r\n" or more:
            fail("ping %d answered %r then %r, not exactly CRLF"
                 % (i, got, more))
    s.sendall(b"\r\n")
    got = recv_for(s, 1)
    if got:
        fail("a lone CRLF (a pong) was answered with %r" % got)
    local = s.getsockname()
    s.sendall((
        "OPTIONS sip:%s:%s;transport=tls SIP/2.0\r\n"
        "Via: SIP/2.0/TLS %s:%d;branch=z9hG4bK-ping1\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:ping@%s>;tag=ping1\r\n"
        "To: <sip:%s:%s>\r\n"
        "Call-ID: ping1@%s\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n" % (host, port, local[0], local[1],
                                       name, host, port, local[0])
    ).encode())
    got = recv_for(s, 5, until=b"\r\n\r\n")
    first = got.split(b"\r\n", 1)[0]
    print("OPTIONS answered: %r" % first, file=sys.stderr)
    if first != b"SIP/2.0 200 OK" or b"CSeq: 1 OPTIONS" not in got:
        fail("no 200 OK to the OPTIONS after the pings: %r" % got[:200])
    s.close()


if __name__ == "__main__":
    main()
