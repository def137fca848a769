"""Iceberg manifests and manifest lists written by our C code (build/tools/iceberg_manifest),
read by independent readers: fastavro (schemas, field ids, every value) and pyiceberg's own
manifest reader. The expected statistics are computed here with pyarrow from the Parquet files,
never taken from the C code. Manifest lists written here with fastavro (v1 and v2 layouts) are
read back by our reader, field by field."""

import datetime
import io
import json
import math
import os
import struct
import subprocess
from pathlib import Path

import fastavro
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import SANITIZER_MARKS
from signal_payloads import metrics_request, traces_request

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("OTLP2PARQUET_TOOLS") or REPO / "build" / "tools")
TOOL = TOOLS / "iceberg_manifest"

# The field ids of the Iceberg spec (v2), by dotted Avro path.
ENTRY_IDS = {
    "status": 0, "snapshot_id": 1, "sequence_number": 3, "file_sequence_number": 4, "data_file": 2,
    "data_file.content": 134, "data_file.file_path": 100, "data_file.file_format": 101,
    "data_file.partition": 102, "data_file.record_count": 103, "data_file.file_size_in_bytes": 104,
    "data_file.column_sizes": 108, "data_file.column_sizes.key": 117, "data_file.column_sizes.value": 118,
    "data_file.value_counts": 109, "data_file.value_counts.key": 119, "data_file.value_counts.value": 120,
    "data_file.null_value_counts": 110, "data_file.null_value_counts.key": 121, "data_file.null_value_counts.value": 122,
    "data_file.nan_value_counts": 137, "data_file.nan_value_counts.key": 138, "data_file.nan_value_counts.value": 139,
    "data_file.lower_bounds": 125, "data_file.lower_bounds.key": 126, "data_file.lower_bounds.value": 127,
    "data_file.upper_bounds": 128, "data_file.upper_bounds.key": 129, "data_file.upper_bounds.value": 130,
    "data_file.key_metadata": 131, "data_file.split_offsets": 132, "data_file.split_offsets.element": 133,
    "data_file.equality_ids": 135, "data_file.equality_ids.element": 136, "data_file.sort_order_id": 140,
}
LIST_IDS = {
    "manifest_path": 500, "manifest_length": 501, "partition_spec_id": 502, "content": 517,
    "sequence_number": 515, "min_sequence_number": 516, "added_snapshot_id": 503,
    "added_files_count": 504, "existing_files_count": 505, "deleted_files_count": 506,
    "added_rows_count": 512, "existing_rows_count": 513, "deleted_rows_count": 514,
    "partitions": 507, "partitions.element": 508, "partitions.contains_null": 509,
    "partitions.contains_nan": 518, "partitions.lower_bound": 510, "partitions.upper_bound": 511,
    "key_metadata": 519,
}


def run(*args, expect_rc=0):
    assert TOOL.exists(), f"{TOOL} is not built (make build/tools/iceberg_manifest)"
    r = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, timeout=120)
    text = (r.stdout + r.stderr).decode(errors="replace")
    for mark in SANITIZER_MARKS:
        assert mark not in text, text
    assert r.returncode == expect_rc, text
    return r.stdout.decode()


def avro_ids(schema):
    """Dotted path -> field id (element-id for array items) of an Avro schema."""
    out = {}

    def strip(t):
        if isinstance(t, list):
            t = [b for b in t if b != "null"][0]
        return t

    def walk(prefix, t):
        t = strip(t)
        if isinstance(t, dict) and t.get("type") == "record":
            for f in t["fields"]:
                p = f"{prefix}.{f['name']}" if prefix else f["name"]
                if "field-id" in f:
                    out[p] = f["field-id"]
                walk(p, f["type"])
        elif isinstance(t, dict) and t.get("type") == "array":
            items = strip(t["items"])
            if isinstance(items, dict) and items.get("type") == "record" and t.get("logicalType") == "map":
                for f in items["fields"]:
                    out[f"{prefix}.{f['name']}"] = f["field-id"]
            elif isinstance(items, dict) and items.get("type") == "record":
                out[f"{prefix}.element"] = t["element-id"]
                walk(prefix, items)
            else:
                out[f"{prefix}.element"] = t["element-id"]

    walk("", schema)
    return out


