#!/usr/bin/python3
"""A Docker authorization plugin that refuses netcheck's capture agent.

usage: authz-refuse-agent.py SOCKET COUNT_FILE [SECONDS]

Serves the authz plugin protocol (docs.docker.com/engine/extend/plugins_authorization)
on the unix socket SOCKET: every request is allowed except a container create whose
command holds "--agent" (netcheck's `/responder --agent`), which is denied with a
message, so that the engine answers it as any authorization plugin's refusal does:
HTTP 403, "authorization denied by plugin <name>: <message>".  A test starts it in the
lab engine's mount namespace (its /run/docker/plugins is the lab's own) and points
the engine's `authorization-plugins` at it.  It serves for at most SECONDS (default
120), then exits: bounded, like every loop in the test suite.  COUNT_FILE holds how
many requests it was asked about: the test sees when the engine uses it, and when no
longer (the engine's /info does not show a reloaded plugin list).
"""
import base64
import http.server
import json
import os
import socketserver
import sys
import threading

MESSAGE = "netcheck's capture agent is not allowed here (a test's policy)"
COUNT = {"file": None, "n": 0}
LOCK = threading.Lock()


def count(what):
    with LOCK:
        COUNT["n"] += 1
        with open(COUNT["file"] + ".log", "a") as f:  # what it was asked, for a failing test
            f.write(what + "\n")
        with open(COUNT["file"] + ".tmp", "w") as f:
            f.write("%d\n" % COUNT["n"])
        os.replace(COUNT["file"] + ".tmp", COUNT["file"])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the engine logs the refusal
        pass

    def answer(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.docker.plugins.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        req = json.loads(self.rfile.read(n) or b"{}")
        if self.path == "/Plugin.Activate":
            self.answer({"Implements": ["authz"]})
        elif self.path == "/AuthZPlugin.AuthZReq":
            body = base64.b64decode(req.get("RequestBody") or "")
            create = req.get("RequestMethod") == "POST" and "/containers/create" in req.get("RequestUri", "")
            refuse = create and b'"--agent"' in body
            count("%s %s: %d bytes of body, %s" % (req.get("RequestMethod"), req.get("RequestUri"), len(body),
                                                   "refused" if refuse else "allowed"))
            self.answer({"Allow": not refuse, "Msg": MESSAGE if refuse else ""})
        elif self.path == "/AuthZPlugin.AuthZRes":
            self.answer({"Allow": True})
        else:
            self.send_error(404)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    path = sys.argv[1]
    COUNT["file"] = sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 120
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    srv = Server(path, Handler)
    threading.Timer(seconds, srv.shutdown).start()
    try:
        srv.serve_forever()
    finally:
        srv.server_close()
        os.unlink(path)


if __name__ == "__main__":
    main()
