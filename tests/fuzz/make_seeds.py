#!/usr/bin/env python3
"""Regenerate the seed corpora of the fuzz targets (docs/testing.md
"Fuzzing") from the messages the tests already use:

  sipmsg/corpus/  the RFC 4475 torture cases of tests/integration/
                  117-torture (expanded as torture.py does), and every
                  message SIPp sends in the integration scenarios
                  (tests/integration/*/*.xml, [fields] filled in);
  sdp/corpus/     the SDP bodies of those messages, as offer/answer
                  pairs with the flags of fuzz_sdp.c, and multipart
                  bodies;
  config/corpus/  config/trunkd.conf, config/examples/, the integration
                  tests' trunkd configs and the bad configs of 002.

Seeds named reg-* are regression inputs written by hand for defects the
fuzzers found; this script never touches them. Usage:
    tests/fuzz/make_seeds.py        (from anywhere)
"""
import glob
import hashlib
import importlib.util
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FUZZ = os.path.join(ROOT, "tests", "fuzz")
IT = os.path.join(ROOT, "tests", "integration")

SIPP = {
    "local_ip": "192.0.2.20", "local_port": "5070", "remote_ip":
    "192.0.2.10", "remote_port": "5060", "transport": "UDP",
    "media_ip": "192.0.2.20", "media_port": "6000", "local_ip_type": "4",
    "media_ip_type": "4", "call_number": "1", "pid": "4242",
    "call_id": "1-4242@192.0.2.20", "branch": "z9hG4bK-4242-1-0",
    "service": "2125550100", "next_url": "sip:trunkd@192.0.2.10:5060",
    "cseq": "1", "last_cseq_number": "1", "user": "201",
    "peer_tag_param": ";tag=1", "routes": "", "authentication": "",
    "contact_port": "5070", "caller": "201", "target": "202",
    "pbx": "192.0.2.20", "replaces": "",
}


def write(corpus, name, data):
    d = os.path.join(FUZZ, corpus, "corpus")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def clear(corpus):
    for p in glob.glob(os.path.join(FUZZ, corpus, "corpus", "*")):
        if not os.path.basename(p).startswith("reg-"):
            os.remove(p)


def torture_messages():
    spec = importlib.util.spec_from_file_location(
        "torture", os.path.join(IT, "117-torture", "torture.py"))
    torture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(torture)
    values = {"TRUNKD": "198.51.100.10:5080", "HOST": "198.51.100.10",
              "PORT": "5080", "SELF": "198.51.100.20:5060",
              "IP": "198.51.100.20", "TP": "UDP", "tp": "udp",
              "CALLEE": "+12125550200", "ID": "seed"}
    for path in sorted(glob.glob(os.path.join(IT, "117-torture", "cases",
                                              "*.sip"))):
        _, template = torture.load_case(path)
        yield os.path.basename(path)[:-4], torture.expand(template, values)


def sipp_fill(text):
    text = re.sub(r"\[([a-z_]+)\]",
                  lambda m: SIPP.get(m.group(1), m.group(0)), text)
    text = text.strip("\n").replace("\r\n", "\n")
    lines = [l.strip() for l in text.split("\n")]
    if "" in lines:
        i = lines.index("")
        head, body = lines[:i], "\r\n".join(lines[i + 1:])
        if body:
            body += "\r\n"
    else:
        head, body = lines, ""
    msg = "\r\n".join(head) + "\r\n\r\n" + body
    return msg.replace("[len]", str(len(body.encode()))).encode()


def sipp_messages():
    seen = set()
    for path in sorted(glob.glob(os.path.join(IT, "*", "*.xml")) +
                       glob.glob(os.path.join(IT, "*", "*.xml.in"))):
        text = open(path, encoding="utf-8", errors="replace").read()
        for m in re.finditer(r"<send[^>]*>\s*<!\[CDATA\[(.*?)\]\]>", text,
                             re.S):
            msg = sipp_fill(m.group(1))
            key = hashlib.sha1(msg).hexdigest()[:12]
            if key in seen or len(msg) < 40:
                continue
            seen.add(key)
            test = os.path.basename(os.path.dirname(path))[:3]
            first = msg.split(b" ", 1)[0].decode("ascii", "replace")
            first = re.sub(r"[^A-Za-z0-9]", "", first)[:10] or "msg"
            yield "sipp-%s-%s-%s" % (test, first, key), msg


def sdp_of(msg):
    head, _, body = msg.partition(b"\r\n\r\n")
    if b"v=0" in body[:8] and b"m=" in body:
        return body
    return None


def main():
    for c in ("sipmsg", "sdp", "config"):
        clear(c)
    sdps = []
    for name, msg in list(torture_messages()) + list(sipp_messages()):
        write("sipmsg", name, msg)
        s = sdp_of(msg)
        if s and s not in sdps:
            sdps.append(s)
    # Offer/answer pairs: each SDP as an offer answered by the next,
    # flags cycling through address family, codec lists, shape mode and
    # the repeated offer (fuzz_sdp.c).
    for i, offer in enumerate(sdps):
        answer = sdps[(i + 1) % len(sdps)]
        write("sdp", "pair-%03d" % i, bytes([(i * 7) % 32]) + offer +
              b"\0" + answer)
    for i, mp in enumerate(m for _, m in torture_messages()
                           if b"multipart/" in m.split(b"\r\n\r\n")[0]):
        head, _, body = mp.partition(b"\r\n\r\n")
        ct = re.search(rb"(?im)^(?:content-type|c)\s*:\s*(.*?)\r?$", head)
        if ct:
            write("sdp", "multipart-%02d" % i, b"\x00" + body + b"\0" +
                  sdps[0] + b"\0" + ct.group(1))
    confs = [os.path.join(ROOT, "config", "trunkd.conf")]
    confs += sorted(glob.glob(os.path.join(ROOT, "config", "examples",
                                           "*.conf")))
    confs += sorted(glob.glob(os.path.join(IT, "*", "*.conf")))
    confs += sorted(glob.glob(os.path.join(IT, "*", "*.conf.in")))
    seen = set()
    for path in confs:
        data = open(path, "rb").read()
        if data in seen:
            continue
        seen.add(data)
        rel = os.path.relpath(path, ROOT).replace("/", "_")
        write("config", rel, data)
        # The same file with its secrets marked (fuzz_config.c checks
        # that no error shows FUZZ_SECRET).
        marked = re.sub(rb"(?m)^(\s*(?:password|tls_key_passphrase)\s*=\s*)"
                        rb"(.*)$", rb"\1FUZZ_SECRET-\2", data)
        if marked != data:
            write("config", "secret-" + rel, marked)


if __name__ == "__main__":
    main()
