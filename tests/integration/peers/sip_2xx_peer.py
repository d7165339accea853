#!/usr/bin/env python3
"""Both ends of one call through trunkd, to watch trunkd's 2xx to an INVITE
(RFC 3261 13.3.1.4: the UAS core sends its 2xx again, T1, 2*T1, ... at most
T2, until the ACK; after 64*T1 without one it ends the session by BYE).

One process, two SIP user agents on loopback:
  caller  sends the INVITE to trunkd (--target) from --caller IP:PORT;
  callee  answers what trunkd relays to --callee IP:PORT, like a plain UA
          (200 with SDP, sent again every 500 ms until ACKed; 200 to BYE).

The ACK of a 2xx from trunkd is what is under test:
  --drop N          the first N copies of trunkd's 200 to the caller's
                    INVITE (and to each re-INVITE) are ignored, the next
                    one is ACKed. Asserted: they arrive T1, 2*T1, ... apart
                    (--t1), byte for byte the same (To-tag included), and
                    none after the ACK; the call then goes on.
  --reinvite SIDE   once the call is up, SIDE (caller|callee) re-INVITEs
                    with a new offer; trunkd's 200 to it is handled as
                    above (--drop) or never ACKed (--never-ack reinvite).
  --never-ack WHAT  (invite|reinvite) that 200 is never ACKed: trunkd must
                    send it T1, 2*T1, ... until 64*T1 (UDP; over TCP just
                    once), then BYE that leg, and BYE the other leg too.
  --late            the caller's INVITE has no SDP: trunkd's 200 carries the
                    offer, the caller's ACK the answer.
  --transport tcp   the caller's leg over TCP (connection to --target; our
                    --caller port listens for trunkd's own connections).

Without --never-ack the caller hangs up at the end (BYE, 200). Exit 0 when
every assertion held; otherwise 1 with the reason on stderr. Every wait is
bounded. Messages are written to --log (one block per message with its
monotonic time) for a failing test's post-mortem.
"""
import argparse
import random
import re
import select
import socket
import sys
import time

T2 = 4.0  # nta's default (trunkd does not change it)


def fail(why):
    sys.stderr.write("FAIL: %s\n" % why)
    sys.exit(1)


class Msg:
    def __init__(self, raw):
        self.raw = raw
        text = raw.decode("latin-1")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + line.strip())
                continue
            n, _, v = line.partition(":")
            self.headers.append((n.strip().lower(), v.strip()))
        self.is_response = self.first.startswith("SIP/2.0 ")
        self.status = int(self.first.split()[1]) if self.is_response else 0
        self.method = None if self.is_response else self.first.split()[0]
        cseq = self.get("cseq", "0 X").split()
        self.cseq, self.cseq_method = int(cseq[0]), cseq[1]

    COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id",
               "m": "contact", "l": "content-length", "c": "content-type"}

    def all(self, name):
        return [v for n, v in self.headers
                if self.COMPACT.get(n, n) == name]

    def get(self, name, default=None):
        v = self.all(name)
        return v[0] if v else default


def tag_of(hdr):
    m = re.search(r";\s*tag=([^;>\s]+)", hdr or "")
    return m.group(1) if m else None


def hostport(uri):
    m = re.search(r"sips?:(?:[^@>;]*@)?([^;>:]+)(?::(\d+))?", uri)
    return m.group(1), int(m.group(2) or 5060)


