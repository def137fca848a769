/* Lambda events and responses: every HTTP family (API Gateway REST v1, HTTP API v2, Function
 * URL, ALB) parsed into method, path, headers and body, stage prefixes, base64, the response
 * shapes, and hostile events (wrong types, huge or many headers, bad base64, deep nesting,
 * oversized bodies): a 400 or a runtime error, never a crash. The handler end to end on a
 * local folder. */
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "http/otlp_handler.h"
#include "lambda/event.h"
#include "lambda/handler.h"
#include "lambda/response.h"
#include "storage/storage.h"
#include "table/tables.h"

#define MAXB ((size_t)6 << 20)

static int parse(const char *ev, lambda_event_t *e, int *too_large, char *msg)
{
    return lambda_event_parse(ev, strlen(ev), MAXB, e, too_large, msg, 300);
}

/* Well-formed events of every family and what they parse into. */
static const struct {
    const char *what, *ev;
    lambda_family_t family;
    int multi;
    const char *method, *path;
    const char *hname, *hvalue; /* looked up in another case than sent */
    const char *body;
    size_t body_len;
} good[] = {
    {"v1 with the stage in the path",
     "{\"httpMethod\":\"POST\",\"path\":\"/prod/v1/logs\",\"headers\":{\"Content-Type\":"
     "\"application/json\",\"X-Null\":null},\"requestContext\":{\"stage\":\"prod\"},"
     "\"body\":\"{}\",\"isBase64Encoded\":false}",
     LAMBDA_EV_APIGW_V1, 0, "POST", "/v1/logs", "CONTENT-TYPE", "application/json", "{}", 2},
    {"v1: a stage that is only a prefix of the first segment stays",
     "{\"httpMethod\":\"GET\",\"path\":\"/production/health\",\"requestContext\":{\"stage\":\"prod\"}}",
     LAMBDA_EV_APIGW_V1, 0, "GET", "/production/health", "x-null", NULL, "", 0},
    {"v1: the stage alone is /",
     "{\"httpMethod\":\"GET\",\"path\":\"/prod\",\"requestContext\":{\"stage\":\"prod\"}}", LAMBDA_EV_APIGW_V1,
     0, "GET", "/", "content-type", NULL, "", 0},
    {"v1 multiValueHeaders win over headers, repeated values joined, base64 body",
     "{\"httpMethod\":\"post\",\"path\":\"/v1/traces\",\"headers\":{\"content-type\":\"text/plain\"},"
     "\"multiValueHeaders\":{\"Content-Type\":[\"application/x-protobuf\"],\"X-A\":[\"1\",\"2\"]},"
     "\"body\":\"AAEC\",\"isBase64Encoded\":true}",
     LAMBDA_EV_APIGW_V1, 1, "POST", "/v1/traces", "x-a", "1, 2", "\x00\x01\x02", 3},
    {"v1 multiValueHeaders: the content type",
     "{\"httpMethod\":\"POST\",\"path\":\"/v1/traces\",\"headers\":{\"content-type\":\"text/plain\"},"
     "\"multiValueHeaders\":{\"Content-Type\":[\"application/x-protobuf\"]}}",
     LAMBDA_EV_APIGW_V1, 1, "POST", "/v1/traces", "content-type", "application/x-protobuf", "", 0},
    {"v2 with a stage",
     "{\"version\":\"2.0\",\"rawPath\":\"/beta/v1/metrics\",\"cookies\":[\"a=b\"],"
     "\"headers\":{\"content-type\":\"application/x-protobuf\",\"content-encoding\":\"gzip\"},"
     "\"requestContext\":{\"http\":{\"method\":\"POST\"},\"stage\":\"beta\"},"
     "\"body\":\"aGk=\",\"isBase64Encoded\":true}",
     LAMBDA_EV_HTTP_V2, 0, "POST", "/v1/metrics", "Content-Encoding", "gzip", "hi", 2},
    {"a Function URL: stage $default, nothing stripped, no body",
     "{\"version\":\"2.0\",\"rawPath\":\"/$default/health\",\"headers\":{},"
     "\"requestContext\":{\"http\":{\"method\":\"GET\"},\"stage\":\"$default\",\"domainName\":"
     "\"x.lambda-url.us-east-1.on.aws\"},\"isBase64Encoded\":false}",
     LAMBDA_EV_HTTP_V2, 0, "GET", "/$default/health", "content-type", NULL, "", 0},
    {"ALB with multiValueHeaders",
     "{\"requestContext\":{\"elb\":{\"targetGroupArn\":\"arn\"}},\"httpMethod\":\"POST\","
     "\"path\":\"/v1/logs\",\"multiValueHeaders\":{\"content-type\":[\"application/json\"]},"
     "\"body\":\"{}\",\"isBase64Encoded\":false}",
     LAMBDA_EV_ALB, 1, "POST", "/v1/logs", "Content-Type", "application/json", "{}", 2},
    {"ALB with headers (no stage stripping)",
     "{\"httpMethod\":\"GET\",\"path\":\"/prod/health\","
     "\"headers\":{\"X-Y\":\"z\"},\"requestContext\":{\"elb\":{},\"stage\":\"prod\"}}",
     LAMBDA_EV_ALB, 0, "GET", "/prod/health", "x-y", "z", "", 0},
};

