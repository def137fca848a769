"""The Iceberg test infrastructure itself, with pyiceberg as the writer: the REST fixture with a
local file: warehouse (iceberg_rest) and with its warehouse on versitygw (iceberg_rest_s3), and
the readers of iceberg_readers.py (pyiceberg, DuckDB through the catalog and from a metadata
file, the files a one-day query plans). A table partitioned by day(ts) gets three appends, one
day each; every reader must return every row value for value, the snapshots must be three with
increasing sequence numbers, and a one-day filter must plan only that day's file."""

import datetime
import json
import urllib.request
import uuid

import pytest

from iceberg_readers import (UTC, day_filter, duckdb_attach, duckdb_connect, duckdb_planned_files, duckdb_rows,
                             duckdb_scan_sql, file_stats_mismatches, pyiceberg_catalog, pyiceberg_planned_files,
                             pyiceberg_rows, same_file, snapshot_history)

DAYS = [datetime.date(2026, 3, 1), datetime.date(2026, 3, 2), datetime.date(2026, 3, 4)]


def rows_of_day(i, day):
    """Five rows on day, over the whole day (midnight, the last microsecond), odd strings, a null."""
    base = datetime.datetime(day.year, day.month, day.day, tzinfo=UTC)
    offsets = [datetime.timedelta(0), datetime.timedelta(hours=6, microseconds=1), datetime.timedelta(hours=12),
               datetime.timedelta(hours=23, minutes=59, seconds=59, microseconds=999999), datetime.timedelta(hours=3)]
    values = [f"day{i}-a", "ünïcödé ✓", "", None, "x" * 300]
    return [{"ts": base + off, "s": v} for off, v in zip(offsets, values)]


@pytest.fixture(scope="module", params=["file", "s3"])
def appended(request):
    """(fixture, pyiceberg table, namespace, table name) after three appends (one day each) to a
    fresh table in a fresh namespace of the file: or the S3 fixture."""
    import pyarrow as pa
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import DayTransform
    from pyiceberg.types import NestedField, StringType, TimestamptzType

    fx = request.getfixturevalue("iceberg_rest" if request.param == "file" else "iceberg_rest_s3")
    cat = pyiceberg_catalog(fx)
    ns = "fx_" + uuid.uuid4().hex[:10]
    cat.create_namespace(ns)
    schema = Schema(NestedField(1, "ts", TimestamptzType(), required=False),
                    NestedField(2, "s", StringType(), required=False))
    spec = PartitionSpec(PartitionField(source_id=1, field_id=1000, transform=DayTransform(), name="ts_day"))
    table = cat.create_table(f"{ns}.events", schema=schema, partition_spec=spec)
    arrow_schema = pa.schema([pa.field("ts", pa.timestamp("us", tz="UTC")), pa.field("s", pa.string())])
    sent = []
    for i, day in enumerate(DAYS):
        rows = rows_of_day(i, day)
        table.append(pa.Table.from_pylist(rows, schema=arrow_schema))
        sent += rows
    table = cat.load_table(f"{ns}.events")
    return fx, table, ns, "events", sorted(sent, key=lambda r: (r["ts"], r["s"] is None, r["s"] or ""))


def expect(sent):
    return sorted(sent, key=lambda r: (r["ts"], r["s"] is None, r["s"] or ""))


def test_pyiceberg_reads_every_row(appended):
    fx, table, ns, name, sent = appended
    assert pyiceberg_rows(table) == expect(sent)
    # a second catalog client, from scratch, sees the same
    assert pyiceberg_rows(pyiceberg_catalog(fx, name="again").load_table(f"{ns}.{name}")) == expect(sent)


def test_duckdb_attach_reads_every_row(appended):
    fx, table, ns, name, sent = appended
    con = duckdb_attach(fx)
    got = duckdb_rows(con, f"SELECT ts, s FROM cat.{ns}.{name}")
    assert got == expect(sent)
    assert all(r["ts"].utcoffset() == datetime.timedelta(0) for r in got)


def test_duckdb_iceberg_scan_of_the_metadata_file_reads_every_row(appended):
    fx, table, ns, name, sent = appended
    con = duckdb_connect(s3=fx.s3)
    assert duckdb_rows(con, f"SELECT ts, s FROM {duckdb_scan_sql(table.metadata_location)}") == expect(sent)


