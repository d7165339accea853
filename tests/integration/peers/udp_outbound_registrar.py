#!/usr/bin/env python3
"""A carrier's UDP SP-SSE for the STUN flow tests (086, 087): a SIP
Outbound registrar (RFC 5626) and a STUN server (RFC 5389) on ONE UDP
socket, as a real SP-SSE with outbound support has them, with a scripted
misbehaviour of its STUN answers.

    udp_outbound_registrar.py IP PORT FLOW_TIMER MODE AFTER LOG [CREDS]

REGISTER and OPTIONS get a 200 OK (REGISTER: the Contact echoed with
expires=3600, Require: outbound, Flow-Timer: FLOW_TIMER, none when it is
0); anything else 404. STUN Binding requests are answered with the requester's own address
in XOR-MAPPED-ADDRESS for the first AFTER requests; then, by MODE:

  change  every later answer names port + 1000 (the binding "moved", as a
          NAT rebinding would show it): the client must treat the flow as
          failed (OB-3). Bad input with every answer in this mode: first
          a Binding success for another transaction naming port + 2000,
          and a truncated copy of the true answer (both to be ignored);
  silent  no answer until the next REGISTER arrives, then answers again
          with the true address (a peer that stopped answering).

CREDS (optional) is a file of "AOR-USER USERNAME PASSWORD" lines, read
again for every REGISTER: a REGISTER to such an AOR needs RFC 2617 digest
(realm "carrier.invalid", no qop) with that username and password; one
without a valid Authorization gets 401 with a fresh nonce (logged AUTH
<aor-user> none|bad|ok).

Every event is one line in LOG, flushed at once (the test's verdict):
  <epoch> REGISTER <src> expires=<Expires> to=<To> contact=<Contact>
  <epoch> STUN <n> <src> answered=<mapped address or ->
  <epoch> OPTIONS <src>
"""
import hashlib
import socket
import struct
import sys
import time

COOKIE = 0x2112A442


def xor_mapped(ip, port, txid):
    x_port = port ^ (COOKIE >> 16)
    x_ip = struct.unpack("!I", socket.inet_aton(ip))[0] ^ COOKIE
    return struct.pack("!HHBBHI", 0x0020, 8, 0, 1, x_port, x_ip)


def stun_answer(req, ip, port):
    txid = req[8:20]
    attr = xor_mapped(ip, port, txid)
    return struct.pack("!HHI", 0x0101, len(attr), COOKIE) + txid + attr


def header(msg, name, compact=None):
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() in (name.lower(), (compact or "").lower()):
            return v.strip()
    return None


def answer(msg, vias, flow_timer, tag):
    """The answer to request msg with the Via values vias: 200 to REGISTER
    (Contact echoed, expires=3600, Require: outbound, Flow-Timer unless
    0) and OPTIONS, else 404; (method, bytes)."""
    method = msg.split(" ", 1)[0]
    out = ["SIP/2.0 200 OK" if method in ("REGISTER", "OPTIONS")
           else "SIP/2.0 404 Not Here"]
    out += ["Via: " + v for v in vias]
    out += ["From: " + header(msg, "From", "f"),
            "To: " + header(msg, "To", "t") + ";tag=" + tag,
            "Call-ID: " + header(msg, "Call-ID", "i"),
            "CSeq: " + header(msg, "CSeq")]
    if method == "REGISTER":
        contact = header(msg, "Contact", "m")
        if contact and header(msg, "Expires") != "0":
            out.append("Contact: %s;expires=3600" % contact)
        out.append("Require: outbound")
        if flow_timer:
            out.append("Flow-Timer: %d" % flow_timer)
    out += ["Content-Length: 0", "", ""]
    return method, "\r\n".join(out).encode()


def sip_answer(msg, src, flow_timer):
    via = header(msg, "Via", "v")
    # RFC 3581: the client asked for rport.
    via = via.replace(";rport", ";received=%s;rport=%d" % src, 1)
    return answer(msg, [via], flow_timer, "udpreg1")


