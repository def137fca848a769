#!/usr/bin/env python3
"""Fixed-seed OTLP workloads for `make bench`.

    gen_workload.py OUTDIR [--scale S] [--seed N]

For each signal (logs, traces, metrics) writes, from one random stream (seed fixed):
  {signal}.pb.bodies / .pb.gz.bodies / .json.bodies / .json.gz.bodies
      the HTTP request bodies, one per request, each framed as a 4-byte little-endian length
      then the bytes (bench/loadgen.c reads these);
  {signal}.pb, {signal}.pb.gz, {signal}.jsonl, {signal}.jsonl.gz
      the same requests as one file each for `convert` (protobuf requests concatenate into one
      request; JSON goes one request per line);
  meta.json: requests, records per request and records of each workload.

A request is what an SDK batch exporter sends: 512 records (log records, spans, metric data
points) of one service. The JSON form is built first (proto3 JSON mapping) and the protobuf
form is parsed from it with the protobuf library, so both carry exactly the same data.
Timestamps start at a fixed instant (2026-01-01T00:00:00Z) so the output folders are the same on
every run. Only the Python standard library and opentelemetry-proto are used.
"""
import argparse
import base64
import gzip
import json
import os
import random
import struct
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

GEN_VERSION = 1  # bump when the generated data changes (the cache key of bench/run.py)
BASE_NS = 1767225600 * 10**9  # 2026-01-01T00:00:00Z
PER_REQUEST = 512
SERVICES = ["checkout", "payments", "frontend", "inventory"]
# requests per signal at scale 1
REQUESTS = {"logs": 200, "traces": 100, "metrics": 100}

WORDS = ("request user order cart payment item shipping address token session cache database "
         "query timeout retry failed succeeded started completed processing received sent upstream "
         "downstream latency error warning connection pool worker thread queue message event handler "
         "customer account invoice discount price quantity product catalog search index region zone").split()
ROUTES = ["/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/cart", "/api/v1/checkout", "/api/v1/users/{id}",
          "/api/v1/products", "/api/v1/products/{id}", "/healthz", "/api/v1/payments", "/api/v1/search"]
METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
SEVERITIES = [(5, "DEBUG"), (9, "INFO"), (9, "INFO"), (9, "INFO"), (13, "WARN"), (17, "ERROR")]


def sv(s):
    return {"stringValue": s}


def kv(k, v):
    if isinstance(v, bool):
        val = {"boolValue": v}
    elif isinstance(v, int):
        val = {"intValue": str(v)}
    elif isinstance(v, float):
        val = {"doubleValue": v}
    else:
        val = sv(v)
    return {"key": k, "value": val}


def hexid(r, nbytes):
    return "%0*x" % (nbytes * 2, r.getrandbits(nbytes * 8))


def resource(r, svc, i):
    return {"attributes": [kv("service.name", svc), kv("service.version", "1.4.%d" % (i % 3)),
                           kv("deployment.environment", "production"),
                           kv("host.name", "ip-10-0-%d-%d" % (SERVICES.index(svc), r.randrange(8))),
                           kv("telemetry.sdk.language", "go"), kv("telemetry.sdk.name", "opentelemetry"),
                           kv("telemetry.sdk.version", "1.32.0")]}


def scope():
    return {"name": "github.com/example/app/instrumentation", "version": "0.9.1"}


def sentence(r, nbytes):
    out = []
    n = 0
    while n < nbytes:
        w = r.choice(WORDS)
        if r.random() < 0.15:
            w = "%s=%d" % (w, r.randrange(100000))
        out.append(w)
        n += len(w) + 1
    return " ".join(out)[:nbytes]


def log_request(r, i, t0, n=PER_REQUEST):
    svc = SERVICES[i % len(SERVICES)]
    recs = []
    for j in range(n):
        ts = t0 + j * 1_000_000 + r.randrange(1_000_000)
        sn, st = r.choice(SEVERITIES)
        recs.append({
            "timeUnixNano": str(ts), "observedTimeUnixNano": str(ts + 150_000),
            "severityNumber": sn, "severityText": st,
            "body": sv(sentence(r, 180 + r.randrange(40))),
            "attributes": [
                kv("http.request.method", r.choice(METHODS)), kv("http.route", r.choice(ROUTES)),
                kv("http.response.status_code", str(r.choice([200, 200, 200, 201, 204, 400, 404, 500]))),
                kv("user.id", "u-%06d" % r.randrange(50000)), kv("session.id", hexid(r, 8)),
                kv("client.address", "10.%d.%d.%d" % (r.randrange(4), r.randrange(256), r.randrange(256))),
                kv("code.function", "handle_" + r.choice(WORDS)), kv("code.filepath", "app/%s.go" % r.choice(WORDS)),
                kv("thread.name", "worker-%d" % r.randrange(16)), kv("region", r.choice(["eu-west-1", "us-east-1"])),
            ],
            "flags": 1, "traceId": hexid(r, 16), "spanId": hexid(r, 8),
        })
    return {"resourceLogs": [{"resource": resource(r, svc, i), "scopeLogs": [{"scope": scope(), "logRecords": recs}]}]}


