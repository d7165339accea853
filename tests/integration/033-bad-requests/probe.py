"""Send malformed and unexpected requests to trunkd over UDP and check the
answers on the wire. Usage: probe.py PORT. Exit 0 when all hold."""
import socket
import sys

PORT = int(sys.argv[1])
failures = []


def request(text, expect, must_contain=None, name=""):
    """Send one datagram; expect a final status (or None: no answer)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2.0)
    lport = s.getsockname()[1]
    s.sendto(text.replace("@LPORT@", str(lport)).encode(), ("127.0.0.1", PORT))
    status = None
    reply = ""
    try:
        while True:  # skip provisional answers
            reply = s.recv(65535).decode(errors="replace")
            status = int(reply.split(" ", 2)[1])
            if status >= 200:
                break
    except socket.timeout:
        pass
    s.close()
    ok = status == expect and (not must_contain or must_contain in reply)
    print("%-28s expected %s, got %s%s" % (name, expect, status,
                                           "" if ok else "  <-- FAIL"))
    if not ok:
        failures.append(name)
        print(reply)


def msg(method, extra="", to_tag=False, call_id=True):
    lines = [
        "%s sip:+15550100001@127.0.0.1:%d SIP/2.0" % (method, PORT),
        "Via: SIP/2.0/UDP 127.0.0.1:@LPORT@;branch=z9hG4bK-%s-%d" % (method, id(extra)),
        "Max-Forwards: 70",
        "From: <sip:2000@127.0.0.1>;tag=probe",
        "To: <sip:+15550100001@127.0.0.1>" + (";tag=nosuchdialog" if to_tag else ""),
    ]
    if call_id:
        lines.append("Call-ID: probe-%s-%d@127.0.0.1" % (method, id(extra)))
    lines += ["CSeq: 1 %s" % method, "Contact: <sip:2000@127.0.0.1:@LPORT@>"]
    if extra:
        lines.append(extra)
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines)


# RFC 3261 12.2.2: a request inside a dialog that does not exist.
request(msg("BYE", to_tag=True), 481, name="BYE, unknown dialog")
request(msg("INVITE", to_tag=True), 481, name="re-INVITE, unknown dialog")
# RFC 3261 8.2.2.3: an extension we do not support in Require.
request(msg("INVITE", "Require: foo-ext"), 420, "Unsupported: foo-ext",
        name="Require: foo-ext")
# RFC 3261 8.1.1: mandatory header missing.
request(msg("INVITE", call_id=False), 400, name="INVITE without Call-ID")
# Not SIP at all: dropped, no answer, no crash.
request("hello there\r\n\r\n", None, name="garbage datagram")
request("INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n", None,
        name="unparsable INVITE")
# Still alive and well.
request(msg("OPTIONS"), 200, name="OPTIONS afterwards")

sys.exit(1 if failures else 0)
