"""Logs end to end: a request with every value kind through the HTTP server, read back by pyarrow
and DuckDB and compared field by field with what was sent; the OpenTelemetry SDK exporter; the
file layout; `convert`."""

import math
import os
import random
import re
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList

from conftest import run_bin
from otlp_values import anyvalue_text, attrs_map, comparable_map, comparable_text, service_name

BASE_NS = 1796076000 * 10**9  # 2026-11-30T22:00:00Z


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


BODIES = [
    "plain body",
    "",
    None,  # absent
    True,
    False,
    -42,
    2**63 - 1,
    0.1,
    1e300,
    -0.0,
    float("nan"),
    float("inf"),
    123.0,
    b"\x00\x01binary\xff",
    ["a", 1, 2.5, True, None, ["nested", {"k": "v"}]],
    {"user": {"id": 7, "tags": ["x", "y"], "ok": False}, "esc": 'q"uote\\back\nline\ttab\x01'},
    "unicode: żółć 日本語 🎉",
    [],
    {},
]

ATTR_VALUES = ["str", "", 0, -1, 3.14159, float("-inf"), True, b"\xde\xad", [1, "two"], {"a": {"b": [None]}}, "ünï"]


def build_request(n, rng):
    """n records over four resources and several scopes; returns the request."""
    req = ExportLogsServiceRequest()
    resources = [
        [kv("service.name", "checkout"), kv("host.name", "h1"), kv("pid", 1234), kv("ratio", 0.5), kv("flag", True)],
        [kv("host.name", "no-service")],
        [kv("service.name", "payments ✓ ü"), kv("service.name", "payments ✓ ü"), kv("k8s", {"ns": "prod"})],
        [kv("service.name", "../../etc"), kv("deployment.environment", "")],
    ]
    recs = []
    for ri, rattrs in enumerate(resources):
        rl = req.resource_logs.add()
        rl.resource.attributes.extend(rattrs)
        rl.schema_url = "https://opentelemetry.io/schemas/1.21.0" if ri % 2 == 0 else ""
        for si in range(2):
            sl = rl.scope_logs.add()
            if si == 0:
                sl.scope.name = f"scope-{ri}"
                sl.scope.version = "1.2.3"
                sl.scope.attributes.extend([kv("scope.attr", ri), kv("lib", "otel-py")])
                sl.schema_url = "https://example.com/scope"
            recs.append(sl)
    out = []
    for i in range(n):
        sl = recs[i % len(recs)]
        r = sl.log_records.add()
        mode = i % 50
        t = BASE_NS + i * 1_000_003  # spreads over ~3 hours
        if mode == 7:
            r.observed_time_unix_nano = t + 5  # no event time: Timestamp falls back to observed
        elif mode == 8:
            pass  # neither: both fall back to the receive time
        else:
            r.time_unix_nano = t
            r.observed_time_unix_nano = t + 999
        r.severity_number = i % 25
        r.severity_text = ["INFO", "", "WARN", "ERROR", "débug"][i % 5]
        b = BODIES[i % len(BODIES)]
        if b is not None:
            r.body.CopyFrom(av(b))
        if i % 3 != 0:
            r.trace_id = rng.randbytes(16)
            r.span_id = rng.randbytes(8)
        r.flags = i % 256 if i % 4 else 0x101
        r.event_name = f"event-{i:05d}"
        attrs = [kv("seq", i), kv("v", ATTR_VALUES[i % len(ATTR_VALUES)])]
        if i % 5 == 0:
            attrs += [kv("dup", "first"), kv("other", "x"), kv("dup", "last")]
        if i % 11 == 0:
            attrs = []  # no attributes: an empty map, not null
        if i == 17:
            attrs = [kv(f"k{j:04d}", j) for j in range(1000)]
        r.attributes.extend(attrs)
    return req


def expected_rows(req):
    rows = []
    for rl in req.resource_logs:
        res_attrs = attrs_map(rl.resource.attributes)
        svc = service_name(rl.resource)
        for sl in rl.scope_logs:
            for r in sl.log_records:
                ts = r.time_unix_nano or r.observed_time_unix_nano
                rows.append({
                    "Timestamp": ts // 1000 if ts else None,  # None: the receive time
                    "ObservedTimestamp": r.observed_time_unix_nano // 1000 if r.observed_time_unix_nano else None,
                    "TraceId": r.trace_id.hex(),
                    "SpanId": r.span_id.hex(),
                    "TraceFlags": r.flags,
                    "SeverityText": r.severity_text,
                    "SeverityNumber": r.severity_number,
                    "Body": anyvalue_text(r.body) if r.HasField("body") else None,
                    "EventName": r.event_name,
                    "ServiceName": svc,
                    "ResourceAttributes": res_attrs,
                    "ResourceSchemaUrl": rl.schema_url,
                    "ScopeName": sl.scope.name,
                    "ScopeVersion": sl.scope.version,
                    "ScopeAttributes": attrs_map(sl.scope.attributes),
                    "ScopeSchemaUrl": sl.schema_url,
                    "LogAttributes": attrs_map(r.attributes),
                })
    return rows


