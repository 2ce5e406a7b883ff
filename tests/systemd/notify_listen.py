#!/usr/bin/env python3
"""A service manager's notify socket, as systemd makes it for a Type=notify
unit: an AF_UNIX datagram socket at SOCKET (the test points NOTIFY_SOCKET at
it), with SO_PASSCRED so that each message carries its sender's pid.

Every message becomes one JSON line in LOG (flushed at once):
  {"pid": SENDER, "mono_usec": ARRIVAL (CLOCK_MONOTONIC), "fields": {"READY": "1", "STATUS": "..."}, "ctl": ...}
"ctl" is present on a message with READY=1: what the control socket CTL
answered right then, asked from here before the next message is read
("ok": a whole JSON reply to `sa`; otherwise the error). tunneld says
READY=1 only once it serves the control socket, so this must be "ok" at once.

  notify_listen.py SOCKET LOG CTL
Ends at SIGTERM (the test's cleanup)."""
import json
import os
import signal
import socket
import struct
import sys
import time

sock_path, log_path, ctl_path = sys.argv[1:4]


def ask_ctl():
    """one `sa` exchange on the control socket, connected once, no retry"""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    try:
        s.connect(ctl_path)
        s.sendall(b"sa\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
            if len(data) > 1 << 22:
                return "reply too long"
        return "ok" if "sas" in json.loads(data) else "no sas in reply"
    except (OSError, ValueError) as e:
        return "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    srv.bind(sock_path)
    out = open(log_path, "a")
    creds_len = socket.CMSG_SPACE(struct.calcsize("3i"))
    while True:
        data, anc, _, _ = srv.recvmsg(65536, creds_len)
        pid = None
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", cdata[: struct.calcsize("3i")])[0]
        fields = {}
        for line in data.decode("utf-8", "replace").split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                fields[k] = v
        rec = {"pid": pid, "mono_usec": time.monotonic_ns() // 1000, "fields": fields}
        if fields.get("READY") == "1":
            rec["ctl"] = ask_ctl()
        out.write(json.dumps(rec) + "\n")
        out.flush()


main()
