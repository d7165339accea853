"""A deterministic wire fuzzer for trunkd (test 147).

Usage: wirefuzz.py CONFIG.json COUNT SEED CASE_DIR...

CONFIG.json is 117-torture's (torture.py): per side trunkd's address,
the sender's address, the other leg's and the number to dial. COUNT
messages are made from the case templates of the CASE_DIRs (RFC 4475's
torture messages and the fuzz regressions, expanded by torture.py's own
expand()), each mutated by a random.Random(SEED): bytes flipped, special
octets inserted (NUL, CR, LF, high bytes, separators), spans deleted or
repeated, header lines repeated, dropped or swapped, numbers replaced by
limits, the message cut. The same SEED gives the same messages. They go
to both sides in turn, over UDP and over TCP (a new connection each),
in batches; whatever trunkd answers is read and counted, never judged.
The other leg (torture.py's Peer, on the peer addresses) refuses half
the INVITEs trunkd places with 486, leaves the other half unanswered
(timer B ends those calls) and answers the rest 200.

After every batch trunkd must answer an OPTIONS with 200 on each side
over each transport within 5 s: it is alive and not stuck. Over UDP the
probe sends its OPTIONS again after 0.5, 1 and 2 s more, as any UAC
does (RFC 3261 timer E), and the summary line counts the probes sent
again. Exits 1 on the first failed probe; 3 at the end when a probe was
answered only after it was sent again: on loopback nothing is lost on
the way, so trunkd lost the first one (it did, in one run of three,
until a wake-up in the middle of a batch of datagrams no longer read the
socket: trunk/sofia_udp.c).
"""
import importlib.util
import os
import random
import re
import select
import socket
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "torture", os.path.join(HERE, "..", "117-torture", "torture.py"))
torture = importlib.util.module_from_spec(spec)
spec.loader.exec_module(torture)

BATCH = 50
PROBE_WAIT = 5.0
T1 = 0.5
SPECIAL = [b"\x00", b"\r", b"\n", b"\r\n", b",", b";", b"<", b">", b'"',
           b"%", b"\x90\x90", b" ", b"\t", b":", b"@", b"/", b"=", b"[",
           b"]", b"\xc3\xa9", b"\r\n\r\n", b"--"]
# Answers that fail the test: 500 (trunkd failed on what it received: a
# malformed request must get its 4xx) and 502 (the other leg, which
# answers 486, 200 or nothing, cannot have caused one: leg B was made
# from a malformed leg A; no answer is a 408). 501 and 505 are the right
# answers to unknown methods and versions; 503 with Retry-After is
# overload control (099/100) refusing part of the burst, which is its job.
FAILING = {500, 502}
NUMBERS = [b"0", b"-1", b"65536", b"4294967296", b"18446744073709551616",
           b"99999999999999999999", b"70", b"1"]


class Peer(torture.Peer):
    """The other leg: 486 to half the INVITEs, 200 to the rest, ACK
    eaten. The other half (by Call-ID, so their retransmissions too) get
    no answer at all: a callee that does not answer, which nta
    retransmits to until timer B, running the reactor after every 5
    retransmissions (what lost datagrams of a batch until
    trunk/sofia_udp.c stopped reading in the middle of one: that build
    fails the probe in 3 of 16 runs with half unanswered, 4 of 8 with
    all, 1 of 8 with three quarters; the unit test sofia_udp/batch_yield
    is what always fails without the fix)."""

    def handle(self):
        data, src = self.s.recvfrom(65535)
        msg = data.decode("utf-8", "replace")
        if msg.startswith("SIP/2.0") or msg.startswith("ACK "):
            return
        invite = msg.startswith("INVITE ")
        if invite and zlib.crc32(call_id(data)) % 2 == 0:
            return
        try:
            out = self.reply(msg, src, "486 Busy Here" if invite else "200 OK")
        except (TypeError, AttributeError):
            return  # a request trunkd would never send: nothing to answer
        self.s.sendto(out, src)


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not data:
            break
        op = rng.randrange(9)
        pos = rng.randrange(len(data))
        if op == 0:
            data[pos] = rng.randrange(256)
        elif op == 1:
            data[pos:pos] = rng.choice(SPECIAL)
        elif op == 2:
            del data[pos:pos + rng.randint(1, 16)]
        elif op == 3:
            chunk = data[pos:pos + rng.randint(1, 24)]
            data[pos:pos] = chunk * rng.randint(1, 20)
        elif op in (4, 5, 6):
            head, sep, body = bytes(data).partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            if len(lines) > 2:
                i = rng.randrange(1, len(lines))
                j = rng.randrange(1, len(lines))
                if op == 4:
                    lines.insert(j, lines[i])  # a header repeated
                elif op == 5:
                    del lines[i]
                else:
                    lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\r\n".join(lines) + sep + body)
        elif op == 7:
            digits = [k for k in range(len(data)) if 48 <= data[k] <= 57]
            if digits:
                k = rng.choice(digits)
                end = k
                while end < len(data) and 48 <= data[end] <= 57:
                    end += 1
                data[k:end] = rng.choice(NUMBERS)
        else:
            del data[rng.randrange(1, len(data) + 1):]
    return bytes(data[:16000])


