"""Requests a UAS must refuse before anything else (RFC 3261 8.2.2, 18.3),
sent over UDP from the PBX's address (127.0.0.2) of ../peers/calls.conf
to trunkd's enterprise side, with the answers checked on the wire.
Usage: probe.py PORT. Exit 0 when all hold. No carrier listens: a request
that passes the checks gets trunkd's 100 and then 503 (SP-SSE down)."""
import socket
import sys

PORT = int(sys.argv[1])
failures = []


def send(text, wait=3.0):
    """One datagram from a fresh port; every answer's status line."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.2", 0))
    s.settimeout(wait)
    lport = s.getsockname()[1]
    s.sendto(text.replace("@LPORT@", str(lport)).encode(), ("127.0.0.1", PORT))
    answers = []
    try:
        while True:
            reply = s.recv(65535).decode(errors="replace")
            answers.append(reply)
            if int(reply.split(" ", 2)[1]) >= 200:
                break
    except socket.timeout:
        pass
    s.close()
    return answers


def check(name, text, final, first=None, contains=None):
    answers = send(text)
    codes = [int(a.split(" ", 2)[1]) for a in answers]
    ok = bool(codes) and codes[-1] == final
    ok = ok and (first is None or codes[0] == first)
    ok = ok and (contains is None or contains in answers[-1])
    print("%-36s expected %s%s, got %s%s" % (
        name, "%s then " % first if first else "", final, codes,
        "" if ok else "  <-- FAIL"))
    if not ok:
        failures.append(name)
        print(answers[-1] if answers else "(no answer)")


def msg(method="INVITE", ruri=None, extra="", branch="b1", cid="c1",
        cseq=None, body="", length=None):
    lines = [
        "%s %s SIP/2.0" % (method, ruri or
                           "sip:+15550100001@127.0.0.1:%d" % PORT),
        "Via: SIP/2.0/UDP 127.0.0.2:@LPORT@;branch=z9hG4bK-%s" % branch,
        "Max-Forwards: 70",
        "From: <sip:2001@127.0.0.2>;tag=probe",
        "To: <sip:+15550100001@127.0.0.1>",
        "Call-ID: probe-%s@127.0.0.2" % cid,
        "CSeq: %s" % (cseq or "1 " + method),
        "Contact: <sip:2001@127.0.0.2:@LPORT@>",
    ]
    if extra:
        lines.append(extra)
    lines += ["Content-Length: %d" % (len(body) if length is None else length),
              "", body]
    return "\r\n".join(lines)


# RFC 3261 8.2.2.1: a scheme we cannot route: 416, for INVITE and OPTIONS.
check("INVITE tel: R-URI", msg(ruri="tel:+15550100001", cid="tel"), 416,
      contains="Unsupported URI Scheme")
check("INVITE mailto: R-URI", msg(ruri="mailto:a@example.com", cid="mail"),
      416)
check("OPTIONS tel: R-URI", msg("OPTIONS", ruri="tel:+15550100001",
                                cid="otel"), 416)
# RFC 3261 8.2.2.2: the same request again by another path (other branch):
# 482 Loop Detected / merged, the first one is handled as usual.
check("INVITE (first copy)", msg(cid="merge", branch="m1"), 503, first=100)
check("INVITE (merged copy)", msg(cid="merge", branch="m2"), 482)
# RFC 3261 16.3/8.2: Max-Forwards 0: 483; an unparsable one: 400.
check("Max-Forwards: 0", msg(cid="mf0").replace("Max-Forwards: 70",
                                               "Max-Forwards: 0"), 483)
check("Max-Forwards: abc", msg(cid="mfabc").replace("Max-Forwards: 70",
                                                    "Max-Forwards: abc"),
      400, contains="Bad Max-Forwards Header")
# RFC 3261 18.3: a UDP body shorter than its Content-Length: 400.
check("Content-Length 500, no body",
      msg(cid="cl", extra="Content-Type: application/sdp", length=500), 400)
# RFC 3261 8.1.1.5: CSeq method other than the request's: 400.
check("CSeq method mismatch", msg(cid="cseq", cseq="1 BYE"), 400)
# An SDP that cannot be parsed: 488, nothing reaches the carrier (no 100
# first: trunkd sends its 100 Trying once the INVITE toward the carrier is
# out, and this one never gets that far).
check("unparsable SDP", msg(cid="sdp", extra="Content-Type: application/sdp",
                            body="garbage"), 488)
# Extensions we implement are no longer refused (RFC 3262, RFC 4028);
# unknown ones still are (RFC 3261 8.2.2.3).
check("Require: 100rel", msg(cid="r100", extra="Require: 100rel"), 503,
      first=100)
check("Require: timer", msg(cid="rtimer", extra="Require: timer\r\n"
                            "Session-Expires: 1800"), 503, first=100)
check("Require: foo-ext", msg(cid="rfoo", extra="Require: foo-ext"), 420,
      contains="Unsupported: foo-ext")
check("OPTIONS afterwards", msg("OPTIONS", cid="alive"), 200,
      contains="Supported: 100rel, timer")

sys.exit(1 if failures else 0)
