"""`make lambda-zip ARCH=x86_64|arm64`: self-contained provided.al2023 zips (issue 6).

Each zip is unpacked at <root>/var/task in an otherwise empty root and run with chroot, so no
host library can be used; LD_LIBRARY_PATH is Lambda's, whose /lib64 in the root holds a decoy
libc that the loader must never pick. The arm64 zip runs under qemu-aarch64-static.
"""
import os
import zipfile

import pytest

from lambda_chroot import (ARCHES, DLOPENED, TASK, LambdaEmulator, build_zip, elf_info, is_elf,
                           needed_closure, run_in_chroot, unpack)

MAX_BOOTSTRAP = 1 << 20  # issue 7: at most 1 MiB stripped, shared libraries not counted


@pytest.fixture(scope="session")
def lambda_zips():
    built = {}

    def get(arch):
        if arch not in built:
            built[arch] = build_zip(arch)
        return built[arch]
    return get


@pytest.fixture
def unpacked(lambda_zips, tmp_path):
    """(root, task folder) of the arch's zip unpacked into an empty root, with decoy libcs in the
    directories Lambda's LD_LIBRARY_PATH lists before /var/task/lib."""
    def make(arch):
        root = tmp_path / f"root-{arch}"
        task = unpack(lambda_zips(arch), str(root))
        for d in ("lib64", "usr/lib64", "var/lang/lib"):
            os.makedirs(root / d, exist_ok=True)
            (root / d / "libc.so.6").write_bytes(b"not a library\n")
        return str(root), task
    return make


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_zip_holds_bootstrap_its_libraries_and_nothing_else(arch, lambda_zips, unpacked):
    with zipfile.ZipFile(lambda_zips(arch)) as z:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
    assert modes["bootstrap"] == 0o755 and modes[f"lib/{ARCHES[arch]['loader']}"] == 0o755, modes
    root, task = unpacked(arch)
    want = ARCHES[arch]
    top = sorted(os.listdir(task))
    assert top == ["bootstrap", "ca-certificates.crt", "lib"], top

    boot = os.path.join(task, "bootstrap")
    assert os.access(boot, os.X_OK)
    size = os.path.getsize(boot)
    assert size <= MAX_BOOTSTRAP, f"bootstrap is {size} bytes stripped"
    info = elf_info(boot)
    assert info["interp"] == f"{TASK}/lib/{want['loader']}"
    assert info["rpath"] == [f"{TASK}/lib"] and info["runpath"] == []

    lib = os.path.join(task, "lib")
    files = set(os.listdir(lib))
    closure = needed_closure(task)
    for name in DLOPENED:
        assert name in files, f"{name} (dlopened by getaddrinfo) is missing"
    # every file is the loader, needed, or a dlopened NSS module: no junk
    assert files == closure | {want["loader"]}, sorted(files ^ (closure | {want["loader"]}))
    for name in sorted(files):
        path = os.path.join(lib, name)
        assert not os.path.islink(path) and is_elf(path), name
        li = elf_info(path)
        assert li["machine"] == want["machine"], f"{name}: e_machine {li['machine']}"
        # a DT_RUNPATH would let Lambda's LD_LIBRARY_PATH win for this library's dependencies
        assert li["runpath"] == [], f"{name} has DT_RUNPATH {li['runpath']}"
    assert elf_info(boot)["machine"] == want["machine"]
    assert os.access(os.path.join(lib, want["loader"]), os.X_OK)

    with open(os.path.join(task, "ca-certificates.crt")) as f:
        assert f.read().count("BEGIN CERTIFICATE") > 50