TEST(every_family)
{
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        lambda_event_t e;
        int tl;
        char msg[300];
        int rc = parse(good[i].ev, &e, &tl, msg);
        if (rc)
            printf("    %s: %s\n", good[i].what, msg);
        CHECK(rc == 0);
        CHECK_EQ_INT(e.family, good[i].family);
        CHECK_EQ_INT(e.multi_value, good[i].multi);
        CHECK_EQ_STR(e.method, good[i].method);
        CHECK_EQ_STR(e.path, good[i].path);
        const char *v = lambda_event_header(&e, good[i].hname);
        CHECK((v == NULL) == (good[i].hvalue == NULL));
        if (v)
            CHECK_EQ_STR(v, good[i].hvalue);
        CHECK_EQ_MEM(e.body.data ? (const char *)e.body.data : "", e.body.len, good[i].body, good[i].body_len);
        lambda_event_free(&e);
    }
}

/* Each of these is an HTTP event that cannot be read: a 400 (family known, msg set). */
TEST(hostile_known_family)
{
    static const char *const evs[] = {
        "{\"httpMethod\":5,\"path\":\"/v1/logs\"}",
        "{\"httpMethod\":\"POST\",\"path\":[\"/v1/logs\"]}",
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":\"x\"}",
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{\"a\":1}}",
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"multiValueHeaders\":{\"a\":\"b\"}}",
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"multiValueHeaders\":{\"a\":[1]}}",
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"body\":\"!!!\",\"isBase64Encoded\":true}",
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"body\":\"QQ=\",\"isBase64Encoded\":true}",
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"body\":{},\"isBase64Encoded\":false}",
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"isBase64Encoded\":\"yes\"}",
        "{\"httpMethod\":\"POSTPOSTPOSTPOSTPOST\",\"path\":\"/v1/logs\"}",
        "{\"httpMethod\":\"\",\"path\":\"/v1/logs\"}",
        "{\"version\":\"2.0\",\"rawPath\":\"/v1/logs\"}",
        "{\"version\":\"2.0\",\"rawPath\":\"/v1/logs\",\"requestContext\":{\"http\":\"POST\"}}",
        "{\"version\":\"2.0\",\"rawPath\":7,\"requestContext\":{\"http\":{\"method\":\"POST\"}}}",
        "{\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{\"method\":\"POST\"}},\"cookies\":{}}",
        "{\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{\"method\":\"POST\"},\"stage\":1}}",
        "{\"version\":\"1.0\",\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":[]}",
        "{\"requestContext\":{\"elb\":{}},\"httpMethod\":null,\"path\":\"/\"}",
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        lambda_event_t e;
        int tl;
        char msg[300];
        int rc = parse(evs[i], &e, &tl, msg);
        if (rc == 0 || e.family == LAMBDA_EV_NONE || !msg[0])
            printf("    event %zu: rc %d family %d msg %s\n", i, rc, (int)e.family, msg);
        CHECK(rc != 0);
        CHECK(e.family != LAMBDA_EV_NONE);
        CHECK(msg[0]);
        lambda_event_free(&e);
    }
}

