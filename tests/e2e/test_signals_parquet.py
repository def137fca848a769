"""Traces and metrics end to end, as far as the decoders and the Parquet writer go: rich
ExportTraceServiceRequest / ExportMetricsServiceRequest payloads (signal_payloads.py) are decoded
by build/tools/decode_to_parquet (the C decoders and pq_write; `convert` does not take these
signals yet), and the files it writes are read back with pyarrow and with DuckDB. Every value of
every row (events, links, exemplars, bucket counts, bounds, quantiles, the nulls of absent
sum/min/max/start) is compared with what the Python payload says, by the rules of DESIGN §3
stated independently here and in otlp_values.py, never by the C code's own output."""

import datetime
import json
import os
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1 import trace_pb2

from conftest import SANITIZER_MARKS
from otlp_values import attrs_map, comparable_text, hexid, service_name
from signal_payloads import BASE_NS, metrics_request, traces_request

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("OTLP2PARQUET_TOOLS") or REPO / "build" / "tools")
TOOL = TOOLS / "decode_to_parquet"
I64_MAX = 2**63 - 1
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def run_tool(signal, payload, tmp_path, *opts, expect_rc=0):
    assert TOOL.exists(), f"{TOOL} is not built (make build/tools/decode_to_parquet)"
    src = tmp_path / f"{signal}.pb"
    src.write_bytes(payload)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    r = subprocess.run([str(TOOL), signal, str(src), str(out), *opts], capture_output=True, timeout=120)
    text = (r.stdout + r.stderr).decode(errors="replace")
    for mark in SANITIZER_MARKS:
        assert mark not in text, text
    assert r.returncode == expect_rc, text
    return (json.loads(r.stdout) if expect_rc == 0 else r.stderr.decode()), out


# ---------------------------------------------------------------- the rules, stated again


def us(ns):
    return ns // 1000


def i32(u):
    return u - 2**32 if u >= 2**31 else u


def sat(u):
    return min(u, I64_MAX)


def amap(kvs):
    return attrs_map(kvs)


SPAN_KINDS = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"]
STATUS_CODES = ["Unset", "Ok", "Error"]


def expected_traces(req):
    rows = []
    for rs in req.resource_spans:
        res = rs.resource
        for ss in rs.scope_spans:
            for s in ss.spans:
                rows.append({
                    "Timestamp": us(s.start_time_unix_nano),
                    "TraceId": hexid(s.trace_id),
                    "SpanId": hexid(s.span_id),
                    "ParentSpanId": hexid(s.parent_span_id),
                    "TraceState": s.trace_state,
                    "SpanName": s.name,
                    "SpanKind": SPAN_KINDS[s.kind] if 0 <= s.kind < 6 else "Unspecified",
                    "ServiceName": service_name(res),
                    "ResourceAttributes": amap(res.attributes),
                    "ResourceSchemaUrl": rs.schema_url,
                    "ScopeName": ss.scope.name,
                    "ScopeVersion": ss.scope.version,
                    "ScopeAttributes": amap(ss.scope.attributes),
                    "SpanAttributes": amap(s.attributes),
                    "Duration": max(0, min(s.end_time_unix_nano - s.start_time_unix_nano, I64_MAX)),
                    "StatusCode": STATUS_CODES[s.status.code] if 0 <= s.status.code < 3 else "Unset",
                    "StatusMessage": s.status.message,
                    "Events": [{"Timestamp": us(e.time_unix_nano), "Name": e.name, "Attributes": amap(e.attributes)}
                               for e in s.events],
                    "Links": [{"TraceId": hexid(k.trace_id), "SpanId": hexid(k.span_id), "TraceState": k.trace_state,
                               "Attributes": amap(k.attributes)} for k in s.links],
                })
    return rows


TABLE_OF = {"gauge": "metrics_gauge", "sum": "metrics_sum", "histogram": "metrics_histogram",
            "exponential_histogram": "metrics_exponential_histogram", "summary": "metrics_summary"}


def number_value(p):
    kind = p.WhichOneof("value")
    return p.as_double if kind == "as_double" else float(p.as_int) if kind == "as_int" else None


def exemplars(p):
    out = []
    for x in p.exemplars:
        v = number_value(x)
        out.append({"Timestamp": us(x.time_unix_nano), "Value": 0.0 if v is None else v, "TraceId": hexid(x.trace_id),
                    "SpanId": hexid(x.span_id), "FilteredAttributes": amap(x.filtered_attributes)})
    return out


