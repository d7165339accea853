#!/usr/bin/env python3
"""A carrier's UDP SP-SSE for the STUN flow tests (086, 087): a SIP
Outbound registrar (RFC 5626) and a STUN server (RFC 5389) on ONE UDP
socket, as a real SP-SSE with outbound support has them, with a scripted
misbehaviour of its STUN answers.

    udp_outbound_registrar.py IP PORT FLOW_TIMER MODE AFTER LOG

REGISTER and OPTIONS get a 200 OK (REGISTER: the Contact echoed with
expires=3600, Require: outbound, Flow-Timer: FLOW_TIMER); anything else
404. STUN Binding requests are answered with the requester's own address
in XOR-MAPPED-ADDRESS for the first AFTER requests; then, by MODE:

  change  every later answer names port + 1000 (the binding "moved", as a
          NAT rebinding would show it): the client must treat the flow as
          failed (OB-3);
  silent  no answer until the next REGISTER arrives, then answers again
          with the true address (a peer that stopped answering).

Every event is one line in LOG, flushed at once (the test's verdict):
  <epoch> REGISTER <src> expires=<Expires> contact=<Contact>
  <epoch> STUN <n> <src> answered=<mapped address or ->
  <epoch> OPTIONS <src>
"""
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


def sip_answer(msg, src, flow_timer):
    lines = msg.split("\r\n")
    method = lines[0].split(" ", 1)[0]
    via = header(msg, "Via", "v")
    # RFC 3581: the client asked for rport.
    via = via.replace(";rport", ";received=%s;rport=%d" % src, 1)
    out = ["SIP/2.0 200 OK" if method in ("REGISTER", "OPTIONS")
           else "SIP/2.0 404 Not Here",
           "Via: " + via,
           "From: " + header(msg, "From", "f"),
           "To: " + header(msg, "To", "t") + ";tag=udpreg1",
           "Call-ID: " + header(msg, "Call-ID", "i"),
           "CSeq: " + header(msg, "CSeq")]
    if method == "REGISTER":
        contact = header(msg, "Contact", "m")
        if contact and header(msg, "Expires") != "0":
            out.append("Contact: %s;expires=3600" % contact)
        out += ["Require: outbound", "Flow-Timer: %d" % flow_timer]
    out += ["Content-Length: 0", "", ""]
    return method, "\r\n".join(out).encode()


def main():
    ip, port, flow_timer, mode, after, log = sys.argv[1:7]
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
        if method == "REGISTER":
            out.write("%s REGISTER %s:%d expires=%s contact=%s\n" % (
                now, src[0], src[1], header(msg, "Expires"),
                header(msg, "Contact", "m")))
            if silent:  # a new flow: answer STUN again (mode silent)
                silent = False
                after = n + 1000000
        elif method != "ACK":
            out.write("%s %s %s:%d\n" % (now, method, src[0], src[1]))
        if method != "ACK":
            s.sendto(answer, src)


if __name__ == "__main__":
    main()