/* Not an HTTP event: a runtime error. */
TEST(hostile_unknown_shape)
{
    static const char *const evs[] = {
        "", "null", "[]", "\"str\"", "{}", "{\"version\":\"3.0\"}", "{\"Records\":[]}", "{\"httpMethod\"",
        "{\"a\":1,\"a\":2}", "\xff\xfe",
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        lambda_event_t e;
        int tl;
        char msg[300];
        CHECK(parse(evs[i], &e, &tl, msg) != 0);
        CHECK_EQ_INT(e.family, LAMBDA_EV_NONE);
        CHECK(msg[0]);
        lambda_event_free(&e);
    }
}

/* head, then piece n times (joined by sep), then tail. */
static void repeated(buf_t *b, const char *head, const char *piece, const char *sep, int n, const char *tail)
{
    buf_clear(b);
    buf_append_str(b, head);
    for (int i = 0; i < n; i++) {
        if (i && sep)
            buf_append_str(b, sep);
        buf_append_str(b, piece);
    }
    buf_append_str(b, tail);
}

/* Parses b with a body limit of max: the family on failure (-1 when it parsed). */
static int family_of_failure(const buf_t *b, size_t max, int *tl)
{
    lambda_event_t e;
    char msg[300];
    int rc = lambda_event_parse((const char *)b->data, b->len, max, &e, tl, msg, sizeof msg);
    int fam = rc ? (int)e.family : -1;
    if (rc && !msg[0])
        fam = -2;
    lambda_event_free(&e);
    return fam;
}