def opt(p, field):
    return getattr(p, field) if p.HasField(field) else None


def expected_metrics(req):
    """(rows by table, rejected count, path of the first rejected point)"""
    tables = {name: [] for name in TABLE_OF.values()}
    rejected, first = 0, None
    for ri, rm in enumerate(req.resource_metrics):
        res = rm.resource
        for si, sm in enumerate(rm.scope_metrics):
            for mi, mt in enumerate(sm.metrics):
                kind = mt.WhichOneof("data")
                if kind is None:
                    continue
                data = getattr(mt, kind)
                for pi, p in enumerate(data.data_points):
                    row = {
                        "Timestamp": us(p.time_unix_nano),
                        "StartTimestamp": us(p.start_time_unix_nano) if p.start_time_unix_nano else None,
                        "ServiceName": service_name(res),
                        "MetricName": mt.name,
                        "MetricDescription": mt.description,
                        "MetricUnit": mt.unit,
                        "ResourceAttributes": amap(res.attributes),
                        "ResourceSchemaUrl": rm.schema_url,
                        "ScopeName": sm.scope.name,
                        "ScopeVersion": sm.scope.version,
                        "ScopeAttributes": amap(sm.scope.attributes),
                        "ScopeSchemaUrl": sm.schema_url,
                        "Attributes": amap(p.attributes),
                        "Flags": i32(p.flags),
                    }
                    if kind in ("gauge", "sum"):
                        v = number_value(p)
                        if v is None:
                            rejected += 1
                            if first is None:
                                camel = {"gauge": "gauge", "sum": "sum"}[kind]
                                first = f"resourceMetrics[{ri}].scopeMetrics[{si}].metrics[{mi}].{camel}.dataPoints[{pi}]"
                            continue
                        row["Value"] = v
                        if kind == "sum":
                            row["AggregationTemporality"] = data.aggregation_temporality
                            row["IsMonotonic"] = data.is_monotonic
                    elif kind == "histogram":
                        row.update({"Count": sat(p.count), "Sum": opt(p, "sum"),
                                    "BucketCounts": [sat(c) for c in p.bucket_counts],
                                    "ExplicitBounds": list(p.explicit_bounds), "Min": opt(p, "min"),
                                    "Max": opt(p, "max"), "AggregationTemporality": data.aggregation_temporality})
                    elif kind == "exponential_histogram":
                        row.update({"Count": sat(p.count), "Sum": opt(p, "sum"), "Scale": p.scale,
                                    "ZeroCount": sat(p.zero_count), "ZeroThreshold": p.zero_threshold,
                                    "PositiveOffset": p.positive.offset,
                                    "PositiveBucketCounts": [sat(c) for c in p.positive.bucket_counts],
                                    "NegativeOffset": p.negative.offset,
                                    "NegativeBucketCounts": [sat(c) for c in p.negative.bucket_counts],
                                    "Min": opt(p, "min"), "Max": opt(p, "max"),
                                    "AggregationTemporality": data.aggregation_temporality})
                    else:
                        row.update({"Count": sat(p.count), "Sum": p.sum,
                                    "ValueAtQuantiles": [{"Quantile": q.quantile, "Value": q.value}
                                                         for q in p.quantile_values]})
                    if kind != "summary":
                        row["Exemplars"] = exemplars(p)
                    tables[TABLE_OF[kind]].append(row)
    return tables, rejected, first


# ---------------------------------------------------------------- reading back


def norm(v):
    """A form in which equal values compare equal and unequal ones do not: timestamps in
    microseconds, doubles by their exact text (NaN == NaN, -0.0 != 0.0), map entries as
    (key, value) with JSON values compared parsed, DuckDB's {key, value} structs as pairs."""
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(microseconds=1)
    if isinstance(v, float):
        return ("f", v.hex())
    if isinstance(v, dict):
        if set(v) == {"key", "value"}:
            return (v["key"], comparable_text(v["value"]))
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str):
        return (v[0], comparable_text(v[1]))
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    return v


def compare_rows(got, want, table, how):
    assert len(got) == len(want), f"{table} ({how}): {len(got)} rows, want {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert list(g) == list(w), f"{table} ({how}): columns {list(g)}, want {list(w)}"
        for col in w:
            assert norm(g[col]) == norm(w[col]), f"{table} ({how}) row {i} {col}: {g[col]!r}, want {w[col]!r}"


