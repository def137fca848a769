"""Running otlp2parquet as an AWS Lambda custom runtime in the end-to-end tests.

FakeRuntimeApi: a small Lambda Runtime API on loopback (ThreadingHTTPServer) implementing
invocation/next (a long poll that hands out queued events), invocation/{id}/response,
invocation/{id}/error and init/error; invoke(event) queues an event and waits for its answer.
LambdaProcess: the binary started with AWS_LAMBDA_RUNTIME_API pointing at one.
LambdaRie: the AWS Lambda Runtime Interface Emulator (aws-lambda-rie) running a bootstrap, invoked
through POST /2015-03-31/functions/function/invocations; reusable with another bootstrap and root.
Event builders for the four HTTP families: API Gateway REST (v1), HTTP API (v2), Function URL, ALB."""

import base64
import json
import os
import queue
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid

from catalog_proxy import QuietHandler, serve_loopback
from conftest import BIN, CACHE, assert_no_sanitizer_report, clean_env, free_port, terminate

AWS_LAMBDA_RIE = os.environ.get("AWS_LAMBDA_RIE", os.path.join(CACHE, "bin", "aws-lambda-rie"))
PREFIX = "/2018-06-01/runtime"


class Invocation:
    def __init__(self, kind, body, error_type=None):
        self.kind, self.body, self.error_type = kind, body, error_type  # kind: "response" | "error"

    def json(self):
        return json.loads(self.body)


