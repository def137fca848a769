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

TEST(v1_basic_and_stage)
{
    lambda_event_t e;
    int tl;
    char msg[300];
    const char *ev = "{\"httpMethod\":\"POST\",\"path\":\"/prod/v1/logs\",\"headers\":{\"Content-Type\":"
                     "\"application/json\",\"X-Null\":null},\"requestContext\":{\"stage\":\"prod\"},"
                     "\"body\":\"{}\",\"isBase64Encoded\":false}";
    CHECK(parse(ev, &e, &tl, msg) == 0);
    CHECK_EQ_INT(e.family, LAMBDA_EV_APIGW_V1);
    CHECK_EQ_STR(e.method, "POST");
    CHECK_EQ_STR(e.path, "/v1/logs");
    CHECK_EQ_STR(lambda_event_header(&e, "content-type"), "application/json");
    CHECK_EQ_STR(lambda_event_header(&e, "CONTENT-TYPE"), "application/json");
    CHECK(lambda_event_header(&e, "x-null") == NULL);
    CHECK_EQ_MEM(e.body.data, e.body.len, "{}", 2);
    lambda_event_free(&e);
    /* no stage in the path: left alone; a stage that is only a prefix of a segment: too */
    ev = "{\"httpMethod\":\"GET\",\"path\":\"/production/health\",\"requestContext\":{\"stage\":\"prod\"}}";
    CHECK(parse(ev, &e, &tl, msg) == 0);
    CHECK_EQ_STR(e.path, "/production/health");
    lambda_event_free(&e);
    ev = "{\"httpMethod\":\"GET\",\"path\":\"/prod\",\"requestContext\":{\"stage\":\"prod\"}}";
    CHECK(parse(ev, &e, &tl, msg) == 0);
    CHECK_EQ_STR(e.path, "/");
    lambda_event_free(&e);
}

TEST(v1_multi_value_headers)
{
    lambda_event_t e;
    int tl;
    char msg[300];
    const char *ev = "{\"httpMethod\":\"post\",\"path\":\"/v1/traces\",\"headers\":{\"content-type\":\"text/plain\"},"
                     "\"multiValueHeaders\":{\"Content-Type\":[\"application/x-protobuf\"],\"X-A\":[\"1\",\"2\"]},"
                     "\"body\":\"AAEC\",\"isBase64Encoded\":true}";
    CHECK(parse(ev, &e, &tl, msg) == 0);
    CHECK_EQ_STR(e.method, "POST");
    CHECK(e.multi_value);
    CHECK_EQ_STR(lambda_event_header(&e, "content-type"), "application/x-protobuf");
    CHECK_EQ_STR(lambda_event_header(&e, "x-a"), "1, 2");
    CHECK_EQ_MEM(e.body.data, e.body.len, "\x00\x01\x02", 3);
    lambda_event_free(&e);
}

TEST(v2_and_function_url)
{
    lambda_event_t e;
    int tl;
    char msg[300];
    const char *ev = "{\"version\":\"2.0\",\"rawPath\":\"/beta/v1/metrics\",\"cookies\":[\"a=b\"],"
                     "\"headers\":{\"content-type\":\"application/x-protobuf\",\"content-encoding\":\"gzip\"},"
                     "\"requestContext\":{\"http\":{\"method\":\"POST\"},\"stage\":\"beta\"},"
                     "\"body\":\"aGk=\",\"isBase64Encoded\":true}";
    CHECK(parse(ev, &e, &tl, msg) == 0);
    CHECK_EQ_INT(e.family, LAMBDA_EV_HTTP_V2);
    CHECK_EQ_STR(e.path, "/v1/metrics");
    CHECK_EQ_STR(lambda_event_header(&e, "Content-Encoding"), "gzip");
    CHECK_EQ_MEM(e.body.data, e.body.len, "hi", 2);
    lambda_event_free(&e);
    /* a Function URL: stage $default, no prefix to strip; no body at all */
    ev = "{\"version\":\"2.0\",\"rawPath\":\"/$default/health\",\"headers\":{},"
         "\"requestContext\":{\"http\":{\"method\":\"GET\"},\"stage\":\"$default\",\"domainName\":"
         "\"x.lambda-url.us-east-1.on.aws\"},\"isBase64Encoded\":false}";
    CHECK(parse(ev, &e, &tl, msg) == 0);
    CHECK_EQ_STR(e.path, "/$default/health");
    CHECK_EQ_INT(e.body.len, 0);
    lambda_event_free(&e);
}