TEST(hostile_sizes_and_nesting)
{
    int tl;
    buf_t b = {0};
    char piece[32];
    /* a header value over the limit */
    repeated(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{\"x\":\"", "a", NULL,
             LAMBDA_MAX_HEADER_VALUE + 10, "\"}}");
    CHECK_EQ_INT(family_of_failure(&b, MAXB, &tl), LAMBDA_EV_APIGW_V1);
    CHECK(!tl);
    /* too many headers (the same name many times, then distinct names) */
    repeated(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"multiValueHeaders\":{\"x\":[",
             "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", ",", 200, "]}}");
    CHECK_EQ_INT(family_of_failure(&b, MAXB, &tl), LAMBDA_EV_APIGW_V1);
    buf_clear(&b);
    buf_append_str(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{");
    for (int i = 0; i < LAMBDA_MAX_HEADERS + 5; i++) {
        snprintf(piece, sizeof piece, "%s\"h%d\":\"v\"", i ? "," : "", i);
        buf_append_str(&b, piece);
    }
    buf_append_str(&b, "}}");
    CHECK_EQ_INT(family_of_failure(&b, MAXB, &tl), LAMBDA_EV_APIGW_V1);
    /* a path over the limit */
    repeated(&b, "{\"httpMethod\":\"POST\",\"path\":\"/", "p", NULL, LAMBDA_MAX_PATH, "\"}");
    CHECK_EQ_INT(family_of_failure(&b, MAXB, &tl), LAMBDA_EV_APIGW_V1);
    /* deep nesting: the JSON parser's depth limit, not the stack */
    repeated(&b, "{\"httpMethod\":\"POST\",\"path\":\"/\",\"x\":", "[", NULL, 100000, "");
    for (int i = 0; i < 100000; i++)
        buf_append_str(&b, "]");
    buf_append_str(&b, "}");
    CHECK(family_of_failure(&b, MAXB, &tl) >= 0);
    /* a body over the limit, base64 and plain: too_large */
    repeated(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"body\":\"", "QUFB", NULL, 2000,
             "\",\"isBase64Encoded\":true}");
    CHECK_EQ_INT(family_of_failure(&b, 1000, &tl), LAMBDA_EV_APIGW_V1);
    CHECK(tl);
    repeated(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"body\":\"", "QUFB", NULL, 2000,
             "\",\"isBase64Encoded\":false}");
    CHECK_EQ_INT(family_of_failure(&b, 1000, &tl), LAMBDA_EV_APIGW_V1);
    CHECK(tl);
    buf_free(&b);
}

static json_t *shaped(lambda_family_t fam, int multi, const otlp_reply_t *rep)
{
    buf_t out = {0};
    if (lambda_response_json(fam, multi, rep, &out)) {
        buf_free(&out);
        return NULL;
    }
    json_t *j = json_loadb((const char *)out.data, out.len, 0, NULL);
    buf_free(&out);
    return j;
}

TEST(response_shapes)
{
    otlp_reply_t rep;
    memset(&rep, 0, sizeof rep);
    otlp_route_t rt;
    memset(&rt, 0, sizeof rt);
    rt.enc_known = 1;
    rt.enc = ENC_PROTOBUF;
    CHECK(otlp_error_reply(&rep, &rt, 503, NULL, "down") == 0);
    /* v1 and v2: headers, binary body as base64 */
    for (int f = LAMBDA_EV_APIGW_V1; f <= LAMBDA_EV_HTTP_V2; f++) {
        json_t *j = shaped((lambda_family_t)f, 1, &rep);
        CHECK(j);
        CHECK_EQ_INT(json_integer_value(json_object_get(j, "statusCode")), 503);
        CHECK(json_is_true(json_object_get(j, "isBase64Encoded")));
        json_t *h = json_object_get(j, "headers");
        CHECK_EQ_STR(json_string_value(json_object_get(h, "Content-Type")), "application/x-protobuf");
        CHECK_EQ_STR(json_string_value(json_object_get(h, "Retry-After")), "5");
        CHECK(json_object_get(j, "statusDescription") == NULL);
        CHECK(json_object_get(j, "multiValueHeaders") == NULL);
        const char *body = json_string_value(json_object_get(j, "body"));
        CHECK(body && body[0] == 'C'); /* 08 0e ...: code 14 */
        json_decref(j);
    }
    /* ALB: statusDescription; multiValueHeaders when the request had them */
    json_t *j = shaped(LAMBDA_EV_ALB, 1, &rep);
    CHECK(j);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "statusDescription")), "503 Service Unavailable");
    json_t *mh = json_object_get(j, "multiValueHeaders");
    CHECK(json_is_array(json_object_get(mh, "Retry-After")));
    CHECK(json_object_get(j, "headers") == NULL);
    json_decref(j);
    /* JSON as text */
    rt.enc = ENC_JSON;
    CHECK(otlp_error_reply(&rep, &rt, 405, "POST", "use POST") == 0);
    j = shaped(LAMBDA_EV_ALB, 0, &rep);
    CHECK(j);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "statusDescription")), "405 Method Not Allowed");
    CHECK(json_is_false(json_object_get(j, "isBase64Encoded")));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "headers"), "Allow")), "POST");
    json_t *st = json_loads(json_string_value(json_object_get(j, "body")), 0, NULL);
    CHECK(st);
    CHECK_EQ_INT(json_integer_value(json_object_get(st, "code")), 5 + 7); /* UNIMPLEMENTED */
    json_decref(st);
    json_decref(j);
    otlp_reply_free(&rep);
}

static char tmpdir[64];
static lambda_handler_t h;
static storage_t *st;
static ingest_t *ing;