def trace_request(r, i, t0):
    svc = SERVICES[i % len(SERVICES)]
    spans = []
    trace_id = hexid(r, 16)
    parent = ""
    for j in range(PER_REQUEST):
        if j % 8 == 0:
            trace_id, parent = hexid(r, 16), ""
        span_id = hexid(r, 8)
        start = t0 + j * 1_000_000 + r.randrange(1_000_000)
        dur = r.randrange(50_000, 200_000_000)
        route = r.choice(ROUTES)
        span = {
            "traceId": trace_id, "spanId": span_id, "name": "%s %s" % (r.choice(METHODS), route),
            "kind": r.choice([1, 2, 3]), "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + dur),
            "attributes": [kv("http.route", route), kv("http.response.status_code", r.choice([200, 200, 404, 500])),
                           kv("net.peer.name", "%s.svc" % r.choice(SERVICES)), kv("db.system", "postgresql"),
                           kv("retry", r.random() < 0.1), kv("payload.ratio", round(r.random(), 3))],
            "events": [{"timeUnixNano": str(start + dur // 2), "name": r.choice(["cache.miss", "retry", "exception"]),
                        "attributes": [kv("attempt", r.randrange(3)), kv("detail", sentence(r, 40))]}
                       for _ in range(r.randrange(3))],
            "links": [{"traceId": hexid(r, 16), "spanId": hexid(r, 8), "attributes": [kv("link.kind", "follows")]}]
            if r.random() < 0.2 else [],
            "status": {"code": 2, "message": "internal error"} if r.random() < 0.05 else {"code": 1},
        }
        if parent:
            span["parentSpanId"] = parent
        parent = span_id
        spans.append(span)
    return {"resourceSpans": [{"resource": resource(r, svc, i), "scopeSpans": [{"scope": scope(), "spans": spans}]}]}


def metric_request(r, i, t0):
    """16 metrics of 32 data points: gauge, sum, histogram, exponential histogram, summary."""
    svc = SERVICES[i % len(SERVICES)]
    metrics = []
    start = str(t0 - 60 * 10**9)
    for m in range(16):
        kind = m % 5
        pts = []
        for p in range(PER_REQUEST // 16):
            ts = str(t0 + p * 1_000_000)
            attrs = [kv("http.route", ROUTES[p % len(ROUTES)]), kv("http.request.method", METHODS[p % 6]),
                     kv("instance", "i-%d" % (p % 4))]
            if kind == 0:
                pts.append({"timeUnixNano": ts, "asDouble": round(r.random() * 100, 3), "attributes": attrs})
            elif kind == 1:
                pts.append({"startTimeUnixNano": start, "timeUnixNano": ts, "asInt": str(r.randrange(10**6)),
                            "attributes": attrs})
            elif kind == 2:
                counts = [r.randrange(100) for _ in range(8)]
                pts.append({"startTimeUnixNano": start, "timeUnixNano": ts, "count": str(sum(counts)),
                            "sum": round(r.random() * 1000, 3), "min": 0.5, "max": 900.0,
                            "bucketCounts": [str(c) for c in counts],
                            "explicitBounds": [1, 5, 10, 25, 50, 100, 250], "attributes": attrs})
            elif kind == 3:
                pos = [r.randrange(50) for _ in range(10)]
                neg = [r.randrange(5) for _ in range(3)]
                pts.append({"startTimeUnixNano": start, "timeUnixNano": ts, "count": str(sum(pos) + sum(neg) + 2),
                            "sum": round(r.random() * 1000, 3), "scale": 3, "zeroCount": "2",
                            "positive": {"offset": r.randrange(-5, 5), "bucketCounts": [str(c) for c in pos]},
                            "negative": {"offset": 0, "bucketCounts": [str(c) for c in neg]},
                            "min": -3.0, "max": 512.0, "attributes": attrs})
            else:
                pts.append({"startTimeUnixNano": start, "timeUnixNano": ts, "count": str(r.randrange(1, 1000)),
                            "sum": round(r.random() * 1000, 3),
                            "quantileValues": [{"quantile": q, "value": round(r.random() * 100 * (q + 0.1), 3)}
                                               for q in (0.0, 0.5, 0.9, 0.99, 1.0)], "attributes": attrs})
        name = "app.%s.%s" % (["load", "requests", "duration", "size", "latency"][kind], WORDS[m])
        body = {"name": name, "description": "benchmark metric", "unit": ["1", "{request}", "ms", "By", "ms"][kind]}
        if kind == 0:
            body["gauge"] = {"dataPoints": pts}
        elif kind == 1:
            body["sum"] = {"dataPoints": pts, "aggregationTemporality": 2, "isMonotonic": True}
        elif kind == 2:
            body["histogram"] = {"dataPoints": pts, "aggregationTemporality": 2}
        elif kind == 3:
            body["exponentialHistogram"] = {"dataPoints": pts, "aggregationTemporality": 2}
        else:
            body["summary"] = {"dataPoints": pts}
        metrics.append(body)
    return {"resourceMetrics": [{"resource": resource(r, svc, i), "scopeMetrics": [{"scope": scope(), "metrics": metrics}]}]}


SIGNALS = {
    "logs": (log_request, ExportLogsServiceRequest),
    "traces": (trace_request, ExportTraceServiceRequest),
    "metrics": (metric_request, ExportMetricsServiceRequest),
}


def hex_ids_to_base64(d):
    """In place: the proto3 JSON mapping (json_format) reads bytes as base64, OTLP/JSON writes ids in hex."""
    def fix(o):
        for k in ("traceId", "spanId", "parentSpanId"):
            if k in o:
                o[k] = base64.b64encode(bytes.fromhex(o[k])).decode()
    for rl in d.get("resourceLogs", ()):
        for sl in rl["scopeLogs"]:
            for rec in sl["logRecords"]:
                fix(rec)
    for rs in d.get("resourceSpans", ()):
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                fix(sp)
                for ln in sp["links"]:
                    fix(ln)


def frame(body):
    return struct.pack("<I", len(body)) + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--signals", default="logs,traces,metrics")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    meta = {"gen_version": GEN_VERSION, "seed": a.seed, "scale": a.scale, "per_request": PER_REQUEST, "signals": {}}
    for sig in a.signals.split(","):
        build, cls = SIGNALS[sig]
        r = random.Random("%d/%s" % (a.seed, sig))
        n = max(1, int(REQUESTS[sig] * a.scale))
        files = {k: open(os.path.join(a.outdir, "%s.%s" % (sig, k)), "wb") for k in
                 ("pb.bodies", "pb.gz.bodies", "json.bodies", "json.gz.bodies", "pb", "jsonl")}
        sizes = {k: 0 for k in ("pb", "pb.gz", "json", "json.gz")}
        for i in range(n):
            d = build(r, i, BASE_NS + i * PER_REQUEST * 1_000_000)
            js = json.dumps(d, separators=(",", ":")).encode()
            hex_ids_to_base64(d)
            msg = cls()
            json_format.ParseDict(d, msg)
            pb = msg.SerializeToString()
            # mtime=0: the gzip bytes are the same on every run
            pbz, jsz = gzip.compress(pb, 6, mtime=0), gzip.compress(js, 6, mtime=0)
            for k, b in (("pb", pb), ("pb.gz", pbz), ("json", js), ("json.gz", jsz)):
                files[k + ".bodies"].write(frame(b))
                sizes[k] += len(b)
            files["pb"].write(pb)
            files["jsonl"].write(js + b"\n")
            if (i + 1) % 50 == 0:
                print("gen_workload: %s %d/%d requests" % (sig, i + 1, n), file=sys.stderr)
        for f in files.values():
            f.close()
        for src in ("pb", "jsonl"):
            p = os.path.join(a.outdir, "%s.%s" % (sig, src))
            with open(p, "rb") as f, open(p + ".gz", "wb") as g:
                g.write(gzip.compress(f.read(), 6, mtime=0))
        meta["signals"][sig] = {"requests": n, "records": n * PER_REQUEST, "body_bytes": sizes}
    # one 1,000-record logs request: the Lambda invocation of bench/lambda_bench.py
    r = random.Random("%d/lambda" % a.seed)
    d = log_request(r, 0, BASE_NS, 1000)
    hex_ids_to_base64(d)
    msg = ExportLogsServiceRequest()
    json_format.ParseDict(d, msg)
    with open(os.path.join(a.outdir, "logs.lambda.pb"), "wb") as f:
        f.write(msg.SerializeToString())
    meta["lambda"] = {"file": "logs.lambda.pb", "records": 1000}
    with open(os.path.join(a.outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
