"""Iceberg mode end to end (DESIGN §7): `convert` and the server commit every flush as a snapshot
through Apache Iceberg's REST fixture, its warehouse a local file: folder or a bucket on
versitygw (the writer using the keys the catalog vends); pyiceberg and DuckDB (ATTACH ... TYPE
iceberg) read every row back value for value; the
snapshots' sequence numbers increase, their summaries add up, the data files' statistics in the
manifests match the files, files sit under {location}/data/Timestamp_day=YYYY-MM-DD/, and a
one-day filter plans only that day's files. ICEBERG_ENABLED=false writes plain Parquet."""

import datetime
import json
import os
import re
import time
import uuid

import pytest

from conftest import FAST_FLUSH, run_bin
from iceberg_readers import duckdb_attach, duckdb_planned_files, file_stats_mismatches, open_data_file, pyiceberg_catalog
from otlp_values import (BASE_NS, TABLES, assert_rows_equal, build_logs_request, build_metrics_request,
                         build_traces_request, merge_expected, read_rows_duckdb, rows_of_arrow, signal_of)

DAY_NS = 86400 * 10**9
UUID7 = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"


def iceberg_env(fx, ns, **extra):
    """The writer's environment for fixture fx: for an S3 warehouse the gateway's endpoint and
    region, but no keys: the catalog vends them (loadTable's config)."""
    env = {"OTLP2PARQUET_ICEBERG_REST_URI": fx.uri, "OTLP2PARQUET_ICEBERG_WAREHOUSE": fx.warehouse,
           "OTLP2PARQUET_ICEBERG_NAMESPACE": ns}
    gw = getattr(fx, "s3", None)
    if gw is not None:
        env.update(OTLP2PARQUET_S3_ENDPOINT=gw.endpoint, OTLP2PARQUET_S3_REGION=gw.region)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def catalog(fx):
    return pyiceberg_catalog(fx)


@pytest.fixture(params=["file", "s3"])
def warehouse(request):
    """The REST fixture with a file: warehouse, then with one on versitygw."""
    return request.getfixturevalue("iceberg_rest" if request.param == "file" else "iceberg_rest_s3")


def fresh_ns():
    return "c" + uuid.uuid4().hex[:10]


def shifted_logs(n, seed, days):
    """Logs like build_logs_request's, moved `days` days later."""
    import random
    req = build_logs_request(n, random.Random(seed))
    for rl in req.resource_logs:
        for sl in rl.scope_logs:
            for r in sl.log_records:
                if r.time_unix_nano:
                    r.time_unix_nano += days * DAY_NS
                if r.observed_time_unix_nano:
                    r.observed_time_unix_nano += days * DAY_NS
    return req


def write_inputs(tmp_path, name, reqs):
    paths = []
    for i, r in enumerate(reqs):
        p = tmp_path / f"{name}-{i}-{signal_of(r)}.pb"
        p.write_bytes(r.SerializeToString())
        paths.append(str(p))
    return paths


def convert(tmp_path, fx, ns, reqs, name, **env):
    inputs = write_inputs(tmp_path, name, reqs)
    r = run_bin(["convert", "-o", str(tmp_path / "unused")] + inputs, **iceberg_env(fx, ns, **env))
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def scan_rows(cat, ns, table, row_filter=None):
    t = cat.load_table(f"{ns}.{table}")
    if t.current_snapshot() is None:
        return []
    scan = t.scan(row_filter=row_filter) if row_filter is not None else t.scan()
    return rows_of_arrow(scan.to_arrow(), table, f"{ns}.{table}")


def assert_table_consistent(cat, ns, table, fx_local_path=None):
    """Snapshots: distinct ids, sequence numbers 1..n in order, each the child of the one before,
    summaries whose totals are the running sums of the added counts; every manifest entry's
    statistics equal what pyarrow finds in the file."""
    t = cat.load_table(f"{ns}.{table}")
    snaps = sorted(t.metadata.snapshots, key=lambda s: s.sequence_number)
    assert [s.sequence_number for s in snaps] == list(range(1, len(snaps) + 1))
    assert len({s.snapshot_id for s in snaps}) == len(snaps)
    assert all(0 < s.snapshot_id < 2**63 for s in snaps)
    files = recs = 0
    parent = None
    for s in snaps:
        assert s.parent_snapshot_id == parent
        parent = s.snapshot_id
        sm = s.summary
        assert sm.operation.value == "append"
        files += int(sm["added-data-files"])
        recs += int(sm["added-records"])
        assert int(sm["total-data-files"]) == files and int(sm["total-records"]) == recs, (s, files, recs)
    assert t.current_snapshot().snapshot_id == parent
    entries = t.inspect.entries().to_pylist()
    # every snapshot's manifest list holds its own manifest plus all of the parent's
    for s in snaps:
        ml = s.manifests(t.io)
        assert len(ml) == s.sequence_number, (s.sequence_number, len(ml))
    paths = [e["data_file"]["file_path"] for e in entries]
    assert len(paths) == len(set(paths)) == files
    return t, snaps, entries


