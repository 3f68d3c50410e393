#!/usr/bin/python3
"""The desktop lab's stand-in for Docker Desktop's backend process.

Like Desktop's backend it does two things on the host:
  - serves the engine API on the host's socket (--listen), passing every
    request to the engine inside the "VM" (--engine), and
  - forwards published ports: for each running container with published TCP
    ports it runs socat listeners on 127.0.0.1, ::1 and the host's primary
    IPv4 address (same port numbers), forwarding to the VM's address
    (--target), where the lab's dockerd publishes them.  The listeners' comm
    is "socat".
As in Desktop, a container start through the API returns only once its ports
listen on the host (no race with a client that probes right after starting);
the engine's events add forwarding for containers started otherwise and stop
it when a container dies.

With --netns it also stands for Desktop's host.docker.internal: in the VM's
network namespace it answers DNS (--dns-address, port 53: the lab's dockerd
gives containers that name server) for host.docker.internal with
--host-internal (an address of no interface, as Desktop's 192.168.65.254),
REFUSED for every other name (nothing is asked onwards), and it accepts the
TCP connections the lab's REDIRECT rule (in that namespace) sends it for
that address, carrying each to 127.0.0.1 on this host at the port the
container dialled (SO_ORIGINAL_DST) -- so a listener on this host's loopback
sees the connection arrive from this process, as on Desktop.

Bounded: at most --max-ports forwarded ports, 64 API connections at once,
socat at most 16 connections per listener with a 60 s inactivity timeout, and
the whole process exits after --max-seconds (its socats with it).  Stdlib only.
"""
import argparse
import ctypes
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

SOCAT = "/usr/bin/socat"
MAX_HEAD = 64 << 10
MAX_START_RESPONSE = 1 << 20
IO_TIMEOUT = 120
START_PATH = re.compile(r"^POST /(?:v[0-9.]+/)?containers/([^/?\s]+)/start(?:\?\S*)? HTTP/1\.[01]$")


def log(*a):
    print("%.3f" % time.time(), "forwarder:", *a, file=sys.stderr, flush=True)


def http_get(sock_path, path, timeout):
    """GET over a unix socket with HTTP/1.0 (no chunking): the body."""
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


def proc_net_addr(addr):
    """An address as /proc/net/tcp{,6} prints it (32-bit words in host order)."""
    if ":" in addr:
        return "".join("%08X" % w for w in struct.unpack("=4I", socket.inet_pton(socket.AF_INET6, addr)))
    return "%08X" % struct.unpack("=I", socket.inet_aton(addr))[0]


def listening(addr, port):
    want = "%s:%04X" % (proc_net_addr(addr), port)
    for name in ("/proc/net/tcp6", "/proc/net/tcp") if ":" in addr else ("/proc/net/tcp",):
        try:
            with open(name) as f:
                for line in f:
                    fields = line.split()
                    if len(fields) > 3 and fields[1] == want and fields[3] == "0A":
                        return True
        except OSError:
            pass
    return False


