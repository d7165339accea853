#!/usr/bin/env python3
"""INVITE and 200 added latency of the system under test, from a capture.

tests/bench/calls/run.sh captures (dumpcap -P, classic pcap) the INVITEs and
the 200s on the bench namespace's loopback while a step runs, then

    latency.py CAPTURE --uac PORT --sut-in PORT --uas PORT

pairs, per call, the INVITE entering the system (UAC -> sut-in) with the
INVITE leaving it (-> UAS), and the UAS's 200 to that INVITE (UAS -> system)
with the 200 leaving it (-> UAC). A call is named by its X-Bench header
(SIPp's [call_number]; trunkd relays it through the trunk's pass_headers,
Kamailio relays every header); responses carry no X-Bench, so they are
named through the Call-ID of the INVITE on the same side (trunkd's leg B
has its own Call-ID). Only the first copy of each message counts: a
retransmission is not a new crossing.

On loopback every packet is captured once, when the sender hands it to the
kernel: the delay is from the sender's sendmsg() to the system's own
sendmsg(), i.e. socket queueing plus the system's work.

Output, one line of KEY=VALUE words (times in microseconds):
    invite_n= invite_p50= invite_p99= invite_max= ok_n= ok_p50= ok_p99=
    ok_max= unpaired=
unpaired: INVITEs that entered and never left within the capture, plus 200s
the same (calls cut at the capture's end count here).

`latency.py --self-test` checks the parser and the pairing on a capture it
builds itself.
"""

import argparse
import struct
import sys

LINK_ETHERNET = 1  # Linux loopback: a zeroed Ethernet header
LINK_RAW = 101
LINK_LINUX_SLL = 113


