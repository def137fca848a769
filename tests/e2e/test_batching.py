"""Batching in `otlp2parquet serve`: buffers per (table, service, UTC hour) make few large files out
of many small requests; they are written when full (BATCH_MAX_ROWS), when old (BATCH_MAX_AGE_SECS,
by a timer, with no further traffic) and on SIGTERM; memory is capped (MAX_BUFFERED_BYTES: past it
503 with Retry-After); a storage outage keeps the rows and writes them, exactly once, when it ends."""

import collections
import http.client
import os
import re
import shutil
import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

BASE_NS = 1796076000 * 10**9  # 2026-11-30T22:00:00Z
PB = "application/x-protobuf"


def logs_request(tag, n, service, t0_ns=BASE_NS, pad=0):
    """n records of one service; bodies f"{tag}-{i:05d}" (+ pad filler bytes), times t0 + i µs."""
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    a = rl.resource.attributes.add()
    a.key, a.value.string_value = "service.name", service
    sl = rl.scope_logs.add()
    sl.scope.name = "test_batching"
    filler = "." * pad
    for i in range(n):
        r = sl.log_records.add()
        r.time_unix_nano = t0_ns + i * 1000
        r.body.string_value = f"{tag}-{i:05d}{filler}"
    return req.SerializeToString()


def read_rows(files, columns=("ServiceName", "Timestamp", "Body")):
    if not files:
        return []
    t = pa.concat_tables([pq.read_table(f, columns=list(columns)) for f in files])
    cols = {c: (t.column(c).cast(pa.int64()) if c == "Timestamp" else t.column(c)).to_pylist() for c in columns}
    return list(zip(*cols.values()))


def body_tag(body):
    return body.rstrip(".")


