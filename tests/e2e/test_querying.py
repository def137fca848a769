"""Every query of docs/querying.md runs: each named ```sql block (<!-- query: NAME -->) is run by
DuckDB over files that `otlp2parquet convert` wrote from a known payload (its 'data/' paths
rewritten to the test's folder), and its result must equal the answer computed here, in Python,
from the payload (through otlp_values' statement of the conversion rules, never from the files)."""

import datetime
import decimal
import math
import os
import random
import re
from collections import defaultdict

import duckdb
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from conftest import ROOT, run_bin
from otlp_values import BASE_NS, kv, merge_expected

DOC = os.path.join(ROOT, "docs", "querying.md")
QUERY_RE = re.compile(r"<!-- query: (\w+) -->\s*```sql\n(.*?)```", re.S)


def doc_queries():
    text = open(DOC, encoding="utf-8").read()
    return dict(QUERY_RE.findall(text)), text.count("```sql")


# --- the payload -----------------------------------------------------------------------------

SERVICES = ["checkout", "cart", "search"]
ERROR_EVERY = {"checkout": 10, "cart": 50, "search": 4}
SPAN_NAMES = ["GET /cart", "POST /checkout", "GET /search", "db.query"]
SEVERITIES = [0, 1, 5, 9, 9, 9, 9, 13, 13, 17, 21, 10, 12, 24]
BOUNDS = [5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0]
S = 1_000_000_000  # ns per second


def _resource(res, svc):
    res.attributes.extend([kv("service.name", svc), kv("deployment.environment", "prod")])


