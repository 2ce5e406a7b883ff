#!/usr/bin/env python3
"""TCP listener and client for the posture tests (run inside a netns).

  tcp_probe.py listen PORT READYFILE   -- listens on [::]:PORT (IPv4 too); for
                                          each connection reads a line and
                                          answers "ok <line>"; touches READYFILE
  tcp_probe.py connect ADDR PORT SECS  -- connects (timeout SECS), sends a line,
                                          expects the answer: exit 0, else 1
"""
import socket
import sys


def listen(port, ready):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(16)
    open(ready, "w").close()
    while True:
        c, _ = s.accept()
        c.settimeout(5)
        try:
            line = c.makefile("rb").readline(200)
            c.sendall(b"ok " + line)
        except OSError:
            pass
        finally:
            c.close()


def connect(addr, port, secs):
    try:
        c = socket.create_connection((addr, port), timeout=secs)
        c.sendall(b"hello\n")
        reply = c.makefile("rb").readline(200)
        c.close()
    except OSError as e:
        print("connect %s port %d: %s" % (addr, port, e))
        return 1
    if reply != b"ok hello\n":
        print("connect %s port %d: unexpected answer %r" % (addr, port, reply))
        return 1
    print("connect %s port %d: answered" % (addr, port))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "listen":
        listen(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "connect":
        sys.exit(connect(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    else:
        sys.exit(__doc__)
