#!/usr/bin/env python3
"""A service manager's notify socket, as systemd makes it for a Type=notify
unit: an AF_UNIX datagram socket at SOCKET (the test points NOTIFY_SOCKET at
it), with SO_PASSCRED so that each message carries its sender's pid.

Every message becomes one JSON line in LOG (flushed at once):
  {"pid": SENDER, "mono_usec": ARRIVAL (CLOCK_MONOTONIC), "fields": {"READY": "1", ...}}

--hold: before reading anything, fill the socket's receive queue with
X_FILL=1 datagrams of its own (until the kernel says it is full), write
SOCKET.held, and wait for SIGUSR1. A sender's first message then blocks in
the kernel (unix_wait_for_peer) until SIGUSR1: the test looks at tunneld
while its main thread is stopped exactly where it says READY=1. The fill
datagrams are not logged.

  notify_listen.py SOCKET LOG [--hold]
Ends at SIGTERM (the test's cleanup)."""
import json
import os
import signal
import socket
import struct
import sys
import time

sock_path, log_path = sys.argv[1:3]
hold = sys.argv[3:] == ["--hold"]


def fill(path):
    """X_FILL datagrams until the receive queue is full; their number"""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setblocking(False)
    n = 0
    try:
        while n < 100000:
            s.sendto(b"X_FILL=1", path)
            n += 1
    except BlockingIOError:
        pass
    s.close()
    return n


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    srv.bind(sock_path)
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        n = fill(sock_path)
        with open(sock_path + ".held", "w") as f:
            f.write("%d\n" % n)
        signal.sigwait({signal.SIGUSR1})
    out = open(log_path, "a")
    creds_len = socket.CMSG_SPACE(struct.calcsize("3i"))
    while True:
        data, anc, _, _ = srv.recvmsg(65536, creds_len)
        mono = time.monotonic_ns() // 1000
        if data == b"X_FILL=1":
            continue
        pid = None
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", cdata[: struct.calcsize("3i")])[0]
        fields = {}
        for line in data.decode("utf-8", "replace").split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                fields[k] = v
        out.write(json.dumps({"pid": pid, "mono_usec": mono, "fields": fields}) + "\n")
        out.flush()


main()
