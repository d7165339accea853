#!/usr/bin/env python3
"""Both ends of one call through trunkd over UDP, for a carrier's 2xx that
reaches trunkd after the call ended but before trunkd freed it.

  pbx      (--pbx IP:PORT) calls --number through trunkd's enterprise side
           (--ent IP:PORT): INVITE with SDP;
  carrier  (--carrier IP:PORT) gets trunkd's INVITE (from its trunk side,
           --trunk IP:PORT) and rings: 180 with a To-tag and a Contact.

Once the PBX has the 180 (an early dialog), the peer writes GATE.ready and
waits (at most 10 s) for the file GATE: run.sh stops trunkd (SIGSTOP)
before it creates it. Then, in this order, each waiting in trunkd's
socket (its receive queue in /proc/net/udp, polled for at most 5 s)
before the next is sent:

  1. the PBX's BYE in its early dialog (RFC 3261 15: a caller may BYE an
     early dialog), to trunkd's enterprise side: it ends the call;
  2. the carrier's 200 OK (SDP, Contact) to trunkd's INVITE, to its trunk
     side: it crosses that BYE.

and writes GATE.queued: run.sh continues trunkd. trunkd then reads both
in one pass of its event loop (epoll reports both sockets; Sofia serves
up to 4 events per poll), the BYE first: the 200 reaches a call that is
TERMINATED and not yet freed (freed from a zero-delay timer after the
pass). Asserted:

  pbx      trunkd's 200 to the BYE; a final response >= 300 to the INVITE
           (ACKed), never a 2xx (the call was over before the 200 came);
  carrier  the 200 (sent again T1, 2*T1, ... up to T2 until ACKed) gets
           trunkd's ACK within 8 s: Request-URI = our Contact, our To-tag,
           trunkd's From, the INVITE's Call-ID and CSeq number (RFC 3261
           13.2.2.4); then a BYE in that dialog: Request-URI = our
           Contact, the same From/To/Call-ID, CSeq = the INVITE's + 1
           (15); answered 200; then nothing more for 1.5 s (no CANCEL, no
           second BYE).

Exit 0 when every assertion held, else 1 with the reason on stderr. Every
wait is bounded. Messages go to --log with their monotonic time.
"""
import argparse
import os
import random
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from sip_2xx_peer import Msg, response, tag_of  # noqa: E402

T1, T2 = 0.5, 4.0


def fail(why):
    sys.stderr.write("FAIL: %s\n" % why)
    sys.exit(1)


