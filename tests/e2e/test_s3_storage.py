"""The s3 storage backend against versitygw, an S3 server that checks SigV4 signatures and
payload hashes strictly: every signal lands under the prefix in the documented layout and reads
back (pyarrow's S3 filesystem, DuckDB's httpfs) equal to what was sent; service names that need
escaping; a file above the multipart threshold goes by multipart upload and arrives whole with
no upload left open; a wrong secret key makes /ready fail naming the S3 error; the storage going
away and coming back shows in /ready; convert writes to S3 too."""

import http.client
import http.server
import math
import random
import re
import threading

import pyarrow.fs as pafs
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from conftest import FAST_FLUSH, run_bin
from otlp_values import (BASE_NS, TABLES, assert_rows_equal, build_logs_request, build_metrics_request,
                         build_traces_request, expected_rows, merge_expected, otlp_json_bytes, read_rows_duckdb, read_rows_pyarrow)

PREFIX = "otel/prod"
UUID7 = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"


def key_re(prefix):
    return re.compile(rf"^{re.escape(prefix)}/(?P<table>[a-z_]+)/service=(?P<svc>[^/]+)/year=\d{{4}}/month=\d\d/"
                      rf"day=\d\d/hour=\d\d/{UUID7}\.parquet$")


def start_s3_server(start_server, gw, prefix=PREFIX, **env):
    """A server writing to gw under prefix; its data_dir is the bucket's folder on disk, so the
    shared helpers that wait for rows (reading file footers) work unchanged."""
    d = gw.bucket_dir(*[p for p in prefix.split("/") if p])
    return start_server(data_dir=d, **gw.server_env(prefix=prefix, **env))


def rows_via_s3(gw, table, prefix=PREFIX):
    """The rows of table as pyarrow reads them over S3."""
    fs = gw.pyarrow_fs()
    sel = pafs.FileSelector(f"{gw.bucket}/{prefix}/{table}", recursive=True, allow_not_found=True)
    files = sorted(i.path for i in fs.get_file_info(sel) if i.path.endswith(".parquet"))
    return read_rows_pyarrow(files, table, filesystem=fs)


def assert_read_back(gw, expected, prefix=PREFIX, tables=TABLES):
    """pyarrow and DuckDB read every row back over S3. DuckDB gets the list of objects rather
    than a glob: its S3 glob asks ListObjectsV2 for encoding-type=url and decodes the keys it
    gets, but versitygw (1.7.0) answers them unencoded, so a key holding a %XX escape (any
    service name outside A-Z a-z 0-9 - _ .) would be asked for under another name. AWS encodes
    them as asked."""
    con = gw.duckdb()
    for t in tables:
        assert_rows_equal(rows_via_s3(gw, t, prefix), expected.get(t, []), t, " (pyarrow over S3)")
        if expected.get(t):
            files = [f"s3://{gw.bucket}/{k}" for k in gw.keys(f"{prefix}/{t}/")]
            assert_rows_equal(read_rows_duckdb(None, t, con, files=files), expected[t], t, " (DuckDB httpfs)")


def escaped(name):
    """The service folder name as DESIGN §4 has it: bytes outside A-Z a-z 0-9 - _ . as %XX, and
    the dots too in a name of dots only (never "." or "..")."""
    safe = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    if name.strip("."):
        safe += b"."
    return "".join(chr(b) if b in safe else f"%{b:02X}" for b in name.encode())


def logs_of_service(name, n, body=lambda i: f"record {i} ü", t0=BASE_NS):
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = name
    records = rl.scope_logs.add().log_records
    for i in range(n):
        r = records.add(time_unix_nano=t0 + i * 1000, observed_time_unix_nano=t0 + i * 1000 + 7)
        b = body(i)
        if isinstance(b, bytes):
            r.body.bytes_value = b
        else:
            r.body.string_value = b
    return req


