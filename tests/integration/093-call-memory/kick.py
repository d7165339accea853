#!/usr/bin/env python3
"""kick.py HOST PORT CALL_ID: send an OPTIONS in the SIPp call CALL_ID (it
matches calls by Call-ID) over UDP from 127.0.0.1. 093-call-memory uses it
to tell the PBX scenario that trunkd has settled; the scenario does not
answer it (SIPp would send the answer to its call's peer, trunkd), the
test sees the PBX go on instead."""
import socket
import sys

host, port, call_id = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
me = "127.0.0.1:%d" % s.getsockname()[1]
msg = ("OPTIONS sip:pbx@%s:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP %s;branch=z9hG4bK-kick-%s\r\n"
       "From: <sip:test@127.0.0.1>;tag=kick\r\n"
       "To: <sip:pbx@%s>\r\n"
       "Call-ID: %s\r\n"
       "CSeq: 1 OPTIONS\r\n"
       "Max-Forwards: 70\r\n"
       "Content-Length: 0\r\n\r\n"
       % (host, port, me, me.replace(":", "-"), host, call_id))
s.sendto(msg.encode(), (host, port))
