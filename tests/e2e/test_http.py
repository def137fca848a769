"""OTLP/HTTP behaviour of `otlp2parquet serve` (DESIGN §6): routes, content types and encodings,
size limits, error bodies (google.rpc.Status in the request's encoding), readiness, and a
graceful SIGTERM that answers every request in flight and loses none that got a 200."""

import collections
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import threading
import time

import pyarrow.parquet as pq
import pytest
import requests
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse

PB = "application/x-protobuf"
JSON = "application/json"

# gRPC codes carried in google.rpc.Status.code
INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, UNIMPLEMENTED, UNAVAILABLE = 3, 5, 8, 12, 14


def logs_request(tag, n, service="http-test"):
    """A valid ExportLogsServiceRequest of n records whose bodies are f"{tag}-{i:05d}"."""
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    a = rl.resource.attributes.add()
    a.key, a.value.string_value = "service.name", service
    sl = rl.scope_logs.add()
    sl.scope.name = "test_http"
    now = time.time_ns()
    for i in range(n):
        r = sl.log_records.add()
        r.time_unix_nano = now + i
        r.severity_text = "INFO"
        r.body.string_value = f"{tag}-{i:05d}"
    return req.SerializeToString()


def all_files(data_dir):
    """Every file below the data folder, hidden temp files included."""
    out = []
    for root, _dirs, files in os.walk(data_dir):
        out.extend(os.path.join(root, f) for f in files)
    return sorted(out)


def bodies_on_disk(server):
    """Bodies of every file written; a 200 means "buffered", so stop the server (SIGTERM
    writes every buffer) before asking."""
    got = []
    for f in server.parquet_files("logs"):
        got.extend(pq.read_table(f, columns=["Body"]).column("Body").to_pylist())
    return got


def status_pb(body):
    st = status_pb2.Status()
    st.ParseFromString(body)
    return st