MAP = pa.map_(pa.field("key", pa.string(), nullable=False), pa.field("value", pa.string()))
TS = pa.timestamp("us", tz="UTC")
# name, arrow type, nullable, field id, (key id, value id) for maps
LOGS_SCHEMA = [
    ("Timestamp", TS, False, 1), ("ObservedTimestamp", TS, False, 2), ("TraceId", pa.string(), False, 3),
    ("SpanId", pa.string(), False, 4), ("TraceFlags", pa.int32(), False, 5), ("SeverityText", pa.string(), False, 6),
    ("SeverityNumber", pa.int32(), False, 7), ("Body", pa.string(), True, 8), ("EventName", pa.string(), False, 9),
    ("ServiceName", pa.string(), False, 10), ("ResourceAttributes", MAP, False, 11, (18, 19)),
    ("ResourceSchemaUrl", pa.string(), False, 12), ("ScopeName", pa.string(), False, 13),
    ("ScopeVersion", pa.string(), False, 14), ("ScopeAttributes", MAP, False, 15, (20, 21)),
    ("ScopeSchemaUrl", pa.string(), False, 16), ("LogAttributes", MAP, False, 17, (22, 23)),
]


def field_id(f):
    return int(f.metadata[b"PARQUET:field_id"])


def check_schema(schema):
    assert [f.name for f in schema] == [s[0] for s in LOGS_SCHEMA]
    for f, spec in zip(schema, LOGS_SCHEMA):
        name, typ, nullable, fid = spec[:4]
        assert f.type == typ, (name, f.type, typ)
        assert f.nullable == nullable, name
        assert field_id(f) == fid, name
        if len(spec) > 4:
            assert field_id(f.type.key_field) == spec[4][0], name
            assert field_id(f.type.item_field) == spec[4][1], name
            assert f.type.key_field.nullable is False


def normalize(row):
    out = dict(row)
    for m in ("ResourceAttributes", "ScopeAttributes", "LogAttributes"):
        out[m] = comparable_map(out[m])
    out["Body"] = comparable_text(out["Body"])
    return out


def read_logs_pyarrow(files):
    tables = []
    for f in files:
        t = pq.read_table(f)
        check_schema(t.schema)
        tables.append(t)
    t = pa.concat_tables(tables)
    cols = {}
    for name in t.column_names:
        c = t.column(name)
        if pa.types.is_timestamp(c.type):
            c = c.cast(pa.int64())
        cols[name] = c.to_pylist()
    return [dict(zip(cols, vals)) for vals in zip(*cols.values())]


def read_logs_duckdb(data_dir):
    con = duckdb.connect()
    q = f"""SELECT epoch_us("Timestamp") AS "Timestamp", epoch_us("ObservedTimestamp") AS "ObservedTimestamp",
        "TraceId", "SpanId", "TraceFlags", "SeverityText", "SeverityNumber", "Body", "EventName", "ServiceName",
        map_entries("ResourceAttributes") AS "ResourceAttributes", "ResourceSchemaUrl", "ScopeName", "ScopeVersion",
        map_entries("ScopeAttributes") AS "ScopeAttributes", "ScopeSchemaUrl", map_entries("LogAttributes") AS "LogAttributes"
        FROM read_parquet('{data_dir}/logs/**/*.parquet', hive_partitioning = false)"""
    cur = con.execute(q)
    names = [d[0] for d in cur.description]
    rows = []
    for vals in cur.fetchall():
        r = dict(zip(names, vals))
        for m in ("ResourceAttributes", "ScopeAttributes", "LogAttributes"):
            r[m] = [(e["key"], e["value"]) for e in r[m]]
        rows.append(r)
    return rows


def compare(actual, expected, t_before_us, t_after_us):
    assert len(actual) == len(expected)
    actual = sorted(actual, key=lambda r: r["EventName"])
    expected = sorted(expected, key=lambda r: r["EventName"])
    for a, e in zip(actual, expected):
        e = dict(e)
        if e["ObservedTimestamp"] is None:  # the receive time stands in
            assert t_before_us <= a["ObservedTimestamp"] <= t_after_us, a
            e["ObservedTimestamp"] = a["ObservedTimestamp"]
        if e["Timestamp"] is None:
            e["Timestamp"] = e["ObservedTimestamp"]
        assert normalize(a) == normalize(e), e["EventName"]


