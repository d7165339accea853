#!/usr/bin/env python3
"""A carrier's SP-SSE over TCP (behind stunnel for TLS) for the TLS pong
test (089): a SIP Outbound registrar (RFC 5626) that pongs CRLFCRLF
keep-alives with CRLF, for a while.

    tcp_outbound_registrar.py IP PORT FLOW_TIMER PONGS LOG

REGISTER and OPTIONS get a 200 OK (REGISTER: the Contact echoed with
expires=3600, Require: outbound, Flow-Timer: FLOW_TIMER); other requests
404. On the first connection only the first PONGS pings are answered, then
none (the connection stays open: a peer gone silent); on every later
connection every ping is answered.

One line per event in LOG, flushed at once (the test's verdict):
  <epoch> CONNECT <n> <src>
  <epoch> PING <n> ponged=yes|no
  <epoch> REGISTER <n> expires=<Expires> contact=<Contact>
  <epoch> OPTIONS <n>
  <epoch> CLOSE <n>
"""
import select
import socket
import sys
import time

# The same header lookup and answers as the UDP registrar.
from udp_outbound_registrar import answer, header


def main():
    ip, port, flow_timer, pongs, log = sys.argv[1:6]
    flow_timer, pongs = int(flow_timer), int(pongs)
    out = open(log, "a", buffering=1)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ip, int(port)))
    ls.listen(8)
    conns = {}  # socket -> [n, buffer, pings]
    count = 0
    while True:
        r, _, _ = select.select([ls] + list(conns), [], [])
        for s in r:
            now = "%.6f" % time.time()
            if s is ls:
                c, src = ls.accept()
                count += 1
                conns[c] = [count, b"", 0]
                out.write("%s CONNECT %d %s:%d\n" % (now, count, *src))
                continue
            st = conns[s]
            data = s.recv(65535)
            if not data:
                out.write("%s CLOSE %d\n" % (now, st[0]))
                del conns[s]
                s.close()
                continue
            st[1] += data
            while st[1]:
                buf = st[1]
                if buf.startswith(b"\r\n\r\n"):
                    st[1] = buf[4:]
                    st[2] += 1
                    pong = st[0] > 1 or st[2] <= pongs
                    if pong:
                        s.sendall(b"\r\n")
                    out.write("%s PING %d ponged=%s\n" % (
                        now, st[0], "yes" if pong else "no"))
                    continue
                if buf.startswith(b"\r\n"):
                    st[1] = buf[2:]  # a pong to a ping of ours: none sent
                    continue
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                msg = buf[:end + 4].decode(errors="replace")
                clen = int(header(msg, "Content-Length", "l") or 0)
                if len(buf) < end + 4 + clen:
                    break
                st[1] = buf[end + 4 + clen:]
                if msg.startswith("SIP/2.0"):
                    continue
                vias = [line.split(":", 1)[1].strip()
                        for line in msg.split("\r\n")[1:]
                        if line.split(":", 1)[0].strip().lower()
                        in ("via", "v")]
                method, resp = answer(msg, vias, flow_timer, "tcpreg1")
                if method == "REGISTER":
                    out.write("%s REGISTER %d expires=%s contact=%s\n" % (
                        now, st[0], header(msg, "Expires"),
                        header(msg, "Contact", "m")))
                elif method != "ACK":
                    out.write("%s %s %d\n" % (now, method, st[0]))
                if method != "ACK":
                    s.sendall(resp)


if __name__ == "__main__":
    main()
