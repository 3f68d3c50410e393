#!/usr/bin/python3
"""A misbehaving Docker engine on a unix socket, for netcheck's error tests.

usage: fake-engine.py SOCKET MODE [MAX_CONNECTIONS]

MODE is what every request gets:
  hang        accept, read, never answer
  http500     HTTP 500 with {"message": "fake engine failure"}
  malformed   HTTP 200 with a body that is not JSON
  truncated   HTTP 200 announcing more body than is sent, then close
  oversized   HTTP 200 streaming 16 MiB of JSON array
  close       accept and close at once
  slow        HTTP 200 headers, then a JSON body one byte every 100 ms that
              never ends (a stream that is alive but never finishes)
  old         /_ping and /version say API 1.12 (older than netcheck supports)
Serves at most MAX_CONNECTIONS (default 20) connections and at most 60 s,
then exits: bounded, like every loop in the test suite.
"""
import os
import socket
import sys
import threading
import time


def answer(conn, mode):
    conn.settimeout(5)
    try:
        conn.recv(65536)
    except OSError:
        pass
    if mode == "hang":
        time.sleep(30)
        return
    if mode == "close":
        return
    if mode == "http500":
        body = b'{"message":"fake engine failure"}'
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    elif mode == "malformed":
        body = b'{"Version": "20.10", "ApiVersion": '
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    elif mode == "truncated":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"Version\": \"20.10\"")
    elif mode == "oversized":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"[" + b"0," * 32768
        try:
            for _ in range(256):  # 16 MiB, then stop
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
    elif mode == "slow":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(600):  # 60 s at most
                conn.sendall(b"1\r\n \r\n")
                time.sleep(0.1)
        except OSError:
            pass
    elif mode == "old":
        body = b'{"Version":"1.0","ApiVersion":"1.12","MinAPIVersion":"1.12","Os":"linux"}'
        # /_ping's header and /version's body say the same
        conn.sendall(b"HTTP/1.1 200 OK\r\nApi-Version: 1.12\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


def main():
    path, mode = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    srv.settimeout(1)
    deadline = time.monotonic() + 60
    served = 0
    while served < limit and time.monotonic() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        served += 1
        t = threading.Thread(target=lambda c=conn: (answer(c, mode), c.close()), daemon=True)
        t.start()
    srv.close()
    os.unlink(path)


if __name__ == "__main__":
    main()
