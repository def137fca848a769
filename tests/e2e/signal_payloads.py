"""Rich ExportTraceServiceRequest and ExportMetricsServiceRequest payloads, built with the
opentelemetry-proto Python classes: every field of spans, events, links, status and of the five
metric point kinds, the corner cases (absent optional values, empty lists, unknown enum numbers,
negative durations, NaN, saturating counts, points without a value, metrics without data), and
seeded random bulk. Used by tests/e2e/test_signals_parquet.py and by tests/fuzz/gen_corpus.py."""

import random

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.metrics.v1 import metrics_pb2 as m
from opentelemetry.proto.trace.v1 import trace_pb2 as t

BASE_NS = 1796076000 * 10**9  # 2026-11-30T22:00:00Z
U64_MAX = 2**64 - 1


def av(x):
    """Python value -> AnyValue (bytes, bool, int, float, str, list, dict, None)."""
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
    return v


def kv(key, x):
    return KeyValue(key=key, value=av(x))


ATTR_VALUES = ["str", "", 0, -1, 2**63 - 1, 3.14159, float("-inf"), float("nan"), True, False, b"\xde\xad",
               [1, "two", None], {"a": {"b": [1.5]}}, "ünï 日本 🎉", None]


def random_attrs(rng, n, prefix="k"):
    out = []
    for _ in range(n):
        out.append(kv(f"{prefix}{rng.randrange(12)}", rng.choice(ATTR_VALUES)))  # duplicates happen
    return out


def resources():
    return [
        ([kv("service.name", "checkout"), kv("host.name", "h1"), kv("pid", 1234)], "https://opentelemetry.io/schemas/1.24.0"),
        ([kv("host.name", "no-service")], ""),
        ([kv("service.name", 42), kv("service.name", "frontend"), kv("deploy", {"env": "prod", "n": [1, 2]})], "res-url"),
        ([], ""),
    ]


def scopes():
    return [
        ("io.opentelemetry.http", "1.2.3", [kv("scope.attr", True)], "scope-url"),
        ("", "", [], ""),
        ("lib.ünï", "0.0.1-beta", [kv("a", 1), kv("b", b"\x01")], ""),
    ]


def tid(i):
    return bytes((i * 7 + k * 13) & 0xFF for k in range(16))


def sid(i):
    return bytes((i * 11 + k * 5 + 1) & 0xFF for k in range(8))


# ---------------------------------------------------------------- traces


def special_spans():
    """Hand-written spans, one corner each."""
    spans = []
    s = t.Span(trace_id=tid(1), span_id=sid(1), parent_span_id=sid(2), trace_state="rojo=00f067aa0ba902b7",
               name="GET /api/cart", kind=t.Span.SPAN_KIND_SERVER, start_time_unix_nano=BASE_NS + 123456789,
               end_time_unix_nano=BASE_NS + 223456789, attributes=[kv("http.method", "GET"), kv("http.status_code", 200)],
               dropped_attributes_count=1, flags=0x301)
    s.events.add(time_unix_nano=BASE_NS + 150000999, name="exception",
                 attributes=[kv("exception.type", "IOError"), kv("exception.escaped", True)])
    s.events.add(name="no time, no attributes")
    s.links.add(trace_id=tid(9), span_id=sid(9), trace_state="ls=1", attributes=[kv("peer", 1.5)], flags=1)
    s.links.add()  # an empty link: ids are empty strings
    s.status.code = t.Status.STATUS_CODE_ERROR
    s.status.message = "boom"
    spans.append(s)
    spans.append(t.Span())  # everything absent: defaults, empty lists and maps
    # end before start: the duration is clamped to 0; an unknown kind and status code
    spans.append(t.Span(name="backwards", start_time_unix_nano=BASE_NS + 5000, end_time_unix_nano=BASE_NS + 4000,
                        kind=7, status=t.Status(code=5, message="odd code")))
    # the longest duration there is; no start
    spans.append(t.Span(name="forever", end_time_unix_nano=U64_MAX, kind=t.Span.SPAN_KIND_CONSUMER))
    # many attributes (the sorting path of duplicate removal) on a span and on an event
    many = [kv(f"attr{i % 23}", i) for i in range(40)]
    s = t.Span(name="many", attributes=many, kind=t.Span.SPAN_KIND_PRODUCER, start_time_unix_nano=BASE_NS + 1999)
    s.events.add(name="many", attributes=many, time_unix_nano=BASE_NS + 1)
    spans.append(s)
    # unicode everywhere
    s = t.Span(name="żółć 日本語 🎉", trace_state="k=ü", kind=t.Span.SPAN_KIND_CLIENT)
    s.events.add(name="événement", attributes=[kv("clé", "valeur ✓")])
    s.links.add(trace_state="x=ÿ", attributes=[kv("", None)])
    s.status.code = t.Status.STATUS_CODE_OK
    spans.append(s)
    return spans


