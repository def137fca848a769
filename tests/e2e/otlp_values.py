"""An independent Python statement of the conversion rules of DESIGN §3, used to compute the
values a test expects to read back (never the C code's own output): value texts, payload
builders for every signal, OTLP/JSON encoding, the expected rows of all seven tables, readers of
the written files (pyarrow, DuckDB) into the same form, and a field-by-field comparison."""

import base64
import collections
import datetime
import json
import math

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.metrics.v1.metrics_pb2 import Exemplar


def double_text(x):
    """Shortest %.Ng text that reads back as the same double; NaN and infinities by name."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    for p in range(1, 18):
        s = "%.*g" % (p, x)
        if float(s) == x and (x != 0 or math.copysign(1, float(s)) == math.copysign(1, x)):
            return s
    return "%.17g" % x


def anyvalue_json(v):
    """AnyValue (opentelemetry.proto.common.v1.AnyValue) -> a Python JSON value."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "int_value":
        return v.int_value
    if kind == "double_value":
        d = v.double_value
        return d if math.isfinite(d) else double_text(d)
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    if kind == "array_value":
        return [anyvalue_json(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        out = {}
        for kv in v.kvlist_value.values:
            out[kv.key] = anyvalue_json(kv.value)
        return out
    raise AssertionError(kind)


def anyvalue_text(v):
    """AnyValue -> the text stored in a string column or a map value (None when empty)."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return "true" if v.bool_value else "false"
    if kind == "int_value":
        return str(v.int_value)
    if kind == "double_value":
        return double_text(v.double_value)
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    return json.dumps(anyvalue_json(v), separators=(",", ":"), ensure_ascii=False)


def attrs_map(kvs):
    """Repeated KeyValue -> list of (key, text) pairs: the last duplicate wins, at the first's place."""
    out = {}
    for kv in kvs:
        out[kv.key] = anyvalue_text(kv.value) if kv.HasField("value") else None
    return list(out.items())


def comparable_text(s):
    """Text of an array/kvlist is compared as parsed JSON (escaping may differ legitimately)."""
    if isinstance(s, str) and s[:1] in ("[", "{"):
        try:
            return ("json", json.dumps(json.loads(s), sort_keys=False))
        except ValueError:
            pass
    return s


def comparable_map(pairs):
    return [(k, comparable_text(v)) for k, v in pairs]


def hexid(b):
    return b.hex()


def service_name(resource):
    for kv in reversed(list(resource.attributes)):
        if kv.key == "service.name":
            return anyvalue_text(kv.value)
    return "unknown_service"


# ---------------------------------------------------------------------------------------------
# Building payloads

BASE_NS = 1796076000 * 10**9  # 2026-11-30T22:00:00Z

REQUEST_CLASSES = {"logs": ExportLogsServiceRequest, "traces": ExportTraceServiceRequest,
                   "metrics": ExportMetricsServiceRequest}


def av(x):
    """Python value -> AnyValue (None: empty, bool, int, float, str, bytes, list, dict)."""
    v = AnyValue()
    if x is None:
        pass
    elif isinstance(x, bool):
        v.bool_value = x
    elif isinstance(x, int):
        v.int_value = x
    elif isinstance(x, float):
        v.double_value = x
    elif isinstance(x, str):
        v.string_value = x
    elif isinstance(x, bytes):
        v.bytes_value = x
    elif isinstance(x, list):
        v.array_value.CopyFrom(ArrayValue(values=[av(e) for e in x]))
    elif isinstance(x, dict):
        v.kvlist_value.CopyFrom(KeyValueList(values=[KeyValue(key=k, value=av(e)) for k, e in x.items()]))
    else:
        raise TypeError(type(x))
    return v


def kv(key, x):
    return KeyValue(key=key, value=av(x))


# one of every AnyValue kind, and the awkward ones of each
ANY_VALUES = [
    "str", "", "unicode: żółć 日本語 🎉", 'q"uote\\back\nline\ttab\x01', True, False, 0, -1, 2**63 - 1, -2**63,
    3.14159, -0.0, 1e300, 5e-324, float("nan"), float("inf"), float("-inf"), 123.0, b"", b"\x00\x01binary\xff",
    [], {}, ["a", 1, 2.5, True, None, ["nested", {"k": "v"}]], {"user": {"id": 7, "tags": ["x", "y"], "ok": False}},
    None,
]


def attrs_of_every_kind(i, prefix="a"):
    """Attributes for item i: every AnyValue kind over a few items, duplicates, sometimes none."""
    if i % 13 == 12:
        return []
    out = [kv(f"{prefix}.seq", i), kv(f"{prefix}.v", ANY_VALUES[i % len(ANY_VALUES)]),
           kv(f"{prefix}.w", ANY_VALUES[(i * 7 + 3) % len(ANY_VALUES)])]
    if i % 5 == 0:
        out += [kv("dup", "first"), kv("other", "x"), kv("dup", "last")]
    return out


RESOURCES = [
    [kv("service.name", "checkout"), kv("host.name", "h1"), kv("pid", 1234), kv("ratio", 0.5), kv("flag", True),
     kv("tags", ["a", "b"])],
    [kv("host.name", "no-service")],  # ServiceName unknown_service
    [kv("service.name", "payments ✓ ü"), kv("service.name", "payments ✓ ü"), kv("k8s", {"ns": "prod"})],
]
SCHEMA_URLS = ["https://opentelemetry.io/schemas/1.21.0", ""]


def _scope(scope, ri, si):
    if si == 0:
        scope.name = f"scope-{ri}"
        scope.version = "1.2.3"
        scope.attributes.extend([kv("scope.attr", ri), kv("lib", "otel-py")])


def _id(rng, n, i, every=3):
    """n random bytes, or b"" (absent) for every `every`th item."""
    return b"" if i % every == 0 else rng.randbytes(n)


def build_logs_request(n, rng, observed_always=True):
    """n log records over three resources and two scopes each; every record has an observed time
    unless observed_always is false (then the receive time stands in for some)."""
    req = ExportLogsServiceRequest()
    scopes = []
    for ri, rattrs in enumerate(RESOURCES):
        rl = req.resource_logs.add()
        rl.resource.attributes.extend(rattrs)
        rl.schema_url = SCHEMA_URLS[ri % 2]
        for si in range(2):
            sl = rl.scope_logs.add()
            _scope(sl.scope, ri, si)
            sl.schema_url = "https://example.com/scope" if si == 0 else ""
            scopes.append(sl)
    for i in range(n):
        r = scopes[i % len(scopes)].log_records.add()
        t = BASE_NS + i * 1_000_003_007  # ~1 s apart, not whole microseconds
        if i % 17 == 7:
            r.observed_time_unix_nano = t + 5  # no event time: Timestamp falls back to observed
        elif i % 17 == 8 and not observed_always:
            pass
        else:
            r.time_unix_nano = t
            r.observed_time_unix_nano = t + 999
        r.severity_number = i % 25
        r.severity_text = ["INFO", "", "WARN", "ERROR", "débug"][i % 5]
        b = ANY_VALUES[i % len(ANY_VALUES)]
        if b is not None:
            r.body.CopyFrom(av(b))
        r.trace_id = _id(rng, 16, i)
        r.span_id = _id(rng, 8, i)
        r.flags = i % 256 if i % 4 else 0x101
        r.event_name = f"event-{i:05d}"
        r.attributes.extend(attrs_of_every_kind(i))
    return req


TRACE_STATES = ["", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "vendor=ü"]


def build_traces_request(n, rng):
    """n spans over three resources and two scopes each: every kind and status, parents, trace
    states, events and links with attributes of every kind, 7 s apart (so over several hours for
    large n), and a few edge cases."""
    req = ExportTraceServiceRequest()
    scopes = []
    for ri, rattrs in enumerate(RESOURCES):
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(rattrs)
        rs.schema_url = SCHEMA_URLS[ri % 2]
        for si in range(2):
            ss = rs.scope_spans.add()
            _scope(ss.scope, ri, si)
            ss.schema_url = "https://example.com/scope" if si == 0 else ""
            scopes.append(ss)
    for i in range(n):
        s = scopes[i % len(scopes)].spans.add()
        s.trace_id = rng.randbytes(16)
        s.span_id = rng.randbytes(8)
        if i % 4:
            s.parent_span_id = rng.randbytes(8)
        s.trace_state = TRACE_STATES[i % len(TRACE_STATES)]
        s.name = f"span-{i:05d}" if i % 9 else f"GET /api/ü/{i}"
        s.kind = i % 6
        start = BASE_NS + i * 7_000_000_013  # 7 s apart
        s.start_time_unix_nano = start
        s.end_time_unix_nano = start + (i * 7919) % 5_000_000_000 + (i % 3)
        s.attributes.extend(attrs_of_every_kind(i, "span"))
        s.flags = 0x100 | (i % 2)  # not kept
        s.dropped_attributes_count = i % 3  # not kept
        if i % 7:
            s.status.code = i % 3
            s.status.message = "" if i % 3 != 2 else f"failed: {i}"
        for e in range(i % 4):
            ev = s.events.add()
            ev.time_unix_nano = start + e * 1001
            ev.name = ["exception", "retry", "cache miss", ""][e]
            ev.attributes.extend(attrs_of_every_kind(i + e, "event"))
        for li in range(i % 3):
            ln = s.links.add()
            ln.trace_id = rng.randbytes(16)
            ln.span_id = rng.randbytes(8)
            ln.trace_state = TRACE_STATES[(i + li) % len(TRACE_STATES)]
            ln.attributes.extend(attrs_of_every_kind(i * 3 + li, "link"))
    # the edges: a kind and a status code outside their enums, an end before the start, no end
    edge = scopes[0]
    for j, (kind, code, end) in enumerate([(9, 7, BASE_NS + 10), (2, 1, BASE_NS - 10), (1, 2, 0)]):
        s = edge.spans.add(trace_id=rng.randbytes(16), span_id=rng.randbytes(8), name=f"edge-{j}", kind=kind,
                           start_time_unix_nano=BASE_NS + j, end_time_unix_nano=end)
        s.status.code = code
    return req


def _exemplars(rng, i, n):
    out = []
    for j in range(n):
        e = Exemplar(time_unix_nano=BASE_NS + i * 1_000_000_007 + j)
        if (i + j) % 2:
            e.as_double = [0.25, -3.5, 1e300, float("nan")][(i + j) % 4]
        else:
            e.as_int = [7, -9, 2**53 + 1, 0][(i + j) % 4]
        if (i + j) % 3:
            e.trace_id = rng.randbytes(16)
            e.span_id = rng.randbytes(8)
        e.filtered_attributes.extend(attrs_of_every_kind(i + j, "ex")[:2])
        out.append(e)
    return out


GAUGE_VALUES = [1.5, -2.25, 0.0, -0.0, 1e300, float("nan"), float("inf"), 42, -7, 2**53 + 1, 2**63 - 1, 0]


def build_metrics_request(rng, points=6):
    """Every metric kind with `points` data points each, in two resources: int and double values,
    exemplars with and without ids, sums of both temporalities, histograms with and without
    sum/min/max, exponential histograms with positive/negative/no buckets, summaries."""
    req = ExportMetricsServiceRequest()
    for ri, rattrs in enumerate(RESOURCES):
        rm = req.resource_metrics.add()
        rm.resource.attributes.extend(rattrs)
        rm.schema_url = SCHEMA_URLS[ri % 2]
        for si in range(2):
            sm = rm.scope_metrics.add()
            _scope(sm.scope, ri, si)
            sm.schema_url = "https://example.com/scope" if si == 0 else ""
            base = (ri * 2 + si) * 100
            t0 = BASE_NS + base * 60_000_000_007

            def ts(k):
                return t0 + k * 10_000_000_003

            g = sm.metrics.add(name=f"gauge.{ri}.{si}", description="a gauge ✓", unit="1")
            for k in range(points):
                p = g.gauge.data_points.add(time_unix_nano=ts(k))
                if k % 3 == 2:
                    p.start_time_unix_nano = ts(k) - 1000
                val = GAUGE_VALUES[(base + k) % len(GAUGE_VALUES)]
                if isinstance(val, int):
                    p.as_int = val
                else:
                    p.as_double = val
                p.attributes.extend(attrs_of_every_kind(base + k, "pt"))
                p.exemplars.extend(_exemplars(rng, base + k, k % 3))
            for temporality, mono in ((1, True), (2, False)):
                m = sm.metrics.add(name=f"sum.{temporality}.{ri}.{si}", description="", unit="By")
                m.sum.aggregation_temporality = temporality
                m.sum.is_monotonic = mono
                for k in range(points):
                    p = m.sum.data_points.add(time_unix_nano=ts(k) + 1, start_time_unix_nano=ts(0) - 999_999)
                    if k % 2:
                        p.as_double = k * 1.25
                    else:
                        p.as_int = k * 1000 - 1
                    p.attributes.extend(attrs_of_every_kind(base + k + 1, "pt"))
                    p.exemplars.extend(_exemplars(rng, base + k + 1, (k + 1) % 3))
            h = sm.metrics.add(name=f"hist.{ri}.{si}", description="latency", unit="ms")
            h.histogram.aggregation_temporality = 1 + si
            for k in range(points):
                p = h.histogram.data_points.add(time_unix_nano=ts(k) + 2, start_time_unix_nano=ts(k) - 5_000_000_000)
                if k % 4 == 3:
                    p.count = 5  # no buckets at all
                else:
                    p.explicit_bounds.extend([0.5, 1.0, 2.5, 10.0, 1e300][: 2 + k % 4])
                    p.bucket_counts.extend([(k * j) % 7 for j in range(len(p.explicit_bounds) + 1)])
                    p.count = sum(p.bucket_counts)
                if k % 2 == 0:
                    p.sum = k * 10.5 - 3
                    p.min = -1.0 * k
                    p.max = 100.0 + k
                p.flags = k % 2
                p.attributes.extend(attrs_of_every_kind(base + k + 2, "pt"))
                p.exemplars.extend(_exemplars(rng, base + k + 2, k % 3))
            e = sm.metrics.add(name=f"exphist.{ri}.{si}", description="sizes", unit="By")
            e.exponential_histogram.aggregation_temporality = 2 - si
            for k in range(points):
                p = e.exponential_histogram.data_points.add(time_unix_nano=ts(k) + 3,
                                                            start_time_unix_nano=0 if k == 1 else ts(0))
                p.scale = [-2, 0, 3, 8, 20, -10][k % 6]
                p.zero_count = k
                p.zero_threshold = [0.0, 1e-9, 0.5][k % 3]
                if k % 3 != 1:
                    p.positive.offset = [-5, 0, 17][k % 3]
                    p.positive.bucket_counts.extend([k + j for j in range(1 + k % 4)])
                if k % 2:
                    p.negative.offset = -k
                    p.negative.bucket_counts.extend([1, 0, 2][: 1 + k % 3])
                p.count = p.zero_count + sum(p.positive.bucket_counts) + sum(p.negative.bucket_counts)
                if k % 3 == 0:
                    p.sum = 123.5 * k
                    p.min = 0.001
                    p.max = 4096.0 * (k + 1)
                p.flags = (k + 1) % 2
                p.attributes.extend(attrs_of_every_kind(base + k + 3, "pt"))
                p.exemplars.extend(_exemplars(rng, base + k + 3, (k + 2) % 3))
            s = sm.metrics.add(name=f"summary.{ri}.{si}", description="rpc", unit="s")
            for k in range(points):
                p = s.summary.data_points.add(time_unix_nano=ts(k) + 4,
                                              start_time_unix_nano=ts(0) if k % 2 else 0)
                p.count = k * 3
                p.sum = k * 0.75
                for q in [0.0, 0.5, 0.9, 0.99, 1.0][: k % 6]:
                    p.quantile_values.add(quantile=q, value=q * 10 + k)
                p.flags = k % 2
                p.attributes.extend(attrs_of_every_kind(base + k + 4, "pt"))
            # the edges: counts past 2^63-1, flags past 2^31, an exemplar without a value, a
            # metric without data
            x = sm.metrics.add(name=f"edge.hist.{ri}.{si}")
            x.histogram.aggregation_temporality = 2
            p = x.histogram.data_points.add(time_unix_nano=ts(0) + 5, count=2**64 - 1, flags=0xFFFFFFFF)
            p.explicit_bounds.append(1.0)
            p.bucket_counts.extend([2**64 - 1, 2**63])
            p.exemplars.add(time_unix_nano=ts(0) + 6, span_id=rng.randbytes(8), trace_id=rng.randbytes(16))
            sm.metrics.add(name=f"edge.nodata.{ri}.{si}", description="no data field")
    return req


def split_request(req):
    """One request per resource: the lines of a JSON Lines body."""
    field = {"logs": "resource_logs", "traces": "resource_spans", "metrics": "resource_metrics"}[signal_of(req)]
    out = []
    for r in getattr(req, field):
        one = type(req)()
        getattr(one, field).append(r)
        out.append(one)
    return out


def signal_of(req):
    for sig, cls in REQUEST_CLASSES.items():
        if isinstance(req, cls):
            return sig
    raise TypeError(type(req))


# ---------------------------------------------------------------------------------------------
# OTLP/JSON

ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _ids_to_hex(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ID_KEYS and isinstance(v, str):
                o[k] = base64.b64decode(v).hex()
            else:
                _ids_to_hex(v)
    elif isinstance(o, list):
        for v in o:
            _ids_to_hex(v)
    return o


def otlp_json(msg):
    """A protobuf request as OTLP/JSON (a Python dict): the proto3 JSON mapping with lowerCamelCase
    keys, 64-bit integers as strings and enums as integers, plus the OTLP spec's one difference:
    trace and span ids are hex strings instead of base64."""
    return _ids_to_hex(json_format.MessageToDict(msg, use_integers_for_enums=True))


def otlp_json_bytes(msg):
    return json.dumps(otlp_json(msg), ensure_ascii=False).encode()


def ndjson_bytes(msgs):
    """JSON Lines: one OTLP/JSON request per line."""
    return b"".join(json.dumps(otlp_json(m), ensure_ascii=False).encode() + b"\n" for m in msgs)


# ---------------------------------------------------------------------------------------------
# Expected rows: an independent statement of DESIGN §3 for every table

SPAN_KIND_TEXT = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"]
STATUS_CODE_TEXT = ["Unset", "Ok", "Error"]
METRIC_TABLE = {"gauge": "metrics_gauge", "sum": "metrics_sum", "histogram": "metrics_histogram",
                "exponential_histogram": "metrics_exponential_histogram", "summary": "metrics_summary"}
METRIC_TABLES = list(METRIC_TABLE.values())
TABLES = ["logs", "traces"] + METRIC_TABLES
SIGNAL_TABLES = {"logs": ["logs"], "traces": ["traces"], "metrics": METRIC_TABLES}


def us(ns):
    """OTLP nanoseconds -> the stored microseconds (floored)."""
    return ns // 1000


INT64_MAX = 2**63 - 1


def int32_bits(u):
    """A uint32 (flags) in an int32 column, bit for bit."""
    return u - 2**32 if u >= 2**31 else u


def saturated(u):
    """An unsigned 64-bit count in a long column: at most 2^63-1."""
    return min(u, INT64_MAX)


def span_kind_text(k):
    return SPAN_KIND_TEXT[k] if 0 <= k < len(SPAN_KIND_TEXT) else "Unspecified"


def status_code_text(c):
    return STATUS_CODE_TEXT[c] if 0 <= c < len(STATUS_CODE_TEXT) else "Unset"


def duration(start, end):
    return min(end - start, INT64_MAX) if end >= start else 0


def logs_rows(req):
    """{"logs": rows}; Timestamp/ObservedTimestamp None where the receive time stands in."""
    rows = []
    for rl in req.resource_logs:
        res_attrs = attrs_map(rl.resource.attributes)
        svc = service_name(rl.resource)
        for sl in rl.scope_logs:
            for r in sl.log_records:
                ts = r.time_unix_nano or r.observed_time_unix_nano
                rows.append({
                    "Timestamp": us(ts) if ts else None,
                    "ObservedTimestamp": us(r.observed_time_unix_nano) if r.observed_time_unix_nano else None,
                    "TraceId": r.trace_id.hex(), "SpanId": r.span_id.hex(), "TraceFlags": int32_bits(r.flags),
                    "SeverityText": r.severity_text, "SeverityNumber": r.severity_number,
                    "Body": anyvalue_text(r.body) if r.HasField("body") else None,
                    "EventName": r.event_name, "ServiceName": svc, "ResourceAttributes": res_attrs,
                    "ResourceSchemaUrl": rl.schema_url, "ScopeName": sl.scope.name,
                    "ScopeVersion": sl.scope.version, "ScopeAttributes": attrs_map(sl.scope.attributes),
                    "ScopeSchemaUrl": sl.schema_url, "LogAttributes": attrs_map(r.attributes),
                })
    return {"logs": rows}


def traces_rows(req):
    rows = []
    for rs in req.resource_spans:
        res_attrs = attrs_map(rs.resource.attributes)
        svc = service_name(rs.resource)
        for ss in rs.scope_spans:
            for s in ss.spans:
                rows.append({
                    "Timestamp": us(s.start_time_unix_nano), "TraceId": s.trace_id.hex(), "SpanId": s.span_id.hex(),
                    "ParentSpanId": s.parent_span_id.hex(), "TraceState": s.trace_state, "SpanName": s.name,
                    "SpanKind": span_kind_text(s.kind), "ServiceName": svc, "ResourceAttributes": res_attrs,
                    "ResourceSchemaUrl": rs.schema_url, "ScopeName": ss.scope.name, "ScopeVersion": ss.scope.version,
                    "ScopeAttributes": attrs_map(ss.scope.attributes), "SpanAttributes": attrs_map(s.attributes),
                    "Duration": duration(s.start_time_unix_nano, s.end_time_unix_nano),
                    "StatusCode": status_code_text(s.status.code), "StatusMessage": s.status.message,
                    "Events": [{"Timestamp": us(e.time_unix_nano), "Name": e.name,
                                "Attributes": attrs_map(e.attributes)} for e in s.events],
                    "Links": [{"TraceId": ln.trace_id.hex(), "SpanId": ln.span_id.hex(), "TraceState": ln.trace_state,
                               "Attributes": attrs_map(ln.attributes)} for ln in s.links],
                })
    return {"traces": rows}


def number_value(p):
    """as_double, or as_int converted to double; None when the point has no value."""
    kind = p.WhichOneof("value")
    if kind == "as_double":
        return p.as_double
    if kind == "as_int":
        return float(p.as_int)
    return None


def exemplar_rows(exemplars):
    return [{"Timestamp": us(e.time_unix_nano), "Value": number_value(e) if e.WhichOneof("value") else 0.0, "TraceId": e.trace_id.hex(),
             "SpanId": e.span_id.hex(), "FilteredAttributes": attrs_map(e.filtered_attributes)} for e in exemplars]


def _opt(p, name):
    return getattr(p, name) if p.HasField(name) else None


def metrics_rows(req):
    """{table: rows} for the five metrics tables, plus the number of points without a value under
    the key "rejected"."""
    out = {t: [] for t in METRIC_TABLES}
    rejected = 0
    for rm in req.resource_metrics:
        res_attrs = attrs_map(rm.resource.attributes)
        svc = service_name(rm.resource)
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                if kind is None:
                    continue
                data = getattr(m, kind)
                for p in data.data_points:
                    row = {
                        "Timestamp": us(p.time_unix_nano),
                        "StartTimestamp": us(p.start_time_unix_nano) if p.start_time_unix_nano else None,
                        "ServiceName": svc, "MetricName": m.name, "MetricDescription": m.description,
                        "MetricUnit": m.unit, "ResourceAttributes": res_attrs, "ResourceSchemaUrl": rm.schema_url,
                        "ScopeName": sm.scope.name, "ScopeVersion": sm.scope.version,
                        "ScopeAttributes": attrs_map(sm.scope.attributes), "ScopeSchemaUrl": sm.schema_url,
                        "Attributes": attrs_map(p.attributes), "Flags": int32_bits(p.flags),
                    }
                    if kind in ("gauge", "sum"):
                        row["Value"] = number_value(p)
                        if row["Value"] is None:
                            rejected += 1
                            continue
                        if kind == "sum":
                            row["AggregationTemporality"] = data.aggregation_temporality
                            row["IsMonotonic"] = data.is_monotonic
                    elif kind == "histogram":
                        row.update({"Count": saturated(p.count), "Sum": _opt(p, "sum"),
                                    "BucketCounts": [saturated(c) for c in p.bucket_counts],
                                    "ExplicitBounds": list(p.explicit_bounds), "Min": _opt(p, "min"),
                                    "Max": _opt(p, "max"), "AggregationTemporality": data.aggregation_temporality})
                    elif kind == "exponential_histogram":
                        row.update({"Count": saturated(p.count), "Sum": _opt(p, "sum"), "Scale": p.scale,
                                    "ZeroCount": saturated(p.zero_count), "ZeroThreshold": p.zero_threshold,
                                    "PositiveOffset": p.positive.offset,
                                    "PositiveBucketCounts": [saturated(c) for c in p.positive.bucket_counts],
                                    "NegativeOffset": p.negative.offset,
                                    "NegativeBucketCounts": [saturated(c) for c in p.negative.bucket_counts],
                                    "Min": _opt(p, "min"), "Max": _opt(p, "max"),
                                    "AggregationTemporality": data.aggregation_temporality})
                    elif kind == "summary":
                        row.update({"Count": saturated(p.count), "Sum": p.sum,
                                    "ValueAtQuantiles": [{"Quantile": q.quantile, "Value": q.value}
                                                         for q in p.quantile_values]})
                    if kind != "summary":
                        row["Exemplars"] = exemplar_rows(p.exemplars)
                    out[METRIC_TABLE[kind]].append(row)
    out["rejected"] = rejected
    return out


def expected_rows(req):
    """{table: rows} of any request (metrics: also "rejected")."""
    return {"logs": logs_rows, "traces": traces_rows, "metrics": metrics_rows}[signal_of(req)](req)


def merge_expected(reqs):
    out = {}
    for r in reqs:
        for t, rows in expected_rows(r).items():
            if t == "rejected":
                out[t] = out.get(t, 0) + rows
            else:
                out.setdefault(t, []).extend(rows)
    return out


# ---------------------------------------------------------------------------------------------
# Reading rows back, and comparing them

# column kinds: ts (timestamp, as epoch microseconds), str, text (a string column that may hold
# JSON), int, float, bool, map, ("list", kind), ("structs", [(name, kind), ...])
_RES_SCOPE = [("ResourceAttributes", "map"), ("ResourceSchemaUrl", "str"), ("ScopeName", "str"),
              ("ScopeVersion", "str"), ("ScopeAttributes", "map")]
_METRIC_COMMON = [("Timestamp", "ts"), ("StartTimestamp", "ts"), ("ServiceName", "str"), ("MetricName", "str"),
                  ("MetricDescription", "str"), ("MetricUnit", "str")] + _RES_SCOPE + [
                  ("ScopeSchemaUrl", "str"), ("Attributes", "map"), ("Flags", "int")]
_EXEMPLARS = ("Exemplars", ("structs", [("Timestamp", "ts"), ("Value", "float"), ("TraceId", "str"),
                                        ("SpanId", "str"), ("FilteredAttributes", "map")]))
COLUMNS = {
    "logs": [("Timestamp", "ts"), ("ObservedTimestamp", "ts"), ("TraceId", "str"), ("SpanId", "str"),
             ("TraceFlags", "int"), ("SeverityText", "str"), ("SeverityNumber", "int"), ("Body", "text"),
             ("EventName", "str"), ("ServiceName", "str")] + _RES_SCOPE + [
             ("ScopeSchemaUrl", "str"), ("LogAttributes", "map")],
    "traces": [("Timestamp", "ts"), ("TraceId", "str"), ("SpanId", "str"), ("ParentSpanId", "str"),
               ("TraceState", "str"), ("SpanName", "str"), ("SpanKind", "str"), ("ServiceName", "str")] + _RES_SCOPE + [
               ("SpanAttributes", "map"), ("Duration", "int"), ("StatusCode", "str"), ("StatusMessage", "str"),
               ("Events", ("structs", [("Timestamp", "ts"), ("Name", "str"), ("Attributes", "map")])),
               ("Links", ("structs", [("TraceId", "str"), ("SpanId", "str"), ("TraceState", "str"),
                                      ("Attributes", "map")]))],
    "metrics_gauge": _METRIC_COMMON + [("Value", "float"), _EXEMPLARS],
    "metrics_sum": _METRIC_COMMON + [("Value", "float"), ("AggregationTemporality", "int"), ("IsMonotonic", "bool"),
                                     _EXEMPLARS],
    "metrics_histogram": _METRIC_COMMON + [
        ("Count", "int"), ("Sum", "float"), ("BucketCounts", ("list", "int")), ("ExplicitBounds", ("list", "float")),
        ("Min", "float"), ("Max", "float"), ("AggregationTemporality", "int"), _EXEMPLARS],
    "metrics_exponential_histogram": _METRIC_COMMON + [
        ("Count", "int"), ("Sum", "float"), ("Scale", "int"), ("ZeroCount", "int"), ("ZeroThreshold", "float"),
        ("PositiveOffset", "int"), ("PositiveBucketCounts", ("list", "int")), ("NegativeOffset", "int"),
        ("NegativeBucketCounts", ("list", "int")), ("Min", "float"), ("Max", "float"),
        ("AggregationTemporality", "int"), _EXEMPLARS],
    "metrics_summary": _METRIC_COMMON + [
        ("Count", "int"), ("Sum", "float"),
        ("ValueAtQuantiles", ("structs", [("Quantile", "float"), ("Value", "float")]))],
}

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _epoch_us(dt):
    return (dt - _EPOCH) // datetime.timedelta(microseconds=1)


def _from_reader(v, kind):
    """A value as pyarrow's to_pylist or DuckDB gives it -> the form of the expected rows."""
    if v is None:
        return None
    if kind == "ts":
        return v if isinstance(v, int) else _epoch_us(v)
    if kind == "map":
        return [(e["key"], e["value"]) if isinstance(e, dict) else tuple(e) for e in v]
    if isinstance(kind, tuple) and kind[0] == "list":
        return [_from_reader(x, kind[1]) for x in v]
    if isinstance(kind, tuple) and kind[0] == "structs":
        return [{n: _from_reader(s[n], k) for n, k in kind[1]} for s in v]
    return v


def read_rows_pyarrow(files, table, filesystem=None):
    """Every row of the files (paths on filesystem, a pyarrow.fs one, e.g. S3), as dicts in the
    form of the expected rows."""
    rows = []
    for f in files:
        rows += rows_of_arrow(pq.read_table(f, filesystem=filesystem), table, f)
    return rows


def rows_of_arrow(t, table, what=""):
    """The rows of a pyarrow Table (a file's, or an Iceberg scan's) as dicts in the form of the
    expected rows; its columns must be the table's, in order."""
    cols = COLUMNS[table]
    assert t.column_names == [c for c, _ in cols], (what, t.column_names)
    data = {}
    for name, kind in cols:
        c = t.column(name)
        if kind == "ts":
            c = c.cast(pa.int64())
        data[name] = c.to_pylist()
    return [{name: _from_reader(data[name][i], kind) for name, kind in cols} for i in range(t.num_rows)]


def _duck_expr(expr, kind):
    if kind == "ts":
        return f"epoch_us({expr})"
    if kind == "map":
        return f"map_entries({expr})"
    if isinstance(kind, tuple) and kind[0] == "structs":
        fields = ", ".join(f"'{n}': {_duck_expr(f'x.{n}', k)}" for n, k in kind[1])
        return f"list_transform({expr}, x -> {{{fields}}})"
    return expr


def read_rows_duckdb(data_dir, table, con=None, files=None, source=None):
    """Every row of data_dir/table/** (or of the listed files, or of the FROM-clause text source,
    e.g. an attached Iceberg table), read by DuckDB, in the form of the expected rows."""
    con = con or duckdb.connect()
    cols = COLUMNS[table]
    sel = ", ".join(f'{_duck_expr(chr(34) + n + chr(34), k)} AS "{n}"' for n, k in cols)
    if source is None:
        if files is not None:
            src = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
        else:
            src = f"'{data_dir}/{table}/**/*.parquet'"
        source = f"read_parquet({src}, hive_partitioning = false)"
    cur = con.execute(f"SELECT {sel} FROM {source}")
    names = [d[0] for d in cur.description]
    return [{n: _from_reader(v, k) for n, v, (_, k) in zip(names, vals, cols)} for vals in cur.fetchall()]


def _canon(v, kind):
    if v is None:
        return None
    if kind == "float":
        return "nan" if math.isnan(v) else float(v).hex()
    if kind == "text":
        return comparable_text(v)
    if kind == "map":
        return tuple(comparable_map(v))
    if isinstance(kind, tuple) and kind[0] == "list":
        return tuple(_canon(x, kind[1]) for x in v)
    if isinstance(kind, tuple) and kind[0] == "structs":
        return tuple(tuple((n, _canon(s[n], k)) for n, k in kind[1]) for s in v)
    return v


def canonical(row, table):
    """A row as a hashable, order-independent-of-float-quirks tuple: NaN equals NaN, -0.0 is not
    0.0, array/kvlist text compares as parsed JSON."""
    return tuple((n, _canon(row[n], k)) for n, k in COLUMNS[table])


def canonical_rows(rows, table):
    return sorted((canonical(r, table) for r in rows), key=repr)


def _received(row, table, window):
    """A logs row whose ObservedTimestamp is within the receive window, with it (and Timestamp,
    when equal) replaced by None: the form of an expected row whose receive time stands in."""
    lo, hi = window
    r = dict(row)
    if table == "logs" and r["ObservedTimestamp"] is not None and lo <= r["ObservedTimestamp"] <= hi:
        if r["Timestamp"] == r["ObservedTimestamp"]:
            r["Timestamp"] = None
        r["ObservedTimestamp"] = None
    return r


def assert_rows_equal(actual, expected, table, what="", received=None):
    """Field-by-field comparison of two row lists (order ignored); on a difference, names the
    first differing row and column. received=(first, last) epoch µs: the window in which the
    server received the data, for expected logs rows whose receive time stands in (None)."""
    e = canonical_rows(expected, table)
    if received:
        want = collections.Counter(e)
        a = []
        for r in actual:
            c = canonical(r, table)
            if want[c] > 0:
                want[c] -= 1
            else:
                c = canonical(_received(r, table, received), table)
            a.append(c)
        a.sort(key=repr)
    else:
        a = canonical_rows(actual, table)
    assert len(a) == len(e), f"{table}{what}: {len(a)} rows, want {len(e)}"
    if a == e:
        return
    for ra, re_ in zip(a, e):
        if ra != re_:
            for (n, va), (_, ve) in zip(ra, re_):
                assert va == ve, f"{table}{what}: column {n} differs in row {dict(re_)!r}:\n got {va!r}\nwant {ve!r}"
    raise AssertionError(f"{table}{what}: rows differ")