class FakeRuntimeApi:
    """The Lambda Runtime API. .next_calls counts invocation/next requests; .init_errors holds
    the bodies POSTed to init/error; .closing makes invocation/next answer 500 so the runtime
    gives up (and exits, with its leak check)."""

    def __init__(self):
        api = self
        self.events = queue.Queue()
        self.results = {}
        self.cond = threading.Condition()
        self.init_errors = []
        self.next_calls = 0
        self.next_headers = []
        self.closing = False

        class Handler(QuietHandler):
            def _send(self, status, body=b"", headers=()):
                self._answer(status, headers, body)

            def do_GET(self):
                if self.path != PREFIX + "/invocation/next":
                    return self._send(404, b'{"errorMessage":"no such path"}')
                with api.cond:
                    api.next_calls += 1
                    api.cond.notify_all()
                while True:
                    if api.closing:
                        return self._send(500, b'{"errorMessage":"shutting down (test)"}')
                    try:
                        rid, event, extra = api.events.get(timeout=0.1)
                        break
                    except queue.Empty:
                        continue
                body = event if isinstance(event, bytes) else json.dumps(event).encode()
                headers = [("Lambda-Runtime-Aws-Request-Id", rid),
                           ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 300000)),
                           ("Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:us-east-1:123456789012:function:otlp2parquet"),
                           ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
                           ("Content-Type", "application/json")] + list(extra)
                self._send(200, body, headers)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if self.path == PREFIX + "/init/error":
                    with api.cond:
                        api.init_errors.append((self.headers.get("Lambda-Runtime-Function-Error-Type"), body))
                        api.cond.notify_all()
                    return self._send(202, b'{"status":"OK"}')
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    with api.cond:
                        api.results[parts[1]] = Invocation(
                            parts[2], body, self.headers.get("Lambda-Runtime-Function-Error-Type"))
                        api.cond.notify_all()
                    return self._send(202, b'{"status":"OK"}')
                self._send(404, b'{"errorMessage":"no such path"}')

        self.httpd, self.port, self.thread = serve_loopback(Handler)
        self.address = f"127.0.0.1:{self.port}"

    def invoke(self, event, timeout=120, headers=()):
        """Queues event (a dict, or raw bytes) and returns its Invocation."""
        rid = str(uuid.uuid4())
        self.events.put((rid, event, headers))
        deadline = time.monotonic() + timeout
        with self.cond:
            while rid not in self.results:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer to invocation {rid} within {timeout} s")
                self.cond.wait(left)
            return self.results.pop(rid)

    def wait_next(self, n=1, timeout=60):
        """Waits until invocation/next was called n times in all; True when it was."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.next_calls < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def close(self):
        self.closing = True
        self.httpd.shutdown()
        self.httpd.server_close()


class LambdaProcess:
    """The binary as a Lambda custom runtime against api (a FakeRuntimeApi)."""

    def __init__(self, api, log_path, args=(), **env):
        self.api = api
        self.log_path = str(log_path)
        self.log = open(self.log_path, "wb")
        self.env = clean_env(AWS_LAMBDA_RUNTIME_API=api.address, AWS_LAMBDA_FUNCTION_NAME="otlp2parquet",
                             AWS_REGION="us-east-1", **env)
        self.proc = subprocess.Popen([BIN, *args], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.returncode = None

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait(self, timeout=60):
        self.returncode = self.proc.wait(timeout=timeout)
        self.log.close()
        return self.returncode

    def stop(self, timeout=60):
        """Makes invocation/next fail, so the loop ends and the process exits (leak check
        included); returns the exit code."""
        if self.returncode is None:
            self.api.closing = True
            try:
                self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.wait()
        return self.returncode


class LambdaRie:
    """aws-lambda-rie running bootstrap (argv list or path), listening on 127.0.0.1:port; the
    handler's environment is env (plus what the emulator sets). root: a folder for the log.
    chroot: a list of argv words to put before the emulator (e.g. ["chroot", root]); then
    rie and bootstrap are paths inside the new root. The emulator's flags:
    --runtime-interface-emulator-address HOST:PORT (its invoke API, default 0.0.0.0:8080),
    --runtime-api-address HOST:PORT (the Runtime API it gives the bootstrap in
    AWS_LAMBDA_RUNTIME_API, default 127.0.0.1:9001) and --log-level; the bootstrap (and its
    arguments) are its positional arguments (default /var/task/bootstrap, /opt/bootstrap or
    /var/runtime/bootstrap)."""

    def __init__(self, bootstrap, root, env=None, rie=None, prefix=(), startup_timeout=60):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations"
        self.root = str(root)
        os.makedirs(self.root, exist_ok=True)
        self.log_path = os.path.join(self.root, "rie.log")
        self.log = open(self.log_path, "wb")
        boot = [bootstrap] if isinstance(bootstrap, str) else list(bootstrap)
        full_env = clean_env(**(env or {}))
        full_env.setdefault("AWS_LAMBDA_FUNCTION_TIMEOUT", "120")
        self.runtime_api = f"127.0.0.1:{free_port()}"
        argv = [*prefix, rie or AWS_LAMBDA_RIE, "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
                "--runtime-api-address", self.runtime_api, "--log-level", "info", *boot]
        self.proc = subprocess.Popen(argv, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"aws-lambda-rie exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("aws-lambda-rie did not listen within the start-up timeout:\n" + self.output())

    def invoke(self, event, timeout=120):
        """POSTs event (dict or bytes) and returns (HTTP status, the function's answer as bytes)."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        req = urllib.request.Request(self.url, data=body, method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        terminate(self.proc)
        if not self.log.closed:
            self.log.close()
        assert_no_sanitizer_report(self.output())


# --- events ---------------------------------------------------------------------------------

def _body_fields(body, b64):
    if body is None:
        return None, False
    if b64:
        return base64.b64encode(body).decode(), True
    return body.decode("utf-8"), False


def event_v1(method, path, headers=None, body=None, b64=False, stage="prod", multi=False, resource_path=None):
    """An API Gateway REST API (payload 1.0) event. path is what API Gateway puts in `path`
    (with a custom domain's base path or a stage, as the caller chooses)."""
    text, enc = _body_fields(body, b64)
    headers = headers or {}
    ev = {
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": None if multi else headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} if multi else None,
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
        "requestContext": {"resourcePath": resource_path or "/{proxy+}", "httpMethod": method, "stage": stage,
                           "requestId": str(uuid.uuid4()), "accountId": "123456789012",
                           "identity": {"sourceIp": "192.0.2.1"}},
        "body": text, "isBase64Encoded": enc,
    }
    return ev


def event_v2(method, path, headers=None, body=None, b64=False, stage="$default", function_url=False):
    """An HTTP API (payload 2.0) event, or a Function URL's (function_url: its domain, stage
    $default); headers as API Gateway sends them: names lowercased."""
    text, enc = _body_fields(body, b64)
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    domain = "abcdefg.lambda-url.us-east-1.on.aws" if function_url else "api.example.com"
    raw = path if stage == "$default" else f"/{stage}{path}"
    ev = {
        "version": "2.0", "routeKey": "$default", "rawPath": raw, "rawQueryString": "",
        "cookies": ["session=abc"], "headers": hdrs,
        "requestContext": {"accountId": "123456789012" if not function_url else "anonymous",
                           "apiId": "abcdefg", "domainName": domain, "domainPrefix": "abcdefg",
                           "http": {"method": method, "path": raw, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1",
                                    "userAgent": "test"},
                           "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": stage,
                           "time": "04/Dec/2026:19:00:00 +0000", "timeEpoch": 1796410800000},
        "isBase64Encoded": enc,
    }
    if text is not None:
        ev["body"] = text
    return ev


def event_alb(method, path, headers=None, body=None, b64=False, multi=False):
    """An Application Load Balancer target event; multi: with multiValueHeaders (the target
    group's multi-value headers setting)."""
    text, enc = _body_fields(body, b64)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    ev = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
                                                     "targetgroup/otlp/0123456789abcdef"}},
        "httpMethod": method, "path": path,
        "body": text if text is not None else "", "isBase64Encoded": enc,
    }
    if multi:
        ev["multiValueQueryStringParameters"] = {}
        ev["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    else:
        ev["queryStringParameters"] = {}
        ev["headers"] = headers
    return ev


def response_body(resp):
    """The decoded body bytes of a Lambda HTTP response document."""
    b = resp.get("body") or ""
    return base64.b64decode(b) if resp.get("isBase64Encoded") else b.encode("utf-8")


def response_header(resp, name):
    for k, v in (resp.get("headers") or {}).items():
        if k.lower() == name.lower():
            return v
    for k, v in (resp.get("multiValueHeaders") or {}).items():
        if k.lower() == name.lower():
            return v[0] if v else None
    return None