TEST(alb)
{
    lambda_event_t e;
    int tl;
    char msg[300];
    const char *ev = "{\"requestContext\":{\"elb\":{\"targetGroupArn\":\"arn\"}},\"httpMethod\":\"POST\","
                     "\"path\":\"/v1/logs\",\"multiValueHeaders\":{\"content-type\":[\"application/json\"]},"
                     "\"body\":\"{}\",\"isBase64Encoded\":false}";
    CHECK(parse(ev, &e, &tl, msg) == 0);
    CHECK_EQ_INT(e.family, LAMBDA_EV_ALB);
    CHECK(e.multi_value);
    CHECK_EQ_STR(lambda_event_header(&e, "Content-Type"), "application/json");
    lambda_event_free(&e);
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

TEST(hostile_sizes_and_nesting)
{
    lambda_event_t e;
    int tl;
    char msg[300];
    buf_t b = {0};
    /* a header value over the limit */
    buf_append_str(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{\"x\":\"");
    for (int i = 0; i < LAMBDA_MAX_HEADER_VALUE + 10; i++)
        buf_append_str(&b, "a");
    buf_append_str(&b, "\"}}");
    CHECK(lambda_event_parse((const char *)b.data, b.len, MAXB, &e, &tl, msg, sizeof msg) != 0);
    CHECK(e.family == LAMBDA_EV_APIGW_V1 && !tl);
    lambda_event_free(&e);
    /* too many headers */
    buf_clear(&b);
    buf_append_str(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"headers\":{");
    for (int i = 0; i < LAMBDA_MAX_HEADERS + 5; i++) {
        char h[32];
        snprintf(h, sizeof h, "%s\"h%d\":\"v\"", i ? "," : "", i);
        buf_append_str(&b, h);
    }
    buf_append_str(&b, "}}");
    CHECK(lambda_event_parse((const char *)b.data, b.len, MAXB, &e, &tl, msg, sizeof msg) != 0);
    CHECK(e.family == LAMBDA_EV_APIGW_V1);
    lambda_event_free(&e);
    /* repeated values of one header that add up past the limit */
    buf_clear(&b);
    buf_append_str(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"multiValueHeaders\":{\"x\":[");
    for (int i = 0; i < 200; i++)
        buf_append_str(&b, i ? ",\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" : "\"a\"");
    buf_append_str(&b, "]}}");
    CHECK(lambda_event_parse((const char *)b.data, b.len, MAXB, &e, &tl, msg, sizeof msg) != 0);
    lambda_event_free(&e);
    /* a path over the limit */
    buf_clear(&b);
    buf_append_str(&b, "{\"httpMethod\":\"POST\",\"path\":\"/");
    for (int i = 0; i < LAMBDA_MAX_PATH; i++)
        buf_append_str(&b, "p");
    buf_append_str(&b, "\"}");
    CHECK(lambda_event_parse((const char *)b.data, b.len, MAXB, &e, &tl, msg, sizeof msg) != 0);
    CHECK(e.family == LAMBDA_EV_APIGW_V1);
    lambda_event_free(&e);
    /* deep nesting: the JSON parser's depth limit, not the stack */
    buf_clear(&b);
    buf_append_str(&b, "{\"httpMethod\":\"POST\",\"path\":\"/\",\"x\":");
    for (int i = 0; i < 100000; i++)
        buf_append_str(&b, "[");
    for (int i = 0; i < 100000; i++)
        buf_append_str(&b, "]");
    buf_append_str(&b, "}");
    CHECK(lambda_event_parse((const char *)b.data, b.len, MAXB, &e, &tl, msg, sizeof msg) != 0);
    lambda_event_free(&e);
    /* a body over the limit, plain and base64: too_large */
    buf_clear(&b);
    buf_append_str(&b, "{\"httpMethod\":\"POST\",\"path\":\"/v1/logs\",\"body\":\"");
    for (int i = 0; i < 2000; i++)
        buf_append_str(&b, "QUFB");
    buf_append_str(&b, "\",\"isBase64Encoded\":true}");
    CHECK(lambda_event_parse((const char *)b.data, b.len, 1000, &e, &tl, msg, sizeof msg) != 0);
    CHECK(tl);
    lambda_event_free(&e);
    b.len -= strlen("\",\"isBase64Encoded\":true}");
    buf_append_str(&b, "\",\"isBase64Encoded\":false}");
    CHECK(lambda_event_parse((const char *)b.data, b.len, 1000, &e, &tl, msg, sizeof msg) != 0);
    CHECK(tl);
    lambda_event_free(&e);
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

RUN_TESTS(T(v1_basic_and_stage), T(v1_multi_value_headers), T(v2_and_function_url), T(alb), T(hostile_known_family),
          T(hostile_unknown_shape), T(hostile_sizes_and_nesting), T(response_shapes), T(handler_routes))
