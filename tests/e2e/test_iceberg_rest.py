"""The Iceberg REST catalog client (src/iceberg/rest.c, through build/tools/iceberg_rest) against
Apache Iceberg's REST fixture: namespaces, every table created with our schema, partition spec,
sort order and properties (checked with pyiceberg against the ids of tests/tools/schema_dump),
idempotent creation, commits and the 409 conflict path, the catalog's error envelope in our
messages; and the three auth modes through the loopback stand-ins of catalog_standins.py: a
bearer-token gate, an OAuth2 client-credentials gate, and a Glue stand-in that checks every
request's SigV4 with botocore."""

import json
import os
import subprocess
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from catalog_standins import GLUE_PREFIX, Gate, fixture_port, glue_env, glue_stand_in, unauthorized
from conftest import TOOLS, assert_no_sanitizer_report, clean_env

TOOL = os.path.join(TOOLS, "iceberg_rest")
DUMP = os.path.join(TOOLS, "schema_dump")
TABLES = ["logs", "traces", "metrics_gauge", "metrics_sum", "metrics_histogram",
          "metrics_exponential_histogram", "metrics_summary"]


def run_tool(uri, args, **env):
    e = clean_env(OTLP2PARQUET_ICEBERG_REST_URI=uri, **env)
    p = subprocess.run([TOOL] + args, env=e, capture_output=True, text=True, timeout=120)
    assert_no_sanitizer_report(p.stdout + p.stderr)
    out = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, out, p.stderr


def unique_ns():
    return "t_" + uuid.uuid4().hex[:10]


def expected_fields():
    """{table: [(dotted path, id, type, required)]} from schema_dump, the code's constants."""
    rows = {}
    for line in subprocess.run([DUMP], capture_output=True, text=True, check=True).stdout.splitlines():
        t, name, rep, typ, nch, fid = line.split("\t")
        rows.setdefault(t, []).append((name, rep, typ, int(nch), int(fid)))
    out = {}
    for t, elems in rows.items():
        flat, pos = [], [0]

        def walk(prefix):
            name, rep, typ, nch, fid = elems[pos[0]]
            pos[0] += 1
            path = prefix + name
            if fid >= 0:
                flat.append((path, fid, typ, rep == "required"))
            for _ in range(nch):
                walk(path + ".")

        while pos[0] < len(elems):
            walk("")
        out[t] = flat
    return out


def pyiceberg_fields(schema):
    from pyiceberg.types import ListType, MapType, StructType
    flat = []

    def typ(t):
        if isinstance(t, ListType):
            return "list"
        if isinstance(t, MapType):
            return "map"
        if isinstance(t, StructType):
            return "struct"
        return str(t)

    def walk_type(path, t):
        if isinstance(t, StructType):
            for f in t.fields:
                flat.append((path + f.name, f.field_id, typ(f.field_type), f.required))
                walk_type(path + f.name + ".", f.field_type)
        elif isinstance(t, ListType):
            flat.append((path + "list.element", t.element_id, typ(t.element_type), t.element_required))
            walk_type(path + "list.element.", t.element_type)
        elif isinstance(t, MapType):
            flat.append((path + "key_value.key", t.key_id, typ(t.key_type), True))
            walk_type(path + "key_value.key.", t.key_type)
            flat.append((path + "key_value.value", t.value_id, typ(t.value_type), t.value_required))
            walk_type(path + "key_value.value.", t.value_type)

    walk_type("", schema.as_struct())
    return flat


def catalog(fx):
    from pyiceberg.catalog import load_catalog
    return load_catalog("fixture", type="rest", uri=fx.uri, warehouse=fx.warehouse)


def test_every_table_created_as_intended(iceberg_rest):
    ns = unique_ns()
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "all"])
    assert rc == 0, err
    assert sorted(out["tables"]) == sorted(TABLES)
    want = expected_fields()
    cat = catalog(iceberg_rest)
    for t in TABLES:
        mine = out["tables"][t]
        assert mine["created"] is True
        assert mine["format-version"] == 2
        assert mine["current-snapshot-id"] is None
        assert mine["location"].startswith(iceberg_rest.warehouse)
        assert mine["partition-fields"] == [{"source-id": 1, "field-id": 1000, "name": "Timestamp_day", "transform": "day"}]
        tbl = cat.load_table((ns, t))
        assert tbl.metadata.format_version == 2
        assert str(tbl.metadata.table_uuid) == mine["table-uuid"]
        assert pyiceberg_fields(tbl.schema()) == want[t], t
        assert tbl.schema().highest_field_id == max(f[1] for f in want[t])
        spec = tbl.spec()
        assert [(f.source_id, f.field_id, f.name, str(f.transform)) for f in spec.fields] == [(1, 1000, "Timestamp_day", "day")]
        so = tbl.sort_order()
        svc = tbl.schema().find_field("ServiceName").field_id
        assert so.order_id == mine["default-sort-order-id"] == 1
        assert [(f.source_id, str(f.transform), f.direction.value, f.null_order.value) for f in so.fields] == [
            (svc, "identity", "asc", "nulls-first"), (1, "identity", "asc", "nulls-first")]
        assert tbl.properties.get("write.format.default") == "parquet"
        assert tbl.properties.get("write.parquet.compression-codec") == "zstd"

    # again: nothing new, the same tables
    rc, again, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "all"])
    assert rc == 0, err
    for t in TABLES:
        assert again["tables"][t]["created"] is False
        assert again["tables"][t]["table-uuid"] == out["tables"][t]["table-uuid"]