def build_payload(rng):
    """(logs, traces, metrics) requests shaped for the queries: three services, spans with
    errors and exception events over three hours across midnight, logs of every severity, some in
    error spans, and metrics of every kind with delta and cumulative series."""
    traces, logs, metrics = ExportTraceServiceRequest(), ExportLogsServiceRequest(), ExportMetricsServiceRequest()
    for si, svc in enumerate(SERVICES):
        rs = traces.resource_spans.add()
        _resource(rs.resource, svc)
        ss = rs.scope_spans.add()
        ss.scope.name = "shop"
        rl = logs.resource_logs.add()
        _resource(rl.resource, svc)
        sl = rl.scope_logs.add()
        sl.scope.name = "shop"
        perm = list(range(200))
        rng.shuffle(perm)
        for k in range(200):
            sp = ss.spans.add()
            sp.trace_id, sp.span_id = rng.randbytes(16), rng.randbytes(8)
            sp.name = SPAN_NAMES[k % 4]
            sp.kind = 2
            start = BASE_NS + k * 53 * S + si * 7 * S + (k * 131) % 1000
            sp.start_time_unix_nano = start
            sp.end_time_unix_nano = start + 1_000_000 + perm[k] * 997_003 + si
            if k % ERROR_EVERY[svc] == 0:
                sp.status.code = 2
                sp.status.message = f"{svc} failed {k}"
                ev = sp.events.add(time_unix_nano=start + 1000 + k, name="exception")
                etype = "TimeoutError" if (k // ERROR_EVERY[svc]) % 2 == 0 else "ValueError"
                ev.attributes.extend([kv("exception.type", etype), kv("exception.message", f"{svc}: {etype} #{k}")])
                r = sl.log_records.add(time_unix_nano=start + 500_000, severity_number=17, severity_text="ERROR")
                r.body.string_value = f"{svc} request {k} failed"
                r.trace_id, r.span_id = sp.trace_id, sp.span_id
            elif k % 3 == 0:
                sp.status.code = 1
            if k % 5 == 1:
                sp.events.add(time_unix_nano=start + 2000, name="retry").attributes.append(kv("attempt", 2))
        for k in range(300):
            r = sl.log_records.add(time_unix_nano=BASE_NS + k * 37 * S + si * 3 * S + k,
                                   severity_number=SEVERITIES[(k * 5 + si) % len(SEVERITIES)])
            r.severity_text = ["", "INFO", "warning"][k % 3]
            r.body.string_value = f"{svc} log {k}"

        rm = metrics.resource_metrics.add()
        _resource(rm.resource, svc)
        sm = rm.scope_metrics.add()
        sm.scope.name = "shop"
        # latency histograms: checkout delta, cart cumulative, search mostly above the last bound
        h = sm.metrics.add(name="http.server.request.duration", unit="ms")
        h.histogram.aggregation_temporality = 2 if svc == "cart" else 1
        for route in ("/a", "/b"):
            cum = [0] * (len(BOUNDS) + 1)
            for k in range(30 if svc == "checkout" else 10 if svc == "cart" else 5):
                t = BASE_NS + k * 60 * S + 17
                p = h.histogram.data_points.add(time_unix_nano=t)
                p.explicit_bounds.extend(BOUNDS)
                if svc == "search":
                    counts = [rng.randint(0, 2) for _ in BOUNDS] + [rng.randint(30, 60)]
                else:
                    counts = [rng.randint(0, 20) for _ in range(6)] + [rng.randint(0, 3), rng.randint(0, 2), 0]
                if svc == "cart":
                    cum = [a + b for a, b in zip(cum, counts)]
                    counts = cum
                    p.start_time_unix_nano = BASE_NS - 3600 * S
                else:
                    p.start_time_unix_nano = t - 60 * S
                p.bucket_counts.extend(counts)
                p.count = sum(counts)
                p.sum = float(p.count * 20)
                p.attributes.append(kv("http.route", route))
        o = sm.metrics.add(name="db.client.duration", unit="ms")  # another metric, other bounds
        o.histogram.aggregation_temporality = 1
        p = o.histogram.data_points.add(time_unix_nano=BASE_NS, start_time_unix_nano=BASE_NS - S)
        p.explicit_bounds.extend([1.0, 2.0])
        p.bucket_counts.extend([100, 0, 0])
        p.count = 100
        # delta request counter every 10 s, plus a cumulative one of the same name (left out)
        c = sm.metrics.add(name="http.server.requests", unit="{request}")
        c.sum.aggregation_temporality, c.sum.is_monotonic = 1, True
        for k in range(60):
            t = BASE_NS + k * 10 * S + si
            c.sum.data_points.add(time_unix_nano=t, start_time_unix_nano=t - 10 * S, as_int=rng.randint(0, 100))
        c2 = sm.metrics.add(name="http.server.requests", unit="{request}")
        c2.sum.aggregation_temporality, c2.sum.is_monotonic = 2, True
        c2.sum.data_points.add(time_unix_nano=BASE_NS, start_time_unix_nano=BASE_NS - S, as_int=10**6)
        # cumulative CPU time, two modes, with a restart (a new StartTimestamp) for checkout
        cpu = sm.metrics.add(name="process.cpu.time", unit="s")
        cpu.sum.aggregation_temporality, cpu.sum.is_monotonic = 2, True
        for mode in ("user", "system"):
            starts = [BASE_NS - 600 * S, BASE_NS + 400 * S] if svc == "checkout" else [BASE_NS - 600 * S]
            for run, st in enumerate(starts):
                value = rng.uniform(0, 5)
                for k in range(8):
                    value += rng.uniform(0, 3)
                    cpu.sum.data_points.add(time_unix_nano=max(st, BASE_NS) + (k + 1) * 30 * S, start_time_unix_nano=st,
                                            as_double=value).attributes.append(kv("cpu.mode", mode))
        # a gauge every 30 s, int and double points
        g = sm.metrics.add(name="queue.depth", unit="{item}")
        for k in range(60):
            p = g.gauge.data_points.add(time_unix_nano=BASE_NS + k * 30 * S + 5)
            if k % 2:
                p.as_int = rng.randint(0, 500)
            else:
                p.as_double = rng.uniform(0, 500)
        g2 = sm.metrics.add(name="cpu.temperature", unit="Cel")
        g2.gauge.data_points.add(time_unix_nano=BASE_NS, as_double=1e6)
        # exponential histograms of three scales
        e = sm.metrics.add(name="payload.size", unit="By")
        e.exponential_histogram.aggregation_temporality = 1
        for j, (scale, offset) in enumerate([(0, -2), (2, 3), (-1, 0)]):
            p = e.exponential_histogram.data_points.add(time_unix_nano=BASE_NS + j * 60 * S + si,
                                                        start_time_unix_nano=BASE_NS + (j - 1) * 60 * S)
            p.scale = scale
            p.positive.offset = offset
            p.positive.bucket_counts.extend([rng.randint(0, 3) * (i % 3 != 1) for i in range(6 + j)])
            p.negative.offset = -1
            p.negative.bucket_counts.extend([5, 6])
            p.zero_count = 2
            p.count = p.zero_count + sum(p.positive.bucket_counts) + 11
        # summaries: only the latest point of each service is read
        sq = sm.metrics.add(name="rpc.duration", unit="s")
        for k in range(3):
            p = sq.summary.data_points.add(time_unix_nano=BASE_NS + k * 60 * S + si,
                                           start_time_unix_nano=BASE_NS - 3600 * S)
            p.count = 100 * (k + 1) + si
            p.sum = p.count * (0.05 + 0.01 * k)
            for q in (0.5, 0.9, 0.99):
                p.quantile_values.add(quantile=q, value=q * (k + 1) + si / 10)
    return logs, traces, metrics


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """(data folder, {table: expected rows}, {signal: convert's CompletedProcess}) after
    `convert` wrote the payload; the input file names say the signal."""
    tmp = tmp_path_factory.mktemp("querying")
    reqs = build_payload(random.Random(2026))
    data = tmp / "data"
    converted = {}
    for name, req in zip(("logs", "traces", "metrics"), reqs):
        src = tmp / f"{name}.pb"
        src.write_bytes(req.SerializeToString())
        converted[name] = run_bin(["convert", "-o", str(data), str(src)])
    return data, merge_expected(reqs), converted


# --- the answers, computed from the payload --------------------------------------------------

US = 1_000_000  # µs per second


def utc(us):
    return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=us)