def test_three_snapshots_with_increasing_sequence_numbers(appended):
    fx, table, ns, name, sent = appended
    history = snapshot_history(table)
    assert len(history) == 3
    seqs = [h[2] for h in history]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3 and seqs[0] >= 1
    assert [h[1] for h in history[1:]] == [h[0] for h in history[:-1]]  # each the parent of the next
    assert all(h[3] == "append" for h in history)
    total = 0
    for _sid, _parent, _seq, _op, summary in history:
        added = int(summary["added-records"])
        total += added
        assert added == 5 and int(summary["total-records"]) == total
        assert int(summary["added-data-files"]) == 1
    assert total == len(sent)
    snaps = table.inspect.snapshots().to_pylist()
    assert sorted(s["snapshot_id"] for s in snaps) == sorted(h[0] for h in history)
    entries = table.inspect.entries().to_pylist()
    assert sorted(e["sequence_number"] for e in entries) == seqs  # one file per append, its own sequence number


def test_inspect_files_and_manifests(appended):
    fx, table, ns, name, sent = appended
    files = table.inspect.files().to_pylist()
    assert len(files) == 3 and sum(f["record_count"] for f in files) == len(sent)
    days = sorted(f["partition"]["ts_day"] for f in files)
    assert days == DAYS
    for f in files:
        assert f["file_path"].startswith(table.location())
        assert dict(f["null_value_counts"])[2] == 1 and dict(f["value_counts"])[1] == 5  # maps: [(id, n)]
    assert file_stats_mismatches(fx, table, require_all=True) == []
    manifests = table.inspect.manifests().to_pylist()
    assert len(manifests) == 3
    assert sum(m["added_data_files_count"] + m["existing_data_files_count"] for m in manifests) == 3


@pytest.mark.parametrize("day_index", [0, 2])
def test_a_one_day_query_plans_only_that_days_file(appended, day_index):
    fx, table, ns, name, sent = appended
    day = DAYS[day_index]
    expr, sql_pred = day_filter("ts", day)
    day_files = [f["file_path"] for f in table.inspect.files().to_pylist() if f["partition"]["ts_day"] == day]
    assert len(day_files) == 1

    planned = pyiceberg_planned_files(table, expr)
    assert planned == day_files
    assert pyiceberg_rows(table, row_filter=expr) == [r for r in expect(sent) if r["ts"].date() == day]

    con = duckdb_attach(fx)
    q = f"SELECT ts, s FROM cat.{ns}.{name} WHERE {sql_pred}"
    d_planned = duckdb_planned_files(con, q)
    assert len(d_planned) == 1 and same_file(d_planned[0], day_files[0]), d_planned
    assert duckdb_rows(con, q) == [r for r in expect(sent) if r["ts"].date() == day]
    # and unfiltered, every file
    assert len(duckdb_planned_files(con, f"SELECT ts, s FROM cat.{ns}.{name}")) == 3


def test_where_the_files_are_and_what_load_table_vends(appended):
    fx, table, ns, name, sent = appended
    with urllib.request.urlopen(f"{fx.uri}/v1/namespaces/{ns}/tables/{name}") as r:
        body = json.load(r)
    assert body["metadata-location"].startswith(fx.warehouse + "/")
    if fx.s3 is None:
        assert body.get("config", {}) == {}
        return
    # the S3 fixture vends the gateway's keys, nothing else
    assert body["config"] == {"s3.access-key-id": fx.s3.access_key, "s3.secret-access-key": fx.s3.secret_key}
    keys = fx.s3.keys(f"warehouse/{ns}/{name}/")
    prefix = f"s3://{fx.s3.bucket}/"
    data = sorted(k for k in keys if k.endswith(".parquet"))
    assert data == sorted(f["file_path"][len(prefix):] for f in table.inspect.files().to_pylist())
    assert body["metadata-location"][len(prefix):] in keys


def test_file_stats_check_finds_a_lie(appended):
    """file_stats_mismatches is not vacuous: manifest entries whose counts, sizes and bounds
    disagree with the file are reported."""
    fx, table, ns, name, sent = appended
    files = table.inspect.files().to_pylist()
    r = files[0]
    r["record_count"] += 1
    r["file_size_in_bytes"] -= 1
    r["null_value_counts"] = [(k, v + 1) for k, v in r["null_value_counts"]]
    r["column_sizes"] = [(k, v * 2) for k, v in r["column_sizes"]]
    r["lower_bounds"] = [(k, b"~" if k == 2 else v) for k, v in r["lower_bounds"]]
    problems = file_stats_mismatches(fx, table, files=files)
    for what in ("record_count", "file_size_in_bytes", "null_value_counts[2]", "column_sizes[1]", "field 2 lower bound"):
        assert any(what in p for p in problems), (what, problems)