def read_pcap(data):
    """Yield (time_us, src_port, dst_port, udp_payload) of a classic pcap."""
    if len(data) < 24:
        raise ValueError("not a pcap file (too short)")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("not a classic pcap file (pcapng? use dumpcap -P)")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(end + "I", data[20:24])[0]
    skip = {LINK_ETHERNET: 14, LINK_RAW: 0, LINK_LINUX_SLL: 16}.get(link)
    if skip is None:
        raise ValueError("unsupported link type %d" % link)
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        t = sec * 1000000 + (frac // 1000 if nano else frac)
        ip = pkt[skip:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue  # IPv4 UDP only (the bench is on 127.0.0.1)
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        if len(udp) < 8:
            continue
        sport, dport = struct.unpack(">HH", udp[:4])
        yield t, sport, dport, bytes(udp[8:])


def sip_fields(payload):
    """(start line, Call-ID, CSeq method, X-Bench) of a SIP message."""
    head = payload.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    callid = cseq = bench = None
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        value = value.strip()
        if name in ("call-id", "i"):
            callid = value
        elif name == "cseq":
            parts = value.split()
            cseq = parts[1].upper() if len(parts) > 1 else None
        elif name == "x-bench":
            bench = value
    return lines[0], callid, cseq, bench


def percentile(sorted_values, p):
    """Nearest-rank percentile of a sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = -(-len(sorted_values) * p // 100)  # ceil
    return sorted_values[max(rank, 1) - 1]


def pair(packets, uac, sut_in, uas):
    """Added latencies (INVITE list, 200 list, unpaired count).

    packets: (time_us, src_port, dst_port, payload) in capture order.
    uac, uas: the SIPp ports; sut_in: the port the UAC sends to.
    """
    inv_in, inv_out, ok_in, ok_out = {}, {}, {}, {}
    callid_in, callid_out = {}, {}  # Call-ID -> X-Bench, per side
    later = []  # 200s, named once every INVITE is known
    for t, sport, dport, payload in packets:
        start, callid, cseq, bench = sip_fields(payload)
        if start.startswith("INVITE "):
            if bench is None:
                continue
            if sport == uac and dport == sut_in:
                inv_in.setdefault(bench, t)
                callid_in.setdefault(callid, bench)
            elif dport == uas:
                inv_out.setdefault(bench, t)
                callid_out.setdefault(callid, bench)
        elif start.startswith("SIP/2.0 200") and cseq == "INVITE":
            later.append((t, sport, dport, callid))
    for t, sport, dport, callid in later:
        if sport == uas and callid in callid_out:
            ok_in.setdefault(callid_out[callid], t)
        elif dport == uac and callid in callid_in:
            ok_out.setdefault(callid_in[callid], t)
    inv = sorted(inv_out[k] - inv_in[k] for k in inv_in if k in inv_out)
    ok = sorted(ok_out[k] - ok_in[k] for k in ok_in if k in ok_out)
    unpaired = (sum(1 for k in inv_in if k not in inv_out) +
                sum(1 for k in ok_in if k not in ok_out))
    return inv, ok, unpaired


def summary(inv, ok, unpaired):
    words = []
    for name, values in (("invite", inv), ("ok", ok)):
        words.append("%s_n=%d" % (name, len(values)))
        for p in (50, 99):
            v = percentile(values, p)
            words.append("%s_p%d=%s" % (name, p, "-" if v is None else v))
        words.append("%s_max=%s" % (name, values[-1] if values else "-"))
    words.append("unpaired=%d" % unpaired)
    return " ".join(words)


# --------------------------------------------------------------------------
# Self-test: a capture built here, through the parser and the pairing.

def _packet(t_us, sport, dport, text):
    payload = text.replace("\n", "\r\n").encode()
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, b"\x7f\0\0\1", b"\x7f\0\0\1") + udp
    frame = b"\0" * 12 + b"\x08\x00" + ip
    return struct.pack("<IIII", t_us // 1000000, t_us % 1000000, len(frame),
                       len(frame)) + frame


def _msg(start, callid, cseq, bench=None):
    extra = "X-Bench: %s\n" % bench if bench is not None else ""
    return ("%s\nVia: SIP/2.0/UDP 127.0.0.1\nCall-ID: %s\nCSeq: %s\n%s"
            "Content-Length: 0\n\n" % (start, callid, cseq, extra))


def self_test():
    hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    inv = "INVITE sip:x@127.0.0.1 SIP/2.0"
    ok = "SIP/2.0 200 OK"
    base = 1700000000 * 1000000
    pk = [
        # call 1: in at 0, out at +100, 200 in at +1000, out at +1040;
        # the INVITE retransmitted at +500 (ignored), the 200 re-sent.
        _packet(base, 5070, 5060, _msg(inv, "a1", "1 INVITE", 1)),
        _packet(base + 100, 5080, 5090, _msg(inv, "b1", "1 INVITE", 1)),
        _packet(base + 500, 5070, 5060, _msg(inv, "a1", "1 INVITE", 1)),
        _packet(base + 1000, 5090, 5080, _msg(ok, "b1", "1 INVITE")),
        _packet(base + 1040, 5060, 5070, _msg(ok, "a1", "1 INVITE")),
        _packet(base + 1500, 5090, 5080, _msg(ok, "b1", "1 INVITE")),
        # call 2 (compact Call-ID, other case): 300 and 20
        _packet(base + 2000, 5070, 5060, _msg(inv, "a2", "1 INVITE", 2)),
        _packet(base + 2300, 5080, 5090, _msg(inv, "b2", "1 INVITE", 2)),
        _packet(base + 3000, 5090, 5080,
                _msg(ok, "b2", "1 INVITE").replace("Call-ID", "i")),
        _packet(base + 3020, 5060, 5070, _msg(ok, "a2", "1 invite")),
        # a 200 to a BYE and an INVITE without X-Bench: not counted
        _packet(base + 3100, 5090, 5080, _msg(ok, "b2", "2 BYE")),
        _packet(base + 3200, 5070, 5060, _msg(inv, "zz", "1 INVITE")),
        # call 3: never left (unpaired)
        _packet(base + 4000, 5070, 5060, _msg(inv, "a3", "1 INVITE", 3)),
    ]
    data = hdr + b"".join(pk)
    got = pair(read_pcap(data), 5070, 5060, 5090)
    want = ([100, 300], [20, 40], 1)
    assert got == want, "pair: got %r, want %r" % (got, want)
    line = summary(*got)
    want_line = ("invite_n=2 invite_p50=100 invite_p99=300 invite_max=300 "
                 "ok_n=2 ok_p50=20 ok_p99=40 ok_max=40 unpaired=1")
    assert line == want_line, "summary: got %r" % line
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile(list(range(1, 1001)), 50) == 500
    assert summary([], [], 0).startswith("invite_n=0 invite_p50=- ")
    try:
        list(read_pcap(b"\x0a\x0d\x0d\x0a" + b"\0" * 40))
    except ValueError:
        pass
    else:
        raise AssertionError("pcapng accepted")
    print("latency.py self-test: ok")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("capture", nargs="?")
    ap.add_argument("--uac", type=int, default=5070)
    ap.add_argument("--sut-in", type=int, default=5060)
    ap.add_argument("--uas", type=int, default=5090)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        self_test()
        return 0
    if not a.capture:
        ap.error("a capture file is needed")
    try:
        with open(a.capture, "rb") as f:
            data = f.read()
        print(summary(*pair(read_pcap(data), a.uac, a.sut_in, a.uas)))
    except (OSError, ValueError) as e:
        print("latency.py: %s: %s" % (a.capture, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
