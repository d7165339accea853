#!/usr/bin/env python3
"""phone.py TRUNKD_HOST:PORT USER PASSWORD STATE [--after-restart |
                                                 --across-flood READY GO |
                                                 --pbx | --pbx-after-restart]

A phone registering to trunkd over UDP from 127.0.0.1:5071, and an
attacker on 127.0.0.9:5999 replaying what it captured. Each step prints
what it sent and got; the exit status is 0 only when every step got what
it must:

 1. REGISTER without credentials: 401, qop="auth", a nonce N;
 2. REGISTER with a digest on N, nc=00000001: 200;
 3. the attacker sends that same Authorization (new Via branch and CSeq,
    its own Contact, which no digest covers): 401 with stale=true and a
    new nonce, never 200;
 4. the phone, nc=00000002 on N: 200 (a fresh count on a known nonce);
 5. the attacker replays step 4's Authorization: 401 stale=true;
 6. a digest without qop (RFC 2069) on a new nonce M: 200, and the same
    again (a replay: no count to tell it from a new request): 401
    stale=true;
 7. a nonce trunkd never issued, of its form (a signature that is not
    trunkd's: what a phone holds after trunkd restarted) and of another
    form (another server's), each with the digest right for it: 401 with
    stale=true and a new nonce (RFC 7616 3.3: the phone knows the
    password, only the nonce is useless), never 200; the same nonces
    with a wrong password: 401 without stale=true;
 8. the wrong password on a fresh count of N: 401 without stale=true (a
    forged digest uses up nothing), then the right one with that count:
    200.
Then the realm and N go to the file STATE. With --after-restart (trunkd
was restarted: a new secret, an empty nonce table), from STATE:
 9. the phone's next count on N, the digest right: 401 with stale=true
    and a new nonce M;
10. a wrong password on N: 401 without stale=true;
11. the digest on M: 200.
With --across-flood (test 200), a phone whose answer is slow while
others flood trunkd with REGISTERs that are all challenged:
12. REGISTER without credentials: 401, nonce F; then the file READY is
    made, and the phone waits (up to 60 s) for the file GO (made once
    the flood of more challenges than trunkd's nonce table holds is
    over);
13. the digest on F, nc=00000001: 200 (F was not pushed out: not stale);
14. the next count on F: 200 (a nonce in use keeps its counts).
With --pbx, USER and PASSWORD are a [pbx]'s, which calls from
127.0.0.2:5070 through trunkd: its INVITEs are challenged with 407
(Proxy-Authenticate, the same nonces and checks as a phone's 401). Every
non-2xx final answer is ACKed, answers are matched to their INVITE by Via
branch:
 P1. INVITE without credentials: 407, qop="auth", a nonce N;
 P2. the two nonces never issued of step 7, the digest right for them:
     407 with stale=true and a new nonce, never the call; the same nonces
     with a wrong password: 403 (a [pbx]'s wrong digest is refused);
 P3. the digest on N: admitted (any answer but 401, 403 or 407; a call
     still routed after 1.5 s is CANCELled).
Then the realm and N go to STATE. With --pbx-after-restart, from STATE:
 P4. the next count on N, the digest right: 407 stale=true, a new nonce M;
 P5. a wrong password on N: 403;
 P6. the digest on M: admitted.
"""
import hashlib
import os
import re
import socket
import sys
import time

TRUNKD = sys.argv[1]
USER, PASSWORD = sys.argv[2], sys.argv[3]
STATE = sys.argv[4]
AFTER_RESTART = sys.argv[5:] == ['--after-restart']
ACROSS_FLOOD = sys.argv[5:6] == ['--across-flood']
PBX = sys.argv[5:6] in (['--pbx'], ['--pbx-after-restart'])
HOST, PORT = TRUNKD.rsplit(':', 1)
PORT = int(PORT)


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Peer:
    def __init__(self, ip, port, tag):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        self.sock.settimeout(5)
        self.ip, self.port, self.tag = ip, port, tag
        self.n = 0

    def register(self, contact_user, cseq, auth=None, call_id=None):
        self.n += 1
        lines = [
            'REGISTER sip:%s:%d SIP/2.0' % (HOST, PORT),
            'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%s-%d;rport' %
            (self.ip, self.port, self.tag, self.n),
            'From: <sip:%s@%s>;tag=%s' % (USER, HOST, self.tag),
            'To: <sip:%s@%s>' % (USER, HOST),
            'Call-ID: %s' % (call_id or 'replay-phone@127.0.0.1'),
            'CSeq: %d REGISTER' % cseq,
            'Contact: <sip:%s@%s:%d>' % (contact_user, self.ip, self.port),
            'Expires: 600',
            'Max-Forwards: 70',
        ]
        if auth:
            lines.append('Authorization: ' + auth)
        lines += ['Content-Length: 0', '', '']
        msg = '\r\n'.join(lines)
        self.sock.sendto(msg.encode(), (HOST, PORT))
        while True:
            data, _ = self.sock.recvfrom(65535)
            text = data.decode(errors='replace')
            status = int(text.split(' ', 2)[1])
            if status >= 200:
                return status, text


