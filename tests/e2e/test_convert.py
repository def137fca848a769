"""`otlp2parquet convert`: many input files through one batching ingest (few, large output files),
content told from the bytes (gzip, JSON, protobuf), the signal of protobuf from --signal or the
file name, clear errors when it cannot be told, a progress line only on a terminal."""

import gzip
import os
import pty
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from conftest import BIN, assert_no_sanitizer_report, clean_env, run_bin

BASE_NS = 1796076000 * 10**9  # 2026-11-30T22:00:00Z


def logs_request(tag, n, service, t0_ns=BASE_NS):
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    a = rl.resource.attributes.add()
    a.key, a.value.string_value = "service.name", service
    sl = rl.scope_logs.add()
    for i in range(n):
        r = sl.log_records.add()
        r.time_unix_nano = t0_ns + i * 1000
        r.body.string_value = f"{tag}-{i:05d}"
    return req.SerializeToString()


def rows(out):
    files = sorted(str(f) for f in out.glob("logs/**/*.parquet"))
    if not files:
        return files, []
    t = pa.concat_tables([pq.read_table(f, columns=["ServiceName", "Timestamp", "Body"]) for f in files])
    got = list(zip(t.column("ServiceName").to_pylist(), t.column("Timestamp").cast(pa.int64()).to_pylist(),
                   t.column("Body").to_pylist()))
    return files, sorted(got)


