#!/usr/bin/env python3
"""Turn a `trunkctl --json dialplan test` answer into sipp_expect.py uas
arguments: the INVITE the callee must receive is exactly the one the test
printed (R-URI, To, From up to its tag, every header it lists, and none of
the identity headers it does not list). The Geolocation cid is made per
call, so its 16 hex digits match any. One argument per line."""
import json
import re
import sys

j = json.loads(sys.stdin.read())


def esc(v):
    """v as a POSIX extended regexp matching exactly v (cid: any hex)."""
    out = re.sub(r"([.\[\]{}()\\*+?^$|])", r"\\\1", v)
    return re.sub(r"location-[0-9a-f]{16}", "location-[0-9a-f]{16}", out)


args = ["--ruri", esc(j["request_uri"]),
        "--hdr", "To", esc(j["to_header"]),
        "--hdr", "From", esc(j["from"]) + ";tag=[^;]+"]
names = set()
for h in j["headers"]:
    args += ["--hdr", h["name"], esc(h["value"])]
    names.add(h["name"].lower())
for n in ("P-Asserted-Identity", "Privacy", "P-Preferred-Identity",
          "Geolocation", "Geolocation-Routing", "History-Info"):
    if n.lower() not in names:
        args += ["--absent", n]
print("\n".join(args))
