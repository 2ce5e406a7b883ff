#!/usr/bin/python3
"""A stand-in for tunneld's control socket that misbehaves on purpose.

    ctl_fake_server.py SOCKET MODE [REPLY_FILE] [LOG_FILE]

The socket appears at SOCKET only once it listens (bound under a temporary
name, then renamed), so a test can wait for the path. Connections are served
one at a time, forever, until the server is killed.

Modes:
  reply    read the command line, send REPLY_FILE (re-read for every
           connection, so a test can switch replies), close
  silent   read the command, never answer; hold the connection until the
           client goes
  trickle  answer one whitespace byte every 50 ms, forever (each read on the
           client side succeeds: only a deadline for the whole exchange ends it)
  endless  answer a document that never ends, as fast as possible
  close    accept and close at once, without reading the command
  first    read once (whatever the first write of the client carried), close
           without answering
  full     never accept; the listen backlog is kept full, so connect() waits

LOG_FILE (optional) gets one line per connection: the bytes received (the
whole command line; in mode first, what the first read returned), in
Python repr.
"""
import os
import socket
import sys
import time


def read_command(conn):
    conn.settimeout(5)
    data = b""
    try:
        first = conn.recv(4096)
        data = first
        while first and b"\n" not in data and len(data) < 4096:
            first = conn.recv(4096)
            data += first
    except OSError:
        pass
    return data


def log(path, data):
    if path:
        with open(path, "a") as f:
            f.write(repr(data) + "\n")


def send_forever(conn, chunk, pause):
    try:
        while True:
            conn.sendall(chunk)
            if pause:
                time.sleep(pause)
    except OSError:
        pass


def hold(conn):
    conn.settimeout(None)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def serve(conn, mode, reply, logf):
    if mode == "close":
        return
    if mode == "first":
        conn.settimeout(5)
        try:
            log(logf, conn.recv(4096))
        except OSError:
            pass
        return
    first = read_command(conn)
    log(logf, first)
    if mode == "reply":
        with open(reply, "rb") as f:
            data = f.read()
        try:
            conn.sendall(data)
        except OSError:
            pass
    elif mode == "silent":
        hold(conn)
    elif mode == "trickle":
        send_forever(conn, b" ", 0.05)
    elif mode == "endless":
        try:
            conn.sendall(b'{"version":1,"sas":[')
        except OSError:
            return
        send_forever(conn, b"{}," * 21845, 0)


def main():
    path, mode = sys.argv[1], sys.argv[2]
    reply = sys.argv[3] if len(sys.argv) > 3 else None
    logf = sys.argv[4] if len(sys.argv) > 4 else None
    tmp = path + ".tmp"
    for p in (path, tmp):
        if os.path.exists(p):
            os.unlink(p)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(tmp)
    if mode == "full":
        srv.listen(0)
        filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        filler.connect(tmp)  # the backlog (0 + 1) is now full
        os.rename(tmp, path)
        while True:
            time.sleep(3600)
    srv.listen(8)
    os.rename(tmp, path)
    while True:
        conn, _ = srv.accept()
        try:
            serve(conn, mode, reply, logf)
        finally:
            conn.close()


if __name__ == "__main__":
    main()