def test_every_value_kind_read_back_exactly(server):
    req = build_request(10_000, random.Random(42))
    expected = expected_rows(req)
    t0 = time.time_ns() // 1000
    r = server.post("/v1/logs", req.SerializeToString())
    t1 = time.time_ns() // 1000
    assert r.status == 200, r.body
    assert r.headers["Content-Type"].startswith("application/x-protobuf")
    resp = ExportLogsServiceResponse.FromString(r.body)
    assert not resp.HasField("partial_success")

    # a 200 means "in the buffers"; SIGTERM writes them
    assert server.stop() == 0
    files = server.parquet_files("logs")
    assert files
    compare(read_logs_pyarrow(files), expected, t0, t1)
    compare(read_logs_duckdb(server.data_dir), expected, t0, t1)


def test_one_file_per_service_and_hour_sorted_by_time(server):
    req = build_request(2_000, random.Random(7))
    assert server.post("/v1/logs", req.SerializeToString()).status == 200
    assert server.stop() == 0
    files = server.parquet_files("logs")
    seen = set()
    for f in files:
        rel = os.path.relpath(f, server.data_dir)
        m = re.fullmatch(r"logs/service=([^/]+)/year=(\d{4})/month=(\d\d)/day=(\d\d)/hour=(\d\d)/"
                         r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.parquet", rel)
        assert m, rel
        t = pq.read_table(f)
        services = set(t.column("ServiceName").to_pylist())
        assert len(services) == 1
        ts = t.column("Timestamp").cast(pa.int64()).to_pylist()
        assert ts == sorted(ts)
        hours = {x // 3_600_000_000 for x in ts}
        assert len(hours) == 1
        h = time.gmtime(hours.pop() * 3600)
        assert (int(m[2]), int(m[3]), int(m[4]), int(m[5])) == (h.tm_year, h.tm_mon, h.tm_mday, h.tm_hour)
        key = (m[1], m[2], m[3], m[4], m[5])
        assert key not in seen, "two files for one service and hour from one request"
        seen.add(key)
    assert len({k[0] for k in seen}) == 4


def test_service_name_cannot_leave_the_data_folder(server, tmp_path):
    req = ExportLogsServiceRequest()
    for name in ["../../etc", "..", ".", "a/b", "%2e%2e", "x\x01y", "/abs"]:
        rl = req.resource_logs.add()
        rl.resource.attributes.append(kv("service.name", name))
        rl.scope_logs.add().log_records.add(time_unix_nano=BASE_NS, event_name=name)
    assert server.post("/v1/logs", req.SerializeToString()).status == 200
    assert server.stop() == 0
    data = os.path.realpath(server.data_dir)
    files = server.parquet_files("logs")
    assert len(files) == 7
    folders = set()
    for f in files:
        real = os.path.realpath(f)
        assert real.startswith(data + os.sep)
        parts = os.path.relpath(real, data).split(os.sep)
        assert parts[0] == "logs" and parts[1].startswith("service=") and len(parts) == 7, parts
        folders.add(parts[1])
    assert len(folders) == 7  # distinct names stay distinct
    # nothing was created outside the data folder
    assert sorted(os.listdir(data)) == ["logs"]
    assert not os.path.exists(os.path.join(os.path.dirname(data), "etc"))
    names = duckdb.sql(f"SELECT ServiceName FROM read_parquet('{data}/logs/**/*.parquet', hive_partitioning=false) ORDER BY 1").fetchall()
    assert sorted(n for (n,) in names) == sorted(["../../etc", "..", ".", "a/b", "%2e%2e", "x\x01y", "/abs"])


def test_sdk_exporter_records_found_by_duckdb(server):
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    provider = LoggerProvider(resource=Resource.create({"service.name": "sdk-test", "team": "core"}))
    exporter = OTLPLogExporter(endpoint=server.url + "/v1/logs", timeout=30)
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter, max_export_batch_size=64))
    logger = provider.get_logger("e2e.sdk", "0.9")
    n = 300
    for i in range(n):
        logger.emit(LogRecord(
            timestamp=BASE_NS + i * 1000,
            severity_number=SeverityNumber.WARN,
            severity_text="WARN",
            body=f"message {i}",
            attributes={"i": i, "even": i % 2 == 0, "name": f"n{i}"},
        ))
    provider.force_flush()
    provider.shutdown()
    assert server.stop() == 0
    con = duckdb.connect()
    rows = con.execute(f"""SELECT Body, epoch_us(Timestamp), SeverityText, SeverityNumber, ServiceName, ScopeName,
        ScopeVersion, LogAttributes['i'], LogAttributes['even'], LogAttributes['name'], ResourceAttributes['team']
        FROM read_parquet('{server.data_dir}/logs/**/*.parquet') ORDER BY CAST(LogAttributes['i'] AS INT)""").fetchall()
    assert len(rows) == n
    for i, row in enumerate(rows):
        assert row == (f"message {i}", BASE_NS // 1000 + i, "WARN", 13, "sdk-test", "e2e.sdk", "0.9", str(i),
                       "true" if i % 2 == 0 else "false", f"n{i}", "core")