def sdp(who, ip, version):
    return ("v=0\r\no=%s 1 %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            % (who, version, ip, ip, 40000 + version * 2))


class Conn:
    """One leg's transport: a UDP socket, or TCP (one connection, plus a
    listener for trunkd's own connections)."""

    def __init__(self, peer, name, addr, transport):
        self.peer, self.name, self.addr, self.tp = peer, name, addr, transport
        if transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(addr)
            self.socks = [self.sock]
        else:
            self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.listener.setsockopt(socket.SOL_SOCKET,
                                     socket.SO_REUSEADDR, 1)
            self.listener.bind(addr)
            self.listener.listen(4)
            self.sock = None
            self.socks = [self.listener]
            self.bufs = {}

    def send(self, data, dest):
        self.peer.log("sent by %s to %s:%d" % ((self.name,) + dest), data)
        if self.tp == "udp":
            self.sock.sendto(data, dest)
            return
        if self.sock is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind((self.addr[0], 0))
            self.sock.settimeout(5)
            self.sock.connect(dest)
            self.socks.append(self.sock)
            self.bufs[self.sock] = b""
        self.sock.sendall(data)

    def readable(self, s):
        """Messages that arrived on socket s: [(raw, source)]."""
        if self.tp == "udp":
            data, src = s.recvfrom(65535)
            return [(data, src)]
        if s is self.listener:
            c, _ = s.accept()
            self.socks.append(c)
            self.bufs[c] = b""
            if self.sock is None:
                self.sock = c
            return []
        data = s.recv(65535)
        if not data:
            self.socks.remove(s)
            if s is self.sock:
                self.sock = None
            return []
        self.bufs[s] += data
        out = []
        while True:
            buf = self.bufs[s].lstrip(b"\r\n")
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)",
                          buf[:end])
            total = end + 4 + (int(m.group(1)) if m else 0)
            if len(buf) < total:
                break
            out.append((buf[:total], s.getpeername()))
            buf = buf[total:]
            self.bufs[s] = buf
        self.bufs[s] = buf
        return out


class Dialog:
    def __init__(self, conn, call_id, local, remote, ruri, contact):
        self.conn, self.call_id = conn, call_id
        self.local, self.remote = local, remote  # From / To header values
        self.contact = contact
        self.set_target(ruri)
        self.cseq = 1

    def set_target(self, uri):
        """The remote target: the Request-URI, and where requests go."""
        self.ruri = uri.strip().lstrip("<").split(">")[0]
        self.target = hostport(self.ruri)

    def request(self, method, body="", cseq=None, branch=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = branch or "z9hG4bK-%x" % random.getrandbits(48)
        lines = [
            "%s %s SIP/2.0" % (method, self.ruri),
            "Via: SIP/2.0/%s %s:%d;branch=%s;rport"
            % ((self.conn.tp.upper(),) + self.conn.addr + (branch,)),
            "Max-Forwards: 70",
            "From: " + self.local,
            "To: " + self.remote,
            "Call-ID: " + self.call_id,
            "CSeq: %d %s" % (cseq, method),
            "Contact: " + self.contact,
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body.encode()))
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def response(req, status, phrase, to_tag=None, extra=(), body=""):
    lines = ["SIP/2.0 %d %s" % (status, phrase)]
    for n, v in req.headers:
        n = Msg.COMPACT.get(n, n)
        if n == "via":
            lines.append("Via: " + v)
        elif n == "from":
            lines.append("From: " + v)
        elif n == "to":
            lines.append("To: " + v + (";tag=" + to_tag
                                       if to_tag and not tag_of(v) else ""))
        elif n == "call-id":
            lines.append("Call-ID: " + v)
        elif n == "cseq":
            lines.append("CSeq: " + v)
    lines += list(extra)
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append("Content-Length: %d" % len(body.encode()))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


