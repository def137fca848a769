"""Our SigV4 signer (src/aws/sigv4.c, through build/tools/sigv4_sign) against botocore's: for
thousands of generated requests (fixed seed) the canonical request, the string to sign, the
signature, the Authorization header and the headers to add must be equal byte for byte.

S3 requests are signed with botocore.auth.S3SigV4Auth, everything else (glue, s3tables) with
botocore.auth.SigV4Auth. Each botocore request is built as botocore builds a real one: the URL
path percent-encoded as its REST serializer does (S3: the key with '/' and '~' kept; Iceberg REST:
every segment encoded on its own, namespace parts joined by %1F), the query string appended with
percent_encode_sequence (a parameter without a value written bare, as in "?uploads"), the body as
bytes, and the signing time fixed by patching botocore.auth.get_current_datetime, the clock
add_auth reads."""

import datetime
import difflib
import hashlib
import json
import os
import random
import subprocess
import types
from unittest import mock
from urllib.parse import quote, unquote

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.utils import percent_encode, percent_encode_sequence

from conftest import TOOLS

SIGN = os.path.join(TOOLS, "sigv4_sign")
SEED = 20261204

REGIONS = ["us-east-1", "us-west-2", "eu-central-1", "eu-west-1", "ap-southeast-2", "ap-northeast-1",
           "sa-east-1", "cn-north-1", "us-gov-west-1", "il-central-1"]
KEY_PIECES = ["logs", "traces", "a b", "  ", "x", "\u00fc", "\u65e5\u672c\u8a9e", "\U0001F600", "\u00e9t\u00e9",
              "+", "=", "&", "?", "#", "%", "!", "*", "'", "(", ")", ",", ";", ":", "~", "$", "@", "[", "]",
              "//", "/", ".", "..", "/./", "/../", "%20", "%2F", "\t", "\x01", "\x7f", "year=2026",
              "service=api gw", ".parquet", "-", "_", "0189a1b2-c3d4"]
VALUE_PIECES = ["", "a", "b c", "&", "=", "a=b&c=d", "/", "+", "%", "%2B", "\u00fc", "\U0001F600", "~",
                "*", "'", "()", ",", ";", ":", "?", "#", "logs/service=x/", " ", "\t", "2", "10"]
BUCKETS = ["otel-data", "my.bucket.name", "b1", "example-bucket-123"]
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def rand_text(rng, pieces, lo, hi):
    return "".join(rng.choice(pieces) for _ in range(rng.randrange(lo, hi)))


def rand_date(rng):
    start = datetime.datetime(2010, 1, 1)
    return start + datetime.timedelta(seconds=rng.randrange(26 * 365 * 86400))


def rand_creds(rng):
    ak = "AKIA" + "".join(rng.choice(ALNUM.upper()[:36]) for _ in range(16))
    sk = "".join(rng.choice(ALNUM + "/+") for _ in range(40))
    token = None
    if rng.random() < 0.5:
        ak = "ASIA" + ak[4:]
        token = "".join(rng.choice(ALNUM + "/+=") for _ in range(rng.randrange(16, 800)))
    return ak, sk, token


def rand_body(rng, method):
    r = rng.random()
    if method in ("GET", "HEAD", "DELETE") and r < 0.9:
        return b""
    if r < 0.3:
        return b""
    if r < 0.96:
        return rng.randbytes(rng.randrange(1, 400))
    return rng.randbytes(1 << 20)  # 1 MiB


def header_value(rng):
    """Printable ASCII with odd spacing: leading, trailing and inner runs of spaces and tabs."""
    words = ["a", "b", "text/plain;", "charset=utf-8", "no-cache,", "max-age=0", '"etag"', "*", "x=y", "q"]
    sep = lambda: rng.choice([" ", "  ", "\t", " \t ", "   "])
    out = rng.choice(["", " ", "  ", "\t"])
    for i in range(rng.randrange(0, 5)):
        out += (sep() if i else "") + rng.choice(words)
    return out + rng.choice(["", " ", "\t\t", "  "])


