"""A fault-injecting HTTP proxy in front of the Iceberg REST fixture, for the commit protocol's
failure paths: the catalog down (503 or a closed port), and a catalog that applies a commit but
answers 500 (the outcome is unknown to the writer, which must learn it by reloading)."""

import http.client
import http.server
import re
import threading

class QuietHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1, no request log lines, and _answer(status, headers, body) with a Content-Length:
    the base of the test servers' handlers."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve_loopback(handler):
    """A ThreadingHTTPServer of handler on a free loopback port, serving from a daemon thread:
    (server, port, thread)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, httpd.server_address[1], thread


COMMIT_PATH = re.compile(r"^/v1/(?:[^/]+/)?namespaces/[^/]+/tables/[^/?]+$")


class CatalogProxy:
    """Forwards every request to upstream_port. .mode: "pass", "down" (every request 503),
    "apply_then_500" (commits are forwarded, and their answer replaced by a 500, .faults more
    times). .commits counts the commits forwarded, .applied_hidden those answered 500."""

    def __init__(self, upstream_port):
        proxy = self
        self.mode = "pass"
        self.faults = 0
        self.commits = 0
        self.applied_hidden = 0
        self.refused = 0
        self.lock = threading.Lock()

        class Handler(QuietHandler):

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    mode = proxy.mode
                    is_commit = self.command == "POST" and COMMIT_PATH.match(self.path.split("?")[0])
                    hide = False
                    if mode == "down":
                        proxy.refused += 1
                    elif is_commit:
                        proxy.commits += 1
                        if mode == "apply_then_500" and proxy.faults > 0:
                            proxy.faults -= 1
                            proxy.applied_hidden += 1
                            hide = True
                if mode == "down":
                    return self._answer(503, [("Content-Type", "application/json")],
                                        b'{"error":{"message":"catalog down (test)","type":"ServiceUnavailableException","code":503}}')
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    rbody, rheaders, status = resp.read(), resp.getheaders(), resp.status
                finally:
                    conn.close()
                if hide:
                    return self._answer(500, [("Content-Type", "application/json")],
                                        b'{"error":{"message":"applied, but the answer is lost (test)","type":"InternalServerError","code":500}}')
                self._answer(status, [(k, v) for k, v in rheaders
                                      if k.lower() not in ("connection", "content-length", "transfer-encoding",
                                                           "date", "server")], rbody)

            do_GET = do_POST = do_HEAD = do_DELETE = _forward

        self.httpd, self.port, self.thread = serve_loopback(Handler)
        self.uri = f"http://127.0.0.1:{self.port}"

    def set(self, mode, faults=0):
        with self.lock:
            self.mode, self.faults = mode, faults

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