def leaf_arrays(table):
    """(field id, Iceberg type, flat values) of every leaf column, nested ones included."""
    out = []

    def walk(field, arr):
        fid = int(field.metadata[b"PARQUET:field_id"])
        t = field.type
        if pa.types.is_struct(t):
            for i, child in enumerate(t):
                walk(child, arr.flatten()[i] if arr.null_count == 0 else pc.struct_field(arr, [i]))
        elif pa.types.is_map(t):
            walk(t.key_field, arr.keys)
            walk(t.item_field, arr.items)
        elif pa.types.is_list(t):
            walk(t.value_field, arr.flatten())
        else:
            out.append((fid, t, arr))

    for name in table.column_names:
        walk(table.schema.field(name), table.column(name).combine_chunks())
    return out


def utf8_trunc(s):
    b = s.encode()
    if len(b) <= 16:
        return b, b
    chars = []
    n = 0
    for ch in s:
        if n + len(ch.encode()) > 16:
            break
        chars.append(ch)
        n += len(ch.encode())
    lower = "".join(chars).encode()
    up = list(chars)
    while up:
        cp = ord(up[-1]) + 1
        if cp == 0xD800:
            cp = 0xE000
        if cp <= 0x10FFFF:
            up[-1] = chr(cp)
            return lower, "".join(up).encode()
        up.pop()
    return lower, None


def encode_bound(t, v):
    if pa.types.is_boolean(t):
        return struct.pack("<?", v)
    if pa.types.is_int32(t):
        return struct.pack("<i", v)
    if pa.types.is_int64(t):
        return struct.pack("<q", v)
    if pa.types.is_timestamp(t):
        return struct.pack("<q", v)
    if pa.types.is_float64(t):
        return struct.pack("<d", v)
    raise AssertionError(t)


def expected_file(path):
    pf = pq.ParquetFile(path)
    md = pf.metadata
    table = pf.read()
    sizes, counts, nulls = {}, {}, {}
    leaves = leaf_arrays(table)
    ids = [fid for fid, _, _ in leaves]
    assert len(ids) == md.num_columns
    offsets = []
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        first = []
        for c in range(rg.num_columns):
            col = rg.column(c)
            fid = ids[c]
            sizes[fid] = sizes.get(fid, 0) + col.total_compressed_size
            counts[fid] = counts.get(fid, 0) + col.num_values
            nulls[fid] = nulls.get(fid, 0) + col.statistics.null_count
            first.append(col.dictionary_page_offset if col.has_dictionary_page else col.data_page_offset)
        offsets.append(min(first))
    lower, upper, nans = {}, {}, {}
    for fid, t, arr in leaves:
        if pa.types.is_timestamp(t):
            arr = arr.cast(pa.int64())
        if pa.types.is_float64(t):
            isnan = pc.is_nan(arr)
            nans[fid] = pc.sum(pc.cast(pc.fill_null(isnan, False), pa.int64())).as_py() or 0
            arr = pc.filter(arr, pc.invert(pc.fill_null(isnan, True)))
        vals = [v for v in arr.to_pylist() if v is not None]
        if not vals:
            continue
        if pa.types.is_string(t):
            lo, _ = utf8_trunc(min(vals, key=lambda s: s.encode()))
            _, hi = utf8_trunc(max(vals, key=lambda s: s.encode()))
            lower[fid] = lo
            if hi is not None:
                upper[fid] = hi
        elif pa.types.is_float64(t):
            # -0.0 sorts below +0.0, as Iceberg compares doubles
            key = lambda d: (d, math.copysign(1, d))
            lower[fid] = encode_bound(t, min(vals, key=key))
            upper[fid] = encode_bound(t, max(vals, key=key))
        else:
            lower[fid] = encode_bound(t, min(vals))
            upper[fid] = encode_bound(t, max(vals))
    return dict(record_count=md.num_rows, file_size_in_bytes=os.path.getsize(path), column_sizes=sizes,
                value_counts=counts, null_value_counts=nulls, nan_value_counts=nans, lower_bounds=lower,
                upper_bounds=upper, split_offsets=offsets, table=table)