def check_file_stats(fx, t, entries):
    """The manifests' statistics against the Parquet files themselves: every leaf column, nested
    ones included, has value, null and size figures equal to the footer's and bounds enclosing its
    min and max; the Timestamp bounds are exactly the file's min and max."""
    problems = file_stats_mismatches(fx, t, require_all=True)
    assert not problems, problems[:10]
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    for e in entries:
        df = e["data_file"]
        assert df["file_format"] == "PARQUET"
        col = open_data_file(fx, df["file_path"]).read(columns=["Timestamp"]).column("Timestamp").cast("int64").to_pylist()
        rm = e["readable_metrics"]["Timestamp"]
        assert (rm["lower_bound"] - epoch) // datetime.timedelta(microseconds=1) == min(col)
        assert (rm["upper_bound"] - epoch) // datetime.timedelta(microseconds=1) == max(col)


def day_of(ns):
    return datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc).date()


def test_convert_commits_every_table_and_reads_back(warehouse, tmp_path):
    import random
    fx, ns = warehouse, fresh_ns()
    batches = []
    for k in range(3):  # three runs: three snapshots of every table, three days of logs
        reqs = [shifted_logs(120, k, k), build_traces_request(40 + k, random.Random(10 + k)),
                build_metrics_request(random.Random(20 + k))]
        r = convert(tmp_path, fx, ns, reqs, f"run{k}")
        for table in TABLES:
            assert re.search(rf"Successfully committed to catalog table '{table}' \(snapshot: \d+, files: \d+, "
                             rf"records: \d+\)", r.stderr), (table, r.stderr[-3000:])
        batches += reqs
    exp = merge_expected(batches)
    cat = catalog(fx)
    con = duckdb_attach(fx)
    for table in TABLES:
        assert_rows_equal(scan_rows(cat, ns, table), exp[table], table, " (pyiceberg scan)")
        assert_rows_equal(read_rows_duckdb(None, table, con, source=f'cat.{ns}."{table}"'), exp[table], table,
                          " (DuckDB ATTACH TYPE iceberg)")
        t, snaps, entries = assert_table_consistent(cat, ns, table)
        assert len(snaps) == 3
        check_file_stats(fx, t, entries)
        for e in entries:
            assert e["status"] == 1 and e["data_file"]["content"] == 0
            path = e["data_file"]["file_path"]
            assert path.startswith(t.metadata.location + "/data/Timestamp_day="), path
            m = re.search(rf"/data/Timestamp_day=(\d{{4}}-\d\d-\d\d)/{UUID7}\.parquet$", path)
            assert m, path
            days = {day_of(r * 1000) for r in open_data_file(fx, path).read(columns=["Timestamp"])
                    .column("Timestamp").cast("int64").to_pylist()}
            assert days == {datetime.date.fromisoformat(m[1])}, (path, days)
            assert e["data_file"]["partition"]["Timestamp_day"] == datetime.date.fromisoformat(m[1])


def test_one_day_filter_plans_only_that_days_files(warehouse, tmp_path):
    from pyiceberg.expressions import And, GreaterThanOrEqual, LessThan
    fx, ns = warehouse, fresh_ns()
    reqs = [shifted_logs(60, k, k) for k in range(4)]
    for k, r in enumerate(reqs):
        convert(tmp_path, fx, ns, [r], f"d{k}")
    cat = catalog(fx)
    t = cat.load_table(f"{ns}.logs")
    day = day_of(BASE_NS + 2 * DAY_NS)
    lo = datetime.datetime.combine(day, datetime.time(), datetime.timezone.utc)
    hi = lo + datetime.timedelta(days=1)
    f = And(GreaterThanOrEqual("Timestamp", lo.isoformat()), LessThan("Timestamp", hi.isoformat()))
    planned = [task.file.file_path for task in t.scan(row_filter=f).plan_files()]
    all_files = [task.file.file_path for task in t.scan().plan_files()]
    assert planned and len(planned) < len(all_files)
    assert all(f"/Timestamp_day={day.isoformat()}/" in p for p in planned), planned
    exp = [r for r in merge_expected(reqs)["logs"]
           if r["Timestamp"] is not None and lo.timestamp() * 10**6 <= r["Timestamp"] < hi.timestamp() * 10**6]
    assert exp
    assert_rows_equal(scan_rows(cat, ns, "logs", f), exp, "logs", " (one day)")
    con = duckdb_attach(fx)
    sql = (f"SELECT count(*) FROM cat.{ns}.logs WHERE \"Timestamp\" >= '{lo.isoformat()}'::TIMESTAMPTZ "
           f"AND \"Timestamp\" < '{hi.isoformat()}'::TIMESTAMPTZ")
    duck_planned = duckdb_planned_files(con, sql)
    assert duck_planned and all(f"/Timestamp_day={day.isoformat()}/" in p for p in duck_planned), duck_planned
    assert con.execute(sql).fetchone()[0] == len(exp)