def addr(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


def uri_of(hdr):
    return hdr.strip().lstrip("<").split(">")[0] if "<" in hdr else \
        hdr.split(";")[0].strip()


def branch():
    return "z9hG4bK-%x" % random.getrandbits(48)


def sdp(who, ip):
    return ("v=0\r\no=%s 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio 42000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            % (who, ip, ip))


def build(first, headers, body=""):
    lines = [first] + ["%s: %s" % h for h in headers]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append("Content-Length: %d" % len(body.encode()))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def rx_queue(a):
    """Bytes waiting in the receive queue of the UDP socket bound to a
    (IPv4), or 0."""
    want = "%s:%04X" % ("".join("%02X" % int(o) for o in
                                reversed(a[0].split("."))), a[1])
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == want:
                return int(fields[4].split(":")[1], 16)
    return 0


class Peer:
    def __init__(self, args):
        self.args = args
        self.logf = open(args.log, "w") if args.log else None
        self.socks = {}
        for name in ("pbx", "carrier"):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(getattr(args, name))
            self.socks[name] = s

    def log(self, what, data):
        if self.logf:
            self.logf.write("----- %.6f %s\n%s\n" % (
                time.monotonic(), what, data.decode("latin-1")))
            self.logf.flush()

    def send(self, who, data, dest):
        self.log("sent by %s to %s:%d" % ((who,) + dest), data)
        self.socks[who].sendto(data, dest)

    def recv(self, timeout):
        """(who, Msg, source) of the next message within timeout, or
        None."""
        r, _, _ = select.select(list(self.socks.values()), [], [],
                                max(timeout, 0))
        if not r:
            return None
        for who, s in self.socks.items():
            if s is r[0]:
                data, src = s.recvfrom(65535)
                self.log("received by %s from %s:%d" % ((who,) + src), data)
                return who, Msg(data), src
        return None

    def wait_queued(self, a, what):
        deadline = time.monotonic() + 5
        while rx_queue(a) == 0:
            if time.monotonic() > deadline:
                fail("%s never reached trunkd's socket %s:%d" % ((what,) + a))
            time.sleep(0.01)

    def wait_gate(self):
        gate = self.args.gate
        open(gate + ".ready", "w").close()
        deadline = time.monotonic() + 10
        while not os.path.exists(gate):
            if time.monotonic() > deadline:
                fail("run.sh never opened the gate")
            time.sleep(0.01)

    def run(self):
        a = self.args
        pbx_ip, pbx_port = a.pbx
        car_ip, car_port = a.carrier
        cid = "crossed-%x@%s" % (random.getrandbits(32), pbx_ip)
        pbx_from = "<sip:2125551000@%s>;tag=pbx-%x" % (
            pbx_ip, random.getrandbits(24))
        inv_branch = branch()
        ruri = "sip:%s@%s:%d" % (a.number, a.ent[0], a.ent[1])
        invite = build("INVITE %s SIP/2.0" % ruri, [
            ("Via", "SIP/2.0/UDP %s:%d;branch=%s;rport"
             % (pbx_ip, pbx_port, inv_branch)),
            ("Max-Forwards", "70"), ("From", pbx_from),
            ("To", "<%s>" % ruri), ("Call-ID", cid), ("CSeq", "1 INVITE"),
            ("Contact", "<sip:pbx@%s:%d>" % (pbx_ip, pbx_port))],
            sdp("pbx", "198.51.100.10"))
        self.send("pbx", invite, a.ent)

        # trunkd's INVITE at the carrier: 180 with a To-tag; the PBX's
        # 180 from trunkd (its early dialog).
        c_inv = c_src = ringing = None
        c_tag = "carrier-%x" % random.getrandbits(24)
        c_contact = "<sip:carrier@%s:%d>" % (car_ip, car_port)
        deadline = time.monotonic() + 10
        while not (c_inv and ringing):
            got = self.recv(deadline - time.monotonic())
            if not got:
                fail("no INVITE at the carrier or no 180 at the PBX in 10 s")
            who, m, src = got
            if who == "carrier" and m.method == "INVITE":
                if not c_inv:
                    c_inv, c_src = m, src
                self.send("carrier", response(m, 180, "Ringing", c_tag,
                                              ["Contact: " + c_contact]),
                          src)
            elif who == "pbx" and m.is_response and m.status == 180 and \
                    tag_of(m.get("to")):
                ringing = m
            elif who == "pbx" and m.is_response and m.status > 100:
                fail("PBX: %s before the 180" % m.first)

        # trunkd stopped: the BYE, then the 200 crossing it, each waiting
        # in trunkd's socket before the next goes.
        self.wait_gate()
        target = uri_of(ringing.get("contact", "<%s>" % ruri))
        bye = build("BYE %s SIP/2.0" % target, [
            ("Via", "SIP/2.0/UDP %s:%d;branch=%s;rport"
             % (pbx_ip, pbx_port, branch())),
            ("Max-Forwards", "70"), ("From", pbx_from),
            ("To", ringing.get("to")), ("Call-ID", cid), ("CSeq", "2 BYE")])
        self.send("pbx", bye, a.ent)
        self.wait_queued(a.ent, "the PBX's BYE")
        ok = response(c_inv, 200, "OK", c_tag, ["Contact: " + c_contact],
                      sdp("carrier", "198.51.100.30"))
        self.send("carrier", ok, c_src)
        self.wait_queued(a.trunk, "the carrier's 200")
        open(a.gate + ".queued", "w").close()
        self.after(c_inv, c_src, c_tag, ok, cid, ruri)

    def check_in_dialog(self, m, c_inv, c_tag, method, cseq):
        want_ruri = "sip:carrier@%s:%d" % self.args.carrier
        ruri = m.first.split()[1]
        if ruri != want_ruri:
            fail("carrier: %s Request-URI %s, not our Contact %s"
                 % (method, ruri, want_ruri))
        if tag_of(m.get("to")) != c_tag:
            fail("carrier: %s To %s lacks our tag %s"
                 % (method, m.get("to"), c_tag))
        if m.get("from") != c_inv.get("from"):
            fail("carrier: %s From %s is not the INVITE's %s"
                 % (method, m.get("from"), c_inv.get("from")))
        if m.get("call-id") != c_inv.get("call-id"):
            fail("carrier: %s Call-ID is not the INVITE's" % method)
        if m.cseq != cseq or m.cseq_method != method:
            fail("carrier: %s CSeq %d %s, want %d %s"
                 % (method, m.cseq, m.cseq_method, cseq, method))

    def after(self, c_inv, c_src, c_tag, ok, cid, ruri):
        """trunkd continued: the PBX's answers, the carrier's ACK and
        BYE."""
        start = time.monotonic()
        resend, interval = start + T1, T1
        acked = bye_done = pbx_bye_ok = pbx_final = False
        quiet_until = None
        while True:
            now = time.monotonic()
            if quiet_until is not None and now >= quiet_until:
                break
            if not acked and now - start > 8:
                fail("carrier: no ACK of the 200 that crossed the PBX's "
                     "BYE within 8 s (the 200 dropped)")
            if acked and not bye_done and now - start > 13:
                fail("carrier: no BYE after the ACK within 5 s")
            if bye_done and (not pbx_bye_ok or not pbx_final) and \
                    now - start > 15:
                fail("PBX: no %s" % ("200 to its BYE" if not pbx_bye_ok
                                     else "final response to its INVITE"))
            wake = [resend if not acked else now + 1,
                    quiet_until if quiet_until else now + 1]
            got = self.recv(min(wake) - now)
            if not got:
                if not acked and time.monotonic() >= resend:
                    self.send("carrier", ok, c_src)
                    interval = min(2 * interval, T2)
                    resend = time.monotonic() + interval
                continue
            who, m, src = got
            if quiet_until is not None and not (
                    who == "pbx" and m.is_response and m.cseq == 1):
                fail("%s: unexpected %s after the BYE was answered"
                     % (who, m.first))
            if who == "pbx":
                if m.is_response and m.cseq_method == "BYE":
                    if m.status != 200:
                        fail("PBX: its BYE got %s" % m.first)
                    pbx_bye_ok = True
                elif m.is_response and m.cseq_method == "INVITE" and \
                        m.status >= 200:
                    if m.status < 300:
                        fail("PBX: its INVITE got %s after its BYE"
                             % m.first)
                    pbx_final = True
                    # The ACK of a non-2xx: the INVITE's Request-URI
                    # and Via (RFC 3261 17.1.1.3).
                    self.send("pbx", build("ACK %s SIP/2.0" % ruri, [
                        ("Via", m.get("via")), ("Max-Forwards", "70"),
                        ("From", m.get("from")), ("To", m.get("to")),
                        ("Call-ID", cid), ("CSeq", "1 ACK")]),
                        self.args.ent)
                elif not m.is_response or m.status > 100:
                    fail("PBX: unexpected %s" % m.first)
                continue
            if m.method == "ACK":
                if acked:
                    continue  # a 200 resent before the ACK came
                self.check_in_dialog(m, c_inv, c_tag, "ACK", c_inv.cseq)
                acked = True
            elif m.method == "BYE":
                if not acked:
                    fail("carrier: BYE before the ACK")
                self.check_in_dialog(m, c_inv, c_tag, "BYE", c_inv.cseq + 1)
                self.send("carrier", response(m, 200, "OK"), src)
                bye_done = True
            elif m.method == "INVITE":
                self.send("carrier", ok, src)  # our 200 again
            else:
                fail("carrier: unexpected %s" % m.first)
            if bye_done and pbx_bye_ok and pbx_final and quiet_until is None:
                quiet_until = time.monotonic() + 1.5
            continue
        print("ACK and BYE of the crossed 200 as asserted")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pbx", type=addr, required=True)
    p.add_argument("--carrier", type=addr, required=True)
    p.add_argument("--ent", type=addr, required=True)
    p.add_argument("--trunk", type=addr, required=True)
    p.add_argument("--number", default="+15550100001")
    p.add_argument("--gate", required=True)
    p.add_argument("--log")
    Peer(p.parse_args()).run()


if __name__ == "__main__":
    main()
