"""OTLP/JSON -> protobuf transcoding (src/otlp/json.c) against an independent oracle.

Requests of all three signals are generated at random from opentelemetry-proto's own message
descriptors (every field of every message, oneofs, nested AnyValues, edge values), written as
OTLP/JSON by google.protobuf.json_format with the ids turned into hex as the OTLP spec asks
(json_format writes every bytes field as base64), then respelled in the ways the spec and
protobuf's JSON mapping allow: snake_case keys, 64-bit integers as numbers, 32-bit ones as
strings, enums as numbers, upper-case hex, URL-safe unpadded base64, numeric strings for
doubles, unknown fields, explicit nulls, defaults spelled out, pretty printing, ASCII escapes
(surrogate pairs). build/tools/json2pb transcodes each; its protobuf must be byte for byte what
the Python library serializes for the original message (fields in number order, minimal
lengths, defaults omitted, packed repeated scalars) and parse back to an equal message.
Invalid inputs must fail (exit 1) with a message naming the JSON path. The C descriptor tables
themselves are compared with the Python descriptors field by field."""

import base64
import copy
import json
import os
import random
import subprocess

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor as FD
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from conftest import TOOLS, assert_no_sanitizer_report

JSON2PB = os.path.join(TOOLS, "json2pb")
SIGNALS = [("logs", ExportLogsServiceRequest), ("traces", ExportTraceServiceRequest), ("metrics", ExportMetricsServiceRequest)]
ID_FIELDS = {"trace_id": 16, "span_id": 8, "parent_span_id": 8}
INT64_TYPES = {FD.TYPE_INT64, FD.TYPE_UINT64, FD.TYPE_FIXED64, FD.TYPE_SFIXED64, FD.TYPE_SINT64}
INT32_TYPES = {FD.TYPE_INT32, FD.TYPE_UINT32, FD.TYPE_FIXED32, FD.TYPE_SFIXED32, FD.TYPE_SINT32}


@pytest.fixture(scope="module", autouse=True)
def tool():
    if not os.access(JSON2PB, os.X_OK):
        pytest.fail(f"{JSON2PB} is missing: make build/tools/json2pb")


def run(signal, data, tmp_path, ndjson=False):
    path = tmp_path / "in.json"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    args = [JSON2PB] + (["--ndjson"] if ndjson else []) + [signal, str(path)]
    p = subprocess.run(args, capture_output=True, timeout=120)
    err = p.stderr.decode("utf-8", "replace")
    assert_no_sanitizer_report(err)
    assert p.returncode in (0, 1), f"json2pb exited with {p.returncode}: {err}"
    return p.returncode, p.stdout, err


# ---------------------------------------------------------------- random requests


def rand_str(rng):
    if rng.random() < 0.15:
        return ""
    alphabet = ["a", "b", "Z", "0", " ", "é", "€", "😀", "𝄞", "\n", "\t", "\x00", "\x1f", '"', "\\", "/", "\u2028", "\ufeff", "日本", "\x7f"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))


DOUBLES = [0.0, -0.0, 1.5, -2.25, 0.1, 1e300, -1e-300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
           float("inf"), float("-inf"), float("nan"), 123456789.0, 1e16, 1e-5]


def rand_scalar(rng, f):
    t = f.type
    if t == FD.TYPE_STRING:
        return rand_str(rng)
    if t == FD.TYPE_BOOL:
        return rng.random() < 0.5
    if t == FD.TYPE_BYTES:
        if f.name in ID_FIELDS:
            return rng.randbytes(ID_FIELDS[f.name])
        return rng.randbytes(rng.choice([0, 1, 2, 3, 4, 16, 40]))
    if t == FD.TYPE_DOUBLE:
        return rng.choice(DOUBLES) if rng.random() < 0.6 else rng.uniform(-1e9, 1e9)
    if t == FD.TYPE_ENUM:
        values = [v.number for v in f.enum_type.values]
        return rng.choice(values) if rng.random() < 0.9 else rng.choice([77, -3, 2**31 - 1, -(2**31)])
    ranges = {
        FD.TYPE_INT64: (-(2**63), 2**63 - 1), FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
        FD.TYPE_UINT64: (0, 2**64 - 1), FD.TYPE_FIXED64: (0, 2**64 - 1),
        FD.TYPE_INT32: (-(2**31), 2**31 - 1), FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
        FD.TYPE_UINT32: (0, 2**32 - 1), FD.TYPE_FIXED32: (0, 2**32 - 1),
    }
    lo, hi = ranges[t]
    r = rng.random()
    if r < 0.2:
        return rng.choice([lo, hi, 0, 1, -1 if lo < 0 else 2])
    if r < 0.5:
        return rng.randint(lo, hi)
    if t == FD.TYPE_FIXED64 and rng.random() < 0.5:
        return 1_700_000_000_000_000_000 + rng.randint(0, 10**15)  # a timestamp
    return rng.randint(max(lo, -1000), min(hi, 1000))


