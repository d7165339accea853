"""RFC 4475 (and RFC 5118) torture messages against both sides of trunkd.

Usage: torture.py CONFIG.json CASE_DIR [CASE...]

CONFIG.json names each side to test: trunkd's address there, the address
the torture messages come from (a PBX in the ACL, the carrier's SP-SSE),
the other leg's address (bound here: whatever trunkd sends there is seen
and answered), the number to dial, and which transports to use:

    {"sides": [{"name": "ent", "trunkd": ["127.0.0.1", 5060],
                "self": "127.0.0.2", "peer": ["127.0.0.3", 5090],
                "callee": "+15550100001", "transports": ["udp", "tcp"]}]}

Each CASE_DIR/*.sip file is one message in RFC 4475's notation
(<allOneLine>, <hex>, <repeat count=N>, section 2), lines ending in CRLF,
with @NAME@ placeholders for the test's addresses (see expand()). Its
leading "# key: value" lines say what a robust element does with it:

    # rfc: 4475 3.1.1.1 wsinv
    # expect: call | drop | NNN [NNN...]   (any of these final statuses)
    # expect-ent: / expect-tcp: / expect-trunk-udp: ...
    #                                      the same for one side and/or
    #                                      transport (any key takes these
    #                                      suffixes)
    # transports: udp tcp                  (default: the side's)
    # response: REGEX                      the final response must match
    # no-response: REGEX                   ... and must not match
    # peer-ruri: REGEX                     the other leg's Request-URI
    # peer-body: / peer-no-body: REGEX     its INVITE matches / does not
    # peer-max-forwards: N                 its Max-Forwards (default: the
    #                                      message's minus 1, else 69)
    # other-leg: METHOD...                 what the other leg must get
    #                                      when its answer fails the call
    # peer-answer: FILE                    the other leg answers with FILE
    #                                      (a response template) instead of
    #                                      a plain 200 with SDP

"call": the request must reach the other leg as trunkd's own INVITE; the
other leg answers, trunkd's 2xx reaches the sender, which ACKs and hangs
up; the ACK and the BYE must reach the other leg and the BYE be answered
200 (an unexpected 2xx is hung up the same way, and fails the case).
Any other outcome: nothing may reach the other leg (but what other-leg
names), and a non-2xx final response to an INVITE is ACKed. "drop": no
answer at all; over TCP the OPTIONS below then goes over a new
connection, the old one must have received nothing, and trunkd must
close it (a stream whose framing is lost; within CLOSE seconds: a half
message waits 64*T1 = 3.2 s). After every message (every case,
side and transport) an OPTIONS must get 200 from trunkd over the same
transport: it is still alive. Over UDP that OPTIONS goes out of the same
socket right after the message, so an answer to a message that must be
dropped, or anything trunkd sends the other leg because of it, would
have arrived before the OPTIONS' 200 (trunkd reads one socket in order):
no fixed wait decides "no answer".

Writes one line per case, side and transport, and exits 1 when any
failed.
"""
import json
import os
import re
import select
import socket
import sys
import time

WAIT = 5.0  # seconds for any one expected message
CLOSE = 8.0  # seconds for trunkd to close a connection it cannot frame
COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id",
           "m": "contact", "l": "content-length", "c": "content-type",
           "s": "subject", "k": "supported", "e": "content-encoding"}


# ---------------------------------------------------------------------------
# Messages

def header_lines(text):
    """(first line, [(lower-case full name, value)]) of a message's head,
    folded lines joined, compact names expanded."""
    head = text.split("\r\n\r\n", 1)[0]
    lines = re.split(r"\r\n(?![ \t])", head)
    out = []
    for line in lines[1:]:
        if ":" not in line:
            continue
        name, value = line.split(":", 1)
        name = name.strip().lower()
        out.append((COMPACT.get(name, name), re.sub(r"\s+", " ",
                                                    value).strip()))
    return lines[0], out


def hdr(text, name, every=False):
    vals = [v for n, v in header_lines(text)[1] if n == name]
    return vals if every else (vals[0] if vals else None)


def mine(msg, key):
    """msg answers the case whose @ID@ is key: its Call-ID or its Via
    holds it (a request without Call-ID is found by its branch)."""
    return key in (hdr(msg, "call-id") or "") or key in (hdr(msg, "via")
                                                         or "")