class Forwarder:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.by_container = {}  # container id -> [(port, addr, Popen)]
        self.n_ports = 0

    def addresses(self):
        return ["127.0.0.1", "::1"] + ([self.args.host_address] if self.args.host_address else [])

    def published_ports(self, ref):
        """(full id, [(host port, "tcp"|"udp")]) of a running container."""
        d = json.loads(http_get(self.args.engine, "/containers/%s/json" % urllib.parse.quote(ref), 10))
        if not d.get("State", {}).get("Running"):
            return d.get("Id", ref), []
        ports = set()
        for key, binds in (d.get("NetworkSettings", {}).get("Ports") or {}).items():
            proto = key.rsplit("/", 1)[-1]
            if proto in ("tcp", "udp"):
                for b in binds or []:
                    hp = b.get("HostPort", "")
                    if hp.isdigit() and 0 < int(hp) < 65536:
                        ports.add((int(hp), proto))
        return d.get("Id", ref), sorted(ports)

    def ensure(self, ref, wait_s=0.0):
        """Forward the container's published ports; with wait_s, until they listen."""
        try:
            cid, ports = self.published_ports(ref)
        except (OSError, ValueError) as e:
            log("inspect %s failed: %s" % (ref[:12], e))
            return
        with self.lock:
            if cid not in self.by_container:
                self.by_container[cid] = self.spawn(cid, ports)
                self.write_state()
            procs = list(self.by_container[cid])
        deadline = time.monotonic() + wait_s
        for port, addr, p in procs:
            if port < 0:  # udp: nothing to connect to for a check
                continue
            while not listening(addr, port):
                if p.poll() is not None:
                    log("socat for %s port %d exited (%s): not forwarded" % (addr, port, p.returncode))
                    break
                if time.monotonic() >= deadline:
                    if wait_s > 0:
                        log("socat for %s port %d not listening after %.1f s" % (addr, port, wait_s))
                    break
                time.sleep(0.01)

    def spawn(self, cid, ports):
        procs = []
        for port, proto in ports:
            if self.n_ports >= self.args.max_ports:
                log("limit of %d forwarded ports reached; %d not forwarded" % (self.args.max_ports, port))
                break
            self.n_ports += 1
            pids = []
            for addr in self.addresses():
                if proto == "udp":
                    # as Desktop's backend does: datagrams too (a child per peer, 60 s idle)
                    target = "UDP4:%s:%d" % (self.args.target, port)
                    spec = ("UDP6-RECVFROM:%d,bind=[%s],ipv6only=1,reuseaddr,fork" if ":" in addr
                            else "UDP4-RECVFROM:%d,bind=%s,reuseaddr,fork") % (port, addr)
                else:
                    target = "TCP4:%s:%d,connect-timeout=5" % (self.args.target, port)
                    opts = "reuseaddr,fork,max-children=16,backlog=64"
                    spec = ("TCP6-LISTEN:%d,bind=[%s],ipv6only=1,%s" if ":" in addr
                            else "TCP4-LISTEN:%d,bind=%s,%s") % (port, addr, opts)
                p = subprocess.Popen([SOCAT, "-T", "60", spec, target], stdin=subprocess.DEVNULL)
                procs.append((port if proto == "tcp" else -port, addr, p))
                pids.append(str(p.pid))
            log("container %s: forwarding port %d -> %s:%d (socat pids %s)"
                % (cid[:12], port, self.args.target, port, " ".join(pids)))
        return procs

    def stop(self, cid):
        with self.lock:
            procs = self.by_container.pop(cid, None)
            if procs is None:
                return
            self.n_ports -= len({port for port, _, _ in procs})
            self.write_state()
        for _, _, p in procs:
            terminate(p)
        if procs:
            log("container %s: stopped forwarding %s" % (cid[:12], sorted({port for port, _, _ in procs})))

    def stop_all(self):
        for cid in list(self.by_container):
            self.stop(cid)

    def write_state(self):
        if not self.args.state:
            return
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            for cid, procs in self.by_container.items():
                for port, addr, p in procs:
                    f.write("%d %s %d %s\n" % (p.pid, addr, port, cid))
        os.replace(tmp, self.args.state)


def terminate(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=3)


# ---- the API proxy ----------------------------------------------------------------------------

def read_head(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
        if len(buf) > MAX_HEAD:
            raise OSError("request head too long")
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def pump(src, dst):
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve_one(client, fw, args):
    """One client connection: one request, then close (the engine is told
    Connection: close, so a response ends where the engine closes)."""
    engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        client.settimeout(IO_TIMEOUT)
        engine.settimeout(IO_TIMEOUT)
        head, rest = read_head(client)
        if head is None:
            return
        lines = head.split("\r\n")
        upgrade = any(l.lower().startswith("upgrade:") for l in lines[1:])
        if not upgrade:  # hijacked streams (attach, exec) pass through untouched
            lines = [lines[0]] + [l for l in lines[1:] if not l.lower().startswith(("connection:", "keep-alive:"))]
            lines.append("Connection: close")
        m = START_PATH.match(lines[0])
        engine.connect(args.engine)
        engine.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + rest)
        up = threading.Thread(target=pump, args=(client, engine), daemon=True)
        up.start()
        if not m:
            pump(engine, client)
            return
        # a container start: hold the answer until the published ports listen here
        resp = b""
        while len(resp) < MAX_START_RESPONSE:
            chunk = engine.recv(65536)
            if not chunk:
                break
            resp += chunk
        status = resp.split(b"\r\n", 1)[0]
        if re.match(rb"HTTP/1\.[01] (204|304) ", status):
            fw.ensure(urllib.parse.unquote(m.group(1)), wait_s=5.0)
        client.sendall(resp)
    except OSError as e:
        log("api connection: %s" % e)
    finally:
        engine.close()
        client.close()