class Peer:
    def __init__(self, args):
        self.args = args
        self.t1 = args.t1 / 1000.0
        self.logf = open(args.log, "w") if args.log else None
        self.caller = Conn(self, "caller", args.caller, args.transport)
        self.callee = Conn(self, "callee", args.callee, "udp")
        self.got = []  # (time, conn name, Msg, source)
        self.callee_dialog = None
        # Our 200 to an INVITE from trunkd, per leg, until its ACK:
        # (raw, dest, next resend time).
        self.uas_2xx = {}
        self.uas_last = {}  # per leg: (CSeq, our 200) of the last INVITE
        self.version = {"caller": 1, "callee": 0}  # our SDP's o= version
        self.byes = {}  # conn name -> time of trunkd's BYE

    def log(self, what, data):
        if self.logf:
            self.logf.write("----- %.6f %s\n%s\n" % (
                time.monotonic(), what, data.decode("latin-1")))
            self.logf.flush()

    def pump(self, until, pred=None):
        """Handle messages until pred() is true (True) or time until
        (False)."""
        while True:
            if pred and pred():
                return True
            now = time.monotonic()
            if now >= until:
                return False
            wait = until - now
            for c in (self.caller, self.callee):
                p = self.uas_2xx.get(c.name)
                if p and now >= p[2]:
                    c.send(p[0], p[1])
                    p = self.uas_2xx[c.name] = (p[0], p[1], now + 0.5)
                if p:
                    wait = min(wait, max(0, p[2] - now))
            socks = {s: c for c in (self.caller, self.callee)
                     for s in c.socks}
            r, _, _ = select.select(list(socks), [], [], wait)
            for s in r:
                conn = socks[s]
                for raw, src in conn.readable(s):
                    t = time.monotonic()
                    self.log("received by %s from %s:%d" % (
                        (conn.name,) + src), raw)
                    m = Msg(raw)
                    self.got.append((t, conn.name, m, src))
                    self.auto(conn, m, src, t)

    def auto(self, conn, m, src, t):
        """What a plain UA does by itself."""
        if m.is_response:
            return
        if m.method == "BYE":
            self.byes.setdefault(conn.name, t)
            conn.send(response(m, 200, "OK"), src)
        elif m.method == "ACK":
            self.uas_2xx.pop(conn.name, None)
        elif m.method == "INVITE":
            self.uas_invite(conn, m, src)
        elif m.method in ("OPTIONS", "UPDATE", "INFO"):
            conn.send(response(m, 200, "OK"), src)

    def uas_invite(self, conn, m, src):
        """An INVITE from trunkd on either leg: 200 with a new SDP, sent
        again every 500 ms until the ACK; a retransmission of it gets the
        same 200."""
        if conn is self.callee and self.callee_dialog is None:
            tag = "callee-%x" % random.getrandbits(32)
            contact = "<sip:callee@%s:%d>" % self.callee.addr
            self.callee_dialog = Dialog(
                self.callee, m.get("call-id"),
                m.get("to") + ";tag=" + tag, m.get("from"),
                m.get("contact"), contact)
            self.callee_dialog.cseq = 100
        last = self.uas_last.get(conn.name)
        if last and last[0] == m.cseq:  # trunkd sent it again
            conn.send(last[1], src)
            return
        self.version[conn.name] += 1
        if conn is self.callee:
            tag, contact, who, ip = (tag_of(self.callee_dialog.local),
                                     self.callee_dialog.contact, "callee",
                                     "198.51.100.20")
        else:
            tag, contact, who, ip = (None, self.caller_dialog.contact,
                                     "caller", "192.0.2.10")
        raw = response(m, 200, "OK", tag, ["Contact: " + contact],
                       sdp(who, ip, self.version[conn.name]))
        conn.send(raw, src)
        self.uas_2xx[conn.name] = (raw, src, time.monotonic() + 0.5)
        self.uas_last[conn.name] = (m.cseq, raw)

    def responses(self, conn_name, cseq, method, status=None):
        return [(t, m) for t, c, m, _ in self.got
                if c == conn_name and m.is_response and m.cseq == cseq and
                m.cseq_method == method and
                (status is None or m.status == status)]

    def requests(self, conn_name, method):
        return [(t, m) for t, c, m, _ in self.got
                if c == conn_name and m.method == method]

    # ------------------------------------------------------------------

    def invite(self):
        a = self.args
        conn = self.caller
        tag = "caller-%x" % random.getrandbits(32)
        d = Dialog(conn, "retx-%x@%s" % (random.getrandbits(48),
                                         conn.addr[0]),
                   '"Alice" <sip:2001@%s:%d>;tag=%s' % (conn.addr + (tag,)),
                   "<sip:%s@%s:%d>" % ((a.number,) + a.target),
                   "sip:%s@%s:%d" % ((a.number,) + a.target),
                   "<sip:2001@%s:%d;transport=%s>"
                   % (conn.addr + (a.transport,)))
        self.caller_dialog = d
        body = "" if a.late else sdp("caller", "192.0.2.10", 1)
        conn.send(d.request("INVITE", body, cseq=1), d.target)
        return d, 1

    def the_2xx(self, d, cseq, method, side):
        """The 200s of trunkd to our (side's) INVITE CSeq cseq, --drop of
        them ignored, the next ACKed; asserted and returned."""
        a = self.args
        name = side.name
        n = a.drop + 1
        ok = self.pump(time.monotonic() + 10 + 8 * self.t1 * (2 ** a.drop),
                       lambda: len(self.responses(name, cseq, method, 200)) >= n
                       or self.failed_final(name, cseq, method))
        got = self.responses(name, cseq, method, 200)
        if self.failed_final(name, cseq, method):
            fail("%s: %s got %s" % (name, method,
                                    self.failed_final(name, cseq, method)))
        if not ok:
            fail("%s: %d x 200 to %s (CSeq %d) within the wait, %d wanted "
                 "(trunkd does not send its 2xx again)"
                 % (name, len(got), method, cseq, n))
        first = got[0][1]
        for i, (t, m) in enumerate(got[1:], 1):
            if m.raw != first.raw:
                fail("%s: 200 #%d is not the same bytes as the first"
                     % (name, i + 1))
            gap, want = t - got[i - 1][0], self.t1 * 2 ** (i - 1)
            if not 0.8 * want <= gap <= want + 0.35:
                fail("%s: 200 #%d came %.3f s after the previous one, "
                     "expected ~%.3f s (T1 = %.3f s)"
                     % (name, i + 1, gap, want, self.t1))
            print("%s: 200 #%d to %s after %.3f s (expected %.3f), same "
                  "bytes, To-tag %s" % (name, i + 1, method, gap, want,
                                         tag_of(m.get("to"))))
        if not tag_of(first.get("to")):
            fail("%s: trunkd's 200 has no To-tag" % name)
        return first

    def failed_final(self, name, cseq, method):
        finals = [m.status for _, m in self.responses(name, cseq, method)
                  if m.status >= 300]
        return finals[0] if finals else None

    def ack(self, d, the200, cseq):
        if d.conn is self.caller and cseq == 1:
            d.remote = the200.get("to")
            d.set_target(the200.get("contact"))
        # Late offer: trunkd's 200 has the offer, our ACK the answer.
        body = (sdp("caller", "192.0.2.10", 1)
                if self.args.late and d.conn is self.caller and cseq == 1
                else "")
        d.conn.send(d.request("ACK", body, cseq=cseq), d.target)

    def no_more_2xx(self, name, cseq, method, had):
        """After the ACK: trunkd stops (a window of 8*T1 + 0.5 s)."""
        self.pump(time.monotonic() + 8 * self.t1 + 0.5)
        n = len(self.responses(name, cseq, method, 200))
        if n != had:
            fail("%s: %d more 200s to %s after our ACK"
                 % (name, n - had, method))
        print("%s: no 200 to %s after our ACK" % (name, method))

    def never_ack(self, name, cseq, method, other):
        """No ACK from us: T1, 2*T1, ... (UDP) until 64*T1, then trunkd's
        BYE on this leg and on the other one."""
        limit = 64 * self.t1
        ok = self.pump(time.monotonic() + limit + 10,
                       lambda: name in self.byes and other in self.byes)
        got = self.responses(name, cseq, method, 200)
        if not got:
            fail("%s: no 200 to %s" % (name, method))
        if name not in self.byes:
            fail("%s: no BYE from trunkd %.1f s after its 200 to our %s "
                 "that we never ACKed (64*T1 = %.1f s)"
                 % (name, time.monotonic() - got[0][0], method, limit))
        if not ok:
            fail("%s: trunkd ended our leg but sent no BYE to the %s"
                 % (name, other))
        t0 = got[0][0]
        if self.args.transport == "udp" or name != "caller":
            want = []
            w, s = self.t1, 0.0
            while s + w < limit:
                s += w
                want.append(s)
                w = min(2 * w, T2)
        else:
            want = []  # a reliable transport: the 200 once
        if len(got) != len(want) + 1:
            fail("%s: %d copies of the 200 before trunkd's BYE, expected %d"
                 " (%s)" % (name, len(got), len(want) + 1,
                            ", ".join("%.2f" % (t - t0) for t, _ in got)))
        for i, (t, m) in enumerate(got[1:]):
            if m.raw != got[0][1].raw:
                fail("%s: a copy of the 200 differs from the first" % name)
            gap = t - got[i][0]
            w = want[i] - (want[i - 1] if i else 0)
            if gap < 0.8 * w:
                fail("%s: copy %d of the 200 after %.3f s, expected ~%.3f"
                     % (name, i + 2, gap, w))
        bye = self.byes[name] - t0
        # An ACK trunkd owed the other leg (its 200 had the offer of a
        # late-offer call, whose answer was to come in our ACK) goes
        # before its BYE.
        acks = [t for t, _ in self.requests(other, "ACK")]
        if not acks or acks[0] > self.byes[other]:
            fail("%s: trunkd's BYE without its ACK first" % other)
        if not 0.97 * limit <= bye <= limit + 2.0:
            fail("%s: trunkd's BYE %.2f s after its 200, expected 64*T1 ="
                 " %.2f s" % (name, bye, limit))
        print("%s: %d x 200 to %s at %s s, never ACKed; trunkd's BYE after"
              " %.2f s (64*T1 = %.2f s); the %s got one too"
              % (name, len(got), method,
                 ", ".join("%.2f" % (t - t0) for t, _ in got), bye, limit,
                 other))
        # Our 200s to both BYEs went out in auto(); trunkd is done.

    def reinvite(self, side):
        d = self.caller_dialog if side == "caller" else self.callee_dialog
        self.version[side] += 1
        body = (sdp("callee", "198.51.100.20", self.version[side])
                if side == "callee" else
                sdp("caller", "192.0.2.10", self.version[side]))
        raw = d.request("INVITE", body)
        d.conn.send(raw, d.target)
        return d, d.cseq

    def run(self):
        a = self.args
        d, cseq = self.invite()
        if a.never_ack == "invite":
            self.never_ack("caller", cseq, "INVITE", "callee")
            return
        the200 = self.the_2xx(d, cseq, "INVITE", self.caller)
        self.ack(d, the200, cseq)
        if not self.pump(time.monotonic() + 5,
                         lambda: "callee" not in self.uas_2xx and
                         self.requests("callee", "ACK")):
            fail("callee: no ACK from trunkd for its 200")
        if a.late and "m=audio" not in self.requests("callee", "ACK")[0][1].body:
            fail("callee: trunkd's ACK lacks the caller's answer")
        self.no_more_2xx("caller", cseq, "INVITE", a.drop + 1)
        if a.reinvite:
            side = self.caller if a.reinvite == "caller" else self.callee
            other = "callee" if a.reinvite == "caller" else "caller"
            n_other = len(self.requests(other, "INVITE"))
            d2, cseq2 = self.reinvite(a.reinvite)
            if a.never_ack == "reinvite":
                self.never_ack(a.reinvite, cseq2, "INVITE", other)
                return
            r200 = self.the_2xx(d2, cseq2, "INVITE", side)
            self.ack(d2, r200, cseq2)
            if len(self.requests(other, "INVITE")) != n_other + 1:
                fail("%s: the re-INVITE was not relayed once" % other)
            self.no_more_2xx(a.reinvite, cseq2, "INVITE", a.drop + 1)
        # The caller hangs up; the callee gets trunkd's BYE.
        bye = d.request("BYE")
        d.conn.send(bye, d.target)
        if not self.pump(time.monotonic() + 5,
                         lambda: self.responses("caller", d.cseq, "BYE", 200)
                         and "callee" in self.byes):
            fail("the caller's BYE got no 200, or the callee no BYE")
        print("call ended by the caller's BYE")


def addr(s):
    h, _, p = s.rpartition(":")
    return h, int(p)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--caller", type=addr, required=True)
    p.add_argument("--callee", type=addr, required=True)
    p.add_argument("--target", type=addr, required=True)
    p.add_argument("--number", default="+15550100001")
    p.add_argument("--t1", type=int, default=500, help="trunkd's T1, ms")
    p.add_argument("--drop", type=int, default=0)
    p.add_argument("--reinvite", choices=("caller", "callee"))
    p.add_argument("--never-ack", choices=("invite", "reinvite"))
    p.add_argument("--late", action="store_true")
    p.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    p.add_argument("--log")
    Peer(p.parse_args()).run()
    print("PASS")


if __name__ == "__main__":
    main()