def test_every_signal_lands_under_the_prefix_and_reads_back(s3_gateway, start_server):
    gw = s3_gateway
    reqs = [build_logs_request(300, random.Random(1)), build_traces_request(200, random.Random(2)),
            build_metrics_request(random.Random(3))]
    exp = merge_expected(reqs)
    want = {t: len(exp[t]) for t in TABLES if exp.get(t)}
    assert set(want) == set(TABLES), "the payloads must fill every table (all five metric kinds)"

    s = start_s3_server(start_server, gw, **FAST_FLUSH)
    assert s.get("/ready").status == 200
    for path, req in zip(("/v1/logs", "/v1/traces", "/v1/metrics"), reqs):
        r = s.post(path, req.SerializeToString())
        assert r.status == 200, r.body
    assert s.wait_for_rows(want, timeout=60) == want
    assert s.stop() == 0
    out = s.output()
    assert f"writing Parquet to s3://{gw.bucket}/{PREFIX}" in out, out[-2000:]
    assert "AWS credentials from environment" in out, out[-2000:]
    assert gw.secret_key not in out

    keys = gw.keys()
    pat = key_re(PREFIX)
    assert keys and all(pat.match(k) for k in keys), [k for k in keys if not pat.match(k)][:5]
    assert {pat.match(k)["table"] for k in keys} == set(TABLES)
    assert "s3_PutObject" in gw.operations()
    assert not gw.multipart_uploads()
    assert_read_back(gw, exp)


def test_service_name_needing_escapes_lands_escaped_and_reads_back(s3_gateway, start_server):
    gw = s3_gateway
    names = ["check out/ü 日本%41", "..", "a+b=c&d?e#f"]
    reqs = [logs_of_service(n, 5 + i) for i, n in enumerate(names)]
    s = start_s3_server(start_server, gw, **FAST_FLUSH)
    for req in reqs:
        assert s.post("/v1/logs", req.SerializeToString()).status == 200
    exp = merge_expected(reqs)
    assert s.wait_for_rows({"logs": len(exp["logs"])}, timeout=60) == {"logs": len(exp["logs"])}
    assert s.stop() == 0
    pat = key_re(PREFIX)
    services = sorted(pat.match(k)["svc"] for k in gw.keys())
    assert services == sorted(escaped(n) for n in names), services
    assert_read_back(gw, exp, tables=["logs"])
    assert sorted({r["ServiceName"] for r in rows_via_s3(gw, "logs")}) == sorted(names)


def test_file_above_the_threshold_goes_by_multipart_and_arrives_whole(s3_gateway, start_server):
    gw = s3_gateway
    part = 5 << 20
    s = start_s3_server(start_server, gw, OTLP2PARQUET_S3_MULTIPART_THRESHOLD=part, OTLP2PARQUET_S3_PART_SIZE=part,
                        OTLP2PARQUET_BATCH_MAX_AGE_SECS=3600)
    rng = random.Random(7)
    # random bytes do not compress: 4 requests of 3.5 MiB make one file of well over 12 MiB
    reqs = [logs_of_service("bulk", 56, body=lambda i: rng.randbytes(64 << 10), t0=BASE_NS + k * 10**9)
            for k in range(4)]
    for req in reqs:
        r = s.post("/v1/logs", req.SerializeToString())
        assert r.status == 200, r.body
    assert s.stop() == 0, s.output()[-3000:]  # SIGTERM writes what is buffered

    keys = gw.keys(PREFIX + "/")
    assert len(keys) == 1, keys
    size = gw.client().head_object(Bucket=gw.bucket, Key=keys[0])["ContentLength"]
    assert size > 12 << 20, size
    ops = gw.operations()
    assert ops.count("s3_CreateMultipartUpload") == 1, ops
    assert ops.count("s3_UploadPart") == math.ceil(size / part), ops
    assert ops.count("s3_CompleteMultipartUpload") == 1, ops
    assert "s3_PutObject" not in ops and "s3_AbortMultipartUpload" not in ops, ops
    assert not gw.multipart_uploads()
    assert_read_back(gw, merge_expected(reqs), tables=["logs"])
    # a service name without escapes: DuckDB's own S3 glob finds the file too
    glob_rows = read_rows_duckdb(f"s3://{gw.bucket}/{PREFIX}", "logs", gw.duckdb())
    assert_rows_equal(glob_rows, merge_expected(reqs)["logs"], "logs", " (DuckDB S3 glob)")