def status_of(text):
    m = re.match(r"SIP/2\.0 (\d{3})", text)
    return int(m.group(1)) if m else None


def body_of(text):
    return text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""


def expand(template, values):
    """RFC 4475 2.1-2.3 notation, then @NAME@ placeholders, then CRLF line
    ends; @CL@ becomes the body's length in octets last."""
    t = template.replace("\r\n", "\n")
    t = re.sub(r"<allOneLine>\n(.*?)\n?</allOneLine>",
               lambda m: m.group(1).replace("\n", ""), t, flags=re.S)
    t = re.sub(r"<repeat count=(\d+)>(.*?)</repeat>",
               lambda m: m.group(2) * int(m.group(1)), t, flags=re.S)
    for k, v in values.items():
        t = t.replace("@%s@" % k, v)
    left = [k for k in re.findall(r"@[A-Z_]+@", t) if k != "@CL@"]
    if left:
        raise ValueError("no value for %s" % ", ".join(sorted(set(left))))
    t = t.replace("\n", "\r\n")
    raw = re.split(r"<hex>(.*?)</hex>", t, flags=re.S)
    data = b"".join(bytes.fromhex(p) if i % 2 else p.encode("utf-8")
                    for i, p in enumerate(raw))
    if b"@CL@" in data:
        body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
        data = data.replace(b"@CL@", str(len(body)).encode())
    return data


def load_case(path):
    meta, body, in_meta = {}, [], True
    for line in open(path, encoding="utf-8").read().split("\n"):
        if in_meta and line.startswith("#"):
            m = re.match(r"#\s*([a-z-]+):\s*(.*)$", line)
            if m:
                meta[m.group(1)] = m.group(2).strip()
            continue
        in_meta = False
        body.append(line)
    return meta, "\n".join(body)


# ---------------------------------------------------------------------------
# Transport: one UDP socket per side for the sender and one for the other
# leg, one TCP connection per TCP case.

class Conn:
    """The sender's end toward trunkd: a UDP socket or a TCP connection;
    recv() gives whole messages (framed by Content-Length over TCP)."""

    def __init__(self, tp, self_ip, trunkd):
        self.tp, self.trunkd, self.buf, self.closed = tp, trunkd, b"", False
        if tp == "udp":
            self.s = socket.socket(family(self_ip), socket.SOCK_DGRAM)
            self.s.bind((self_ip, 0))
        else:
            self.s = socket.socket(family(self_ip), socket.SOCK_STREAM)
            self.s.bind((self_ip, 0))
            self.s.settimeout(WAIT)
            self.s.connect(trunkd)
            self.s.settimeout(None)
        self.addr = hostport(*self.s.getsockname()[:2])
        self.host = self.addr.rsplit(":", 1)[0]

    def send(self, data):
        if self.tp == "udp":
            self.s.sendto(data, self.trunkd)
        else:
            self.s.sendall(data)

    def _frame(self):
        """One message off the TCP buffer, or None."""
        while self.buf.startswith(b"\r\n"):
            self.buf = self.buf[2:]  # keep-alive pongs
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("utf-8", "replace")
        m = re.search(r"\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)", head,
                      re.I)
        n = end + 4 + (int(m.group(1)) if m else 0)
        if len(self.buf) < n:
            return None
        msg, self.buf = self.buf[:n], self.buf[n:]
        return msg.decode("utf-8", "replace")

    def recv_ready(self):
        """Messages that arrived (call after select says readable)."""
        if self.tp == "udp":
            return [self.s.recv(65535).decode("utf-8", "replace")]
        try:
            data = self.s.recv(65535)
        except ConnectionResetError:  # closed with bytes unread
            data = b""
        if not data:
            self.closed = True
            return []
        self.buf += data
        out = []
        while True:
            m = self._frame()
            if m is None:
                return out
            out.append(m)

    def close(self):
        self.s.close()


