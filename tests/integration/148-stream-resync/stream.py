"""Malformed and abusive input over trunkd's UDP, TCP and TLS sockets.

Usage: stream.py SELF_IP HOST UDP_PORT TCP_PORT TLS_PORT CA_FILE CASE...

Each CASE is a function below (case_NAME); each sends raw bytes from
SELF_IP (the PBX, in trunkd's ACL) to trunkd's enterprise side and
asserts what comes back, every wait bounded (WAIT seconds). Prints one
line per case and exits 1 when any failed.

"Closed" means trunkd ended the connection: recv() gave end of stream or
ECONNRESET (an RST, when trunkd closed with bytes unread). After every
case an OPTIONS over a new connection must get 200: trunkd still serves.
"""
import os
import re
import select
import socket
import ssl
import sys
import time

WAIT = 5.0
SELF, HOST = sys.argv[1], sys.argv[2]
PORTS = {"udp": int(sys.argv[3]), "tcp": int(sys.argv[4]),
         "tls": int(sys.argv[5])}
CA = sys.argv[6]
N = [0]


def ident():
    N[0] += 1
    return "s%d-%d" % (N[0], os.getpid())


def request(method, tp, cid, ruri=None, extra="", body=""):
    """A well-formed request from SELF over tp; ruri overrides the
    Request-URI, the whole request line when it has two spaces."""
    port = PORTS[tp]
    line = ruri if ruri and ruri.count(" ") >= 2 else "%s %s SIP/2.0" % (
        method, ruri or "sip:%s:%d" % (HOST, port))
    return ("%s\r\nVia: SIP/2.0/%s %s:5070;rport;branch=z9hG4bK-%s\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:pbx@%s>;tag=f-%s\r\n"
            "To: <sip:%s:%d>\r\nCall-ID: %s\r\nCSeq: 1 %s\r\n%s"
            "Content-Length: %d\r\n\r\n%s" % (
                line, tp.upper(), SELF, cid, SELF, cid, HOST, port, cid,
                method.split()[0] if method else "OPTIONS", extra,
                len(body.encode()), body)).encode()


class Conn:
    """A UDP socket, TCP connection or TLS connection from SELF to trunkd;
    messages() frames what arrives by Content-Length."""

    def __init__(self, tp):
        self.tp, self.buf, self.closed = tp, b"", False
        kind = socket.SOCK_DGRAM if tp == "udp" else socket.SOCK_STREAM
        s = socket.socket(socket.AF_INET, kind)
        s.bind((SELF, 0))
        s.settimeout(WAIT)
        s.connect((HOST, PORTS[tp]))
        if tp == "tls":
            ctx = ssl.create_default_context(cafile=CA)
            s = ctx.wrap_socket(s, server_hostname="gw.enterprise.test")
        s.settimeout(None)
        self.s = s

    def send(self, data):
        self.s.sendall(data)

    def _frames(self):
        out = []
        while True:
            while self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return out
            m = re.search(rb"\r\ncontent-length[ \t]*:[ \t]*(\d+)",
                          self.buf[:end], re.I)
            n = end + 4 + (int(m.group(1)) if m else 0)
            if len(self.buf) < n:
                return out
            out.append(self.buf[:n].decode("utf-8", "replace"))
            self.buf = self.buf[n:]

    def _readable(self, left):
        if self.tp == "tls" and self.s.pending():
            return True
        return bool(select.select([self.s], [], [], left)[0])

    def read(self, until, timeout=WAIT):
        """Messages until until(msgs) holds, the connection closes or the
        time is up: (msgs, done)."""
        msgs, deadline = [], time.monotonic() + timeout
        while not until(msgs) and not self.closed:
            left = deadline - time.monotonic()
            if left <= 0 or not self._readable(left):
                return msgs, False
            try:
                data = self.s.recv(70000)
            except (ConnectionResetError, ssl.SSLError, OSError):
                data = b""
            if not data:
                self.closed = True
                break
            if self.tp == "udp":
                msgs.append(data.decode("utf-8", "replace"))
            else:
                self.buf += data
                msgs += self._frames()
        return msgs, until(msgs)

    def final(self, cid, timeout=WAIT):
        """The final response to Call-ID cid (its status and text), or
        (None, None)."""
        def done(msgs):
            return any(mine(m, cid) and status(m) >= 200 for m in msgs)
        msgs, ok = self.read(done, timeout)
        for m in msgs:
            if mine(m, cid) and status(m) >= 200:
                return status(m), m
        return None, None

    def wait_closed(self, timeout=WAIT):
        """True when trunkd ends the connection within timeout; also the
        messages that came before."""
        msgs, _ = self.read(lambda m: False, timeout)
        return self.closed, msgs

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def status(msg):
    m = re.match(r"SIP/2\.0 (\d{3}) ", msg)
    return int(m.group(1)) if m else 0


def mine(msg, cid):
    m = re.search(r"^(?:call-id|i)[ \t]*:[ \t]*(\S+)", msg, re.M | re.I)
    return bool(m) and m.group(1) == cid


def options_ok(tp, conn=None):
    """An OPTIONS over conn (a new connection if None) gets 200."""
    c = conn or Conn(tp)
    try:
        cid = ident()
        c.send(request("OPTIONS", tp, cid))
        got, _ = c.final(cid)
        return got == 200
    finally:
        if conn is None:
            c.close()