class Side:
    def __init__(self, cfg):
        self.cfg = cfg
        self.trunkd = tuple(cfg["trunkd"])
        self.udp = socket.socket(torture.family(cfg["self"]),
                                 socket.SOCK_DGRAM)
        self.udp.bind((cfg["self"], 0))
        self.udp_addr = torture.hostport(*self.udp.getsockname()[:2])
        self.resent = 0

    def values(self, tp, ident, addr):
        host, port = self.trunkd
        return {"TRUNKD": torture.hostport(host, port),
                "HOST": torture.hostport(host, port).rsplit(":", 1)[0],
                "PORT": str(port), "SELF": addr, "IP": self.cfg["self"],
                "TP": tp.upper(), "tp": tp, "CALLEE": self.cfg["callee"],
                "ID": ident}

    def send(self, tp, data, pump, streams):
        if tp == "udp":
            self.udp.sendto(data, self.trunkd)
            return
        s = socket.socket(torture.family(self.cfg["self"]),
                          socket.SOCK_STREAM)
        s.bind((self.cfg["self"], 0))
        s.settimeout(PROBE_WAIT)
        try:
            s.connect(self.trunkd)
            s.sendall(data)
        except OSError as e:
            s.close()
            raise SystemExit("tcp to %s: %s" % (self.cfg["name"], e))
        s.setblocking(False)
        streams.append(s)  # its answers are read until the batch ends
        pump()

    def probe(self, tp, n, pump):
        """OPTIONS over a new socket; True on its 200."""
        conn = torture.Conn(tp, self.cfg["self"], self.trunkd)
        cid = "wf-probe-%s-%s-%d" % (self.cfg["name"], tp, n)
        host = torture.hostport(*self.trunkd)
        msg = ("OPTIONS sip:%s SIP/2.0\r\n"
               "Via: SIP/2.0/%s %s;rport;branch=z9hG4bK-%s\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=p%d\r\n"
               "To: <sip:%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\n"
               "Content-Length: 0\r\n\r\n" % (host, tp.upper(), conn.addr,
                                             cid, conn.host, n, host, cid))
        conn.send(msg.encode())
        start = time.time()
        deadline = start + PROBE_WAIT
        resend = start + T1 if tp == "udp" else deadline
        interval = T1
        try:
            while time.time() < deadline:
                if time.time() >= resend:
                    # UDP: as any UAC, the request again after T1, 2*T1,
                    # 4*T1 (RFC 3261 17.1.2.2, timer E).
                    conn.send(msg.encode())
                    self.resent += 1
                    print("probe %s sent again after %.1f s"
                          % (cid, time.time() - start), flush=True)
                    interval *= 2
                    resend = time.time() + interval
                pump()
                if not select.select([conn.s], [], [], 0.05)[0]:
                    continue
                for m in conn.recv_ready():
                    if cid in m and torture.status_of(m) == 200:
                        return True
                if conn.closed:
                    return False
            return False
        finally:
            conn.close()


def split_answers(data):
    """The responses in data read from a stream (status lines at the
    start of a line; trunkd's answers to these requests carry no body)."""
    out = []
    for part in re.split(rb"(?m)^(?=SIP/2\.0 \d{3} )", data):
        if part.startswith(b"SIP/2.0 "):
            out.append(part)
    return out