def random_span(rng, i):
    s = t.Span(trace_id=tid(i) if rng.random() < 0.9 else b"", span_id=sid(i),
               parent_span_id=sid(i + 1) if rng.random() < 0.6 else b"", name=f"op-{rng.randrange(50)}",
               kind=rng.randrange(6), start_time_unix_nano=BASE_NS + rng.randrange(10**12))
    s.end_time_unix_nano = s.start_time_unix_nano + rng.randrange(10**9)
    s.attributes.extend(random_attrs(rng, rng.randrange(6)))
    for _ in range(rng.choice([0, 0, 1, 2, 5])):
        s.events.add(time_unix_nano=s.start_time_unix_nano + rng.randrange(10**6), name=f"ev{rng.randrange(5)}",
                     attributes=random_attrs(rng, rng.randrange(4), "e"))
    for _ in range(rng.choice([0, 0, 0, 1, 3])):
        s.links.add(trace_id=tid(rng.randrange(1000)), span_id=sid(rng.randrange(1000)),
                    trace_state=rng.choice(["", "a=b"]), attributes=random_attrs(rng, rng.randrange(3), "l"))
    if rng.random() < 0.5:
        s.status.code = rng.randrange(3)
        if rng.random() < 0.5:
            s.status.message = rng.choice(["", "failed", "deadline exceeded"])
    return s


