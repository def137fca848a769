"""Readers of Iceberg tables behind an IcebergRestFixture (conftest.py), for the Iceberg end-to-end
tests: pyiceberg through the REST catalog, and DuckDB's iceberg extension (from the
duckdb-extension-iceberg / -avro / -httpfs wheels, loaded from their files: nothing is downloaded),
either through the REST catalog (ATTACH ... (TYPE iceberg)) or straight from a metadata file
(iceberg_scan). Plus the files a filtered query plans, as each reader sees them.

What works where (DuckDB 1.5.5, fixture iceberg-open-api 1.10.1):
- file: warehouse: ATTACH through the REST catalog reads the local `file:/...` paths, and so does
  iceberg_scan('<metadata location>') (with or without the `file:` scheme).
- S3 warehouse on versitygw: ATTACH needs ACCESS_DELEGATION_MODE 'none' and an S3 secret with the
  gateway's endpoint. The fixture's vended `config` holds the keys only (no endpoint, no region),
  so the default vended_credentials mode fails ("No region was provided via the vended
  credentials"; with a region it would go to s3.amazonaws.com). iceberg_scan works with the secret.
- DuckDB's TIMESTAMPTZ to Python needs pytz: rows are fetched as Arrow instead (duckdb_rows).
"""

import datetime
import glob
import json
import os

UTC = datetime.timezone.utc


# ---------------------------------------------------------------------------------------- pyiceberg

def pyiceberg_catalog(fx, name="fixture", **props):
    """pyiceberg's RestCatalog on fixture fx (an IcebergRestFixture): uri, warehouse, and for an S3
    warehouse s3.endpoint / s3.access-key-id / s3.secret-access-key / s3.region /
    s3.path-style-access of its gateway. props override or add catalog properties."""
    from pyiceberg.catalog import load_catalog
    p = {"type": "rest", "uri": fx.uri, "warehouse": fx.warehouse}
    p.update(fx.client_properties())
    p.update(props)
    return load_catalog(name, **p)


def pyiceberg_rows(table, row_filter=None, order_by=None):
    """Every row of a pyiceberg Table (optionally filtered: a pyiceberg expression or a filter
    string) as a list of dicts, sorted by the order_by columns (default: all, in schema order)."""
    scan = table.scan(row_filter=row_filter) if row_filter is not None else table.scan()
    return sort_rows(scan.to_arrow().to_pylist(), order_by)


def pyiceberg_planned_files(table, row_filter):
    """The data files pyiceberg plans for a filtered scan (partition and metrics pruning), sorted."""
    return sorted(task.file.file_path for task in table.scan(row_filter=row_filter).plan_files())


def snapshot_history(table):
    """[(snapshot id, parent id, sequence number, operation, summary dict)] of a pyiceberg Table,
    in the order of its snapshot log (oldest first)."""
    meta = table.metadata
    by_id = {s.snapshot_id: s for s in meta.snapshots}
    out = []
    for entry in meta.snapshot_log:
        s = by_id[entry.snapshot_id]
        summary = s.summary.additional_properties if s.summary is not None else {}
        op = s.summary.operation.value if s.summary is not None else None
        out.append((s.snapshot_id, s.parent_snapshot_id, s.sequence_number, op, dict(summary)))
    return out


# ------------------------------------------------------------------------------------------- DuckDB

DUCKDB_EXTENSIONS = (("duckdb_extension_httpfs", "httpfs"), ("duckdb_extension_avro", "avro"),
                     ("duckdb_extension_iceberg", "iceberg"))


def _extension_file(package, name):
    mod = __import__(package)
    found = glob.glob(os.path.join(os.path.dirname(mod.__file__), "extensions", "v*", name + ".duckdb_extension"))
    assert found, f"{name}.duckdb_extension not found in the {package} package (tests/requirements.txt)"
    return found[0]


def duckdb_connect(s3=None):
    """A DuckDB connection with httpfs, avro and iceberg loaded from their wheels (no autoload, no
    download); with s3 (an S3Gateway) also a secret for that gateway (path style, plain http)."""
    import duckdb
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for package, name in DUCKDB_EXTENSIONS:
        con.execute(f"LOAD '{_extension_file(package, name)}'")
    if s3 is not None:
        con.execute(f"""CREATE SECRET gw (TYPE s3, KEY_ID '{s3.access_key}', SECRET '{s3.secret_key}',
                        ENDPOINT '127.0.0.1:{s3.port}', URL_STYLE 'path', USE_SSL false, REGION '{s3.region}')""")
    return con