def rand_headers(rng, pool):
    headers = []
    for _ in range(rng.randrange(0, 6)):
        name = rng.choice(pool)
        name = "".join(c.upper() if rng.random() < 0.3 else c for c in name)  # any case
        headers.append([name, header_value(rng) if rng.random() < 0.5 else rng.choice(["v", "0", "bytes=0-9"])])
    if rng.random() < 0.1 and headers:
        # the same name twice, in another case: botocore joins the values with ','
        headers.append([headers[0][0].swapcase(), header_value(rng)])
    return headers


S3_HEADERS = ["Content-Type", "x-amz-meta-service", "x-amz-meta-a", "Content-MD5", "Range", "If-None-Match",
              "If-Match", "x-amz-checksum-crc32", "x-amz-storage-class", "Cache-Control", "Content-Encoding",
              "x-amz-server-side-encryption", "x-amz-tagging", "Content-Disposition",
              # never signed by botocore: the signer must skip them too
              "User-Agent", "Expect", "X-Amzn-Trace-Id"]
GLUE_HEADERS = ["Content-Type", "Accept", "X-Iceberg-Access-Delegation", "x-amz-target", "User-Agent",
                "Content-Encoding"]


def s3_params(rng, method):
    upload_id = "".join(rng.choice(ALNUM + "._-+/=") for _ in range(rng.randrange(8, 60)))
    kind = rng.randrange(8)
    if kind == 0:
        return "POST", [["uploads", None]]
    if kind == 1:
        return "PUT", [["partNumber", str(rng.randrange(1, 10001))], ["uploadId", upload_id]]
    if kind == 2:
        return rng.choice(["POST", "DELETE", "GET"]), [["uploadId", upload_id]]
    if kind == 3:
        ps = [["list-type", "2"], ["prefix", rand_text(rng, KEY_PIECES, 0, 6)]]
        if rng.random() < 0.5:
            ps.append(["delimiter", "/"])
        if rng.random() < 0.4:
            ps.append(["continuation-token", "".join(rng.choice(ALNUM + "+/=") for _ in range(40))])
        if rng.random() < 0.3:
            ps.append(["start-after", rand_text(rng, KEY_PIECES, 1, 4)])
        if rng.random() < 0.3:
            ps.append(["max-keys", str(rng.randrange(1, 1001))])
        if rng.random() < 0.3:
            ps.append(["encoding-type", "url"])
        rng.shuffle(ps)
        return "GET", ps
    if kind == 4:
        return method, [["versionId", rand_text(rng, VALUE_PIECES, 0, 4)],
                        ["response-content-disposition", 'attachment; filename="a b.txt"']]
    if kind == 5:
        # arbitrary names and values, repeated names, empty values, '&' and '=' inside
        ps = []
        for _ in range(rng.randrange(1, 8)):
            name = rand_text(rng, VALUE_PIECES[1:], 1, 3) if rng.random() < 0.7 else rng.choice(["a", "b", "x-id"])
            ps.append([name, rand_text(rng, VALUE_PIECES, 0, 4) if rng.random() < 0.9 else None])
        return method, ps
    return method, []


def s3_case(rng):
    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
    method, params = s3_params(rng, method)
    region = rng.choice(REGIONS)
    bucket = rng.choice(BUCKETS)
    key = rand_text(rng, KEY_PIECES, 1, 12) if rng.random() < 0.95 else ""
    style = rng.randrange(4)
    if style == 0:  # virtual-hosted: the bucket is in the host
        scheme, netloc, host, path = "https", f"{bucket}.s3.{region}.amazonaws.com", None, "/" + key
    elif style == 1:  # path style on AWS
        scheme, netloc, host, path = "https", f"s3.{region}.amazonaws.com", None, f"/{bucket}/{key}" if key else f"/{bucket}"
    elif style == 2:  # an S3-compatible server on a port
        netloc = rng.choice(["localhost:9000", "127.0.0.1:7070", "[::1]:9000", "minio.internal:8443"])
        scheme, host, path = "http", None, f"/{bucket}/{key}" if key else f"/{bucket}"
    else:  # the default port written out: not part of the Host
        scheme, netloc, host, path = "https", "s3.example.internal:443", "s3.example.internal", f"/{bucket}/{key}"
    return {
        "service": "s3", "region": region, "method": method, "scheme": scheme, "netloc": netloc,
        "host": host or netloc, "path": path, "wire_path": percent_encode(path, safe="/~"),
        "path_is_encoded": False, "params": params, "headers": rand_headers(rng, S3_HEADERS),
        "body": rand_body(rng, method), "payload": rand_payload_mode(rng), "date": rand_date(rng),
        "creds": rand_creds(rng), "add_sha": False, "hash_in_tool": rng.random() < 0.7,
    }


