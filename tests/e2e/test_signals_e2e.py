"""Logs, traces and metrics (all five kinds) end to end through `otlp2parquet serve`, sent by
real clients and read back by pyarrow and DuckDB, every field compared with the payload decoded
by the opentelemetry-proto classes (the expected rows come from otlp_values, an independent
statement of the conversion rules):

- the OpenTelemetry Python SDK's HTTP/protobuf exporters, and the same SDK data encoded by the
  SDK's own encoders and sent as OTLP/JSON (the Python SDK has no JSON exporter);
- telemetrygen over HTTP, its requests captured by a recording proxy and decoded;
- one payload as protobuf, JSON, JSON Lines and gzip: identical tables;
- OTLP/JSON edge cases that must be accepted, and invalid JSON that must be refused with a 400
  naming the JSON path;
- a metrics point without a value: 200 with partialSuccess, the rest written;
- batching: a 200 means buffered, files come after BATCH_MAX_AGE_SECS or BATCH_MAX_ROWS, and
  SIGTERM writes everything;
- `convert` of every signal: protobuf (with --signal or a telling file name), JSON, JSON Lines,
  gzip.

The Python SDK cannot make summaries and telemetrygen does not either: summaries come from the
hand-built payloads (every field of them), sent in every encoding."""

import base64
import copy
import gzip
import json
import os
import random
import subprocess
import time

import pyarrow.parquet as pq
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from conftest import FAST_FLUSH, TELEMETRYGEN, run_bin
from otlp_values import (BASE_NS, REQUEST_CLASSES, SIGNAL_TABLES, TABLES, assert_rows_equal, build_logs_request,
                         build_metrics_request, build_traces_request, canonical_rows, expected_rows, merge_expected,
                         ndjson_bytes, otlp_json_bytes, read_rows_duckdb, read_rows_pyarrow, split_request)

PB, JSON, NDJSON = "application/x-protobuf", "application/json", "application/x-ndjson"
PATH = {"logs": "/v1/logs", "traces": "/v1/traces", "metrics": "/v1/metrics"}
RESPONSE = {"logs": ExportLogsServiceResponse, "traces": ExportTraceServiceResponse,
            "metrics": ExportMetricsServiceResponse}
SIGNALS = ["logs", "traces", "metrics"]


def build(signal, seed=1):
    rng = random.Random(seed)
    if signal == "logs":
        return build_logs_request(500, rng)
    if signal == "traces":
        return build_traces_request(400, rng)
    return build_metrics_request(rng)


def now_us():
    return time.time_ns() // 1000


def assert_accepted(r, signal, json_request=False):
    """A 200 with an Export*ServiceResponse without partialSuccess, in the request's encoding."""
    assert r.status == 200, (r.status, r.body[:500])
    if json_request:
        assert r.headers["Content-Type"].startswith(JSON), r.headers
        assert "partialSuccess" not in json.loads(r.body or b"{}"), r.body
    else:
        assert r.headers["Content-Type"].startswith(PB), r.headers
        assert not RESPONSE[signal].FromString(r.body).HasField("partial_success")


def flushed_rows_match(server, expected, received=None, timeout=30):
    """Waits until the server has flushed (by age: FAST_FLUSH) exactly the expected number of
    rows of each table, stops it (SIGTERM; it must exit 0 and write nothing more), and compares
    every row, field by field, as pyarrow and as DuckDB read them."""
    want = {t: len(rows) for t, rows in expected.items() if t != "rejected" and rows}
    seen = server.wait_for_rows(want, timeout=timeout)
    assert seen == want, f"rows on disk {seen}, want {want} (flushed by BATCH_MAX_AGE_SECS)"
    assert server.stop() == 0, server.output()[-3000:]
    for t in TABLES:
        if t not in want:
            assert not server.parquet_files(t), f"unexpected {t} files"
    for t in want:
        assert_rows_equal(read_rows_pyarrow(server.parquet_files(t), t), expected[t], t, " (pyarrow)", received)
        assert_rows_equal(read_rows_duckdb(server.data_dir, t), expected[t], t, " (DuckDB)", received)


def tables_as_read(server):
    """{table: canonical rows} of everything the server wrote (after it stopped)."""
    return {t: canonical_rows(read_rows_pyarrow(server.parquet_files(t), t), t) for t in TABLES}


# --- (a) + (b): the OpenTelemetry Python SDK -------------------------------------------------


def sdk_resource(name):
    from opentelemetry.sdk.resources import Resource
    return Resource.create({"service.name": name, "team": "core", "replicas": 3, "canary": False, "ratio": 0.25,
                            "zones": ["a", "b"]}, schema_url="https://opentelemetry.io/schemas/1.21.0")