def serve_api(fw, args, stop):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        os.unlink(args.listen)
    except FileNotFoundError:
        pass
    srv.bind(args.listen)
    os.chmod(args.listen, 0o660)
    srv.listen(64)
    accept_loop(srv, stop, 64, "API", lambda c, peer: serve_one(c, fw, args))


def accept_loop(srv, stop, limit, what, handle):
    """Each connection on srv to handle(conn, peer) in a thread of its own,
    at most limit at once (more are closed), until stop; then srv closed."""
    srv.settimeout(1)
    slots = threading.BoundedSemaphore(limit)

    def run(c, peer):
        try:
            handle(c, peer)
        finally:
            c.close()
            slots.release()

    while not stop.is_set():
        try:
            c, peer = srv.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        if not slots.acquire(blocking=False):
            log("too many %s connections; refusing one" % what)
            c.close()
            continue
        threading.Thread(target=run, args=(c, peer), daemon=True).start()
    srv.close()


# ---- host.docker.internal ----------------------------------------------------------------------

CLONE_NEWNET = 0x40000000
SO_ORIGINAL_DST = 80
HOST_INTERNAL = b"host.docker.internal"
MAX_HOST_CONNS = 16


def in_netns(path, make):
    """make() run with this thread in the network namespace at path (its
    sockets stay there), then back; a thread that cannot go back ends the
    process rather than serve from the wrong namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    there = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns %s" % path)
        try:
            return make()
        finally:
            if libc.setns(here, CLONE_NEWNET) != 0:
                log("cannot return to the host's network namespace")
                os._exit(70)
    finally:
        os.close(here)
        os.close(there)


def dns_reply(msg, address):
    """The answer to one query: host.docker.internal A -> address; its
    other types: no data; any other name: REFUSED.  None: not a query."""
    if len(msg) < 12 or msg[2] & 0x80 or struct.unpack("!H", msg[4:6])[0] != 1:
        return None
    labels, i = [], 12
    while i < len(msg) and msg[i] != 0:
        n = msg[i]
        if n & 0xC0 or i + 1 + n > len(msg) or len(labels) > 16:
            return None
        labels.append(msg[i + 1:i + 1 + n])
        i += 1 + n
    if i + 5 > len(msg):
        return None
    question = msg[12:i + 5]
    qtype, qclass = struct.unpack("!HH", msg[i + 1:i + 5])
    ours = b".".join(labels).lower() == HOST_INTERNAL
    flags = 0x8400 | (msg[2] & 0x01) << 8  # QR, AA, RD copied
    if not ours:
        flags |= 5  # REFUSED: this server asks no one else
    answer = b""
    if ours and qtype == 1 and qclass == 1:
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + socket.inet_aton(address)
    return (msg[0:2] + struct.pack("!HHHHH", flags, 1, 1 if answer else 0, 0, 0) + question + answer)


def serve_dns(sock, address, stop):
    sock.settimeout(1)
    while not stop.is_set():
        try:
            msg, peer = sock.recvfrom(512)
        except socket.timeout:
            continue
        except OSError:
            break
        reply = dns_reply(msg, address)
        if reply is not None:
            try:
                sock.sendto(reply, peer)
            except OSError:
                pass
    sock.close()


def carry_host_conn(conn, peer):
    """One container connection to host.docker.internal:PORT, carried to
    127.0.0.1:PORT here; refused there: closed here."""
    try:
        dst = conn.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
        port = struct.unpack("!H", dst[2:4])[0]
        try:
            up = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError as e:
            log("host.docker.internal: %s:%d -> %s:%d: 127.0.0.1:%d %s" % (peer + (socket.inet_ntoa(dst[4:8]), port, port, e)))
            return
        log("host.docker.internal: %s:%d -> %s:%d carried to 127.0.0.1:%d from %s:%d"
            % (peer + (socket.inet_ntoa(dst[4:8]), port, port) + up.getsockname()))
        conn.settimeout(60)
        up.settimeout(60)
        t = threading.Thread(target=pump, args=(conn, up), daemon=True)
        t.start()
        pump(up, conn)
        t.join(60)
        up.close()
    except OSError as e:
        log("host.docker.internal connection: %s" % e)


def serve_host_internal(srv, stop):
    accept_loop(srv, stop, MAX_HOST_CONNS, "host.docker.internal", carry_host_conn)


def open_host_internal(args):
    """The DNS socket and the REDIRECT target, both in the VM's namespace."""
    def make():
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        dns.bind((args.dns_address, 53))
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("0.0.0.0", args.redirect_port))
        srv.listen(16)
        return dns, srv
    return in_netns(args.netns, make)