def test_x86_64_zip_runs_in_an_empty_chroot(unpacked):
    root, _ = unpacked("x86_64")
    r = run_in_chroot(root, "x86_64", "--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("otlp2parquet version "), r.stdout
    r = run_in_chroot(root, "x86_64", "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage:" in r.stdout


def test_arm64_zip_runs_under_qemu_in_a_chroot(unpacked):
    root, _ = unpacked("arm64")
    r = run_in_chroot(root, "arm64", "--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("otlp2parquet version "), r.stdout


HEALTH_V2 = {"version": "2.0", "rawPath": "/health", "requestContext": {"http": {"method": "GET"}},
             "headers": {}, "isBase64Encoded": False}


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_zip_answers_an_invocation_in_a_chroot(arch, unpacked):
    root, _ = unpacked(arch)
    os.makedirs(os.path.join(root, "data"))
    # qemu makes the arm64 function's start slower
    rie = LambdaEmulator(root, arch, timeout_secs=10 if arch == "x86_64" else 15,
                         OTLP2PARQUET_STORAGE_BACKEND="fs", OTLP2PARQUET_STORAGE_PATH="/data",
                         OTLP2PARQUET_LISTEN_ADDR="127.0.0.1:0")
    try:
        status, body = rie.invoke(HEALTH_V2, timeout=60)
        assert status == 200, (status, body, rie.output())
        assert isinstance(body, dict) and body.get("statusCode") == 200, (body, rie.output())
        assert body.get("body") == "ok", body
    finally:
        rie.stop()


def zip_env(gw, fx, ns):
    """The function's environment in the chroot: storage on versitygw, Iceberg through the REST
    fixture whose warehouse is on the same gateway (it vends the keys for the tables' files)."""
    env = gw.server_env(prefix="plain")
    env.update(OTLP2PARQUET_ICEBERG_REST_URI=fx.uri, OTLP2PARQUET_ICEBERG_WAREHOUSE=fx.warehouse,
               OTLP2PARQUET_ICEBERG_NAMESPACE=ns)
    return env


def test_zip_in_a_chroot_serves_every_family_and_commits_to_iceberg(unpacked, iceberg_rest_s3, iceberg_s3_gateway):
    """The x86_64 zip alone in a root, under the Runtime Interface Emulator: v1 (with a stage),
    v2, Function URL and ALB events (single- and multi-value headers) for every signal, protobuf
    base64 and JSON plain or gzip: 200 in the family's shape with the Export*ServiceResponse;
    bad input 400 and unknown paths 404; and every row lands in versitygw, committed to the
    Iceberg REST fixture, read back exactly by pyiceberg."""
    from lambda_runtime import response_body, response_header
    from otlp_values import SIGNAL_TABLES, assert_rows_equal, merge_expected
    from test_iceberg_commit import fresh_ns, scan_rows
    from test_lambda_runtime import FAMILIES, JSON, PB, SIGNALS, VARIANTS, build, check_shape, encode, headers_for, status_of
    from iceberg_readers import pyiceberg_catalog
    root, _ = unpacked("x86_64")
    ns = fresh_ns()
    rie = LambdaEmulator(root, "x86_64", timeout_secs=30, **zip_env(iceberg_s3_gateway, iceberg_rest_s3, ns))
    sent = {s: [] for s in SIGNALS}
    try:
        k = 0
        for family in FAMILIES:
            for signal in SIGNALS:
                vname = ("pb-b64", "json-plain", "json-gzip-b64")[k % 3]
                ct, gz, b64, style = VARIANTS[vname]
                req = build(signal, 9000 + k)
                k += 1
                status, resp = rie.invoke(FAMILIES[family]("POST", f"/v1/{signal}", headers_for(ct, gz, style),
                                                           encode(req, ct, gz), b64), timeout=120)
                assert status == 200 and isinstance(resp, dict), (status, resp, rie.output()[-3000:])
                check_shape(family, resp, 200)
                assert response_header(resp, "Content-Type").startswith(PB if ct == PB else JSON), resp
                body = response_body(resp)
                assert body in (b"", b"{}"), (family, signal, vname, body)
                sent[signal].append(req)
        # bad input: a 400 in the request's encoding, nothing written; an unknown path: 404
        status, resp = rie.invoke(FAMILIES["v2"]("POST", "/v1/logs", {"content-type": PB}, b"\x0a\xff", True))
        check_shape("v2", resp, 400)
        assert status_of(resp)[0] == 3, resp
        status, resp = rie.invoke(FAMILIES["alb"]("POST", "/v1/nothing", {"content-type": JSON}, b"{}", False))
        check_shape("alb", resp, 404)
        out = rie.output()
        assert "Successfully committed to catalog table 'logs'" in out, out[-3000:]
        assert iceberg_s3_gateway.secret_key not in out
    finally:
        rie.stop()
    cat = pyiceberg_catalog(iceberg_rest_s3)
    for signal, reqs in sent.items():
        exp = merge_expected(reqs)
        for table in SIGNAL_TABLES[signal]:
            if exp.get(table):
                assert_rows_equal(scan_rows(cat, ns, table), exp[table], table, " (zip in a chroot, pyiceberg)")
    # the data files are objects in the gateway's bucket under the tables' locations
    loc = cat.load_table(f"{ns}.logs").metadata.location
    assert loc.startswith(f"s3://{iceberg_s3_gateway.bucket}/")
    keys = iceberg_s3_gateway.keys(loc.split("/", 3)[3] + "/data/")
    assert keys and all(k.endswith(".parquet") for k in keys), keys[:5]


def test_arm64_zip_answers_a_logs_invocation_like_x86_64(unpacked, tmp_path):
    """Under qemu the arm64 zip answers one export invocation exactly as the x86_64 zip does, and
    writes the same rows."""
    from otlp_values import assert_rows_equal, merge_expected, read_rows_pyarrow
    from test_lambda_runtime import FAMILIES, PB, build, encode
    req = build("logs", 77)
    event = FAMILIES["v2"]("POST", "/v1/logs", {"content-type": PB}, encode(req, PB, False), True)
    answers = {}
    for arch in ("x86_64", "arm64"):
        root, _ = unpacked(arch)
        os.makedirs(os.path.join(root, "data"))
        rie = LambdaEmulator(root, arch, timeout_secs=30, OTLP2PARQUET_STORAGE_BACKEND="fs",
                             OTLP2PARQUET_STORAGE_PATH="/data")
        try:
            status, resp = rie.invoke(event, timeout=120)
            assert status == 200, (status, resp, rie.output()[-3000:])
        finally:
            rie.stop()
        answers[arch] = {k: v for k, v in resp.items() if k != "headers"}, resp["headers"]
        files = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "data", "logs")) for f in fs
                 if f.endswith(".parquet")]
        assert_rows_equal(read_rows_pyarrow(files, "logs"), merge_expected([req])["logs"], "logs", f" ({arch})")
    assert answers["x86_64"] == answers["arm64"]