def expect(tag, n, service, t0_ns=BASE_NS):
    return [(service, t0_ns // 1000 + i, f"{tag}-{i:05d}") for i in range(n)]


def test_many_protobuf_files_with_signal_make_one_file_per_service(tmp_path):
    inputs, want = [], []
    for i in range(120):
        svc = "front" if i % 2 else "back"
        p = tmp_path / f"req-{i:03d}.pb"  # the name does not say the signal
        p.write_bytes(logs_request(f"p{i:03d}", 5, svc, BASE_NS + i * 10**6))
        inputs.append(str(p))
        want += expect(f"p{i:03d}", 5, svc, BASE_NS + i * 10**6)
    out = tmp_path / "out"
    r = run_bin(["convert", "--signal", "logs", "-o", str(out)] + inputs)
    assert r.returncode == 0, r.stderr
    files, got = rows(out)
    assert len(files) == 2, files
    assert got == sorted(want)
    for f in files:
        t = pq.read_table(f, columns=["ServiceName", "Timestamp"])
        assert len(set(t.column("ServiceName").to_pylist())) == 1
        ts = t.column("Timestamp").cast(pa.int64()).to_pylist()
        assert ts == sorted(ts)
    # the summary (not a terminal: no progress line)
    assert "\r" not in r.stderr
    assert "600 records from 120 of 120 files" in r.stderr
    assert "2 Parquet files, 600 rows written" in r.stderr


def test_gzip_and_signal_from_the_file_name(tmp_path):
    want, inputs = [], []
    for i in range(10):
        raw = logs_request(f"g{i}", 30, "zipped", BASE_NS + i * 10**7)
        want += expect(f"g{i}", 30, "zipped", BASE_NS + i * 10**7)
        if i % 3 == 0:
            p = tmp_path / f"export-logs-{i}.pb.gz"
            p.write_bytes(gzip.compress(raw))
        elif i % 3 == 1:
            p = tmp_path / f"LOGS_{i}.bin"  # any case
            p.write_bytes(raw)
        else:
            p = tmp_path / f"logs.{i}.gz.gz"
            p.write_bytes(gzip.compress(gzip.compress(raw)))  # compressed twice
        inputs.append(str(p))
    out = tmp_path / "out"
    r = run_bin(["convert", "-q", "-o", str(out)] + inputs)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # -q: no summary
    files, got = rows(out)
    assert len(files) == 1
    assert got == sorted(want)


def test_batch_max_rows_applies_to_convert(tmp_path):
    inputs, want = [], []
    for i in range(25):
        p = tmp_path / f"logs-{i}.pb"
        p.write_bytes(logs_request(f"r{i}", 100, "svc", BASE_NS + i * 10**8))
        inputs.append(str(p))
        want += expect(f"r{i}", 100, "svc", BASE_NS + i * 10**8)
    out = tmp_path / "out"
    r = run_bin(["convert", "-o", str(out)] + inputs, OTLP2PARQUET_BATCH_MAX_ROWS=1000)
    assert r.returncode == 0, r.stderr
    files, got = rows(out)
    assert sorted(pq.ParquetFile(f).metadata.num_rows for f in files) == [500, 1000, 1000]
    assert got == sorted(want)


def test_stdin_needs_the_signal(tmp_path):
    raw = logs_request("stdin", 4, "piped")
    out = tmp_path / "out"
    env = clean_env()
    p = subprocess.run([BIN, "convert", "-o", str(out), "-"], input=raw, env=env, capture_output=True, timeout=60)
    assert_no_sanitizer_report(p.stderr.decode())
    assert p.returncode != 0 and b"--signal" in p.stderr and b"(stdin)" in p.stderr
    p = subprocess.run([BIN, "convert", "--signal", "logs", "-o", str(out), "-"], input=raw, env=env,
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert rows(out)[1] == expect("stdin", 4, "piped")


def test_detection_errors_are_clear_and_the_good_files_still_convert(tmp_path):
    good = tmp_path / "logs-good.pb"
    good.write_bytes(logs_request("good", 3, "ok"))
    cases = {
        # name -> (content, words the message must hold)
        "request.pb": (logs_request("x", 2, "s"), ["request.pb", "--signal", "field 1", "name the file"]),
        "logs-and-metrics.pb": (logs_request("x", 2, "s"), ["logs-and-metrics.pb", "more than one signal"]),
        "empty.logs": (b"", ["empty.logs", "empty file"]),
        "blank-logs.json": (b"  \n\n", ["blank-logs.json", "empty file"]),
        "empty-gz-logs.gz": (gzip.compress(b""), ["empty-gz-logs.gz", "empty after gzip"]),
        "broken-logs.gz": (gzip.compress(logs_request("x", 50, "s"))[:-12], ["broken-logs.gz", "gzip"]),
        "other.json": (b'{"hello": "world"}\n', ["other.json", "resourceLogs, resourceSpans or resourceMetrics"]),
        "spans.json": (b'{"resourceSpans": []}', ["spans.json", "traces (resourceSpans)", "--signal logs"]),
        "cut-logs.json": (b'{"resourceLogs": [{"scopeLogs": [', ["cut-logs.json", "does not end"]),
        "garbage-logs.pb": (b"\x0a\xff\xff\xff\xff\x0f", ["garbage-logs.pb", "logs request"]),
    }
    paths = [str(good)]
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
        paths.append(str(tmp_path / name))
    out = tmp_path / "out"
    # --signal logs for the conflict case; the name-based cases ignore it only when it is absent,
    # so run those without it
    with_signal = ["spans.json"]
    r1 = run_bin(["convert", "-o", str(out)] + [p for p in paths if os.path.basename(p) not in with_signal])
    r2 = run_bin(["convert", "--signal", "logs", "-o", str(tmp_path / "out2"), str(tmp_path / "spans.json")])
    assert r1.returncode == 1 and r2.returncode == 1
    lines = {}
    for line in (r1.stderr + r2.stderr).splitlines():
        for name in cases:
            if f"/{name}: " in line:
                lines[name] = line
    for name, (_, words) in cases.items():
        assert name in lines, f"no message for {name}:\n{r1.stderr}\n{r2.stderr}"
        for w in words:
            assert w in lines[name], (name, w, lines[name])
    assert f"from 1 of {len(paths) - 1} files" in r1.stderr
    files, got = rows(out)
    assert got == expect("good", 3, "ok")  # the bad files left nothing behind


def test_json_is_recognised_as_json(tmp_path):
    """A JSON export is never mistaken for protobuf (no --signal needed), also when its first
    bytes look like a protobuf tag; JSON Lines of one signal go in together."""
    single = tmp_path / "export.json"
    single.write_text('\n  {"resourceLogs": []}\n')
    lines = tmp_path / "export.jsonl"
    lines.write_text('{"resourceLogs": []}\n{"resource_logs": []}\n')
    for p in (single, lines):
        r = run_bin(["convert", "-o", str(tmp_path / "out"), str(p)])
        assert "field 1" not in r.stderr and "--signal" not in r.stderr, r.stderr
        # until the OTLP/JSON decoder is part of the build it says so; then it converts
        assert r.returncode == 0 or "OTLP/JSON is not supported" in r.stderr, r.stderr


def test_progress_line_on_a_terminal(tmp_path):
    inputs = []
    for i in range(5):
        p = tmp_path / f"logs-{i}.pb"
        p.write_bytes(logs_request(f"t{i}", 10, "tty"))
        inputs.append(str(p))
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "convert", "-o", str(tmp_path / "out")] + inputs, env=clean_env(),
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not b:
            break
        chunks.append(b)
    os.close(master)
    assert p.wait(timeout=60) == 0
    text = b"".join(chunks).decode()
    assert_no_sanitizer_report(text)
    assert "\r" in text
    assert "5/5 files, 50 records" in text and "MB/s" in text
    assert "50 records from 5 of 5 files" in text  # the summary still comes last
    assert text.rstrip().endswith("50 rows written")
