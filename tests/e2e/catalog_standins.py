"""Loopback stand-ins for Iceberg REST catalogs, shared by the tests: a Gate that checks each
request before forwarding it to Apache's REST fixture (bearer and OAuth2 gates are built on it),
and a Glue stand-in that serves under /iceberg, checks every request's SigV4 (service glue) with
botocore, demands the warehouse parameter, returns a prefix, and can deny chosen requests with
the AccessDeniedException envelope Glue's Iceberg endpoint answers with."""

import datetime
import http.client
import http.server
import json
import threading
from unittest import mock
from urllib.parse import parse_qs, urlsplit


class Gate:
    """A loopback HTTP server that checks each request (check(handler, path, body) returns None
    to forward or (status, body) to answer), rewrites its path and forwards to the fixture."""

    def __init__(self, upstream_port, check, rewrite=lambda p: p):
        gate = self
        self.seen = []

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                gate.seen.append((self.command, self.path))
                verdict = check(self, body)
                if verdict is None:
                    c = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                    hdr = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                    c.request(self.command, rewrite(self.path), body=body or None, headers=hdr)
                    r = c.getresponse()
                    status, data = r.status, r.read()
                    c.close()
                else:
                    status, data = verdict
                    if not isinstance(data, bytes):
                        data = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = do_DELETE = handle_any

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def unauthorized(msg):
    return 401, {"error": {"message": msg, "type": "NotAuthorizedException", "code": 401}}


def fixture_port(fx):
    return int(fx.uri.rsplit(":", 1)[1])


AK, SK, TOKEN = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "session/token+value=="


def sigv4_ok(h, body):
    """Recomputes the request's signature with botocore's SigV4Auth (service glue)."""
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    auth = h.headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return False, "no SigV4"
    parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    ak, date, region, service, _ = parts["Credential"].split("/")
    if (ak, region, service) != (AK, "us-east-1", "glue"):
        return False, f"credential scope {ak}/{region}/{service}"
    if h.headers.get("X-Amz-Security-Token") != TOKEN:
        return False, "session token"
    signed = parts["SignedHeaders"].split(";")
    hdrs = {k: h.headers[k] for k in signed if k not in ("x-amz-date", "x-amz-security-token")}
    req = AWSRequest(method=h.command, url=f"http://{h.headers['Host']}{h.path}", data=body, headers=hdrs)
    when = datetime.datetime.strptime(h.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        botocore.auth.SigV4Auth(Credentials(AK, SK, TOKEN), "glue", "us-east-1").add_auth(req)
    if req.headers["Authorization"] != auth:
        return False, "signature mismatch"
    return True, ""


GLUE_PREFIX = "catalogs/123456789012-otel"
GLUE_WAREHOUSE = "123456789012:s3tablescatalog/bucket"


def access_denied(msg=None):
    """Glue's 403 envelope (its message is sometimes absent)."""
    e = {"code": 403, "type": "AccessDeniedException"}
    if msg is not None:
        e["message"] = msg
    return 403, {"error": e}


def glue_stand_in(fx, deny=lambda h, path: None):
    """A Gate in front of fixture fx that behaves like Glue's Iceberg REST endpoint. deny(handler,
    path without /iceberg/v1) may return a verdict (status, body) for a request signed correctly."""

    def check(h, body):
        ok, why = sigv4_ok(h, body)
        if not ok:
            return access_denied(why)
        u = urlsplit(h.path)
        if not u.path.startswith("/iceberg/v1/"):
            return 404, {"error": {"message": "not under /iceberg", "type": "NotFound", "code": 404}}
        verdict = deny(h, u.path[len("/iceberg/v1"):])
        if verdict is not None:
            return verdict
        if u.path == "/iceberg/v1/config":
            q = parse_qs(u.query)
            if q.get("warehouse") != [GLUE_WAREHOUSE]:
                return 400, {"error": {"message": "warehouse is required", "type": "InvalidInputException", "code": 400}}
            return 200, {"defaults": {}, "overrides": {"prefix": GLUE_PREFIX}}
        if not u.path.startswith("/iceberg/v1/" + GLUE_PREFIX + "/"):
            return 404, {"error": {"message": "no prefix", "type": "NotFound", "code": 404}}
        return None

    def rewrite(p):
        return p.replace("/iceberg/v1/" + GLUE_PREFIX + "/", "/v1/", 1)

    return Gate(fixture_port(fx), check, rewrite)


def glue_env(**extra):
    """The environment of a client of the Glue stand-in (base URI http://127.0.0.1:PORT/iceberg)."""
    env = dict(OTLP2PARQUET_ICEBERG_WAREHOUSE=GLUE_WAREHOUSE, OTLP2PARQUET_ICEBERG_SIGNING_NAME="glue",
               AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_SESSION_TOKEN=TOKEN,
               AWS_EC2_METADATA_DISABLED="true")
    env.update(extra)
    return env