def traces_request(n_random=300, seed=7):
    rng = random.Random(seed)
    req = ExportTraceServiceRequest()
    res = resources()
    scs = scopes()
    i = 0
    for ri, (attrs, url) in enumerate(res):
        rs = req.resource_spans.add(schema_url=url)
        rs.resource.attributes.extend(attrs)
        for si, (name, version, sattrs, surl) in enumerate(scs):
            ss = rs.scope_spans.add(schema_url=surl)
            ss.scope.name, ss.scope.version = name, version
            ss.scope.attributes.extend(sattrs)
            if ri == 0 and si == 0:
                ss.spans.extend(special_spans())
            for _ in range(n_random // (len(res) * len(scs))):
                ss.spans.append(random_span(rng, i))
                i += 1
    req.resource_spans.add()  # a resource without scopes: no rows
    return req


# ---------------------------------------------------------------- metrics


def special_metrics():
    """Hand-written metrics, one corner each (all under one scope)."""
    out = []
    g = m.Metric(name="system.cpu.utilization", description="CPU use", unit="1")
    p = g.gauge.data_points.add(start_time_unix_nano=BASE_NS + 1000999, time_unix_nano=BASE_NS + 2000999, as_double=1.5,
                                flags=1, attributes=[kv("host", "a"), kv("cpu", 0)])
    p.exemplars.add(time_unix_nano=BASE_NS + 1500000, as_double=0.5, span_id=sid(3), trace_id=tid(3),
                    filtered_attributes=[kv("user", "u1")])
    p.exemplars.add(as_int=-7)
    p.exemplars.add()  # no value: Value 0
    g.gauge.data_points.add(time_unix_nano=BASE_NS + 3000000, as_int=42, flags=0xFFFFFFFF)
    for x in (float("nan"), float("inf"), float("-inf"), -0.0, 5e-324):
        g.gauge.data_points.add(time_unix_nano=BASE_NS, as_double=x)
    for x in (-(2**63), 2**63 - 1, 2**53 + 1):
        g.gauge.data_points.add(time_unix_nano=BASE_NS, as_int=x)
    g.gauge.data_points.add(time_unix_nano=BASE_NS + 1, attributes=[kv("dropped", True)])  # no value: rejected
    out.append(g)

    s = m.Metric(name="http.requests", unit="{request}")
    s.sum.aggregation_temporality = m.AGGREGATION_TEMPORALITY_CUMULATIVE
    s.sum.is_monotonic = True
    s.sum.data_points.add(start_time_unix_nano=BASE_NS, time_unix_nano=BASE_NS + 10**9, as_int=10,
                          attributes=[kv("route", "/a")])
    s.sum.data_points.add(time_unix_nano=BASE_NS + 2 * 10**9, as_double=12.25)
    s.sum.data_points.add()  # no value: rejected
    out.append(s)
    s = m.Metric(name="queue.delta")
    s.sum.aggregation_temporality = m.AGGREGATION_TEMPORALITY_DELTA
    s.sum.data_points.add(time_unix_nano=BASE_NS + 5, as_double=-3)
    out.append(s)

    h = m.Metric(name="http.server.duration", unit="ms")
    h.histogram.aggregation_temporality = m.AGGREGATION_TEMPORALITY_DELTA
    p = h.histogram.data_points.add(start_time_unix_nano=BASE_NS + 5000, time_unix_nano=BASE_NS + 6000, count=10,
                                    sum=55.5, bucket_counts=[1, 2, 3, 4], explicit_bounds=[0, 5, 10], min=-1, max=99,
                                    flags=1, attributes=[kv("route", "/a")])
    p.exemplars.add(as_double=4.5, time_unix_nano=BASE_NS + 5500000, trace_id=tid(4), span_id=sid(4))
    h.histogram.data_points.add(time_unix_nano=BASE_NS + 7000, count=24, bucket_counts=[24])  # no sum/min/max
    h.histogram.data_points.add(time_unix_nano=BASE_NS + 8000, sum=0.0)  # no buckets: empty lists; sum 0 present
    h.histogram.data_points.add(time_unix_nano=BASE_NS + 9000, count=U64_MAX, bucket_counts=[U64_MAX, 2**63, 2**63 - 1],
                                explicit_bounds=[float("-inf"), float("nan")], min=float("nan"))
    out.append(h)

    e = m.Metric(name="latency.exp", description="exponential")
    e.exponential_histogram.aggregation_temporality = m.AGGREGATION_TEMPORALITY_CUMULATIVE
    p = e.exponential_histogram.data_points.add(
        start_time_unix_nano=BASE_NS + 1000, time_unix_nano=BASE_NS + 2000, count=12, sum=3.25, scale=-3,
        zero_count=2, zero_threshold=1e-9, flags=1, min=0.25, max=8, attributes=[kv("k", "v")])
    p.positive.offset = -2
    p.positive.bucket_counts.extend([1, 0, 5])
    p.negative.offset = 7
    p.negative.bucket_counts.extend([3, 4])
    p.exemplars.add(as_int=3, filtered_attributes=[kv("f", 1)])
    e.exponential_histogram.data_points.add()  # everything absent
    p = e.exponential_histogram.data_points.add(time_unix_nano=BASE_NS + 4000, scale=-(2**31), zero_count=U64_MAX)
    p.positive.offset = 2**31 - 1
    p.positive.bucket_counts.extend([U64_MAX, 7])
    out.append(e)

    su = m.Metric(name="rpc.summary", unit="s")
    p = su.summary.data_points.add(start_time_unix_nano=BASE_NS + 1000, time_unix_nano=BASE_NS + 2000, count=100,
                                   sum=250.5, flags=1, attributes=[kv("a", "b")])
    for q, v in ((0, 1.5), (0.5, 2.5), (1, 9.75)):
        p.quantile_values.add(quantile=q, value=v)
    p = su.summary.data_points.add(time_unix_nano=BASE_NS + 3000)
    p.quantile_values.add()
    su.summary.data_points.add()
    out.append(su)

    out.append(m.Metric(name="no data at all", unit="ms"))  # ignored: no points
    return out


def random_metric(rng, i):
    kind = rng.randrange(5)
    mt = m.Metric(name=f"metric.{kind}.{rng.randrange(20)}", description=rng.choice(["", "d"]),
                  unit=rng.choice(["", "ms", "By"]))
    npts = rng.choice([1, 1, 2, 4])

    def common(p):
        p.time_unix_nano = BASE_NS + rng.randrange(10**12)
        if rng.random() < 0.7:
            p.start_time_unix_nano = p.time_unix_nano - rng.randrange(1, 10**9)
        p.attributes.extend(random_attrs(rng, rng.randrange(4), "a"))
        p.flags = rng.choice([0, 0, 1])

    def exemplars(p):
        for _ in range(rng.choice([0, 0, 1, 3])):
            x = p.exemplars.add(time_unix_nano=BASE_NS + rng.randrange(10**9),
                                filtered_attributes=random_attrs(rng, rng.randrange(3), "x"))
            if rng.random() < 0.5:
                x.as_double = rng.uniform(-1e6, 1e6)
            else:
                x.as_int = rng.randrange(-(10**6), 10**6)
            if rng.random() < 0.7:
                x.trace_id, x.span_id = tid(rng.randrange(999)), sid(rng.randrange(999))

    for _ in range(npts):
        if kind in (0, 1):
            data = mt.gauge if kind == 0 else mt.sum
            p = data.data_points.add()
            common(p)
            if rng.random() < 0.5:
                p.as_double = rng.uniform(-1e9, 1e9)
            else:
                p.as_int = rng.randrange(-(2**63), 2**63)
            exemplars(p)
        elif kind == 2:
            p = mt.histogram.data_points.add()
            common(p)
            n = rng.randrange(6)
            p.bucket_counts.extend(rng.randrange(1000) for _ in range(n + 1 if n else 0))
            p.explicit_bounds.extend(sorted(rng.uniform(0, 100) for _ in range(n)))
            p.count = sum(p.bucket_counts)
            if rng.random() < 0.7:
                p.sum = rng.uniform(0, 1e5)
            if rng.random() < 0.5:
                p.min, p.max = rng.uniform(0, 1), rng.uniform(1, 100)
            exemplars(p)
        elif kind == 3:
            p = mt.exponential_histogram.data_points.add()
            common(p)
            p.scale = rng.randrange(-10, 20)
            p.zero_count = rng.randrange(10)
            p.zero_threshold = rng.choice([0.0, 1e-6])
            for b in (p.positive, p.negative):
                if rng.random() < 0.7:
                    b.offset = rng.randrange(-100, 100)
                    b.bucket_counts.extend(rng.randrange(2**40) for _ in range(rng.randrange(6)))
            p.count = rng.randrange(10**6)
            if rng.random() < 0.7:
                p.sum = rng.uniform(0, 1e5)
            exemplars(p)
        else:
            p = mt.summary.data_points.add()
            common(p)
            p.count, p.sum = rng.randrange(10**6), rng.uniform(0, 1e6)
            for q in sorted(rng.random() for _ in range(rng.randrange(4))):
                p.quantile_values.add(quantile=q, value=rng.uniform(0, 1e3))
    if kind == 1:
        mt.sum.aggregation_temporality = rng.randrange(3)
        mt.sum.is_monotonic = rng.random() < 0.5
    elif kind == 2:
        mt.histogram.aggregation_temporality = rng.randrange(3)
    elif kind == 3:
        mt.exponential_histogram.aggregation_temporality = rng.randrange(3)
    return mt


def metrics_request(n_random=200, seed=11):
    rng = random.Random(seed)
    req = ExportMetricsServiceRequest()
    res = resources()
    scs = scopes()
    i = 0
    for ri, (attrs, url) in enumerate(res):
        rm = req.resource_metrics.add(schema_url=url)
        rm.resource.attributes.extend(attrs)
        for si, (name, version, sattrs, surl) in enumerate(scs):
            sm = rm.scope_metrics.add(schema_url=surl)
            sm.scope.name, sm.scope.version = name, version
            sm.scope.attributes.extend(sattrs)
            if ri == 0 and si == 0:
                sm.metrics.extend(special_metrics())
            for _ in range(n_random // (len(res) * len(scs))):
                sm.metrics.append(random_metric(rng, i))
                i += 1
    req.resource_metrics.add()
    return req