# the path from a request down to its records: always there, so that requests have content
SPINE = {"resource_logs", "resource_spans", "resource_metrics", "scope_logs", "scope_spans", "scope_metrics",
         "log_records", "spans", "metrics", "data_points"}


def fill(rng, msg, depth):
    """Sets a random subset of msg's fields (at most one member per oneof)."""
    d = msg.DESCRIPTOR
    oneof_pick = {}
    for o in d.oneofs:
        if o.name.startswith("_"):
            continue  # proto3 optional: a field of its own
        oneof_pick[o.name] = rng.choice(list(o.fields)) if rng.random() < 0.9 else None
    for f in d.fields:
        o = f.containing_oneof
        if o is not None and not o.name.startswith("_"):
            if oneof_pick[o.name] is not f:
                continue
        elif f.name not in SPINE and rng.random() < 0.3:
            continue
        nested = f.message_type is not None
        if nested and depth > (4 if d.name in ("AnyValue", "ArrayValue", "KeyValueList", "KeyValue") else 9):
            continue
        if f.is_repeated:
            n = rng.choice([1, 2, 3] if f.name in SPINE else [0, 1, 1, 2, 3])
            if nested:
                for _ in range(n):
                    fill(rng, getattr(msg, f.name).add(), depth + 1)
            else:
                getattr(msg, f.name).extend(rand_scalar(rng, f) for _ in range(n))
        elif nested:
            sub = getattr(msg, f.name)
            sub.SetInParent()
            fill(rng, sub, depth + 1)
        else:
            setattr(msg, f.name, rand_scalar(rng, f))


def rand_request(rng, cls):
    req = cls()
    fill(rng, req, 0)
    if not req.ListFields():  # keep most requests non-trivial
        fill(rng, req, 0)
    return req


# ---------------------------------------------------------------- OTLP/JSON spellings


class Spelling:
    def __init__(self, keys="camel", int64="str", int32="num", enums="name", hexcase="lower", b64="std",
                 dbl="num", unknown=0.0, nulls=False):
        self.keys, self.int64, self.int32, self.enums = keys, int64, int32, enums
        self.hexcase, self.b64, self.dbl, self.unknown, self.nulls = hexcase, b64, dbl, unknown, nulls


def pick(rng, opt, a, b):
    """opt is a, b or "mixed" (either, per value)."""
    return opt if opt != "mixed" else rng.choice([a, b])