def snapshot_count(cat, ns, table="logs"):
    """Snapshots of the table; 0 while it does not exist yet."""
    from pyiceberg.exceptions import NoSuchTableError
    try:
        return len(cat.load_table(f"{ns}.{table}").metadata.snapshots)
    except NoSuchTableError:
        return 0


def test_server_commits_each_flush(warehouse, start_server):
    import random
    fx, ns = warehouse, fresh_ns()
    s = start_server(**iceberg_env(fx, ns, **FAST_FLUSH))
    sent = []
    cat = catalog(fx)
    for k in range(3):
        req = shifted_logs(50, 100 + k, 0)
        assert s.post("/v1/logs", req.SerializeToString()).status == 200
        sent.append(req)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and snapshot_count(cat, ns) != k + 1:
            time.sleep(0.2)
        assert snapshot_count(cat, ns) == k + 1, s.output()[-3000:]
    tr = build_traces_request(30, random.Random(5))
    assert s.post("/v1/traces", tr.SerializeToString()).status == 200
    assert s.stop() == 0, s.output()[-3000:]
    out = s.output()
    assert "Successfully committed to catalog table 'logs'" in out
    exp = merge_expected(sent + [tr])
    assert_rows_equal(scan_rows(cat, ns, "logs"), exp["logs"], "logs", " (server, pyiceberg)")
    assert_rows_equal(scan_rows(cat, ns, "traces"), exp["traces"], "traces", " (server, pyiceberg)")
    assert_table_consistent(cat, ns, "logs")
    # nothing under the plain-Parquet root
    assert not s.parquet_files()


def test_iceberg_disabled_writes_plain_parquet(iceberg_rest, tmp_path):
    fx, ns = iceberg_rest, fresh_ns()
    inputs = write_inputs(tmp_path, "plain", [shifted_logs(20, 1, 0)])
    out = tmp_path / "plain-out"
    r = run_bin(["convert", "-o", str(out)] + inputs,
                **iceberg_env(fx, ns, OTLP2PARQUET_ICEBERG_ENABLED="false"))
    assert r.returncode == 0, r.stderr
    files = list(out.glob("logs/service=*/year=*/month=*/day=*/hour=*/*.parquet"))
    assert files
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError
    with pytest.raises((NoSuchNamespaceError, NoSuchTableError)):
        catalog(fx).load_table(f"{ns}.logs")


def gated_commit(tmp_path, fx, base_uri, env, seen_ok, gate):
    """convert through a stand-in catalog at base_uri: every table committed, every request the
    stand-in saw passed its check (seen_ok counts those), the rows read back directly."""
    import random
    ns = fresh_ns()
    tmp_path.mkdir(parents=True, exist_ok=True)
    reqs = [shifted_logs(30, 3, 0), build_traces_request(10, random.Random(4))]
    inputs = write_inputs(tmp_path, "gated", reqs)
    e = iceberg_env(fx, ns, **env)
    e["OTLP2PARQUET_ICEBERG_REST_URI"] = base_uri
    r = run_bin(["convert", "-o", str(tmp_path / "unused")] + inputs, **e)
    assert r.returncode == 0, r.stderr
    for table in ("logs", "traces"):
        assert f"Successfully committed to catalog table '{table}'" in r.stderr, r.stderr[-3000:]
    assert len(gate.seen) >= 6 and len(seen_ok) == len(gate.seen), (gate.seen, len(seen_ok))
    exp = merge_expected(reqs)
    cat = catalog(fx)
    for table in ("logs", "traces"):
        assert_rows_equal(scan_rows(cat, ns, table), exp[table], table, " (through the stand-in)")
    return r


