#!/usr/bin/env python3
"""proxy.py LOG: a forwarding HTTP proxy for tests/cli/proxy.sh. It prints
its port, forwards each absolute-URI request to its origin, and appends
"METHOD URL" to LOG, so the test can tell that isload went through it."""
import http.client, http.server, socketserver, sys, urllib.parse

LOG = sys.argv[1]


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        u = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(LOG, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        path = u.path + ("?" + u.query if u.query else "")
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        conn.request(self.command, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = forward

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


s = Server(("127.0.0.1", 0), Proxy)
print(s.server_address[1], flush=True)
s.serve_forever()
