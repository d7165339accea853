#!/usr/bin/env python3
"""slow_sse.py IP PORT GO LOG

A slow SP-SSE over UDP on IP:PORT: it takes trunkd's INVITE and answers
nothing until the file GO exists (bounded: 30 s), then 200 OK (its own
To-tag, Contact sip:sse1@IP:PORT, SDP), sent again every 500 ms until
the ACK. trunkd, which left that INVITE behind, must ACK and BYE it; the
BYE (Request-URI the Contact, our To-tag) gets 407 Proxy Authentication
Required, and then nothing may come for 1.5 s: a BYE with a new branch
(the BYE sent again with credentials) fails; a retransmission of the
first (its branch) gets the 407 again. Every message is written to LOG.
Exit 0 when all held; 1 with the reason on stderr.
"""
import os
import re
import socket
import sys
import time

IP, PORT, GO, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
TAG = 'sse1-%d' % os.getpid()
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((IP, PORT))
log = open(LOG, 'w')


def fail(why):
    sys.stderr.write('FAIL: %s\n' % why)
    log.write('FAIL: %s\n' % why)
    sys.exit(1)


def recv(until):
    """The next message before the monotonic time until: (text, addr),
    or (None, None)."""
    left = until - time.monotonic()
    if left <= 0:
        return None, None
    sock.settimeout(left)
    try:
        data, addr = sock.recvfrom(65535)
    except socket.timeout:
        return None, None
    text = data.decode('latin-1')
    log.write('--- %.3f received from %s:%d\n%s\n' %
              (time.monotonic(), addr[0], addr[1], text))
    log.flush()
    return text, addr


def send(text, addr):
    log.write('--- %.3f sent to %s:%d\n%s\n' %
              (time.monotonic(), addr[0], addr[1], text))
    log.flush()
    sock.sendto(text.encode('latin-1'), addr)


def headers(text, name):
    return re.findall(r'^%s:\s*(.*?)\r?$' % name, text, re.M | re.I)


def method(text):
    return text.split(' ', 1)[0]


def branch(text):
    m = re.search(r'branch=([^;,\s]+)', headers(text, 'Via')[0])
    return m.group(1) if m else ''


def response(req, status, extra=(), to_tag=True, body=''):
    to = headers(req, 'To')[0]
    if to_tag and 'tag=' not in to:
        to += ';tag=' + TAG
    lines = ['SIP/2.0 ' + status]
    lines += ['Via: ' + v for v in headers(req, 'Via')]
    lines += ['From: ' + headers(req, 'From')[0], 'To: ' + to,
              'Call-ID: ' + headers(req, 'Call-ID')[0],
              'CSeq: ' + headers(req, 'CSeq')[0]]
    lines += list(extra)
    lines += ['Content-Length: %d' % len(body), '', body]
    return '\r\n'.join(lines)


SDP = ('v=0\r\no=sse1 1 1 IN IP4 198.51.100.30\r\ns=-\r\n'
       'c=IN IP4 198.51.100.30\r\nt=0 0\r\nm=audio 42000 RTP/AVP 0\r\n'
       'a=rtpmap:0 PCMU/8000\r\n')

# The INVITE; its retransmissions are absorbed until GO.
invite, peer = recv(time.monotonic() + 20)
if not invite or method(invite) != 'INVITE':
    fail('no INVITE within 20 s: %r' % (invite or '')[:80])
deadline = time.monotonic() + 30
while not os.path.exists(GO):
    if time.monotonic() > deadline:
        fail('%s did not appear within 30 s' % GO)
    text, _ = recv(min(deadline, time.monotonic() + 0.05))
    if text and method(text) != 'INVITE':
        fail('unexpected while holding the INVITE: %s' % text[:80])

# 200 OK, again every 500 ms until the ACK.
ok = response(invite, '200 OK',
              ['Contact: <sip:sse1@%s:%d>' % (IP, PORT),
               'Content-Type: application/sdp'], body=SDP)
send(ok, peer)
deadline, again = time.monotonic() + 10, time.monotonic() + 0.5
while True:
    text, _ = recv(min(deadline, again))
    if time.monotonic() > deadline:
        fail('no ACK of our 200 within 10 s')
    if text is None or method(text) == 'INVITE':
        send(ok, peer)
        again = time.monotonic() + 0.5
        continue
    if method(text) == 'ACK' and ('tag=' + TAG) in headers(text, 'To')[0]:
        break
    fail('unexpected before the ACK: %s' % text[:80])

# The BYE of that dialog: 407.
deadline = time.monotonic() + 10
while True:
    bye, addr = recv(deadline)
    if bye is None:
        fail('no BYE within 10 s of the ACK')
    if method(bye) == 'ACK':
        continue  # our 200 again (a retransmission crossed the ACK)
    if method(bye) != 'BYE':
        fail('unexpected after the ACK: %s' % bye[:80])
    break
if not re.match(r'BYE sip:sse1@%s:%d SIP/2\.0' % (re.escape(IP), PORT), bye):
    fail('the BYE is not to our Contact: %s' % bye.split('\r\n', 1)[0])
if ('tag=' + TAG) not in headers(bye, 'To')[0]:
    fail('the BYE is not in our dialog: To %s' % headers(bye, 'To')[0])
challenge = response(bye, '407 Proxy Authentication Required',
                     ['Proxy-Authenticate: Digest realm="carrier.invalid", '
                      'nonce="gone-%d", algorithm=MD5, qop="auth"' %
                      os.getpid()], to_tag=False)
send(challenge, addr)
first = branch(bye)

# Nothing more: the trunk whose credentials would answer is gone.
deadline = time.monotonic() + 1.5
while True:
    text, addr = recv(deadline)
    if text is None:
        break
    if method(text) == 'BYE' and branch(text) == first:
        send(challenge, addr)  # a retransmission of the first BYE
        continue
    if method(text) == 'ACK':
        continue
    fail('after our 407: %s' % text.split('\r\n', 1)[0] +
         (' (the BYE sent again, with %s)' %
          ('Proxy-Authorization' if headers(text, 'Proxy-Authorization')
           else 'no credentials') if method(text) == 'BYE' else ''))
print('ACK and BYE of the late 200; the 407 to the BYE went unanswered')
