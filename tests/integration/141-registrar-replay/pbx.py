#!/usr/bin/env python3
"""pbx.py TRUNKD_HOST:PORT USER PASSWORD STATE [--after-restart]

A [pbx] with a username (127.0.0.2:5070, UDP) calling through trunkd:
its INVITEs are challenged with 407 (Proxy-Authenticate, trunk/
registrar.c, the same nonces and checks as a phone's 401). Each step
prints what it sent and got; the exit status is 0 only when every step
got what it must. Every non-2xx final answer is ACKed (its transaction's
branch), and answers are matched to their INVITE by Via branch:

 P1. INVITE without credentials: 407, qop="auth", a nonce N;
 P2. a nonce trunkd never issued, of its form (a signature that is not
     trunkd's) and of another server's, each with the digest right for
     it: 407 with stale=true and a new nonce (RFC 7616 3.3), never the
     call; the same nonces with a wrong password: 403 (a [pbx]'s wrong
     digest is refused, not challenged again);
 P3. the digest on N: admitted (the call routed: any answer but 401, 403
     or 407; the call is then CANCELled if it is not final yet).
Then the realm and N go to the file STATE. With --after-restart (trunkd
was restarted: a new secret), from STATE:
 P4. the next count on N, the digest right: 407 stale=true, a new nonce M;
 P5. a wrong password on N: 403;
 P6. the digest on M: admitted.
"""
import hashlib
import re
import socket
import sys
import time

TRUNKD = sys.argv[1]
USER, PASSWORD = sys.argv[2], sys.argv[3]
STATE = sys.argv[4]
AFTER_RESTART = sys.argv[5:] == ['--after-restart']
HOST, PORT = TRUNKD.rsplit(':', 1)
PORT = int(PORT)
IP, SPORT = '127.0.0.2', 5070
RURI = 'sip:+15550100001@%s:%d' % (HOST, PORT)
SDP = ('v=0\r\no=pbx 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n'
       't=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n')

failures = []
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((IP, SPORT))
sock.settimeout(5)
n = 0


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def header(text, name):
    m = re.search(r'^%s:\s*(.*)$' % name, text, re.M | re.I)
    return m.group(1).strip() if m else ''


def params(h):
    return dict((k.lower(), a or b) for k, a, b in
                re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', h))


def digest(realm, nonce, nc, cnonce='c0ffee', password=PASSWORD):
    ha1 = md5('%s:%s:%s' % (USER, realm, password))
    ha2 = md5('INVITE:%s' % RURI)
    resp = md5(':'.join([ha1, nonce, nc, cnonce, 'auth', ha2]))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s"' %
            (USER, realm, nonce, RURI, resp, nc, cnonce))


def send(lines):
    sock.sendto('\r\n'.join(lines).encode(), (HOST, PORT))


def invite(auth=None):
    """One INVITE (its own Call-ID); its first final answer (status, text),
    or (100, text) when trunkd admitted it and is still working on it
    (then CANCELled). Non-2xx finals are ACKed."""
    global n
    n += 1
    branch, tag = 'z9hG4bK-pbx141-%d' % n, 'pbx141-%d' % n
    call_id = 'pbx141-%d@%s' % (n, IP)
    head = [
        'Via: SIP/2.0/UDP %s:%d;branch=%s;rport' % (IP, SPORT, branch),
        'From: <sip:2001@%s>;tag=%s' % (IP, tag),
    ]
    tail = ['Call-ID: %s' % call_id, 'Max-Forwards: 70']
    body = SDP
    lines = (['INVITE %s SIP/2.0' % RURI] + head +
             ['To: <%s>' % RURI] + tail +
             ['CSeq: 1 INVITE', 'Contact: <sip:2001@%s:%d>' % (IP, SPORT)])
    if auth:
        lines.append('Proxy-Authorization: ' + auth)
    lines += ['Content-Type: application/sdp',
              'Content-Length: %d' % len(body), '', body]
    send(lines)
    provisional = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            break
        text = data.decode(errors='replace')
        if not text.startswith('SIP/2.0 ') or branch not in header(text, 'Via'):
            continue  # another transaction's (a retransmission)
        status = int(text.split(' ', 2)[1])
        if status < 200:  # admitted: a final may follow soon, or not
            provisional = text
            deadline = min(deadline, time.monotonic() + 1.5)
            continue
        if status >= 300:
            send(['ACK %s SIP/2.0' % RURI] + head +
                 ['To: %s' % header(text, 'To')] + tail +
                 ['CSeq: 1 ACK', 'Content-Length: 0', '', ''])
        return status, text
    if provisional is None:
        return 0, ''
    # Admitted and still routed: give it up.
    send(['CANCEL %s SIP/2.0' % RURI] + head + ['To: <%s>' % RURI] + tail +
         ['CSeq: 1 CANCEL', 'Content-Length: 0', '', ''])
    return 100, provisional


def expect(step, got, want, text, stale=None):
    ok = got == want
    ch = params(header(text, 'Proxy-Authenticate')) if got == 407 else {}
    if ok and stale is not None:
        ok = (ch.get('stale', '').lower() == 'true') == stale
    print('%s: %d (want %d%s)%s' % (
        step, got, want,
        '' if stale is None else ', stale=%s' % ('true' if stale else 'absent'),
        '' if ok else '  <-- WRONG'))
    if not ok:
        failures.append(step)
    return ch


def admitted(step, got):
    ok = got not in (0, 401, 403, 407)
    print('%s: %d (want the call admitted: not 401, 403, 407)%s' % (
        step, got, '' if ok else '  <-- WRONG'))
    if not ok:
        failures.append(step)


def new_nonce(step, ch, old):
    if not ch.get('nonce') or ch.get('nonce') == old:
        failures.append(step + ' new nonce')
        print('%s: the challenge has no new nonce: %r' % (step, ch))
    return ch.get('nonce', '')


if AFTER_RESTART:
    with open(STATE) as f:
        realm, nonce = f.read().split()
    st, text = invite(digest(realm, nonce, '00000002', cnonce='beef02'))
    ch = expect('P4. nonce of the run before, digest right', st, 407, text,
                stale=True)
    m_nonce = new_nonce('P4.', ch, nonce)
    st, text = invite(digest(realm, nonce, '00000003', password='wrong'))
    expect('P5. nonce of the run before, wrong password', st, 403, text)
    st, text = invite(digest(realm, m_nonce, '00000001', cnonce='beef03'))
    admitted('P6. the new nonce', st)
    sys.exit(1 if failures else 0)

st, text = invite()
ch = expect('P1. no credentials', st, 407, text)
realm, nonce = ch.get('realm', ''), ch.get('nonce', '')
if 'auth' not in ch.get('qop', ''):
    failures.append('P1. qop="auth" offered')
    print('P1. qop="auth" not offered: %r' % ch)
for what, foreign in (
        ("trunkd's form", nonce.rsplit('.', 1)[0] + '.' + '0' * 32),
        ("another server's form", 'b1d4c0de5eed')):
    st, text = invite(digest(realm, foreign, '00000001'))
    ch = expect('P2. nonce never issued (%s), digest right' % what, st, 407,
                text, stale=True)
    new_nonce('P2.', ch, foreign)
    st, text = invite(digest(realm, foreign, '00000002', password='wrong'))
    expect('P2. nonce never issued (%s), wrong password' % what, st, 403,
           text)
st, text = invite(digest(realm, nonce, '00000001'))
admitted('P3. digest on N', st)
with open(STATE, 'w') as f:
    f.write('%s %s\n' % (realm, nonce))
sys.exit(1 if failures else 0)