def digest_check(msg, creds_file, realm):
    """None when msg needs no digest; else (ok, aor_user, why)."""
    to = header(msg, "To", "t") or ""
    user = to.split("sip:", 1)[-1].split("@", 1)[0]
    try:
        creds = dict((f[0], f[1:3]) for f in
                     (line.split() for line in open(creds_file))
                     if len(f) == 3)
    except OSError:
        return None
    if user not in creds:
        return None
    auth = header(msg, "Authorization")
    if not auth or not auth.lower().startswith("digest "):
        return False, user, "none"
    p = dict((k.strip(), v.strip().strip('"')) for k, _, v in
             (x.partition("=") for x in auth[7:].split(",")))
    name, password = creds[user]
    ha1 = hashlib.md5(("%s:%s:%s" % (name, realm, password)).encode())
    ha2 = hashlib.md5(("REGISTER:%s" % p.get("uri", "")).encode())
    want = hashlib.md5(("%s:%s:%s" % (ha1.hexdigest(), p.get("nonce", ""),
                                      ha2.hexdigest())).encode())
    ok = p.get("username") == name and p.get("response") == want.hexdigest()
    return ok, user, "ok" if ok else "bad"


def challenge(msg, src, nonce, realm):
    via = header(msg, "Via", "v").replace(
        ";rport", ";received=%s;rport=%d" % src, 1)
    return "\r\n".join([
        "SIP/2.0 401 Unauthorized", "Via: " + via,
        "From: " + header(msg, "From", "f"),
        "To: " + header(msg, "To", "t") + ";tag=udpreg1",
        "Call-ID: " + header(msg, "Call-ID", "i"),
        "CSeq: " + header(msg, "CSeq"),
        'WWW-Authenticate: Digest realm="%s", nonce="%s", algorithm=MD5'
        % (realm, nonce),
        "Content-Length: 0", "", ""]).encode()


def main():
    ip, port, flow_timer, mode, after, log = sys.argv[1:7]
    creds = sys.argv[7] if len(sys.argv) > 7 else None
    port, flow_timer, after = int(port), int(flow_timer), int(after)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    out = open(log, "a", buffering=1)
    n = 0
    silent = False
    while True:
        data, src = s.recvfrom(65535)
        now = "%.6f" % time.time()
        if len(data) >= 20 and data[0] == 0 and \
                struct.unpack("!HHI", data[:8]) == (1, len(data) - 20, COOKIE):
            n += 1
            mapped = None
            if n <= after:
                mapped = src
            elif mode == "change":
                mapped = (src[0], src[1] + 1000)
            elif not silent:
                silent = True
            if mapped and mode == "change":
                decoy = data[:8] + bytes(12) + data[20:]
                s.sendto(stun_answer(decoy, src[0], src[1] + 2000), src)
                s.sendto(stun_answer(data, *mapped)[:24], src)
            if mapped:
                s.sendto(stun_answer(data, *mapped), src)
            out.write("%s STUN %d %s:%d answered=%s\n" % (
                now, n, src[0], src[1],
                "%s:%d" % mapped if mapped else "-"))
            continue
        try:
            msg = data.decode()
            method, answer = sip_answer(msg, src, flow_timer)
        except (UnicodeDecodeError, AttributeError, IndexError):
            out.write("%s JUNK %s:%d\n" % (now, src[0], src[1]))
            continue
        check = digest_check(msg, creds, "carrier.invalid") \
            if creds and method == "REGISTER" else None
        if check:
            out.write("%s AUTH %s %s\n" % (now, check[1], check[2]))
        if check and not check[0]:
            s.sendto(challenge(msg, src, "n%d%.6f" % (n, time.time()),
                               "carrier.invalid"), src)
            continue
        if method == "REGISTER":
            out.write("%s REGISTER %s:%d expires=%s to=%s contact=%s\n" % (
                now, src[0], src[1], header(msg, "Expires"),
                header(msg, "To", "t"), header(msg, "Contact", "m")))
            if silent:  # a new flow: answer STUN again (mode silent)
                silent = False
                after = n + 1000000
        elif method != "ACK":
            out.write("%s %s %s:%d\n" % (now, method, src[0], src[1]))
        if method != "ACK":
            s.sendto(answer, src)


if __name__ == "__main__":
    main()
