"""The examples of docs/sending-data.md work as written: each request body the page shows
(<!-- request: PATH CONTENT-TYPE --> before its code block) is accepted by the server, plain and
gzip-compressed, and lands as the page says; the Python SDK example, run as a program with the
OTEL_EXPORTER_OTLP_* variables the page sets, gets all three signals into the tables."""

import gzip
import os
import re
import subprocess
import sys

from conftest import FAST_FLUSH, ROOT, clean_env
from otlp_values import read_rows_duckdb, read_rows_pyarrow

DOC = os.path.join(ROOT, "docs", "sending-data.md")


def doc_text():
    return open(DOC, encoding="utf-8").read()


def doc_requests():
    """[(path, content type, body)] of the page's request examples."""
    out = re.findall(r"<!-- request: (\S+) (\S+) -->\s*```\w*\n(.*?)```", doc_text(), re.S)
    assert out, "no request examples found"
    return [(p, c, b.encode()) for p, c, b in out]


def doc_example(name):
    m = re.search(rf"<!-- example: {name} -->\s*```\w*\n(.*?)```", doc_text(), re.S)
    assert m, f"no example {name}"
    return m.group(1)


def test_request_examples_are_accepted(start_server):
    plain, zipped = start_server(**FAST_FLUSH), start_server(**FAST_FLUSH)
    reqs = doc_requests()
    assert {p for p, _c, _b in reqs} == {"/v1/logs", "/v1/traces", "/v1/metrics"}
    for path, ctype, body in reqs:
        r = plain.post(path, body, content_type=ctype)
        assert r.status == 200, (path, ctype, r.body)
        r = zipped.post(path, gzip.compress(body), content_type=ctype, headers={"Content-Encoding": "gzip"})
        assert r.status == 200, (path, ctype, r.body)
    for s in (plain, zipped):
        assert s.stop() == 0
        spans = read_rows_duckdb(s.data_dir, "traces")
        assert [(x["ServiceName"], x["SpanName"], x["SpanKind"], x["StatusCode"], x["StatusMessage"], x["Duration"])
                for x in spans] == [("checkout", "GET /cart", "Server", "Error", "upstream timeout", 250_000_000)]
        assert spans[0]["TraceId"] == "5b8efff798038103d269b633813fc60c"
        assert [(e["Name"], dict(e["Attributes"])) for e in spans[0]["Events"]] == [
            ("exception", {"exception.type": "TimeoutError"})]
        gauges = read_rows_pyarrow(s.parquet_files("metrics_gauge"), "metrics_gauge")
        assert [(g["MetricName"], g["Value"], dict(g["Attributes"])) for g in gauges] == [
            ("queue.depth", 42.0, {"queue": "orders"})]
        logs = sorted(read_rows_duckdb(s.data_dir, "logs"), key=lambda x: x["Timestamp"])
        assert [(x["ServiceName"], x["SeverityNumber"], x["Body"]) for x in logs] == [
            ("checkout", 17, "payment declined"), ("cart", 9, "cart saved")]


def test_python_sdk_example_runs_against_the_server(start_server, tmp_path):
    s = start_server(**FAST_FLUSH)
    prog = tmp_path / "example.py"
    prog.write_text(doc_example("python_sdk"))
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=s.url, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                    OTEL_EXPORTER_OTLP_COMPRESSION="gzip")
    p = subprocess.run([sys.executable, str(prog)], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "Failed to export" not in p.stderr, p.stderr[-3000:]
    assert s.stop() == 0
    spans = read_rows_pyarrow(s.parquet_files("traces"), "traces")
    assert [(x["ServiceName"], x["SpanName"], dict(x["SpanAttributes"])) for x in spans] == [
        ("checkout", "GET /cart", {"http.response.status_code": "200"})]
    assert dict(spans[0]["ResourceAttributes"])["deployment.environment"] == "prod"
    sums = read_rows_pyarrow(s.parquet_files("metrics_sum"), "metrics_sum")
    assert [(x["MetricName"], x["Value"], dict(x["Attributes"])) for x in sums] == [
        ("cart.requests", 1.0, {"http.route": "/cart"})]
    hists = read_rows_pyarrow(s.parquet_files("metrics_histogram"), "metrics_histogram")
    assert [(x["MetricName"], x["MetricUnit"], x["Count"], x["Sum"]) for x in hists] == [("cart.latency", "ms", 1, 12.5)]
    assert hists[0]["Exemplars"] and hists[0]["Exemplars"][0]["TraceId"] == spans[0]["TraceId"]
    logs = read_rows_pyarrow(s.parquet_files("logs"), "logs")
    assert [(x["ServiceName"], x["SeverityNumber"], x["Body"], x["TraceId"]) for x in logs] == [
        ("checkout", 13, "cart is empty", spans[0]["TraceId"])]
