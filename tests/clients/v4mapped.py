#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""An AF_INET6 UDP socket talking IPv4 (v4-mapped) to a receiver on 127.0.0.1.

    v4mapped.py OPTION VALUE

OPTION is IP_TOS, IP_TTL (set at SOL_IP on the AF_INET6 socket: the kernel
takes them for the socket's v4-mapped traffic), IPV6_TCLASS or
IPV6_UNICAST_HOPS.  Sets it after connect(), prints "set=0 get=V" or
"set=-1 errno=NAME", then sends one datagram of PAYLOAD_LEN bytes (so that a
capture can pick it out: IPv4 total length 28 + PAYLOAD_LEN).
"""
import errno
import socket
import sys

PAYLOAD_LEN = 37
OPTS = {
    "IP_TOS": (socket.IPPROTO_IP, socket.IP_TOS),
    "IP_TTL": (socket.IPPROTO_IP, socket.IP_TTL),
    "IPV6_TCLASS": (socket.IPPROTO_IPV6, socket.IPV6_TCLASS),
    "IPV6_UNICAST_HOPS": (socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS),
}


def main():
    level, opt = OPTS[sys.argv[1]]
    val = int(sys.argv[2], 0)
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.connect(("::ffff:127.0.0.1", r.getsockname()[1]))
    try:
        s.setsockopt(level, opt, val)
        print("set=0 get=%d" % s.getsockopt(level, opt))
    except OSError as e:
        print("set=-1 errno=" + errno.errorcode.get(e.errno, str(e.errno)))
    s.send(b"v" * PAYLOAD_LEN)
    r.settimeout(2)
    r.recv(64)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