class Peer:
    """The other leg (the carrier's SP-SSE or the PBX) on UDP: records every
    request trunkd sends it and answers like a plain UA: INVITE with a
    2xx and an SDP answer (or the case's own template), BYE and the rest
    with 200, ACK with nothing."""

    def __init__(self, addr):
        self.s = socket.socket(family(addr[0]), socket.SOCK_DGRAM)
        self.s.bind(tuple(addr))
        self.addr = hostport(*addr)
        self.ip = addr[0]
        self.got = []
        self.answer = None  # template for the next INVITE's answer
        self.answered = {}  # (Call-ID, CSeq, Via) -> our answer, or None

    def reply(self, req, src, status="200 OK", extra="", body=""):
        to = hdr(req, "to")
        if ";tag=" not in to:
            to += ";tag=peer-%d" % len(self.got)
        lines = ["SIP/2.0 " + status]
        lines += ["Via: " + v for v in hdr(req, "via", every=True)]
        lines += ["From: " + hdr(req, "from"), "To: " + to,
                  "Call-ID: " + hdr(req, "call-id"),
                  "CSeq: " + hdr(req, "cseq")]
        if extra:
            lines.append(extra)
        lines += ["Content-Length: %d" % len(body.encode()), "", body]
        return "\r\n".join(lines).encode()

    def handle(self):
        data, src = self.s.recvfrom(65535)
        msg = data.decode("utf-8", "replace")
        if msg.startswith("SIP/2.0"):
            self.got.append(msg)  # a response: trunkd has no business
            return
        method = msg.split(" ", 1)[0]
        cid = hdr(msg, "call-id")
        vias = hdr(msg, "via", every=True) or [""]
        # A retransmission (same transaction: Call-ID, CSeq and top Via,
        # sent again when our answer was late on a loaded machine) gets
        # the same answer again and is not another request trunkd sent.
        key = (cid, hdr(msg, "cseq"), vias[0])
        if key in self.answered:
            if self.answered[key]:
                self.s.sendto(self.answered[key], src)
            return
        self.got.append(msg)
        if method == "INVITE":
            if self.answer:
                out = self.answer_from(msg, self.answer)
            else:
                sdp = sdp_answer(body_of(msg), self.ip)
                out = self.reply(msg, src, "200 OK",
                                 "Contact: <sip:peer@%s>\r\n"
                                 "Content-Type: application/sdp" %
                                 self.addr, sdp)
            self.answered[key] = out
            self.s.sendto(out, src)
        elif method != "ACK":
            self.answered[key] = self.reply(msg, src)
            self.s.sendto(self.answered[key], src)
        else:
            self.answered[key] = None

    def answer_from(self, req, template):
        """The case's response template filled from trunkd's INVITE."""
        to = hdr(req, "to")
        vias = ["Via: " + v for v in hdr(req, "via", True)]
        vals = {"VIA": "\n".join(vias),
                "VIA_BCAST": "\n".join([vias[0] + ";received=255.255.255.255"]
                                       + vias[1:]),
                "FROM": hdr(req, "from"), "TO": to,
                "TO_TAGGED": to + ";tag=peer-%d" % len(self.got),
                "CALLID": hdr(req, "call-id"), "CSEQ": hdr(req, "cseq"),
                "PEER": self.addr,
                "SDP": sdp_answer(body_of(req), self.ip).replace("\r\n",
                                                                 "\n")}
        return expand(template.rstrip("\n"), vals)

    def drain(self):
        while select.select([self.s], [], [], 0)[0]:
            self.handle()


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def hostport(ip, port):
    """A URI's host:port ([IPv6]:port)."""
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)


def sdp_answer(offer, ip):
    """An answer with the same m= lines: audio takes the first format,
    anything else is refused (port 0)."""
    net = "IP6" if ":" in ip else "IP4"
    lines = ["v=0", "o=peer 1 1 IN %s %s" % (net, ip), "s=-",
             "c=IN %s %s" % (net, ip), "t=0 0"]
    port = 40000
    for m in re.findall(r"^m=([^\r\n]+)", offer, re.M):
        media, _, proto, *fmts = m.split()
        if media == "audio" and fmts:
            lines.append("m=audio %d %s %s" % (port, proto, fmts[0]))
            rtpmap = re.search(r"^a=rtpmap:%s [^\r\n]+" % re.escape(fmts[0]),
                               offer, re.M)
            if rtpmap:
                lines.append(rtpmap.group(0))
            port += 2
        else:
            lines.append("m=%s 0 %s %s" % (media, proto, " ".join(fmts)))
    return "\r\n".join(lines) + "\r\n"


# ---------------------------------------------------------------------------
# One exchange

