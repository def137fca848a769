"""`otlp2parquet check`: writes a probe object, reads it back, deletes it and runs the readiness
probe, on a folder and on S3 (versitygw); a broken setup fails at the step that breaks, with
the storage's own error and a hint, and leaves nothing behind. With Iceberg enabled, the catalog
too, read-only: its config, the namespace, each table, against Apache's REST fixture, a wrong
URI, the Glue stand-in denying steps (IAM and Lake Formation hints) and a bearer-token gate."""

import contextlib
import json
import os
import subprocess
import urllib.request
import uuid

from catalog_standins import (GLUE_PREFIX, GLUE_WAREHOUSE, Gate, access_denied, fixture_port, glue_env, glue_stand_in,
                              unauthorized)
from conftest import TOOLS, clean_env, free_port, run_bin


def test_check_on_a_folder_passes_and_leaves_nothing(tmp_path):
    d = tmp_path / "data"
    p = run_bin(["check", "-o", str(d)])
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == f"storage {d}"
    assert [ln.split()[0] for ln in lines[1:]] == ["ok"] * 4, p.stdout
    assert "write" in lines[1] and "read it back" in lines[2] and "delete it" in lines[3]
    assert os.listdir(d) == []


def test_check_on_a_path_that_is_a_file_fails_naming_it(tmp_path):
    f = tmp_path / "data"
    f.write_text("a file where the data folder should be")
    p = run_bin(["check", "-o", str(f)])
    assert p.returncode == 1
    assert "storage" in p.stderr and str(f) in p.stderr, p.stderr


def test_check_on_s3_passes_and_leaves_nothing(s3_gateway):
    gw = s3_gateway
    p = run_bin(["check"], **gw.server_env(prefix="otel/check"))
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == f"storage s3://{gw.bucket}/otel/check"
    assert [ln.split()[0] for ln in lines[1:]] == ["ok"] * 4, p.stdout
    assert f"write s3://{gw.bucket}/otel/check/_otlp2parquet_check_" in lines[1]
    assert gw.keys() == []
    ops = gw.operations()
    assert "s3_PutObject" in ops and "s3_GetObject" in ops and "s3_DeleteObject" in ops


def test_check_with_a_wrong_secret_names_the_error_and_the_likely_cause(s3_gateway):
    gw = s3_gateway
    p = run_bin(["check"], **gw.server_env(prefix="p", secret_key="wrong" + gw.secret_key[5:]))
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert lines[1].startswith("  FAIL write s3://"), p.stdout
    assert "SignatureDoesNotMatch" in lines[1]
    assert lines[2].strip().startswith("hint: the secret key does not belong to the access key")
    assert len(lines) == 3  # nothing after a failed write
    assert gw.secret_key[5:] not in p.stdout + p.stderr


def test_check_with_a_missing_bucket_says_so(s3_gateway):
    gw = s3_gateway
    env = gw.server_env(prefix="p")
    env["OTLP2PARQUET_S3_BUCKET"] = "no-such-bucket"
    p = run_bin(["check"], **env)
    assert p.returncode == 1
    assert "NoSuchBucket" in p.stdout, p.stdout
    assert "hint: the bucket does not exist" in p.stdout


# ---- the Iceberg catalog ----

TABLES = ["logs", "traces", "metrics_gauge", "metrics_sum", "metrics_histogram",
          "metrics_exponential_histogram", "metrics_summary"]


def catalog_lines(p):
    """The lines from "catalog ..." on (after the storage steps, which passed)."""
    lines = p.stdout.splitlines()
    assert [ln.split()[0] for ln in lines[1:5]] == ["ok"] * 4, p.stdout
    return lines[5:]


@contextlib.contextmanager
def gate_uri(fx, check):
    """The URI of a Gate (catalog_standins) in front of fixture fx, closed afterwards."""
    g = Gate(fixture_port(fx), check)
    try:
        yield f"http://127.0.0.1:{g.port}"
    finally:
        g.close()


def check_catalog(tmp_path, uri, **env):
    return run_bin(["check", "-o", str(tmp_path / "data")], OTLP2PARQUET_ICEBERG_REST_URI=uri, **env)


