#!/usr/bin/env python3
"""A DNS server in front of dnsmasq whose answers can be held (180).

    dns_hold.py IP PORT UPSTREAM_PORT HOLD_FILE LOG [PROBE_CMD...]

UDP queries to IP:PORT are relayed to dnsmasq on IP:UPSTREAM_PORT and its
answers back, unless HOLD_FILE exists: then a query gets no answer at all
(the resolver waits and retries, as behind a dead or slow server). With
PROBE_CMD, the first time a held query (a new DNS id) arrives, PROBE_CMD
runs (a SIPp OPTIONS to trunkd) and must end within 4 s: a SIP request
answered while trunkd's lookup is outstanding. The lookup is: the
resolver's first try waits 2 s, its second 4 s (resolv.conf timeout:2
attempts:2), so the query stays unanswered at least 6 s after it came.

LOG lines, flushed at once:
  <epoch> held <id> <type> <name> try=<n>
  <epoch> answered <id> <type> <name>
  <epoch> probe <id> ok <ms> | probe <id> failed <exit status or timeout>
"""
import os
import socket
import struct
import subprocess
import sys
import time

TYPES = {1: "A", 28: "AAAA", 33: "SRV", 35: "NAPTR"}


def question(pkt):
    """(id, type name, qname) of a query."""
    qid = struct.unpack("!H", pkt[:2])[0]
    i, labels = 12, []
    while i < len(pkt) and pkt[i]:
        labels.append(pkt[i + 1:i + 1 + pkt[i]].decode("latin-1"))
        i += 1 + pkt[i]
    qtype = struct.unpack("!H", pkt[i + 1:i + 3])[0] if i + 3 <= len(pkt) \
        else 0
    return qid, TYPES.get(qtype, str(qtype)), ".".join(labels)


def main():
    ip, port, up, hold, log = sys.argv[1], int(sys.argv[2]), \
        int(sys.argv[3]), sys.argv[4], sys.argv[5]
    probe = sys.argv[6:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    out = open(log, "a", buffering=1)
    tries = {}
    while True:
        pkt, src = s.recvfrom(65535)
        if len(pkt) < 12:
            continue
        qid, qtype, name = question(pkt)
        now = "%.6f" % time.time()
        if os.path.exists(hold):
            tries[qid] = tries.get(qid, 0) + 1
            out.write("%s held %d %s %s try=%d\n" % (now, qid, qtype, name,
                                                    tries[qid]))
            if probe and tries[qid] == 1:
                t0 = time.monotonic()
                try:
                    rc = subprocess.run(probe, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL,
                                        timeout=4).returncode
                except subprocess.TimeoutExpired:
                    rc = "timeout"
                ms = (time.monotonic() - t0) * 1000
                out.write("%.6f probe %d %s\n" % (
                    time.time(), qid,
                    "ok %d" % ms if rc == 0 else "failed %s" % rc))
            continue
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(2)
        try:
            u.sendto(pkt, (ip, up))
            s.sendto(u.recv(65535), src)
            out.write("%s answered %d %s %s\n" % (now, qid, qtype, name))
        except OSError as e:
            out.write("%s lost %d %s %s (%s)\n" % (now, qid, qtype, name, e))
        finally:
            u.close()


if __name__ == "__main__":
    main()