def junk(rng, depth=0):
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice([None, True, False, 0, -1.5e300, "x\u00e9", "", 12345678901234567890123])
    if r < 0.6:
        return [junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rand_str(rng) or "k": junk(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def respell(rng, d, desc, sp):
    """The OTLP/JSON of MessageToDict output d (message descriptor desc), spelled as sp says."""
    out = {}
    by_json = {f.json_name: f for f in desc.fields}
    by_name = {f.name: f for f in desc.fields}
    items = list(d.items())
    for key, value in items:
        f = by_json.get(key) or by_name[key]
        k = f.json_name if pick(rng, sp.keys, "camel", "snake") == "camel" else f.name
        if f.is_repeated:
            out[k] = [convert(rng, f, v, sp) for v in value]
        else:
            out[k] = convert(rng, f, value, sp)
        if sp.unknown and rng.random() < sp.unknown:
            out[f"unknownField{rng.randint(0, 99)}"] = junk(rng)
    if sp.nulls:
        for f in desc.fields:
            if f.json_name not in d and f.name not in d and not f.is_repeated and rng.random() < 0.5:
                out[f.json_name] = None
    return out


def convert(rng, f, v, sp):
    if f.message_type is not None:
        return respell(rng, v, f.message_type, sp)
    t = f.type
    if t == FD.TYPE_BYTES:
        raw = base64.b64decode(v)
        if f.name in ID_FIELDS:
            h = raw.hex()
            case = pick(rng, sp.hexcase, "lower", "upper")
            return h.upper() if case == "upper" else h
        if pick(rng, sp.b64, "std", "url") == "url":
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return v
    if t in INT64_TYPES:
        return int(v) if pick(rng, sp.int64, "str", "num") == "num" else str(v)
    if t in INT32_TYPES:
        return str(v) if pick(rng, sp.int32, "num", "str") == "str" else v
    if t == FD.TYPE_ENUM:
        number = v if isinstance(v, int) else f.enum_type.values_by_name[v].number
        if pick(rng, sp.enums, "name", "num") == "name" and number in f.enum_type.values_by_number:
            return f.enum_type.values_by_number[number].name
        return number
    if t == FD.TYPE_DOUBLE and isinstance(v, float) and pick(rng, sp.dbl, "num", "str") == "str":
        return repr(v)
    return v


def to_json(msg, rng, sp, defaults=False, **dump):
    d = json_format.MessageToDict(msg, always_print_fields_with_no_presence=defaults)
    return json.dumps(respell(rng, d, msg.DESCRIPTOR, sp), **dump)


SPELLINGS = {
    "canonical": (Spelling(), {}),
    "snake": (Spelling(keys="snake"), {}),
    "numbers": (Spelling(int64="num", int32="str", enums="num"), {}),
    "upper_hex_url_b64": (Spelling(hexcase="upper", b64="url", dbl="str"), {"ensure_ascii": True}),
    "unknown_and_nulls": (Spelling(unknown=0.3, nulls=True), {"indent": 2}),
    "mixed": (Spelling(keys="mixed", int64="mixed", int32="mixed", enums="mixed", hexcase="mixed", b64="mixed",
                       dbl="mixed", unknown=0.1, nulls=True), {"ensure_ascii": False, "separators": (",", ":")}),
}


def check_roundtrip(signal, cls, req, text, tmp_path, what):
    rc, out, err = run(signal, text, tmp_path)
    assert rc == 0, f"{what}: json2pb failed: {err}\ninput: {text[:2000]}"
    want = req.SerializeToString(deterministic=True)
    parsed = cls()
    parsed.ParseFromString(out)
    assert parsed.SerializeToString(deterministic=True) == want, f"{what}: different message\ninput: {text[:2000]}"
    # canonical too: what Python writes, byte for byte
    assert out == want, f"{what}: same message, different bytes\ninput: {text[:2000]}"


@pytest.mark.parametrize("signal,cls", SIGNALS, ids=[s for s, _ in SIGNALS])
@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_random_requests_roundtrip(signal, cls, spelling, tmp_path):
    sp, dump = SPELLINGS[spelling]
    rng = random.Random(f"{signal}/{spelling}")
    for i in range(40):
        req = rand_request(rng, cls)
        text = to_json(req, rng, sp, defaults=(spelling == "unknown_and_nulls" and i % 2 == 0), **dump)
        check_roundtrip(signal, cls, req, text, tmp_path, f"{signal} #{i} ({spelling})")


@pytest.mark.parametrize("signal,cls", SIGNALS, ids=[s for s, _ in SIGNALS])
def test_ndjson_merges_requests(signal, cls, tmp_path):
    rng = random.Random(f"ndjson/{signal}")
    reqs = [rand_request(rng, cls) for _ in range(25)]
    lines = [to_json(r, rng, SPELLINGS["mixed"][0]) for r in reqs]
    seps = ["\n", "\r\n", "\n\n", "\n  \r\n"]
    text = "\n" + "".join(line + rng.choice(seps) for line in lines[:-1]) + lines[-1]
    rc, out, err = run(signal, text, tmp_path, ndjson=True)
    assert rc == 0, err
    merged = cls()
    for r in reqs:
        merged.MergeFrom(r)  # top-level fields are repeated: concatenation
    parsed = cls()
    parsed.ParseFromString(out)
    assert parsed.SerializeToString(deterministic=True) == merged.SerializeToString(deterministic=True)
    # an error names its line
    bad = lines[0] + "\n" + lines[1] + "\n{]\n" + lines[2]
    rc, _, err = run(signal, bad, tmp_path, ndjson=True)
    assert rc == 1 and "line 3: line 1, column 2 (byte 1)" in err, err


def test_descriptors_match_opentelemetry_proto(tmp_path):
    p = subprocess.run([JSON2PB, "--descriptors"], capture_output=True, text=True, check=True)
    ours = {m["message"]: m for m in map(json.loads, p.stdout.splitlines())}
    kinds = {FD.TYPE_STRING: "string", FD.TYPE_BYTES: "bytes", FD.TYPE_BOOL: "bool", FD.TYPE_INT32: "int32",
             FD.TYPE_UINT32: "uint32", FD.TYPE_SINT32: "sint32", FD.TYPE_FIXED32: "fixed32", FD.TYPE_INT64: "int64",
             FD.TYPE_UINT64: "uint64", FD.TYPE_FIXED64: "fixed64", FD.TYPE_SFIXED64: "sfixed64",
             FD.TYPE_DOUBLE: "double", FD.TYPE_ENUM: "enum", FD.TYPE_MESSAGE: "message"}

    def short(d):
        return d.full_name[len(d.file.package) + 1:]

    seen, todo = set(), [cls.DESCRIPTOR for _, cls in SIGNALS]
    while todo:
        d = todo.pop()
        if d.full_name in seen:
            continue
        seen.add(d.full_name)
        name = short(d)
        assert name in ours, f"no descriptor for {name}"
        m = ours[name]
        real_oneofs = [o.name for o in d.oneofs if not o.name.startswith("_")]
        assert m["oneof"] == (real_oneofs[0] if real_oneofs else None), name
        assert len(real_oneofs) <= 1, name
        assert [f["number"] for f in m["fields"]] == [f.number for f in d.fields], f"{name}: fields or their order"
        for f, c in zip(d.fields, m["fields"]):
            where = f"{name}.{f.name}"
            assert (c["json"], c["proto"]) == (f.json_name, f.name), where
            kind = kinds[f.type]
            if f.type == FD.TYPE_BYTES and f.name in ID_FIELDS:
                kind = "trace_id" if ID_FIELDS[f.name] == 16 else "span_id"
            assert c["kind"] == kind, where
            assert c["repeated"] == f.is_repeated, where
            assert c["presence"] == (f.has_presence and f.message_type is None), where
            o = f.containing_oneof
            assert c["oneof"] == (o is not None and not o.name.startswith("_")), where
            if f.message_type is not None:
                assert c["type"] == short(f.message_type), where
                todo.append(f.message_type)
            if f.enum_type is not None:
                assert c["enum"] == short(f.enum_type), where
                assert c["values"] == [v.name for v in sorted(f.enum_type.values, key=lambda v: v.number)], where
                assert [v.number for v in f.enum_type.values] == list(range(len(f.enum_type.values))), where
    assert seen and len(ours) == len(seen), set(ours) - {n.split(".", 4)[-1] for n in seen}


# ---------------------------------------------------------------- invalid input

H16 = "000102030405060708090a0b0c0d0e0f"
H8 = "a0a1a2a3a4a5a6a7"


def logs_doc():
    return {"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                              "scopeLogs": [{"scope": {"name": "s"}, "logRecords": [
                                  {"timeUnixNano": "1", "body": {"stringValue": "a"}},
                                  {"timeUnixNano": "2", "traceId": H16, "spanId": H8,
                                   "attributes": [{"key": "b", "value": {"bytesValue": "AQID"}}]}]}]}]}


