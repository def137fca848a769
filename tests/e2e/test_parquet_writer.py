"""The Parquet writer end to end: build/tools/pq_fixture writes edge-case files from formulas,
and every value is read back with pyarrow and with DuckDB and compared with the same formulas
computed here. Schemas (names, types, nesting, field ids), statistics, page indexes, encodings
and codecs are checked from pyarrow's and DuckDB's metadata and from the footer itself, decoded
by a small Thrift compact reader below (so no check trusts the writer's own serializer)."""

import datetime
import json
import math
import os
import struct
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("OTLP2PARQUET_TOOLS") or REPO / "build" / "tools")
FIXTURE = TOOLS / "pq_fixture"

M64 = (1 << 64) - 1
BASE_US = 1_700_000_000_000_000
SEVERITIES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
BIG1 = ("xyz" * ((2 << 20) // 3 + 1))[: 2 << 20]
BIG2 = "a" + "\u00e9" * 200
STATS_MAX_BOUND = 256  # src/parquet/stats.h PQ_STATS_MAX_BOUND
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

LOGS_CASES = ["one_row", "million_rows", "big_string", "all_null", "maps", "high_cardinality",
              "codec_zstd", "codec_snappy", "codec_none"]
ALL_CASES = LOGS_CASES + ["nested"]
LOGS_ROWS = {"one_row": 1, "million_rows": 1_000_000, "big_string": 4, "all_null": 1000, "maps": 10,
             "high_cardinality": 400_000, "codec_zstd": 5000, "codec_snappy": 5000, "codec_none": 5000}
NESTED_ROWS = 3000

# ---------------------------------------------------------------------------------------------
# A Thrift compact protocol reader: structs become {field id: value}, lists Python lists.


class Compact:
    def __init__(self, data, pos=0):
        self.d = data
        self.p = pos

    def byte(self):
        b = self.d[self.p]
        self.p += 1
        return b

    def varint(self):
        v = shift = 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def value(self, t):
        if t in (1, 2):  # a bool list element: one byte, 1 true
            return self.byte() == 1
        if t == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if t in (4, 5, 6):
            return self.zigzag()
        if t == 7:
            v = struct.unpack_from("<d", self.d, self.p)[0]
            self.p += 8
            return v
        if t == 8:
            n = self.varint()
            v = bytes(self.d[self.p:self.p + n])
            self.p += n
            return v
        if t in (9, 10):
            h = self.byte()
            n, et = h >> 4, h & 15
            if n == 15:
                n = self.varint()
            return [self.value(et) for _ in range(n)]
        if t == 12:
            return self.struct()
        raise ValueError(f"compact type {t} at {self.p}")

    def struct(self):
        out, last = {}, 0
        while True:
            b = self.byte()
            if b == 0:
                return out
            t, delta = b & 15, b >> 4
            fid = last + delta if delta else self.zigzag()
            last = fid
            out[fid] = (t == 1) if t in (1, 2) else self.value(t)


def read_footer(path):
    data = path.read_bytes()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    flen = struct.unpack("<I", data[-8:-4])[0]
    c = Compact(data, len(data) - 8 - flen)
    meta = c.struct()
    assert c.p == len(data) - 8, "footer length disagrees with the footer"
    return data, meta


def parse_at(data, off, length=None):
    c = Compact(data, off)
    v = c.struct()
    if length is not None:
        assert c.p - off == length, "serialized length mismatch"
    return v, c.p - off


# ---------------------------------------------------------------------------------------------
# The formulas of tests/tools/pq_fixture.c.


def trace_id(i):
    return "" if i % 13 == 5 else f"{(i * 0x9E3779B97F4A7C15) & M64:016x}{i ^ 0xDEADBEEF:016x}"


def span_id(i):
    return "" if i % 13 == 5 else f"{(i * 0xBF58476D1CE4E5B9) & M64:016x}"


def body(case, i):
    if case == "all_null":
        return None
    if case == "big_string":
        return ["small body", BIG1, None, BIG2][i % 4]
    if i % 10 == 3:
        return None
    return f"log message {i // 2 if case == 'high_cardinality' else i} \u00fc ok"


def log_attrs(case, i):
    if case == "maps":
        return [(f"key.{k:04d}", None if k % 7 == 3 else f"v{i}.{k}") for k in range(1000 if i % 2 else 0)]
    return [(f"attr.{k}", None if (i + k) % 5 == 0 else f"val-{i}-{k}") for k in range(i % 4)]


LOGS_COLUMNS = {
    "Timestamp": lambda c, i: BASE_US + i * 1000,
    "ObservedTimestamp": lambda c, i: BASE_US + i * 1000 + i % 7,
    "TraceId": lambda c, i: trace_id(i),
    "SpanId": lambda c, i: span_id(i),
    "TraceFlags": lambda c, i: i % 2,
    "SeverityText": lambda c, i: SEVERITIES[i % 6],
    "SeverityNumber": lambda c, i: (i % 6) * 4 + 1,
    "Body": body,
    "EventName": lambda c, i: "" if i % 5 else f"event.{i % 3}",
    "ServiceName": lambda c, i: f"service-{i % 4}",
    "ResourceAttributes": lambda c, i: [("service.name", f"service-{i % 4}"), ("host.name", f"host-{i % 16}")],
    "ResourceSchemaUrl": lambda c, i: "https://opentelemetry.io/schemas/1.21.0",
    "ScopeName": lambda c, i: f"scope.{i % 2}",
    "ScopeVersion": lambda c, i: f"1.0.{i % 3}",
    "ScopeAttributes": lambda c, i: [] if i % 2 else [("scope.attr", "x")],
    "ScopeSchemaUrl": lambda c, i: "",
    "LogAttributes": log_attrs,
}
LOGS_MAPS = {"ResourceAttributes", "ScopeAttributes", "LogAttributes"}
LOGS_TIMESTAMPS = {"Timestamp", "ObservedTimestamp"}


def nested_row(i):
    def item(k):
        x = i + k
        if x % 5 == 0:
            return None
        return {
            "Name": None if x % 4 == 0 else f"n{i}.{k}",
            "Count": None if x % 6 == 0 else i * 10 + k - 5000,
            "Score": None if x % 9 == 0 else math.nan if x % 11 == 0 else -0.0 if x % 7 == 0 else -(x % 7) * 0.25,
            "Flag": None if x % 3 == 1 else x % 2 == 0,
            "Attrs": None if x % 4 == 1 else [] if x % 4 == 2 else
            [(f"a{j}", None if j == 1 else f"v{i}.{k}.{j}") for j in range(x % 3 + 1)],
            "Stamp": None if x % 2 == 1 else BASE_US + i * 1000 + k,
        }

    w = [None, math.nan, -0.0, 0.0, i * 1.25, -i * 2.5,
         math.inf if i % 16 == 6 else 1e300, -math.inf if i % 16 == 7 else float(i)][i % 8]
    return {
        "Id": i * 2 - 1000,
        "Tags": None if i % 5 == 0 else [] if i % 4 == 0 else
        [None if (i + j) % 3 == 0 else f"t{i}.{j}" for j in range(i % 4)],
        "Items": None if i % 7 == 0 else [] if i % 7 == 1 else [item(k) for k in range(i % 3 + 1)],
        "Point": None if i % 6 == 0 else {"X": None if i % 4 == 0 else 0.0 if i % 4 == 1 else i * 0.5, "Y": i * 3},
        "Weight": w,
        "Flag": i % 3 == 0,
        "Nums": [i * 100 + j for j in range(i % 4)],
    }


# ---------------------------------------------------------------------------------------------
# Schemas: the Parquet elements (mirroring the C declarations) and what each leaf must look like.

# (name, physical type or None, repetition, children, converted type, field id, logical type)
def _leaf(name, ptype, rep, conv, fid, logical):
    return (name, ptype, rep, None, conv, fid, logical)


STR = ("BYTE_ARRAY", "UTF8", "StringType()")
TS = ("INT64", "TIMESTAMP_MICROS", "TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>))")
I32 = ("INT32", "INT_32", "IntType(bitWidth= , isSigned=1)")
I64 = ("INT64", "INT_64", "IntType(bitWidth=@, isSigned=1)")
F64 = ("DOUBLE", None, None)
BOOL = ("BOOLEAN", None, None)


def prim(name, kind, rep, fid):
    return (name, kind[0], rep, None, kind[1], fid, kind[2])


def group(name, rep, n, conv, fid, logical):
    return (name, None, rep, n, conv, fid, logical)


def str_map(name, fid, kid, vid, rep="REQUIRED"):
    return [group(name, rep, 1, "MAP", fid, "MapType()"), group("key_value", "REPEATED", 2, None, None, None),
            prim("key", STR, "REQUIRED", kid), prim("value", STR, "OPTIONAL", vid)]


LOGS_ELEMENTS = [
    group("schema", None, 17, None, None, None),
    prim("Timestamp", TS, "REQUIRED", 1), prim("ObservedTimestamp", TS, "REQUIRED", 2),
    prim("TraceId", STR, "REQUIRED", 3), prim("SpanId", STR, "REQUIRED", 4),
    prim("TraceFlags", I32, "REQUIRED", 5), prim("SeverityText", STR, "REQUIRED", 6),
    prim("SeverityNumber", I32, "REQUIRED", 7), prim("Body", STR, "OPTIONAL", 8),
    prim("EventName", STR, "REQUIRED", 9), prim("ServiceName", STR, "REQUIRED", 10),
    *str_map("ResourceAttributes", 11, 18, 19), prim("ResourceSchemaUrl", STR, "REQUIRED", 12),
    prim("ScopeName", STR, "REQUIRED", 13), prim("ScopeVersion", STR, "REQUIRED", 14),
    *str_map("ScopeAttributes", 15, 20, 21), prim("ScopeSchemaUrl", STR, "REQUIRED", 16),
    *str_map("LogAttributes", 17, 22, 23),
]

NESTED_ELEMENTS = [
    group("schema", None, 7, None, None, None),
    prim("Id", I64, "REQUIRED", 1),
    group("Tags", "OPTIONAL", 1, "LIST", 2, "ListType()"), group("list", "REPEATED", 1, None, None, None),
    prim("element", STR, "OPTIONAL", 8),
    group("Items", "OPTIONAL", 1, "LIST", 3, "ListType()"), group("list", "REPEATED", 1, None, None, None),
    group("element", "OPTIONAL", 6, None, 9, None),
    prim("Name", STR, "OPTIONAL", 10), prim("Count", I32, "OPTIONAL", 11), prim("Score", F64, "OPTIONAL", 12),
    prim("Flag", BOOL, "OPTIONAL", 13), *str_map("Attrs", 14, 16, 17, rep="OPTIONAL"),
    prim("Stamp", TS, "OPTIONAL", 15),
    group("Point", "OPTIONAL", 2, None, 4, None), prim("X", F64, "OPTIONAL", 18), prim("Y", I64, "REQUIRED", 19),
    prim("Weight", F64, "OPTIONAL", 5), prim("Flag", BOOL, "REQUIRED", 6),
    group("Nums", "REQUIRED", 1, "LIST", 7, "ListType()"), group("list", "REPEATED", 1, None, None, None),
    prim("element", I64, "REQUIRED", 20),
]

# Leaves: dotted path, steps to reach the leaf from a row (for shredding the expected rows),
# max definition level, max repetition level.
LOGS_LEAVES = []
for _name in LOGS_COLUMNS:
    if _name in LOGS_MAPS:
        LOGS_LEAVES.append((f"{_name}.key_value.key", [("f", _name), ("key",)], 1, 1))
        LOGS_LEAVES.append((f"{_name}.key_value.value", [("f", _name), ("value",)], 2, 1))
    else:
        LOGS_LEAVES.append((_name, [("f", _name)], 1 if _name == "Body" else 0, 0))

_ITEM = [("f", "Items"), ("list",)]
NESTED_LEAVES = [
    ("Id", [("f", "Id")], 0, 0),
    ("Tags.list.element", [("f", "Tags"), ("list",)], 3, 1),
    ("Items.list.element.Name", _ITEM + [("f", "Name")], 4, 1),
    ("Items.list.element.Count", _ITEM + [("f", "Count")], 4, 1),
    ("Items.list.element.Score", _ITEM + [("f", "Score")], 4, 1),
    ("Items.list.element.Flag", _ITEM + [("f", "Flag")], 4, 1),
    ("Items.list.element.Attrs.key_value.key", _ITEM + [("f", "Attrs"), ("key",)], 5, 2),
    ("Items.list.element.Attrs.key_value.value", _ITEM + [("f", "Attrs"), ("value",)], 6, 2),
    ("Items.list.element.Stamp", _ITEM + [("f", "Stamp")], 4, 1),
    ("Point.X", [("f", "Point"), ("f", "X")], 2, 0),
    ("Point.Y", [("f", "Point"), ("f", "Y")], 1, 0),
    ("Weight", [("f", "Weight")], 1, 0),
    ("Flag", [("f", "Flag")], 0, 0),
    ("Nums.list.element", [("f", "Nums"), ("list",)], 1, 1),
]


def leaf_entries(v, steps):
    """The level entries a row gives a leaf (Dremel shredding): the value, or None where the
    leaf or something above it is null or an empty list/map."""
    if not steps:
        return [v]
    if v is None:
        return [None]
    s = steps[0]
    if s[0] == "f":
        return leaf_entries(v[s[1]], steps[1:])
    if not v:
        return [None]
    out = []
    for e in v:
        if s[0] == "list":
            out += leaf_entries(e, steps[1:])
        else:
            out += leaf_entries(e[0] if s[0] == "key" else e[1], steps[1:])
    return out


# Arrow schemas as pyarrow reads them: (name, type, nullable, field id, children).
def arrow_desc(field):
    t = field.type
    fid = int(field.metadata[b"PARQUET:field_id"]) if field.metadata and b"PARQUET:field_id" in field.metadata else None
    if pa.types.is_map(t):
        kids = [arrow_desc(t.key_field), arrow_desc(t.item_field)]
        kind = "map"
    elif pa.types.is_list(t):
        kids = [arrow_desc(t.value_field)]
        kind = "list"
    elif pa.types.is_struct(t):
        kids = [arrow_desc(t.field(k)) for k in range(t.num_fields)]
        kind = "struct"
    else:
        kids = None
        if pa.types.is_timestamp(t):
            assert t.unit == "us" and t.tz in ("UTC", "+00:00"), t
            kind = "timestamp"
        else:
            kind = str(t)
    if kids is not None and kind != "struct":
        kids = [(None,) + k[1:] for k in kids]  # the element/key/value names depend on the reader
    return (field.name, kind, field.nullable, fid, kids)


def S(name, fid, null=False):
    return (name, "string", null, fid, None)


def smap(name, fid, kid, vid, null=False):
    return (name, "map", null, fid, [(None, "string", False, kid, None), (None, "string", True, vid, None)])


LOGS_ARROW = [
    ("Timestamp", "timestamp", False, 1, None), ("ObservedTimestamp", "timestamp", False, 2, None),
    S("TraceId", 3), S("SpanId", 4), ("TraceFlags", "int32", False, 5, None), S("SeverityText", 6),
    ("SeverityNumber", "int32", False, 7, None), S("Body", 8, True), S("EventName", 9), S("ServiceName", 10),
    smap("ResourceAttributes", 11, 18, 19), S("ResourceSchemaUrl", 12), S("ScopeName", 13), S("ScopeVersion", 14),
    smap("ScopeAttributes", 15, 20, 21), S("ScopeSchemaUrl", 16), smap("LogAttributes", 17, 22, 23),
]

NESTED_ARROW = [
    ("Id", "int64", False, 1, None),
    ("Tags", "list", True, 2, [(None, "string", True, 8, None)]),
    ("Items", "list", True, 3, [(None, "struct", True, 9, [
        S("Name", 10, True), ("Count", "int32", True, 11, None), ("Score", "double", True, 12, None),
        ("Flag", "bool", True, 13, None), smap("Attrs", 14, 16, 17, True), ("Stamp", "timestamp", True, 15, None)])]),
    ("Point", "struct", True, 4, [("X", "double", True, 18, None), ("Y", "int64", False, 19, None)]),
    ("Weight", "double", True, 5, None),
    ("Flag", "bool", False, 6, None),
    ("Nums", "list", False, 7, [(None, "int64", False, 20, None)]),
]

# ---------------------------------------------------------------------------------------------
# Helpers.


def run_fixture(case, out, *args):
    assert FIXTURE.exists(), f"{FIXTURE} missing: make build/tools/pq_fixture"
    r = subprocess.run([str(FIXTURE), case, str(out), *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def norm(v):
    """Comparable form: floats by repr (NaN equal to NaN, -0.0 apart from 0.0), datetimes as
    microseconds, maps as lists of pairs."""
    if isinstance(v, float):
        return ("f", repr(v))
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(norm(x) for x in v)
    if isinstance(v, datetime.datetime):
        assert v.utcoffset() == datetime.timedelta(0)
        return (v - EPOCH) // datetime.timedelta(microseconds=1)
    return v


def duck_column(path, col):
    return duckdb.sql(f"SELECT \"{col}\" FROM read_parquet('{path}')").to_arrow_table().column(0)


def map_parts(col):
    """(offsets, keys, values) of a map column; every map must be non-null."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    assert arr.null_count == 0
    offs = arr.offsets.to_pylist()
    if offs and offs[0] != 0:
        offs = [o - offs[0] for o in offs]
    start = arr.offsets[0].as_py() if len(arr) else 0
    keys = arr.keys.slice(start, offs[-1] if offs else 0).to_pylist()
    vals = arr.items.slice(start, offs[-1] if offs else 0).to_pylist()
    return offs, keys, vals


def expected_map_parts(rows):
    offs, keys, vals, at = [0], [], [], 0
    for kv in rows:
        if kv:
            k, v = zip(*kv)
            keys += k
            vals += v
            at += len(kv)
        offs.append(at)
    return offs, keys, vals


def utf8_trunc_min(b, limit):
    if len(b) <= limit:
        return b
    s = b[:limit + 4].decode("utf-8", errors="ignore")
    out = b""
    for ch in s:
        e = ch.encode()
        if len(out) + len(e) > limit:
            break
        out += e
    return out


def utf8_trunc_max(b, limit):
    if len(b) <= limit:
        return b
    chars = list(utf8_trunc_min(b, limit).decode())
    while chars:
        c = ord(chars.pop()) + 1
        if c == 0xD800:
            c = 0xE000
        if c <= 0x10FFFF:
            return "".join(chars).encode() + chr(c).encode()
    return b


def expected_bounds(values, ptype):
    vals = [v for v in values if v is not None]
    if ptype == "DOUBLE":
        vals = [v for v in vals if not math.isnan(v)]
    if not vals:
        return None
    if ptype == "BYTE_ARRAY":
        # UTF-8 keeps code point order, so comparing str is comparing unsigned bytes
        return min(vals).encode(), max(vals).encode()
    if ptype == "DOUBLE":
        # the total order of the writer's exact bounds: -0.0 below +0.0
        key = lambda x: (x, math.copysign(1, x))  # noqa: E731
        return min(vals, key=key), max(vals, key=key)
    return min(vals), max(vals)


def count_nans(ents, ptype):
    return sum(1 for e in ents if e is not None and math.isnan(e)) if ptype == "DOUBLE" else 0


def stat_bytes(v, ptype):
    """PLAIN bytes of a bound, as the fixture prints the writer's exact statistics."""
    if ptype == "BYTE_ARRAY":
        return v
    if ptype == "DOUBLE":
        return struct.pack("<d", v)
    if ptype == "INT64":
        return struct.pack("<q", v)
    if ptype == "INT32":
        return struct.pack("<i", v)
    return bytes([1 if v else 0])


def same_double(a, b):
    return a == b and math.copysign(1, a) == math.copysign(1, b)


PTYPE_NAMES = {0: "BOOLEAN", 1: "INT32", 2: "INT64", 5: "DOUBLE", 6: "BYTE_ARRAY"}


def decode_plain(b, ptype):
    if ptype == "BYTE_ARRAY":
        return b
    if ptype == "DOUBLE":
        return struct.unpack("<d", b)[0]
    if ptype == "INT64":
        return struct.unpack("<q", b)[0]
    if ptype == "INT32":
        return struct.unpack("<i", b)[0]
    return bool(b[0])


# ---------------------------------------------------------------------------------------------
# One fixture per case, written once per test session.


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    cache = {}

    def get(case):
        if case not in cache:
            out = tmp_path_factory.mktemp(case) / f"{case}.parquet"
            cache[case] = (out, run_fixture(case, out))
        return cache[case]

    return get


def case_rows(case):
    return NESTED_ROWS if case == "nested" else LOGS_ROWS[case]


def expected_top(case, name, n):
    if case == "nested":
        return [nested_row(i)[name] for i in range(n)]
    f = LOGS_COLUMNS[name]
    return [f(case, i) for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Values: every value through pyarrow and DuckDB.


@pytest.mark.parametrize("case", ALL_CASES)
def test_values_pyarrow_and_duckdb(files, case):
    path, _ = files(case)
    n = case_rows(case)
    table = pq.read_table(path)
    assert table.num_rows == n
    names = list(LOGS_COLUMNS) if case != "nested" else [f[0] for f in NESTED_ARROW]
    assert table.column_names == names
    duck_n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    assert duck_n == n
    for name in names:
        want = expected_top(case, name, n)
        if case == "nested":
            exp = [norm(v) for v in want]
        elif name in LOGS_MAPS:
            exp = expected_map_parts(want)
        else:
            exp = want
        del want
        for reader in ("pyarrow", "duckdb"):
            col = table.column(name) if reader == "pyarrow" else duck_column(path, name)
            if case == "nested":
                got = [norm(v) for v in col.to_pylist()]
            elif name in LOGS_MAPS:
                got = map_parts(col)
            elif name in LOGS_TIMESTAMPS:
                got = pc.cast(col, pa.int64()).to_pylist()
            else:
                got = col.to_pylist()
            if got != exp:
                where = next((k for k, (a, b) in enumerate(zip(got, exp)) if a != b), None)
                pytest.fail(f"{case}: {reader}: column {name} differs"
                            + (f" at {where}: {str(got[where])[:200]} != {str(exp[where])[:200]}" if where is not None else
                               f": {len(got)} vs {len(exp)} items"))


# ---------------------------------------------------------------------------------------------
# Schema: names, types, nesting, field ids, levels, annotations.


@pytest.mark.parametrize("case", ALL_CASES)
def test_schema(files, case):
    path, _ = files(case)
    pf = pq.ParquetFile(path)
    arrow = [arrow_desc(f) for f in pf.schema_arrow]
    assert arrow == (NESTED_ARROW if case == "nested" else LOGS_ARROW)

    leaves = NESTED_LEAVES if case == "nested" else LOGS_LEAVES
    ps = pf.schema
    assert len(ps) == len(leaves)
    for j, (dotted, _, max_def, max_rep) in enumerate(leaves):
        cs = ps.column(j)
        assert cs.path == dotted
        assert (cs.max_definition_level, cs.max_repetition_level) == (max_def, max_rep), dotted

    elements = NESTED_ELEMENTS if case == "nested" else LOGS_ELEMENTS
    rows = duckdb.sql(f"SELECT name, type, repetition_type, num_children, converted_type, field_id, logical_type "
                      f"FROM parquet_schema('{path}')").fetchall()
    assert len(rows) == len(elements)
    for got, want in zip(rows, elements):
        assert tuple(got) == want, f"{got} != {want}"

    # and in the footer itself: field_id exactly where the schema has one, logicalType fields
    _, meta = read_footer(path)
    for el, want in zip(meta[2], elements):
        assert el[4].decode() == want[0]
        assert el.get(9) == want[5]
        if want[0] == "schema":
            assert 3 not in el and el[5] == want[3]
    assert meta[1] == 1
    assert len(meta[7]) == len(leaves) and all(o == {1: {}} for o in meta[7])  # TypeDefinedOrder


# ---------------------------------------------------------------------------------------------
# Statistics (pyarrow, DuckDB, the footer's exactness flags and the writer's own report),
# page indexes, encodings and codecs, for every column chunk of every case.


def leaf_values_per_row_group(case, steps, rg_rows, n, cache):
    """Per row group: the level entries of the leaf. cache keeps the last top-level column
    (a map's key and value leaves come one after the other)."""
    top = steps[0][1]
    if case == "nested":
        if "rows" not in cache:
            cache["rows"] = [nested_row(i) for i in range(n)]
        rows = cache["rows"]
    elif cache.get("top") != top:
        cache.clear()
        cache["top"] = top
        cache["vals"] = expected_top(case, top, n)
    out, start = [], 0
    for count in rg_rows:
        if case == "nested":
            ents = []
            for r in rows[start:start + count]:
                ents += leaf_entries(r, steps)
        elif len(steps) == 1:
            ents = cache["vals"][start:start + count]
        else:
            side = 0 if steps[1][0] == "key" else 1
            ents = []
            for m in cache["vals"][start:start + count]:
                if m:
                    ents += [p[side] for p in m]
                else:
                    ents.append(None)
        out.append(ents)
        start += count
    return out


@pytest.mark.parametrize("case", ALL_CASES)
def test_statistics_and_indexes(files, case):
    path, report = files(case)
    n = case_rows(case)
    pf = pq.ParquetFile(path)
    md = pf.metadata
    data, meta = read_footer(path)
    leaves = NESTED_LEAVES if case == "nested" else LOGS_LEAVES
    rg_rows = [md.row_group(g).num_rows for g in range(md.num_row_groups)]
    assert sum(rg_rows) == n == report["num_rows"] == md.num_rows
    assert report["file_bytes"] == len(data)
    assert report["nrow_groups"] == md.num_row_groups
    assert md.metadata[b"otlp2parquet.fixture"] == case.encode()
    assert md.created_by.startswith("otlp2parquet version ") and "(build " in md.created_by

    duck = {}
    for r in duckdb.sql(f"SELECT row_group_id, column_id, stats_min_value, stats_max_value, stats_null_count, "
                        f"min_is_exact, max_is_exact, compression, encodings, num_values "
                        f"FROM parquet_metadata('{path}')").fetchall():
        duck[(r[0], r[1])] = r[2:]

    cache = {}
    for j, (dotted, steps, max_def, max_rep) in enumerate(leaves):
        top = steps[0][1]
        per_rg = leaf_values_per_row_group(case, steps, rg_rows, n, cache)
        col_report = report["columns"][j]
        assert col_report["path"] == dotted
        total_compressed = total_values = total_nulls = total_nans = 0
        all_entries = []
        for g, ents in enumerate(per_rg):
            cc = md.row_group(g).column(j)
            fcc = meta[4][g][1][j]
            ptype = PTYPE_NAMES[fcc[3][1]]
            assert cc.path_in_schema == dotted
            assert cc.has_column_index and cc.has_offset_index, f"{case} {dotted} rg {g}: no page index"
            nulls = ents.count(None)
            nans = count_nans(ents, ptype)
            assert cc.num_values == len(ents), f"{dotted} rg {g}"
            st = cc.statistics
            assert st.has_null_count and st.null_count == nulls, f"{dotted} rg {g}: nulls {st.null_count} != {nulls}"
            bounds = expected_bounds(ents, ptype)
            fst = fcc[3][12]
            dk = duck[(g, j)]
            assert dk[2] == nulls and dk[7] == len(ents)
            if bounds is None:
                assert not st.has_min_max and 5 not in fst and 6 not in fst
            else:
                lo, hi = bounds
                assert st.has_min_max
                if ptype == "BYTE_ARRAY":
                    want_lo, want_hi = utf8_trunc_min(lo, STATS_MAX_BOUND), utf8_trunc_max(hi, STATS_MAX_BOUND)
                    assert st.min_raw == want_lo and st.max_raw == want_hi, f"{dotted} rg {g}"
                    assert fst[7] == (want_hi == hi) and fst[8] == (want_lo == lo)
                    assert (dk[3], dk[4]) == (want_lo == lo, want_hi == hi)
                    if want_lo == lo:
                        assert dk[0] == lo.decode()
                    if want_hi == hi:
                        assert dk[1] == hi.decode()
                elif ptype == "DOUBLE":
                    # zero bounds are written -0.0 (min) and +0.0 (max); NaN never
                    wl = -0.0 if lo == 0 else lo
                    wh = 0.0 if hi == 0 else hi
                    assert same_double(st.min_raw, wl) and same_double(st.max_raw, wh), f"{dotted} rg {g}: {st.min_raw} {st.max_raw}"
                    assert fst[9] == nans  # nan_count
                    assert fst[7] is True and fst[8] is True
                else:
                    assert st.min_raw == lo and st.max_raw == hi, f"{dotted} rg {g}: {st.min_raw} {st.max_raw} != {lo} {hi}"
                    assert fst[7] is True and fst[8] is True
                    if ptype in ("INT32", "INT64") and top not in LOGS_TIMESTAMPS and dotted != "Items.list.element.Stamp":
                        assert (dk[0], dk[1]) == (str(lo), str(hi))
            check_page_index(data, fcc, ptype, ents, rg_rows[g], max_rep, case, dotted)
            expected_codec = {"codec_snappy": "SNAPPY", "codec_none": "UNCOMPRESSED"}.get(case, "ZSTD")
            assert cc.compression == expected_codec and dk[5] == expected_codec
            total_compressed += cc.total_compressed_size
            total_values += len(ents)
            total_nulls += nulls
            total_nans += nans
            all_entries += ents
        # the writer's own report: what an Iceberg manifest gets, exact and whole
        assert col_report["compressed_bytes"] == total_compressed
        assert col_report["value_count"] == total_values
        assert col_report["null_count"] == total_nulls
        assert col_report["nan_count"] == total_nans
        assert col_report["field_id"] == leaf_field_id(case, j)
        bounds = expected_bounds(all_entries, ptype)
        assert col_report["has_bounds"] == (bounds is not None)
        if bounds is not None:
            for side, v in (("min", bounds[0]), ("max", bounds[1])):
                b = stat_bytes(v, ptype)
                assert col_report[f"{side}_len"] == len(b)
                if len(b) <= 4096:
                    assert bytes.fromhex(col_report[f"{side}_hex"]) == b, f"{dotted} {side}"
                else:
                    assert bytes.fromhex(col_report[f"{side}_head"]) == b[:64]
                    assert bytes.fromhex(col_report[f"{side}_tail"]) == b[-64:]
    # row group offsets: the first page of each row group
    for g in range(md.num_row_groups):
        c0 = md.row_group(g).column(0)
        first = c0.dictionary_page_offset if c0.has_dictionary_page else c0.data_page_offset
        assert report["row_group_offsets"][g] == first == meta[4][g][5]
        assert meta[4][g][7] == g  # ordinal
        assert meta[4][g][6] == sum(md.row_group(g).column(j).total_compressed_size for j in range(len(leaves)))


def leaf_field_id(case, j):
    elements = NESTED_ELEMENTS if case == "nested" else LOGS_ELEMENTS
    return [e[5] for e in elements if e[1] is not None][j]


def check_page_index(data, fcc, ptype, ents, rg_num_rows, max_rep, case, dotted):
    """Walks the chunk's pages and checks them against its OffsetIndex and ColumnIndex."""
    md = fcc[3]
    start = md.get(11, md[9])
    end = start + md[7]
    pos, pages, dict_seen, encodings = start, [], False, []
    while pos < end:
        hdr, hl = parse_at(data, pos)
        if hdr[1] == 2:
            assert not pages and not dict_seen, "dictionary page not first"
            assert pos == md[11]
            dict_seen = True
        else:
            assert hdr[1] == 0, "only v1 data pages"
            if not pages:
                assert pos == md[9]
            pages.append((pos, hl + hdr[3], hdr[5][1], hdr[5][2]))
            encodings.append(hdr[5][2])
        pos += hl + hdr[3]
    assert pos == end
    assert dict_seen == (11 in md)
    assert sum(p[2] for p in pages) == len(ents)
    # a dictionary chunk may end PLAIN (fallback), never go back
    assert all(not (a == 0 and b == 8) for a, b in zip(encodings, encodings[1:])), encodings
    assert set(encodings) <= {0, 8} and (8 not in encodings or dict_seen)

    oi, _ = parse_at(data, fcc[4], fcc[5])
    locs = oi[1]
    assert [(l[1], l[2]) for l in locs] == [(p[0], p[1]) for p in pages]
    firsts = [l[3] for l in locs]
    assert firsts[0] == 0 and all(a < b for a, b in zip(firsts, firsts[1:])) and firsts[-1] < rg_num_rows
    if max_rep == 0:
        # without repetition each entry is a row: page sizes give the row starts exactly
        rows_per_page = [p[2] for p in pages]
    else:
        # decode each page's repetition levels: it must begin a row (level 0), and its rows
        # (level-0 entries) must be what the offset index says
        codec = {0: None, 1: "snappy", 6: "zstd"}[md[4]]
        rows_per_page = []
        for pos, size, nvals, _ in pages:
            hdr, hl = parse_at(data, pos)
            body = data[pos + hl:pos + hl + hdr[3]]
            if codec:
                body = pa.decompress(body, decompressed_size=hdr[2], codec=codec).to_pybytes()
            rlen = struct.unpack_from("<I", body, 0)[0]
            first, zeros = level_rows(body[4:4 + rlen], nvals, max_rep.bit_length())
            assert first == 0, f"{case} {dotted}: a page starts inside a row"
            rows_per_page.append(zeros)
    acc = 0
    for rows, f in zip(rows_per_page, firsts):
        assert f == acc, f"{case} {dotted}: first_row_index {f}, the pages before hold {acc} rows"
        acc += rows
    assert acc == rg_num_rows

    ci, _ = parse_at(data, fcc[6], fcc[7])
    assert len(ci[1]) == len(ci[2]) == len(ci[3]) == len(ci[5]) == len(pages)
    assert sum(ci[5]) == ents.count(None)
    assert ci[4] in (0, 1, 2)
    chunk_st = md[12]
    for k, null_page in enumerate(ci[1]):
        if null_page:
            assert ci[2][k] == b"" and ci[3][k] == b""
            continue
        lo, hi = decode_plain(ci[2][k], ptype), decode_plain(ci[3][k], ptype)
        assert lo <= hi
        if 6 in chunk_st:
            assert decode_plain(chunk_st[6], ptype) <= lo and hi <= decode_plain(chunk_st[5], ptype) or ptype == "BYTE_ARRAY"
    if ptype == "DOUBLE":
        assert sum(ci[8]) == count_nans(ents, ptype)


def level_rows(buf, n, bw):
    """First value and number of zeros among the first n values of an RLE/bit-packed hybrid
    run sequence (zeros of the repetition levels are row starts)."""
    c = Compact(buf)
    first, zeros, got, vbytes, mask = None, 0, 0, (bw + 7) // 8, (1 << bw) - 1
    while got < n:
        h = c.varint()
        if h & 1:
            groups = h >> 1
            raw = buf[c.p:c.p + groups * bw]
            c.p += groups * bw
            take = min(groups * 8, n - got)
            for g in range((take + 7) // 8):
                word = int.from_bytes(raw[g * bw:(g + 1) * bw], "little")
                for k in range(min(8, take - g * 8)):
                    v = (word >> (k * bw)) & mask
                    if first is None:
                        first = v
                    zeros += v == 0
            got += take
        else:
            cnt = min(h >> 1, n - got)
            v = int.from_bytes(buf[c.p:c.p + vbytes], "little")
            c.p += vbytes
            if first is None:
                first = v
            if v == 0:
                zeros += cnt
            got += cnt
    return first, zeros


# ---------------------------------------------------------------------------------------------
# Case-specific shapes.


def test_million_rows_has_several_row_groups(files):
    path, report = files("million_rows")
    md = pq.ParquetFile(path).metadata
    assert md.num_rows == 1_000_000
    assert md.num_row_groups >= 4
    assert len(report["row_group_offsets"]) == md.num_row_groups
    assert report["row_group_offsets"] == sorted(report["row_group_offsets"])
    # bounded by the 16 MiB the fixture asks for
    assert all(md.row_group(g).total_byte_size <= 17 << 20 for g in range(md.num_row_groups))


def chunk_page_encodings(data, fcc):
    md = fcc[3]
    pos, end, out = md.get(11, md[9]), md.get(11, md[9]) + md[7], []
    while pos < end:
        hdr, hl = parse_at(data, pos)
        out.append("DICT" if hdr[1] == 2 else {0: "PLAIN", 8: "RLE_DICTIONARY"}[hdr[5][2]])
        pos += hl + hdr[3]
    return out


def test_high_cardinality_falls_back_to_plain(files):
    path, _ = files("high_cardinality")
    data, meta = read_footer(path)
    md = pq.ParquetFile(path).metadata
    assert md.num_row_groups == 1
    j_body, j_trace = list(LOGS_COLUMNS).index("Body"), list(LOGS_COLUMNS).index("TraceId")
    body = md.row_group(0).column(j_body)
    # 200k distinct bodies: the dictionary served the first pages, then passed 1 MiB
    assert set(body.encodings) == {"PLAIN", "RLE", "RLE_DICTIONARY"} and body.has_dictionary_page
    seq = chunk_page_encodings(data, meta[4][0][1][j_body])
    assert seq[0] == "DICT" and "RLE_DICTIONARY" in seq and seq[-1] == "PLAIN", seq
    first_plain = seq.index("PLAIN")
    assert all(e == "RLE_DICTIONARY" for e in seq[1:first_plain]) and all(e == "PLAIN" for e in seq[first_plain:])
    enc_stats = {(s[1], s[2]): s[3] for s in meta[4][0][1][j_body][3][13]}
    assert enc_stats[(2, 0)] == 1 and enc_stats[(0, 8)] == first_plain - 1 and enc_stats[(0, 0)] == len(seq) - first_plain
    dict_hdr, _ = parse_at(data, meta[4][0][1][j_body][3][11])
    assert dict_hdr[3] and dict_hdr[2] <= (1 << 20)  # the page body stays within dict_max_bytes
    # every TraceId distinct: no dictionary at all, PLAIN from the first page
    trace = md.row_group(0).column(j_trace)
    assert not trace.has_dictionary_page and "RLE_DICTIONARY" not in trace.encodings
    assert set(chunk_page_encodings(data, meta[4][0][1][j_trace])) == {"PLAIN"}


def test_codecs(files):
    sizes = {}
    for case, name in (("codec_zstd", "ZSTD"), ("codec_snappy", "SNAPPY"), ("codec_none", "UNCOMPRESSED")):
        path, _ = files(case)
        md = pq.ParquetFile(path).metadata
        assert all(md.row_group(0).column(j).compression == name for j in range(md.num_columns))
        sizes[name] = path.stat().st_size
    assert sizes["ZSTD"] < sizes["SNAPPY"] < sizes["UNCOMPRESSED"]


def test_big_string_bounds_are_truncated_and_flagged(files):
    path, report = files("big_string")
    data, meta = read_footer(path)
    j = list(LOGS_COLUMNS).index("Body")
    st = meta[4][0][1][j][3][12]
    assert st[7] is False and st[8] is False  # neither bound exact
    assert len(st[5]) <= STATS_MAX_BOUND + 4 and len(st[6]) <= STATS_MAX_BOUND
    assert st[6] == utf8_trunc_min(BIG2.encode(), STATS_MAX_BOUND) and BIG2.encode().startswith(st[6])
    assert st[5] > BIG1.encode() and st[5] == utf8_trunc_max(BIG1.encode(), STATS_MAX_BOUND)
    col = report["columns"][j]
    assert col["min_len"] == len(BIG2.encode()) and col["max_len"] == 2 << 20
    # and the whole 2 MiB value reads back, through both readers
    assert pq.read_table(path, columns=["Body"]).column(0)[1].as_py() == BIG1
    assert duckdb.sql(f"SELECT length(\"Body\") FROM read_parquet('{path}')").fetchall()[1][0] == 2 << 20


def test_all_null_column(files):
    path, report = files("all_null")
    md = pq.ParquetFile(path).metadata
    j = list(LOGS_COLUMNS).index("Body")
    st = md.row_group(0).column(j).statistics
    assert st.null_count == 1000 and not st.has_min_max
    assert report["columns"][j]["has_bounds"] is False and report["columns"][j]["null_count"] == 1000
    data, meta = read_footer(path)
    ci, _ = parse_at(data, meta[4][0][1][j][6])
    assert all(ci[1]) and sum(ci[5]) == 1000


def test_maps_sizes(files):
    path, report = files("maps")
    key = report["columns"][[leaf[0] for leaf in LOGS_LEAVES].index("LogAttributes.key_value.key")]
    # 5 maps of 1000 entries, 5 empty maps (one entry each, without a value)
    assert key["value_count"] == 5 * 1000 + 5 and key["null_count"] == 5
    got = pq.read_table(path, columns=["LogAttributes"]).column(0).to_pylist()
    assert [len(m) for m in got] == [0, 1000] * 5


def test_parquet_metadata_readable(files):
    """DuckDB's metadata functions and pyarrow's metadata walk every file without complaint."""
    for case in ALL_CASES:
        path, _ = files(case)
        n = duckdb.sql(f"SELECT count(*) FROM parquet_metadata('{path}')").fetchone()[0]
        md = pq.ParquetFile(path).metadata
        assert n == md.num_row_groups * md.num_columns
        for g in range(md.num_row_groups):
            rg = md.row_group(g).to_dict()
            assert rg["num_rows"] > 0


@pytest.mark.parametrize("case,where,arrow_filter,count", [
    # row groups and pages are skipped by their bounds: the answers must not change
    ("million_rows", "\"Timestamp\" >= to_timestamp(1700000500) AND \"Timestamp\" < to_timestamp(1700000501)",
     None, 1000),
    ("million_rows", f"\"TraceId\" = '{trace_id(123456)}'", [("TraceId", "=", trace_id(123456))], 1),
    ("million_rows", "\"SeverityNumber\" = 21", [("SeverityNumber", "=", 21)], 1_000_000 // 6 + (1_000_000 % 6 > 5)),
    ("nested", "\"Weight\" = 0", [("Weight", "=", 0.0)], sum(1 for i in range(NESTED_ROWS) if i % 8 in (2, 3))),
    # DuckDB orders NaN above every number (pyarrow does not): NaN rows must not be pruned away
    # by bounds that leave NaN out
    ("nested", "\"Weight\" > 1e299", [("Weight", ">", 1e299)],
     (sum(1 for i in range(NESTED_ROWS) if i % 8 in (1, 6)), sum(1 for i in range(NESTED_ROWS) if i % 8 == 6))),
    ("nested", "\"Weight\" > 'inf'::DOUBLE", None, sum(1 for i in range(NESTED_ROWS) if i % 8 == 1)),
    ("nested", "\"Weight\" < -1e308", [("Weight", "<", -1e308)], sum(1 for i in range(NESTED_ROWS) if i % 16 == 7)),
    ("nested", "\"Id\" BETWEEN 0 AND 9", [("Id", ">=", 0), ("Id", "<=", 9)], 5),
    # truncated string bounds: a prefix below, an incremented prefix above
    ("big_string", "\"Body\" > 'xyz'", [("Body", ">", "xyz")], 1),
    ("big_string", "\"Body\" < 'b'", [("Body", "<", "b")], 1),
    ("big_string", f"\"Body\" = '{BIG1}'", [("Body", "=", BIG1)], 1),
    ("big_string", f"\"Body\" >= '{BIG2}'", [("Body", ">=", BIG2)], 3),
    ("high_cardinality", "\"Body\" = 'log message 199999 \u00fc ok'", [("Body", "=", "log message 199999 \u00fc ok")], 2),
])
def test_filters_trust_statistics(files, case, where, arrow_filter, count):
    path, _ = files(case)
    duck_count, arrow_count = count if isinstance(count, tuple) else (count, count)
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}') WHERE {where}").fetchone()[0] == duck_count
    if arrow_filter is not None:
        assert pq.read_table(path, filters=arrow_filter, columns=[arrow_filter[0][0]]).num_rows == arrow_count
