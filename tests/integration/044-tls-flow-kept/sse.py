#!/usr/bin/env python3
"""The SP-SSE's SIP side behind its TLS front end (stunnel): accepts
plain TCP connections on ADDR:PORT, answers every OPTIONS with 200 (Via,
From, To with a tag, Call-ID, CSeq copied), writes one line per OPTIONS
("OPTIONS <n> over <Via>") to stdout. SIPp cannot do this: it ends its
run when a TCP peer resets a connection, which is this test's point.
Usage: sse.py ADDR PORT"""
import selectors
import socket
import sys

sel = selectors.DefaultSelector()
count = 0


def answer(conn, buf):
    global count
    while b"\r\n\r\n" in buf:
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("OPTIONS "):
            continue
        hdrs = [l for l in lines[1:]
                if l.split(":", 1)[0].strip().lower()
                in ("via", "from", "to", "call-id", "cseq")]
        hdrs = [l + ";tag=sse" if l.lower().startswith("to:") else l
                for l in hdrs]
        conn.sendall(("SIP/2.0 200 OK\r\n" + "\r\n".join(hdrs) +
                      "\r\nContent-Length: 0\r\n\r\n").encode("latin-1"))
        count += 1
        via = [l for l in hdrs if l.lower().startswith("via:")]
        print("OPTIONS %d over %s" % (count, via[0] if via else "?"),
              flush=True)
    return buf


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((sys.argv[1], int(sys.argv[2])))
    srv.listen(16)
    sel.register(srv, selectors.EVENT_READ)
    bufs = {}
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is srv:
                c, _ = srv.accept()
                bufs[c] = b""
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                del bufs[s]
                continue
            bufs[s] = answer(s, bufs[s] + data)


main()