def call_id(msg):
    """The Call-ID header's value in msg (b"": none)."""
    for line in msg.split(b"\r\n\r\n")[0].split(b"\n"):
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in (b"call-id", b"i"):
            return value.strip()
    return b""


def main():
    cfg = torture.json.load(open(sys.argv[1]))
    count, seed = int(sys.argv[2]), int(sys.argv[3])
    templates = []
    for d in sys.argv[4:]:
        for f in sorted(os.listdir(d)):
            if f.endswith(".sip"):
                templates.append(torture.load_case(os.path.join(d, f))[1])
    keep = os.environ.get("WIREFUZZ_KEEP")  # a directory for 500s, 502s
    if keep:
        os.makedirs(keep, exist_ok=True)
    rng = random.Random(seed)
    sides = [Side(s) for s in cfg["sides"]]
    peers = {}
    for s in cfg["sides"]:
        peers.setdefault(tuple(s["peer"]), Peer(s["peer"]))
    socks = [p.s for p in peers.values()] + [s.udp for s in sides]

    def pump():
        while True:
            ready = select.select(socks + streams, [], [], 0)[0]
            if not ready:
                return
            for r in ready:
                p = next((p for p in peers.values() if p.s is r), None)
                if p:
                    p.handle()
                elif r in streams:
                    try:
                        data = r.recv(65535)
                    except OSError:
                        data = b""
                    if not data:
                        streams.remove(r)
                        r.close()
                    for answer in split_answers(data):
                        answered(answer)
                else:
                    answered(r.recv(65535))

    sent = {}  # Call-ID -> (index, message) of the recent messages
    failures = []

    def server_error(answer):
        cid = call_id(answer)
        i, msg = sent.get(cid, (None, None))
        failures.append((i, msg, answer))
        if keep:
            name = os.path.join(keep, "5xx-%d" % len(failures))
            with open(name + ".req", "wb") as f:
                f.write(msg or b"")
            with open(name + ".ans", "wb") as f:
                f.write(answer)

    def answered(answer):
        st = torture.status_of(answer.decode("latin-1"))
        statuses[st] = statuses.get(st, 0) + 1
        if st in FAILING:
            server_error(answer)

    statuses = {}
    streams = []
    start = time.time()
    for i in range(count):
        side = sides[i % len(sides)]
        tp = side.cfg["transports"][(i // len(sides)) %
                                    len(side.cfg["transports"])]
        template = rng.choice(templates)
        addr = side.udp_addr if tp == "udp" else \
            torture.hostport(side.cfg["self"], 5999)
        data = torture.expand(template, side.values(tp, "wf%d" % i, addr))
        data = mutate(rng, data)
        sent[call_id(data)] = (i, data)
        if len(sent) > 4 * BATCH:
            del sent[next(iter(sent))]
        side.send(tp, data, pump, streams)
        pump()
        if (i + 1) % BATCH and i + 1 != count:
            continue
        for s in sides:
            for t in s.cfg["transports"]:
                if not s.probe(t, i, pump):
                    print("after message %d: no 200 to OPTIONS on %s/%s"
                          % (i, s.cfg["name"], t), flush=True)
                    sys.exit(1)
        pump()
        for s in streams:
            s.close()
        del streams[:]
    seen = ", ".join("%s x%d" % (k, v) for k, v in
                     sorted(statuses.items(), key=lambda kv: str(kv[0])))
    print("%d mutated messages (seed %d) in %.1f s; trunkd answered %s; "
          "an OPTIONS after every %d got 200 on every side and transport "
          "(%d sent again over UDP)"
          % (count, seed, time.time() - start, seen, BATCH,
             sum(s.resent for s in sides)), flush=True)
    for i, msg, answer in failures[:5]:
        print("message %s got %s\n--- sent:\n%s\n--- answer:\n%s"
              % (i, answer.split(b"\r\n")[0].decode("latin-1"),
                 (msg or b"(not found by its Call-ID)").decode("latin-1"),
                 answer.decode("latin-1")), flush=True)
    if failures:
        print("%d answers of %s (kept in %s)"
              % (len(failures), "/".join(map(str, sorted(FAILING))), keep),
              flush=True)
        sys.exit(2)
    if any(s.resent for s in sides):
        sys.exit(3)


if __name__ == "__main__":
    main()