def kv(items):
    return {e["key"]: e["value"] for e in (items or [])}


def write(tmp_path, signal, payload, *opts):
    src = tmp_path / f"{signal}.pb"
    src.write_bytes(payload)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return json.loads(run("write", signal, src, out, *opts))


def check_manifest(info, snapshot_id, spec):
    with open(info["manifest"], "rb") as f:
        r = fastavro.reader(f)
        meta = r.metadata
        schema = json.loads(meta["avro.schema"])
        entries = list(r)
    ids = avro_ids(schema)
    for path, fid in ENTRY_IDS.items():
        assert ids.get(path) == fid, (path, ids.get(path))
    assert meta["format-version"] == "2" and meta["content"] == "data"
    assert meta["partition-spec-id"] == "0" and meta["schema-id"] == "0"
    assert json.loads(meta["schema"])["type"] == "struct"
    pspec = json.loads(meta["partition-spec"])
    assert [f["field-id"] for f in pspec] == list(range(1000, 1000 + len(pspec)))
    part_fields = [f for f in schema["fields"][4]["type"]["fields"] if f["name"] == "partition"][0]["type"]["fields"]
    assert [f["field-id"] for f in part_fields] == [f["field-id"] for f in pspec]
    assert sorted(e["data_file"]["file_path"] for e in entries) == sorted(info["files"])
    for e in entries:
        assert e["status"] == 1 and e["snapshot_id"] == snapshot_id
        assert e["sequence_number"] is None and e["file_sequence_number"] is None
        d = e["data_file"]
        assert d["content"] == 0 and d["file_format"].lower() == "parquet"
        path = d["file_path"][len("file:"):]
        want = expected_file(path)
        for k in ("record_count", "file_size_in_bytes", "split_offsets"):
            assert d[k] == want[k], k
        for k in ("column_sizes", "value_counts", "null_value_counts", "nan_value_counts", "lower_bounds", "upper_bounds"):
            assert kv(d[k]) == want[k], (k, kv(d[k]), want[k])
        assert d["key_metadata"] is None and d["equality_ids"] is None
        ts = want["table"].column("Timestamp").cast(pa.int64()).to_pylist()
        for f in pspec:
            got = d["partition"][f["name"]]
            if f["transform"] == "day":
                days = {t // 86400_000_000 for t in ts}
                assert len(days) == 1
                assert got == datetime.date(1970, 1, 1) + datetime.timedelta(days=days.pop())
            elif f["transform"] == "hour":
                hours = {t // 3600_000_000 for t in ts}
                assert len(hours) == 1 and got == hours.pop()
            elif f["transform"] == "identity":
                vals = set(want["table"].column(f["name"]).to_pylist())
                assert len(vals) == 1 and got == vals.pop()
    return entries


def check_list(info, snapshot_id, seq, entries, nprevious=0):
    with open(info["list"], "rb") as f:
        r = fastavro.reader(f)
        meta = r.metadata
        recs = list(r)
    ids = avro_ids(json.loads(meta["avro.schema"]))
    for path, fid in LIST_IDS.items():
        assert ids.get(path) == fid, (path, ids.get(path))
    assert meta["snapshot-id"] == str(snapshot_id) and meta["sequence-number"] == str(seq)
    assert meta["format-version"] == "2"
    assert len(recs) == 1 + nprevious
    m = recs[0]
    assert m["manifest_path"] == "file:" + info["manifest"]
    assert m["manifest_length"] == os.path.getsize(info["manifest"])
    assert m["sequence_number"] == seq and m["min_sequence_number"] == seq
    assert m["added_snapshot_id"] == snapshot_id and m["content"] == 0
    assert m["added_files_count"] == len(entries) and m["existing_files_count"] == 0 and m["deleted_files_count"] == 0
    assert m["added_rows_count"] == sum(e["data_file"]["record_count"] for e in entries)
    days = sorted(e["data_file"]["partition"]["Timestamp_day"] for e in entries)
    enc = lambda d: struct.pack("<i", (d - datetime.date(1970, 1, 1)).days)
    assert m["partitions"] == [{"contains_null": False, "contains_nan": False, "lower_bound": enc(days[0]),
                                "upper_bound": enc(days[-1])}]
    return recs, meta


def test_traces_manifest_and_list(tmp_path):
    info = write(tmp_path, "traces", traces_request().SerializeToString(), "--snapshot-id", 4242,
                 "--sequence-number", 3, "--row-group-bytes", 20000)["traces"]
    assert len(info["files"]) >= 2
    entries = check_manifest(info, 4242, "day")
    assert any(len(e["data_file"]["split_offsets"]) > 1 for e in entries)
    recs, meta = check_list(info, 4242, 3, entries)
    assert meta["parent-snapshot-id"] == "null"
    # our reader gives back what fastavro sees
    ours = json.loads(run("read-list", info["list"]))
    assert len(ours) == 1
    for k, v in recs[0].items():
        if k == "partitions":
            v = [{**p, "lower_bound": p["lower_bound"].hex(), "upper_bound": p["upper_bound"].hex()} for p in v]
        assert ours[0][k] == v, k


def test_metrics_manifests_nan_and_double_bounds(tmp_path):
    out = write(tmp_path, "metrics", metrics_request().SerializeToString(), "--snapshot-id", 7)
    assert len(out) >= 4
    for table, info in out.items():
        entries = check_manifest(info, 7, "day")
        check_list(info, 7, 1, entries)


def test_list_carries_parent_forward(tmp_path):
    payload = traces_request().SerializeToString()
    first = write(tmp_path, "traces", payload, "--snapshot-id", 1, "--sequence-number", 1)["traces"]
    parent = tmp_path / "parent-list.avro"
    parent.write_bytes(Path(first["list"]).read_bytes())
    with open(parent, "rb") as f:
        old = list(fastavro.reader(f))
    second = write(tmp_path, "traces", payload, "--snapshot-id", 2, "--sequence-number", 2, "--parent-list", parent,
                   "--parent-id", 1)["traces"]
    with open(second["list"], "rb") as f:
        r = fastavro.reader(f)
        recs = list(r)
        assert r.metadata["parent-snapshot-id"] == "1"
    assert len(recs) == 2
    assert recs[1] == old[0]  # carried forward unchanged, sequence number 1 kept
    assert recs[0]["sequence_number"] == 2 and recs[0]["added_snapshot_id"] == 2


def test_identity_and_hour_partitions(tmp_path):
    out = write(tmp_path, "traces", traces_request().SerializeToString(), "--spec", "hour(Timestamp),ServiceName")
    info = out["traces"]
    entries = check_manifest(info, 1, "hour")
    keys = {(e["data_file"]["partition"]["Timestamp_hour"], e["data_file"]["partition"]["ServiceName"]) for e in entries}
    assert len(keys) == len(entries) >= 2


V1_SCHEMA = {"type": "record", "name": "manifest_file", "fields": [
    {"name": "manifest_path", "type": "string", "field-id": 500},
    {"name": "manifest_length", "type": "long", "field-id": 501},
    {"name": "partition_spec_id", "type": "int", "field-id": 502},
    {"name": "added_snapshot_id", "type": ["null", "long"], "default": None, "field-id": 503},
    {"name": "added_data_files_count", "type": ["null", "int"], "default": None, "field-id": 504},
    {"name": "existing_data_files_count", "type": ["null", "int"], "default": None, "field-id": 505},
    {"name": "deleted_data_files_count", "type": ["null", "int"], "default": None, "field-id": 506},
    {"name": "partitions", "type": ["null", {"type": "array", "element-id": 508, "items": {
        "type": "record", "name": "r508", "fields": [
            {"name": "contains_null", "type": "boolean", "field-id": 509},
            {"name": "lower_bound", "type": ["null", "bytes"], "default": None, "field-id": 510},
            {"name": "upper_bound", "type": ["null", "bytes"], "default": None, "field-id": 511}]}}],
     "default": None, "field-id": 507},
    {"name": "added_rows_count", "type": ["null", "long"], "default": None, "field-id": 512},
    {"name": "existing_rows_count", "type": ["null", "long"], "default": None, "field-id": 513},
    {"name": "deleted_rows_count", "type": ["null", "long"], "default": None, "field-id": 514},
]}


def v2_schema():
    # Java's layout, fields in its order, with a few renamed to show ids (not names) decide
    fields = [
        ("manifest_path", "string", 500), ("manifest_length", "long", 501), ("partition_spec_id", "int", 502),
        ("content", "int", 517), ("sequence_number", "long", 515), ("min_sequence_number", "long", 516),
        ("added_snapshot_id", "long", 503), ("added_files_count_renamed", "int", 504),
        ("existing_files_count", "int", 505), ("deleted_files_count", "int", 506), ("added_rows_count", "long", 512),
        ("existing_rows_count", "long", 513), ("deleted_rows_count", "long", 514)]
    out = [{"name": n, "type": t, "field-id": i} for n, t, i in fields]
    out.append({"name": "partitions", "type": ["null", {"type": "array", "element-id": 508, "items": {
        "type": "record", "name": "r508", "fields": [
            {"name": "contains_null", "type": "boolean", "field-id": 509},
            {"name": "contains_nan", "type": ["null", "boolean"], "default": None, "field-id": 518},
            {"name": "lower_bound", "type": ["null", "bytes"], "default": None, "field-id": 510},
            {"name": "upper_bound", "type": ["null", "bytes"], "default": None, "field-id": 511}]}}],
        "default": None, "field-id": 507})
    out.append({"name": "key_metadata", "type": ["null", "bytes"], "default": None, "field-id": 519})
    return {"type": "record", "name": "manifest_file", "fields": out}


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_foreign_lists_read_back(tmp_path, codec):
    v1 = [{"manifest_path": "s3://b/m1.avro", "manifest_length": 123, "partition_spec_id": 0, "added_snapshot_id": 99,
           "added_data_files_count": 2, "existing_data_files_count": 1, "deleted_data_files_count": 0,
           "partitions": [{"contains_null": True, "lower_bound": b"\x01\x00\x00\x00", "upper_bound": None}],
           "added_rows_count": 10, "existing_rows_count": 5, "deleted_rows_count": 0},
          {"manifest_path": "s3://b/m0.avro", "manifest_length": 7, "partition_spec_id": 1, "added_snapshot_id": 98,
           "added_data_files_count": None, "existing_data_files_count": None, "deleted_data_files_count": None,
           "partitions": None, "added_rows_count": None, "existing_rows_count": None, "deleted_rows_count": None}]
    p1 = tmp_path / "v1.avro"
    with open(p1, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(V1_SCHEMA), v1, codec=codec, metadata={"format-version": "1"})
    got = json.loads(run("read-list", p1))
    assert got[0] == {"manifest_path": "s3://b/m1.avro", "manifest_length": 123, "partition_spec_id": 0, "content": 0,
                      "sequence_number": 0, "min_sequence_number": 0, "added_snapshot_id": 99,
                      "added_files_count": 2, "existing_files_count": 1, "deleted_files_count": 0,
                      "added_rows_count": 10, "existing_rows_count": 5, "deleted_rows_count": 0,
                      "partitions": [{"contains_null": True, "contains_nan": None, "lower_bound": "01000000",
                                      "upper_bound": None}], "key_metadata": None}
    assert got[1]["added_files_count"] is None and got[1]["partitions"] is None and got[1]["partition_spec_id"] == 1

    v2 = [{"manifest_path": f"s3://b/m{i}.avro", "manifest_length": 1000 + i, "partition_spec_id": i % 2,
           "content": i % 2, "sequence_number": 10 + i, "min_sequence_number": 5 + i, "added_snapshot_id": 2**62 + i,
           "added_files_count_renamed": i, "existing_files_count": 2 * i, "deleted_files_count": 3 * i,
           "added_rows_count": 2**40 + i, "existing_rows_count": 4 * i, "deleted_rows_count": 5 * i,
           "partitions": [{"contains_null": False, "contains_nan": bool(i % 2), "lower_bound": b"a" * i,
                           "upper_bound": b"\xff" * (i + 1)}] * (i % 3),
           "key_metadata": b"\x00key" if i == 2 else None} for i in range(5)]
    p2 = tmp_path / "v2.avro"
    with open(p2, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(v2_schema()), v2, codec=codec, metadata={"format-version": "2"})
    got = json.loads(run("read-list", p2))
    assert len(got) == 5
    for g, w in zip(got, v2):
        w = dict(w)
        w["added_files_count"] = w.pop("added_files_count_renamed")
        w["partitions"] = [{**p, "lower_bound": p["lower_bound"].hex(), "upper_bound": p["upper_bound"].hex()}
                           for p in w["partitions"]]
        w["key_metadata"] = w["key_metadata"].hex() if w["key_metadata"] else None
        assert g == w


def test_garbage_list_is_an_error(tmp_path):
    p = tmp_path / "bad.avro"
    p.write_bytes(b"Obj\x01\x04\x16avro.schema\x02{")
    run("read-list", p, expect_rc=2)


def test_pyiceberg_reads_our_manifests(tmp_path):
    from pyiceberg.io.pyarrow import PyArrowFileIO
    from pyiceberg.manifest import read_manifest_list

    info = write(tmp_path, "traces", traces_request().SerializeToString(), "--snapshot-id", 555,
                 "--sequence-number", 9)["traces"]
    io_ = PyArrowFileIO()
    mfs = list(read_manifest_list(io_.new_input(info["list"])))
    assert len(mfs) == 1
    mf = mfs[0]
    assert mf.manifest_path == "file:" + info["manifest"] and mf.sequence_number == 9 and mf.added_snapshot_id == 555
    # the table schema in the manifest's metadata is Iceberg JSON pyiceberg accepts, and every
    # Parquet field id of the data files is a field of it
    from pyiceberg.schema import Schema
    with open(info["manifest"], "rb") as f:
        schema = Schema.model_validate_json(fastavro.reader(f).metadata["schema"])
    parquet_ids = {fid for fid, _, _ in leaf_arrays(pq.read_table(info["files"][0][len("file:"):]))}
    for fid in parquet_ids:
        assert schema.find_field(fid).field_id == fid
    entries = mf.fetch_manifest_entry(io_, discard_deleted=False)
    assert sorted(e.data_file.file_path for e in entries) == sorted(info["files"])
    for e in entries:
        assert e.sequence_number == 9 and e.snapshot_id == 555  # inherited from the list
        want = expected_file(e.data_file.file_path[len("file:"):])
        assert e.data_file.record_count == want["record_count"]
        assert dict(e.data_file.null_value_counts) == want["null_value_counts"]
        assert dict(e.data_file.lower_bounds) == want["lower_bounds"]
        assert dict(e.data_file.upper_bounds) == want["upper_bounds"]
        assert list(e.data_file.split_offsets) == want["split_offsets"]


# ---- data file paths read back from manifests (ice_manifest_read_paths) ----

PATHS = ["s3://b/data/f 0 ü.parquet", "s3://b/data/f1.parquet", "file:/tmp/日本/f2.parquet"]


def test_paths_of_our_manifests(tmp_path):
    info = write(tmp_path, "traces", traces_request().SerializeToString())["traces"]
    got = json.loads(run("read-paths", info["manifest"]))
    assert sorted(got) == sorted([p, 1] for p in info["files"])


@pytest.mark.parametrize("format_version", [1, 2])
def test_paths_of_pyiceberg_manifests(tmp_path, format_version):
    from pyiceberg.io.pyarrow import PyArrowFileIO
    from pyiceberg.manifest import (DataFile, DataFileContent, FileFormat, ManifestEntry, ManifestEntryStatus,
                                    write_manifest)
    from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
    from pyiceberg.schema import Schema
    from pyiceberg.typedef import Record
    from pyiceberg.types import LongType, NestedField, StringType

    schema = Schema(NestedField(1, "a", LongType(), required=False), NestedField(2, "s", StringType(), required=False))
    path = tmp_path / f"pyiceberg-v{format_version}.avro"
    statuses = [ManifestEntryStatus.ADDED, ManifestEntryStatus.EXISTING, ManifestEntryStatus.DELETED]
    seq = 3 if format_version == 2 else None
    with write_manifest(format_version=format_version, spec=UNPARTITIONED_PARTITION_SPEC, schema=schema,
                        output_file=PyArrowFileIO().new_output(str(path)), snapshot_id=42,
                        avro_compression="deflate") as w:
        for p, st in zip(PATHS, statuses):
            df = DataFile.from_args(content=DataFileContent.DATA, file_path=p, file_format=FileFormat.PARQUET,
                                    partition=Record(), record_count=10, file_size_in_bytes=100, column_sizes={},
                                    value_counts={}, null_value_counts={}, nan_value_counts={}, lower_bounds={},
                                    upper_bounds={}, split_offsets=[4], sort_order_id=0)
            w.add_entry(ManifestEntry.from_args(status=st, snapshot_id=42, sequence_number=seq,
                                                file_sequence_number=seq, data_file=df))
    with open(path, "rb") as f:
        assert fastavro.reader(f).metadata["format-version"] == str(format_version)
    assert json.loads(run("read-paths", path)) == [[p, int(st.value)] for p, st in zip(PATHS, statuses)]


def minimal_manifest_schema(ids):
    """A data manifest schema of just what the reader needs (and a field it skips), with the
    spec's field ids under other names (ids=True) or the spec's names without ids."""
    def f(name, typ, fid, other):
        d = {"name": other if ids else name, "type": typ}
        if ids:
            d["field-id"] = fid
        return d
    data_file = {"type": "record", "name": "r2", "fields": [
        f("record_count", "long", 103, "rc"), f("file_path", "string", 100, "fp")]}
    return {"type": "record", "name": "manifest_entry", "fields": [
        f("snapshot_id", ["null", "long"], 1, "sid"), f("data_file", data_file, 2, "df"), f("status", "int", 0, "st")]}


@pytest.mark.parametrize("ids", [True, False])
def test_paths_of_fastavro_manifests(tmp_path, ids):
    schema = minimal_manifest_schema(ids)
    n = lambda name, other: other if ids else name  # noqa: E731
    recs = [{n("snapshot_id", "sid"): None, n("status", "st"): i % 3,
             n("data_file", "df"): {n("record_count", "rc"): i, n("file_path", "fp"): f"{PATHS[i % 3]}.{i}"}}
            for i in range(2500)]
    path = tmp_path / "m.avro"
    with open(path, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), recs, codec="deflate", sync_interval=4000)
    got = json.loads(run("read-paths", path))
    assert got == [[f"{PATHS[i % 3]}.{i}", i % 3] for i in range(2500)]


def test_paths_of_a_bad_manifest_are_an_error(tmp_path):
    schema = minimal_manifest_schema(False)
    path = tmp_path / "bad.avro"
    with open(path, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), [{"snapshot_id": 1, "status": 3, "data_file": {
            "record_count": 1, "file_path": "x"}}])
    run("read-paths", path, expect_rc=2)
    info = write(tmp_path, "traces", traces_request().SerializeToString())["traces"]
    run("read-paths", info["list"], expect_rc=2)  # a manifest list is not a manifest
