"""The S3 storage goes away under load and comes back: versitygw is killed while clients send
logs, and restarted a while later. The server rides the outage out in memory (requests keep
getting 200 until the cap), writes everything once versitygw is back, and at the end every
record that was answered 200 is in the bucket exactly once. Meanwhile a watcher reads every
object that appears in the bucket's folder: none is ever partial."""

import collections
import os
import threading
import time

import pyarrow.parquet as pq

from test_batching import ASAN_SMALL_QUARANTINE, BASE_NS, Client, check_exactly_once, logs_request
from test_s3_storage import start_s3_server

PREFIX = "outage"


class ObjectWatcher(threading.Thread):
    """Reads every .parquet object as soon as it is visible in the bucket's folder (versitygw's
    posix backend stores an object as a file under its key): each must be a whole Parquet file."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root, self.stopped = root, threading.Event()
        self.checked, self.partial = set(), []

    def scan(self):
        for d, dirs, files in os.walk(self.root):
            dirs[:] = [x for x in dirs if not x.startswith(".")]  # versitygw's own work folders
            for f in files:
                path = os.path.join(d, f)
                if not f.endswith(".parquet") or path in self.checked:
                    continue
                try:
                    rows = pq.ParquetFile(path).metadata.num_rows
                    pq.read_table(path, columns=["Body"])
                    assert rows > 0
                except FileNotFoundError:
                    continue
                except Exception as e:  # noqa: BLE001 - any failure to read is a partial object
                    self.partial.append(f"{path}: {e}")
                self.checked.add(path)

    def run(self):
        while not self.stopped.is_set():
            self.scan()
            time.sleep(0.01)

    def stop(self):
        self.stopped.set()
        self.join()
        self.scan()


def load_until(port, stop, n_threads=4, records=200, pad=100, services=3):
    """Clients sending logs until stop is set; a 503 is sent again after a pause, as OTLP
    clients do. Returns {tag: final status} and the times of the 200 answers."""
    outcome, answered = {}, []
    lock = threading.Lock()
    counter = iter(range(10**9))

    def work():
        c = Client(port)
        while not stop.is_set():
            with lock:
                i = next(counter)
            tag = f"f{i:05d}"
            body = logs_request(tag, records, f"flood{i % services}", BASE_NS + i * 10**6, pad)
            while True:
                status, _, _ = c.post(body)
                if status != 503:
                    break
                time.sleep(0.05)
            with lock:
                outcome[tag] = status
                answered.append((time.monotonic(), status))
            time.sleep(0.005)
        c.close()

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    return threads, outcome, answered


def test_storage_killed_under_load_and_restarted_loses_and_duplicates_nothing(s3_gateway, start_server):
    gw = s3_gateway
    s = start_s3_server(start_server, gw, prefix=PREFIX, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1,
                        OTLP2PARQUET_BATCH_MAX_BYTES=1 << 20, OTLP2PARQUET_MAX_BUFFERED_BYTES=96 << 20,
                        ASAN_OPTIONS=ASAN_SMALL_QUARANTINE)
    watcher = ObjectWatcher(gw.bucket_dir(PREFIX))
    watcher.start()

    stop = threading.Event()
    threads, outcome, answered = load_until(s.port, stop)
    # files are being written when versitygw dies; it stays away longer than the per-request
    # retries of the S3 client last, so the buffers have to hold the rows meanwhile
    deadline = time.monotonic() + 30
    while not s.parquet_files("logs") and time.monotonic() < deadline:
        time.sleep(0.02)
    gw.kill()
    down = time.monotonic()
    time.sleep(6)
    gw.start()
    up = time.monotonic()
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    statuses = collections.Counter(outcome.values())
    assert set(statuses) == {200}, statuses
    # the outage was ridden out: requests were answered 200 while versitygw was away
    assert sum(1 for when, st in answered if down + 1 < when < up and st == 200) > 20
    deadline = time.monotonic() + 30
    while "storage works again" not in s.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    out = s.output()
    assert "kept in memory" in out, out[-3000:]
    assert "storage works again" in out, out[-3000:]
    assert "never written" not in out
    assert s.stop() == 0, s.output()[-3000:]  # SIGTERM writes what is still buffered
    watcher.stop()
    assert watcher.partial == [], watcher.partial[:5]
    assert len(watcher.checked) > 0
    ok, _ = check_exactly_once(s, outcome, 200)
    assert len(ok) == len(outcome) > 100
    assert gw.multipart_uploads() == []
