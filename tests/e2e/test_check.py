"""`otlp2parquet check`: writes a probe object, reads it back, deletes it and runs the readiness
probe, on a folder and on S3 (versitygw); a broken setup fails at the step that breaks, with
the storage's own error and a hint, and leaves nothing behind."""

import os

from conftest import run_bin


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