NS_PARTS = ["otel", "ns", "sub", "a b", "\u00fc", "x/y", "dots.in.name", "tab\tname", "%", "+", "..", ".", "q?"]


def iceberg_path(rng):
    seg = lambda s: quote(s, safe="")  # every segment on its own: '/' inside a name is %2F
    ns = "%1F".join(seg(rng.choice(NS_PARTS)) for _ in range(rng.randrange(1, 4)))
    table = seg(rng.choice(["logs", "traces", "metrics_sum", "t", "a b", "t/x", "\u65e5"]))
    prefix = rng.choice(["/iceberg/v1", "/iceberg/v1/catalogs/" + seg("123456789012:s3tablescatalog/otel"),
                         "/v1", "/v1/" + seg("arn:aws:s3tables:us-east-1:123456789012:bucket/otel")])
    tail = rng.choice(["/config", "/namespaces", f"/namespaces/{ns}", f"/namespaces/{ns}/tables",
                       f"/namespaces/{ns}/tables/{table}", "/tables/rename",
                       f"/namespaces/{ns}/tables/{table}/metrics", f"/namespaces/{ns}/tables/{table}/"])
    path = prefix + tail
    if rng.random() < 0.1:  # oddities the normalisation removes
        path = path.replace("/", rng.choice(["//", "/./", "/x/../"]), 1)
    if rng.random() < 0.1:  # lowercase hex is left as it is (and encoded again)
        path = path.replace("%1F", "%1f")
    return path


def glue_case(rng):
    method = rng.choice(["GET", "POST", "DELETE", "HEAD", "PUT"])
    region = rng.choice(REGIONS)
    service = rng.choice(["glue", "glue", "s3tables"])
    wire = iceberg_path(rng)
    params = []
    if rng.random() < 0.5:
        params.append(["warehouse", rng.choice(["123456789012:s3tablescatalog/otel",
                                                "arn:aws:s3tables:us-east-1:123456789012:bucket/otel"])])
    if rng.random() < 0.3:
        params.append(["pageToken", "".join(rng.choice(ALNUM + "+/=") for _ in range(24))])
    if rng.random() < 0.2:
        params.append(["purgeRequested", "true"])
    if rng.random() < 0.2:
        params.append(["snapshots", rng.choice(["refs", "all"])])
    body = b""
    if method in ("POST", "PUT") and rng.random() < 0.9:
        body = json.dumps({"name": "t", "schema": {"fields": list(range(rng.randrange(0, 50)))}}).encode()
    # the decoded form works when no segment holds an encoded '/': otherwise the path goes as is
    decoded = unquote(wire)
    can_decode = quote(decoded, safe="/~") == wire and rng.random() < 0.6
    return {
        "service": service, "region": region, "method": method, "scheme": "https",
        "netloc": f"{service}.{region}.amazonaws.com", "host": f"{service}.{region}.amazonaws.com",
        "path": decoded if can_decode else wire, "wire_path": wire, "path_is_encoded": not can_decode,
        "params": params, "headers": rand_headers(rng, GLUE_HEADERS), "body": body,
        "payload": rand_payload_mode(rng), "date": rand_date(rng), "creds": rand_creds(rng),
        "add_sha": rng.random() < 0.3, "hash_in_tool": rng.random() < 0.5,
    }


def rand_payload_mode(rng):
    """Mostly the body's hash; sometimes an unsigned payload (payload signing turned off) or a
    streaming body with a trailing checksum."""
    r = rng.random()
    return "unsigned" if r < 0.08 else "trailer" if r < 0.12 else "body"


def payload_hash(case):
    return {"unsigned": "UNSIGNED-PAYLOAD", "trailer": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}.get(
        case["payload"], hashlib.sha256(case["body"]).hexdigest())


