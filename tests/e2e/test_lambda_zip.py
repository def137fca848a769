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
