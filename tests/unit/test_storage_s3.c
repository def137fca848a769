/* The pure helpers of the S3 backend: where requests go (virtual-hosted or path style, default
 * ports dropped from the Host), how keys and query parameters are spelled in URLs, which keys are
 * refused, reading <Code>/<Message>/<UploadId> out of hostile XML, and what is retried. Plus
 * describe() and the options checks of storage_s3_open, which need no network. */
#include <string.h>

#include "aws/credentials.h"
#include "check.h"
#include "storage/s3_util.h"
#include "storage/storage.h"

static int url_of(const s3_target_t *t, const char *key, const sigv4_param_t *p, size_t n, char *out, size_t outlen)
{
    buf_t path = {0}, url = {0};
    if (s3_path(&path, t, key) || s3_url(&url, t, (const char *)path.data, p, n)) {
        buf_free(&path);
        buf_free(&url);
        return 0;
    }
    snprintf(out, outlen, "%s", (const char *)url.data);
    buf_free(&path);
    buf_free(&url);
    return 1;
}

TEST(aws_virtual_hosted_by_default)
{
    s3_target_t t;
    err_t err;
    CHECK_EQ_INT(s3_target_init(&t, "my-bucket", "eu-west-1", NULL, -1, &err), 0);
    CHECK_EQ_STR(t.scheme, "https");
    CHECK_EQ_STR(t.host, "my-bucket.s3.eu-west-1.amazonaws.com");
    CHECK_EQ_STR(t.base_path, "");
    char u[512];
    CHECK(url_of(&t, "otel/logs/service=a b/x.parquet", NULL, 0, u, sizeof u));
    CHECK_EQ_STR(u, "https://my-bucket.s3.eu-west-1.amazonaws.com/otel/logs/service%3Da%20b/x.parquet");
    CHECK(url_of(&t, NULL, NULL, 0, u, sizeof u));
    CHECK_EQ_STR(u, "https://my-bucket.s3.eu-west-1.amazonaws.com/");
}

TEST(aws_bucket_with_a_dot_goes_path_style)
{
    s3_target_t t;
    err_t err;
    CHECK_EQ_INT(s3_target_init(&t, "logs.example.com", "us-east-1", "", -1, &err), 0);
    CHECK_EQ_STR(t.host, "s3.us-east-1.amazonaws.com");
    CHECK_EQ_STR(t.base_path, "/logs.example.com");
    CHECK_EQ_INT(s3_target_init(&t, "b", "us-east-1", "", 1, &err), 0);
    CHECK_EQ_STR(t.host, "s3.us-east-1.amazonaws.com");
    CHECK_EQ_STR(t.base_path, "/b");
}

TEST(endpoint_path_style_and_ports)
{
    s3_target_t t;
    err_t err;
    CHECK_EQ_INT(s3_target_init(&t, "bkt", "us-east-1", "http://127.0.0.1:7070", -1, &err), 0);
    CHECK_EQ_STR(t.scheme, "http");
    CHECK_EQ_STR(t.host, "127.0.0.1:7070");
    CHECK_EQ_STR(t.base_path, "/bkt");
    char u[512];
    sigv4_param_t p[] = {{"partNumber", "3"}, {"uploadId", "a/b+c=d"}};
    CHECK(url_of(&t, "p/service=%C3%BC/k.parquet", p, 2, u, sizeof u));
    CHECK_EQ_STR(u, "http://127.0.0.1:7070/bkt/p/service%3D%25C3%25BC/k.parquet?partNumber=3&uploadId=a%2Fb%2Bc%3Dd");

    /* default ports are not in the Host header curl sends, so not in the signed one either */
    CHECK_EQ_INT(s3_target_init(&t, "bkt", "r", "https://minio.example:443/", -1, &err), 0);
    CHECK_EQ_STR(t.host, "minio.example");
    CHECK_EQ_INT(s3_target_init(&t, "bkt", "r", "http://minio.example:80", -1, &err), 0);
    CHECK_EQ_STR(t.host, "minio.example");
    CHECK_EQ_INT(s3_target_init(&t, "bkt", "r", "http://minio.example:443", -1, &err), 0);
    CHECK_EQ_STR(t.host, "minio.example:443");
    CHECK_EQ_INT(s3_target_init(&t, "bkt", "r", "http://[::1]:9000/gw/", -1, &err), 0);
    CHECK_EQ_STR(t.host, "[::1]:9000");
    CHECK_EQ_STR(t.base_path, "/gw/bkt");
    /* virtual-hosted against an endpoint */
    CHECK_EQ_INT(s3_target_init(&t, "bkt", "r", "https://s3.example.net", 0, &err), 0);
    CHECK_EQ_STR(t.host, "bkt.s3.example.net");
    CHECK_EQ_STR(t.base_path, "");
    /* a bare host means TLS */
    CHECK_EQ_INT(s3_target_init(&t, "bkt", "r", "s3.example.net:9000", -1, &err), 0);
    CHECK_EQ_STR(t.scheme, "https");
    CHECK_EQ_STR(t.host, "s3.example.net:9000");
}