def test_check_catalog_fresh_namespace_then_existing_table(iceberg_rest, tmp_path):
    ns = "t_" + uuid.uuid4().hex[:10]
    p = check_catalog(tmp_path, iceberg_rest.uri, OTLP2PARQUET_ICEBERG_NAMESPACE=ns)
    assert p.returncode == 0, p.stdout + p.stderr
    assert catalog_lines(p) == [
        f"catalog {iceberg_rest.uri}",
        "  ok   config (GET /v1/config): auth none, prefix (none)",
        f"  ok   namespace {ns} is not there yet: created on first use",
    ] + [f"  ok   table {t} is not there yet: created on first use" for t in TABLES]
    # read-only: nothing was created
    with urllib.request.urlopen(iceberg_rest.uri + "/v1/namespaces") as r:
        assert [ns] not in json.load(r)["namespaces"]

    # the namespace and one table there: both found, the others still to come
    tool = subprocess.run([os.path.join(TOOLS, "iceberg_rest"), "--ns", ns, "--table", "logs"], capture_output=True,
                          text=True, env=clean_env(OTLP2PARQUET_ICEBERG_REST_URI=iceberg_rest.uri), timeout=120)
    assert tool.returncode == 0, tool.stderr
    location = json.loads(tool.stdout)["tables"]["logs"]["location"]
    p = check_catalog(tmp_path, iceberg_rest.uri, OTLP2PARQUET_ICEBERG_NAMESPACE=ns)
    assert p.returncode == 0, p.stdout + p.stderr
    assert catalog_lines(p)[2:] == [
        f"  ok   namespace {ns} exists",
        f"  ok   table logs: format 2, current snapshot none, location {location}",
    ] + [f"  ok   table {t} is not there yet: created on first use" for t in TABLES[1:]]


def test_check_catalog_wrong_uri_says_nothing_answers(tmp_path):
    uri = f"http://127.0.0.1:{free_port()}"
    p = check_catalog(tmp_path, uri)
    assert p.returncode == 1
    lines = catalog_lines(p)
    assert lines[0] == f"catalog {uri}"
    assert lines[1].startswith("  FAIL config (GET /v1/config, auth none): iceberg GET /v1/config: HTTP GET to 127.0.0.1:"), p.stdout
    assert "Couldn't connect" in lines[1]
    assert lines[2] == f"       hint: nothing answers at {uri}: OTLP2PARQUET_ICEBERG_REST_URI is wrong or the catalog is down"
    assert len(lines) == 3  # nothing after a failed config


def test_check_catalog_glue_access_denied_names_the_permissions(iceberg_rest, tmp_path):
    ns = "t_" + uuid.uuid4().hex[:10]
    subprocess.run([os.path.join(TOOLS, "iceberg_rest"), "--ns", ns, "--table", "logs"], capture_output=True, check=True,
                   env=clean_env(OTLP2PARQUET_ICEBERG_REST_URI=iceberg_rest.uri), timeout=120)
    denied = {}

    def deny(h, path):
        for part, verdict in denied.items():
            if part in path:
                return verdict
        return None

    g = glue_stand_in(iceberg_rest, deny)
    uri = f"http://127.0.0.1:{g.port}/iceberg"
    env = glue_env(OTLP2PARQUET_ICEBERG_NAMESPACE=ns)
    try:
        # every table denied, with Glue's envelope that has no message
        denied["/tables/"] = access_denied()
        p = check_catalog(tmp_path, uri, **env)
        assert p.returncode == 1, p.stdout + p.stderr
        lines = catalog_lines(p)
        assert lines[:3] == [f"catalog {uri}",
                             f"  ok   config (GET /v1/config, warehouse {GLUE_WAREHOUSE}): auth sigv4 glue us-east-1, "
                             f"prefix {GLUE_PREFIX}",
                             f"  ok   namespace {ns} exists"], p.stdout
        # each table fails; the hint comes once, under the first
        assert lines[3:] == [
            f"  FAIL table {t}: iceberg GET /iceberg/v1/{GLUE_PREFIX}/namespaces/{ns}/tables/{t}: HTTP 403 AccessDeniedException"
            for t in TABLES[:1]] + [
            "       hint: allow glue:GetTable, glue:CreateTable and glue:UpdateTable on "
            f"arn:aws:glue:us-east-1:123456789012:table/s3tablescatalog/bucket/{ns}/* and lakeformation:GetDataAccess "
            f"on *; in Lake Formation grant SELECT, INSERT, ALTER and DESCRIBE on the tables of {ns}"] + [
            f"  FAIL table {t}: iceberg GET /iceberg/v1/{GLUE_PREFIX}/namespaces/{ns}/tables/{t}: HTTP 403 AccessDeniedException"
            for t in TABLES[1:]], p.stdout

        # Lake Formation denies the database
        denied.clear()
        denied["/namespaces/"] = access_denied(f"Insufficient Lake Formation permission(s): Required Describe on {ns}")
        p = check_catalog(tmp_path, uri, **env)
        assert p.returncode == 1
        assert catalog_lines(p)[2:] == [
            f"  FAIL namespace {ns}: iceberg GET /iceberg/v1/{GLUE_PREFIX}/namespaces/{ns}: HTTP 403 AccessDeniedException: "
            f"Insufficient Lake Formation permission(s): Required Describe on {ns}",
            "       hint: Lake Formation denies it: allow glue:GetDatabase and glue:CreateDatabase on "
            f"arn:aws:glue:us-east-1:123456789012:database/s3tablescatalog/bucket/{ns}; in Lake Formation grant DESCRIBE "
            f"and CREATE_TABLE on the database {ns}"], p.stdout

        # IAM denies the catalog, naming the action
        denied.clear()
        denied["/config"] = access_denied(
            "User: arn:aws:sts::123456789012:assumed-role/otel/i-0 is not authorized to perform: glue:GetCatalog on "
            "resource: arn:aws:glue:us-east-1:123456789012:catalog because no identity-based policy allows the "
            "glue:GetCatalog action")
        p = check_catalog(tmp_path, uri, **env)
        assert p.returncode == 1
        lines = catalog_lines(p)
        assert lines[1].startswith(f"  FAIL config (GET /v1/config, warehouse {GLUE_WAREHOUSE}, auth sigv4 glue us-east-1): "
                                   "iceberg GET /iceberg/v1/config: HTTP 403 AccessDeniedException: User: "), p.stdout
        assert lines[2:] == ["       hint: the principal's IAM policy does not allow glue:GetCatalog: add it "
                             "(docs/iceberg.md has the whole policy)"]

        # a wrong secret key
        denied.clear()
        p = check_catalog(tmp_path, uri, **dict(env, AWS_SECRET_ACCESS_KEY="wrong"))
        assert p.returncode == 1
        assert catalog_lines(p)[2] == ("       hint: the signature does not match: the secret key does not belong to the "
                                       "access key (AWS_SECRET_ACCESS_KEY or the profile), or the clock is off"), p.stdout
        assert "wrong" not in p.stdout.replace("wrong or", "")
    finally:
        g.close()