# ---- the event follower ------------------------------------------------------------------------

def open_events(engine):
    filters = urllib.parse.quote(json.dumps({"type": ["container"], "event": ["start", "die"]}))
    ev = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    ev.settimeout(10)
    ev.connect(engine)
    ev.sendall(("GET /events?filters=%s HTTP/1.0\r\nHost: lab\r\n\r\n" % filters).encode())
    head, rest = read_head(ev)
    if head is None or " 200 " not in head.split("\r\n", 1)[0] + " ":
        raise OSError("GET /events: %s" % (head or "closed").split("\r\n", 1)[0])
    return ev, rest


def follow_events(ev, buf, fw, deadline):
    ev.settimeout(1)
    while time.monotonic() < deadline:
        try:
            chunk = ev.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            log("event stream closed (engine stopped?)")
            return
        buf += chunk
        if len(buf) > 1 << 20:
            raise OSError("event line too long")
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            if not line.strip():
                continue
            e = json.loads(line)
            cid = e.get("id") or e.get("Actor", {}).get("ID", "")
            action = e.get("Action") or e.get("status")
            if cid and action == "start":
                fw.ensure(cid)
            elif cid and action == "die":
                fw.stop(cid)
    log("--max-seconds reached")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True, help="the VM engine's unix socket")
    ap.add_argument("--listen", required=True, help="the host's API socket to serve")
    ap.add_argument("--target", required=True, help="the VM address the engine publishes on")
    ap.add_argument("--host-address", default="", help="also listen on this host address")
    ap.add_argument("--ready", default="", help="file created once serving")
    ap.add_argument("--state", default="", help="file listing 'pid address port container' of each socat")
    ap.add_argument("--max-ports", type=int, default=32)
    ap.add_argument("--max-seconds", type=int, default=3600)
    ap.add_argument("--netns", default="", help="the VM's network namespace: serve host.docker.internal there")
    ap.add_argument("--dns-address", default="", help="with --netns: the VM address to answer DNS on")
    ap.add_argument("--host-internal", default="", help="with --netns: the address host.docker.internal resolves to")
    ap.add_argument("--redirect-port", type=int, default=0, help="with --netns: where the VM's REDIRECT rule sends it")
    args = ap.parse_args()

    fw = Forwarder(args)
    stop = threading.Event()
    deadline = time.monotonic() + args.max_seconds

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    rc = 0
    ev = None
    try:
        ev, buf = open_events(args.engine)
        for c in json.loads(http_get(args.engine, "/containers/json", 10)):
            fw.ensure(c["Id"])
        threading.Thread(target=serve_api, args=(fw, args, stop), daemon=True).start()
        if args.netns:
            dns, srv = open_host_internal(args)
            threading.Thread(target=serve_dns, args=(dns, args.host_internal, stop), daemon=True).start()
            threading.Thread(target=serve_host_internal, args=(srv, stop), daemon=True).start()
            log("host.docker.internal -> %s: DNS on %s:53, connections from %s:%d in %s to 127.0.0.1"
                % (args.host_internal, args.dns_address, args.host_internal, args.redirect_port, args.netns))
        for _ in range(100):
            if os.path.exists(args.listen):
                break
            time.sleep(0.05)
        if args.ready:
            open(args.ready, "w").close()
        log("serving %s for %s, forwarding to %s" % (args.listen, args.engine, args.target))
        follow_events(ev, buf, fw, deadline)
    except (OSError, ValueError) as e:
        log("error: %s" % e)
        rc = 1
    finally:
        stop.set()
        fw.stop_all()
        if ev is not None:
            ev.close()
        try:
            os.unlink(args.listen)
        except OSError:
            pass
    return rc


if __name__ == "__main__":
    sys.exit(main())
