#!/usr/bin/env python3
"""digest_check.py TRACE METHOD HEADER NONCE_PREFIX USER PASSWORD

Verify RFC 2617 digests (qop=auth or none, MD5) in a SIPp message trace
(-trace_msg): every received METHOD request whose HEADER (Authorization or
Proxy-Authorization) answers a nonce starting with NONCE_PREFIX must carry
the response USER/PASSWORD give for its method and uri. Prints how many
verified; exits 1 when none did or any did not (SIPp's verifyauth reads
Authorization only, never Proxy-Authorization).
"""
import hashlib
import re
import sys


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def params(value):
    return {k.lower(): v1 or v2 for k, v1, v2 in
            re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', value)}


def main():
    trace, method, header, prefix, user, password = sys.argv[1:7]
    text = open(trace, encoding='utf-8', errors='replace').read()
    good = bad = 0
    for block in re.split(r'^-{10,}.*$', text, flags=re.M):
        if 'message received' not in block:
            continue
        lines = block.split('\n\n', 1)[1].lstrip('\n').split('\n')
        if not lines[0].startswith(method + ' '):
            continue
        for line in lines[1:]:
            if not line.strip():
                break
            name, _, value = line.partition(':')
            if name.strip().lower() != header.lower():
                continue
            p = params(value)
            if not p.get('nonce', '').startswith(prefix):
                continue
            ha1 = md5('%s:%s:%s' % (user, p.get('realm', ''), password))
            ha2 = md5('%s:%s' % (method, p.get('uri', '')))
            if p.get('qop'):
                want = md5(':'.join([ha1, p['nonce'], p.get('nc', ''),
                                     p.get('cnonce', ''), p['qop'], ha2]))
            else:
                want = md5('%s:%s:%s' % (ha1, p['nonce'], ha2))
            if p.get('username') == user and p.get('response') == want:
                good += 1
            else:
                bad += 1
    print('%s %s nonce %s*: %d verified, %d wrong' %
          (method, header, prefix, good, bad))
    return 0 if good and not bad else 1


sys.exit(main())
