#!/usr/bin/env python3
"""A control-socket client that connects, sends half a command (no newline)
and then only waits: it exits 0 when trunkd closes the connection.
Usage: idle-client.py SOCKET"""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"stat")
print("connected", flush=True)
while s.recv(4096):
    pass
print("closed by trunkd", flush=True)