def test_partition_combinations(iceberg_rest):
    ns = unique_ns()
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "traces"],
                            OTLP2PARQUET_ICEBERG_PARTITION="hour(Timestamp), identity(ServiceName)")
    assert rc == 0, err
    assert out["tables"]["traces"]["partition-fields"] == [
        {"source-id": 1, "field-id": 1000, "name": "Timestamp_hour", "transform": "hour"},
        {"source-id": 8, "field-id": 1001, "name": "ServiceName", "transform": "identity"}]
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs"], OTLP2PARQUET_ICEBERG_PARTITION="week(Timestamp)")
    assert rc == 1 and "unknown transform 'week'" in err


def test_two_level_namespace_with_odd_characters(iceberg_rest):
    parts = ["otel " + uuid.uuid4().hex[:6], "a/b%c?d#é"]
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", parts[0], "--ns", parts[1], "--table", "logs"])
    assert rc == 0, err
    cat = catalog(iceberg_rest)
    tbl = cat.load_table((parts[0], parts[1], "logs"))
    assert str(tbl.metadata.table_uuid) == out["tables"]["logs"]["table-uuid"]
    # dotted ICEBERG_NAMESPACE is split into levels
    rc, out2, err = run_tool(iceberg_rest.uri, ["--table", "logs"], OTLP2PARQUET_ICEBERG_NAMESPACE=unique_ns() + ".inner")
    assert rc == 0, err


def test_commit_and_conflict(iceberg_rest, tmp_path):
    ns = unique_ns()
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs", "--commit", "file:/nowhere/ml-1.avro",
                                               "--snapshot-id", "1234567890123"])
    assert rc == 0, err
    t = out["commit"]["table"]
    assert (t["current-snapshot-id"], t["main-snapshot-id"], t["manifest-list"], t["last-sequence-number"],
            t["snapshot-sequence-number"]) == (1234567890123, 1234567890123, "file:/nowhere/ml-1.avro", 1, 1)
    # a stale assert-ref-snapshot-id (null: "main does not exist yet") is the 409 path
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs", "--commit", "file:/nowhere/ml-2.avro",
                                               "--snapshot-id", "222", "--assert-snapshot-id", "none"])
    assert rc == 3, err
    assert out["commit"]["result"] == "conflict"
    assert "HTTP 409 CommitFailedException" in err and "branch main was created concurrently" in err
    # the table is unchanged
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs", "--load-only"])
    assert out["tables"]["logs"]["current-snapshot-id"] == 1234567890123
    # a wrong table uuid: the catalog's message reaches our error
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs", "--commit", "file:/nowhere/ml-3.avro",
                                               "--snapshot-id", "333", "--table-uuid", "00000000-0000-0000-0000-000000000000"])
    assert rc == 3 and "UUID does not match" in err, err
    # a second snapshot on top of the first: the table lists both, the new one's parent the old
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs", "--commit", "file:/nowhere/ml-4.avro",
                                               "--snapshot-id", "444"])
    assert rc == 0, err
    snaps = {s["snapshot-id"]: s for s in out["commit"]["table"]["snapshots"]}
    assert set(snaps) == {1234567890123, 444}
    first, second = snaps[1234567890123], snaps[444]
    assert (first["parent-snapshot-id"], first["sequence-number"], first["manifest-list"]) == (None, 1, "file:/nowhere/ml-1.avro")
    assert (second["parent-snapshot-id"], second["sequence-number"], second["manifest-list"]) == (
        1234567890123, 2, "file:/nowhere/ml-4.avro")
    assert second["timestamp-ms"] >= first["timestamp-ms"] > 0 and first["found"] and second["found"]
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs", "--load-only"])
    assert rc == 0, err
    assert out["tables"]["logs"]["snapshots"] == list(snaps.values())


def test_error_envelope_in_message(iceberg_rest):
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", unique_ns(), "--table", "logs", "--load-only"])
    assert rc == 1
    assert "HTTP 404 NoSuchTableException: Table does not exist" in err, err
    # a bad request: a sequence number not above the table's
    ns = unique_ns()
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs", "--commit", "file:/x/ml.avro",
                                               "--snapshot-id", "5"])
    assert rc == 0, err
    rc, out, err = run_tool(iceberg_rest.uri, ["--ns", ns, "--table", "logs", "--commit", "file:/x/ml2.avro",
                                               "--snapshot-id", "6", "--sequence-number", "1"])
    assert rc == 1, err
    assert out["commit"]["result"] == "failed"
    assert ("HTTP 400 ValidationException: Cannot add snapshot with sequence number 1 older than last sequence "
            "number 1") in err, err


