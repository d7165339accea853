#!/usr/bin/env python3
"""162's reader of trunkd's call records and of the wire.

    cdr.py rows DB             every row of table cdr, as JSON (by id)
    cdr.py count DB            how many rows (0 when there is no table)
    cdr.py invite LOG WAY      the first INVITE a SIPp peer received or
                               sent (WAY; its message log): R-URI,
                               Call-ID, From without its tag and the URI
                               in it, as JSON
    cdr.py rtp SRC DST N       N RTP packets from SRC (ip:port) to DST,
                               5 ms apart
    cdr.py lock DB STOP        hold a write lock on DB (BEGIN EXCLUSIVE;
                               prints "locked") until the file STOP exists
                               (at most 60 s)
"""
import json
import os
import re
import socket
import sqlite3
import struct
import sys
import time


def rows(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    con.row_factory = sqlite3.Row
    out = [dict(r) for r in con.execute("SELECT * FROM cdr ORDER BY id")]
    con.close()
    return out


def count(db):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute("SELECT count(*) FROM cdr").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def invite(log, way):
    text = open(log, encoding="latin-1").read()
    for b in text.split("-" * 47 + " "):
        if "message " + way not in b:
            continue
        m = re.search(r"^INVITE (\S+) SIP/2\.0\r?$", b, re.M)
        if not m:
            continue
        cid = re.search(r"^Call-ID:\s*(.+?)\r?$", b, re.M | re.I)
        frm = re.search(r"^From:\s*(.+?)\r?$", b, re.M | re.I)
        return {"ruri": m.group(1), "call_id": cid.group(1),
                "from": re.sub(r";tag=[^;]*", "", frm.group(1)),
                "from_uri": re.search(r"<([^>]*)>", frm.group(1)).group(1)}
    sys.exit("no INVITE %s in %s" % (way, log))


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def rtp(src, dst, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(addr(src))
    for seq in range(n):
        s.sendto(struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x1620) +
                 b"\xff" * 160, addr(dst))
        time.sleep(0.005)
    s.close()


def lock(db, stop):
    con = sqlite3.connect(db, isolation_level=None, timeout=10)
    con.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    deadline = time.time() + 60
    while not os.path.exists(stop) and time.time() < deadline:
        time.sleep(0.05)
    con.execute("COMMIT")
    con.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "rows":
        print(json.dumps(rows(args[0])))
    elif cmd == "count":
        print(count(args[0]))
    elif cmd == "invite":
        print(json.dumps(invite(args[0], args[1])))
    elif cmd == "rtp":
        rtp(args[0], args[1], int(args[2]))
    elif cmd == "lock":
        lock(args[0], args[1])
    else:
        sys.exit("cdr.py: no command %s" % cmd)


main()
