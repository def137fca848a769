"""The Lambda mode (AWS_LAMBDA_RUNTIME_API set) against a fake Runtime API (lambda_runtime.py):
API Gateway REST (v1), HTTP API (v2), Function URL and ALB events for logs, traces and metrics,
protobuf and JSON, base64 and plain bodies, gzip, stage prefixes and header names in any case;
status codes and bodies as the server's (DESIGN §6), in the family's response shape; each
invocation's files written before it answers (read back with pyarrow, row for row); bad input
a 400 that writes nothing; a runtime error only for events that are no HTTP event; init errors
for bad configuration and an unreachable catalog; the Iceberg mode committing every invocation,
and a catalog that is down at an invocation (200, a pending record, committed by the next one).
Then the same binary under the AWS Lambda Runtime Interface Emulator (aws-lambda-rie)."""

import glob
import gzip
import json
import os
import random
import types
import uuid
import zlib

import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from catalog_proxy import CatalogProxy
from conftest import BIN, assert_no_sanitizer_report, free_port
from iceberg_readers import pyiceberg_catalog
from lambda_runtime import FakeRuntimeApi, LambdaProcess, event_alb, event_v1, event_v2, response_body, response_header
from otlp_values import (SIGNAL_TABLES, assert_rows_equal, build_logs_request, build_metrics_request,
                         build_traces_request, merge_expected, otlp_json_bytes, read_rows_pyarrow, rows_of_arrow)

PB, JSON = "application/x-protobuf", "application/json"
RESPONSE = {"logs": ExportLogsServiceResponse, "traces": ExportTraceServiceResponse,
            "metrics": ExportMetricsServiceResponse}
REJECTED = {"logs": "rejectedLogRecords", "traces": "rejectedSpans", "metrics": "rejectedDataPoints"}
SIGNALS = ["logs", "traces", "metrics"]


def build(signal, seed):
    rng = random.Random(seed)
    if signal == "logs":
        return build_logs_request(12, rng)
    if signal == "traces":
        return build_traces_request(10, rng)
    return build_metrics_request(rng, points=3)


# --- events of every family -----------------------------------------------------------------

# (name, builder(method, path, headers, body, b64) -> event)
FAMILIES = {
    "v1": lambda m, p, h, b, b64: event_v1(m, "/prod" + p, h, b, b64, stage="prod"),
    "v1-nostage": lambda m, p, h, b, b64: event_v1(m, p, h, b, b64, stage="prod"),
    "v1-multi": lambda m, p, h, b, b64: event_v1(m, p, h, b, b64, stage="$default", multi=True),
    "v2": lambda m, p, h, b, b64: event_v2(m, p, h, b, b64, stage="beta"),
    "v2-default": lambda m, p, h, b, b64: event_v2(m, p, h, b, b64),
    "function-url": lambda m, p, h, b, b64: event_v2(m, p, h, b, b64, function_url=True),
    "alb": lambda m, p, h, b, b64: event_alb(m, p, h, b, b64),
    "alb-multi": lambda m, p, h, b, b64: event_alb(m, p, h, b, b64, multi=True),
}

# (name, content type, gzip, base64, header-name style)
VARIANTS = {
    "pb-b64": (PB, False, True, "Content-Type"),
    "pb-gzip-b64": (PB, True, True, "CONTENT-TYPE"),
    "json-plain": (JSON, False, False, "content-type"),
    "json-gzip-b64": (JSON, True, True, "Content-type"),
    "json-b64": (JSON, False, True, "CoNtEnT-TyPe"),
}


def encode(req, content_type, gz):
    body = req.SerializeToString() if content_type == PB else otlp_json_bytes(req)
    return gzip.compress(body) if gz else body


def headers_for(content_type, gz, style):
    h = {style: content_type}
    if gz:
        h["Content-Encoding" if style[0].isupper() else "content-encoding"] = "gzip"
    return h


