"""The AWS credential chain (src/aws/credentials.c) through build/tools/aws_creds, which prints
what aws_cred_get returned, one JSON line per call. The HTTP sources (container endpoint, IMDSv2)
run against loopback stand-ins that check what a real endpoint checks (the Authorization token,
the IMDSv2 session token) and count fetches. Every test runs with HOME set to an empty folder and
without the caller's AWS_* variables, so nothing of the machine leaks in."""

import datetime
import http.server
import json
import os
import subprocess
import threading
import time

import pytest

from conftest import TOOLS, assert_no_sanitizer_report, clean_env, free_port

EXE = os.path.join(TOOLS, "aws_creds")

AK, SK, TOK = "AKIAENVEXAMPLE000001", "envSecret/Key+0123456789abcdefghijklmno", "envSessionToken//AAAA+BBBB=="


def run(tmp_path, args=(), home=None, timeout=60, **env):
    """Runs aws_creds; returns (returncode, [json lines], stderr)."""
    h = home or tmp_path / "home"
    os.makedirs(h, exist_ok=True)
    e = clean_env(HOME=h, **env)
    e.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    p = subprocess.run([EXE] + [str(a) for a in args], env=e, capture_output=True, text=True, timeout=timeout)
    assert_no_sanitizer_report(p.stdout + p.stderr)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return p.returncode, lines, p.stderr


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StandIn:
    """A loopback HTTP server; `answer(req)` -> (status, body bytes or dict) decides each reply.
    req is a dict: method, path, headers (lower-case names), n (1-based request count)."""

    def __init__(self, answer):
        stand = self
        self.requests = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with stand.lock:
                    req = {"method": self.command, "path": self.path, "body": body,
                           "headers": {k.lower(): v for k, v in self.headers.items()},
                           "n": len(stand.requests) + 1}
                    stand.requests.append(req)
                status, out = answer(req)
                if isinstance(out, dict):
                    out = json.dumps(out).encode()
                elif isinstance(out, str):
                    out = out.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_PUT = do_POST = handle_one

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def count(self, method=None, path=None):
        with self.lock:
            return sum(1 for r in self.requests if (method is None or r["method"] == method)
                       and (path is None or r["path"] == path))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def stand_in():
    made = []

    def make(answer):
        s = StandIn(answer)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def doc(n, expires_in=3600):
    """The n-th set of temporary credentials, distinct per n."""
    return {"AccessKeyId": f"ASIASTANDIN{n:09d}", "SecretAccessKey": f"standinSecret{n}/+abcdefghijklmnopqrstuvw",
            "Token": f"standinToken{n}//ZZZZ==", "Expiration": iso(time.time() + expires_in)}


