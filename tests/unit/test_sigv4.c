/* The SigV4 signer: AWS's published examples (S3 and the generic SigV4 test suite) with their
 * published signatures, a session-token request checked against botocore, the encoding and
 * canonicalisation rules one by one, and every input the signer must refuse. The broad
 * comparison with botocore (thousands of requests) is tests/e2e/test_sigv4_botocore.py. */
#include <time.h>

#include "check.h"
#include "aws/sigv4.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* AWS's documentation example keys (S3 examples and the SigV4 test suite) */
static const sigv4_credentials_t doc_creds = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL};
static const sigv4_credentials_t suite_creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};

static sigv4_request_t s3_get(const char *path)
{
    return (sigv4_request_t){.method = "GET", .host = "examplebucket.s3.amazonaws.com", .path = path,
                             .payload_sha256_hex = EMPTY_SHA, .amz_date = "20130524T000000Z",
                             .region = "us-east-1", .service = "s3"};
}

static const char *cr_text(const sigv4_result_t *r) { return (const char *)r->canonical_request.data; }

/* The line'th line (from 0) of the canonical request into out. */
static const char *cr_line(const sigv4_result_t *r, int line, char *out, size_t cap)
{
    const char *p = cr_text(r);
    for (int i = 0; i < line && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return "(no such line)";
    size_t n = strcspn(p, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
    return out;
}

TEST(sha256_hex)
{
    char h[65];
    sigv4_sha256_hex("", 0, h);
    CHECK_EQ_STR(h, EMPTY_SHA);
    sigv4_sha256_hex(NULL, 0, h);
    CHECK_EQ_STR(h, EMPTY_SHA);
    sigv4_sha256_hex("abc", 3, h);
    CHECK_EQ_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sigv4_sha256_hex("Welcome to Amazon S3.", 21, h);
    CHECK_EQ_STR(h, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

/* S3 docs, "Example: GET Object": the published canonical request, string to sign, signature */
TEST(aws_doc_s3_get_object)
{
    sigv4_header_t hs[] = {{"Range", "bytes=0-9"}};
    sigv4_request_t rq = s3_get("/test.txt");
    rq.headers = hs;
    rq.nheaders = 1;
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_text(&r), "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                              "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
                              "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA);
    CHECK_EQ_INT(r.canonical_request.len, strlen(cr_text(&r)));
    CHECK_EQ_STR((const char *)r.string_to_sign.data,
                 "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                 "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    CHECK_EQ_STR(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    CHECK_EQ_STR(r.authorization,
                 "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                 "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                 "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    CHECK_EQ_INT(r.nadd, 2);
    CHECK_EQ_STR(r.add[0].name, "x-amz-date");
    CHECK_EQ_STR(r.add[0].value, "20130524T000000Z");
    CHECK_EQ_STR(r.add[1].name, "x-amz-content-sha256");
    CHECK_EQ_STR(r.add[1].value, EMPTY_SHA);
    sigv4_result_free(&r);
}

/* S3 docs, "GET Bucket Lifecycle" (?lifecycle: a parameter without a value) and "Get Bucket
 * (List Objects)" (?max-keys=2&prefix=J, given out of order) */
TEST(aws_doc_s3_query_examples)
{
    sigv4_param_t life[] = {{"lifecycle", NULL}};
    sigv4_request_t rq = s3_get("/");
    rq.params = life;
    rq.nparams = 1;
    sigv4_result_t r = {0};
    err_t err;
    char line[256];
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_line(&r, 2, line, sizeof line), "lifecycle=");
    CHECK_EQ_STR(r.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

    sigv4_param_t list[] = {{"prefix", "J"}, {"max-keys", "2"}};
    rq.params = list;
    rq.nparams = 2;
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0); /* the same result reused */
    CHECK_EQ_STR(cr_line(&r, 2, line, sizeof line), "max-keys=2&prefix=J");
    CHECK_EQ_STR(r.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    sigv4_result_free(&r);
}

/* The SigV4 test suite's get-vanilla and get-vanilla-query-order-key-case (service "service"):
 * SigV4Auth rules, no payload hash header */
TEST(aws_suite_vanilla)
{
    sigv4_request_t rq = {.method = "GET", .host = "example.amazonaws.com", .path = "/",
                          .payload_sha256_hex = EMPTY_SHA, .amz_date = "20150830T123600Z",
                          .region = "us-east-1", .service = "service"};
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &suite_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_text(&r), "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                              "host;x-amz-date\n" EMPTY_SHA);
    CHECK_EQ_STR(r.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK_EQ_INT(r.nadd, 1);
    CHECK_EQ_STR(r.add[0].name, "x-amz-date");

    sigv4_param_t ps[] = {{"Param2", "value2"}, {"Param1", "value1"}};
    rq.params = ps;
    rq.nparams = 2;
    CHECK(sigv4_sign(&rq, &suite_creds, &r, &err) == 0);
    CHECK_EQ_STR(r.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");

    /* asked for, the payload hash is a signed header for other services too */
    rq.nparams = 0;
    rq.add_content_sha256_header = 1;
    CHECK(sigv4_sign(&rq, &suite_creds, &r, &err) == 0);
    CHECK(strstr(r.authorization, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,") != NULL);
    CHECK_EQ_INT(r.nadd, 2);
    sigv4_result_free(&r);
}

/* A PUT with a session token and an encoded key; the expected values are botocore 1.44.8's
 * S3SigV4Auth for the same request */
TEST(s3_put_session_token)
{
    static const char body[] = "hello";
    char hash[65];
    sigv4_sha256_hex(body, 5, hash);
    sigv4_credentials_t c = doc_creds;
    c.session_token = "FQoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE=";
    sigv4_header_t hs[] = {{"Content-Type", "application/octet-stream"}};
    sigv4_request_t rq = {.method = "PUT", .host = "s3.eu-west-1.amazonaws.com", .path = "/bucket/a b/\xc3\xbc.parquet",
                          .headers = hs, .nheaders = 1, .payload_sha256_hex = hash,
                          .amz_date = "20130524T000000Z", .region = "eu-west-1", .service = "s3"};
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &c, &r, &err) == 0);
    CHECK_EQ_STR(cr_text(&r), "PUT\n/bucket/a%20b/%C3%BC.parquet\n\ncontent-type:application/octet-stream\n"
                              "host:s3.eu-west-1.amazonaws.com\n"
                              "x-amz-content-sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n"
                              "x-amz-date:20130524T000000Z\n"
                              "x-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE=\n\n"
                              "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
                              "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    CHECK_EQ_STR(r.signature, "83d6720fb9367306e5951d44faf5bc66d1c1e13e2af45aab3417cbb08a000463");
    CHECK_EQ_INT(r.nadd, 3);
    CHECK_EQ_STR(r.add[2].name, "x-amz-security-token");
    CHECK_EQ_STR(r.add[2].value, c.session_token);
    sigv4_result_free(&r);
}

TEST(uri_encode)
{
    buf_t b = {0};
    const char s[] = "az AZ09-_.~/+=&?#%!*'(),;:@$\xc3\xbc\x01\x7f";
    CHECK(sigv4_uri_encode(&b, s, sizeof s - 1, 1) == 0);
    CHECK_EQ_STR((const char *)b.data,
                 "az%20AZ09-_.~/%2B%3D%26%3F%23%25%21%2A%27%28%29%2C%3B%3A%40%24%C3%BC%01%7F");
    buf_clear(&b);
    CHECK(sigv4_uri_encode(&b, "a/b c", 5, 0) == 0);
    CHECK_EQ_STR((const char *)b.data, "a%2Fb%20c");
    /* appends */
    CHECK(sigv4_uri_encode(&b, "~", 1, 0) == 0);
    CHECK_EQ_STR((const char *)b.data, "a%2Fb%20c~");
    /* an empty string leaves a NUL-terminated buffer */
    buf_clear(&b);
    CHECK(sigv4_uri_encode(&b, "", 0, 0) == 0);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(b.data[0], 0);
    buf_free(&b);
}

/* S3: encoded once, never normalised; others: dot segments and empty ones removed, encoded twice */
TEST(canonical_uri_rules)
{
    sigv4_request_t rq = s3_get("/b/a//x/./y/../z/ key+%");
    sigv4_result_t r = {0};
    err_t err;
    char line[512];
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_line(&r, 1, line, sizeof line), "/b/a//x/./y/../z/%20key%2B%25");

    rq.service = "glue";
    rq.host = "glue.us-east-1.amazonaws.com";
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_line(&r, 1, line, sizeof line), "/b/a/x/z/%2520key%252B%2525");

    /* the Iceberg namespace separator: %1F on the wire, %251F signed */
    rq.path = "/iceberg/v1/catalogs/123:s3tablescatalog/namespaces/ns\x1fsub/tables/t";
    CHECK(sigv4_sign(&rq, &suite_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_line(&r, 1, line, sizeof line),
                 "/iceberg/v1/catalogs/123%253As3tablescatalog/namespaces/ns%251Fsub/tables/t");
    /* the same path given encoded, as botocore signs it (signature from botocore 1.44.8) */
    rq.path = "/iceberg/v1/catalogs/123%3As3tablescatalog/namespaces/ns%1Fsub/tables/t";
    rq.path_is_encoded = 1;
    rq.host = "glue.us-east-1.amazonaws.com";
    rq.amz_date = "20150830T123600Z";
    CHECK(sigv4_sign(&rq, &suite_creds, &r, &err) == 0);
    CHECK_EQ_STR(r.signature, "5553f8a4db966c691e920057633ea463164bca29ede0b636e8ebd0aee4e0db77");
    /* an encoded '/' inside a segment stays one segment */
    rq.path = "/v1/namespaces/a%2Fb/tables/t/";
    CHECK(sigv4_sign(&rq, &suite_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_line(&r, 1, line, sizeof line), "/v1/namespaces/a%252Fb/tables/t/");

    /* normalisation corner cases */
    struct { const char *in, *want; } cases[] = {
        {"/", "/"}, {"//", "/"}, {"/..", "/"}, {"/a/..", "/"}, {"/a/../", "/"}, {"/a/b/../../..", "/"},
        {"/./a/./", "/a/"}, {"/a//b///", "/a/b/"}, {"/...", "/..."}, {"/a/.b/..c", "/a/.b/..c"},
    };
    rq.path_is_encoded = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rq.path = cases[i].in;
        CHECK(sigv4_sign(&rq, &suite_creds, &r, &err) == 0);
        CHECK_EQ_STR(cr_line(&r, 1, line, sizeof line), cases[i].want);
    }
    sigv4_result_free(&r);
}

/* Names and values encoded, sorted by encoded name then value; '&' and '=' inside encoded */
TEST(canonical_query_rules)
{
    sigv4_param_t ps[] = {
        {"prefix", "a b/c&d=e"}, {"b", "2"}, {"b", "10"}, {"a+b", ""}, {"a b", "x"},
        {"a_b", "~"}, {"list-type", "2"}, {"uploadId", "VXBsb2FkIElE"}, {"\xc3\xbc", "\xe2\x82\xac"},
    };
    sigv4_request_t rq = s3_get("/");
    rq.params = ps;
    rq.nparams = sizeof ps / sizeof ps[0];
    sigv4_result_t r = {0};
    err_t err;
    char line[512];
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_line(&r, 2, line, sizeof line),
                 "%C3%BC=%E2%82%AC&a%20b=x&a%2Bb=&a_b=~&b=10&b=2&list-type=2&prefix=a%20b%2Fc%26d%3De"
                 "&uploadId=VXBsb2FkIElE");
    sigv4_result_free(&r);
}

/* Header names lowercased and sorted; values trimmed, runs of spaces and tabs collapsed;
 * repeated names joined with ',' in the order given; unsigned ones (user-agent) skipped */
TEST(canonical_header_rules)
{
    sigv4_header_t hs[] = {
        {"X-Amz-Meta-B", "  two   words\t\tand\ttabs  "},
        {"User-Agent", "curl/8"},
        {"x-amz-meta-a", ""},
        {"X-AMZ-META-B", " second "},
        {"Content-Type", "text/plain"},
        {"Expect", "100-continue"},
    };
    sigv4_request_t rq = s3_get("/k");
    rq.headers = hs;
    rq.nheaders = sizeof hs / sizeof hs[0];
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_STR(cr_text(&r), "GET\n/k\n\ncontent-type:text/plain\nhost:examplebucket.s3.amazonaws.com\n"
                              "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n"
                              "x-amz-meta-a:\nx-amz-meta-b:two words and tabs,second\n\n"
                              "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-meta-b\n" EMPTY_SHA);
    sigv4_result_free(&r);
}

/* UNSIGNED-PAYLOAD is what goes into the canonical request and the header, for S3 and (as
 * botocore does) for other services even when the header was not asked for */
TEST(unsigned_payload)
{
    sigv4_request_t rq = s3_get("/k");
    rq.payload_sha256_hex = "UNSIGNED-PAYLOAD";
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK(strstr(cr_text(&r), "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n") != NULL);
    size_t n = strlen(cr_text(&r));
    CHECK(n > 17 && strcmp(cr_text(&r) + n - 17, "\nUNSIGNED-PAYLOAD") == 0);
    rq.service = "glue";
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_INT(r.nadd, 2);
    CHECK_EQ_STR(r.add[1].value, "UNSIGNED-PAYLOAD");
    /* a trailing checksum: the header for S3 only (botocore's S3SigV4Auth; SigV4Auth does not) */
    rq.payload_sha256_hex = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_INT(r.nadd, 1);
    CHECK(strstr(cr_text(&r), "x-amz-content-sha256") == NULL);
    rq.service = "s3";
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK_EQ_INT(r.nadd, 2);
    CHECK(strstr(cr_text(&r), "\nx-amz-content-sha256:STREAMING-UNSIGNED-PAYLOAD-TRAILER\n") != NULL);
    sigv4_result_free(&r);
}

TEST(amz_date_now)
{
    char d[17];
    time_t before = time(NULL);
    sigv4_amz_date_now(d);
    time_t after = time(NULL);
    CHECK_EQ_INT(strlen(d), 16);
    CHECK(d[8] == 'T' && d[15] == 'Z');
    struct tm tm;
    char want1[17], want2[17];
    gmtime_r(&before, &tm);
    strftime(want1, sizeof want1, "%Y%m%dT%H%M%SZ", &tm);
    gmtime_r(&after, &tm);
    strftime(want2, sizeof want2, "%Y%m%dT%H%M%SZ", &tm);
    CHECK(strcmp(d, want1) == 0 || strcmp(d, want2) == 0);
    /* and the signer takes it */
    sigv4_request_t rq = s3_get("/");
    rq.amz_date = d;
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    sigv4_result_free(&r);
}

/* Signs rq and expects ERR_INVALID with needle in the message, the secret never in it, and an
 * empty result. */
static int rejects(const sigv4_request_t *rq, const sigv4_credentials_t *c, const char *needle)
{
    sigv4_result_t r = {0};
    err_t err;
    err_clear(&err);
    int rc = sigv4_sign(rq, c, &r, &err);
    int ok = rc == -1 && err.code == ERR_INVALID && strstr(err.msg, needle) != NULL &&
             strstr(err.msg, "EXAMPLEKEY") == NULL && r.nadd == 0 && r.signature[0] == 0 &&
             r.authorization[0] == 0;
    if (!ok)
        printf("    rc %d code %d message \"%s\", want \"%s\"\n", rc, err.code, err.msg, needle);
    sigv4_result_free(&r);
    return ok;
}

TEST(rejects_bad_requests)
{
    sigv4_request_t rq = s3_get("relative/path");
    CHECK(rejects(&rq, &doc_creds, "does not start with '/'"));
    rq = s3_get("");
    CHECK(rejects(&rq, &doc_creds, "does not start with '/'"));
    rq = s3_get(NULL);
    CHECK(rejects(&rq, &doc_creds, "does not start with '/'"));

    static sigv4_header_t many[SIGV4_MAX_HEADERS + 1];
    char names[SIGV4_MAX_HEADERS + 1][32];
    for (int i = 0; i <= SIGV4_MAX_HEADERS; i++) {
        snprintf(names[i], sizeof names[i], "x-amz-meta-%d", i);
        many[i] = (sigv4_header_t){names[i], "v"};
    }
    rq = s3_get("/");
    rq.headers = many;
    rq.nheaders = SIGV4_MAX_HEADERS + 1;
    CHECK(rejects(&rq, &doc_creds, "65 headers, at most 64"));
    rq.nheaders = SIGV4_MAX_HEADERS; /* exactly at the limit is fine */
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    sigv4_result_free(&r);

    sigv4_header_t crlf[] = {{"x-amz-meta-a", "ok\r\nx-evil: 1"}};
    rq.headers = crlf;
    rq.nheaders = 1;
    CHECK(rejects(&rq, &doc_creds, "CR or LF"));
    sigv4_header_t lf[] = {{"x-amz-meta-a", "a\nb"}};
    rq.headers = lf;
    CHECK(rejects(&rq, &doc_creds, "CR or LF"));
    sigv4_header_t nonascii[] = {{"x-amz-meta-a", "\xc2\xa0"}};
    rq.headers = nonascii;
    CHECK(rejects(&rq, &doc_creds, "printable ASCII"));
    sigv4_header_t badname[] = {{"x amz", "v"}};
    rq.headers = badname;
    CHECK(rejects(&rq, &doc_creds, "has byte 0x20"));
    sigv4_header_t colon[] = {{"a:b", "v"}};
    rq.headers = colon;
    CHECK(rejects(&rq, &doc_creds, "has byte 0x3a"));
    sigv4_header_t nullv[] = {{"x-amz-meta-a", NULL}};
    rq.headers = nullv;
    CHECK(rejects(&rq, &doc_creds, "value is missing"));
    const char *own[] = {"Host", "X-Amz-Date", "x-amz-content-sha256", "Authorization", "date", "X-Amz-Security-Token"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        sigv4_header_t h[] = {{own[i], "x"}};
        rq.headers = h;
        CHECK(rejects(&rq, &doc_creds, "is set by the signer"));
    }
    rq.nheaders = 0;

    /* too many parameters, too long ones, no name */
    static sigv4_param_t ps[SIGV4_MAX_PARAMS + 1];
    for (int i = 0; i <= SIGV4_MAX_PARAMS; i++)
        ps[i] = (sigv4_param_t){"p", "v"};
    rq.params = ps;
    rq.nparams = SIGV4_MAX_PARAMS + 1;
    CHECK(rejects(&rq, &doc_creds, "65 query parameters"));
    static char longv[SIGV4_MAX_PARAM + 2];
    memset(longv, 'v', SIGV4_MAX_PARAM + 1);
    sigv4_param_t lp[] = {{"p", longv}};
    rq.params = lp;
    rq.nparams = 1;
    CHECK(rejects(&rq, &doc_creds, "longer than 4096"));
    sigv4_param_t np[] = {{"", "v"}};
    rq.params = np;
    CHECK(rejects(&rq, &doc_creds, "has no name"));
    rq.nparams = 0;

    static char longpath[SIGV4_MAX_PATH + 2];
    memset(longpath, 'a', SIGV4_MAX_PATH + 1);
    longpath[0] = '/';
    rq.path = longpath;
    CHECK(rejects(&rq, &doc_creds, "path is longer"));
    rq = s3_get("/a%zz");
    rq.path_is_encoded = 1;
    CHECK(rejects(&rq, &doc_creds, "encoded path"));
    rq.path = "/a%2";
    CHECK(rejects(&rq, &doc_creds, "encoded path"));
    rq.path = "/a b";
    CHECK(rejects(&rq, &doc_creds, "encoded path"));

    const char *dates[] = {"20130524", "20130524T000000", "2013-05-24T00:00:00Z", "20131324T000000Z",
                           "20130524T250000Z", "20130524T000000z", ""};
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        rq = s3_get("/");
        rq.amz_date = dates[i];
        CHECK(rejects(&rq, &doc_creds, "amz_date"));
    }
    const char *hashes[] = {"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "abc",
                            EMPTY_SHA "00", "unsigned-payload", NULL};
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
        rq = s3_get("/");
        rq.payload_sha256_hex = hashes[i];
        CHECK(rejects(&rq, &doc_creds, "payload_sha256_hex"));
    }
    rq = s3_get("/");
    rq.host = "ExampleBucket.s3.amazonaws.com";
    CHECK(rejects(&rq, &doc_creds, "host"));
    rq.host = "a b";
    CHECK(rejects(&rq, &doc_creds, "host"));
    rq.host = NULL;
    CHECK(rejects(&rq, &doc_creds, "host is missing"));
    rq = s3_get("/");
    rq.method = "get";
    CHECK(rejects(&rq, &doc_creds, "method"));
    rq.method = "GET\r\n";
    CHECK(rejects(&rq, &doc_creds, "method"));
    rq = s3_get("/");
    rq.region = "us-east-1/x";
    CHECK(rejects(&rq, &doc_creds, "region"));
    rq = s3_get("/");
    rq.service = "S3";
    CHECK(rejects(&rq, &doc_creds, "service"));
    rq.service = NULL;
    CHECK(rejects(&rq, &doc_creds, "service is missing"));
    CHECK(rejects(NULL, &doc_creds, "no request"));
}

TEST(rejects_bad_credentials)
{
    sigv4_request_t rq = s3_get("/");
    CHECK(rejects(&rq, NULL, "no credentials"));
    sigv4_credentials_t c = doc_creds;
    c.access_key = "AKIA/EXAMPLE";
    CHECK(rejects(&rq, &c, "access key"));
    c.access_key = "";
    CHECK(rejects(&rq, &c, "access key is missing"));
    c = doc_creds;
    c.secret_key = "";
    CHECK(rejects(&rq, &c, "secret key is missing"));
    static char longsecret[SIGV4_MAX_SECRET + 2];
    memset(longsecret, 'K', SIGV4_MAX_SECRET + 1);
    c.secret_key = longsecret;
    CHECK(rejects(&rq, &c, "secret key is longer"));
    c = doc_creds;
    c.session_token = "tok en";
    CHECK(rejects(&rq, &c, "session token"));
    c.session_token = "tok\r\nen";
    CHECK(rejects(&rq, &c, "session token"));
    /* an empty token means no token */
    c.session_token = "";
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &c, &r, &err) == 0);
    CHECK_EQ_INT(r.nadd, 2);
    CHECK(strstr(cr_text(&r), "x-amz-security-token") == NULL);
    sigv4_result_free(&r);
}

/* 64 long header names do not fit the Authorization header: an error, not a truncated value */
TEST(rejects_authorization_too_long)
{
    static sigv4_header_t hs[40];
    static char names[40][SIGV4_MAX_HEADER_NAME + 1];
    for (int i = 0; i < 40; i++) {
        memset(names[i], 'h', 100);
        snprintf(names[i] + 100, 20, "-%d", i % 100);
        hs[i] = (sigv4_header_t){names[i], "v"};
    }
    sigv4_request_t rq = s3_get("/");
    rq.headers = hs;
    rq.nheaders = 40;
    CHECK(rejects(&rq, &doc_creds, "Authorization header would be longer"));
}

/* A failed signing after a good one leaves no stale signature behind */
TEST(failure_clears_result)
{
    sigv4_request_t rq = s3_get("/");
    sigv4_result_t r = {0};
    err_t err;
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == 0);
    CHECK(r.signature[0] != 0);
    rq.path = "x";
    CHECK(sigv4_sign(&rq, &doc_creds, &r, &err) == -1);
    CHECK_EQ_INT(r.nadd, 0);
    CHECK_EQ_INT(r.signature[0], 0);
    CHECK_EQ_INT(r.authorization[0], 0);
    CHECK_EQ_INT(r.canonical_request.len, 0);
    sigv4_result_free(&r);
}

RUN_TESTS(T(sha256_hex), T(aws_doc_s3_get_object), T(aws_doc_s3_query_examples), T(aws_suite_vanilla),
          T(s3_put_session_token), T(uri_encode), T(canonical_uri_rules), T(canonical_query_rules),
          T(canonical_header_rules), T(unsigned_payload), T(amz_date_now), T(rejects_bad_requests),
          T(rejects_bad_credentials), T(rejects_authorization_too_long), T(failure_clears_result))
