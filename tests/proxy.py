#!/usr/bin/env python3
"""A server that stands where capture should and is not capture.

    proxy.py PORT-FILE LOG MODE

It listens on 127.0.0.1 on a free port, writes the port to PORT-FILE,
and answers every request as MODE says, appending one JSON line per
request to LOG ({"path", "bytes", "status"}):

    html200    200 with an HTML page (a login page, a captive portal)
    status0    200 with {"status": 0}
    html400    400 with an HTML page (HTTP sent to an HTTPS port)
    redirect   302 to https://elsewhere.example/batch/
    nocontent  204 and no body, as newer capture answers
"""

import http.server
import json
import sys
import threading

PORT_FILE, LOG, MODE = sys.argv[1:4]
lock = threading.Lock()

HTML = (b"<html><head><title>Sign in</title></head>"
        b"<body><form>...</form></body></html>")
REPLIES = {
    "html200": (200, "text/html", HTML, {}),
    "status0": (200, "application/json", b'{"status": 0}', {}),
    "html400": (400, "text/html", b"<html><body><h1>400 Bad Request</h1>"
                b"The plain HTTP request was sent to HTTPS port</body>"
                b"</html>", {}),
    "redirect": (302, "text/html", b"moved", {
        "Location": "https://elsewhere.example/batch/"}),
    "nocontent": (204, None, b"", {}),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        status, ctype, body, extra = REPLIES[MODE]
        with lock, open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "bytes": n,
                                "status": status}) + "\n")
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
__import__("os").rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
