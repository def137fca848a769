"""Lambda init time and warm invocation latency against a fake Lambda Runtime API (bench/run.py).

A threaded http.server plays the Runtime API (the 2018-06-01 interface): the program under test
is started with AWS_LAMBDA_RUNTIME_API pointing at it. Init time is from just before the
process is started (fork/exec included) to its first GET /2018-06-01/runtime/invocation/next.
Each invocation is a Function URL (payload 2.0) event POSTing one OTLP/protobuf logs request to
/v1/logs; its latency is from the moment the event is handed out (the answer to .../next) to the
program's POST .../invocation/{id}/response (or /error). The first invocation is reported
apart (cold path: first allocations, first file); the rest give the warm median and p90.

When the program does not poll the Runtime API within the timeout (no Lambda mode yet), or
answers an invocation with an error, the result says "not available" and why.
"""
import base64
import json
import os
import queue
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class FakeRuntimeAPI:
    def __init__(self, events):
        self.events = queue.Queue()
        for e in events:
            self.events.put(e)
        self.first_next = None
        self.handed = {}     # request id -> monotonic time handed out
        self.done = {}       # request id -> (monotonic time, "response"|"error", body)
        self.init_error = None
        self.cv = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _reply(self, code, body=b"{}", headers=()):
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self._reply(404)
                now = time.monotonic()
                with api.cv:
                    if api.first_next is None:
                        api.first_next = now
                        api.cv.notify_all()
                try:
                    rid, body = api.events.get(timeout=60)
                except queue.Empty:
                    return self._reply(500)
                deadline = int(time.time() * 1000) + 30000
                with api.cv:
                    api.handed[rid] = time.monotonic()
                self._reply(200, body, [
                    ("Content-Type", "application/json"), ("Lambda-Runtime-Aws-Request-Id", rid),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")])

            def do_POST(self):
                body = self._body()
                now = time.monotonic()
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    with api.cv:
                        api.init_error = body.decode("utf-8", "replace")
                        api.cv.notify_all()
                    return self._reply(202)
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    with api.cv:
                        api.done[parts[1]] = (now, parts[2], body)
                        api.cv.notify_all()
                    return self._reply(202)
                self._reply(404)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the program is killed with a GET .../next open: nothing to report

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def function_url_event(body):
    return json.dumps({
        "version": "2.0", "routeKey": "$default", "rawPath": "/v1/logs", "rawQueryString": "",
        "headers": {"content-type": "application/x-protobuf", "host": "bench.lambda-url.us-east-1.on.aws",
                    "content-length": str(len(body))},
        "requestContext": {"accountId": "anonymous", "apiId": "bench", "domainName": "bench.lambda-url.us-east-1.on.aws",
                           "http": {"method": "POST", "path": "/v1/logs", "protocol": "HTTP/1.1",
                                    "sourceIp": "127.0.0.1", "userAgent": "bench"},
                           "requestId": "bench", "routeKey": "$default", "stage": "$default",
                           "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000},
        "body": base64.b64encode(body).decode(), "isBase64Encoded": True,
    }).encode()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def run(binary, body, records, outdir, invocations=21, timeout=5.0, extra_env=None):
    """Returns a dict: available (bool), reason, init_ms, first_ms, warm_median_ms, warm_p90_ms."""
    res = {"binary": binary, "records_per_invocation": records, "invocations": invocations}
    if not os.path.exists(binary):
        return dict(res, available=False, reason="no binary %s" % binary)
    ev = function_url_event(body)
    api = FakeRuntimeAPI([("req-%04d" % i, ev) for i in range(invocations)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTLP2PARQUET_") and not k.startswith("AWS_")}
    env.update({
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % api.port, "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_REGION": "us-east-1", "_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": os.path.dirname(binary),
        "OTLP2PARQUET_STORAGE_BACKEND": "fs", "OTLP2PARQUET_STORAGE_PATH": outdir,
        # the fake API's own port: a program that starts its server instead fails to bind
        "OTLP2PARQUET_LISTEN_ADDR": "127.0.0.1:%d" % api.port,
        "OTLP2PARQUET_LOG_LEVEL": "warn",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true",
    })
    env.update(extra_env or {})
    os.makedirs(outdir, exist_ok=True)
    errlog = open(os.path.join(outdir, "stderr.log"), "wb")
    t0 = time.monotonic()
    p = subprocess.Popen([binary], env=env, stdout=errlog, stderr=errlog, stdin=subprocess.DEVNULL)
    try:
        with api.cv:
            api.cv.wait_for(lambda: api.first_next is not None or api.init_error is not None or p.poll() is not None,
                            timeout)
        if api.first_next is None:
            why = "exited with status %s" % p.returncode if p.poll() is not None else "no request in %.0f s" % timeout
            if api.init_error:
                why = "init error: %s" % api.init_error[:200]
            return dict(res, available=False,
                        reason="the program does not speak the Lambda Runtime API (%s)" % why)
        res["init_ms"] = (api.first_next - t0) * 1000
        with api.cv:
            api.cv.wait_for(lambda: len(api.done) == invocations or p.poll() is not None, 60)
        lat, errors = [], []
        for i in range(invocations):
            rid = "req-%04d" % i
            if rid not in api.done or rid not in api.handed:
                errors.append("%s: no answer" % rid)
                continue
            t, kind, body = api.done[rid]
            if kind == "error":
                errors.append("%s: error %s" % (rid, body[:200].decode("utf-8", "replace")))
                continue
            try:
                status = json.loads(body).get("statusCode")
            except ValueError:
                status = None
            if status is not None and not 200 <= int(status) < 300:
                errors.append("%s: statusCode %s" % (rid, status))
            lat.append((t - api.handed[rid]) * 1000)
        if errors:
            return dict(res, available=False, reason="invocations failed: " + "; ".join(errors[:3]),
                        init_ms=res["init_ms"])
        res.update(available=True, reason="", first_ms=lat[0], warm_median_ms=pct(lat[1:], 50),
                   warm_p90_ms=pct(lat[1:], 90), warm_min_ms=min(lat[1:]))
        return res
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        errlog.close()
        api.close()
