#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A real setsockopt client for optguard's tests.

    sockopt.py [-6] [-u] [--connect HOST:PORT] OPTION VALUE [OPTION VALUE ...]

OPTION is a name of Python's socket module (SO_MARK, IP_TOS, TCP_CONGESTION,
...) or LEVEL:OPTNAME in numbers.  VALUE is an int, "str:TEXT" for string
options, "big:INT:N" for an int followed by zeros up to N bytes (optlen
N), or "raw:HEX" for exactly those bytes (optlen = their number, 0 for
"raw:"); a raw value is read back with up to 8 bytes, as the kernel returns
it (1: unsigned char, 4: int, 8: unsigned 64 bits).  For each pair prints
one line: "set=0 get=V" or "set=-1 errno=NAME".
"""
import argparse
import errno
import socket
import struct
import sys

STR_OPTS = {"TCP_CONGESTION", "SO_BINDTODEVICE", "TCP_ULP"}
LEVELS = {"SO_": socket.SOL_SOCKET, "IP_": socket.IPPROTO_IP, "IPV6_": socket.IPPROTO_IPV6,
          "TCP_": socket.IPPROTO_TCP, "UDP_": socket.IPPROTO_UDP}
EXTRA = {"SO_MARK": 36, "SO_PRIORITY": 12, "TCP_CONGESTION": 13, "SO_BINDTODEVICE": 25,
         "IP_TRANSPARENT": 19, "TCP_ULP": 31}


def resolve(name):
    if ":" in name:
        lvl, opt = name.split(":")
        return int(lvl, 0), int(opt, 0), False
    for prefix, lvl in LEVELS.items():
        if name.startswith(prefix):
            num = getattr(socket, name, None)
            if num is None:
                num = EXTRA[name]
            return lvl, num, name in STR_OPTS
    raise SystemExit("unknown option " + name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-6", dest="v6", action="store_true")
    ap.add_argument("-u", dest="udp", action="store_true")
    ap.add_argument("pairs", nargs="+")
    a = ap.parse_args()
    if len(a.pairs) % 2:
        raise SystemExit("OPTION VALUE pairs expected")
    s = socket.socket(socket.AF_INET6 if a.v6 else socket.AF_INET,
                      socket.SOCK_DGRAM if a.udp else socket.SOCK_STREAM)
    for i in range(0, len(a.pairs), 2):
        level, opt, is_str = resolve(a.pairs[i])
        val = a.pairs[i + 1]
        try:
            if val.startswith("str:"):
                s.setsockopt(level, opt, val[4:].encode())
                is_str = True
            elif val.startswith("raw:"):
                s.setsockopt(level, opt, bytes.fromhex(val[4:]))
            elif val.startswith("big:"):
                _, v, n = val.split(":")
                s.setsockopt(level, opt, struct.pack("i", int(v, 0)).ljust(int(n), b"\0"))
            else:
                s.setsockopt(level, opt, int(val, 0))
        except OSError as e:
            print("set=-1 errno=" + errno.errorcode.get(e.errno, str(e.errno)))
            continue
        try:
            if is_str:
                got = s.getsockopt(level, opt, 16).split(b"\0")[0].decode()
            elif val.startswith("raw:"):
                b = s.getsockopt(level, opt, 8)
                got = struct.unpack({1: "B", 4: "i", 8: "Q"}[len(b)], b)[0]
            else:
                got = s.getsockopt(level, opt)
        except OSError as e:
            got = "?" + errno.errorcode.get(e.errno, str(e.errno))
        print("set=0 get=%s" % got)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