def duck_expr(x, typ, depth=0):
    """A DuckDB expression for column x that yields what pyarrow's to_pylist gives, with
    timestamps as epoch microseconds and maps as lists of {key, value}."""
    if pa.types.is_timestamp(typ):
        return f"epoch_us({x})"
    if pa.types.is_map(typ):
        return f"map_entries({x})"
    if pa.types.is_list(typ):
        inner = duck_expr(f"e{depth}", typ.value_type, depth + 1)
        return x if inner == f"e{depth}" else f"list_transform({x}, lambda e{depth}: {inner})"
    if pa.types.is_struct(typ):
        fields = []
        for f in typ:
            sub = duck_expr(x + '."' + f.name + '"', f.type, depth)
            fields.append('"' + f.name + '" := ' + sub)
        return "struct_pack(" + ", ".join(fields) + ")"
    return x


def read_duckdb(path, schema):
    cols = ", ".join(duck_expr('"' + f.name + '"', f.type) + ' AS "' + f.name + '"' for f in schema)
    con = duckdb.connect()
    rel = con.sql(f"SELECT {cols} FROM read_parquet('{path}')")
    names = rel.columns
    return [dict(zip(names, r)) for r in rel.fetchall()]


def check_table(path, want, table):
    t = pq.read_table(path)
    compare_rows(t.to_pylist(), want, table, "pyarrow")
    compare_rows(read_duckdb(path, t.schema), want, table, "duckdb")
    return t


# ---------------------------------------------------------------- schema checks


def field_ids(schema):
    """dotted path -> Parquet field id of every field, nested ones included (list elements as
    'element', map entries as 'key' / 'value')."""
    out = {}

    def walk(prefix, f):
        fid = (f.metadata or {}).get(b"PARQUET:field_id")
        if fid is not None:
            out[prefix] = int(fid)
        t = f.type
        if pa.types.is_map(t):
            walk(prefix + ".key", t.key_field)
            walk(prefix + ".value", t.item_field)
        elif pa.types.is_list(t):
            walk(prefix + ".element", t.value_field)
        elif pa.types.is_struct(t):
            for c in t:
                walk(prefix + "." + c.name, c)

    for f in schema:
        walk(f.name, f)
    return out


def map_ids(name, fid, key):
    return {name: fid, name + ".key": key, name + ".value": key + 1}


TRACES_IDS = {
    "Timestamp": 1, "TraceId": 2, "SpanId": 3, "ParentSpanId": 4, "TraceState": 5, "SpanName": 6, "SpanKind": 7,
    "ServiceName": 8, **map_ids("ResourceAttributes", 9, 20), "ResourceSchemaUrl": 10, "ScopeName": 11,
    "ScopeVersion": 12, **map_ids("ScopeAttributes", 13, 22), **map_ids("SpanAttributes", 14, 24), "Duration": 15,
    "StatusCode": 16, "StatusMessage": 17, "Events": 18, "Events.element": 26, "Events.element.Timestamp": 27,
    "Events.element.Name": 28, **map_ids("Events.element.Attributes", 29, 30), "Links": 19, "Links.element": 32,
    "Links.element.TraceId": 33, "Links.element.SpanId": 34, "Links.element.TraceState": 35,
    **map_ids("Links.element.Attributes", 36, 37),
}


def metric_ids(ra, sa, a, own, exemplars=None):
    ids = {"Timestamp": 1, "StartTimestamp": 2, "ServiceName": 3, "MetricName": 4, "MetricDescription": 5,
           "MetricUnit": 6, **map_ids("ResourceAttributes", 7, ra), "ResourceSchemaUrl": 8, "ScopeName": 9,
           "ScopeVersion": 10, **map_ids("ScopeAttributes", 11, sa), "ScopeSchemaUrl": 12,
           **map_ids("Attributes", 13, a), "Flags": 14, **own}
    if exemplars:
        fid, elem = exemplars
        ids.update({"Exemplars": fid, "Exemplars.element": elem, "Exemplars.element.Timestamp": elem + 1,
                    "Exemplars.element.Value": elem + 2, "Exemplars.element.TraceId": elem + 3,
                    "Exemplars.element.SpanId": elem + 4, **map_ids("Exemplars.element.FilteredAttributes", elem + 5, elem + 6)})
    return ids