def test_commit_through_the_glue_stand_in_every_request_signed(iceberg_rest, tmp_path):
    from catalog_standins import glue_env, glue_stand_in
    ok = []
    g = glue_stand_in(iceberg_rest, deny=lambda h, path: ok.append(path))
    try:
        r = gated_commit(tmp_path, iceberg_rest, f"http://127.0.0.1:{g.port}/iceberg", glue_env(), ok, g)
        assert any(m == "POST" and "/tables/logs" in p for m, p in g.seen)  # the commit itself went through it
        assert "wJalrXUtnFEMI" not in r.stderr
    finally:
        g.close()


def test_commit_through_bearer_and_oauth2_gates(iceberg_rest, tmp_path):
    from urllib.parse import parse_qs, urlsplit
    from catalog_standins import Gate, fixture_port, unauthorized
    ok = []

    def bearer(h, body):
        if h.headers.get("Authorization") != "Bearer t0ken":
            return unauthorized("no bearer")
        ok.append(h.path)
        return None

    g = Gate(fixture_port(iceberg_rest), bearer)
    try:
        gated_commit(tmp_path / "b", iceberg_rest, f"http://127.0.0.1:{g.port}", {"OTLP2PARQUET_ICEBERG_TOKEN": "t0ken"},
                     ok, g)
    finally:
        g.close()
    ok.clear()
    issued = []

    def oauth2(h, body):
        if urlsplit(h.path).path == "/v1/oauth/tokens":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("client_id") != "otel" or form.get("client_secret") != "s3cret":
                return 401, {"error": "invalid_client"}
            issued.append(f"tok-{len(issued)}")
            ok.append(h.path)
            return 200, {"access_token": issued[-1], "token_type": "bearer", "expires_in": 3600}
        if h.headers.get("Authorization", "")[7:] not in issued:
            return unauthorized("token required")
        ok.append(h.path)
        return None

    g = Gate(fixture_port(iceberg_rest), oauth2)
    try:
        gated_commit(tmp_path / "o", iceberg_rest, f"http://127.0.0.1:{g.port}",
                     {"OTLP2PARQUET_ICEBERG_CREDENTIAL": "otel:s3cret"}, ok, g)
        assert issued == ["tok-0"]
    finally:
        g.close()


def test_fastavro_reads_the_committed_manifests_with_the_spec_field_ids(warehouse, tmp_path):
    """Every manifest list and manifest the commits wrote, read with fastavro: the Avro schemas
    carry the spec's field ids, the metadata keys are there, and the records agree with the
    catalog's snapshots."""
    import fastavro
    from test_iceberg_manifest import ENTRY_IDS, LIST_IDS, avro_ids
    fx, ns = warehouse, fresh_ns()
    for k in range(2):
        convert(tmp_path, fx, ns, [shifted_logs(30, 60 + k, k)], f"fa{k}")
    t = catalog(fx).load_table(f"{ns}.logs")
    snaps = sorted(t.metadata.snapshots, key=lambda s: s.sequence_number)
    for s in snaps:
        with t.io.new_input(s.manifest_list).open() as f:
            r = fastavro.reader(f)
            ids = avro_ids(r.writer_schema)
            assert all(ids.get(k) == v for k, v in LIST_IDS.items()), ids
            meta = r.metadata
            assert meta["format-version"] == "2" and meta["snapshot-id"] == str(s.snapshot_id)
            assert meta["sequence-number"] == str(s.sequence_number)
            lists = list(r)
        assert len(lists) == s.sequence_number
        assert lists[0]["added_snapshot_id"] == s.snapshot_id and lists[0]["sequence_number"] == s.sequence_number
        for m in lists:
            with t.io.new_input(m["manifest_path"]).open() as f:
                mr = fastavro.reader(f)
                ids = avro_ids(mr.writer_schema)
                assert all(ids.get(k) == v for k, v in ENTRY_IDS.items() if k != "data_file.partition"), ids
                assert ids["data_file.partition.Timestamp_day"] == 1000
                md = mr.metadata
                assert md["format-version"] == "2" and md["content"] == "data" and md["partition-spec-id"] == "0"
                assert json.loads(md["schema"])["fields"][0]["name"] == "Timestamp"
                assert json.loads(md["partition-spec"]) == [{"name": "Timestamp_day", "transform": "day",
                                                             "source-id": 1, "field-id": 1000}]
                entries = list(mr)
            # ADDED by the manifest's snapshot; sequence numbers null: inherited from the list
            assert entries and all(e["status"] == 1 and e["snapshot_id"] == m["added_snapshot_id"] and
                                   e["sequence_number"] is None for e in entries)
