#!/usr/bin/env python3
"""Write SIPp scenarios that send or assert exact SIP headers (060-069).

  sipp_expect.py uas OUT [--ruri RE] [--hdr NAME RE]... [--absent NAME]...
                 [--body RE]... [--not-body RE]... [--final CODE]
                 [--contact URI] [--hold MS]
      A UAS for one INVITE. --ruri: the request line must match
      "^INVITE RE SIP/2.0"; --hdr: the header NAME must be present and its
      value (all of its lines, as SIPp joins them) match ^ *RE *$;
      --absent: no header NAME at all; --body: RE must match somewhere in
      the message (e.g. a multipart body); --not-body: RE must not.
      --final 200 (default) answers with SDP and waits for ACK and BYE;
      any other code is a final failure (then ACK), with a Contact when
      --contact URI is given (a 3xx). --hold: 180 Ringing first, then MS
      milliseconds before the final answer (the call can be inspected).
  sipp_expect.py uac OUT [--header "Name: value"]... [--final CODE]
                 [--from FROM] [--ruri URI]
      A UAC calling [service] (-s) with SDP and the extra headers; expects
      the final CODE (200: ACK then BYE; otherwise ACK). --ruri: this
      Request-URI (verbatim; a tel: URI, odd parameters) instead.

Regexps are POSIX extended (SIPp's ereg); values are XML-escaped here.
"""
import argparse
import sys
from xml.sax.saxutils import quoteattr

HEAD = '''<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="%s">
'''

SDP = '''
      v=0
      o=peer 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [auto_media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
'''


HOLD = """  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]uas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="%d"/>
"""


def uas(a):
    checks = []
    if a.ruri:
        checks.append('<ereg regexp=%s search_in="msg" check_it="true" '
                      'assign_to="v0"/>' % quoteattr(
                          "^INVITE %s SIP/2\\.0" % a.ruri))
    n = 1
    for name, rx in a.hdr:
        checks.append('<ereg regexp=%s search_in="hdr" header=%s '
                      'check_it="true" assign_to="v%d"/>' % (
                          # SIPp leaves the name on some headers
                          quoteattr("^ *(%s: *)?%s *$" % (name, rx)),
                          quoteattr(name + ":"),
                          n))
        n += 1
    for name in a.absent:
        checks.append('<ereg regexp="." search_in="hdr" header=%s '
                      'check_it_inverse="true" assign_to="v%d"/>' % (
                          quoteattr(name + ":"), n))
        n += 1
    for rx in a.not_body:
        checks.append('<ereg regexp=%s search_in="msg" '
                      'check_it_inverse="true" assign_to="v%d"/>' % (
                          quoteattr(rx), n))
        n += 1
    for rx in a.body:
        checks.append('<ereg regexp=%s search_in="msg" check_it="true" '
                      'assign_to="v%d"/>' % (quoteattr(rx), n))
        n += 1
    used = " ".join("[$v%d]" % i for i in range(n) if i or a.ruri)
    out = HEAD % "uas asserting headers"
    out += '  <recv request="INVITE">\n    <action>\n'
    out += "".join("      %s\n" % c for c in checks)
    if used:
        out += '      <log message=%s/>\n' % quoteattr(used)
    out += '    </action>\n  </recv>\n'
    if a.hold:
        out += HOLD % a.hold
    if a.final == 200:
        out += '''  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]uas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:uas@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]
%s
    ]]>
  </send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
''' % SDP
    else:
        out += '''  <send>
    <![CDATA[

      SIP/2.0 %d Final
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]uas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
%s      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
''' % (a.final, "      Contact: <%s>\n" % a.contact if a.contact else "")
    return out + '</scenario>\n'


def uac(a):
    # Inside CDATA: verbatim (a "]]>" cannot occur in a SIP header).
    frm = a.sender
    hdrs = "".join("      %s\n" % h for h in a.header)
    out = HEAD % "uac sending headers"
    out += '''  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: %s;tag=[pid]uac[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:uac@[local_ip]:[local_port]>
      Max-Forwards: 70
%s      Content-Type: application/sdp
      Content-Length: [len]
%s
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
''' % (frm, hdrs, SDP)
    if a.final == 200:
        out += '''  <recv response="200" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="peer_to"/>
      <log message="answered: [$peer_to]"/>
    </action>
  </recv>
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: %s;tag=[pid]uac[call_number]
      To: [$peer_to]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: %s;tag=[pid]uac[call_number]
      To: [$peer_to]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
''' % (frm, frm)
    else:
        out += '''  <recv response="%d"/>
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4]
      From: %s;tag=[pid]uac[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
''' % (a.final, frm)
    if a.ruri:  # the INVITE's and the ACK's Request-URI, verbatim
        out = out.replace("INVITE sip:[service]@[remote_ip]:[remote_port] ",
                          "INVITE %s " % a.ruri)
        out = out.replace("ACK sip:[service]@[remote_ip]:[remote_port] ",
                          "ACK %s " % a.ruri)
    return out + '</scenario>\n'


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["uas", "uac"])
    p.add_argument("out")
    p.add_argument("--ruri")
    p.add_argument("--hdr", nargs=2, action="append", default=[],
                   metavar=("NAME", "RE"))
    p.add_argument("--absent", action="append", default=[])
    p.add_argument("--body", action="append", default=[])
    p.add_argument("--not-body", action="append", default=[])
    p.add_argument("--contact")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--from", dest="sender",
                   default='"Desk [caller]" <sip:[caller]@[local_ip]:[local_port]>')
    p.add_argument("--final", type=int, default=200)
    p.add_argument("--hold", type=int, default=0)
    a = p.parse_args()
    text = uas(a) if a.role == "uas" else uac(a)
    with open(a.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