METRIC_IDS = {
    "metrics_gauge": metric_ids(17, 19, 21, {"Value": 15}, (16, 23)),
    "metrics_sum": metric_ids(19, 21, 23, {"Value": 15, "AggregationTemporality": 16, "IsMonotonic": 17}, (18, 25)),
    "metrics_histogram": metric_ids(23, 25, 27, {"Count": 15, "Sum": 16, "BucketCounts": 17, "BucketCounts.element": 29,
                                                 "ExplicitBounds": 18, "ExplicitBounds.element": 30, "Min": 19,
                                                 "Max": 20, "AggregationTemporality": 21}, (22, 31)),
    "metrics_exponential_histogram": metric_ids(
        28, 30, 32, {"Count": 15, "Sum": 16, "Scale": 17, "ZeroCount": 18, "ZeroThreshold": 19, "PositiveOffset": 20,
                     "PositiveBucketCounts": 21, "PositiveBucketCounts.element": 34, "NegativeOffset": 22,
                     "NegativeBucketCounts": 23, "NegativeBucketCounts.element": 35, "Min": 24, "Max": 25,
                     "AggregationTemporality": 26}, (27, 36)),
    "metrics_summary": metric_ids(18, 20, 22, {"Count": 15, "Sum": 16, "ValueAtQuantiles": 17,
                                               "ValueAtQuantiles.element": 24, "ValueAtQuantiles.element.Quantile": 25,
                                               "ValueAtQuantiles.element.Value": 26}),
}

NULLABLE = {"StartTimestamp", "Sum", "Min", "Max"}


def check_schema(schema, ids, table):
    assert field_ids(schema) == ids, table
    ts = pa.timestamp("us", tz="UTC")
    for f in schema:
        # only the optional columns of DESIGN §3 are nullable (a summary's Sum is not)
        want_null = f.name in NULLABLE and not (table == "metrics_summary" and f.name == "Sum")
        assert f.nullable == want_null, f"{table}.{f.name} nullable={f.nullable}"
        if f.name in ("Timestamp", "StartTimestamp"):
            assert f.type == ts, f"{table}.{f.name}: {f.type}"
        if pa.types.is_map(f.type):
            assert f.type.key_type == pa.string() and f.type.item_type == pa.string()
            assert not f.type.key_field.nullable and f.type.item_field.nullable


# ---------------------------------------------------------------- tests

PAGE_OPTS = [pytest.param((), id="default-pages"), pytest.param(("--page-bytes", "300"), id="tiny-pages")]


@pytest.mark.parametrize("opts", PAGE_OPTS)
def test_traces_roundtrip(tmp_path, opts):
    req = traces_request()
    want = expected_traces(req)
    summary, out = run_tool("traces", req.SerializeToString(), tmp_path, *opts)
    assert summary["rows"] == len(want) and summary["rejected"] == 0
    assert summary["tables"] == {"traces": len(want)}
    t = check_table(out / "traces.parquet", want, "traces")
    check_schema(t.schema, TRACES_IDS, "traces")
    ev = t.schema.field("Events").type.value_type
    assert ev.field("Timestamp").type == pa.timestamp("us", tz="UTC") and not ev.field("Timestamp").nullable
    # the corners of the hand-written spans, spelled out
    rows = {r["SpanName"]: r for r in want}
    assert rows["backwards"]["Duration"] == 0 and rows["backwards"]["SpanKind"] == "Unspecified"
    assert rows["backwards"]["StatusCode"] == "Unset"
    assert rows["forever"]["Duration"] == I64_MAX
    assert rows["GET /api/cart"]["Links"][1] == {"TraceId": "", "SpanId": "", "TraceState": "", "Attributes": []}


@pytest.mark.parametrize("opts", PAGE_OPTS)
def test_metrics_roundtrip(tmp_path, opts):
    req = metrics_request()
    want, rejected, first = expected_metrics(req)
    summary, out = run_tool("metrics", req.SerializeToString(), tmp_path, *opts)
    assert summary["rejected"] == rejected == 2
    assert summary["reject_msg"] == f"{first}: data point without a value (neither asDouble nor asInt), dropped"
    assert summary["rows"] == sum(len(v) for v in want.values())
    assert summary["tables"] == {k: len(v) for k, v in want.items() if v}
    for table, rows in want.items():
        assert rows, table
        t = check_table(out / f"{table}.parquet", rows, table)
        check_schema(t.schema, METRIC_IDS[table], table)