def check_shape(family, resp, status):
    """The response document of family: statusCode, headers in the right style, body,
    isBase64Encoded; ALB also statusDescription."""
    assert resp["statusCode"] == status, resp
    assert isinstance(resp["body"], str) and isinstance(resp["isBase64Encoded"], bool), resp
    if family.startswith("alb"):
        assert resp["statusDescription"].startswith(f"{status} "), resp
        if family == "alb-multi":
            assert "multiValueHeaders" in resp and "headers" not in resp, resp
            assert all(isinstance(v, list) for v in resp["multiValueHeaders"].values()), resp
        else:
            assert "headers" in resp and "multiValueHeaders" not in resp, resp
    else:
        assert "statusDescription" not in resp and isinstance(resp["headers"], dict), resp


def status_of(resp):
    """The google.rpc.Status of an error response, in its encoding: (code, message)."""
    body = response_body(resp)
    if response_header(resp, "Content-Type").startswith(PB):
        assert resp["isBase64Encoded"] is True, resp
        st = status_pb2.Status.FromString(body)
        return st.code, st.message
    assert resp["isBase64Encoded"] is False, resp
    doc = json.loads(body)
    return doc["code"], doc["message"]


def parquet_files(data_dir):
    return set(glob.glob(os.path.join(str(data_dir), "**", "*.parquet"), recursive=True))


def files_of(files, data_dir, table):
    prefix = os.path.join(str(data_dir), table) + os.sep
    return sorted(f for f in files if f.startswith(prefix))


@pytest.fixture(scope="module")
def lam(tmp_path_factory):
    """One warm Lambda environment for the module (a fake Runtime API, the binary, fs storage):
    every invocation reuses it, as a warm container does. At the end the Runtime API fails, the
    loop ends and the process exits (leak check included) without a sanitizer report."""
    root = tmp_path_factory.mktemp("lambda")
    api = FakeRuntimeApi()
    data = root / "data"
    p = LambdaProcess(api, root / "lambda.log", OTLP2PARQUET_STORAGE_BACKEND="fs", OTLP2PARQUET_STORAGE_PATH=data)
    assert api.wait_next(1, timeout=60), p.output()
    yield types.SimpleNamespace(api=api, proc=p, data=data)
    rc = p.stop()
    out = p.output()
    api.close()
    assert_no_sanitizer_report(out)
    assert rc == 1, out[-3000:]  # "the Runtime API failed": the only way the loop ends
    # logs are JSON lines (LOG_FORMAT defaults to json in Lambda)
    for line in out.splitlines():
        if line.strip():
            doc = json.loads(line)
            assert {"time", "level", "message"} <= set(doc), line


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("signal", SIGNALS)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_export_lands_row_for_row(lam, family, signal, variant):
    content_type, gz, b64, style = VARIANTS[variant]
    if not b64 and gz:
        pytest.skip("gzip needs base64")
    seed = zlib.crc32(f"{family} {signal} {variant}".encode()) % 100000
    req = build(signal, seed)
    body = encode(req, content_type, gz)
    before = parquet_files(lam.data)
    inv = lam.api.invoke(FAMILIES[family]("POST", f"/v1/{signal}", headers_for(content_type, gz, style), body, b64))
    assert inv.kind == "response", inv.body
    resp = inv.json()
    check_shape(family, resp, 200)
    assert response_header(resp, "Content-Type") == content_type, resp
    assert resp["isBase64Encoded"] is (content_type == PB), resp
    expected = merge_expected([req])
    rejected = expected.get("rejected", 0)
    rbody = response_body(resp)
    if content_type == PB:
        got = RESPONSE[signal].FromString(rbody)
        field = {"logs": "rejected_log_records", "traces": "rejected_spans", "metrics": "rejected_data_points"}
        assert getattr(got.partial_success, field[signal]) == rejected, got
    else:
        doc = json.loads(rbody)
        assert int(doc.get("partialSuccess", {}).get(REJECTED[signal], 0)) == rejected, doc
    # written before the answer: the new files hold exactly the request's rows
    new = parquet_files(lam.data) - before
    for table in SIGNAL_TABLES[signal]:
        rows = expected.get(table, [])
        files = files_of(new, lam.data, table)
        assert bool(files) == bool(rows), (table, files)
        assert_rows_equal(read_rows_pyarrow(files, table), rows, table, f" ({family}, {variant})")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_health_ready_and_routes(lam, family):
    mk = FAMILIES[family]
    r = lam.api.invoke(mk("GET", "/health", {}, None, False)).json()
    check_shape(family, r, 200)
    assert response_body(r) == b"ok" and response_header(r, "Content-Type").startswith("text/plain"), r
    r = lam.api.invoke(mk("GET", "/ready", {}, None, False)).json()
    check_shape(family, r, 200)
    # unknown path: 404; wrong method: 405 with Allow; wrong media type or encoding: 415
    r = lam.api.invoke(mk("POST", "/v1/nope", {"Content-Type": JSON}, b"{}", False)).json()
    check_shape(family, r, 404)
    assert status_of(r)[0] == 5
    r = lam.api.invoke(mk("GET", "/v1/logs", {}, None, False)).json()
    check_shape(family, r, 405)
    assert response_header(r, "Allow") == "POST"
    r = lam.api.invoke(mk("POST", "/health", {}, None, False)).json()
    check_shape(family, r, 405)
    assert response_header(r, "Allow") == "GET, HEAD"
    r = lam.api.invoke(mk("POST", "/v1/logs", {"Content-Type": "text/plain"}, b"x", False)).json()
    check_shape(family, r, 415)
    assert status_of(r)[0] == 12
    r = lam.api.invoke(mk("POST", "/v1/logs", {"Content-Type": PB, "Content-Encoding": "br"}, b"x", True)).json()
    check_shape(family, r, 415)
    code, msg = status_of(r)
    assert code == 12 and "Content-Encoding" in msg


