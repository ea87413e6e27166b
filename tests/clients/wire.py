#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""wire.py KIND HOST PORT [TOS]: one client for the on-the-wire force tests.

KIND is tcp4, tcp6, tcpm (an AF_INET6 socket to a v4-mapped address),
udp4, udp6, udpm (connected UDP), sendto4, sendto6, sendtom (unconnected
UDP: sendto with an address), mptcp4.  TOS, if given, is set with IP_TOS
(and IPV6_TCLASS on AF_INET6) before connect: the application's own value,
whose ECN bits (0x03) a forced DSCP must keep.  Prints what the socket has
afterwards (getsockopt), one line: tos=0x.. tclass=0x.. cc=...
"""
import socket
import sys

kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
tos = int(sys.argv[4], 0) if len(sys.argv) > 4 else None
fam = socket.AF_INET if kind.endswith("4") else socket.AF_INET6
if kind.endswith("m"):
    host = "::ffff:" + host
if kind.startswith("tcp"):
    s = socket.socket(fam, socket.SOCK_STREAM)
elif kind.startswith("mptcp"):
    s = socket.socket(fam, socket.SOCK_STREAM, 262)  # IPPROTO_MPTCP
else:
    s = socket.socket(fam, socket.SOCK_DGRAM)
if tos is not None:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, tos)
addr = (host, port)
if kind.startswith("sendto"):
    for _ in range(3):
        s.sendto(b"x" * 16, addr)
else:
    s.connect(addr)
    if kind.startswith("udp"):
        for _ in range(3):
            s.send(b"x" * 16)
    else:
        s.sendall(b"x" * 16)
out = ["tos=0x%02x" % s.getsockopt(socket.IPPROTO_IP, socket.IP_TOS)]
if fam == socket.AF_INET6:
    out.append("tclass=0x%02x" % s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS))
if not kind.startswith(("udp", "sendto")):
    try:
        out.append("cc=" + s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16)
                   .rstrip(b"\0").decode())
    except OSError as e:
        out.append("cc=errno%d" % e.errno)
print(" ".join(out))
s.close()
