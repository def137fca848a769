"""storage_list() of the s3 backend against versitygw, and of the fs backend, through
tests/tools/storage_list: every key under the prefix comes back exactly once, relative to the
storage prefix (as put and get take them), across many ListObjectsV2 pages (continuation
tokens), keys with spaces, XML specials and non-ASCII text unescaped; max-keys and an early stop
are honoured; nothing outside the prefix shows."""

import os
import subprocess
from pathlib import Path

from conftest import assert_no_sanitizer_report, clean_env

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("OTLP2PARQUET_TOOLS") or REPO / "build" / "tools")
TOOL = TOOLS / "storage_list"

PREFIX = "otel/prod"
ODD = ["data/_pending/with space.json", "data/_pending/ü 日本/x&y<z>'\".json", "data/_pending/a+b=c%41?#.json"]


def run_tool(args, **env):
    p = subprocess.run([str(TOOL)] + args, env=clean_env(**env), capture_output=True, timeout=300)
    out, errs = p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")
    assert_no_sanitizer_report(out + errs)
    return p.returncode, out, errs


def listed(out):
    lines = out.splitlines()
    assert lines and lines[-1].startswith("listed "), out[-2000:]
    keys = lines[:-1]
    assert int(lines[-1].split()[1]) == len(keys)
    return keys


def fill_bucket(gw, n):
    """n keys under PREFIX/data/_pending/ written straight into the posix backend's folder (fast),
    the odd ones through S3, and a few that must not be listed."""
    want = []
    for i in range(n):
        sub = f"d{i % 7}"
        d = Path(gw.bucket_dir(*PREFIX.split("/"), "data", "_pending", sub))
        d.mkdir(parents=True, exist_ok=True)
        (d / f"k{i:05d}.json").write_bytes(b"{}")
        want.append(f"data/_pending/{sub}/k{i:05d}.json")
    c = gw.client()
    for k in ODD:
        c.put_object(Bucket=gw.bucket, Key=f"{PREFIX}/{k}", Body=b"odd")
        want.append(k)
    for k in ("otel/other/data/_pending/x.json", f"{PREFIX}/data/_pendingx/y.json", "top.json"):
        c.put_object(Bucket=gw.bucket, Key=k, Body=b"no")
    return sorted(want)


def test_s3_lists_every_key_across_pages(s3_gateway):
    gw = s3_gateway
    want = fill_bucket(gw, 1100)
    env = gw.server_env(prefix=PREFIX)
    # the default page (1000 keys): two pages
    rc, out, errs = run_tool(["s3", "data/_pending/", "--get"], **env)
    assert rc == 0, errs
    keys = listed(out)
    assert sorted(keys) == want
    # small pages: many continuation tokens
    rc, out, errs = run_tool(["s3", "data/_pending/", "--page-size", "97"], **env)
    assert rc == 0, errs
    assert sorted(listed(out)) == want
    ops = gw.operations()
    assert ops.count("s3_ListObjectsV2") >= 2 + (len(want) + 96) // 97, ops[-20:]


def test_s3_max_keys_stop_and_prefixes(s3_gateway):
    gw = s3_gateway
    want = fill_bucket(gw, 30)
    env = gw.server_env(prefix=PREFIX)
    rc, out, errs = run_tool(["s3", "data/_pending/", "--max-keys", "25", "--page-size", "10"], **env)
    assert rc == 0, errs
    keys = listed(out)
    assert len(keys) == 25 and len(set(keys)) == 25 and set(keys) <= set(want)
    rc, out, errs = run_tool(["s3", "data/_pending/", "--stop-after", "3", "--page-size", "2"], **env)
    assert rc == 0, errs
    assert len(listed(out)) == 3
    # a key prefix that is not a folder; the whole storage prefix
    rc, out, errs = run_tool(["s3", "data/_pending"], **env)
    assert rc == 0, errs
    assert sorted(listed(out)) == sorted(want + ["data/_pendingx/y.json"])
    rc, out, errs = run_tool(["s3", ""], **env)
    assert rc == 0, errs
    assert sorted(listed(out)) == sorted(want + ["data/_pendingx/y.json"])
    # nothing there: an empty listing; no storage prefix: keys are the bucket's own
    rc, out, errs = run_tool(["s3", "nothing/"], **env)
    assert rc == 0 and listed(out) == [], errs
    rc, out, errs = run_tool(["s3", "top"], **gw.server_env(prefix=""))
    assert rc == 0 and listed(out) == ["top.json"], errs


def test_s3_list_failure_names_the_error(s3_gateway):
    gw = s3_gateway
    rc, out, errs = run_tool(["s3", "data/"], **gw.server_env(prefix=PREFIX, secret_key="wrong"))
    assert rc == 1
    assert "ListObjectsV2" in errs and "SignatureDoesNotMatch" in errs, errs


def test_fs_lists_what_put_stored(tmp_path):
    root = tmp_path / "root"
    want = []
    for i, k in enumerate(ODD + [f"data/_pending/d/k{i}" for i in range(50)]):
        p = root / k
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
        want.append(k)
    (root / "data" / "_pending" / ".k.tmp-0123456789abcdef").write_bytes(b"half")
    (root / "data" / "other").write_bytes(b"x")
    rc, out, errs = run_tool(["fs", str(root), "data/_pending/", "--get"])
    assert rc == 0, errs
    assert sorted(listed(out)) == sorted(want)
    rc, out, errs = run_tool(["fs", str(root), "../"])
    assert rc == 1 and ".." in errs, errs