static void cleanup(void)
{
    ingest_free(ing);
    storage_destroy(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0] && system(cmd) != 0)
        printf("    could not remove %s\n", tmpdir);
}

static lambda_handler_t *handler(void)
{
    if (ing)
        return &h;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_lambda_XXXXXX");
    if (!mkdtemp(tmpdir) || tables_init())
        return NULL;
    err_t err;
    err_clear(&err);
    st = storage_fs_open(tmpdir, &err);
    if (!st)
        return NULL;
    ingest_config_t c;
    ingest_config_default(&c);
    c.storage = st;
    c.mode = INGEST_IMMEDIATE;
    c.max_payload = 1 << 20;
    ing = ingest_new(&c, &err);
    if (!ing)
        return NULL;
    h = (lambda_handler_t){.ingest = ing, .storage = st, .max_body = 1 << 20};
    atexit(cleanup);
    return &h;
}

static json_t *invoke(const char *ev)
{
    buf_t out = {0};
    char msg[300];
    if (lambda_handle_event(handler(), ev, strlen(ev), &out, msg, sizeof msg)) {
        buf_free(&out);
        return NULL;
    }
    json_t *j = json_loadb((const char *)out.data, out.len, 0, NULL);
    buf_free(&out);
    return j;
}

static int status_of(json_t *j) { return j ? (int)json_integer_value(json_object_get(j, "statusCode")) : -1; }

TEST(handler_routes)
{
    CHECK(handler());
    static const struct {
        const char *ev;
        int status;
    } cases[] = {
        {"{\"version\":\"2.0\",\"rawPath\":\"/v1/logs\",\"headers\":{\"content-type\":\"application/json\"},"
         "\"requestContext\":{\"http\":{\"method\":\"POST\"},\"stage\":\"$default\"},\"body\":"
         "\"{\\\"resourceLogs\\\":[{\\\"scopeLogs\\\":[{\\\"logRecords\\\":[{\\\"timeUnixNano\\\":\\\"1\\\"}]}]}]}\"}",
         200},
        {"{\"httpMethod\":\"GET\",\"path\":\"/health\"}", 200},
        {"{\"httpMethod\":\"GET\",\"path\":\"/ready\"}", 200},
        {"{\"httpMethod\":\"GET\",\"path\":\"/v1/logs\"}", 405},
        {"{\"httpMethod\":\"POST\",\"path\":\"/health\"}", 405},
        {"{\"httpMethod\":\"POST\",\"path\":\"/nope\"}", 404},
        {"{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{\"Content-Type\":\"text/plain\"}}", 415},
        {"{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{\"Content-Type\":\"application/json\","
         "\"Content-Encoding\":\"br\"}}",
         415},
        {"{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{\"Content-Type\":\"application/json\","
         "\"Content-Encoding\":\"gzip\"},\"body\":\"not gzip\"}",
         400},
        {"{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{\"Content-Type\":\"application/json\"},"
         "\"body\":\"{nope\"}",
         400},
        {"{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{\"Content-Type\":\"application/x-protobuf\"},"
         "\"body\":\"%%%\",\"isBase64Encoded\":true}",
         400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = invoke(cases[i].ev);
        if (status_of(j) != cases[i].status)
            printf("    case %zu: status %d, want %d\n", i, status_of(j), cases[i].status);
        CHECK_EQ_INT(status_of(j), cases[i].status);
        json_decref(j);
    }
    /* the bad-base64 protobuf request is answered in protobuf */
    json_t *j = invoke(cases[10].ev);
    CHECK(json_is_true(json_object_get(j, "isBase64Encoded")));
    json_decref(j);
    /* not an HTTP event: no response, a runtime error */
    CHECK(invoke("{\"Records\":[]}") == NULL);
    CHECK(invoke("[1,2") == NULL);
}

RUN_TESTS(T(every_family), T(hostile_known_family),
          T(hostile_unknown_shape), T(hostile_sizes_and_nesting), T(response_shapes), T(handler_routes))