def test_duckdb_queries(tmp_path):
    """What a user would run: unnest events and exemplars, sum bucket counts, count by kind."""
    treq, mreq = traces_request(), metrics_request()
    _, out = run_tool("traces", treq.SerializeToString(), tmp_path)
    _, out = run_tool("metrics", mreq.SerializeToString(), tmp_path)
    spans = expected_traces(treq)
    con = duckdb.connect()
    tr = f"read_parquet('{out / 'traces.parquet'}')"
    n_events = con.sql(f"SELECT count(*) FROM (SELECT unnest(Events) FROM {tr})").fetchone()[0]
    assert n_events == sum(len(s["Events"]) for s in spans)
    kinds = dict(con.sql(f"SELECT SpanKind, count(*) FROM {tr} GROUP BY 1").fetchall())
    want = {}
    for s in spans:
        want[s["SpanKind"]] = want.get(s["SpanKind"], 0) + 1
    assert kinds == want
    errs = con.sql(f"SELECT count(*) FROM {tr} WHERE StatusCode = 'Error'").fetchone()[0]
    assert errs == sum(s["StatusCode"] == "Error" for s in spans)
    linked = con.sql(f"SELECT list_sort(list_distinct(flatten(list(list_transform(Links, lambda l: l.TraceId))))) "
                     f"FROM {tr}").fetchone()[0]
    assert linked == sorted({k["TraceId"] for s in spans for k in s["Links"]})
    mwant, _, _ = expected_metrics(mreq)
    h = f"read_parquet('{out / 'metrics_histogram.parquet'}')"
    total = con.sql(f"SELECT sum(list_sum(BucketCounts)::HUGEINT) FROM {h}").fetchone()[0]
    assert total == sum(sum(r["BucketCounts"]) for r in mwant["metrics_histogram"])
    nulls = con.sql(f"SELECT count(*) FILTER (Sum IS NULL), count(*) FILTER (StartTimestamp IS NULL) FROM {h}").fetchone()
    assert nulls == (sum(r["Sum"] is None for r in mwant["metrics_histogram"]),
                     sum(r["StartTimestamp"] is None for r in mwant["metrics_histogram"]))
    g = f"read_parquet('{out / 'metrics_gauge.parquet'}')"
    ex = con.sql(f"SELECT count(*) FROM (SELECT unnest(Exemplars) AS e FROM {g}) WHERE e.TraceId <> ''").fetchone()[0]
    assert ex == sum(e["TraceId"] != "" for r in mwant["metrics_gauge"] for e in r["Exemplars"])
    q = f"read_parquet('{out / 'metrics_summary.parquet'}')"
    quantiles = con.sql(f"SELECT list(q.Value ORDER BY q.Value) FROM (SELECT unnest(ValueAtQuantiles) AS q FROM {q})").fetchone()[0]
    assert quantiles == sorted(v["Value"] for r in mwant["metrics_summary"] for v in r["ValueAtQuantiles"])


def test_bad_request_names_the_field(tmp_path):
    req = ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans
    ss.add().spans.add()
    sp = ss.add().spans
    for k in range(8):
        sp.add(parent_span_id=b"\x01" * (5 if k == 7 else 8))
    err, out = run_tool("traces", req.SerializeToString(), tmp_path, expect_rc=2)
    assert err.strip() == "traces request: resourceSpans[0].scopeSpans[1].spans[7].parentSpanId: 5 bytes, want 8"
    assert not list(out.iterdir())


def test_empty_requests_write_nothing(tmp_path):
    for signal in ("traces", "metrics"):
        summary, out = run_tool(signal, b"", tmp_path)
        assert summary == {"rows": 0, "rejected": 0, "reject_msg": "", "tables": {}}
        assert not list(out.iterdir())


def test_span_kind_numbers_from_the_sdk_enum():
    """The names the table uses line up with the proto's enum order (a guard on the rule)."""
    names = [n.removeprefix("SPAN_KIND_").title() for n, _ in sorted(trace_pb2.Span.SpanKind.items(), key=lambda x: x[1])]
    assert names == SPAN_KINDS
    codes = [n.removeprefix("STATUS_CODE_").title() for n, _ in sorted(trace_pb2.Status.StatusCode.items(), key=lambda x: x[1])]
    assert codes == STATUS_CODES
    assert BASE_NS % 1000 == 0