def tool_line(case):
    ak, sk, token = case["creds"]
    d = {
        "method": case["method"], "host": case["host"], "path": case["path"],
        "path_is_encoded": case["path_is_encoded"], "params": case["params"], "headers": case["headers"],
        "amz_date": case["date"].strftime("%Y%m%dT%H%M%SZ"), "region": case["region"],
        "service": case["service"], "add_content_sha256_header": case["add_sha"],
        "access_key": ak, "secret_key": sk, "session_token": token,
    }
    if case["hash_in_tool"] and case["payload"] == "body":
        d["body_hex"] = case["body"].hex()  # our sigv4_sha256_hex hashes it
    else:
        d["payload_sha256"] = payload_hash(case)
    return json.dumps(d)


def run_tool(lines):
    p = subprocess.run([SIGN], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(out) == len(lines), f"{len(out)} answers for {len(lines)} requests"
    return out


def recording(cls):
    """The signer class, keeping what add_auth computed (recomputing after add_auth would sign the
    Authorization header it added)."""

    class Recording(cls):
        def canonical_request(self, request):
            self.rec_cr = super().canonical_request(request)
            return self.rec_cr

        def string_to_sign(self, request, canonical_request):
            self.rec_sts = super().string_to_sign(request, canonical_request)
            return self.rec_sts

        def signature(self, string_to_sign, request):
            self.rec_sig = super().signature(string_to_sign, request)
            return self.rec_sig

    return Recording


def botocore_sign(case):
    url = f"{case['scheme']}://{case['netloc']}{case['wire_path']}"
    if case["params"]:
        # valueless parameters come from the operation's requestUri ("?uploads"), the others from
        # the serializer's query_string, appended with percent_encode_sequence
        bare = [n for n, v in case["params"] if v is None]
        pairs = [(n, v) for n, v in case["params"] if v is not None]
        query = "&".join([percent_encode(n) for n in bare] + ([percent_encode_sequence(pairs)] if pairs else []))
        url += "?" + query
    headers = HTTPHeaders()
    for n, v in case["headers"]:
        headers[n] = v  # appends: repeated names stay
    request = AWSRequest(method=case["method"], url=url, headers=headers, data=case["body"])
    # the headers the caller gave; the ones to add are the rest (for glue the payload hash header
    # set below counts as added: the signer returns it in add[])
    before = {n.lower() for n in request.headers.keys()}
    ak, sk, token = case["creds"]
    creds = Credentials(ak, sk, token)
    if case["service"] == "s3":
        auth = recording(botocore.auth.S3SigV4Auth)(creds, "s3", case["region"])
        if case["payload"] == "unsigned":
            request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})
    else:
        auth = recording(botocore.auth.SigV4Auth)(creds, case["service"], case["region"])
        if case["add_sha"]:
            request.headers["X-Amz-Content-SHA256"] = payload_hash(case)
        if case["payload"] == "unsigned":
            request.context["payload_signing_enabled"] = False
    if case["payload"] == "trailer":
        request.context["checksum"] = {"request_algorithm": {"in": "trailer", "name": "crc32"}}
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=case["date"]):
        auth.add_auth(request)
    added = sorted((n.lower(), v) for n, v in request.headers.items()
                   if n.lower() not in before and n.lower() != "authorization")
    return {"canonical_request": auth.rec_cr, "string_to_sign": auth.rec_sts, "signature": auth.rec_sig,
            "authorization": request.headers["Authorization"], "add": added}


def mismatch(case, ours, theirs):
    """None when equal; else a readable account of the first difference."""
    if "error" in ours:
        return f"the signer refused: {ours['error']}"
    for field in ("canonical_request", "string_to_sign", "signature", "authorization"):
        if ours[field] != theirs[field]:
            diff = "\n".join(difflib.unified_diff(theirs[field].split("\n"), ours[field].split("\n"),
                                                  "botocore", "ours", lineterm=""))
            return f"{field} differs:\n{diff}"
    ours_add = sorted((n, v) for n, v in ours["add"])
    if ours_add != theirs["add"]:
        return f"headers to add differ: ours {ours_add}, botocore {theirs['add']}"
    if case["payload"] == "body" and ours["payload_sha256"] != hashlib.sha256(case["body"]).hexdigest():
        return f"payload hash {ours['payload_sha256']} is not the body's"
    return None