def sdk_spans():
    """Finished SDK spans: every kind, parents and children, events, links with trace state,
    statuses, attributes of every type the SDK allows."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState

    rng = random.Random(5)
    mem = InMemorySpanExporter()
    tp = TracerProvider(resource=sdk_resource("sdk-traces"))
    tp.add_span_processor(SimpleSpanProcessor(mem))
    tracer = tp.get_tracer("e2e.sdk.traces", "1.4.2", schema_url="https://example.com/scope",
                           attributes={"scope.k": "v", "scope.n": 1})
    kinds = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]
    for i in range(60):
        t = BASE_NS + i * 61_000_000_007
        other = SpanContext(trace_id=rng.getrandbits(128), span_id=rng.getrandbits(64), is_remote=True,
                            trace_flags=TraceFlags(1), trace_state=TraceState([("vendor", f"v{i}"), ("k", "x")]))
        links = [Link(other, {"link.i": i, "link.s": "ü"})] if i % 3 else []
        parent = tracer.start_span(f"parent-{i}", kind=kinds[i % 5], start_time=t, links=links,
                                   attributes={"i": i, "s": f"s{i}", "f": i / 8, "b": i % 2 == 0,
                                               "strs": ["x", "y"], "ints": [1, i], "floats": [0.5], "bools": [True]})
        parent.add_event("exception", {"exception.type": "ValueError", "exception.message": f"bad {i}", "n": i},
                         timestamp=t + 1000)
        parent.add_event("checkpoint", timestamp=t + 2001)
        ctx = trace.set_span_in_context(parent)
        child = tracer.start_span(f"child-{i}", context=ctx, kind=SpanKind.CLIENT, start_time=t + 5000)
        if i % 3 == 0:
            child.set_status(Status(StatusCode.ERROR, f"boom {i}"))
        elif i % 3 == 1:
            child.set_status(Status(StatusCode.OK))
        child.end(end_time=t + 5000 + i * 1_000_003)
        parent.end(end_time=t + 10_000_000 + i)
    tp.shutdown()
    return mem.get_finished_spans()


def sdk_logs():
    """Finished SDK log records: bodies of every type, severities, trace context, event names."""
    from opentelemetry import trace
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    rng = random.Random(6)
    mem = InMemoryLogRecordExporter()
    lp = LoggerProvider(resource=sdk_resource("sdk-logs"))
    lp.add_log_record_processor(SimpleLogRecordProcessor(mem))
    logger = lp.get_logger("e2e.sdk.logs", "2.0", schema_url="https://example.com/scope", attributes={"lib": "x"})
    bodies = ["text ü", "", 42, -1.5, True, b"\x00\xffbytes", ["a", 1, 2.5, None], {"k": {"n": [1, 2]}, "e": ""},
              None]
    for i in range(80):
        ctx = None
        if i % 2:
            sc = SpanContext(trace_id=rng.getrandbits(128), span_id=rng.getrandbits(64), is_remote=False,
                             trace_flags=TraceFlags(i % 2))
            ctx = trace.set_span_in_context(NonRecordingSpan(sc))
        logger.emit(LogRecord(
            timestamp=BASE_NS + i * 1_000_000_001 if i % 5 else None,
            observed_timestamp=BASE_NS + i * 1_000_000_001 + 777,
            context=ctx,
            severity_number=list(SeverityNumber)[i % len(list(SeverityNumber))],
            severity_text=["INFO", "WARN", "ERROR", ""][i % 4],
            body=bodies[i % len(bodies)],
            attributes={"i": i, "s": "v", "f": 0.125, "b": False, "list": ["p", "q"]} if i % 7 else {},
            event_name=f"evt.{i}" if i % 4 == 0 else None,
        ))
    lp.shutdown()
    return mem.get_finished_logs()


def sdk_metrics():
    """SDK MetricsData: counters (delta), up-down counters and observable counters (cumulative
    sums), sync and observable gauges of ints and doubles, explicit and exponential histograms,
    exemplars from a sampled span."""
    from opentelemetry.metrics import Observation
    from opentelemetry.sdk.metrics import Counter, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
    from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
    from opentelemetry.sdk.trace import TracerProvider

    reader = InMemoryMetricReader(preferred_temporality={Counter: AggregationTemporality.DELTA})
    mp = MeterProvider(resource=sdk_resource("sdk-metrics"), metric_readers=[reader],
                       views=[View(instrument_name="sdk.exphist",
                                   aggregation=ExponentialBucketHistogramAggregation(max_size=40))])
    meter = mp.get_meter("e2e.sdk.metrics", "3.1", schema_url="https://example.com/scope", attributes={"m": 1})
    tracer = TracerProvider().get_tracer("exemplars")
    counter = meter.create_counter("sdk.requests", unit="{request}", description="requests ✓")
    updown = meter.create_up_down_counter("sdk.queue", unit="{item}")
    hist = meter.create_histogram("sdk.latency", unit="ms", description="latency")
    exph = meter.create_histogram("sdk.exphist", unit="By")
    gauge = meter.create_gauge("sdk.temperature", unit="Cel")
    meter.create_observable_gauge("sdk.obs_gauge", callbacks=[
        lambda options: [Observation(7, {"k": "int"}), Observation(2.5, {"k": "double"})]])
    meter.create_observable_counter("sdk.obs_counter", callbacks=[lambda options: [Observation(1234, {"c": "x"})]])
    with tracer.start_as_current_span("work"):
        for i in range(50):
            route = {"http.route": f"/r{i % 3}", "ok": i % 2 == 0}
            counter.add(i % 7, route)
            updown.add(i - 25, {"q": "a"})
            hist.record(i * 3.5, route)
            exph.record(0.5 + i * i, {"x": "y"})
            exph.record(-(i + 1.0), {"x": "y"})
            gauge.set(i * 1.5 if i % 2 else i, {"room": str(i % 2)})
    data = reader.get_metrics_data()
    mp.shutdown()
    return data


def sdk_case(signal):
    """(SDK data, the OTLP exporter class's export of it, the SDK encoder)."""
    if signal == "traces":
        from opentelemetry.exporter.otlp.proto.common._internal.trace_encoder import encode_spans
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        return sdk_spans(), OTLPSpanExporter, encode_spans
    if signal == "logs":
        from opentelemetry.exporter.otlp.proto.common._internal._log_encoder import encode_logs
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        return sdk_logs(), OTLPLogExporter, encode_logs
    from opentelemetry.exporter.otlp.proto.common._internal.metrics_encoder import encode_metrics
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    return sdk_metrics(), OTLPMetricExporter, encode_metrics


def _success(result):
    return getattr(result, "name", str(result)) == "SUCCESS"


@pytest.mark.parametrize("signal", SIGNALS)
def test_sdk_exporter_protobuf_and_sdk_encoded_json(signal, start_server, recording_proxy):
    data, exporter_cls, encode = sdk_case(signal)
    encoded = encode(data)
    exp = expected_rows(encoded)
    if signal == "metrics":
        kinds = {t for t in SIGNAL_TABLES["metrics"] if exp[t]}
        assert kinds == set(SIGNAL_TABLES["metrics"]) - {"metrics_summary"}, kinds  # the SDK has no summaries
        assert any(r["Exemplars"] for t in kinds for r in exp[t]), "no exemplars to compare"

    # (a) the SDK's own exporter, HTTP/protobuf, through a proxy that records what it sent
    pb_server = start_server(**FAST_FLUSH)
    proxy = recording_proxy(pb_server)
    t0 = now_us()
    exporter = exporter_cls(endpoint=proxy.url + PATH[signal], timeout=30)
    assert _success(exporter.export(data)), proxy.statuses
    exporter.shutdown()
    sent = [REQUEST_CLASSES[signal].FromString(b) for b in proxy.bodies(PATH[signal])]
    assert sent and set(proxy.statuses) == {200}
    assert merge_expected(sent) == merge_expected([encoded]), "the exporter sent other data than its encoder makes"

    # (b) the same data, encoded by the SDK's encoder, as OTLP/JSON
    json_server = start_server(**FAST_FLUSH)
    r = json_server.post(PATH[signal], otlp_json_bytes(encoded), content_type=JSON)
    assert_accepted(r, signal, json_request=True)
    t1 = now_us()

    flushed_rows_match(pb_server, merge_expected(sent), received=(t0, t1))
    flushed_rows_match(json_server, exp, received=(t0, t1))
    assert tables_as_read(pb_server) == tables_as_read(json_server)


# --- (c) telemetrygen ------------------------------------------------------------------------

TRACE_ID, SPAN_ID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


def telemetrygen(proxy, *args):
    assert os.access(TELEMETRYGEN, os.X_OK), f"{TELEMETRYGEN} is missing: run scripts/ensure-deps.sh test"
    cmd = [TELEMETRYGEN, *args, "--otlp-http", "--otlp-insecure", "--otlp-endpoint", proxy.endpoint, "--rate", "0"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, f"{' '.join(cmd)}\n{p.stdout[-2000:]}{p.stderr[-3000:]}"


TELEMETRYGEN_RUNS = {
    "traces": [["traces", "--traces", "7", "--child-spans", "3", "--span-links", "2", "--status-code", "Error",
                "--service", "tg-traces", "--otlp-attributes", 'team="core"',
                "--telemetry-attributes", 'http.route="/x"', "--telemetry-attributes", "retries=3"]],
    "logs": [["logs", "--logs", "25", "--body", "hello ü", "--severity-text", "Warn", "--severity-number", "13",
              "--trace-id", TRACE_ID, "--span-id", SPAN_ID, "--service", "tg-logs",
              "--telemetry-attributes", "k=7", "--telemetry-attributes", 'tags=["a", "b"]']],
    "metrics": [["metrics", "--metrics", "6", "--metric-type", kind, "--otlp-metric-name", f"tg.{kind.lower()}",
                 "--aggregation-temporality", temporality, "--trace-id", TRACE_ID, "--span-id", SPAN_ID,
                 "--service", "tg-metrics", "--telemetry-attributes", f'kind="{kind}"']
                for kind, temporality in (("Gauge", "cumulative"), ("Sum", "delta"), ("Histogram", "cumulative"),
                                          ("ExponentialHistogram", "delta"))],
}


@pytest.mark.parametrize("signal", SIGNALS)
def test_telemetrygen(signal, start_server, recording_proxy):
    server = start_server(**FAST_FLUSH)
    proxy = recording_proxy(server)
    t0 = now_us()
    for args in TELEMETRYGEN_RUNS[signal]:
        telemetrygen(proxy, *args)
    t1 = now_us()
    sent = [REQUEST_CLASSES[signal].FromString(b) for b in proxy.bodies(PATH[signal])]
    assert sent and set(proxy.statuses) == {200}, proxy.statuses
    exp = merge_expected(sent)
    if signal == "traces":
        assert len(exp["traces"]) == 7 * 4
    elif signal == "logs":
        assert len(exp["logs"]) == 25
    else:
        assert [len(exp[t]) for t in SIGNAL_TABLES["metrics"]] == [6, 6, 6, 6, 0]
        assert all(r["Exemplars"] for t in SIGNAL_TABLES["metrics"] for r in exp[t])
    flushed_rows_match(server, exp, received=(t0, t1))


# --- one payload, every encoding -------------------------------------------------------------


def encodings(req):
    """name -> (content type, Content-Encoding or None, body)"""
    pb, js, nd = req.SerializeToString(), otlp_json_bytes(req), ndjson_bytes(split_request(req))
    return {
        "protobuf": (PB, None, pb),
        "json": (JSON, None, js),
        "ndjson": (NDJSON, None, nd),
        "protobuf+gzip": (PB, "gzip", gzip.compress(pb)),
        "json+gzip": (JSON, "gzip", gzip.compress(js)),
        "ndjson+gzip": (NDJSON, "gzip", gzip.compress(nd)),
    }


@pytest.mark.parametrize("signal", SIGNALS)
def test_every_encoding_gives_identical_rows(signal, start_server):
    req = build(signal)
    assert len(split_request(req)) > 1  # JSON Lines of several requests
    servers = {}
    for name, (ctype, cenc, body) in encodings(req).items():
        s = servers[name] = start_server(**FAST_FLUSH)
        r = s.post(PATH[signal], body, content_type=ctype, headers={"Content-Encoding": cenc} if cenc else {})
        assert_accepted(r, signal, json_request=ctype != PB)
    exp = expected_rows(req)
    flushed_rows_match(servers["protobuf"], exp)
    reference = tables_as_read(servers["protobuf"])
    for name, s in servers.items():
        assert s.stop() == 0
        assert tables_as_read(s) == reference, f"{name} gave other rows than protobuf"


# --- OTLP/JSON: what must be accepted --------------------------------------------------------


def reference_parse(doc, signal):
    """The request protobuf's own JSON parser makes of an OTLP/JSON document (hex ids turned
    into the base64 it expects): the oracle for the edge cases."""
    doc = copy.deepcopy(doc)

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"):
                    o[k] = base64.b64encode(bytes.fromhex(v)).decode()
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(doc)
    return json_format.ParseDict(doc, REQUEST_CLASSES[signal](), ignore_unknown_fields=True)


T0 = BASE_NS + 123_456_789  # not a whole microsecond
BIG = 2**53 + 1  # not a double: a JSON number must not go through one
TID = bytes(range(1, 17))
SID = bytes(range(0xA1, 0xA9))
PID = bytes(range(0xB1, 0xB9))


def _svc(name, *more):
    return {"attributes": [{"key": "service.name", "value": {"stringValue": name}}, *more]}


EDGE_DOCS = {
    "traces": {"resource_spans": [{  # snake_case keys, here and there
        "resource": _svc("json-edge",
                         {"key": "n_str", "value": {"intValue": "-42"}},
                         {"key": "n_num", "value": {"intValue": BIG}},
                         {"key": "d_str", "value": {"doubleValue": "NaN"}},
                         {"key": "d_int", "value": {"doubleValue": 3}},
                         {"key": "b", "value": {"boolValue": True}},
                         {"key": "raw", "value": {"bytesValue": base64.b64encode(b"\x00\xfe\xff").decode()}},
                         {"key": "arr", "value": {"arrayValue": {"values": [{"intValue": 1}, {}]}}},
                         {"key": "kv", "value": {"kvlist_value": {"values": [{"key": "a", "value": {"stringValue": "b"}}]}}},
                         {"key": "empty", "value": {}},
                         {"key": "x", "value": {"stringValue": "y"}, "unknownInKeyValue": [1, {"a": None}]}),
        "schemaUrl": "https://example.com/r",
        "someFutureField": {"nested": [1, 2.5, "three", None, {"deep": True}]},
        "scope_spans": [{
            "scope": {"name": "edge", "version": "9", "droppedAttributesCount": 0},
            "spans": [
                {"traceId": TID.hex().upper(), "spanId": SID.hex().upper(), "parentSpanId": PID.hex(),
                 "traceState": "a=b", "name": "upper-case ids, enum names, numbers",
                 "kind": "SPAN_KIND_SERVER", "startTimeUnixNano": str(T0), "endTimeUnixNano": T0 + BIG,
                 "status": {"code": "STATUS_CODE_ERROR", "message": "bad"},
                 "events": [{"time_unix_nano": str(T0 + 1), "name": "e1",
                             "attributes": [{"key": "n", "value": {"int_value": "5"}}]},
                            {"timeUnixNano": T0 + 2000, "name": "e2", "droppedAttributesCount": 1}],
                 "links": [{"traceId": TID.hex(), "spanId": PID.hex().upper(), "traceState": "k=v", "flags": 256,
                            "attributes": [{"key": "l", "value": {"boolValue": False}}]}],
                 "droppedAttributesCount": 3, "flags": 257, "anotherUnknown": "ignored"},
                {"traceId": TID.hex(), "spanId": PID.hex(), "name": "minimal",
                 "startTimeUnixNano": T0, "endTimeUnixNano": str(T0 + 10)},
                {"trace_id": TID.hex(), "span_id": "0102030405060708", "parent_span_id": "", "name": "numbers",
                 "kind": 3, "start_time_unix_nano": T0 + 5, "end_time_unix_nano": T0 + 6, "status": {"code": 1}},
            ]}]}]},
    "logs": {"resourceLogs": [{
        "resource": _svc("json-edge"),
        "scopeLogs": [{"scope": {"name": "edge"}, "logRecords": [
            {"timeUnixNano": T0, "observedTimeUnixNano": str(T0 + 1), "severityNumber": "SEVERITY_NUMBER_WARN",
             "severityText": "WARN", "traceId": TID.hex().upper(), "spanId": SID.hex(), "flags": 1,
             "body": {"kvlistValue": {"values": [{"key": "k", "value": {"arrayValue": {"values": [
                 {"stringValue": "s"}, {"doubleValue": "-Infinity"}, {"intValue": str(-2**63)}]}}}]}},
             "attributes": [{"key": "big", "value": {"intValue": BIG}}], "eventName": "edge.event",
             "unknown": {"x": [1]}},
            {"time_unix_nano": str(T0 + 2), "observed_time_unix_nano": T0 + 3, "severity_number": 17,
             "body": {"stringValue": "snake_case keys"}, "trace_id": "", "span_id": ""},
            {"observedTimeUnixNano": str(T0 + 4), "body": {"bytesValue": "AAEC"}},
        ]}]}]},
    "metrics": {"resourceMetrics": [{
        "resource": _svc("json-edge"),
        "scopeMetrics": [{"scope": {"name": "edge"}, "metrics": [
            {"name": "g", "unit": "1", "gauge": {"dataPoints": [
                {"timeUnixNano": str(T0), "asInt": "5"}, {"timeUnixNano": T0 + 1, "asInt": BIG},
                {"timeUnixNano": T0 + 2, "asDouble": 1.5, "startTimeUnixNano": "0"},
                {"time_unix_nano": T0 + 3, "as_double": "Infinity", "exemplars": [
                    {"timeUnixNano": str(T0), "asInt": 3, "traceId": TID.hex().upper(), "spanId": SID.hex(),
                     "filteredAttributes": [{"key": "f", "value": {"stringValue": "v"}}]}]}]}},
            {"name": "s", "sum": {"aggregationTemporality": "AGGREGATION_TEMPORALITY_DELTA", "isMonotonic": True,
                                  "dataPoints": [{"startTimeUnixNano": str(T0 - 10), "timeUnixNano": str(T0),
                                                  "asDouble": "2.25", "flags": 1}]}},
            {"name": "h", "histogram": {"aggregation_temporality": 2, "data_points": [
                {"timeUnixNano": T0, "count": "3", "bucketCounts": ["1", 2], "explicitBounds": [1, 2.5]},
                {"timeUnixNano": T0 + 1, "count": 0, "sum": 0, "min": -1, "max": "1e3"}]}},
            {"name": "e", "exponentialHistogram": {"aggregationTemporality": 1, "dataPoints": [
                {"timeUnixNano": T0, "count": 4, "scale": -3, "zeroCount": "1", "zeroThreshold": 1e-9,
                 "positive": {"offset": -3, "bucketCounts": [1, "2"]}},
                {"timeUnixNano": T0 + 1, "count": 1, "negative": {"bucketCounts": [1]}}]}},
            {"name": "q", "summary": {"dataPoints": [
                {"timeUnixNano": T0, "count": "10", "sum": 2.5,
                 "quantileValues": [{"quantile": 0.5, "value": 1}, {"quantile": 1, "value": "9"}]},
                {"timeUnixNano": T0 + 1}]}},
        ]}]}]},
}


@pytest.mark.parametrize("signal", SIGNALS)
def test_json_edge_cases_are_accepted(signal, start_server):
    doc = EDGE_DOCS[signal]
    req = reference_parse(doc, signal)
    exp = expected_rows(req)
    s = start_server(**FAST_FLUSH)
    r = s.post(PATH[signal], json.dumps(doc).encode(), content_type=JSON)
    assert_accepted(r, signal, json_request=True)
    flushed_rows_match(s, exp)
    # a few values checked by hand, beyond the oracle
    if signal == "traces":
        rows = {r["SpanName"]: r for r in read_rows_pyarrow(s.parquet_files("traces"), "traces")}
        first = rows["upper-case ids, enum names, numbers"]
        assert (first["TraceId"], first["SpanId"], first["ParentSpanId"]) == (TID.hex(), SID.hex(), PID.hex())
        assert (first["SpanKind"], first["StatusCode"], first["Duration"]) == ("Server", "Error", BIG)
        assert dict(first["ResourceAttributes"])["n_num"] == str(BIG)
        assert rows["numbers"]["SpanKind"] == "Client" and rows["numbers"]["ParentSpanId"] == ""
        assert rows["minimal"]["Events"] == [] and rows["minimal"]["StatusCode"] == "Unset"
    elif signal == "logs":
        rows = read_rows_pyarrow(s.parquet_files("logs"), "logs")
        assert sorted(r["SeverityNumber"] for r in rows) == [0, 13, 17]
        assert any(dict(r["LogAttributes"]).get("big") == str(BIG) for r in rows)
    else:
        g = read_rows_pyarrow(s.parquet_files("metrics_gauge"), "metrics_gauge")
        assert sorted(r["Value"] for r in g) == [1.5, 5.0, float(BIG), float("inf")]
        assert [r["StartTimestamp"] for r in g] == [None] * 4


# --- OTLP/JSON: what must be refused ---------------------------------------------------------


def _span(**over):
    span = {"traceId": TID.hex(), "spanId": SID.hex(), "name": "s", "startTimeUnixNano": str(T0),
            "endTimeUnixNano": str(T0 + 1)}
    span.update(over)
    return span


def _traces(*spans):
    return {"resourceSpans": [{"resource": _svc("bad"), "scopeSpans": [{"spans": list(spans)}]}]}


def _logs(*records):
    return {"resourceLogs": [{"resource": _svc("bad"), "scopeLogs": [{"logRecords": list(records)}]}]}


def _metrics(metric):
    return {"resourceMetrics": [{"resource": _svc("bad"), "scopeMetrics": [{"metrics": [
        {"name": "ok", "gauge": {"dataPoints": [{"timeUnixNano": str(T0), "asDouble": 1}]}}, metric]}]}]}


SPANS = "resourceSpans[0].scopeSpans[0].spans"
RECORDS = "resourceLogs[0].scopeLogs[0].logRecords"
METRIC1 = "resourceMetrics[0].scopeMetrics[0].metrics[1]"
BAD_JSON = [
    ("traces", _traces(_span(traceId="zz" * 16)), f"{SPANS}[0].traceId"),
    ("traces", _traces(_span(), _span(traceId=TID.hex()[:30])), f"{SPANS}[1].traceId"),
    ("traces", _traces(_span(spanId="0123456789abcde")), f"{SPANS}[0].spanId"),
    ("traces", _traces(_span(parentSpanId="g" * 16)), f"{SPANS}[0].parentSpanId"),
    ("traces", _traces(_span(links=[{"traceId": TID.hex(), "spanId": "xyz"}])), f"{SPANS}[0].links[0].spanId"),
    ("traces", _traces(_span(name=5)), f"{SPANS}[0].name"),
    ("traces", _traces(_span(startTimeUnixNano="soon")), f"{SPANS}[0].startTimeUnixNano"),
    ("traces", _traces(_span(kind=1.5)), f"{SPANS}[0].kind"),
    ("traces", _traces(_span(events={"name": "not a list"})), f"{SPANS}[0].events"),
    ("traces", {"resourceSpans": {"not": "a list"}}, "resourceSpans"),
    ("logs", _logs({"traceId": TID.hex()}, {"traceId": "not hex at all!"}), f"{RECORDS}[1].traceId"),
    ("logs", _logs({"severityNumber": True}), f"{RECORDS}[0].severityNumber"),
    ("logs", _logs({"body": {"intValue": "12x"}}), f"{RECORDS}[0].body"),
    ("logs", _logs({"attributes": [{"key": 7, "value": {}}]}), f"{RECORDS}[0].attributes[0].key"),
    ("metrics", _metrics({"name": "g", "gauge": {"dataPoints": [{"asDouble": "abc"}]}}),
     f"{METRIC1}.gauge.dataPoints[0].asDouble"),
    ("metrics", _metrics({"name": "g", "gauge": {"dataPoints": [{"asInt": 1, "exemplars": [{"spanId": "00"}]}]}}),
     f"{METRIC1}.gauge.dataPoints[0].exemplars[0].spanId"),
    ("metrics", _metrics({"name": "h", "histogram": {"dataPoints": [{"bucketCounts": ["x"]}]}}),
     f"{METRIC1}.histogram.dataPoints[0].bucketCounts"),
]


@pytest.mark.parametrize("signal,doc,path", BAD_JSON, ids=[f"{s}:{p.rsplit('.', 1)[-1]}" for s, _d, p in BAD_JSON])
def test_invalid_json_is_400_naming_the_path(signal, doc, path, start_server):
    s = start_server(**FAST_FLUSH)
    for ctype, body in ((JSON, json.dumps(doc).encode()), (NDJSON, b"\n" + json.dumps(doc).encode() + b"\n")):
        r = s.post(PATH[signal], body, content_type=ctype)
        assert r.status == 400, (ctype, r.status, r.body)
        assert r.headers["Content-Type"].startswith(JSON)
        st = json.loads(r.body)
        assert st["code"] == 3, st  # INVALID_ARGUMENT
        assert path in st["message"], (path, st["message"])
        assert f"{signal} request" in st["message"], st["message"]
    # a valid request in the same JSON Lines body does not make it through either
    good = {"traces": _traces(_span()), "logs": _logs({"timeUnixNano": str(T0)}),
            "metrics": _metrics({"name": "x", "sum": {"dataPoints": [{"asInt": 1}]}})}[signal]
    r = s.post(PATH[signal], json.dumps(good).encode() + b"\n" + json.dumps(doc).encode() + b"\n", content_type=NDJSON)
    assert r.status == 400 and path in json.loads(r.body)["message"]
    assert s.stop() == 0
    assert not s.parquet_files(), "nothing of a refused request may be written"


def test_malformed_json_is_400(start_server):
    s = start_server(**FAST_FLUSH)
    for body in (b"{", b'{"resourceLogs": [}', b"[]", b"null", b'{"resourceLogs": [{"resource": {]}', b"\xff\xfe"):
        r = s.post("/v1/logs", body, content_type=JSON)
        assert r.status == 400, (body, r.status)
        st = json.loads(r.body)
        assert st["code"] == 3 and st["message"], st
    assert s.stop() == 0
    assert not s.parquet_files()


# --- partial success -------------------------------------------------------------------------


def metrics_with_valueless_points():
    req = build_metrics_request(random.Random(9), points=3)
    sm = req.resource_metrics[0].scope_metrics[0]
    g = sm.metrics.add(name="valueless.gauge")
    g.gauge.data_points.add(time_unix_nano=BASE_NS)  # no value
    g.gauge.data_points.add(time_unix_nano=BASE_NS + 1, as_double=2.0)
    s = sm.metrics.add(name="valueless.sum")
    s.sum.aggregation_temporality = 1
    s.sum.data_points.add(time_unix_nano=BASE_NS, start_time_unix_nano=BASE_NS - 1)  # no value
    return req


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_point_without_a_value_is_a_partial_success(encoding, start_server):
    req = metrics_with_valueless_points()
    exp = expected_rows(req)
    assert exp["rejected"] == 2
    s = start_server(**FAST_FLUSH)
    if encoding == "protobuf":
        r = s.post("/v1/metrics", req.SerializeToString())
        assert r.status == 200, r.body
        ps = ExportMetricsServiceResponse.FromString(r.body).partial_success
        assert ps.rejected_data_points == 2 and ps.error_message, ps
    else:
        r = s.post("/v1/metrics", otlp_json_bytes(req), content_type=JSON)
        assert r.status == 200, r.body
        ps = json.loads(r.body)["partialSuccess"]
        assert int(ps["rejectedDataPoints"]) == 2 and ps["errorMessage"], ps
    flushed_rows_match(s, exp)


# --- batching --------------------------------------------------------------------------------


def test_200_means_buffered_and_sigterm_writes_everything(start_server):
    s = start_server(OTLP2PARQUET_BATCH_MAX_AGE_SECS=3600)
    reqs = [build(sig, seed=3) for sig in SIGNALS]
    for sig, req in zip(SIGNALS, reqs):
        assert_accepted(s.post(PATH[sig], req.SerializeToString()), sig)
    time.sleep(1.5)
    assert not s.parquet_files(), "files before BATCH_MAX_AGE_SECS or a full buffer"
    exp = merge_expected(reqs)
    assert s.stop() == 0, s.output()[-3000:]
    for t in TABLES:
        assert_rows_equal(read_rows_pyarrow(s.parquet_files(t), t), exp.get(t, []), t)


def test_a_full_buffer_is_written_without_waiting(start_server):
    s = start_server(OTLP2PARQUET_BATCH_MAX_AGE_SECS=3600, OTLP2PARQUET_BATCH_MAX_ROWS=100)
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = "full"
    records = rl.scope_logs.add().log_records
    for i in range(250):  # one service, one hour
        records.add(time_unix_nano=BASE_NS + i, observed_time_unix_nano=BASE_NS + i).body.string_value = f"r{i}"
    assert_accepted(s.post("/v1/logs", req.SerializeToString()), "logs")
    deadline = time.monotonic() + 15
    while s.rows_on_disk("logs") < 100 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert s.rows_on_disk("logs") >= 100, "a buffer of BATCH_MAX_ROWS rows was not written"
    for f in s.parquet_files("logs"):
        assert pq.read_metadata(f).num_rows <= 100, "a file holds more than BATCH_MAX_ROWS rows"
    assert s.stop() == 0
    assert_rows_equal(read_rows_pyarrow(s.parquet_files("logs"), "logs"), expected_rows(req)["logs"], "logs")


# --- convert: every signal, every encoding ---------------------------------------------------


def test_convert_every_signal_and_encoding(tmp_path):
    logs, traces, metrics = (build(sig, seed=4) for sig in SIGNALS)
    inputs = [  # (file name, bytes, extra arguments)
        ("traces.pb", traces.SerializeToString(), []),  # the name says the signal
        ("export-0001.bin", metrics.SerializeToString(), ["--signal", "metrics"]),
        ("batch.json", otlp_json_bytes(logs), []),  # JSON says its signal itself
        ("spans.jsonl", ndjson_bytes(split_request(traces)), []),
        ("m.json.gz", gzip.compress(otlp_json_bytes(metrics)), []),
        ("logs.pb.gz", gzip.compress(logs.SerializeToString()), []),
    ]
    out = tmp_path / "out"
    for name, data, extra in inputs:
        src = tmp_path / name
        src.write_bytes(data)
        p = run_bin(["convert", "-o", str(out), *extra, str(src)])
        assert p.returncode == 0, f"{name}: {p.stderr}"
    exp = merge_expected([traces, metrics, logs, traces, metrics, logs])
    for t in TABLES:
        files = sorted(str(f) for f in out.glob(f"{t}/**/*.parquet"))
        assert_rows_equal(read_rows_pyarrow(files, t), exp[t], t)


def test_convert_protobuf_without_a_signal_is_refused(tmp_path):
    src = tmp_path / "export.bin"
    src.write_bytes(build("traces").SerializeToString())
    out = tmp_path / "out"
    p = run_bin(["convert", "-o", str(out), str(src)])
    assert p.returncode != 0
    assert "export.bin" in p.stderr and "--signal" in p.stderr, p.stderr
    assert not list(out.glob("**/*.parquet"))