def traces_doc():
    return {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": H16, "spanId": H8, "name": "x"},
                                                         {"traceId": H16, "spanId": H8, "kind": 2,
                                                          "links": [{"traceId": H16, "spanId": H8}],
                                                          "events": [{"name": "e", "timeUnixNano": "5"}]}]}]}]}


def metrics_doc():
    return {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": "g", "gauge": {"dataPoints": [{"asDouble": 1.5, "exemplars": [{"traceId": H16, "spanId": H8, "asInt": "1"}]}]}},
        {"name": "h", "histogram": {"dataPoints": [{"count": "3", "bucketCounts": ["1", "2"], "explicitBounds": [1.0]}],
                                    "aggregationTemporality": 1}}]}]}]}


def at(doc, path, value):
    """Sets doc[path] = value, path being a list of keys and indexes."""
    d = copy.deepcopy(doc)
    node = d
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return d


SPAN1 = ["resourceSpans", 0, "scopeSpans", 0, "spans", 1]
REC1 = ["resourceLogs", 0, "scopeLogs", 0, "logRecords", 1]
INVALID = [
    # (signal, document or text, substrings the message must contain)
    ("traces", at(traces_doc(), SPAN1 + ["traceId"], "zz" + H16[2:]),
     ["resourceSpans[0].scopeSpans[0].spans[1].traceId: not hex"]),
    ("traces", at(traces_doc(), SPAN1 + ["traceId"], H16[:30]),
     ["resourceSpans[0].scopeSpans[0].spans[1].traceId: 30 hex digits, want 32 (16 bytes)"]),
    ("traces", at(traces_doc(), SPAN1 + ["links", 0, "spanId"], H8 + "00"),
     ["resourceSpans[0].scopeSpans[0].spans[1].links[0].spanId: 18 hex digits, want 16"]),
    ("traces", at(traces_doc(), SPAN1 + ["traceId"], base64.b64encode(bytes(16)).decode()),
     ["resourceSpans[0].scopeSpans[0].spans[1].traceId: not hex"]),
    ("logs", at(logs_doc(), REC1 + ["spanId"], H8[:14]), ["resourceLogs[0].scopeLogs[0].logRecords[1].spanId: 14 hex digits"]),
    ("metrics", at(metrics_doc(), ["resourceMetrics", 0, "scopeMetrics", 0, "metrics", 0, "gauge", "dataPoints", 0, "exemplars", 0, "traceId"], "x"),
     ["resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].exemplars[0].traceId: not hex"]),
    ("logs", at(logs_doc(), REC1 + ["timeUnixNano"], True),
     ["resourceLogs[0].scopeLogs[0].logRecords[1].timeUnixNano: expected an integer, got true"]),
    ("logs", at(logs_doc(), REC1 + ["timeUnixNano"], 1.5), ["logRecords[1].timeUnixNano: expected an integer, got 1.5"]),
    ("logs", at(logs_doc(), REC1 + ["timeUnixNano"], "18446744073709551616"), ["logRecords[1].timeUnixNano: ", "out of range for fixed64"]),
    ("logs", at(logs_doc(), REC1 + ["severityNumber"], "SEVERITY_NUMBER_LOUD"), ["logRecords[1].severityNumber: unknown SeverityNumber name"]),
    ("logs", at(logs_doc(), REC1 + ["attributes"], {}), ["resourceLogs[0].scopeLogs[0].logRecords[1].attributes: expected an array, got an object"]),
    ("logs", at(logs_doc(), REC1 + ["attributes", 0, "key"], 5), ["logRecords[1].attributes[0].key: expected a string, got 5"]),
    ("logs", at(logs_doc(), REC1 + ["attributes", 0, "value"], "b"), ["logRecords[1].attributes[0].value: expected an object"]),
    ("logs", at(logs_doc(), REC1 + ["attributes", 0, "value", "bytesValue"], "AQ*D"),
     ["resourceLogs[0].scopeLogs[0].logRecords[1].attributes[0].value.bytesValue: not base64"]),
    ("logs", at(logs_doc(), REC1 + ["attributes", 0, "value", "boolValue"], True),
     ["logRecords[1].attributes[0].value.boolValue: bytesValue is set already"]),
    ("traces", at(traces_doc(), SPAN1 + ["kind"], "SERVER"), ["spans[1].kind: unknown Span.SpanKind name \"SERVER\""]),
    ("traces", at(traces_doc(), SPAN1 + ["events", 0, "name"], ["e"]), ["spans[1].events[0].name: expected a string, got an array"]),
    ("metrics", at(metrics_doc(), ["resourceMetrics", 0, "scopeMetrics", 0, "metrics", 1, "histogram", "dataPoints", 0, "bucketCounts", 1], -2),
     ["metrics[1].histogram.dataPoints[0].bucketCounts[1]: -2 is out of range for fixed64"]),
    ("metrics", at(metrics_doc(), ["resourceMetrics", 0, "scopeMetrics", 0, "metrics", 1, "histogram", "aggregationTemporality"], 1.5),
     ["metrics[1].histogram.aggregationTemporality: expected an integer or an enum name, got 1.5"]),
    ("metrics", at(metrics_doc(), ["resourceMetrics", 0, "scopeMetrics", 0, "metrics", 0, "sum"], {}),
     ["resourceMetrics[0].scopeMetrics[0].metrics[0].sum: gauge is set already"]),
    ("metrics", at(metrics_doc(), ["resourceMetrics", 0, "scopeMetrics", 0, "metrics", 0, "gauge", "dataPoints", 0, "asDouble"], "one"),
     ["metrics[0].gauge.dataPoints[0].asDouble: expected a number"]),
    # a lone surrogate (json.dumps writes it as \ud800)
    ("logs", at(logs_doc(), REC1 + ["attributes", 0, "key"], "a\ud800"),
     ["resourceLogs[0].scopeLogs[0].logRecords[1].attributes[0].key: line 1, column", "lone surrogate \\uD800"]),
    ("logs", at(logs_doc(), REC1 + ["attributes", 0, "key"], "\udc00"), ["attributes[0].key: line 1", "lone surrogate \\uDC00"]),
    # invalid UTF-8 in the input
    ("logs", json.dumps(logs_doc()).replace('"a"', '"\\u0061\xff"').encode("latin-1"),
     ["resourceLogs[0].scopeLogs[0].logRecords[0].body.stringValue: line 1, column", "invalid UTF-8"]),
    # syntax
    ("logs", json.dumps(logs_doc()).replace('"timeUnixNano": "2",', '"timeUnixNano": "2"'),
     ["resourceLogs[0].scopeLogs[0].logRecords[1]: line 1, column", "expected ',' or '}'"]),
    ("traces", json.dumps(traces_doc()) + " {}", ["line 1, column", "unexpected '{' after the JSON value"]),
    ("metrics", "", ["no JSON value (empty input)"]),
    ("metrics", "[]", ["expected a JSON object (ExportMetricsServiceRequest), got an array"]),
]