def quantile_cont(values, q):
    v = sorted(values)
    pos = (len(v) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def attr(pairs, key):
    return dict(pairs).get(key)


def severity(n):
    for floor, name in ((21, "FATAL"), (17, "ERROR"), (13, "WARN"), (9, "INFO"), (5, "DEBUG"), (1, "TRACE")):
        if n >= floor:
            return name
    return "UNSPECIFIED"


def ans_logs_one_service_one_day(R):
    ts = [r["Timestamp"] for r in R["logs"]
          if r["ServiceName"] == "checkout" and utc(r["Timestamp"]).date() == datetime.date(2026, 12, 1)]
    return [(len(ts), min(ts), max(ts))]


def ans_span_p99_one_hour(R):
    by = defaultdict(list)
    for r in R["traces"]:
        t = utc(r["Timestamp"])
        if r["ServiceName"] == "checkout" and (t.year, t.month, t.day, t.hour) == (2026, 11, 30, 23):
            by[r["SpanName"]].append(r["Duration"])
    out = [(name, len(d), quantile_cont(d, 0.99) / 1e6) for name, d in by.items()]
    return sorted(out, key=lambda x: (-x[2], x[0]))


def ans_error_rate_by_service(R):
    n, e = defaultdict(int), defaultdict(int)
    for r in R["traces"]:
        n[r["ServiceName"]] += 1
        e[r["ServiceName"]] += r["StatusCode"] == "Error"
    out = [(s, n[s], e[s], round(100.0 * e[s] / n[s], 2)) for s in n]
    return sorted(out, key=lambda x: (-x[3], x[0]))


def ans_slowest_spans(R):
    rows = sorted(R["traces"], key=lambda r: (-r["Duration"], r["SpanId"]))[:10]
    return [(r["ServiceName"], r["SpanName"], r["TraceId"], r["SpanId"], r["Duration"] / 1e6, r["Timestamp"])
            for r in rows]


def ans_span_events_search(R):
    out = []
    for r in R["traces"]:
        for e in r["Events"]:
            if e["Name"] == "exception" and attr(e["Attributes"], "exception.type") == "TimeoutError":
                out.append((r["ServiceName"], r["SpanName"], r["TraceId"], r["SpanId"], e["Timestamp"],
                            attr(e["Attributes"], "exception.message")))
    return sorted(out, key=lambda x: (x[4], x[3]))


def ans_logs_by_severity(R):
    n = defaultdict(int)
    for r in R["logs"]:
        n[(r["ServiceName"], severity(r["SeverityNumber"]))] += 1
    return sorted(((s, sev, c) for (s, sev), c in n.items()), key=lambda x: (x[0], -x[2], x[1]))


def ans_error_logs_with_their_span(R):
    spans = {(r["TraceId"], r["SpanId"]): r for r in R["traces"]}
    out = []
    for r in R["logs"]:
        t = spans.get((r["TraceId"], r["SpanId"]))
        if r["SeverityNumber"] >= 17 and t:
            out.append((r["Timestamp"], r["ServiceName"], r["Body"], t["SpanName"], t["Duration"] / 1e6))
    return sorted(out, key=lambda x: (x[0], x[2]))


def ans_requests_per_minute(R):
    n = defaultdict(float)
    for r in R["metrics_sum"]:
        if r["MetricName"] == "http.server.requests" and r["AggregationTemporality"] == 1:
            n[(r["ServiceName"], r["Timestamp"] // (60 * US) * 60 * US)] += r["Value"]
    return sorted((s, m, v) for (s, m), v in n.items())


def ans_cumulative_counter_increase(R):
    series = defaultdict(list)
    for r in R["metrics_sum"]:
        if r["MetricName"] == "process.cpu.time" and r["AggregationTemporality"] == 2:
            series[(r["ServiceName"], attr(r["Attributes"], "cpu.mode"), r["StartTimestamp"])].append(
                (r["Timestamp"], r["Value"]))
    total = defaultdict(float)
    for (svc, mode, _start), pts in series.items():
        pts.sort()
        total[(svc, mode)] += pts[-1][1] - pts[0][1]
    return sorted((s, m, v) for (s, m), v in total.items())


def ans_gauge_over_time(R):
    vals = defaultdict(list)
    for r in R["metrics_gauge"]:
        if r["MetricName"] == "queue.depth":
            vals[(r["ServiceName"], r["Timestamp"] // (300 * US) * 300 * US)].append(r["Value"])
    return sorted((s, b, sum(v) / len(v), max(v)) for (s, b), v in vals.items())


def ans_p99_latency_from_histogram(R):
    latest, chosen = {}, defaultdict(list)
    for r in R["metrics_histogram"]:
        if r["MetricName"] != "http.server.request.duration":
            continue
        if r["AggregationTemporality"] == 1:
            chosen[r["ServiceName"]].append(r)
        else:
            key = (r["ServiceName"], tuple(r["Attributes"]), r["StartTimestamp"])
            if key not in latest or r["Timestamp"] > latest[key]["Timestamp"]:
                latest[key] = r
    for (svc, _a, _s), r in latest.items():
        chosen[svc].append(r)
    out = []
    for svc, points in chosen.items():
        bounds = points[0]["ExplicitBounds"]
        assert all(p["ExplicitBounds"] == bounds for p in points)
        counts = [sum(p["BucketCounts"][i] for p in points) for i in range(len(bounds) + 1)]
        total = sum(counts)
        cumulative = [sum(counts[: i + 1]) for i in range(len(counts))]
        # the first bucket whose cumulative count reaches 99% of the total (in integers: exact)
        i = next(i for i, c in enumerate(cumulative) if 100 * c >= 99 * total)
        lower = 0.0 if i == 0 else bounds[i - 1]
        if i == len(bounds):
            p99 = lower
        else:
            p99 = lower + (bounds[i] - lower) * (0.99 * total - (cumulative[i] - counts[i])) / counts[i]
        out.append((svc, total, p99))
    return sorted(out)


def ans_exponential_histogram_buckets(R):
    out = []
    for r in R["metrics_exponential_histogram"]:
        if r["MetricName"] != "payload.size":
            continue
        for i, n in enumerate(r["PositiveBucketCounts"], 1):
            if n > 0:
                k = r["PositiveOffset"] + i - 1
                base = 2.0 ** (2.0 ** -r["Scale"])
                out.append((r["ServiceName"], r["Timestamp"], r["Scale"], k, base ** k, base ** (k + 1), n))
    return sorted(out, key=lambda x: (x[0], x[1], x[3]))


def ans_summary_quantiles(R):
    latest = {}
    for r in R["metrics_summary"]:
        if r["MetricName"] == "rpc.duration":
            if r["ServiceName"] not in latest or r["Timestamp"] > latest[r["ServiceName"]]["Timestamp"]:
                latest[r["ServiceName"]] = r
    out = []
    for svc, r in latest.items():
        for q in r["ValueAtQuantiles"]:
            out.append((svc, r["Count"], r["Sum"] / r["Count"], q["Quantile"], q["Value"]))
    return sorted(out, key=lambda x: (x[0], x[3]))


ANSWERS = {name[len("ans_"):]: fn for name, fn in globals().items() if name.startswith("ans_")}


# --- running them ----------------------------------------------------------------------------


def plain(v):
    """A DuckDB result value in the form of the answers: timestamps as epoch µs, decimals as numbers."""
    if isinstance(v, datetime.datetime):
        return (v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def same(a, e):
    if isinstance(e, float) or isinstance(a, float):
        return a is not None and e is not None and math.isclose(a, e, rel_tol=1e-9, abs_tol=1e-9)
    return a == e


def test_every_query_is_named_and_answered():
    queries, nsql = doc_queries()
    assert len(queries) == nsql, "every ```sql block in docs/querying.md needs a <!-- query: NAME --> line"
    assert sorted(queries) == sorted(ANSWERS), "a query without an answer here, or an answer without a query"
    for q in queries.values():
        assert "'data/" in q, "queries read 'data/...', which the test rewrites"


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_query(name, dataset):
    data, R, converted = dataset
    queries, _ = doc_queries()
    for table in set(re.findall(r"'data/(\w+)/", queries[name])):
        sig = "metrics" if table.startswith("metrics_") else table
        p = converted[sig]
        assert p.returncode == 0, f"convert {sig}.pb failed:\n{p.stderr}"
    sql = queries[name].replace("'data/", f"'{data}/")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    table = con.execute(sql).to_arrow_table()
    got = [tuple(plain(v) for v in row.values()) for row in table.to_pylist()]
    want = ANSWERS[name](R)
    assert want, f"{name}: the payload gives this query nothing to find"
    assert len(got) == len(want), f"{name}: {len(got)} rows, want {len(want)}\n got {got[:5]}\nwant {want[:5]}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert len(g) == len(w), f"{name}: row {i} has {len(g)} columns, want {len(w)}"
        assert all(same(a, e) for a, e in zip(g, w)), f"{name}: row {i}\n got {g}\nwant {w}"
