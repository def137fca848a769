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
VERSITYGW = os.environ.get("VERSITYGW", os.path.join(CACHE, "bin", "versitygw"))

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


def terminate(proc, timeout=20):
    """SIGTERM, then SIGKILL after timeout seconds; waits for the process either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


class S3Gateway:
    """versitygw (an S3 server that checks SigV4 signatures and payload hashes strictly) with its
    posix backend over a folder, on a loopback port: bucket `bucket` is the folder root/bucket.
    start() and stop() may be called again and again (a test can take the storage away under
    load and bring it back); the port, the data and the access log stay. The access log names
    every S3 operation that reached it (s3_PutObject, s3_UploadPart, ...)."""

    access_key = "AKIAOTLP2PARQUETTEST"
    secret_key = "otlp2parquet/test+secret/key0123456789AB"
    region = "us-east-1"

    def __init__(self, root, bucket="otel-bucket"):
        assert os.access(VERSITYGW, os.X_OK), f"{VERSITYGW} is missing: run scripts/ensure-deps.sh test"
        self.root = str(root)
        self.bucket = bucket
        os.makedirs(os.path.join(self.root, "data", bucket), exist_ok=True)  # the posix backend: a folder is a bucket
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.access_log = os.path.join(self.root, "access.log")
        self.log_path = os.path.join(self.root, "versitygw.log")
        self.proc = None
        self._client = None

    def bucket_dir(self, *parts):
        """The folder on disk that holds the objects under the key prefix parts."""
        return os.path.join(self.root, "data", self.bucket, *parts)

    def start(self, timeout=30):
        assert self.proc is None, "already running"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [VERSITYGW, "--access", self.access_key, "--secret", self.secret_key, "--region", self.region,
             "--port", f"127.0.0.1:{self.port}", "--access-log", self.access_log,
             "posix", os.path.join(self.root, "data")],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"versitygw exited with {self.proc.returncode}:\n{self.output()}")
            try:
                self.client().head_bucket(Bucket=self.bucket)
                return self
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("versitygw did not answer within 30 s:\n" + self.output())

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def kill(self):
        """Takes the storage away abruptly (SIGKILL: a crash, no request finished)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client(self):
        """A botocore S3 client for checking what arrived (path style, no retries)."""
        if self._client is None:
            import botocore.session
            from botocore.config import Config
            self._client = botocore.session.get_session().create_client(
                "s3", endpoint_url=self.endpoint, region_name=self.region, aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                              connect_timeout=2, read_timeout=30))
        return self._client

    def keys(self, prefix=""):
        """Every object key under prefix (ListObjectsV2), sorted."""
        out, token = [], None
        while True:
            kw = {"Bucket": self.bucket, "Prefix": prefix}
            if token:
                kw["ContinuationToken"] = token
            r = self.client().list_objects_v2(**kw)
            out += [o["Key"] for o in r.get("Contents", [])]
            if not r.get("IsTruncated"):
                return sorted(out)
            token = r["NextContinuationToken"]

    def multipart_uploads(self):
        return self.client().list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])

    def operations(self):
        """The S3 operations in the access log, in order (e.g. "s3_PutObject")."""
        if not os.path.exists(self.access_log):
            return []
        with open(self.access_log, encoding="utf-8", errors="replace") as f:
            return [w for line in f for w in line.split() if w.startswith("s3_")][:100000]

    def server_env(self, prefix="", secret_key=None, **extra):
        """The environment of an otlp2parquet that writes to this bucket."""
        env = {
            "OTLP2PARQUET_STORAGE_BACKEND": "s3",
            "OTLP2PARQUET_S3_BUCKET": self.bucket,
            "OTLP2PARQUET_S3_PREFIX": prefix,
            "OTLP2PARQUET_S3_ENDPOINT": self.endpoint,
            "OTLP2PARQUET_S3_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key or self.secret_key,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.update(extra)
        return env

    def pyarrow_fs(self):
        from pyarrow import fs
        return fs.S3FileSystem(access_key=self.access_key, secret_key=self.secret_key, region=self.region,
                               endpoint_override=f"127.0.0.1:{self.port}", scheme="http")

    def duckdb(self):
        """A DuckDB connection with httpfs (from the duckdb-extension-httpfs wheel: no download)
        and a secret for this gateway."""
        import duckdb
        import duckdb_extension_httpfs
        ext = glob.glob(os.path.join(os.path.dirname(duckdb_extension_httpfs.__file__), "extensions", "v*",
                                     "httpfs.duckdb_extension"))
        assert ext, "httpfs.duckdb_extension not found in the duckdb-extension-httpfs package"
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        con.execute(f"LOAD '{ext[0]}'")
        con.execute(f"""CREATE SECRET gw (TYPE s3, KEY_ID '{self.access_key}', SECRET '{self.secret_key}',
                        ENDPOINT '127.0.0.1:{self.port}', URL_STYLE 'path', USE_SSL false, REGION '{self.region}')""")
        return con


@pytest.fixture
def s3_gateway(tmp_path):
    """A running S3Gateway (versitygw) over tmp_path/s3; stopped at the end."""
    gw = S3Gateway(tmp_path / "s3")
    gw.start()
    yield gw
    gw.stop()


ICEBERG_REST_JAR = os.environ.get("ICEBERG_REST_JAR", os.path.join(CACHE, "jars", "iceberg-open-api-1.10.1.jar"))


class IcebergRestFixture:
    """Apache Iceberg's REST catalog fixture (org.apache.iceberg.rest.RESTCatalogServer) on a
    free loopback port, its JDBC catalog a SQLite file under root.
    RESTCatalogServer reads CATALOG_* variables (CATALOG_FOO__BAR_BAZ -> foo-bar.baz) as the
    properties of its backend catalog (and answers every LoadTableResponse with them when
    include-credentials is true, see below).

    IcebergRestFixture(root): the warehouse is the local folder root/warehouse (`file:/...`).
    IcebergRestFixture(root, s3=gateway): the warehouse is s3://<gateway.bucket>/<prefix> on a
    running S3Gateway (versitygw), written by the fixture's S3FileIO (iceberg-aws and the AWS SDK
    are bundled in the iceberg-open-api jar) with path-style requests to gateway.endpoint.
    vend_credentials=True (only with s3) sets include-credentials: every loadTable/createTable/
    commit answer then carries `config` {s3.access-key-id, s3.secret-access-key} (the fixture
    vends keys, never the endpoint, region or path style); False: `config` is empty.
    extra_env: more CATALOG_* (or JVM) variables."""

    def __init__(self, root, s3=None, prefix="warehouse", vend_credentials=False, extra_env=None):
        self.root = str(root)
        self.s3 = s3
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CATALOG_", "AWS_"))}
        if s3 is None:
            os.makedirs(os.path.join(self.root, "warehouse"), exist_ok=True)
            self.warehouse = "file:" + os.path.join(self.root, "warehouse")
        else:
            self.warehouse = f"s3://{s3.bucket}/{prefix}"
            env.update(CATALOG_IO__IMPL="org.apache.iceberg.aws.s3.S3FileIO",
                       CATALOG_S3_ENDPOINT=s3.endpoint,
                       CATALOG_S3_PATH__STYLE__ACCESS="true",
                       CATALOG_CLIENT_REGION=s3.region,
                       # the AWS SDK's own chain (environment variables) for the fixture's S3FileIO
                       AWS_ACCESS_KEY_ID=s3.access_key, AWS_SECRET_ACCESS_KEY=s3.secret_key,
                       AWS_REGION=s3.region, AWS_EC2_METADATA_DISABLED="true")
            if vend_credentials:
                env.update(CATALOG_INCLUDE__CREDENTIALS="true",
                           CATALOG_S3_ACCESS__KEY__ID=s3.access_key,
                           CATALOG_S3_SECRET__ACCESS__KEY=s3.secret_key)
        env.update(CATALOG_REST_PORT=str(self.port), CATALOG_WAREHOUSE=self.warehouse,
                   CATALOG_URI="jdbc:sqlite:file:" + os.path.join(self.root, "catalog.db"))
        env.update({k: str(v) for k, v in (extra_env or {}).items()})
        if not os.path.exists(ICEBERG_REST_JAR):
            raise RuntimeError(f"{ICEBERG_REST_JAR} is missing: run scripts/ensure-deps.sh test")
        os.makedirs(self.root, exist_ok=True)
        self.log = open(os.path.join(self.root, "fixture.log"), "wb")
        self.proc = subprocess.Popen(["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-jar", ICEBERG_REST_JAR],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the Iceberg REST fixture exited:\n" + self.output()[-4000:])
            try:
                with urllib.request.urlopen(self.uri + "/v1/config", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the Iceberg REST fixture did not answer /v1/config within 120 s")

    def output(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client_properties(self):
        """The properties a client (pyiceberg's load_catalog, our writer's FileIO) needs for this
        warehouse's files: for S3 the gateway's endpoint, keys, region and path style."""
        if self.s3 is None:
            return {}
        return {"s3.endpoint": self.s3.endpoint, "s3.access-key-id": self.s3.access_key,
                "s3.secret-access-key": self.s3.secret_key, "s3.region": self.s3.region,
                "s3.path-style-access": "true"}

    def catalog(self, name="fixture", **props):
        """A pyiceberg RestCatalog on this fixture (see iceberg_readers.pyiceberg_catalog)."""
        from iceberg_readers import pyiceberg_catalog
        return pyiceberg_catalog(self, name=name, **props)

    def stop(self):
        terminate(self.proc)
        self.log.close()


@pytest.fixture(scope="session")
def iceberg_rest(tmp_path_factory):
    """One Iceberg REST fixture per session (the JVM takes a while), its warehouse a local
    file: folder; tests use their own namespace."""
    f = IcebergRestFixture(tmp_path_factory.mktemp("iceberg-rest"))
    yield f
    f.stop()


@pytest.fixture(scope="session")
def iceberg_s3_gateway(tmp_path_factory):
    """A versitygw for the whole session (bucket `iceberg-bucket`), the storage of iceberg_rest_s3;
    tests that take storage away use their own s3_gateway instead."""
    gw = S3Gateway(tmp_path_factory.mktemp("iceberg-s3"), bucket="iceberg-bucket")
    gw.start()
    yield gw
    gw.stop()


@pytest.fixture(scope="session")
def iceberg_rest_s3(tmp_path_factory, iceberg_s3_gateway):
    """One Iceberg REST fixture per session with its warehouse s3://iceberg-bucket/warehouse on
    iceberg_s3_gateway, vending the gateway's keys in every loadTable `config`."""
    f = IcebergRestFixture(tmp_path_factory.mktemp("iceberg-rest-s3"), s3=iceberg_s3_gateway, vend_credentials=True)
    yield f
    f.stop()


@pytest.fixture
def lambda_rie():
    """Factory: lambda_rie(bootstrap, root, env=None, rie=None, prefix=()) -> a started
    lambda_runtime.LambdaRie (the AWS Lambda Runtime Interface Emulator running bootstrap, a path
    or an argv list; prefix e.g. ["chroot", root] to run it in another root); all are stopped at
    the end, without a sanitizer report in their output. Skips when aws-lambda-rie is missing."""
    from lambda_runtime import AWS_LAMBDA_RIE, LambdaRie
    started = []

    def start(bootstrap, root, **kw):
        if not kw.get("rie") and not os.path.exists(AWS_LAMBDA_RIE):
            pytest.skip(f"{AWS_LAMBDA_RIE} is missing: run scripts/ensure-deps.sh test")
        r = LambdaRie(bootstrap, root, **kw)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()
