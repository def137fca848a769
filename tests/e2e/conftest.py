"""Shared fixtures of the end-to-end tests: the otlp2parquet binary (the ASan+UBSan build unless
OTLP2PARQUET_BIN says otherwise), a server started on a free loopback port with its own data
folder, readers of what it wrote, and a recording proxy that keeps a copy of every request a
client sends through it."""

import glob
import gzip
import http.client
import http.server
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("OTLP2PARQUET_BIN", os.path.join(ROOT, "build", "asan", "otlp2parquet"))
TOOLS = os.environ.get("OTLP2PARQUET_TOOLS", os.path.join(ROOT, "build", "tools"))
CACHE = os.environ.get("OTLP2PARQUET_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "otlp2parquet"))
# installed by scripts/ensure-deps.sh test
TELEMETRYGEN = os.environ.get("TELEMETRYGEN", os.path.join(CACHE, "bin", "telemetrygen"))

# A server whose buffers are flushed after one second (a 200 only means "buffered").
FAST_FLUSH = {"OTLP2PARQUET_BATCH_MAX_AGE_SECS": 1}

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


def clean_env(**extra):
    """The environment without any OTLP2PARQUET_*, ICEBERG_* or AWS_* of the caller, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTLP2PARQUET_", "ICEBERG_", "AWS_"))}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def assert_no_sanitizer_report(text):
    for mark in SANITIZER_MARKS:
        assert mark not in text, f"sanitizer report in the output:\n{text[-4000:]}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


class Server:
    """One running `otlp2parquet serve`."""

    def __init__(self, data_dir, log_path, **env):
        self.data_dir = str(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = str(log_path)
        self.env = clean_env(
            OTLP2PARQUET_LISTEN_ADDR=f"127.0.0.1:{self.port}",
            OTLP2PARQUET_STORAGE_PATH=self.data_dir,
            **env,
        )
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.returncode = None
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if self.get("/health").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not answer /health within 30 s:\n" + self.output())

    def request(self, method, path, body=None, headers=None, timeout=60):
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, content_type="application/x-protobuf", headers=None, **kw):
        h = {"Content-Type": content_type}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h, **kw)

    def output(self):
        if not self.log.closed:  # stop() closes it
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stops the server (SIGTERM by default) and returns its exit code."""
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            self.returncode = self.proc.wait(timeout=timeout)
            self.log.close()
        return self.returncode

    def parquet_files(self, table="*"):
        return sorted(glob.glob(os.path.join(self.data_dir, table, "**", "*.parquet"), recursive=True))

    def rows_on_disk(self, table):
        import pyarrow.parquet as pq
        return sum(pq.read_metadata(f).num_rows for f in self.parquet_files(table))

    def wait_for_rows(self, want, timeout=30):
        """Waits until the files hold `want` = {table: rows} (a flush by age or size); returns
        {table: rows} as last seen."""
        deadline = time.monotonic() + timeout
        while True:
            seen = {t: self.rows_on_disk(t) for t in want}
            if seen == want or time.monotonic() > deadline:
                return seen
            time.sleep(0.1)


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server(**env) -> Server; every server is stopped (SIGTERM) at the end and
    must exit 0 without a sanitizer report."""
    servers = []

    def start(data_dir=None, **env):
        d = data_dir or tmp_path / f"data{len(servers)}"
        s = Server(d, tmp_path / f"server{len(servers)}.log", **env)
        servers.append(s)
        return s

    yield start
    for s in servers:
        rc = s.stop()
        out = s.output()
        assert_no_sanitizer_report(out)
        assert rc == 0, f"server exited with {rc}:\n{out[-4000:]}"


@pytest.fixture
def server(start_server):
    return start_server()


def run_bin(args, **env):
    """Runs the binary to completion; returns CompletedProcess (text output)."""
    p = subprocess.run([BIN] + list(args), env=clean_env(**env), capture_output=True, text=True, timeout=600)
    assert_no_sanitizer_report(p.stdout + p.stderr)
    return p


class RecordingProxy:
    """An HTTP proxy in front of a server that keeps every request it forwards: (method, path,
    headers, body with any gzip Content-Encoding undone) in .requests, and the upstream answer's
    status in .statuses. For clients whose payloads the test cannot build itself (telemetrygen)
    or should not trust itself to know (the SDK exporters)."""

    def __init__(self, upstream_port):
        proxy = self
        self.requests = []
        self.statuses = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    parts = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        parts.append(self.rfile.read(size))
                        self.rfile.readline()
                    body = b"".join(parts)
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "keep-alive", "transfer-encoding")}
                plain = body
                if self.headers.get("Content-Encoding", "").lower() in ("gzip", "x-gzip"):
                    plain = gzip.decompress(body)
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
                try:
                    conn.request("POST", self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    rbody = resp.read()
                    rheaders = resp.getheaders()
                    status = resp.status
                finally:
                    conn.close()
                with proxy.lock:
                    proxy.requests.append((self.command, self.path, headers, plain))
                    proxy.statuses.append(status)
                self.send_response(status)
                for k, v in rheaders:
                    if k.lower() not in ("connection", "content-length", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(rbody)))
                self.end_headers()
                self.wfile.write(rbody)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.endpoint = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.endpoint}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self, path):
        with self.lock:
            return [b for _m, p, _h, b in self.requests if p == path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recording_proxy():
    """Factory: recording_proxy(server) -> RecordingProxy in front of it."""
    proxies = []

    def make(server):
        p = RecordingProxy(server.port)
        proxies.append(p)
        return p

    yield make
    for p in proxies:
        p.close()