def describe(case):
    c = dict(case)
    body = c.pop("body")
    c["body"] = f"{len(body)} bytes"
    c["creds"] = (c["creds"][0], "<secret>", c["creds"][2])
    return repr(c)


def compare_all(cases):
    ours = run_tool([tool_line(c) for c in cases])
    bad = []
    for case, o in zip(cases, ours):
        m = mismatch(case, o, botocore_sign(case))
        if m:
            bad.append((case, m))
    if bad:
        case, m = bad[0]
        raise AssertionError(f"{len(bad)} of {len(cases)} requests differ from botocore; the first:\n"
                             f"{describe(case)}\n{m}")
    return ours


def test_s3_matches_botocore():
    rng = random.Random(SEED)
    cases = [s3_case(rng) for _ in range(1500)]
    # what the generator must have covered, so the comparison means something
    big = [c for c in cases if len(c["body"]) == 1 << 20 and c["payload"] == "body"]
    assert len(big) >= 10 and any(c["hash_in_tool"] for c in big)  # 1 MiB bodies hashed by us too
    assert sum(c["creds"][2] is not None for c in cases) >= 500
    assert sum(c["payload"] == "unsigned" for c in cases) >= 50
    assert sum(c["payload"] == "trailer" for c in cases) >= 20
    assert {c["method"] for c in cases} == {"GET", "PUT", "POST", "DELETE", "HEAD"}
    assert any(["uploads", None] in c["params"] for c in cases)
    assert any(n == "uploadId" for c in cases for n, _ in c["params"])
    assert any("//" in c["path"] for c in cases) and any("\U0001F600" in c["path"] for c in cases)
    assert any(h[0].lower() == "user-agent" for c in cases for h in c["headers"])
    ours = compare_all(cases)
    assert all(o["signature"] and len(o["signature"]) == 64 for o in ours)


def test_glue_matches_botocore():
    rng = random.Random(SEED + 1)
    cases = [glue_case(rng) for _ in range(400)]
    assert any("%1F" in c["wire_path"] for c in cases)
    assert sum(c["path_is_encoded"] for c in cases) >= 50 and sum(not c["path_is_encoded"] for c in cases) >= 50
    assert any(c["add_sha"] for c in cases)
    assert any(c["payload"] == "unsigned" for c in cases) and any(c["payload"] == "trailer" for c in cases)
    ours = compare_all(cases)
    # the namespace separator is encoded twice in what is signed
    assert any("%251F" in o["canonical_request"] for o in ours)


def test_comparison_can_fail():
    """A request signed differently on one side must be reported, field by field."""
    rng = random.Random(SEED + 2)
    case = s3_case(rng)
    ours = run_tool([tool_line(case)])[0]
    assert mismatch(case, ours, botocore_sign(case)) is None
    other = dict(case, region="us-east-2" if case["region"] != "us-east-2" else "us-west-1")
    m = mismatch(case, ours, botocore_sign(other))
    assert m and m.startswith("string_to_sign differs"), m
    other = dict(case, headers=case["headers"] + [["x-amz-meta-extra", "1"]])
    m = mismatch(case, ours, botocore_sign(other))
    assert m and m.startswith("canonical_request differs"), m


def test_tool_reports_refusals_and_goes_on():
    rng = random.Random(SEED + 3)
    good = s3_case(rng)
    bad_crlf = dict(good, headers=[["x-amz-meta-a", "v\r\nx-injected: 1"]])
    bad_path = dict(good, path="no-slash")
    many = dict(good, headers=[[f"x-amz-meta-{i}", "v"] for i in range(65)])
    secret = good["creds"][1]
    out = run_tool([tool_line(bad_crlf), tool_line(good), tool_line(bad_path), tool_line(many), "{not json"])
    assert "CR or LF" in out[0]["error"] and out[0]["code"] == 1
    assert mismatch(good, out[1], botocore_sign(good)) is None
    assert "does not start with '/'" in out[2]["error"]
    assert "65 headers, at most 64" in out[3]["error"]
    assert "input:" in out[4]["error"]
    assert all(secret not in json.dumps(o) for o in out if "error" in o)