def duckdb_attach(fx, alias="cat", con=None):
    """A DuckDB connection (con, or a new duckdb_connect) with fixture fx's REST catalog attached as
    alias: `ATTACH '<warehouse>' AS alias (TYPE iceberg, ENDPOINT '<uri>', AUTHORIZATION_TYPE 'none')`,
    for an S3 warehouse with ACCESS_DELEGATION_MODE 'none' and the gateway's S3 secret (the
    fixture vends no endpoint). Tables are then alias.<namespace>.<table>."""
    if con is None:
        con = duckdb_connect(s3=fx.s3)
    opts = f"TYPE iceberg, ENDPOINT '{fx.uri}', AUTHORIZATION_TYPE 'none'"
    if fx.s3 is not None:
        opts += ", ACCESS_DELEGATION_MODE 'none'"
    con.execute(f"ATTACH '{fx.warehouse}' AS {alias} ({opts})")
    return con


def duckdb_rows(con, sql, params=None, order_by=None):
    """The rows of a query as a list of dicts (through Arrow: TIMESTAMPTZ arrives as an aware
    datetime without pytz), sorted like pyiceberg_rows."""
    rel = con.execute(sql, params) if params is not None else con.execute(sql)
    return sort_rows(rel.to_arrow_table().to_pylist(), order_by)


def duckdb_scan_sql(metadata_location):
    """FROM-clause text that reads one table version straight from its metadata file."""
    return f"iceberg_scan('{metadata_location}')"


def duckdb_planned_files(con, sql):
    """The data files DuckDB's iceberg scan(s) of a query read, from EXPLAIN (ANALYZE, FORMAT JSON)
    ("Filename(s)" of every ICEBERG_SCAN operator), sorted; checks they add up to its
    "Total Files Read"."""
    plan = json.loads(con.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql).fetchall()[0][1])
    files, total, scans = [], 0, 0

    def walk(node):
        nonlocal total, scans
        info = node.get("extra_info") or {}
        if node.get("operator_name") == "ICEBERG_SCAN" or info.get("Function") == "ICEBERG_SCAN":
            scans += 1
            total += int(info.get("Total Files Read", 0))
            names = info.get("Filename(s)", "")
            if isinstance(names, list):
                files.extend(names)
            else:
                files.extend(n.strip() for n in names.replace(",", "\n").splitlines() if n.strip())
        for child in node.get("children", []):
            walk(child)

    walk(plan)
    assert scans, f"no ICEBERG_SCAN in the plan of {sql}"
    assert len(files) == total, f"Filename(s) {files} vs Total Files Read {total}"
    return sorted(files)


# ------------------------------------------------------------------------------------------ filters

def day_bounds(day):
    """[start, end) of a UTC day (a datetime.date) as aware datetimes."""
    start = datetime.datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + datetime.timedelta(days=1)


def day_filter(column, day):
    """(pyiceberg expression, SQL predicate) for `column >= day 00:00 UTC AND column < next day`."""
    from pyiceberg.expressions import And, GreaterThanOrEqual, LessThan
    start, end = day_bounds(day)
    expr = And(GreaterThanOrEqual(column, start.isoformat()), LessThan(column, end.isoformat()))
    sql = (f'"{column}" >= TIMESTAMPTZ \'{start.strftime("%Y-%m-%d %H:%M:%S")}+00\' '
           f'AND "{column}" < TIMESTAMPTZ \'{end.strftime("%Y-%m-%d %H:%M:%S")}+00\'')
    return expr, sql


def sort_rows(rows, order_by=None):
    if not rows:
        return rows
    cols = list(order_by) if order_by else list(rows[0].keys())
    return sorted(rows, key=lambda r: tuple((r[c] is None, r[c] if r[c] is not None else 0) for c in cols))


def same_file(a, b):
    """Whether two data-file locations name the same file (file:/x, file:///x and /x alike)."""
    def norm(p):
        for pre in ("file://", "file:"):
            if p.startswith(pre):
                return p[len(pre):]
        return p
    return norm(a) == norm(b)