class Runner:
    def __init__(self, side, peers):
        self.side, self.peers = side, peers
        self.trunkd = (side["trunkd"][0], int(side["trunkd"][1]))
        self.peer = peers[tuple(side["peer"])]
        self.udp = Conn("udp", side["self"], self.trunkd)
        self.n = 0

    def pump(self, conn, until, timeout=WAIT):
        """Read trunkd's messages to conn (answering the peers on the way)
        until until(msgs) is true; the messages, or None on timeout or a
        closed TCP connection."""
        msgs, deadline = [], time.monotonic() + timeout
        while not until(msgs):
            left = deadline - time.monotonic()
            if left <= 0 or conn.closed:
                return None
            socks = [p.s for p in self.peers.values()] + [conn.s]
            for s in select.select(socks, [], [], left)[0]:
                if s is conn.s:
                    msgs += conn.recv_ready()
                else:
                    next(p for p in self.peers.values() if p.s is s).handle()
        return msgs

    def values(self, conn, tp):
        self.n += 1
        host, port = self.trunkd
        return {"TRUNKD": hostport(host, port),
                "HOST": hostport(host, port).rsplit(":", 1)[0],
                "PORT": str(port), "SELF": conn.addr,
                "IP": conn.host,
                "TP": tp.upper(), "tp": tp, "CALLEE": self.side["callee"],
                "ID": "n%d-%s-%s-%d" % (self.n, self.side["name"], tp,
                                        os.getpid())}

    def final_for(self, cid):
        def until(msgs):
            return any(status_of(m) and status_of(m) >= 200 and
                       mine(m, cid) for m in msgs)
        return until

    def alive(self, conn, tp):
        """OPTIONS over conn (a new TCP connection if it was closed):
        True when trunkd answers 200, and the messages before it."""
        if conn.closed:
            conn = Conn(tp, self.side["self"], self.trunkd)
        try:
            return self._alive(conn, tp)
        except OSError:
            conn.closed = True
        return self._alive(Conn(tp, self.side["self"], self.trunkd), tp)

    def _alive(self, conn, tp, retry=True):
        v = self.values(conn, tp)
        cid = "alive-" + v["ID"]
        conn.send(expand(
            "OPTIONS sip:@TRUNKD@ SIP/2.0\n"
            "Via: SIP/2.0/@TP@ @SELF@;rport;branch=z9hG4bK-@ID@\n"
            "Max-Forwards: 70\nFrom: <sip:probe@@IP@>;tag=alive\n"
            "To: <sip:@TRUNKD@>\nCall-ID: " + cid + "\nCSeq: 1 OPTIONS\n"
            "Content-Length: 0\n\n", v))
        msgs = self.pump(conn, self.final_for(cid))
        if msgs is None and conn.closed and retry:
            # trunkd closed a connection it could no longer frame
            return self._alive(Conn(tp, self.side["self"], self.trunkd), tp,
                               False)
        if msgs is None:
            return False, []
        mine = [m for m in msgs if hdr(m, "call-id") == cid]
        return status_of(mine[-1]) == 200, [m for m in msgs
                                           if hdr(m, "call-id") != cid]

    def ack(self, conn, tp, req_uri, resp):
        """ACK of a non-2xx final answer (RFC 3261 17.1.1.3): the INVITE's
        top Via and R-URI, the response's From, To, Call-ID."""
        via, cseq = hdr(resp, "via"), hdr(resp, "cseq")
        if not via or not cseq:
            return  # an answer without them matches no transaction
        conn.send(("ACK %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\n"
                   "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s ACK\r\n"
                   "Content-Length: 0\r\n\r\n" % (
                       req_uri, via, hdr(resp, "from"), hdr(resp, "to"),
                       hdr(resp, "call-id"), cseq.split()[0])).encode())

    def in_dialog(self, conn, tp, method, ok, cseq):
        """ACK or BYE in the dialog of trunkd's 2xx ok."""
        v = self.values(conn, tp)
        target = re.search(r"<([^>]+)>", hdr(ok, "contact")).group(1)
        conn.send(("%s %s SIP/2.0\r\nVia: SIP/2.0/%s %s;rport;"
                   "branch=z9hG4bK-%s\r\nMax-Forwards: 70\r\nFrom: %s\r\n"
                   "To: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"
                   "Content-Length: 0\r\n\r\n" % (
                       method, target, tp.upper(), conn.addr, v["ID"],
                       hdr(ok, "from"), hdr(ok, "to"), hdr(ok, "call-id"),
                       cseq, method)).encode())

    def meta(self, meta, key, tp):
        """A case's KEY for this side and transport: KEY-SIDE-TP, KEY-TP,
        KEY-SIDE or KEY, the first that is set ("" none)."""
        side = self.side["name"]
        for k in ("%s-%s-%s" % (key, side, tp), "%s-%s" % (key, tp),
                  "%s-%s" % (key, side), key):
            if k in meta:
                return meta[k]
        return ""

    def run(self, name, meta, template, tp):
        """One case over one transport: a list of failure reasons."""
        expect = self.meta(meta, "expect", tp).split()
        conn = self.udp if tp == "udp" else Conn(tp, self.side["self"],
                                                 self.trunkd)
        try:
            return self._run(name, meta, template, tp, conn, expect)
        finally:
            if conn is not self.udp:
                conn.close()

    def _run(self, name, meta, template, tp, conn, expect):
        fails = []
        for p in self.peers.values():
            p.drain()
            p.got, p.answered = [], {}
            p.answer = None
        if meta.get("peer-answer"):
            self.peer.answer = open(os.path.join(
                CASE_DIR, meta["peer-answer"]), encoding="utf-8").read()
        v = self.values(conn, tp)
        data = expand(template, v)
        text = data.decode("utf-8", "replace")
        first = text.split("\r\n", 1)[0]
        method = first.split(" ", 1)[0]
        req_uri = first.split(" ")[1] if " " in first else "sip:x"
        cid = v["ID"]  # every case's Call-ID or Via holds @ID@
        if cid not in text:
            raise ValueError("%s: no @ID@ in its Call-ID" % name)
        # What the other leg must get: trunkd's INVITE, ACK and BYE for a
        # call, what the case says when the other leg's answer fails the
        # call, nothing at all when trunkd refuses the request itself.
        leg = self.meta(meta, "other-leg", tp).split()
        if expect == ["call"]:
            leg = ["INVITE", "ACK", "BYE"]
        self.sent = text
        conn.send(data)
        answers = []
        if expect == ["drop"]:
            if tp == "udp":
                ok, before = self.alive(conn, tp)
            else:
                # A stream Sofia cannot parse is closed by trunkd (at
                # once, or after 64*T1 when Sofia waits for the rest of
                # a message it will never frame): OPTIONS over a new
                # connection, then the old one must end, with nothing
                # answered on it.
                ok, _ = self.alive(Conn(tp, self.side["self"],
                                        self.trunkd), tp)
                before, deadline = [], time.monotonic() + CLOSE
                while not conn.closed and time.monotonic() < deadline:
                    if select.select([conn.s], [], [], max(
                            0, deadline - time.monotonic()))[0]:
                        before += conn.recv_ready()
                if not conn.closed:
                    fails.append("connection still open after %.0f s" %
                                 CLOSE)
            answers = [m for m in before if mine(m, cid)]
            if answers:
                fails.append("answered: %s" % answers[0].split("\r\n")[0])
            if not ok:
                fails.append("no 200 to OPTIONS afterwards")
        else:
            msgs = self.pump(conn, self.final_for(cid))
            answers = [m for m in (msgs or []) if mine(m, cid)]
            finals = [m for m in answers if status_of(m) >= 200]
            got = status_of(finals[0]) if finals else None
            if not finals:
                fails.append("no final answer")
            elif method == "INVITE" and 200 <= got < 300:
                # A call, expected or not: ACK and hang up, so that
                # nothing is left to the next case.
                fails += self.call(conn, tp, finals[0], meta)
                if expect != ["call"]:
                    fails.append("got %s (a call), expected %s" % (
                        got, " or ".join(expect)))
            elif expect == ["call"]:
                fails.append("got %s, not the call's 200" % got)
            elif str(got) not in expect:
                fails.append("got %s, expected %s" % (got, " or ".join(
                    expect)))
            if finals and expect != ["call"]:
                resp = finals[0]
                want = self.meta(meta, "response", tp)
                if want and not re.search(want, resp, re.M):
                    fails.append("final answer lacks /%s/" % want)
                want = self.meta(meta, "no-response", tp)
                if want and re.search(want, resp, re.M):
                    fails.append("final answer has /%s/" % want)
                if method == "INVITE" and got >= 300:
                    self.ack(conn, tp, req_uri, resp)
            if leg and expect != ["call"]:
                # trunkd ACKs the other leg's failure on its own time
                self.pump(conn, lambda m: len(self.peer.got) >= len(leg))
            ok, _ = self.alive(conn, tp)
            if not ok:
                fails.append("no 200 to OPTIONS afterwards")
        # The OPTIONS came after the message: anything trunkd sent the
        # other leg because of it is here already.
        got_leg = [m.split(" ", 1)[0] for p in self.peers.values()
                   for m in p.got]
        if got_leg != leg:
            fails.append("the other leg got %s, expected %s" % (
                [m.split("\r\n")[0] for p in self.peers.values()
                 for m in p.got], leg))
        seen = ",".join(str(status_of(m)) for m in answers) or "-"
        if answers:
            seen += " (%s)" % answers[-1].split("\r\n", 1)[0][12:]
        return fails, seen

    def call(self, conn, tp, ok, meta):
        """The 2xx of a call: the other leg got trunkd's INVITE; ACK and
        BYE from the sender reach it; the BYE is answered 200 (to the
        sender by trunkd, to trunkd by the other leg)."""
        fails = []
        invites = [m for m in self.peer.got if m.startswith("INVITE ")]
        if len(invites) != 1:
            return ["the other leg got %d INVITEs" % len(invites)]
        ruri = invites[0].split(" ")[1]
        want = self.meta(meta, "peer-ruri", tp)
        if want and not re.fullmatch(want, ruri):
            fails.append("the other leg's R-URI %s is not /%s/" % (ruri,
                                                                  want))
        want = self.meta(meta, "peer-body", tp)
        if want and not re.search(want, invites[0], re.M):
            fails.append("the other leg's INVITE lacks /%s/" % want)
        want = self.meta(meta, "peer-no-body", tp)
        if want and re.search(want, invites[0], re.M):
            fails.append("the other leg's INVITE has /%s/" % want)
        sent = hdr(self.sent, "max-forwards")
        mf = self.meta(meta, "peer-max-forwards", tp) or str(
            int(sent) - 1 if sent else 69)
        if hdr(invites[0], "max-forwards") != mf:
            fails.append("the other leg's Max-Forwards is %s, not %s" % (
                hdr(invites[0], "max-forwards"), mf))
        cseq = int(hdr(ok, "cseq").split()[0])
        self.in_dialog(conn, tp, "ACK", ok, cseq)
        self.in_dialog(conn, tp, "BYE", ok, cseq + 1)
        cid = hdr(ok, "call-id")

        def bye_done(msgs):
            return any(hdr(m, "call-id") == cid and
                       (hdr(m, "cseq") or "").endswith("BYE") and
                       status_of(m) and status_of(m) >= 200 for m in msgs)

        def both_done(msgs):
            return bye_done(msgs) and any(m.startswith("BYE ")
                                          for m in self.peer.got)
        msgs = self.pump(conn, both_done)
        if msgs is None:
            return fails + ["the BYE did not reach the other leg or got "
                            "no answer"]
        bye = [m for m in msgs if bye_done([m])][0]
        if status_of(bye) != 200:
            fails.append("BYE got %s" % status_of(bye))
        return fails


CASE_DIR = "."


def main():
    global CASE_DIR
    cfg = json.load(open(sys.argv[1]))
    CASE_DIR = sys.argv[2]
    only = set(sys.argv[3:])
    peers = {}
    for side in cfg["sides"]:
        peers.setdefault(tuple(side["peer"]), Peer(side["peer"]))
    failed = 0
    names = sorted((f for f in os.listdir(CASE_DIR) if f.endswith(".sip")),
                   key=lambda f: [int(x) if x.isdigit() else x
                                  for x in re.split(r"(\d+)", f)])
    for side in cfg["sides"]:
        runner = Runner(side, peers)
        for f in names:
            name = f[:-4]
            if only and name not in only:
                continue
            meta, template = load_case(os.path.join(CASE_DIR, f))
            tps = meta.get("transports", "udp tcp").split()
            for tp in side["transports"]:
                if tp not in tps:
                    continue
                fails, seen = runner.run(name, meta, template, tp)
                print("%-5s %-3s %-24s %-30s %s" % (
                    side["name"], tp, name, seen, "ok" if not fails else "FAIL: " +
                    "; ".join(fails)), flush=True)
                failed += bool(fails)
    print("%d failed" % failed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