def raw_exchange(port, head, body=b"", timeout=10):
    """Sends bytes as they are and parses the one response; for requests urllib will not make."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)
        resp = http.client.HTTPResponse(s)
        resp.begin()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def assert_status_json(r, http_status, grpc_code):
    assert r.status == http_status, (r.status, r.body)
    assert r.headers["Content-Type"] == JSON
    doc = json.loads(r.body)
    assert doc["code"] == grpc_code
    assert isinstance(doc["message"], str) and doc["message"]
    return doc["message"]


def assert_status_pb(r, http_status, grpc_code):
    assert r.status == http_status, (r.status, r.body)
    assert r.headers["Content-Type"] == PB
    st = status_pb(r.body)
    assert st.code == grpc_code
    assert st.message
    return st.message


# --- health and readiness --------------------------------------------------------------------


def test_health(server):
    r = server.get("/health")
    assert (r.status, r.body) == (200, b"ok")
    r = server.request("HEAD", "/health")
    assert r.status == 200 and r.body == b""


def test_ready_and_not_ready_when_the_data_folder_is_unusable(server):
    r = server.get("/ready")
    assert (r.status, r.body) == (200, b"ok")
    assert all_files(server.data_dir) == []  # the probe file is gone again

    # the data folder vanishes and a file takes its place (a lost mount, a bad deploy)
    shutil.rmtree(server.data_dir)
    with open(server.data_dir, "w") as f:
        f.write("not a folder")
    r = server.get("/ready")
    msg = assert_status_json(r, 503, UNAVAILABLE)
    assert r.headers["Retry-After"] == "5"
    assert os.path.basename(server.data_dir) in msg
    # an export is still taken while the storage is down (kept in memory, below the cap) and
    # written once it is back
    r = server.post("/v1/logs", logs_request("unready", 3))
    assert r.status == 200

    os.unlink(server.data_dir)
    os.mkdir(server.data_dir)
    assert server.get("/ready").status == 200
    assert server.post("/v1/logs", logs_request("ready-again", 3)).status == 200
    assert server.stop() == 0  # SIGTERM writes what the buffers hold
    assert sorted(bodies_on_disk(server)) == sorted([f"ready-again-{i:05d}" for i in range(3)] +
                                                    [f"unready-{i:05d}" for i in range(3)])


# --- routes and methods ----------------------------------------------------------------------


def test_unknown_path_is_404(server):
    for method, path in [("GET", "/"), ("GET", "/v1/log"), ("POST", "/v1/logs/extra"), ("POST", "/v2/logs"),
                         ("GET", "/healthz")]:
        r = server.request(method, path, body=b"x" if method == "POST" else None, headers={"Content-Type": "text/plain"})
        assert_status_json(r, 404, NOT_FOUND)
    # the error body follows the request's encoding when it is known
    r = server.post("/v1/nothing", b"", content_type=PB)
    assert "/v1/nothing" in assert_status_pb(r, 404, NOT_FOUND)
    assert all_files(server.data_dir) == []


def test_wrong_method_is_405_with_allow(server):
    for method in ("GET", "PUT", "DELETE", "HEAD"):
        r = server.request(method, "/v1/logs")
        assert r.status == 405, method
        assert r.headers["Allow"] == "POST"
        if method != "HEAD":
            assert_status_json(r, 405, UNIMPLEMENTED)
    for path in ("/health", "/ready"):
        r = server.post(path, b"")
        assert r.status == 405
        assert "GET" in r.headers["Allow"]
    assert all_files(server.data_dir) == []


# --- content types and encodings -------------------------------------------------------------


def test_unsupported_content_type_is_415(server):
    body = logs_request("ctype", 2)
    for ctype in ("text/plain", "application/xml", "application/x-protobufx", "application/protobuf-json",
                  "multipart/form-data; boundary=x"):
        r = server.post("/v1/logs", body, content_type=ctype)
        msg = assert_status_json(r, 415, UNIMPLEMENTED)
        assert ctype.split(";")[0] in msg
    r = server.request("POST", "/v1/logs", body=body, headers={"Content-Type": ""})
    assert r.status == 415
    # urllib adds a form content type when there is none: send a request without one by hand
    status, headers, resp = raw_exchange(
        server.port,
        b"POST /v1/logs HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body), body)
    assert status == 415 and headers["content-type"] == JSON
    assert json.loads(resp)["code"] == UNIMPLEMENTED
    assert all_files(server.data_dir) == []


def test_content_type_parameters_and_case_are_ignored(server):
    for i, ctype in enumerate(("application/x-protobuf; charset=utf-8", "Application/X-Protobuf",
                               " application/x-protobuf ;proto=opentelemetry")):
        r = server.post("/v1/logs", logs_request(f"case{i}", 2), content_type=ctype)
        assert r.status == 200, (ctype, r.body)
        assert r.headers["Content-Type"] == PB
        assert r.body == b""  # an empty ExportLogsServiceResponse
        resp = ExportLogsServiceResponse()
        resp.ParseFromString(r.body)
        assert not resp.HasField("partial_success")
    assert server.stop() == 0  # SIGTERM writes what the buffers hold
    assert sorted(bodies_on_disk(server)) == sorted(f"case{i}-{j:05d}" for i in range(3) for j in range(2))


def test_unknown_content_encoding_is_415(server):
    body = logs_request("cenc", 2)
    for enc in ("br", "deflate", "zstd", "gzip, br"):
        r = server.post("/v1/logs", body, headers={"Content-Encoding": enc})
        msg = assert_status_pb(r, 415, UNIMPLEMENTED)
        assert "Content-Encoding" in msg
    # a JSON request gets the same answer as JSON
    r = server.post("/v1/logs", b"{}", content_type=JSON, headers={"Content-Encoding": "br"})
    assert_status_json(r, 415, UNIMPLEMENTED)
    assert all_files(server.data_dir) == []


def test_gzip_request_accepted(server):
    raw = logs_request("gz", 500)
    for enc in ("gzip", "GZIP", "x-gzip"):
        r = server.post("/v1/logs", gzip.compress(raw), headers={"Content-Encoding": enc})
        assert r.status == 200, (enc, r.body)
        assert r.body == b""
    r = server.post("/v1/logs", logs_request("identity", 3), headers={"Content-Encoding": "identity"})
    assert r.status == 200
    assert server.stop() == 0  # SIGTERM writes what the buffers hold
    got = bodies_on_disk(server)
    assert sorted(got) == sorted([f"gz-{i:05d}" for i in range(500)] * 3 + [f"identity-{i:05d}" for i in range(3)])


def test_corrupt_gzip_is_400(server):
    z = gzip.compress(logs_request("corrupt", 50))
    for bad in (z[: len(z) // 2], z[:-1], b"not gzip at all", z[:10] + bytes(b ^ 0x55 for b in z[10:20]) + z[20:]):
        r = server.post("/v1/logs", bad, headers={"Content-Encoding": "gzip"})
        msg = assert_status_pb(r, 400, INVALID_ARGUMENT)
        assert "gzip" in msg
    assert all_files(server.data_dir) == []


# --- size limits -----------------------------------------------------------------------------

LIMIT = 65536


@pytest.fixture
def small_server(start_server):
    return start_server(OTLP2PARQUET_MAX_PAYLOAD_BYTES=LIMIT)


def test_content_length_over_the_limit_is_413_before_the_body(small_server):
    s = small_server
    # only the headers are sent: the answer must come without waiting for the body
    t0 = time.monotonic()
    status, headers, body = raw_exchange(
        s.port, b"POST /v1/logs HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-protobuf\r\n"
                b"Content-Length: 1000000000\r\n\r\n", timeout=10)
    assert status == 413
    assert time.monotonic() - t0 < 5
    st = status_pb(body)
    assert st.code == RESOURCE_EXHAUSTED
    assert str(LIMIT) in st.message
    # a client that does send the body gets the same answer
    r = s.post("/v1/logs", b"\x0a" * (LIMIT + 1))
    assert_status_pb(r, 413, RESOURCE_EXHAUSTED)
    r = s.post("/v1/logs", b"{" + b" " * LIMIT + b"}", content_type=JSON)
    assert_status_json(r, 413, RESOURCE_EXHAUSTED)
    # just under the limit is decoded (and here accepted)
    ok = logs_request("fits", 10)
    assert len(ok) < LIMIT
    assert s.post("/v1/logs", ok).status == 200
    assert s.stop() == 0  # SIGTERM writes what the buffers hold
    assert sorted(bodies_on_disk(s)) == [f"fits-{i:05d}" for i in range(10)]


def test_chunked_body_over_the_limit_is_413(small_server):
    s = small_server

    def chunks():
        for _ in range(16):
            yield b"\x0a" * 8192  # 128 KiB in all, no Content-Length

    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    conn.request("POST", "/v1/logs", body=chunks(), headers={"Content-Type": PB}, encode_chunked=True)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 413
    assert status_pb(body).code == RESOURCE_EXHAUSTED
    # a chunked upload under the limit is fine
    raw = logs_request("chunked", 20)
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    conn.request("POST", "/v1/logs", body=iter([raw[:100], raw[100:]]), headers={"Content-Type": PB},
                 encode_chunked=True)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 200
    assert s.stop() == 0  # SIGTERM writes what the buffers hold
    assert sorted(bodies_on_disk(s)) == [f"chunked-{i:05d}" for i in range(20)]


def test_gzip_inflating_past_the_limit_is_413(small_server):
    s = small_server
    bomb = gzip.compress(b"\x0a\x00" * (4 << 20))  # 8 MiB inflated, a few KiB on the wire
    assert len(bomb) < LIMIT
    r = s.post("/v1/logs", bomb, headers={"Content-Encoding": "gzip"})
    msg = assert_status_pb(r, 413, RESOURCE_EXHAUSTED)
    assert str(LIMIT) in msg
    # a real request that inflates past the limit, too
    big = logs_request("x" * 200, 1000)
    assert len(big) > LIMIT and len(gzip.compress(big)) < LIMIT
    r = s.post("/v1/logs", gzip.compress(big), headers={"Content-Encoding": "gzip"})
    assert_status_pb(r, 413, RESOURCE_EXHAUSTED)
    assert all_files(s.data_dir) == []


# --- bad input -------------------------------------------------------------------------------


GARBAGE = [
    (b"\xff\xff\xff\xff", "truncated"),                      # a varint that never ends
    (b"\x0a\x7f\x01\x02", "127"),                            # a length past the end
    (b"\x0a\x05\x0a\x03\x0a\x01\xff", "resourceLogs[0]"),    # broken deep inside
    (b"\x0a\x02\x08\x01", "resourceLogs[0].resource"),       # wrong wire type
]


def test_garbage_protobuf_is_400_with_a_status_that_names_the_problem(server):
    for garbage, named in GARBAGE:
        r = server.post("/v1/logs", garbage)
        msg = assert_status_pb(r, 400, INVALID_ARGUMENT)
        # the message says what was wrong and where, not just "bad request"
        assert named in msg, (garbage, msg)
    assert all_files(server.data_dir) == []
    # the server is unharmed
    assert server.post("/v1/logs", logs_request("after-garbage", 2)).status == 200


def test_bad_request_message_names_the_input(server):
    # DESIGN §2: "messages name the input and the field" ("logs request: resourceLogs[0]...")
    for garbage, _ in GARBAGE:
        msg = assert_status_pb(server.post("/v1/logs", garbage), 400, INVALID_ARGUMENT)
        assert "logs request" in msg, msg


# --- graceful shutdown -----------------------------------------------------------------------


def test_sigterm_answers_requests_in_flight_and_loses_none(start_server):
    s = start_server()
    n_requests, n_records = 50, 400
    outcome = {}
    go = threading.Barrier(n_requests + 1)

    def send(i):
        body = logs_request(f"req{i:02d}", n_records, service=f"svc{i % 5}")
        # every client is connected before the signal, each on a connection of its own, so all
        # 50 requests count as in flight: the server must answer every one of them
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=120)
        conn.connect()
        go.wait()
        try:
            conn.request("POST", "/v1/logs", body=body, headers={"Content-Type": PB})
            resp = conn.getresponse()
            resp.read()
            outcome[i] = resp.status
        except OSError as e:
            outcome[i] = repr(e)
        finally:
            conn.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n_requests)]
    for t in threads:
        t.start()
    go.wait()
    # SIGTERM as soon as the first answer is in: most requests are then still queued or being
    # written (the server has a few worker threads and each request takes a while)
    deadline = time.monotonic() + 60
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.002)
    s.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(timeout=180)
    rc = s.stop()
    assert rc == 0, s.output()[-4000:]

    assert len(outcome) == n_requests
    assert all(v == 200 for v in outcome.values()), collections.Counter(map(str, outcome.values()))
    got = bodies_on_disk(s)
    for i in range(n_requests):
        want = {f"req{i:02d}-{j:05d}" for j in range(n_records)}
        assert want <= set(got), f"request {i} was answered 200 but rows are missing"
    assert len(got) == n_requests * n_records  # and nothing twice
    assert "SIGTERM" in s.output()


def test_sigterm_on_an_idle_server_exits_at_once(start_server):
    s = start_server()
    assert s.post("/v1/logs", logs_request("before", 2)).status == 200
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 5
    with pytest.raises(requests.ConnectionError):
        requests.get(s.url + "/health", timeout=2)  # nothing listens any more
    assert sorted(bodies_on_disk(s)) == ["before-00000", "before-00001"]


def test_sigterm_waits_for_a_body_still_uploading(start_server):
    s = start_server()
    body = logs_request("slow", 30)
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sock.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-protobuf\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert s.proc.poll() is None  # still draining
    # a new connection is no longer served
    with pytest.raises(OSError):
        requests.get(s.url + "/health", timeout=1.5)
    sock.sendall(body[10:])
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    resp.read()
    assert resp.status == 200
    assert resp.getheader("Connection", "").lower() == "close"
    sock.close()
    assert s.stop() == 0
    assert sorted(bodies_on_disk(s)) == [f"slow-{i:05d}" for i in range(30)]


def test_sigterm_is_not_held_up_by_idle_connections(start_server):
    s = start_server()
    idle_new = socket.create_connection(("127.0.0.1", s.port))  # connected, never sends
    keep = requests.Session()
    assert keep.get(s.url + "/health").status_code == 200  # a kept-alive, idle connection
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 15
    idle_new.close()
    keep.close()


def _ld(field, payload):
    """A length-delimited protobuf field."""
    n, head = len(payload), bytes([(field << 3) | 2])
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            break
    return head + bytes(out) + payload


def _deep_kvlist_request(depth):
    """ExportLogsServiceRequest whose one record's body is a kvlist nested `depth` deep."""
    value = _ld(1, b"leaf")  # AnyValue.string_value
    for _ in range(depth):
        kv = _ld(1, b"k") + _ld(2, value)  # KeyValue {key, value}
        value = _ld(6, _ld(1, kv))  # AnyValue.kvlist_value = KeyValueList {values}
    record = _ld(5, value)  # LogRecord.body
    return _ld(1, _ld(2, _ld(2, record)))  # resource_logs.scope_logs.log_records


def test_hostile_protobuf_over_http(server):
    cases = [
        (b"\x0a" + b"\xff" * 10 + b"\x01", "varint"),  # an 11-byte varint
        (_deep_kvlist_request(1000), "resourceLogs[0].scopeLogs[0].logRecords[0].body"),
        (_ld(1, _ld(2, _ld(2, b"\x4a\x0f" + b"\x01" * 15))),
         "logs request: resourceLogs[0].scopeLogs[0].logRecords[0].traceId: 15 bytes, want 16"),
    ]
    for body, named in cases:
        r = server.post("/v1/logs", body)
        msg = assert_status_pb(r, 400, INVALID_ARGUMENT)
        assert named in msg, (named, msg)
    # 64 levels are fine, as the limit says
    assert server.post("/v1/logs", _deep_kvlist_request(60)).status == 200
    assert server.stop() == 0  # SIGTERM writes what the buffers hold
    assert len([f for f in all_files(server.data_dir) if f.endswith(".parquet")]) == 1