def expect_closed(tp, data, answer=None, timeout=WAIT):
    """Over a fresh connection: an OPTIONS answered 200, then data, then
    (in the same write) another OPTIONS. trunkd must answer `answer` (a
    status, or None: nothing) to data's Call-ID, never the trailing
    OPTIONS (its framing is lost), and close the connection within
    timeout; a new connection's OPTIONS then gets 200."""
    fails = []
    c = Conn(tp)
    try:
        if not options_ok(tp, c):
            return ["no 200 to the OPTIONS before"]
        cid, after = ident(), ident()
        c.send(data(cid) + request("OPTIONS", tp, after))
        closed, msgs = c.wait_closed(timeout)
        got = [status(m) for m in msgs if mine(m, cid)]
        if answer is None and got:
            fails.append("answered %s" % got)
        if answer is not None and got != [answer]:
            fails.append("answered %s, expected [%d]" % (got, answer))
        if any(mine(m, after) for m in msgs):
            fails.append("the OPTIONS after it was answered")
        if not closed:
            fails.append("connection still open after %.1f s" % timeout)
    finally:
        c.close()
    if not options_ok(tp):
        fails.append("no 200 to an OPTIONS on a new connection")
    return fails


# ---------------------------------------------------------------------------
# Cases

def lwsruri(cid, tp):
    """RFC 4475 3.1.2.8: four request-line elements, a readable head."""
    return request("INVITE", tp, cid,
                   ruri="INVITE sip:+15550100001@%s; lr SIP/2.0" % HOST)


def binary(cid, tp):
    """No SIP at all: NUL and control octets, then an empty line."""
    return b"\x00\x01\x02\x7f" + cid.encode() + b" \x00\r\n\r\n"


def bad_from(cid, tp):
    """RFC 4475 3.1.2.1b: readable request line, From nta cannot parse
    (nta answers 400 itself and stops reading the stream)."""
    return request("OPTIONS", tp, cid).replace(
        b"From: <sip:pbx@%s>;tag=f-%s" % (SELF.encode(), cid.encode()),
        b"From: ;;<sip:pbx@%s>;;tag=f-%s;;" % (SELF.encode(),
                                              cid.encode()))


def stream_case(make, answer):
    def run(tp):
        return expect_closed(tp, lambda cid: make(cid, tp), answer)
    return run


def half(tp, limit):
    """Half an OPTIONS (its head cut in the middle of a header), then
    nothing: trunkd closes the connection after about limit seconds
    (64*T1) without a byte, not before limit/2; meanwhile an OPTIONS on
    another connection is answered at once (trunkd does not hang)."""
    fails = []
    c = Conn(tp)
    try:
        if not options_ok(tp, c):
            return ["no 200 to the OPTIONS before"]
        t0 = time.monotonic()
        c.send(request("OPTIONS", tp, ident())[:60])
        if not options_ok(tp):
            fails.append("no 200 on another connection meanwhile")
        closed, msgs = c.wait_closed(limit + WAIT)
        took = time.monotonic() - t0
        if msgs:
            fails.append("answered %s" % [m.split("\r\n")[0] for m in msgs])
        if not closed:
            fails.append("still open after %.1f s" % took)
        elif took < limit / 2:
            fails.append("closed after %.1f s, before %.1f s" % (took,
                                                               limit / 2))
    finally:
        c.close()
    return fails


def keepalive_kept(tp, limit):
    """CRLF keep-alive pings are not half messages: the connection, pinged
    and otherwise idle for longer than the half-message limit, still
    answers an OPTIONS."""
    c = Conn(tp)
    try:
        c.send(b"\r\n\r\n")
        closed, _ = c.wait_closed(limit + 1.5)
        if closed:
            return ["closed after a ping"]
        return [] if options_ok(tp, c) else ["no 200 after the ping"]
    finally:
        c.close()


LIMIT = 64 * 0.05  # 64*T1, sip_t1 = 50ms in trunkd.conf

CASES = {
    # Half a message, then silence.
    "tcp-half": lambda: half("tcp", LIMIT),
    "tls-half": lambda: half("tls", LIMIT),
    "tls-keepalive": lambda: keepalive_kept("tls", LIMIT),
    "tcp-keepalive": lambda: keepalive_kept("tcp", LIMIT),
    # A request line Sofia cannot read, then a good OPTIONS in the same
    # write: closed (the OPTIONS is lost with the framing).
    "tcp-lwsruri": lambda: stream_case(lwsruri, None)("tcp"),
    "tls-lwsruri": lambda: stream_case(lwsruri, None)("tls"),
    "tcp-binary": lambda: stream_case(binary, None)("tcp"),
    "tls-binary": lambda: stream_case(binary, None)("tls"),
    # nta's own 400 for a bad header, then the connection is closed.
    "tcp-bad-from": lambda: stream_case(bad_from, 400)("tcp"),
    "tls-bad-from": lambda: stream_case(bad_from, 400)("tls"),
}


def main():
    failed = 0
    for name in sys.argv[7:]:
        t0 = time.monotonic()
        try:
            fails = CASES[name]()
        except OSError as e:
            fails = ["%s: %s" % (type(e).__name__, e)]
        if not options_ok("udp"):
            fails.append("no 200 to an OPTIONS over UDP afterwards")
        print("%-20s %s (%.1f s)%s" % (
            name, "FAIL" if fails else "ok", time.monotonic() - t0,
            "".join("\n    " + f for f in fails)))
        failed += bool(fails)
    sys.exit(1 if failed else 0)


main()