def test_wrong_secret_key_is_not_ready_naming_signature_does_not_match(s3_gateway, start_server):
    gw = s3_gateway
    wrong = "wrong/secret+key0000000000000000000000"
    s = start_s3_server(start_server, gw, secret_key=wrong)
    r = s.get("/ready")
    assert r.status == 503, (r.status, r.body)
    assert b"SignatureDoesNotMatch" in r.body, r.body
    assert s.stop() == 0
    out = s.output()
    assert "SignatureDoesNotMatch" in out, out[-3000:]
    assert wrong not in out and "Authorization" not in out


def test_ready_follows_the_storage_going_away_and_coming_back(s3_gateway, start_server):
    gw = s3_gateway
    s = start_s3_server(start_server, gw)
    assert s.get("/ready").status == 200
    gw.stop()
    r = s.get("/ready")
    assert r.status == 503 and b"127.0.0.1" in r.body, (r.status, r.body)
    gw.start()
    assert s.get("/ready").status == 200


def test_convert_writes_to_s3(s3_gateway, tmp_path):
    gw = s3_gateway
    logs, traces = build_logs_request(120, random.Random(4)), build_traces_request(90, random.Random(5))
    metrics = build_metrics_request(random.Random(6))
    inputs = {"logs.pb": logs.SerializeToString(), "traces.json": otlp_json_bytes(traces),
              "metrics.pb": metrics.SerializeToString()}
    paths = []
    for name, data in inputs.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    # the prefix is normalised: leading and trailing '/' do not make empty key segments
    p = run_bin(["convert", "-q", *paths], **gw.server_env(prefix="/otel/convert/"))
    assert p.returncode == 0, p.stderr
    keys = gw.keys()
    pat = key_re("otel/convert")
    assert keys and all(pat.match(k) for k in keys), keys[:5]
    assert_read_back(gw, merge_expected([logs, traces, metrics]), prefix="otel/convert")


def test_s3_configuration_errors_stop_start_up():
    p = run_bin(["serve"], OTLP2PARQUET_STORAGE_BACKEND="s3")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "OTLP2PARQUET_S3_BUCKET" in p.stderr, p.stderr
    base = {"OTLP2PARQUET_STORAGE_BACKEND": "s3", "OTLP2PARQUET_S3_BUCKET": "b", "AWS_EC2_METADATA_DISABLED": "true"}
    for name, value in (("OTLP2PARQUET_S3_MULTIPART_THRESHOLD", str((5 << 20) - 1)),
                        ("OTLP2PARQUET_S3_PART_SIZE", "1MiB"), ("OTLP2PARQUET_S3_ENDPOINT", "ftp://x")):
        p = run_bin(["serve"], **base, **{name: value})
        assert p.returncode == 2, (name, p.returncode, p.stderr)
        assert (name if "ENDPOINT" not in name else "endpoint") in p.stderr, p.stderr
    p = run_bin(["--help"])
    assert "OTLP2PARQUET_S3_MULTIPART_THRESHOLD" in p.stdout and "OTLP2PARQUET_S3_PART_SIZE" in p.stdout


# --- faults: a proxy in front of versitygw answers some requests itself ----------------------


