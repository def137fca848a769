"""Writes the seed corpora of the traces and metrics fuzz targets (tests/fuzz/corpus/traces_pb,
tests/fuzz/corpus/metrics_pb) from the payload builders of the end-to-end tests, plus a few
hand-encoded requests the Python classes never write (unpacked repeated fields, a oneof set
twice, a merged Sum, concatenated requests). Deterministic: rerunning gives the same files.

    ~/.cache/otlp2parquet/venv/bin/python tests/fuzz/gen_corpus.py
"""

import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402

import signal_payloads as sp  # noqa: E402

MAX = 60000  # the fuzz smoke runs use -max_len=65536


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def tag(num, wt):
    return varint(num << 3 | wt)


def ld(num, payload):
    return tag(num, 2) + varint(len(payload)) + payload


def f64(num, u):
    return tag(num, 1) + u.to_bytes(8, "little")


def dbl(num, x):
    return tag(num, 1) + struct.pack("<d", x)


def vi(num, v):
    return tag(num, 0) + varint(v)


def nest(item):
    """request { 1: resource { 2: scope { 2: item } } }"""
    return ld(1, ld(2, ld(2, item)))


def write(dirname, name, data):
    assert len(data) <= MAX, (name, len(data))
    d = HERE / "corpus" / dirname
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def traces():
    write("traces_pb", "empty.pb", b"")
    write("traces_pb", "minimal.pb", nest(b""))
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.append(sp.kv("service.name", "svc"))
    rs.scope_spans.add().spans.extend(sp.special_spans())
    write("traces_pb", "special.pb", req.SerializeToString())
    small = sp.traces_request(n_random=48, seed=3).SerializeToString()
    write("traces_pb", "random.pb", small)
    write("traces_pb", "concatenated.pb", req.SerializeToString() + sp.traces_request(n_random=12, seed=5).SerializeToString())
    # a span with its status twice (merged), events and links interleaved, fields backwards
    span = (ld(15, ld(2, b"first") + vi(3, 1)) + ld(13, ld(1, bytes(16))) + ld(11, ld(2, b"e1")) +
            ld(13, ld(2, bytes(8))) + ld(11, f64(1, 5000)) + ld(15, ld(2, b"second")) + f64(8, 9000) + f64(7, 1000) +
            vi(6, 3) + ld(5, b"name") + ld(1, bytes(range(16))))
    write("traces_pb", "hand.pb", nest(span))


def metrics():
    write("metrics_pb", "empty.pb", b"")
    write("metrics_pb", "minimal.pb", nest(ld(1, b"g") + ld(5, ld(1, dbl(4, 1.0)))))
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.append(sp.kv("service.name", "svc"))
    rm.scope_metrics.add().metrics.extend(sp.special_metrics())
    write("metrics_pb", "special.pb", req.SerializeToString())
    write("metrics_pb", "random.pb", sp.metrics_request(n_random=60, seed=3).SerializeToString())
    write("metrics_pb", "concatenated.pb",
          req.SerializeToString() + sp.metrics_request(n_random=15, seed=5).SerializeToString())
    # one file per kind, from the special metrics
    for i, mt in enumerate(sp.special_metrics()):
        one = ExportMetricsServiceRequest()
        one.resource_metrics.add().scope_metrics.add().metrics.append(mt)
        write("metrics_pb", f"{i}_{mt.WhichOneof('data') or 'no_data'}.pb", one.SerializeToString())
    # unpacked repeated fields, a packed chunk after unpacked ones, merged Sum, oneof set twice
    hist_point = (f64(6, 1) + f64(6, 2) + ld(6, (3).to_bytes(8, "little")) + dbl(7, 0.5) + dbl(7, 1.5) +
                  f64(4, 6) + dbl(5, 9.0) + f64(3, 2000))
    exp_point = (ld(8, vi(2, 1) + vi(2, 2) + ld(2, varint(3) + varint(4)) + vi(1, 5)) + ld(8, vi(1, 3)) +
                 vi(6, 3) + ld(9, ld(2, varint(7))) + f64(7, 1) + dbl(14, 1e-9))
    sum_a = ld(1, dbl(4, 1.0)) + vi(2, 1) + vi(3, 1)
    sum_b = ld(1, f64(6, 2)) + vi(2, 2)
    metrics_bytes = (ld(2, ld(1, b"h") + ld(9, ld(1, hist_point) + vi(2, 1))) +
                     ld(2, ld(1, b"e") + ld(10, ld(1, exp_point))) +
                     ld(2, ld(1, b"s") + ld(7, sum_a) + ld(7, sum_b)) +
                     ld(2, ld(1, b"gs") + ld(5, ld(1, dbl(4, 1.0))) + ld(7, ld(1, dbl(4, 2.0)))) +
                     ld(2, ld(1, b"q") + ld(11, ld(1, ld(6, dbl(1, 0.5) + dbl(2, 7.0)) + f64(4, 3)))))
    write("metrics_pb", "hand.pb", ld(1, ld(2, metrics_bytes)))


if __name__ == "__main__":
    traces()
    metrics()
