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

File statistics (file_stats_mismatches) compare inspect.files with the Parquet footers; pyiceberg
(like Java) writes no bounds for leaves inside maps and lists, so require_all=True is stricter
than pyiceberg itself is for such tables.
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


# ------------------------------------------------------------------------------ file statistics

def open_data_file(fx, path):
    """A pyarrow.parquet.ParquetFile of a data file of fixture fx's warehouse (file: or s3://)."""
    import pyarrow.parquet as pq
    if path.startswith("s3://"):
        return pq.ParquetFile(fx.s3.pyarrow_fs().open_input_file(path[len("s3://"):]))
    for pre in ("file://", "file:"):
        if path.startswith(pre):
            path = path[len(pre):]
            break
    return pq.ParquetFile(path)


def data_file_size(fx, path):
    if path.startswith("s3://"):
        return fx.s3.pyarrow_fs().get_file_info(path[len("s3://"):]).size
    for pre in ("file://", "file:"):
        if path.startswith(pre):
            path = path[len(pre):]
            break
    return os.path.getsize(path)


def leaf_field_ids(arrow_schema):
    """The Iceberg field id (PARQUET:field_id) of every leaf column, in column-chunk order
    (None where a leaf has no id)."""
    import pyarrow as pa

    def fid(field):
        md = field.metadata or {}
        v = md.get(b"PARQUET:field_id")
        return int(v) if v is not None else None

    out = []

    def walk(field):
        t = field.type
        if pa.types.is_struct(t):
            for i in range(t.num_fields):
                walk(t.field(i))
        elif pa.types.is_map(t):
            walk(t.key_field)
            walk(t.item_field)
        elif pa.types.is_list(t) or pa.types.is_large_list(t):
            walk(t.value_field)
        else:
            out.append(fid(field))

    for f in arrow_schema:
        walk(f)
    return out


def footer_stats(pf):
    """{field id: {"values", "nulls", "min", "max", "size"}} of a ParquetFile's leaf columns, summed
    over row groups (value counts include nulls, size is the compressed size of the column chunks;
    min/max None where no row group has statistics)."""
    md = pf.metadata
    ids = leaf_field_ids(pf.schema_arrow)
    out = {}
    for rg in range(md.num_row_groups):
        g = md.row_group(rg)
        for c in range(g.num_columns):
            col = g.column(c)
            st = col.statistics
            o = out.setdefault(ids[c], {"values": 0, "nulls": 0, "min": None, "max": None, "size": 0})
            o["values"] += col.num_values
            o["size"] += col.total_compressed_size
            if st is not None and st.has_null_count:
                o["nulls"] += st.null_count
            if st is not None and st.has_min_max:
                o["min"] = st.min if o["min"] is None else min(o["min"], st.min)
                o["max"] = st.max if o["max"] is None else max(o["max"], st.max)
    return out


def file_stats_mismatches(fx, table, require_all=False, files=None):
    """Compares every data file's manifest entry (inspect.files) with the file itself: record
    count, file size, per leaf column (by field id, nested ones included) value counts, null
    counts, column sizes (compressed chunk bytes), and that the lower/upper bounds (decoded from
    their single-value binary form with the schema's type) enclose the footer's min/max (bounds may
    be truncated: lower <= min, upper >= max). require_all: a leaf column without a value count,
    null count or column size, or with footer min/max but no bounds, is a problem too. Returns a
    list of messages, empty when everything matches. files: the entries to check (default
    table.inspect.files().to_pylist())."""
    from pyiceberg.conversions import from_bytes
    schema = table.schema()
    problems = []
    for f in (files if files is not None else table.inspect.files().to_pylist()):
        path = f["file_path"]
        pf = open_data_file(fx, path)
        if f["record_count"] != pf.metadata.num_rows:
            problems.append(f"{path}: record_count {f['record_count']} vs {pf.metadata.num_rows} rows")
        size = data_file_size(fx, path)
        if f["file_size_in_bytes"] != size:
            problems.append(f"{path}: file_size_in_bytes {f['file_size_in_bytes']} vs {size}")
        stats = footer_stats(pf)
        for key, want in (("value_counts", "values"), ("null_value_counts", "nulls"), ("column_sizes", "size")):
            got = dict(f[key] or [])
            for fid, st in stats.items():
                if fid not in got:
                    if require_all:
                        problems.append(f"{path}: no {key} for field {fid}")
                elif got[fid] != st[want]:
                    problems.append(f"{path}: {key}[{fid}] {got[fid]} vs {st[want]} in the footer")
        lowers, uppers = dict(f["lower_bounds"] or []), dict(f["upper_bounds"] or [])
        for fid, st in stats.items():
            if st["min"] is None:
                continue
            if fid not in lowers or fid not in uppers:
                if require_all:
                    problems.append(f"{path}: no lower/upper bound for field {fid}")
                continue
            typ = schema.find_type(fid)
            lo, hi = from_bytes(typ, lowers[fid]), from_bytes(typ, uppers[fid])
            mn, mx = _as_iceberg_value(typ, st["min"]), _as_iceberg_value(typ, st["max"])
            if lo > mn:
                problems.append(f"{path}: field {fid} lower bound {lo!r} > min {mn!r}")
            if hi < mx:
                problems.append(f"{path}: field {fid} upper bound {hi!r} < max {mx!r}")
    return problems


def _as_iceberg_value(typ, v):
    """A footer min/max (pyarrow's Python value) as pyiceberg's from_bytes gives it: timestamps as
    microseconds, dates as days, binary as bytes."""
    from pyiceberg.types import DateType, TimestampType, TimestamptzType
    if isinstance(typ, (TimestampType, TimestamptzType)) and isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        return (v - datetime.datetime(1970, 1, 1, tzinfo=UTC)) // datetime.timedelta(microseconds=1)
    if isinstance(typ, DateType) and isinstance(v, datetime.date):
        return (v - datetime.date(1970, 1, 1)).days
    return v