class FaultProxy:
    """Forwards every request to the gateway unchanged (Host header included, so signatures stay
    valid), except that each rule (method, query-string test, status, body), taken in order,
    answers the first matching request itself, once; a rule with a fifth item "after" forwards
    the request first and then answers with its status and body instead of the gateway's.
    .seen lists (method, path, query) of every request."""

    def __init__(self, gw, rules):
        proxy = self
        self.rules = list(rules)
        self.seen = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path, _, query = self.path.partition("?")
                with proxy.lock:
                    proxy.seen.append((self.command, path, query))
                    rule = next((r for r in proxy.rules if r[0] == self.command and r[1](query)), None)
                    if rule:
                        proxy.rules.remove(rule)
                if rule and not rule[4:]:
                    status, rbody, rheaders = rule[2], rule[3], [("Content-Type", "application/xml")]
                else:
                    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=120)
                    try:
                        conn.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST") else None,
                                     headers={k: v for k, v in self.headers.items() if k.lower() != "connection"})
                        resp = conn.getresponse()
                        rbody = resp.read()
                        status, rheaders = resp.status, resp.getheaders()
                    finally:
                        conn.close()
                    if rule:  # "after": the request did reach the gateway, the answer is lost
                        status, rbody, rheaders = rule[2], rule[3], [("Content-Type", "application/xml")]
                self.send_response(status)
                length = str(len(rbody))
                for k, v in rheaders:
                    if k.lower() == "content-length" and self.command == "HEAD":
                        length = v  # the size of the object, which a HEAD does not send
                    elif k.lower() not in ("connection", "content-length", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(rbody)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def count(self, method, query_test=lambda q: True, path_test=lambda p: True):
        with self.lock:
            return sum(1 for m, p, q in self.seen if m == method and query_test(q) and path_test(p))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def s3_error(code, message="injected"):
    return f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()


def is_object_put(q):
    return q == ""


@pytest.fixture
def fault_proxy(s3_gateway):
    proxies = []

    def make(rules):
        p = FaultProxy(s3_gateway, rules)
        proxies.append(p)
        return p

    yield make
    for p in proxies:
        p.close()


def test_throttling_server_errors_and_expired_tokens_are_retried(s3_gateway, start_server, fault_proxy):
    gw = s3_gateway
    proxy = fault_proxy([("PUT", is_object_put, 503, s3_error("SlowDown", "Please reduce your request rate.")),
                         ("PUT", is_object_put, 500, s3_error("InternalError")),
                         ("PUT", is_object_put, 403, s3_error("ExpiredToken", "The provided token has expired."))])
    req = logs_of_service("retried", 30)
    s = start_s3_server(start_server, gw, OTLP2PARQUET_S3_ENDPOINT=proxy.endpoint, **FAST_FLUSH)
    assert s.post("/v1/logs", req.SerializeToString()).status == 200
    assert s.wait_for_rows({"logs": 30}, timeout=60) == {"logs": 30}
    assert s.stop() == 0
    assert proxy.count("PUT", is_object_put) == 4  # two retries, one after fetching credentials again
    out = s.output()
    assert "SlowDown" in out and "retrying in" in out, out[-3000:]
    assert len(gw.keys()) == 1
    assert_read_back(gw, expected_rows(req), tables=["logs"])


def test_a_refused_put_is_not_retried_at_once(s3_gateway, start_server, fault_proxy):
    gw = s3_gateway
    proxy = fault_proxy([("PUT", is_object_put, 403, s3_error("AccessDenied", "Access Denied"))])
    req = logs_of_service("denied-once", 3)
    s = start_s3_server(start_server, gw, OTLP2PARQUET_S3_ENDPOINT=proxy.endpoint, **FAST_FLUSH)
    assert s.post("/v1/logs", req.SerializeToString()).status == 200
    # the ingest layer keeps the buffer and writes it again later
    assert s.wait_for_rows({"logs": 3}, timeout=60) == {"logs": 3}
    assert s.stop() == 0
    out = s.output()
    assert re.search(r"s3 PUT s3://otel-bucket/otel/prod/logs/service=denied-once/\S+: HTTP 403 AccessDenied: "
                     r"Access Denied", out), out[-3000:]
    assert proxy.count("PUT", is_object_put) == 2
    assert_read_back(gw, expected_rows(req), tables=["logs"])


def test_a_failed_multipart_upload_is_aborted_and_leaves_nothing(s3_gateway, start_server, fault_proxy):
    gw = s3_gateway
    part = 5 << 20
    # the first upload's second part is refused: aborted at once. The second upload's completion
    # "succeeds" with an error inside its 200 (S3 does that) on every attempt: aborted after the
    # retries. The third upload lands.
    complete_error = ("POST", lambda q: q.startswith("uploadId="), 200,
                      s3_error("InternalError", "We encountered an internal error. Please try again."))
    proxy = fault_proxy([("PUT", lambda q: "partNumber=2" in q, 400, s3_error("InvalidPart", "injected"))] +
                        [complete_error] * 4)
    s = start_s3_server(start_server, gw, OTLP2PARQUET_S3_ENDPOINT=proxy.endpoint,
                        OTLP2PARQUET_S3_MULTIPART_THRESHOLD=part, OTLP2PARQUET_S3_PART_SIZE=part, **FAST_FLUSH)
    rng = random.Random(8)
    req = logs_of_service("mp", 48, body=lambda i: rng.randbytes(128 << 10))  # 6 MiB of noise: two parts
    assert s.post("/v1/logs", req.SerializeToString()).status == 200
    assert s.wait_for_rows({"logs": 48}, timeout=90) == {"logs": 48}
    assert s.stop() == 0
    assert proxy.count("POST", lambda q: q.startswith("uploads")) == 3
    assert proxy.count("POST", lambda q: q.startswith("uploadId=")) == 5
    assert proxy.count("DELETE", lambda q: q.startswith("uploadId=")) == 2
    assert not gw.multipart_uploads()
    assert len(gw.keys()) == 1
    out = s.output()
    assert "UploadPart 2 of 2" in out and "InvalidPart" in out, out[-3000:]
    assert "CompleteMultipartUpload" in out and "InternalError" in out, out[-3000:]
    assert_read_back(gw, expected_rows(req), tables=["logs"])


def test_a_completion_whose_answer_was_lost_is_not_undone(s3_gateway, start_server, fault_proxy):
    gw = s3_gateway
    part = 5 << 20
    # the gateway completes the upload, the client sees a 500: the retry finds no upload (404
    # NoSuchUpload), and the object, whole, is there: success, nothing aborted, written once
    # (versitygw would answer the retry with a 200; AWS answers NoSuchUpload, as injected here)
    complete = lambda q: q.startswith("uploadId=")  # noqa: E731
    proxy = fault_proxy([("POST", complete, 500, s3_error("InternalError"), "after"),
                         ("POST", complete, 404, s3_error("NoSuchUpload", "The specified upload does not exist."))])
    s = start_s3_server(start_server, gw, OTLP2PARQUET_S3_ENDPOINT=proxy.endpoint,
                        OTLP2PARQUET_S3_MULTIPART_THRESHOLD=part, OTLP2PARQUET_S3_PART_SIZE=part, **FAST_FLUSH)
    rng = random.Random(9)
    req = logs_of_service("lost-answer", 48, body=lambda i: rng.randbytes(128 << 10))
    assert s.post("/v1/logs", req.SerializeToString()).status == 200
    assert s.wait_for_rows({"logs": 48}, timeout=60) == {"logs": 48}
    assert s.stop() == 0
    assert proxy.count("POST", lambda q: q.startswith("uploads")) == 1
    assert proxy.count("POST", lambda q: q.startswith("uploadId=")) == 2
    assert proxy.count("DELETE") == 0 and proxy.count("HEAD") == 1
    assert len(gw.keys()) == 1 and not gw.multipart_uploads()
    assert "completed by an earlier try" in s.output()
    assert_read_back(gw, expected_rows(req), tables=["logs"])
