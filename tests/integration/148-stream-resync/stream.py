"""Malformed and abusive input over trunkd's UDP, TCP and TLS sockets
(tests 148, malformed messages, and 149, limits).

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
# trunkd's max_message_size (STREAM_MAX: a test's own; 2 MB by default)
MAX = int(os.environ.get("STREAM_MAX", "2097152"))
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
        self.tp, self.buf, self.closed, self.all = tp, b"", False, []
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
            # Readable TLS may hold no application data (a TLS 1.3
            # session ticket): the read must not block past the deadline.
            self.s.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data = self.s.recv(70000)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except (ConnectionResetError, ssl.SSLError, OSError):
                data = b""
            finally:
                self.s.settimeout(None)
            if not data:
                self.closed = True
                break
            if self.tp == "udp":
                new = [data.decode("utf-8", "replace")]
            else:
                self.buf += data
                new = self._frames()
            msgs += new
            self.all += new
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


def fresh_ok(tp):
    """[] when an OPTIONS over a new connection gets 200."""
    return [] if options_ok(tp) else [
        "no 200 to an OPTIONS on a new connection"]


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
    return fails + fresh_ok(tp)


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


def intmeth(cid, tp):
    """RFC 4475 3.1.1.2's method (`+` and a backquote: RFC 3261 token
    characters Sofia refuses) in the request line and in CSeq."""
    m = "!interesting-Method0123456789_*+`.%indeed'~"
    return request("OPTIONS", tp, cid).replace(
        b"OPTIONS sip:", m.encode() + b" sip:", 1).replace(
        b"CSeq: 1 OPTIONS", b"CSeq: 1 " + m.encode())


def badvers(cid, tp):
    """A method Sofia refuses and SIP/7.0: the version decides (505)."""
    return intmeth(cid, tp).replace(b" SIP/2.0\r\nVia", b" SIP/7.0\r\nVia",
                                    1)


def ack_lws(cid, tp):
    """lwsruri as an ACK: never answered."""
    return lwsruri(cid, tp).replace(b"INVITE ", b"ACK ").replace(
        b"CSeq: 1 INVITE", b"CSeq: 1 ACK")


def no_via(cid, tp):
    """lwsruri without a Via: nowhere to send an answer."""
    return re.sub(rb"Via: [^\r]*\r\n", b"", lwsruri(cid, tp))


def udp_case(make, answer, checks=()):
    """Over one UDP socket: make's datagram, then a good OPTIONS. trunkd
    answers `answer` (or nothing when None) before the OPTIONS' 200 (it
    reads the socket in order: no fixed wait decides "nothing"); each
    check is a regex the answer must match."""
    def run():
        fails = []
        c = Conn("udp")
        try:
            cid, after = ident(), ident()
            data = make(cid, "udp")
            c.send(data)
            c.send(request("OPTIONS", "udp", after))
            got, _ = c.final(after)
            if got != 200:
                fails.append("no 200 to the OPTIONS after it")
            mine_ = [m for m in c.all if mine(m, cid)]
            if answer is None and mine_:
                fails.append("answered: %s" % mine_[0].split("\r\n")[0])
            if answer is not None:
                if [status(m) for m in mine_] != [answer]:
                    fails.append("answered %s, expected [%d]" % (
                        [status(m) for m in mine_], answer))
                for rx in checks:
                    if mine_ and not re.search(rx(cid), mine_[0], re.M):
                        fails.append("answer lacks /%s/" % rx(cid))
        finally:
            c.close()
        return fails
    return run


# What every answer of trunkd's own must carry (RFC 3261 8.2.6): the
# request's Via with received and the rport value (RFC 3581), From, To
# with a tag added, Call-ID, CSeq, no body.
ANSWER = [
    lambda cid: r"^Via: SIP/2\.0/UDP %s:5070;rport=\d+;branch=z9hG4bK-%s;"
                r"received=%s\r$" % (re.escape(SELF), cid, re.escape(SELF)),
    lambda cid: r"^From: <sip:pbx@%s>;tag=f-%s\r$" % (re.escape(SELF), cid),
    lambda cid: r"^To: <sip:%s:%d>;tag=\w+\r$" % (re.escape(HOST),
                                                  PORTS["udp"]),
    lambda cid: r"^Call-ID: %s\r$" % cid,
    lambda cid: r"^Content-Length: 0\r$",
]


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


def pong(c, timeout=WAIT):
    """True when c gets trunkd's CRLF pong (RFC 5626 3.5.1) in time: the
    ping before it was read (and parsed) by trunkd."""
    deadline, got = time.monotonic() + timeout, b""
    while b"\r\n" not in got:
        left = deadline - time.monotonic()
        if left <= 0 or not c._readable(left):
            return False
        c.s.settimeout(max(left, 0.01))
        try:
            data = c.s.recv(64)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except OSError:
            return False
        finally:
            c.s.settimeout(None)
        if not data:
            return False
        got += data
    return True


def ping_round(conns):
    """A CRLFCRLF ping on each of conns, 16 at a time (trunkd queues 32
    pongs per loop turn), each answered: [] or what went wrong."""
    for i in range(0, len(conns), 16):
        batch = conns[i:i + 16]
        for c in batch:
            c.send(b"\r\n\r\n")
        if not all(pong(c) for c in batch):
            return ["a ping of connections %d-%d got no pong" % (
                i, i + len(batch) - 1)]
    return []


def keepalives_hold_no_slot(tp, limit, n=256):
    """n connections (as many as trunkd times half messages on) that only
    send CRLF keep-alive pings, every one read by trunkd (its pong back)
    just before: half an OPTIONS on one more connection is still closed
    after 64*T1 (keep-alives do not use up the slots that time half
    messages), and the pinging connections stay up."""
    fails, pingers = [], []
    try:
        for _ in range(n):
            pingers.append(Conn(tp))
        fails += ping_round(pingers)
        if fails:
            return fails
        fails += half(tp, limit)
        fails += ping_round(pingers)  # all still up
    finally:
        for p in pingers:
            p.close()
    return fails


def big(tp, size):
    """An OPTIONS with an unknown header of size bytes."""
    def make(cid, tp_):
        return request("OPTIONS", tp, cid, extra="X-Big: %s\r\n" %
                       ("a" * size))
    return make


def oversize(tp, size):
    """A 2.1 MB OPTIONS (a 2.1 MB header after CSeq), more than the 2 MB
    maximum (max_message_size): trunkd answers 413 (its head up to CSeq
    can be read) and closes the connection within WAIT (Sofia stops
    filling the buffer at the maximum: memory per connection stays
    bounded); an OPTIONS on another connection is answered meanwhile."""
    fails = []
    c = Conn(tp)
    try:
        cid = ident()
        data = big(tp, size)(cid, tp)
        try:
            c.send(data[:len(data) // 2])
            if not options_ok(tp):
                fails.append("no 200 on another connection meanwhile")
            c.send(data[len(data) // 2:])
        except OSError:
            pass  # trunkd may close before it has it all
        closed, msgs = c.wait_closed()
        got = [status(m) for m in msgs if mine(m, cid)]
        if got != [413]:
            fails.append("answered %s, expected [413]" % got)
        if not closed:
            fails.append("still open after %.0f s" % WAIT)
    finally:
        c.close()
    return fails + fresh_ok(tp)


def too_large(tp, how):
    """A request larger than the maximum (MAX, trunkd's max_message_size)
    by 1,000 bytes, over a fresh connection, all sent at once: "body", an
    OPTIONS whose Content-Length says so (its head and 64 KB of the body
    sent); "head", one whose X-Big header after CSeq makes its head that
    large. trunkd answers 413 to its Call-ID and closes the connection
    within WAIT. "blind": the X-Big header comes first, before Via, From,
    To, Call-ID and CSeq: nothing to answer with; closed unanswered."""
    fails = []
    c = Conn(tp)
    try:
        cid = ident()
        if how == "body":
            data = request("OPTIONS", tp, cid).replace(
                b"Content-Length: 0\r\n",
                b"Content-Length: %d\r\n" % (MAX + 1000)) + b"v" * 65536
        else:
            data = big(tp, MAX + 1000)(cid, tp)
        if how == "blind":
            line, rest = data.split(b"\r\n", 1)
            head, body = rest.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            data = b"\r\n".join([line, lines[-2]] + lines[:-2] +
                                 [lines[-1]]) + b"\r\n\r\n" + body
        try:
            c.send(data)
        except OSError:
            pass  # trunkd may close before it has it all
        closed, msgs = c.wait_closed()
        got = [status(m) for m in msgs if mine(m, cid)]
        want = [] if how == "blind" else [413]
        if got != want:
            fails.append("answered %s, expected %s" % (got, want))
        if [m for m in msgs if not mine(m, cid)]:
            fails.append("answered another message")
        if not closed:
            fails.append("still open after %.0f s" % WAIT)
    finally:
        c.close()
    return fails + fresh_ok(tp)


def under_limit(tp):
    """An OPTIONS 1,000 bytes under the maximum is answered 200."""
    c = Conn(tp)
    try:
        cid = ident()
        data = big(tp, 0)(cid, tp)
        c.send(big(tp, MAX - 1000 - len(data))(cid, tp))
        got, _ = c.final(cid)
        return [] if got == 200 else ["got %s, not 200" % got]
    finally:
        c.close()


def udp_largest():
    """The largest datagram (an OPTIONS of 65,507 bytes) is under nta's
    maximum: answered 200."""
    c = Conn("udp")
    try:
        cid = ident()
        data = big("udp", 0)(cid, "udp")
        c.send(big("udp", 65507 - len(data))(cid, "udp"))
        got, _ = c.final(cid)
        return [] if got == 200 else ["got %s, not 200" % got]
    finally:
        c.close()


def split(tp):
    """An OPTIONS in two writes 1 s apart is one message: answered 200
    (a message still arriving is not cut off)."""
    c = Conn(tp)
    try:
        cid = ident()
        data = request("OPTIONS", tp, cid)
        c.send(data[:40])
        time.sleep(1)
        c.send(data[40:])
        got, _ = c.final(cid)
        return [] if got == 200 else ["got %s" % got]
    finally:
        c.close()


def trickle(tp, limit):
    """Half an OPTIONS, then one byte every limit/3 (never idle for
    64*T1): trunkd closes the connection once the message is 128*T1 old
    (between 2*limit and 2*limit + WAIT), never answering it."""
    fails = []
    c = Conn(tp)
    try:
        data = request("OPTIONS", tp, ident())
        t0 = time.monotonic()
        c.send(data[:40])
        i = 40
        while not c.closed and time.monotonic() - t0 < 2 * limit + WAIT:
            closed, msgs = c.wait_closed(limit / 3)
            if msgs:
                fails.append("answered")
            if closed:
                break
            try:
                c.send(data[i:i + 1])
            except OSError:
                c.closed = True
            i += 1
        took = time.monotonic() - t0
        if not c.closed:
            fails.append("still open after %.1f s" % took)
        elif took < 2 * limit - 0.5:
            fails.append("closed after %.1f s, before %.1f s" % (
                took, 2 * limit))
    finally:
        c.close()
    return fails


LIMIT = 64 * 0.05  # 64*T1, sip_t1 = 50ms in trunkd.conf

CASES = {
    # Limits: messages larger than nta's maximum, half messages that
    # stall or trickle, keep-alives that are not half messages.
    "udp-largest": udp_largest,
    "tls-split": lambda: split("tls"),
    "tcp-split": lambda: split("tcp"),
    "tcp-oversize": lambda: oversize("tcp", 2100000),
    "tls-oversize": lambda: oversize("tls", 2100000),
    "tcp-body-too-large": lambda: too_large("tcp", "body"),
    "tls-body-too-large": lambda: too_large("tls", "body"),
    "tcp-head-too-large": lambda: too_large("tcp", "head"),
    "tls-head-too-large": lambda: too_large("tls", "head"),
    "tcp-head-too-large-blind": lambda: too_large("tcp", "blind"),
    "tls-head-too-large-blind": lambda: too_large("tls", "blind"),
    "tcp-under-limit": lambda: under_limit("tcp"),
    "tls-under-limit": lambda: under_limit("tls"),
    "tcp-trickle": lambda: trickle("tcp", LIMIT),
    "tls-trickle": lambda: trickle("tls", LIMIT),
    # A request line Sofia cannot read, over UDP: answered all the same.
    "udp-lwsruri": udp_case(lwsruri, 400, ANSWER + [
        lambda cid: r"^SIP/2\.0 400 Bad Request Line\r$",
        lambda cid: r"^CSeq: 1 INVITE\r$"]),
    "udp-intmeth": udp_case(intmeth, 501, ANSWER + [
        lambda cid: r"^CSeq: 1 !interesting-Method0123456789_\*\+`\.%indeed'~\r$"]),
    "udp-badvers": udp_case(badvers, 505, ANSWER),
    "udp-ack": udp_case(ack_lws, None),
    "udp-no-via": udp_case(no_via, None),
    # Half a message, then silence.
    "tcp-half": lambda: half("tcp", LIMIT),
    "tls-half": lambda: half("tls", LIMIT),
    "tls-keepalive": lambda: keepalive_kept("tls", LIMIT),
    "tcp-keepalive": lambda: keepalive_kept("tcp", LIMIT),
    "tls-keepalive-many": lambda: keepalives_hold_no_slot("tls", LIMIT),
    # A request line Sofia cannot read, then a good OPTIONS in the same
    # write: closed (the OPTIONS is lost with the framing).
    "tcp-lwsruri": lambda: stream_case(lwsruri, 400)("tcp"),
    "tls-lwsruri": lambda: stream_case(lwsruri, 400)("tls"),
    "tcp-intmeth": lambda: stream_case(intmeth, 501)("tcp"),
    "tcp-binary": lambda: stream_case(binary, None)("tcp"),
    "tls-binary": lambda: stream_case(binary, None)("tls"),
    # nta's own 400 for a bad header, then the connection is closed.
    "tcp-bad-from": lambda: stream_case(bad_from, 400)("tcp"),
    "tls-bad-from": lambda: stream_case(bad_from, 400)("tls"),
}


def main():
    failed = 0
    for name in sys.argv[7:] or list(CASES):
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
