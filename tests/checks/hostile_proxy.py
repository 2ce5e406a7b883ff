#!/usr/bin/env python3
"""A hostile stand-in for a proxy (tests/checks/checks_hostile.sh): listens
on ADDR:PORT and answers every CONNECT with the answer MODE names:
  relayed503  a parent's 503 as a Squid with Via would relay it
  binary      a 503 whose Via and X-Squid-Error hold '%' and control bytes,
              and a 20 kB Via
  endless     a 200 status line, then header lines that never end
  silent      reads the CONNECT, never answers
Usage: hostile_proxy.py ADDR PORT MODE (runs until killed)."""
import socket
import sys
import threading
import time

ADDR, PORT, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


def serve(conn):
    try:
        if read_request(conn) is None:
            return
        if MODE == "relayed503":
            conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\n"
                         b"Server: squid/5.7\r\n"
                         b"X-Squid-Error: ERR_CONNECT_FAIL 111\r\n"
                         b"Via: 1.1 azure-proxy (squid/5.7), 1.1 dmz-proxy (squid/5.7)\r\n"
                         b"Content-Length: 0\r\n\r\n")
        elif MODE == "binary":
            conn.sendall(b"HTTP/1.1 503 %s%n\x01\x1b[31m\xff\r\n"
                         b"X-Squid-Error: ERR_%s%n\x01\x1b[2J\xfe 111\r\n"
                         b"Via: 1.1 " + b"%n\x07" * 10000 + b"\r\n"
                         b"Content-Length: 0\r\n\r\n")
        elif MODE == "endless":
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                conn.sendall(b"X-Junk: " + b"a" * 1000 + b"\r\n")
        elif MODE == "silent":
            time.sleep(60)
    except OSError:
        pass
    finally:
        conn.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((ADDR, PORT))
srv.listen(16)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