def test_convert_writes_the_same_rows(tmp_path):
    req = build_request(1_000, random.Random(3))
    src = tmp_path / "logs.pb"
    src.write_bytes(req.SerializeToString())
    out = tmp_path / "out"
    p = run_bin(["convert", "-o", str(out), str(src)])
    assert p.returncode == 0, p.stderr
    files = sorted(str(f) for f in out.glob("logs/service=*/year=*/month=*/day=*/hour=*/*.parquet"))
    assert files
    expected = expected_rows(req)
    actual = read_logs_pyarrow(files)
    # convert has no receive time to compare with beyond "now-ish"
    now = time.time_ns() // 1000
    compare(actual, expected, now - 600_000_000, now)


def test_convert_reports_a_bad_file_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"\x0a\xff\xff\xff\xff\x0f")
    out = tmp_path / "out"
    p = run_bin(["convert", "--signal", "logs", "-o", str(out), str(bad)])
    assert p.returncode != 0
    assert "bad.pb" in p.stderr
    assert "logs request" in p.stderr  # the decoder's message, not a detection error
    assert not list(out.glob("**/*.parquet"))


def test_help_and_version():
    p = run_bin(["--help"])
    assert p.returncode == 0 and "convert" in p.stdout and "OTLP2PARQUET_LISTEN_ADDR" in p.stdout
    p = run_bin(["--version"])
    assert p.returncode == 0 and re.match(r"otlp2parquet version \d+\.\d+\.\d+ \(build \w+\)", p.stdout)


def test_config_errors_name_the_variable(tmp_path):
    p = run_bin(["serve"], OTLP2PARQUET_NO_SUCH_THING="1")
    assert p.returncode == 2 and "OTLP2PARQUET_NO_SUCH_THING" in p.stderr
    p = run_bin(["serve"], OTLP2PARQUET_BATCH_MAX_ROWS="many")
    assert p.returncode == 2 and "OTLP2PARQUET_BATCH_MAX_ROWS" in p.stderr and "many" in p.stderr
    p = run_bin(["serve"], OTLP2PARQUET_PARQUET_COMPRESSION="lz77")
    assert p.returncode == 2 and "OTLP2PARQUET_PARQUET_COMPRESSION" in p.stderr
    cfg = tmp_path / "bad.conf"
    cfg.write_text("# comment\nLISTEN_ADDR=127.0.0.1:1\nNOPE=1\n")
    p = run_bin(["serve", "--config", str(cfg)])
    assert p.returncode == 2 and "NOPE" in p.stderr and ":3" in p.stderr


def test_config_precedence_flag_over_env_over_file(tmp_path):
    """The file says snappy, the environment none, the flag zstd: the flag wins; without the flag,
    the environment; without both, the file."""
    req = build_request(10, random.Random(1)).SerializeToString()
    src = tmp_path / "in.pb"
    src.write_bytes(req)
    cfg = tmp_path / "c.conf"
    cfg.write_text("OTLP2PARQUET_PARQUET_COMPRESSION=snappy\n")

    def codec(args, **env):
        out = tmp_path / f"o{len(os.listdir(tmp_path))}"
        p = run_bin(["convert", "--signal", "logs", "--config", str(cfg), "-o", str(out), *args, str(src)], **env)
        assert p.returncode == 0, p.stderr
        f = next(out.glob("**/*.parquet"))
        return pq.ParquetFile(f).metadata.row_group(0).column(0).compression

    assert codec([]) == "SNAPPY"
    assert codec([], OTLP2PARQUET_PARQUET_COMPRESSION="none") == "UNCOMPRESSED"
    assert codec(["--compression", "zstd"], OTLP2PARQUET_PARQUET_COMPRESSION="none") == "ZSTD"