def test_check_catalog_bearer_401_and_403(iceberg_rest, tmp_path):
    forbidden = []

    def check(h, body):
        if h.headers.get("Authorization") != "Bearer s3cr3t-token":
            return unauthorized("bad token")
        if forbidden and "/namespaces/" in h.path:
            return 403, {"error": {"message": "principal otel may not read", "type": "ForbiddenException", "code": 403}}
        return None

    with gate_uri(iceberg_rest, check) as uri:
        p = check_catalog(tmp_path, uri, OTLP2PARQUET_ICEBERG_TOKEN="wrong-token")
        assert p.returncode == 1
        assert catalog_lines(p) == [
            f"catalog {uri}",
            "  FAIL config (GET /v1/config, auth bearer): iceberg GET /v1/config: HTTP 401 NotAuthorizedException: bad token",
            "       hint: the catalog rejected the token: OTLP2PARQUET_ICEBERG_TOKEN is invalid or has expired"], p.stdout
        assert "wrong-token" not in p.stdout + p.stderr

        forbidden.append(True)
        p = check_catalog(tmp_path, uri, OTLP2PARQUET_ICEBERG_TOKEN="s3cr3t-token")
        assert p.returncode == 1
        assert catalog_lines(p)[1:] == [
            "  ok   config (GET /v1/config): auth bearer, prefix (none)",
            "  FAIL namespace otel: iceberg GET /v1/namespaces/otel: HTTP 403 ForbiddenException: principal otel may not read",
            "       hint: the token is valid but its principal lacks privileges on the namespace (read it, create tables in "
            "it): grant them in the catalog"], p.stdout


def test_check_catalog_oauth2_client_rejected(iceberg_rest, tmp_path):
    def check(h, body):
        if h.path.startswith("/v1/oauth/tokens"):
            return 401, {"error": "invalid_client", "error_description": "bad client credentials"}
        return None

    with gate_uri(iceberg_rest, check) as uri:
        p = check_catalog(tmp_path, uri, OTLP2PARQUET_ICEBERG_CREDENTIAL="otel:n0t-the-secret")
        assert p.returncode == 1
        lines = catalog_lines(p)
        assert lines[1].startswith("  FAIL config (GET /v1/config, auth oauth2): "), p.stdout
        assert "HTTP 401" in lines[1] and "bad client credentials" in lines[1]
        assert lines[2:] == ["       hint: the token endpoint rejected the client: check OTLP2PARQUET_ICEBERG_CREDENTIAL "
                             "(client_id:client_secret) and OTLP2PARQUET_ICEBERG_SCOPE"]
        assert "n0t-the-secret" not in p.stdout + p.stderr
