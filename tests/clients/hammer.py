#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""setsockopt(SO_MARK) in a loop until STOPFILE exists; prints
"calls=N allowed=N errnos=E1,E2" (allowed: calls that succeeded).
Usage: hammer.py STOPFILE [READYFILE]: READYFILE is made after the first calls."""
import os
import socket
import sys

stop = sys.argv[1]
s = socket.socket()
calls = allowed = 0
errnos = set()
ready = sys.argv[2] if len(sys.argv) > 2 else None
while not os.path.exists(stop):
    if ready and calls:
        open(ready, "w").close()
        ready = None
    for _ in range(200):
        calls += 1
        try:
            s.setsockopt(socket.SOL_SOCKET, 36, 7)
            allowed += 1
        except OSError as e:
            errnos.add(e.errno)
print("calls=%d allowed=%d errnos=%s" % (calls, allowed, ",".join(map(str, sorted(errnos)))))