BAD = {
    # name: (content type, body bytes, base64, gzip the body, want status, want gRPC code)
    "bad-protobuf": (PB, b"\xff\xff\xff", True, False, 400, 3),
    "bad-json": (JSON, b'{"resourceLogs": [', False, False, 400, 3),
    "bad-gzip": (PB, b"not gzip at all", True, False, 400, 3),
    "gzip-bomb": (JSON, b"\0" * (7 << 20), True, True, 413, 8),
    "plain-too-large": (JSON, b" " * ((6 << 20) + 10), False, False, 413, 8),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("family", ["v1", "v2", "function-url", "alb-multi"])
def test_bad_input_is_an_error_response_and_writes_nothing(lam, family, case):
    content_type, body, b64, gz, status, grpc = BAD[case]
    headers = {"Content-Type": content_type}
    if gz or case == "bad-gzip":
        headers["Content-Encoding"] = "gzip"
    if gz:
        body = gzip.compress(body)
    before = parquet_files(lam.data)
    inv = lam.api.invoke(FAMILIES[family]("POST", "/v1/logs", headers, body, b64))
    assert inv.kind == "response", inv.body
    r = inv.json()
    check_shape(family, r, status)
    code, msg = status_of(r)
    assert code == grpc and msg, (code, msg)
    assert response_header(r, "Content-Type") == content_type
    assert parquet_files(lam.data) == before


@pytest.mark.parametrize("family", ["v1", "v2", "alb"])
def test_malformed_http_events_get_400(lam, family):
    """An event of a known family with fields of the wrong type, bad base64, huge headers: a
    400 in the family's shape (JSON google.rpc.Status), never a runtime error or a crash."""
    base = FAMILIES[family]("POST", "/v1/logs", {"content-type": PB}, b"\x0a\x00", True)
    hostile = []
    e = json.loads(json.dumps(base)); e["body"] = "%%%not base64%%%"; hostile.append(e)
    e = json.loads(json.dumps(base)); e["isBase64Encoded"] = "yes"; hostile.append(e)
    e = json.loads(json.dumps(base)); e["body"] = {"nested": [1, 2, 3]}; hostile.append(e)
    e = json.loads(json.dumps(base)); e["headers"] = {"content-type": 5}; e.pop("multiValueHeaders", None); hostile.append(e)
    e = json.loads(json.dumps(base)); e["headers"] = {"x-big": "a" * 20000}; e.pop("multiValueHeaders", None); hostile.append(e)
    e = json.loads(json.dumps(base)); e["headers"] = {f"h{i}": "v" for i in range(1000)}; e.pop("multiValueHeaders", None); hostile.append(e)
    before = parquet_files(lam.data)
    for ev in hostile:
        inv = lam.api.invoke(ev)
        assert inv.kind == "response", inv.body
        r = inv.json()
        check_shape(family, r, 400)
        assert status_of(r)[0] == 3
    assert parquet_files(lam.data) == before


@pytest.mark.parametrize("event", [b"not json", b"[1, 2, 3]", b'{"Records": [{"s3": {}}]}', b"{}", b"\xff\xfe"])
def test_an_event_that_is_no_http_event_is_a_runtime_error(lam, event):
    inv = lam.api.invoke(event)
    assert inv.kind == "error", inv.body
    doc = inv.json()
    assert doc["errorType"] == inv.error_type == "Runtime.InvalidEvent" and doc["errorMessage"], doc
    # the environment stays usable
    r = lam.api.invoke(event_v2("GET", "/health")).json()
    assert r["statusCode"] == 200


def test_an_event_over_the_size_limit_is_a_runtime_error(lam):
    """An event larger than any body the limit allows (6 MiB as base64 plus room for headers):
    not read whole; answered on /error, and the environment stays usable."""
    ev = event_v2("POST", "/v1/logs", {"content-type": JSON}, b" " * (12 << 20), False)
    inv = lam.api.invoke(ev)
    assert inv.kind == "error" and inv.error_type == "Runtime.EventTooLarge", inv.body
    assert lam.api.invoke(event_v2("GET", "/health")).json()["statusCode"] == 200


def test_warm_invocations_reuse_the_process(lam):
    """Many invocations, one process (configuration and storage set up once)."""
    pid = lam.proc.proc.pid
    for i in range(20):
        req = build("logs", 1000 + i)
        inv = lam.api.invoke(event_v2("POST", "/v1/logs", {"content-type": PB}, req.SerializeToString(), True))
        assert inv.json()["statusCode"] == 200
    assert lam.proc.proc.poll() is None and lam.proc.proc.pid == pid
    assert lam.proc.output().count("in AWS Lambda") == 1


# --- initialisation errors ------------------------------------------------------------------

def run_init_failure(tmp_path, **env):
    api = FakeRuntimeApi()
    try:
        p = LambdaProcess(api, tmp_path / "lambda.log", **env)
        rc = p.wait(timeout=120)
        out = p.output()
        assert_no_sanitizer_report(out)
        return rc, out, api.init_errors, api.next_calls
    finally:
        api.close()


def test_init_error_on_bad_configuration(tmp_path):
    rc, out, errors, nexts = run_init_failure(tmp_path, OTLP2PARQUET_STORAGE_BACKEND="fs",
                                              OTLP2PARQUET_STORAGE_PATH=tmp_path / "d",
                                              OTLP2PARQUET_PARQUET_COMPRESSION="lz77")
    assert rc == 2, out
    assert nexts == 0
    assert len(errors) == 1, errors
    etype, body = errors[0]
    doc = json.loads(body)
    assert etype == doc["errorType"] == "Runtime.ConfigError", doc
    assert "PARQUET_COMPRESSION" in doc["errorMessage"], doc


def test_init_error_on_s3_without_bucket(tmp_path):
    """The Lambda default storage is s3: without a bucket that is a configuration error."""
    rc, out, errors, nexts = run_init_failure(tmp_path)
    assert rc == 2 and nexts == 0 and len(errors) == 1, out
    assert "S3_BUCKET" in json.loads(errors[0][1])["errorMessage"]


def test_init_error_when_the_catalog_is_unreachable(tmp_path):
    rc, out, errors, nexts = run_init_failure(tmp_path, OTLP2PARQUET_STORAGE_BACKEND="fs",
                                              OTLP2PARQUET_STORAGE_PATH=tmp_path / "d",
                                              OTLP2PARQUET_ICEBERG_REST_URI=f"http://127.0.0.1:{free_port()}",
                                              OTLP2PARQUET_ICEBERG_NAMESPACE="otel")
    assert rc != 0 and nexts == 0, out
    assert len(errors) == 1, errors
    doc = json.loads(errors[0][1])
    assert doc["errorType"] == "Runtime.CatalogError" and "127.0.0.1" in doc["errorMessage"], doc


# --- Iceberg --------------------------------------------------------------------------------

def iceberg_env(uri, warehouse, ns, data):
    return {"OTLP2PARQUET_ICEBERG_REST_URI": uri, "OTLP2PARQUET_ICEBERG_WAREHOUSE": warehouse,
            "OTLP2PARQUET_ICEBERG_NAMESPACE": ns, "OTLP2PARQUET_STORAGE_BACKEND": "fs",
            "OTLP2PARQUET_STORAGE_PATH": str(data)}


def scan_rows(cat, ns, table):
    t = cat.load_table(f"{ns}.{table}")
    if t.current_snapshot() is None:
        return []
    return rows_of_arrow(t.scan().to_arrow(), table, f"{ns}.{table}")


def pending_records(cat, ns, table="logs"):
    loc = cat.load_table(f"{ns}.{table}").metadata.location
    assert loc.startswith("file:"), loc
    d = os.path.join(loc[len("file:"):], "data", "_pending")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


@pytest.fixture
def iceberg_lambda(iceberg_rest, tmp_path):
    """Factory: iceberg_lambda(proxied=False) -> (namespace, proxy or None, api, process): the
    Lambda mode committing to the REST fixture (through a CatalogProxy when proxied), a fresh
    namespace; at the end the process must exit cleanly without a sanitizer report."""
    started = []

    def start(proxied=False):
        ns = "l" + uuid.uuid4().hex[:10]
        proxy = CatalogProxy(iceberg_rest.port) if proxied else None
        api = FakeRuntimeApi()
        env = iceberg_env(proxy.uri if proxy else iceberg_rest.uri, iceberg_rest.warehouse, ns, tmp_path / ns)
        p = LambdaProcess(api, tmp_path / f"{ns}.log", **env)
        started.append((proxy, api, p))
        return ns, proxy, api, p

    yield start
    for proxy, api, p in started:
        rc = p.stop()
        out = p.output()
        api.close()
        if proxy:
            proxy.close()
        assert_no_sanitizer_report(out)
        assert rc == 1, out[-3000:]


def test_iceberg_each_invocation_commits(iceberg_rest, iceberg_lambda):
    ns, _, api, p = iceberg_lambda()
    cat = pyiceberg_catalog(iceberg_rest)
    sent = {s: [] for s in SIGNALS}
    invocations = [("logs", "v2", PB, True), ("traces", "v1", JSON, False), ("metrics", "alb-multi", PB, True),
                   ("logs", "function-url", JSON, True), ("traces", "alb", PB, True)]
    for i, (signal, family, ct, b64) in enumerate(invocations):
        req = build(signal, 500 + i)
        sent[signal].append(req)
        inv = api.invoke(FAMILIES[family]("POST", f"/v1/{signal}", {"Content-Type": ct}, encode(req, ct, False), b64))
        check_shape(family, inv.json(), 200)
        # committed before the answer: the catalog shows the rows at once
        expected = merge_expected(sent[signal])
        for table in SIGNAL_TABLES[signal]:
            if expected.get(table):
                assert_rows_equal(scan_rows(cat, ns, table), expected[table], table, f" after invocation {i}")
    assert "kept as pending" not in p.output()


def test_iceberg_catalog_down_at_an_invocation_then_back(iceberg_rest, iceberg_lambda):
    ns, proxy, api, p = iceberg_lambda(proxied=True)
    cat = pyiceberg_catalog(iceberg_rest)
    r1 = build("logs", 1)
    r = api.invoke(event_v2("POST", "/v1/logs", {"content-type": PB}, r1.SerializeToString(), True)).json()
    assert r["statusCode"] == 200, r
    assert len(scan_rows(cat, ns, "logs")) == len(merge_expected([r1])["logs"])
    # the catalog goes down: the invocation still answers 200, its file pending
    proxy.set("down")
    r2 = build("logs", 2)
    r = api.invoke(event_v1("POST", "/v1/logs", {"Content-Type": JSON}, otlp_json_bytes(r2), False),
                   timeout=180).json()
    assert r["statusCode"] == 200, r
    assert "kept as pending" in p.output(), p.output()[-3000:]
    assert pending_records(cat, ns), "no pending record"
    assert len(scan_rows(cat, ns, "logs")) == len(merge_expected([r1])["logs"])
    # back: the next invocation (another signal) commits the pending file, and its own
    proxy.set("pass")
    r3 = build("traces", 3)
    r = api.invoke(event_alb("POST", "/v1/traces", {"content-type": PB}, r3.SerializeToString(), True)).json()
    assert r["statusCode"] == 200, r
    assert not pending_records(cat, ns)
    assert_rows_equal(scan_rows(cat, ns, "logs"), merge_expected([r1, r2])["logs"], "logs")
    assert_rows_equal(scan_rows(cat, ns, "traces"), merge_expected([r3])["traces"], "traces")


def test_iceberg_catalog_down_before_the_first_use_of_a_table_is_503(iceberg_rest, iceberg_lambda):
    """A table that was never opened cannot take a file while the catalog is down: 503 with
    Retry-After (the client retries), nothing written; once it is back the retry lands."""
    ns, proxy, api, p = iceberg_lambda(proxied=True)
    assert api.wait_next(1, timeout=60), p.output()
    proxy.set("down")
    req = build("traces", 9)
    ev = event_v2("POST", "/v1/traces", {"content-type": PB}, req.SerializeToString(), True)
    r = api.invoke(ev, timeout=180).json()
    assert r["statusCode"] == 503, r
    assert response_header(r, "Retry-After") == "5"
    assert status_of(r)[0] == 14
    proxy.set("pass")
    r = api.invoke(ev).json()
    assert r["statusCode"] == 200, r
    cat = pyiceberg_catalog(iceberg_rest)
    assert_rows_equal(scan_rows(cat, ns, "traces"), merge_expected([req])["traces"], "traces")


# --- the AWS Lambda Runtime Interface Emulator -------------------------------------------------

@pytest.fixture
def rie_fs(lambda_rie, tmp_path):
    """aws-lambda-rie running the ASan binary as the bootstrap, fs storage under tmp_path."""
    data = tmp_path / "data"
    rie = lambda_rie(BIN, tmp_path / "rie", env={"OTLP2PARQUET_STORAGE_BACKEND": "fs",
                                                  "OTLP2PARQUET_STORAGE_PATH": str(data)})
    rie.data = data
    return rie


def test_rie_v2_logs_and_v1_traces(rie_fs):
    req = build("logs", 77)
    st, body = rie_fs.invoke(event_v2("POST", "/v1/logs", {"content-type": PB}, req.SerializeToString(), True))
    assert st == 200, (st, body, rie_fs.output()[-3000:])
    r = json.loads(body)
    check_shape("v2", r, 200)
    assert response_body(r) == b""
    files = sorted(parquet_files(rie_fs.data))
    assert_rows_equal(read_rows_pyarrow(files_of(files, rie_fs.data, "logs"), "logs"), merge_expected([req])["logs"],
                      "logs")
    # a v1 event with JSON, gzip and base64, the stage in the path (the same warm environment)
    req2 = build("traces", 78)
    st, body = rie_fs.invoke(event_v1("POST", "/prod/v1/traces", {"Content-Type": JSON, "Content-Encoding": "gzip"},
                                      gzip.compress(otlp_json_bytes(req2)), True))
    assert st == 200, (st, body)
    r = json.loads(body)
    check_shape("v1", r, 200)
    assert json.loads(response_body(r)) == {}
    files = sorted(parquet_files(rie_fs.data))
    assert_rows_equal(read_rows_pyarrow(files_of(files, rie_fs.data, "traces"), "traces"),
                      merge_expected([req2])["traces"], "traces")
    # a bad request: 400 in the v1 shape, nothing more written
    st, body = rie_fs.invoke(event_v1("POST", "/v1/logs", {"Content-Type": PB}, b"\xff\xff", True))
    r = json.loads(body)
    check_shape("v1", r, 400)
    assert status_of(r)[0] == 3
    assert sorted(parquet_files(rie_fs.data)) == files
    # ALB, Function URL health
    st, body = rie_fs.invoke(event_alb("GET", "/health", multi=True))
    check_shape("alb-multi", json.loads(body), 200)
    st, body = rie_fs.invoke(event_v2("GET", "/ready", function_url=True))
    check_shape("function-url", json.loads(body), 200)