# ---- auth stand-ins ----

def test_bearer_token(iceberg_rest):
    def check(h, body):
        if h.headers.get("Authorization") != "Bearer s3cr3t-token":
            return unauthorized("no bearer")
        return None

    g = Gate(fixture_port(iceberg_rest), check)
    try:
        rc, out, err = run_tool(f"http://127.0.0.1:{g.port}", ["--ns", unique_ns(), "--table", "logs"],
                                OTLP2PARQUET_ICEBERG_TOKEN="s3cr3t-token")
        assert rc == 0, err
        assert out["catalog"]["auth"] == "bearer"
        assert len(g.seen) >= 3
        rc, out, err = run_tool(f"http://127.0.0.1:{g.port}", ["--table", "logs"], OTLP2PARQUET_ICEBERG_TOKEN="wrong")
        assert rc == 1 and "HTTP 401 NotAuthorizedException: no bearer" in err
        assert "wrong" not in err
    finally:
        g.close()


def test_oauth2_client_credentials(iceberg_rest):
    issued = []

    def check(h, body):
        if urlsplit(h.path).path == "/v1/oauth/tokens":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if h.command != "POST" or form != {"grant_type": "client_credentials", "client_id": "otel",
                                               "client_secret": "p@ss:w/rd", "scope": "catalog"}:
                return 401, {"error": "invalid_client", "error_description": "bad client credentials"}
            tok = f"tok-{len(issued)}"
            issued.append(tok)
            return 200, {"access_token": tok, "token_type": "bearer", "expires_in": 3600,
                         "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in issued:
            return unauthorized("token required")
        return None

    g = Gate(fixture_port(iceberg_rest), check)
    try:
        rc, out, err = run_tool(f"http://127.0.0.1:{g.port}", ["--ns", unique_ns(), "--table", "logs", "--table", "traces"],
                                OTLP2PARQUET_ICEBERG_CREDENTIAL="otel:p@ss:w/rd")
        assert rc == 0, err
        assert out["catalog"]["auth"] == "oauth2"
        assert issued == ["tok-0"]  # cached for every later request
        assert sum(1 for m, p in g.seen if p.startswith("/v1/oauth/tokens")) == 1
        assert len(g.seen) >= 5
        rc, out, err = run_tool(f"http://127.0.0.1:{g.port}", ["--table", "logs"], OTLP2PARQUET_ICEBERG_CREDENTIAL="otel:nope")
        assert rc == 1 and "HTTP 401: bad client credentials" in err, err
        assert "nope" not in err
    finally:
        g.close()


def test_sigv4_glue_stand_in(iceberg_rest):
    g = glue_stand_in(iceberg_rest)
    env = glue_env()
    try:
        ns = [unique_ns(), "odd name/%"]
        rc, out, err = run_tool(f"http://127.0.0.1:{g.port}/iceberg", ["--ns", ns[0], "--ns", ns[1], "--table", "logs",
                                                                      "--commit", "file:/x/ml.avro", "--snapshot-id", "77"], **env)
        assert rc == 0, err
        assert out["catalog"]["prefix"] == GLUE_PREFIX
        assert out["catalog"]["auth"] == "sigv4 glue us-east-1"
        assert out["commit"]["table"]["current-snapshot-id"] == 77
        assert len(g.seen) >= 4
        env["AWS_SECRET_ACCESS_KEY"] = "wrong"
        rc, out, err = run_tool(f"http://127.0.0.1:{g.port}/iceberg", ["--table", "logs"], **env)
        assert rc == 1 and "HTTP 403 AccessDeniedException: signature mismatch" in err, err
    finally:
        g.close()


def test_oauth2_token_revoked_is_fetched_again(iceberg_rest):
    """A 401 under OAuth2 drops the cached token; the request is retried once with a new one."""
    issued, revoked, calls = [], set(), [0]

    def check(h, body):
        if urlsplit(h.path).path == "/v1/oauth/tokens":
            tok = f"tok-{len(issued)}"
            issued.append(tok)
            return 200, {"access_token": tok, "token_type": "bearer", "expires_in": 3600}
        calls[0] += 1
        if calls[0] == 3:
            revoked.add(issued[-1])
        auth = h.headers.get("Authorization", "")
        if auth[7:] not in issued or auth[7:] in revoked:
            return unauthorized("token expired")
        return None

    g = Gate(fixture_port(iceberg_rest), check)
    try:
        rc, out, err = run_tool(f"http://127.0.0.1:{g.port}", ["--ns", unique_ns(), "--table", "logs", "--table", "traces"],
                                OTLP2PARQUET_ICEBERG_CREDENTIAL="otel:secret", OTLP2PARQUET_ICEBERG_SCOPE="PRINCIPAL_ROLE:ALL")
        assert rc == 0, err
        assert issued == ["tok-0", "tok-1"]
    finally:
        g.close()