def assert_doc(line, d, source):
    assert line["source"] == source
    assert line["access_key"] == d["AccessKeyId"]
    assert line["secret_key"] == d["SecretAccessKey"]
    assert line["session_token"] == d["Token"]
    want = datetime.datetime.strptime(d["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert line["expires_ms"] == int(want.timestamp()) * 1000


def assert_no_secrets(text, *secrets):
    for s in secrets:
        assert s not in text, "a secret appears in the output"


# ---- environment ----

def test_environment_with_session_token(tmp_path):
    rc, lines, err = run(tmp_path, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_SESSION_TOKEN=TOK)
    assert rc == 0, err
    assert lines == [{"call": 1, "source": "environment", "access_key": AK, "secret_key": SK,
                      "session_token": TOK, "expires_ms": 0}]


def test_environment_without_session_token(tmp_path):
    rc, lines, err = run(tmp_path, ["--repeat", 2], AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
    assert rc == 0, err
    assert [(l["source"], l["access_key"], l["secret_key"], l["session_token"]) for l in lines] == \
        [("environment", AK, SK, "")] * 2


def test_environment_wins_over_profile(tmp_path):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("[default]\naws_access_key_id = AKIAPROFILE000000001\n"
                                               "aws_secret_access_key = profileSecret\n")
    rc, lines, err = run(tmp_path, home=home, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
    assert rc == 0, err
    assert (lines[0]["source"], lines[0]["access_key"], lines[0]["secret_key"]) == ("environment", AK, SK)


def test_environment_half_pair_is_an_error(tmp_path):
    rc, lines, err = run(tmp_path, AWS_ACCESS_KEY_ID=AK)
    assert rc == 1 and lines == []
    assert "config" in err and "AWS_SECRET_ACCESS_KEY is not" in err


def test_environment_bad_value_named_not_shown(tmp_path):
    rc, _, err = run(tmp_path, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY="has space secret")
    assert rc == 1
    assert "AWS_SECRET_ACCESS_KEY is not printable ASCII" in err
    assert_no_secrets(err, "has space secret")


# ---- profiles ----

MESSY_CREDENTIALS = (
    "# a comment\r\n"
    "; another\r\n"
    "[default]\r\n"
    "aws_access_key_id=AKIADEFAULT000000001\r\n"
    "aws_secret_access_key=defaultSecret\r\n"
    "\r\n"
    "  [ dev ]   \r\n"
    "   aws_access_key_id   =   AKIADEV0000000000001   \r\n"
    "aws_secret_access_key\t=\tdevSecret/abc+def   # trailing comment\r\n"
    "aws_session_token = devToken==\r\n"
    "region = eu-west-1\r\n"
    "[devops]\r\n"
    "aws_access_key_id = AKIAWRONGPROFILE0001\r\n"
    "aws_secret_access_key = wrong\r\n"
)


def test_profile_from_credentials_file(tmp_path):
    f = tmp_path / "creds"
    f.write_bytes(MESSY_CREDENTIALS.encode())
    rc, lines, err = run(tmp_path, AWS_SHARED_CREDENTIALS_FILE=f, AWS_PROFILE="dev")
    assert rc == 0, err
    assert lines[0] == {"call": 1, "source": "profile dev", "access_key": "AKIADEV0000000000001",
                        "secret_key": "devSecret/abc+def", "session_token": "devToken==", "expires_ms": 0}


def test_default_profile_from_home(tmp_path):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_bytes(MESSY_CREDENTIALS.encode())
    rc, lines, err = run(tmp_path, home=home)
    assert rc == 0, err
    assert (lines[0]["source"], lines[0]["access_key"], lines[0]["secret_key"], lines[0]["session_token"]) == \
        ("profile default", "AKIADEFAULT000000001", "defaultSecret", "")


def test_profile_from_config_file(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text(
        "[default]\nregion = us-east-1\n"
        "[x]\naws_access_key_id = AKIANOTPROFILEPREFIX\naws_secret_access_key = notThis\n"
        "[profile   x]\n"
        "aws_access_key_id = AKIACONFIGX000000001\n"
        "aws_secret_access_key = configSecretX\n"
        "s3 =\n  aws_access_key_id = AKIANESTEDNOTTOPLVL1\n  max_concurrent_requests = 10\n"
        "region = us-west-2\n")
    rc, lines, err = run(tmp_path, AWS_CONFIG_FILE=cfg, AWS_PROFILE="x",
                         AWS_SHARED_CREDENTIALS_FILE=tmp_path / "absent")
    assert rc == 0, err
    assert (lines[0]["source"], lines[0]["access_key"], lines[0]["secret_key"]) == \
        ("profile x", "AKIACONFIGX000000001", "configSecretX")


def test_default_section_of_config_file(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("[default]\naws_access_key_id = AKIACONFIGDEFAULT001\naws_secret_access_key = cfgDefault\n")
    rc, lines, err = run(tmp_path, AWS_CONFIG_FILE=cfg)
    assert rc == 0, err
    assert (lines[0]["source"], lines[0]["access_key"], lines[0]["secret_key"]) == \
        ("profile default", "AKIACONFIGDEFAULT001", "cfgDefault")


def test_credentials_file_wins_over_config_file(tmp_path):
    cfg, creds = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text("[profile p]\naws_access_key_id = AKIAFROMCONFIG000001\naws_secret_access_key = cfgSecret\n")
    creds.write_text("[p]\naws_access_key_id = AKIAFROMCREDS0000001\naws_secret_access_key = credsSecret\n")
    rc, lines, err = run(tmp_path, AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=creds, AWS_PROFILE="p")
    assert rc == 0, err
    assert (lines[0]["access_key"], lines[0]["secret_key"]) == ("AKIAFROMCREDS0000001", "credsSecret")


def test_missing_profile_is_a_clear_error(tmp_path):
    creds = tmp_path / "credentials"
    creds.write_bytes(MESSY_CREDENTIALS.encode())
    rc, lines, err = run(tmp_path, AWS_SHARED_CREDENTIALS_FILE=creds, AWS_PROFILE="nope",
                         AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
    assert rc == 1 and lines == []
    assert "config" in err and 'profile "nope"' in err and str(creds) in err


def test_profile_half_pair_names_the_field(tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text("[half]\naws_access_key_id = AKIAHALF000000000001\n")
    rc, _, err = run(tmp_path, AWS_SHARED_CREDENTIALS_FILE=creds, AWS_PROFILE="half")
    assert rc == 1
    assert "profile half: aws_secret_access_key is missing" in err


def test_profile_without_keys_falls_through_with_a_warning(tmp_path, stand_in):
    cfg = tmp_path / "config"
    cfg.write_text("[profile sso]\nsso_start_url = https://example.awsapps.com/start\nregion = eu-west-1\n")
    d = doc(9)
    s = stand_in(lambda req: (200, d))
    rc, lines, err = run(tmp_path, AWS_CONFIG_FILE=cfg, AWS_PROFILE="sso", AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c")
    assert rc == 0, err
    assert_doc(lines[0], d, "container")
    assert "WARN" in err and "AWS_PROFILE sso has no aws_access_key_id" in err


def test_profile_file_over_one_mib_is_refused(tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = AKIABIG0000000000001\naws_secret_access_key = big\n"
                     + "# padding\n" * 120000)
    rc, _, err = run(tmp_path, AWS_SHARED_CREDENTIALS_FILE=creds)
    assert rc == 1
    assert "config" in err and "over 1048576 bytes" in err


# ---- container credentials ----

def container_answer(token, docs):
    """401 unless Authorization is exactly token; else docs[n] in turn (the last one repeats)."""
    served = []

    def answer(req):
        if req["headers"].get("authorization") != token:
            return 401, b"unauthorized"
        served.append(1)
        return 200, docs[min(len(served), len(docs)) - 1]
    return answer


def test_container_full_uri_with_token_from_env(tmp_path, stand_in):
    d = doc(1)
    s = stand_in(container_answer("Bearer s3cr3t-auth", [d]))
    rc, lines, err = run(tmp_path, ["--log-level", "debug"], AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/creds?x=1",
                         AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer s3cr3t-auth")
    assert rc == 0, err
    assert_doc(lines[0], d, "container")
    assert s.requests[0]["path"] == "/creds?x=1" and s.requests[0]["method"] == "GET"
    # the log names the source and the start of the key id, never the secrets
    assert "container" in err and "ASIA" in err
    assert_no_secrets(err, d["SecretAccessKey"], d["Token"], d["AccessKeyId"], "s3cr3t-auth")


def test_container_wrong_token_is_refused(tmp_path, stand_in):
    s = stand_in(container_answer("right-token", [doc(1)]))
    rc, lines, err = run(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/creds",
                         AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong-token")
    assert rc == 1 and lines == []
    assert "unavailable" in err and "401" in err and f"127.0.0.1:{s.port}" in err
    assert_no_secrets(err, "wrong-token")
    assert s.requests[0]["headers"]["authorization"] == "wrong-token"


def test_container_token_file_is_read_at_each_fetch(tmp_path, stand_in):
    tf = tmp_path / "token"
    tf.write_text("  first-token\n")
    seen = []
    docs = [doc(1), doc(2)]

    def answer(req):
        seen.append(req["headers"].get("authorization"))
        want = "first-token" if len(seen) == 1 else "second-token"
        if seen[-1] != want:
            return 401, b""
        if len(seen) == 1:
            tf.write_text("second-token\r\n")  # rotated after the first fetch
        return 200, docs[len(seen) - 1]

    s = stand_in(answer)
    rc, lines, err = run(tmp_path, ["--repeat", 2, "--invalidate"], AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c",
                         AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tf, AWS_CONTAINER_AUTHORIZATION_TOKEN="env-loses")
    assert rc == 0, err
    assert seen == ["first-token", "second-token"]
    assert_doc(lines[0], docs[0], "container")
    assert_doc(lines[1], docs[1], "container")


def test_container_token_file_with_a_line_break_is_refused(tmp_path, stand_in):
    tf = tmp_path / "token"
    tf.write_text("abc\nInjected: yes\n")
    s = stand_in(container_answer("abc", [doc(1)]))
    rc, _, err = run(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c", AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tf)
    assert rc == 1
    assert "config" in err and "line break" in err
    assert s.count() == 0


def test_container_relative_uri(tmp_path, stand_in):
    d = doc(7)
    s = stand_in(lambda req: (200, d) if req["path"] == "/v2/credentials/abc-123" else (404, b""))
    rc, lines, err = run(tmp_path, ["--relative-base", s.url], AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="/v2/credentials/abc-123")
    assert rc == 0, err
    assert_doc(lines[0], d, "container")
    assert "authorization" not in s.requests[0]["headers"]


@pytest.mark.parametrize("uri", ["http://example.com/creds", "http://169.254.169.254/latest", "http://10.0.0.1/c",
                                 "ftp://127.0.0.1/c"])
def test_container_full_uri_plain_http_only_to_allowed_hosts(tmp_path, uri):
    rc, _, err = run(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=uri)
    assert rc == 1
    assert "config" in err and "AWS_CONTAINER_CREDENTIALS_FULL_URI" in err


def test_container_full_uri_to_localhost_name_is_allowed(tmp_path, stand_in):
    d = doc(3)
    s = stand_in(lambda req: (200, d))
    rc, lines, err = run(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://localhost:{s.port}/c")
    if rc != 0 and "Could not resolve" in err:
        pytest.skip("localhost does not resolve here")
    assert rc == 0, err
    assert_doc(lines[0], d, "container")


def test_container_connection_refused_names_host_not_query(tmp_path):
    port = free_port()
    rc, _, err = run(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{port}/creds?sig=TOPSECRETQUERY")
    assert rc == 1
    assert "unavailable" in err and f"127.0.0.1:{port}" in err
    assert "onnect" in err  # curl's reason: "Couldn't connect to server"
    assert "TOPSECRETQUERY" not in err and "/creds" not in err


def test_container_oversized_answer_is_refused(tmp_path, stand_in):
    big = doc(1)
    big["Padding"] = "x" * 100000
    s = stand_in(lambda req: (200, big))
    rc, _, err = run(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c")
    assert rc == 1
    assert "unavailable" in err and "response body over 65536 bytes" in err


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d.pop("AccessKeyId"), "AccessKeyId is missing"),
    (lambda d: d.update(SecretAccessKey=""), "SecretAccessKey is empty"),
    (lambda d: d.update(SecretAccessKey="bad\u0001secret"), "SecretAccessKey is not printable ASCII"),
    (lambda d: d.update(Token="tok en"), "Token is not printable ASCII"),
    (lambda d: d.update(Token="t" * 5000), "Token is too long"),
    (lambda d: d.update(Expiration="tomorrow"), "Expiration is not an ISO 8601 time"),
    (lambda d: d.update(AccessKeyId=12), "AccessKeyId is not a string"),
])
def test_container_bad_document_names_the_field(tmp_path, stand_in, mutate, field):
    d = doc(1)
    mutate(d)
    s = stand_in(lambda req: (200, d))
    rc, _, err = run(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c")
    assert rc == 1
    assert f"container credentials: {field}" in err
    assert_no_secrets(err, "bad\u0001secret", "tok en", "standinSecret1")


def test_container_not_json(tmp_path, stand_in):
    s = stand_in(lambda req: (200, b"{\"AccessKeyId\": "))
    rc, _, err = run(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c")
    assert rc == 1 and "not valid JSON" in err


# ---- IMDSv2 ----

def imds_answer(role_doc, role="my-role"):
    state = {"tokens": 0}
    token = "IMDS-SESSION-TOKEN-abc=="

    def answer(req):
        h = req["headers"]
        if req["path"] == "/latest/api/token":
            if req["method"] != "PUT" or h.get("x-aws-ec2-metadata-token-ttl-seconds") != "21600":
                return 400, b""
            state["tokens"] += 1
            return 200, token
        if h.get("x-aws-ec2-metadata-token") != token:
            return 401, b""
        if req["method"] != "GET":
            return 405, b""
        if req["path"] == "/latest/meta-data/iam/security-credentials/":
            return 200, role + "\n"
        if req["path"] == "/latest/meta-data/iam/security-credentials/" + role:
            d = dict(role_doc)
            d.update(Code="Success", Type="AWS-HMAC", LastUpdated=iso(time.time()))
            return 200, d
        return 404, b""
    return answer, state


def test_imds_v2(tmp_path, stand_in):
    d = doc(5)
    answer, state = imds_answer(d)
    s = stand_in(answer)
    rc, lines, err = run(tmp_path, AWS_EC2_METADATA_SERVICE_ENDPOINT=s.url + "/", AWS_EC2_METADATA_DISABLED="false")
    assert rc == 0, err
    assert_doc(lines[0], d, "imds")
    assert [(r["method"], r["path"]) for r in s.requests] == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/iam/security-credentials/"),
        ("GET", "/latest/meta-data/iam/security-credentials/my-role")]
    assert s.requests[0]["headers"].get("content-length") == "0"
    assert state["tokens"] == 1


def test_imds_stand_in_refuses_gets_without_token(stand_in):
    """The stand-in itself: without the session token a GET gets 401, as on EC2."""
    import urllib.error
    import urllib.request
    answer, _ = imds_answer(doc(1))
    s = stand_in(answer)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(s.url + "/latest/meta-data/iam/security-credentials/", timeout=10)
    assert e.value.code == 401


def test_imds_token_reused_across_refreshes(tmp_path, stand_in):
    answer, state = imds_answer(doc(1, expires_in=3600))
    s = stand_in(answer)
    rc, lines, err = run(tmp_path, ["--repeat", 3, "--invalidate"], AWS_EC2_METADATA_SERVICE_ENDPOINT=s.url,
                         AWS_EC2_METADATA_DISABLED="false")
    assert rc == 0, err
    assert len(lines) == 3
    assert state["tokens"] == 1
    assert s.count("GET", "/latest/meta-data/iam/security-credentials/my-role") == 3


def test_imds_disabled_skips_it(tmp_path, stand_in):
    answer, _ = imds_answer(doc(1))
    s = stand_in(answer)
    rc, _, err = run(tmp_path, AWS_EC2_METADATA_SERVICE_ENDPOINT=s.url, AWS_EC2_METADATA_DISABLED="TRUE")
    assert rc == 1 and "no AWS credentials" in err
    assert s.count() == 0


def test_imds_absent_fails_fast_as_config(tmp_path):
    port = free_port()
    t0 = time.monotonic()
    rc, _, err = run(tmp_path, AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{port}", AWS_EC2_METADATA_DISABLED="false")
    assert time.monotonic() - t0 < 10
    assert rc == 1
    assert "config" in err and "no AWS credentials" in err and f"127.0.0.1:{port}" in err


def test_imds_without_role(tmp_path, stand_in):
    answer, _ = imds_answer(doc(1))
    s = stand_in(lambda req: (404, b"") if req["path"].startswith("/latest/meta-data/") and req["headers"].get(
        "x-aws-ec2-metadata-token") else answer(req))
    rc, _, err = run(tmp_path, AWS_EC2_METADATA_SERVICE_ENDPOINT=s.url, AWS_EC2_METADATA_DISABLED="false")
    assert rc == 1 and "no IAM role" in err


# ---- expiry and refresh ----

def test_near_expiry_credentials_are_refreshed(tmp_path, stand_in):
    docs = [doc(i, expires_in=5) for i in range(1, 4)]
    s = stand_in(container_answer("t", docs))
    rc, lines, err = run(tmp_path, ["--repeat", 3, "--refresh-before-ms", 60000],
                         AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c", AWS_CONTAINER_AUTHORIZATION_TOKEN="t")
    assert rc == 0, err
    assert s.count() == 3
    for line, d in zip(lines, docs):
        assert_doc(line, d, "container")


def test_fresh_credentials_are_cached(tmp_path, stand_in):
    docs = [doc(1, expires_in=3600), doc(2)]
    s = stand_in(container_answer("t", docs))
    rc, lines, err = run(tmp_path, ["--repeat", 4, "--refresh-before-ms", 1000],
                         AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c", AWS_CONTAINER_AUTHORIZATION_TOKEN="t")
    assert rc == 0, err
    assert s.count() == 1
    assert len(lines) == 4
    for line in lines:
        assert_doc(line, docs[0], "container")


def test_expiry_passing_triggers_a_refetch(tmp_path, stand_in):
    docs = [doc(1, expires_in=2), doc(2, expires_in=3600)]
    s = stand_in(container_answer("t", docs))
    rc, lines, err = run(tmp_path, ["--repeat", 3, "--interval-ms", 1200, "--refresh-before-ms", 1000],
                         AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c", AWS_CONTAINER_AUTHORIZATION_TOKEN="t")
    assert rc == 0, err
    assert s.count() == 2
    assert [l["access_key"] for l in lines] == [docs[0]["AccessKeyId"], docs[1]["AccessKeyId"], docs[1]["AccessKeyId"]]


def test_failing_refresh_keeps_valid_cached_credentials(tmp_path, stand_in):
    d = doc(1, expires_in=30)
    s = stand_in(lambda req: (200, d) if req["n"] == 1 else (500, b"broken"))
    rc, lines, err = run(tmp_path, ["--repeat", 3, "--refresh-before-ms", 60000],
                         AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c")
    assert rc == 0, err
    assert len(lines) == 3
    for line in lines:
        assert_doc(line, d, "container")
    assert "WARN" in err and "keeping the cached ones" in err and "HTTP 500" in err
    # one failed refresh, then a pause before the next try rather than one per call
    assert s.count() == 2
    assert_no_secrets(err, d["SecretAccessKey"], d["Token"])


def test_failing_refresh_after_expiry_is_an_error(tmp_path, stand_in):
    d = doc(1, expires_in=1)
    s = stand_in(lambda req: (200, d) if req["n"] == 1 else (503, b""))
    rc, lines, err = run(tmp_path, ["--repeat", 2, "--interval-ms", 1500, "--refresh-before-ms", 60000],
                         AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c")
    assert rc == 1
    assert len(lines) == 1
    assert "unavailable" in err and "HTTP 503" in err


def test_invalidate_fetches_again(tmp_path, stand_in):
    docs = [doc(1), doc(2)]
    s = stand_in(container_answer("t", docs))
    rc, lines, err = run(tmp_path, ["--repeat", 2, "--invalidate"],
                         AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c", AWS_CONTAINER_AUTHORIZATION_TOKEN="t")
    assert rc == 0, err
    assert [l["access_key"] for l in lines] == [docs[0]["AccessKeyId"], docs[1]["AccessKeyId"]]


def test_concurrent_callers_share_one_fetch(tmp_path, stand_in):
    def slow(req):
        time.sleep(0.3)  # every thread asks while the first fetch is under way
        return 200, doc(req["n"])
    s = stand_in(slow)
    rc, lines, err = run(tmp_path, ["--threads", 8, "--repeat", 3], AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c")
    assert rc == 0, err
    assert len(lines) == 24
    assert s.count() == 1
    assert {l["access_key"] for l in lines} == {doc(1)["AccessKeyId"]}


def test_concurrent_refreshes(tmp_path, stand_in):
    s = stand_in(lambda req: (200, doc(req["n"], expires_in=4)))
    rc, lines, err = run(tmp_path, ["--threads", 4, "--repeat", 5, "--refresh-before-ms", 60000],
                         AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/c")
    assert rc == 0, err
    assert len(lines) == 20
    # every call found its credentials near expiry: one fetch each, never two answers mixed up
    assert s.count() == 20
    keys = {f"ASIASTANDIN{n:09d}" for n in range(1, 21)}
    assert {l["access_key"] for l in lines} == keys
    for l in lines:
        n = int(l["access_key"][-9:])
        assert l["secret_key"] == doc(n)["SecretAccessKey"] and l["session_token"] == doc(n)["Token"]


# ---- nothing configured ----

def test_no_credentials_anywhere(tmp_path):
    rc, lines, err = run(tmp_path, AWS_EC2_METADATA_DISABLED="true")
    assert rc == 1 and lines == []
    assert "config" in err and "no AWS credentials" in err
