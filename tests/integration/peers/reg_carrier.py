#!/usr/bin/env python3
"""A scripted SIP registrar over TCP (tests 083, 085): answers the Nth REGISTER
as the Nth word of ACTIONS says, the way SIPp cannot (bytes that are not
SIP on the stream, a response cut off by closing the connection):

  garbage   bytes that are not SIP, the connection left open
  cut       the first 60 bytes of a 200, then the connection closed
  ok        200 with our Contact (expires=EXPIRES)
  ok-close  the same 200, then the connection closed
  480       480 Temporarily Unavailable
  silent    no answer at all, the connection left open

REGISTERs beyond ACTIONS are answered 200. Each REGISTER and connection
is logged to LOG as "time conn-id event [cseq expires]".

usage: reg_carrier.py PORT LOG EXPIRES ACTION[,ACTION...]
"""
import re
import socket
import sys
import threading
import time

port, log_path, expires = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
actions = sys.argv[4].split(",")
lock = threading.Lock()
count = [0]


def log(line):
    with lock, open(log_path, "a") as f:
        f.write("%.6f %s\n" % (time.time(), line))


def header(msg, name):
    m = re.search(r"^%s:[ \t]*(.*?)\r$" % name, msg, re.M | re.I)
    return m.group(1) if m else ""


def response(msg, status, contact=True):
    lines = ["SIP/2.0 " + status]
    lines += ["Via: " + v for v in re.findall(r"^Via:[ \t]*(.*?)\r$", msg, re.M)]
    lines += ["From: " + header(msg, "From"),
              "To: " + header(msg, "To") + ";tag=083reg",
              "Call-ID: " + header(msg, "Call-ID"),
              "CSeq: " + header(msg, "CSeq")]
    if contact:
        lines.append("Contact: %s;expires=%d" % (header(msg, "Contact"), expires))
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def serve(conn, cid):
    buf = b""
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                log("%d closed-by-peer" % cid)
                return
            buf += data
            buf = buf.lstrip(b"\r\n")
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                msg = head.decode("latin-1") + "\r\n"
                n = int(header(msg, "Content-Length") or 0)
                body, buf = buf[:n], buf[n:]
                if not msg.startswith("REGISTER "):
                    continue
                with lock:
                    count[0] += 1
                    i = count[0]
                act = actions[i - 1] if i <= len(actions) else "ok"
                log("%d REGISTER %s %s %s" % (cid, header(msg, "CSeq").split()[0],
                                              header(msg, "Expires"), act))
                if act == "silent":
                    pass
                elif act == "garbage":
                    conn.sendall(b"\x00\xff\xfe NOT SIP \x01\x02 garbage ###\r\n\r\n")
                elif act == "cut":
                    conn.sendall(response(msg, "200 OK")[:60])
                    time.sleep(0.05)
                    conn.close()
                    log("%d closed-by-carrier" % cid)
                    return
                elif act == "480":
                    conn.sendall(response(msg, "480 Temporarily Unavailable", False))
                else:
                    conn.sendall(response(msg, "200 OK"))
                    if act == "ok-close":
                        time.sleep(0.05)
                        conn.close()
                        log("%d closed-by-carrier" % cid)
                        return
    except OSError as e:
        log("%d error %s" % (cid, e))


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    cid = 0
    while True:
        conn, _ = s.accept()
        cid += 1
        log("%d accepted" % cid)
        threading.Thread(target=serve, args=(conn, cid), daemon=True).start()


main()