TEST(bad_targets_are_config_errors)
{
    s3_target_t t;
    err_t err;
    const char *bad_endpoints[] = {"ftp://x", "http://", "http://h:port", "http://u@h", "http://h?x=1", "http://h h"};
    for (size_t i = 0; i < sizeof bad_endpoints / sizeof bad_endpoints[0]; i++) {
        err_clear(&err);
        CHECK_EQ_INT(s3_target_init(&t, "bkt", "r", bad_endpoints[i], -1, &err), -1);
        CHECK_EQ_INT(err.code, ERR_CONFIG);
    }
    CHECK_EQ_INT(s3_target_init(&t, "", "r", NULL, -1, &err), -1);
    CHECK_EQ_INT(s3_target_init(&t, "a/b", "r", NULL, -1, &err), -1);
    CHECK_EQ_INT(s3_target_init(&t, "a b", "r", NULL, -1, &err), -1);
    CHECK_EQ_INT(s3_target_init(&t, "ok", "us-east-1/x", NULL, -1, &err), -1);
    CHECK_EQ_INT(s3_target_init(&t, "ok", "", NULL, -1, &err), -1);
}

TEST(keys_checked)
{
    err_t err;
    CHECK_EQ_INT(s3_key_check("logs/service=a%20b/year=2026/x.parquet", &err), 0);
    CHECK_EQ_INT(s3_key_check("ü 日本/x", &err), 0);
    const char *bad[] = {"", "/abs", "a//b", "a/", "a/../b", "./a", "a/.", "a\nb", "a\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(s3_key_check(bad[i], &err), -1);
    char longkey[S3_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = 0;
    CHECK_EQ_INT(s3_key_check(longkey, &err), -1);
    longkey[S3_KEY_MAX] = 0;
    CHECK_EQ_INT(s3_key_check(longkey, &err), 0);
}

TEST(xml_text_found_decoded_bounded)
{
    const char *x = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>"
                    "<Message>The request signature &amp; &lt;b&gt; &quot;x&quot; &#39;y&#x27;\n\tdone</Message></Error>";
    char out[128];
    CHECK_EQ_INT(s3_xml_text(x, strlen(x), "Code", out, sizeof out), 0);
    CHECK_EQ_STR(out, "SignatureDoesNotMatch");
    CHECK_EQ_INT(s3_xml_text(x, strlen(x), "Message", out, sizeof out), 0);
    CHECK_EQ_STR(out, "The request signature & <b> \"x\" 'y'  done");
    CHECK_EQ_INT(s3_xml_text(x, strlen(x), "RequestId", out, sizeof out), -1);
    char small[8];
    CHECK_EQ_INT(s3_xml_text(x, strlen(x), "Code", small, sizeof small), 1);
    CHECK_EQ_STR(small, "Signatu");
    /* not NUL-terminated, cut in the middle: no read past len */
    CHECK_EQ_INT(s3_xml_text(x, 60, "Code", out, sizeof out), -1);
    /* unterminated, unknown entities kept literally, control bytes never get through */
    const char *y = "<UploadId>a&bogus;&#1;&#x7f;b</UploadId>";
    CHECK_EQ_INT(s3_xml_text(y, strlen(y), "UploadId", out, sizeof out), 0);
    CHECK_EQ_STR(out, "a&bogus;  b");
    CHECK_EQ_INT(s3_xml_text("<Code>x", 7, "Code", out, sizeof out), -1);
    CHECK_EQ_INT(s3_xml_text("", 0, "Code", out, sizeof out), -1);
    CHECK_EQ_INT(s3_xml_text(NULL, 0, "Code", out, sizeof out), -1);
}

TEST(retry_decisions)
{
    CHECK(s3_retryable(500, NULL));
    CHECK(s3_retryable(503, "SlowDown"));
    CHECK(s3_retryable(429, ""));
    CHECK(s3_retryable(400, "RequestTimeout"));
    CHECK(s3_retryable(200, "InternalError"));
    CHECK(!s3_retryable(403, "SignatureDoesNotMatch"));
    CHECK(!s3_retryable(403, "AccessDenied"));
    CHECK(!s3_retryable(404, "NoSuchBucket"));
    CHECK(!s3_retryable(400, NULL));
    CHECK(s3_token_error("ExpiredToken"));
    CHECK(s3_token_error("InvalidToken"));
    CHECK(!s3_token_error("SignatureDoesNotMatch"));
    CHECK(!s3_token_error(NULL));
}

TEST(xml_escape)
{
    buf_t b = {0};
    CHECK_EQ_INT(s3_xml_escape(&b, "\"etag\"&<>'"), 0);
    CHECK_EQ_MEM(b.data, b.len, "&quot;etag&quot;&amp;&lt;&gt;&apos;", strlen("&quot;etag&quot;&amp;&lt;&gt;&apos;"));
    buf_free(&b);
}

TEST(open_describe_destroy_without_network)
{
    err_t err;
    err_clear(&err);
    aws_cred_provider_t *creds = aws_cred_chain_new(NULL, &err);
    CHECK(creds != NULL);
    storage_s3_options_t o = {.bucket = "bkt", .prefix = "/otel/prod/", .region = "us-east-1",
                              .endpoint = "http://127.0.0.1:1", .path_style = -1, .creds = creds};
    storage_t *s = storage_s3_open(&o, &err);
    CHECK(s != NULL);
    char d[256];
    storage_describe(s, "logs/x.parquet", d, sizeof d);
    CHECK_EQ_STR(d, "s3://bkt/otel/prod/logs/x.parquet");
    storage_describe(s, NULL, d, sizeof d);
    CHECK_EQ_STR(d, "s3://bkt/otel/prod");
    /* a bad key never leaves the process */
    CHECK_EQ_INT(storage_put(s, "../x", (const uint8_t *)"x", 1, &err), -1);
    CHECK_EQ_INT(err.code, ERR_INTERNAL);
    storage_destroy(s);

    o.prefix = "";
    s = storage_s3_open(&o, &err);
    CHECK(s != NULL);
    storage_describe(s, "k", d, sizeof d);
    CHECK_EQ_STR(d, "s3://bkt/k");
    storage_describe(s, "", d, sizeof d);
    CHECK_EQ_STR(d, "s3://bkt");
    storage_destroy(s);

    o.endpoint = "gopher://x";
    CHECK(storage_s3_open(&o, &err) == NULL);
    CHECK_EQ_INT(err.code, ERR_CONFIG);
    aws_cred_free(creds);
}

RUN_TESTS(T(aws_virtual_hosted_by_default), T(aws_bucket_with_a_dot_goes_path_style), T(endpoint_path_style_and_ports),
          T(bad_targets_are_config_errors), T(keys_checked), T(xml_text_found_decoded_bounded), T(retry_decisions),
          T(xml_escape), T(open_describe_destroy_without_network))
