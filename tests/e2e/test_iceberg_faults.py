"""The commit protocol under faults and contention (DESIGN §7), against Apache's REST fixture
through a fault-injecting proxy: a catalog that is down leaves files pending (records under
data/_pending/) while requests still get 200, and they are committed once it is back, also by
the next process after a restart; a catalog that applies a commit but answers 500 gets no
duplicate; 8 writer processes committing 50 times each to one table make 400 snapshots with the
exact rows and no file twice."""

import concurrent.futures
import os
import random
import time
import types

import pytest

from catalog_proxy import CatalogProxy
from otlp_values import assert_rows_equal, merge_expected
from test_iceberg_commit import (assert_table_consistent, catalog, fresh_ns, iceberg_env, scan_rows, shifted_logs,
                                 snapshot_count as snapshots)
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest


@pytest.fixture
def proxied(iceberg_rest):
    """(proxy, the fixture as seen through it): writers go through the proxy, readers not."""
    p = CatalogProxy(iceberg_rest.port)
    yield p, types.SimpleNamespace(uri=p.uri, warehouse=iceberg_rest.warehouse)
    p.close()


def wait_until(pred, timeout=60, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def pending_records(cat, ns, table="logs"):
    loc = cat.load_table(f"{ns}.{table}").metadata.location
    assert loc.startswith("file:"), loc
    d = os.path.join(loc[len("file:"):], "data", "_pending")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def one_service_logs(n, seed, service="svc"):
    rng = random.Random(seed)
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service
    recs = rl.scope_logs.add().log_records
    t0 = 1796076000 * 10**9 + seed * 10**6
    for i in range(n):
        r = recs.add(time_unix_nano=t0 + i * 1000, observed_time_unix_nano=t0 + i * 1000 + 1)
        r.body.string_value = f"w{seed} r{i} {rng.random()}"
    return req


def test_catalog_down_files_pending_then_committed(proxied, iceberg_rest, start_server):
    proxy, fx = proxied
    ns = fresh_ns()
    cat = catalog(iceberg_rest)
    s = start_server(**iceberg_env(fx, ns, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1))
    sent = [shifted_logs(40, 1, 0)]
    assert s.post("/v1/logs", sent[0].SerializeToString()).status == 200
    assert wait_until(lambda: snapshots(cat, ns) == 1), s.output()[-3000:]

    proxy.set("down")
    for k in range(3):
        req = shifted_logs(30, 10 + k, 0)
        assert s.post("/v1/logs", req.SerializeToString()).status == 200  # warn and succeed
        sent.append(req)
        time.sleep(1.5)
    assert wait_until(lambda: "kept as pending" in s.output(), timeout=60), s.output()[-3000:]
    recs = wait_until(lambda: pending_records(cat, ns), timeout=30)
    assert recs and all(r.endswith(".json") for r in recs), recs
    assert snapshots(cat, ns) == 1

    proxy.set("pass")
    assert wait_until(lambda: not pending_records(cat, ns), timeout=90), s.output()[-3000:]
    assert s.stop() == 0
    exp = merge_expected(sent)["logs"]
    assert_rows_equal(scan_rows(cat, ns, "logs"), exp, "logs", " (after the outage)")
    assert_table_consistent(cat, ns, "logs")


def test_pending_records_committed_by_the_next_process(proxied, iceberg_rest, start_server):
    proxy, fx = proxied
    ns = fresh_ns()
    cat = catalog(iceberg_rest)
    first = one_service_logs(25, 1)
    s = start_server(**iceberg_env(fx, ns, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1))
    assert s.post("/v1/logs", first.SerializeToString()).status == 200
    assert wait_until(lambda: snapshots(cat, ns) == 1), s.output()[-3000:]
    proxy.set("down")
    lost_answer = one_service_logs(35, 2)
    assert s.post("/v1/logs", lost_answer.SerializeToString()).status == 200
    assert wait_until(lambda: pending_records(cat, ns), timeout=60), s.output()[-3000:]
    assert s.stop() == 0  # exits with the file still pending (its record stays)
    assert "still not committed at exit" in s.output()
    proxy.set("pass")
    assert pending_records(cat, ns)

    s2 = start_server(**iceberg_env(fx, ns, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1))
    third = one_service_logs(10, 3)
    assert s2.post("/v1/logs", third.SerializeToString()).status == 200
    assert wait_until(lambda: not pending_records(cat, ns), timeout=60), s2.output()[-3000:]
    assert s2.stop() == 0
    assert "1 pending file(s) found" in s2.output(), s2.output()[-3000:]
    exp = merge_expected([first, lost_answer, third])["logs"]
    assert_rows_equal(scan_rows(cat, ns, "logs"), exp, "logs", " (recovered)")
    assert_table_consistent(cat, ns, "logs")


def test_commit_applied_but_answered_500_is_not_duplicated(proxied, iceberg_rest, start_server):
    proxy, fx = proxied
    ns = fresh_ns()
    cat = catalog(iceberg_rest)
    s = start_server(**iceberg_env(fx, ns, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1))
    warm = one_service_logs(5, 9)
    assert s.post("/v1/logs", warm.SerializeToString()).status == 200
    assert wait_until(lambda: snapshots(cat, ns) == 1), s.output()[-3000:]
    proxy.set("apply_then_500", faults=3)
    sent = [warm]
    for k in range(3):
        req = one_service_logs(20, 20 + k)
        assert s.post("/v1/logs", req.SerializeToString()).status == 200
        sent.append(req)
        assert wait_until(lambda: snapshots(cat, ns) == k + 2, timeout=60), s.output()[-3000:]
    assert s.stop() == 0
    assert proxy.applied_hidden == 3
    assert "commit outcome unknown" in s.output()
    t, snaps, entries = assert_table_consistent(cat, ns, "logs")
    assert len(snaps) == 4  # one snapshot per flush: none of the hidden successes was retried
    assert_rows_equal(scan_rows(cat, ns, "logs"), merge_expected(sent)["logs"], "logs", " (500 after apply)")


def test_eight_writers_fifty_commits_each(iceberg_rest, start_server):
    fx, ns = iceberg_rest, fresh_ns()
    rows_per_request = 7
    # every request fills a buffer: one flush, one commit, one snapshot per request
    servers = [start_server(**iceberg_env(fx, ns, OTLP2PARQUET_BATCH_MAX_ROWS=rows_per_request,
                                          OTLP2PARQUET_BATCH_MAX_AGE_SECS=3600))
               for _ in range(8)]
    cat = catalog(fx)

    def writer(w):
        reqs = []
        for k in range(50):
            req = one_service_logs(rows_per_request, w * 1000 + k, f"writer-{w}")
            r = servers[w].post("/v1/logs", req.SerializeToString(), timeout=120)
            assert r.status == 200, (r.status, r.body)
            reqs.append(req)
        return reqs

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        sent = [r for rs in ex.map(writer, range(8)) for r in rs]
    for s in servers:
        assert s.stop() == 0
    outs = "".join(s.output() for s in servers)
    assert "kept as pending" not in outs, outs[-3000:]
    t, snaps, entries = assert_table_consistent(cat, ns, "logs")
    assert len(snaps) == 400
    assert len(entries) == 400
    exp = merge_expected(sent)["logs"]
    assert len(exp) == 400 * rows_per_request
    assert_rows_equal(scan_rows(cat, ns, "logs"), exp, "logs", " (8 writers)")


def test_two_processes_recovering_the_same_records_commit_them_once(proxied, iceberg_rest, start_server):
    proxy, fx = proxied
    ns = fresh_ns()
    cat = catalog(iceberg_rest)
    first = one_service_logs(15, 41)
    s = start_server(**iceberg_env(fx, ns, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1))
    assert s.post("/v1/logs", first.SerializeToString()).status == 200
    assert wait_until(lambda: snapshots(cat, ns) == 1), s.output()[-3000:]
    proxy.set("down")
    stranded = [one_service_logs(20 + k, 50 + k, f"svc-{k}") for k in range(3)]
    for req in stranded:
        assert s.post("/v1/logs", req.SerializeToString()).status == 200
    assert wait_until(lambda: len(pending_records(cat, ns)) == 3, timeout=90), s.output()[-3000:]
    assert s.stop() == 0
    proxy.set("pass")
    # both find the three records when their timers open the table, and both try to commit them
    a = start_server(**iceberg_env(fx, ns, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1))
    b = start_server(**iceberg_env(fx, ns, OTLP2PARQUET_BATCH_MAX_AGE_SECS=1))
    assert wait_until(lambda: not pending_records(cat, ns), timeout=90), a.output()[-2000:] + b.output()[-2000:]
    time.sleep(3)  # let the slower one finish its attempt
    assert a.stop() == 0 and b.stop() == 0
    out = a.output() + b.output()
    assert out.count("3 pending file(s) found") >= 1, out[-3000:]
    t, snaps, entries = assert_table_consistent(cat, ns, "logs")  # no file twice
    assert len(entries) == 4
    assert_rows_equal(scan_rows(cat, ns, "logs"), merge_expected([first] + stranded)["logs"], "logs",
                      " (recovered by two processes)")