def header(text, name):
    m = re.search(r'^%s:\s*(.*)$' % name, text, re.M | re.I)
    return m.group(1).strip() if m else ''


def challenge(text):
    h = header(text, 'WWW-Authenticate') or header(text, 'Proxy-Authenticate')
    p = dict((k.lower(), a or b) for k, a, b in
             re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', h))
    return p


def digest(realm, nonce, nc=None, cnonce='c0ffee', password=PASSWORD,
           method='REGISTER', uri='sip:%s:%d' % (HOST, PORT)):
    ha1 = md5('%s:%s:%s' % (USER, realm, password))
    ha2 = md5('%s:%s' % (method, uri))
    if nc:
        resp = md5(':'.join([ha1, nonce, nc, cnonce, 'auth', ha2]))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=MD5, qop=auth, nc=%s, '
                'cnonce="%s"' % (USER, realm, nonce, uri, resp, nc, cnonce))
    resp = md5('%s:%s:%s' % (ha1, nonce, ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=MD5' %
            (USER, realm, nonce, uri, resp))


failures = []


def expect(step, got, want, text, stale=None):
    ok = got == want
    ch = challenge(text) if got in (401, 407) else {}
    if ok and stale is not None:
        ok = (ch.get('stale', '').lower() == 'true') == stale
    print('%s: %d (want %d%s)%s' % (
        step, got, want,
        '' if stale is None else ', stale=%s' % ('true' if stale else 'absent'),
        '' if ok else '  <-- WRONG'))
    if not ok:
        failures.append(step)
    return ch


def after_restart():
    """Steps 9-11, trunkd restarted since N was issued."""
    with open(STATE) as f:
        realm, nonce = f.read().split()
    phone = Peer('127.0.0.1', 5071, 'phone-r')
    st, text = phone.register(USER, 20, digest(realm, nonce, '00000006',
                                               cnonce='beef06'))
    ch = expect('9. nonce of the run before, digest right', st, 401, text,
                stale=True)
    m_nonce = ch.get('nonce', '')
    if not m_nonce or m_nonce == nonce:
        failures.append('9. new nonce')
        print('9. the challenge has no new nonce: %r' % ch)
    st, text = phone.register(USER, 21, digest(realm, nonce, '00000007',
                                               password='wrong'))
    expect('10. nonce of the run before, wrong password', st, 401, text,
           stale=False)
    st, text = phone.register(USER, 22, digest(realm, m_nonce, '00000001',
                                               cnonce='beef07'))
    expect('11. the new nonce', st, 200, text)


def across_flood(ready, go):
    """Steps 12-14: challenged, then answering only after a flood."""
    phone = Peer('127.0.0.1', 5071, 'phone-f')
    st, text = phone.register(USER, 30)
    ch = expect('12. no credentials', st, 401, text)
    realm, nonce = ch.get('realm', ''), ch.get('nonce', '')
    open(ready, 'w').close()
    deadline = time.monotonic() + 60
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            failures.append('12. no flood')
            print('12. %s did not appear within 60 s' % go)
            return
        time.sleep(0.05)
    st, text = phone.register(USER, 31, digest(realm, nonce, '00000001'))
    expect('13. digest after the flood', st, 200, text)
    st, text = phone.register(USER, 32, digest(realm, nonce, '00000002',
                                               cnonce='beef02'))
    expect('14. next count after the flood', st, 200, text)


PBX_IP, PBX_PORT = '127.0.0.2', 5070
PBX_RURI = 'sip:+15550100001@%s:%d' % (HOST, PORT)
PBX_SDP = ('v=0\r\no=pbx 1 1 IN IP4 192.0.2.10\r\ns=-\r\n'
           'c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n'
           'a=rtpmap:0 PCMU/8000\r\n')


class Pbx:
    """The [pbx]'s INVITEs, one Call-ID each."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((PBX_IP, PBX_PORT))
        self.sock.settimeout(5)
        self.n = 0

    def send(self, lines):
        self.sock.sendto('\r\n'.join(lines).encode(), (HOST, PORT))

    def invite(self, auth=None):
        """Its first final answer (status, text), non-2xx ACKed; or
        (100, text) when trunkd admitted it and still routes it 1.5 s
        later (then CANCELled); (0, '') for no answer."""
        self.n += 1
        branch = 'z9hG4bK-pbx141-%d' % self.n
        head = ['Via: SIP/2.0/UDP %s:%d;branch=%s;rport' %
                (PBX_IP, PBX_PORT, branch),
                'From: <sip:2001@%s>;tag=pbx141-%d' % (PBX_IP, self.n)]
        tail = ['Call-ID: pbx141-%d@%s' % (self.n, PBX_IP),
                'Max-Forwards: 70']
        lines = (['INVITE %s SIP/2.0' % PBX_RURI] + head +
                 ['To: <%s>' % PBX_RURI] + tail +
                 ['CSeq: 1 INVITE',
                  'Contact: <sip:2001@%s:%d>' % (PBX_IP, PBX_PORT)])
        if auth:
            lines.append('Proxy-Authorization: ' + auth)
        self.send(lines + ['Content-Type: application/sdp',
                           'Content-Length: %d' % len(PBX_SDP), '', PBX_SDP])
        provisional, deadline = None, time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            text = data.decode(errors='replace')
            if (not text.startswith('SIP/2.0 ') or
                    branch not in header(text, 'Via')):
                continue  # another transaction's (a retransmission)
            status = int(text.split(' ', 2)[1])
            if status < 200:  # admitted: a final may follow soon, or not
                provisional = text
                deadline = min(deadline, time.monotonic() + 1.5)
                continue
            if status >= 300:
                self.send(['ACK %s SIP/2.0' % PBX_RURI] + head +
                          ['To: %s' % header(text, 'To')] + tail +
                          ['CSeq: 1 ACK', 'Content-Length: 0', '', ''])
            return status, text
        if provisional is None:
            return 0, ''
        self.send(['CANCEL %s SIP/2.0' % PBX_RURI] + head +
                  ['To: <%s>' % PBX_RURI] + tail +
                  ['CSeq: 1 CANCEL', 'Content-Length: 0', '', ''])
        return 100, provisional


def pbx_digest(realm, nonce, nc, cnonce='c0ffee', password=PASSWORD):
    return digest(realm, nonce, nc, cnonce, password, 'INVITE', PBX_RURI)


def admitted(step, got):
    ok = got not in (0, 401, 403, 407)
    print('%s: %d (want the call admitted: not 401, 403, 407)%s' % (
        step, got, '' if ok else '  <-- WRONG'))
    if not ok:
        failures.append(step)


def new_nonce(step, ch, old):
    if not ch.get('nonce') or ch.get('nonce') == old:
        failures.append(step + ' new nonce')
        print('%s the challenge has no new nonce: %r' % (step, ch))
    return ch.get('nonce', '')


def pbx_calls():
    """Steps P1-P3."""
    pbx = Pbx()
    st, text = pbx.invite()
    ch = expect('P1. no credentials', st, 407, text)
    realm, nonce = ch.get('realm', ''), ch.get('nonce', '')
    if 'auth' not in ch.get('qop', ''):
        failures.append('P1. qop="auth" offered')
        print('P1. qop="auth" not offered: %r' % ch)
    for what, foreign in (
            ("trunkd's form", nonce.rsplit('.', 1)[0] + '.' + '0' * 32),
            ("another server's form", 'b1d4c0de5eed')):
        st, text = pbx.invite(pbx_digest(realm, foreign, '00000001'))
        ch = expect('P2. nonce never issued (%s), digest right' % what, st,
                    407, text, stale=True)
        new_nonce('P2.', ch, foreign)
        st, text = pbx.invite(pbx_digest(realm, foreign, '00000002',
                                         password='wrong'))
        expect('P2. nonce never issued (%s), wrong password' % what, st,
               403, text)
    st, text = pbx.invite(pbx_digest(realm, nonce, '00000001'))
    admitted('P3. digest on N', st)
    with open(STATE, 'w') as f:
        f.write('%s %s\n' % (realm, nonce))


def pbx_after_restart():
    """Steps P4-P6, trunkd restarted since N was issued."""
    with open(STATE) as f:
        realm, nonce = f.read().split()
    pbx = Pbx()
    st, text = pbx.invite(pbx_digest(realm, nonce, '00000002',
                                     cnonce='beef02'))
    ch = expect('P4. nonce of the run before, digest right', st, 407, text,
                stale=True)
    m_nonce = new_nonce('P4.', ch, nonce)
    st, text = pbx.invite(pbx_digest(realm, nonce, '00000003',
                                     password='wrong'))
    expect('P5. nonce of the run before, wrong password', st, 403, text)
    st, text = pbx.invite(pbx_digest(realm, m_nonce, '00000001',
                                     cnonce='beef03'))
    admitted('P6. the new nonce', st)


if PBX:
    if sys.argv[5] == '--pbx':
        pbx_calls()
    else:
        pbx_after_restart()
    sys.exit(1 if failures else 0)
if AFTER_RESTART:
    after_restart()
    sys.exit(1 if failures else 0)
if ACROSS_FLOOD:
    across_flood(sys.argv[6], sys.argv[7])
    sys.exit(1 if failures else 0)

phone = Peer('127.0.0.1', 5071, 'phone')
mallory = Peer('127.0.0.9', 5999, 'mallory')

st, text = phone.register(USER, 1)
ch = expect('1. no credentials', st, 401, text)
realm, nonce = ch.get('realm', ''), ch.get('nonce', '')
if 'auth' not in ch.get('qop', ''):
    failures.append('1. qop="auth" offered')
    print('1. qop="auth" not offered: %r' % ch)

a1 = digest(realm, nonce, '00000001')
st, text = phone.register(USER, 2, a1)
expect('2. digest nc=00000001', st, 200, text)

st, text = mallory.register('mallory', 3, a1, 'replay-phone@127.0.0.1')
ch = expect('3. replayed by 127.0.0.9', st, 401, text, stale=True)
if ch.get('nonce') == nonce:
    failures.append('3. new nonce')
    print('3. the challenge repeats the old nonce')

a2 = digest(realm, nonce, '00000002', cnonce='beef01')
st, text = phone.register(USER, 4, a2)
expect('4. fresh count nc=00000002', st, 200, text)

st, text = mallory.register('mallory', 5, a2, 'replay-phone@127.0.0.1')
expect('5. replay of nc=00000002', st, 401, text, stale=True)

st, text = phone.register(USER, 6)
ch = expect('6. new challenge', st, 401, text)
m_nonce = ch.get('nonce', '')
a3 = digest(realm, m_nonce)
st, text = phone.register(USER, 7, a3)
expect('6. no qop, first use', st, 200, text)
st, text = mallory.register('mallory', 8, a3, 'replay-phone@127.0.0.1')
expect('6. no qop, replayed', st, 401, text, stale=True)

# Never issued: trunkd's form with a signature not its own (what a
# restart leaves a phone with), and another server's form.
cseq = 9
for what, foreign in (
        ("trunkd's form", nonce.rsplit('.', 1)[0] + '.' + '0' * 32),
        ("another server's form", 'b1d4c0de5eed')):
    st, text = phone.register(USER, cseq, digest(realm, foreign, '00000001'))
    ch = expect('7. nonce never issued (%s), digest right' % what, st, 401,
                text, stale=True)
    if not ch.get('nonce') or ch.get('nonce') == foreign:
        failures.append('7. new nonce')
        print('7. the challenge has no new nonce: %r' % ch)
    st, text = phone.register(USER, cseq + 1,
                              digest(realm, foreign, '00000002',
                                     password='wrong'))
    expect('7. nonce never issued (%s), wrong password' % what, st, 401,
           text, stale=False)
    cseq += 2

st, text = phone.register(USER, 13, digest(realm, nonce, '00000005',
                                          password='wrong'))
expect('8. wrong password', st, 401, text, stale=False)
st, text = phone.register(USER, 14, digest(realm, nonce, '00000005'))
expect('8. right password, same count', st, 200, text)

with open(STATE, 'w') as f:
    f.write('%s %s\n' % (realm, nonce))

sys.exit(1 if failures else 0)