class Client:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def post(self, body, path="/v1/logs"):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.conn.request("POST", path, body=body, headers={"Content-Type": PB})
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def check_file_layout(data_dir, f):
    """One service and one hour per file, named after them, rows sorted by Timestamp."""
    rel = os.path.relpath(f, data_dir)
    m = re.fullmatch(r"logs/service=([^/]+)/year=(\d{4})/month=(\d\d)/day=(\d\d)/hour=(\d\d)/[0-9a-f-]{36}\.parquet", rel)
    assert m, rel
    t = pq.read_table(f, columns=["ServiceName", "Timestamp"])
    assert set(t.column("ServiceName").to_pylist()) == {m[1]}
    ts = t.column("Timestamp").cast(pa.int64()).to_pylist()
    assert ts == sorted(ts)
    hours = {x // 3_600_000_000 for x in ts}
    assert len(hours) == 1
    h = time.gmtime(hours.pop() * 3600)
    assert (int(m[2]), int(m[3]), int(m[4]), int(m[5])) == (h.tm_year, h.tm_mon, h.tm_mday, h.tm_hour)
    return m[1], t.num_rows


def test_thousand_small_requests_make_one_file_per_service_and_hour(start_server):
    s = start_server(OTLP2PARQUET_BATCH_MAX_AGE_SECS=3600)
    c = Client(s.port)
    services = ["alpha", "beta", "gamma"]
    expected = []
    for i in range(1000):
        svc = services[i % 3]
        t0 = BASE_NS + i * 4_000_000  # 4 ms apart: all 1000 requests within 4 s of one hour
        status, _, body = c.post(logs_request(f"q{i:04d}", 4, svc, t0))
        assert status == 200, body
        expected += [(svc, (t0 + j * 1000) // 1000, f"q{i:04d}-{j:05d}") for j in range(4)]
    c.close()
    assert s.parquet_files() == []  # buffered, not yet written
    assert s.stop() == 0
    files = s.parquet_files("logs")
    assert len(files) == 3, files  # no more files than service/hour combinations
    per_service = dict(check_file_layout(s.data_dir, f) for f in files)
    assert per_service == {"alpha": 1336, "beta": 1332, "gamma": 1332}
    assert sorted(read_rows(files)) == sorted(expected)


def test_age_flush_without_further_traffic(start_server):
    s = start_server(OTLP2PARQUET_BATCH_MAX_AGE_SECS=2)
    c = Client(s.port)
    status, _, _ = c.post(logs_request("aged", 25, "lonely"))
    t_ack = time.monotonic()
    assert status == 200
    c.close()
    files = []
    while not files and time.monotonic() - t_ack < 10:
        files = s.parquet_files("logs")
        time.sleep(0.02)
    waited = time.monotonic() - t_ack
    assert files, "no file 10 s after the request"
    assert waited <= 2 + 1, f"written {waited:.2f} s after the request, BATCH_MAX_AGE_SECS=2"
    assert waited >= 1.5, f"written after {waited:.2f} s: the buffer did not wait for its age"
    assert sorted(read_rows(files)) == [("lonely", BASE_NS // 1000 + i, f"aged-{i:05d}") for i in range(25)]
    assert s.proc.poll() is None  # written by the timer of a running server
    # a second round works the same
    status, _, _ = Client(s.port).post(logs_request("again", 3, "lonely", BASE_NS + 10**9))
    assert status == 200
    deadline = time.monotonic() + 10
    while len(s.parquet_files("logs")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(s.parquet_files("logs")) == 2
    assert s.stop() == 0


def test_max_rows_flush(start_server):
    s = start_server(OTLP2PARQUET_BATCH_MAX_ROWS=100, OTLP2PARQUET_BATCH_MAX_AGE_SECS=3600)
    c = Client(s.port)
    expected = []
    for i in range(26):
        status, _, _ = c.post(logs_request(f"m{i:02d}", 12, "rows", BASE_NS + i * 10**6))
        assert status == 200
        expected += [("rows", (BASE_NS + i * 10**6) // 1000 + j, f"m{i:02d}-{j:05d}") for j in range(12)]
        # a full buffer is written before the answer of the request that filled it
        files = s.parquet_files("logs")
        assert len(files) == (i + 1) * 12 // 100, (i, files)
        assert all(pq.ParquetFile(f).metadata.num_rows == 100 for f in files)
    c.close()
    # the first file holds the first 100 rows that arrived
    first = min(s.parquet_files("logs"), key=os.path.getmtime)
    assert sorted(read_rows([first])) == sorted(expected[:100])
    assert s.stop() == 0
    files = s.parquet_files("logs")
    assert sorted(pq.ParquetFile(f).metadata.num_rows for f in files) == [12, 100, 100, 100]
    assert sorted(read_rows(files)) == sorted(expected)


def test_sigterm_drains_every_buffer(start_server):
    s = start_server(OTLP2PARQUET_BATCH_MAX_AGE_SECS=3600)
    c = Client(s.port)
    expected = []
    for i in range(80):
        svc = f"svc{i % 20:02d}"
        t0 = BASE_NS + (i // 20 % 2) * 3600 * 10**9  # two hours
        status, _, _ = c.post(logs_request(f"d{i:02d}", 7, svc, t0))
        assert status == 200
        expected += [(svc, t0 // 1000 + j, f"d{i:02d}-{j:05d}") for j in range(7)]
    c.close()
    assert s.parquet_files() == []
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 30
    files = s.parquet_files("logs")
    assert len(files) == 40
    for f in files:
        check_file_layout(s.data_dir, f)
    assert sorted(read_rows(files)) == sorted(expected)
    leftovers = [f for root, _, fs in os.walk(s.data_dir) for f in fs if not f.endswith(".parquet")]
    assert leftovers == []


# --- memory cap and outages --------------------------------------------------------------------


def vm_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, 0, threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                self.peak = max(self.peak, vm_rss(self.pid))
            except OSError:
                return
            time.sleep(0.02)

    def stop(self):
        self.stopped.set()
        self.join()
        return self.peak


def flood(port, n_threads, n_requests, records, pad, services=3, retry_503=False):
    """n_requests requests from n_threads clients; returns ({tag: final status}, [headers of
    every 503]). With retry_503 a refused request is sent again after a pause, as OTLP clients
    do, until it is accepted."""
    outcome, refusals = {}, []
    lock = threading.Lock()
    next_i = iter(range(n_requests))

    def work():
        c = Client(port)
        while True:
            with lock:
                i = next(next_i, None)
            if i is None:
                break
            tag = f"f{i:05d}"
            body = logs_request(tag, records, f"flood{i % services}", BASE_NS + i * 10**6, pad)
            for _ in range(1000):
                status, headers, _ = c.post(body)
                if status != 503:
                    break
                with lock:
                    refusals.append(headers)
                if not retry_503:
                    break
                time.sleep(0.05)
            with lock:
                outcome[tag] = status
        c.close()

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return outcome, refusals


# ASan keeps freed memory in a quarantine (256 MiB by default), which would show up as growth
# that has nothing to do with the buffers; a small one keeps RSS about live memory.
ASAN_SMALL_QUARANTINE = "detect_leaks=1:halt_on_error=1:quarantine_size_mb=8:thread_local_quarantine_size_kb=256"
CAP = 16 << 20
SLACK = 64 << 20  # request bodies in flight, decoded requests, a file being encoded, allocator


def warm_up(s):
    """A few requests through every path, then the baseline RSS."""
    c = Client(s.port)
    for i in range(20):
        assert c.post(logs_request(f"warm{i}", 200, "warm", BASE_NS, pad=200))[0] == 200
    c.close()
    time.sleep(0.5)
    return vm_rss(s.proc.pid)


def check_exactly_once(s, outcome, records):
    ok = {t for t, st in outcome.items() if st == 200}
    refused = {t for t, st in outcome.items() if st == 503}
    assert ok | refused == set(outcome), collections.Counter(outcome.values())
    got = collections.Counter()
    for f in s.parquet_files("logs"):
        for b in pq.read_table(f, columns=["Body"]).column("Body").to_pylist():
            got[body_tag(b)] += 1
    for t in ok:
        for j in range(records):
            assert got[f"{t}-{j:05d}"] == 1, f"{t}-{j:05d} answered 200, on disk {got[f'{t}-{j:05d}']} times"
    for t in refused:
        assert got[f"{t}-{0:05d}"] == 0, f"{t} answered 503, yet on disk"
    extra = sum(got.values()) - len(ok) * records - sum(v for k, v in got.items() if k.startswith("warm"))
    assert extra == 0
    return ok, refused


def test_flood_past_the_cap_gets_503_and_memory_stays_bounded(start_server):
    # buffers would grow to 64 MiB each before a size flush and never age: only the cap holds
    # memory back, by refusing requests and making the timer write the largest buffers early
    s = start_server(OTLP2PARQUET_MAX_BUFFERED_BYTES=CAP, OTLP2PARQUET_BATCH_MAX_BYTES=64 << 20,
                     OTLP2PARQUET_BATCH_MAX_AGE_SECS=3600, ASAN_OPTIONS=ASAN_SMALL_QUARANTINE)
    base = warm_up(s)
    sampler = RssSampler(s.proc.pid)
    sampler.start()
    records, pad = 1000, 200  # ~0.25 MB of column data per request
    # ~200 MB in all, every request retried until accepted: without the cap all of it would be
    # buffered at once (3 services x 64 MiB before the first size flush)
    outcome, refusals = flood(s.port, 8, 800, records, pad, retry_503=True)
    peak = sampler.stop()
    assert collections.Counter(outcome.values()) == {200: 800}
    assert refusals, "the cap never refused a request"
    assert all(h.get("retry-after") == "5" for h in refusals)
    growth = peak - base
    assert growth < CAP + SLACK, f"RSS grew by {growth >> 20} MiB (baseline {base >> 20} MiB), cap {CAP >> 20} MiB"
    assert s.stop() == 0
    check_exactly_once(s, outcome, records)
    assert "buffers full" in s.output()


def test_outage_then_recovery_writes_every_acknowledged_row_once(start_server):
    s = start_server(OTLP2PARQUET_MAX_BUFFERED_BYTES=CAP, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1,
                     ASAN_OPTIONS=ASAN_SMALL_QUARANTINE)
    base = warm_up(s)
    deadline = time.monotonic() + 10
    while s.parquet_files("logs") == [] and time.monotonic() < deadline:
        time.sleep(0.05)  # the warm-up rows are written
    # the storage goes away: the data folder becomes a file
    parked = s.data_dir + ".parked"
    os.rename(s.data_dir, parked)
    with open(s.data_dir, "w") as f:
        f.write("not a folder")
    sampler = RssSampler(s.proc.pid)
    sampler.start()
    records, pad = 500, 200
    outcome, refusals = flood(s.port, 6, 400, records, pad)
    statuses = collections.Counter(outcome.values())
    assert statuses[503] > 0 and statuses[200] > 0, statuses
    assert all(h.get("retry-after") == "5" for h in refusals)
    assert "kept in memory" in s.output()
    # storage back: the timer notices (probe, retry), the buffered rows are written, and new
    # requests are accepted again
    os.unlink(s.data_dir)
    os.rename(parked, s.data_dir)
    c = Client(s.port)
    deadline = time.monotonic() + 60
    i = 0
    while time.monotonic() < deadline:
        tag = f"f{100000 + i:05d}"
        st, _, _ = c.post(logs_request(tag, records, "late", BASE_NS, pad))
        outcome[tag] = st
        i += 1
        if st == 200:
            break
        time.sleep(0.2)
    c.close()
    assert outcome[tag] == 200, collections.Counter(outcome.values())
    peak = sampler.stop()
    growth = peak - base
    assert growth < CAP + SLACK, f"RSS grew by {growth >> 20} MiB (baseline {base >> 20} MiB), cap {CAP >> 20} MiB"
    assert s.stop() == 0
    check_exactly_once(s, outcome, records)
