#!/usr/bin/python3
"""The desktop lab's stand-in for Docker Desktop's backend process.

Follows the lab engine's container events and, for each running container
with published TCP ports, starts socat listeners on this host (127.0.0.1,
::1 and the host's primary IPv4 address, same port numbers) that forward to
the lab VM's address, where the lab's dockerd publishes them.  A listener is
stopped when its container dies.  The listeners' comm is "socat".

Bounded: at most --max-ports forwarded ports, each socat at most 16
connections with a 60 s inactivity timeout, and the follower itself exits
after --max-seconds (its socats with it).  Stdlib only.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

SOCAT = "/usr/bin/socat"


def log(*a):
    print(time.strftime("%H:%M:%S"), "forwarder:", *a, file=sys.stderr, flush=True)


def http_get(sock_path, path, timeout):
    """GET over the engine's unix socket with HTTP/1.0 (no chunking): body bytes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(("GET %s HTTP/1.0\r\nHost: lab\r\n\r\n" % path).encode())
        buf = b""
        while len(buf) < 4 << 20:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status + b" ":
        raise OSError("GET %s: %s" % (path, status.decode(errors="replace")))
    return body


def published_ports(sock_path, cid):
    """The host ports a container publishes (tcp), from its inspect."""
    d = json.loads(http_get(sock_path, "/containers/%s/json" % urllib.parse.quote(cid), 10))
    if not d.get("State", {}).get("Running"):
        return []
    ports = set()
    for key, binds in (d.get("NetworkSettings", {}).get("Ports") or {}).items():
        if not key.endswith("/tcp") or not binds:
            continue
        for b in binds:
            hp = b.get("HostPort", "")
            if hp.isdigit() and 0 < int(hp) < 65536:
                ports.add(int(hp))
    return sorted(ports)


class Forwarder:
    def __init__(self, args):
        self.args = args
        self.by_container = {}  # container id -> [(port, Popen)]
        self.n_ports = 0

    def listen_specs(self, port):
        target = "TCP4:%s:%d,connect-timeout=5" % (self.args.target, port)
        common = "reuseaddr,fork,max-children=16,backlog=64"
        specs = [
            "TCP4-LISTEN:%d,bind=127.0.0.1,%s" % (port, common),
            "TCP6-LISTEN:%d,bind=[::1],ipv6only=1,%s" % (port, common),
        ]
        if self.args.host_address:
            specs.append("TCP4-LISTEN:%d,bind=%s,%s" % (port, self.args.host_address, common))
        return [(spec, target) for spec in specs]

    def start(self, cid):
        if cid in self.by_container:
            return
        try:
            ports = published_ports(self.args.socket, cid)
        except (OSError, ValueError) as e:
            log("inspect %s failed: %s" % (cid[:12], e))
            return
        procs = []
        for port in ports:
            if self.n_ports >= self.args.max_ports:
                log("limit of %d forwarded ports reached; %d not forwarded" % (self.args.max_ports, port))
                break
            self.n_ports += 1
            pids = []
            for spec, target in self.listen_specs(port):
                p = subprocess.Popen([SOCAT, "-T", "60", spec, target], stdin=subprocess.DEVNULL)
                procs.append((port, p))
                pids.append(str(p.pid))
            log("container %s: forwarding port %d -> %s:%d (socat pids %s)"
                % (cid[:12], port, self.args.target, port, " ".join(pids)))
        self.by_container[cid] = procs
        self.write_state()

    def stop(self, cid):
        procs = self.by_container.pop(cid, None)
        if not procs:
            return
        self.n_ports -= len({port for port, _ in procs})
        for port, p in procs:
            terminate(p)
        log("container %s: stopped forwarding %s" % (cid[:12], sorted({port for port, _ in procs})))
        self.write_state()

    def stop_all(self):
        for cid in list(self.by_container):
            self.stop(cid)

    def write_state(self):
        if not self.args.state:
            return
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            for cid, procs in self.by_container.items():
                for port, p in procs:
                    f.write("%d %d %s\n" % (p.pid, port, cid))
        os.replace(tmp, self.args.state)


def terminate(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True, help="the lab engine's unix socket")
    ap.add_argument("--target", required=True, help="the VM address the lab engine publishes on")
    ap.add_argument("--host-address", default="", help="also listen on this host address")
    ap.add_argument("--ready", default="", help="file created once the event stream is open")
    ap.add_argument("--state", default="", help="file listing 'pid port container' of each socat")
    ap.add_argument("--max-ports", type=int, default=32)
    ap.add_argument("--max-seconds", type=int, default=3600)
    args = ap.parse_args()

    fw = Forwarder(args)
    deadline = time.monotonic() + args.max_seconds

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    filters = urllib.parse.quote(json.dumps({"type": ["container"], "event": ["start", "die"]}))
    ev = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        ev.settimeout(10)
        ev.connect(args.socket)
        ev.sendall(("GET /events?filters=%s HTTP/1.0\r\nHost: lab\r\n\r\n" % filters).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = ev.recv(4096)
            if not chunk:
                raise OSError("event stream closed before its header")
            buf += chunk
            if len(buf) > 65536:
                raise OSError("event stream header too long")
        head, _, buf = buf.partition(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0] + b" ":
            raise OSError("GET /events: %s" % head.split(b"\r\n", 1)[0].decode(errors="replace"))
        # containers already running when we start
        for c in json.loads(http_get(args.socket, "/containers/json", 10)):
            fw.start(c["Id"])
        if args.ready:
            open(args.ready, "w").close()
        log("following %s, forwarding to %s" % (args.socket, args.target))
        ev.settimeout(1)
        while time.monotonic() < deadline:
            try:
                chunk = ev.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                log("event stream closed (engine stopped?)")
                break
            buf += chunk
            if len(buf) > 1 << 20:
                raise OSError("event line too long")
            while b"\n" in buf:
                line, _, buf = buf.partition(b"\n")
                if not line.strip():
                    continue
                e = json.loads(line)
                cid = e.get("id") or e.get("Actor", {}).get("ID", "")
                if not cid:
                    continue
                if e.get("status") == "start" or e.get("Action") == "start":
                    fw.start(cid)
                elif e.get("status") == "die" or e.get("Action") == "die":
                    fw.stop(cid)
        else:
            log("--max-seconds %d reached" % args.max_seconds)
    except (OSError, ValueError) as e:
        log("error: %s" % e)
        return 1
    finally:
        fw.stop_all()
        ev.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