@pytest.mark.parametrize("case", range(len(INVALID)))
def test_invalid_input_names_the_path(case, tmp_path):
    signal, doc, wants = INVALID[case]
    text = doc if isinstance(doc, (str, bytes)) else json.dumps(doc)
    rc, out, err = run(signal, text, tmp_path)
    assert rc == 1 and out == b"", f"accepted: {text}"
    for w in wants:
        assert w in err, f"{w!r} not in {err!r}"


def test_depth_bombs(tmp_path):
    # AnyValue arrays nested far past the limit, in a log body
    inner = {"intValue": "1"}
    for _ in range(300):
        inner = {"arrayValue": {"values": [inner]}}
    doc = at(logs_doc(), REC1 + ["body"], inner)
    rc, _, err = run("logs", json.dumps(doc), tmp_path)
    assert rc == 1
    assert "resourceLogs[0].scopeLogs[0].logRecords[1].body.arrayValue.values[0]" in err and "nesting deeper than 128 levels" in err, err
    # plain brackets in an unknown field: skipped, but with the same limit
    doc = at(traces_doc(), SPAN1 + ["futureField"], "@")
    text = json.dumps(doc).replace('"@"', "[" * 100000 + "]" * 100000)
    rc, _, err = run("traces", text, tmp_path)
    assert rc == 1 and "resourceSpans[0].scopeSpans[0].spans[1]: line 1, column" in err and "nesting deeper than 128" in err, err
    # the deepest nesting the reader takes still transcodes
    inner = {"intValue": "1"}
    for _ in range(40):
        inner = {"arrayValue": {"values": [inner]}}
    doc = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": inner}]}]}]}
    rc, out, err = run("logs", json.dumps(doc), tmp_path)
    assert rc == 0, err
    parsed = ExportLogsServiceRequest()
    parsed.ParseFromString(out)
    assert json_format.MessageToDict(parsed) == doc


def test_truncated_everywhere(tmp_path):
    """Every proper prefix of a request fails with a positioned message, and those cut inside
    a record name it; none crashes (the tool runs each in turn: a subset keeps it quick)."""
    text = json.dumps(logs_doc(), separators=(",", ":"))
    cut_points = sorted(set(range(1, len(text), 7)) | {len(text) - 1})
    rec1 = text.index('{"timeUnixNano":"2"')
    rec1_end = len(text) - len("}]}]}]}")  # its closing brace: the last record of the request
    for n in cut_points:
        rc, out, err = run("logs", text[:n], tmp_path)
        assert rc == 1, f"prefix of {n} bytes accepted"
        assert "line 1, column" in err, err
        if rec1 < n <= rec1_end:
            assert "resourceLogs[0].scopeLogs[0].logRecords[1]" in err, err
