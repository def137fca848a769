/* OTLP/HTTP response bodies, byte for byte: Export*ServiceResponse (empty and partial success)
 * and google.rpc.Status, in protobuf and JSON, and the error-code mappings. */
#include "check.h"
#include "http/otlp_response.h"

static ingest_result_t result(uint64_t rejected, const char *msg)
{
    ingest_result_t r;
    memset(&r, 0, sizeof r);
    r.rows = 10;
    r.rejected = rejected;
    snprintf(r.message, sizeof r.message, "%s", msg);
    return r;
}

TEST(export_empty)
{
    buf_t b = {0};
    ingest_result_t r = result(0, "");
    for (int s = 0; s < SIG_COUNT; s++) {
        buf_clear(&b);
        CHECK(otlp_export_response(&b, (otlp_signal_t)s, ENC_PROTOBUF, &r) == 0);
        CHECK_EQ_INT(b.len, 0);
        CHECK(otlp_export_response(&b, (otlp_signal_t)s, ENC_JSON, &r) == 0);
        CHECK_EQ_MEM(b.data, b.len, "{}", 2);
        buf_clear(&b);
        CHECK(otlp_export_response(&b, (otlp_signal_t)s, ENC_NDJSON, &r) == 0);
        CHECK_EQ_MEM(b.data, b.len, "{}", 2);
    }
    buf_clear(&b);
    CHECK(otlp_export_response(&b, SIG_LOGS, ENC_JSON, NULL) == 0);
    CHECK_EQ_MEM(b.data, b.len, "{}", 2);
    buf_free(&b);
}

TEST(export_partial_protobuf)
{
    buf_t b = {0};
    ingest_result_t r = result(3, "bad ids");
    CHECK(otlp_export_response(&b, SIG_LOGS, ENC_PROTOBUF, &r) == 0);
    /* partial_success (1, LEN 11) { rejected (1, varint 3), error_message (2, LEN 7) } */
    static const uint8_t want[] = {0x0a, 0x0b, 0x08, 0x03, 0x12, 0x07, 'b', 'a', 'd', ' ', 'i', 'd', 's'};
    CHECK_EQ_MEM(b.data, b.len, want, sizeof want);

    /* the field numbers are the same for traces and metrics; a multi-byte varint */
    buf_clear(&b);
    r = result(300, "");
    CHECK(otlp_export_response(&b, SIG_METRICS, ENC_PROTOBUF, &r) == 0);
    static const uint8_t want300[] = {0x0a, 0x03, 0x08, 0xac, 0x02};
    CHECK_EQ_MEM(b.data, b.len, want300, sizeof want300);

    /* a warning without rejections: only the message */
    buf_clear(&b);
    r = result(0, "w");
    CHECK(otlp_export_response(&b, SIG_TRACES, ENC_PROTOBUF, &r) == 0);
    static const uint8_t wantw[] = {0x0a, 0x03, 0x12, 0x01, 'w'};
    CHECK_EQ_MEM(b.data, b.len, wantw, sizeof wantw);

    /* appends after what the buffer holds */
    buf_clear(&b);
    buf_append_str(&b, "X");
    r = result(1, "");
    CHECK(otlp_export_response(&b, SIG_TRACES, ENC_PROTOBUF, &r) == 0);
    CHECK_EQ_MEM(b.data, b.len, "X\x0a\x02\x08\x01", 5);

    /* a count past INT64_MAX saturates (never a negative, ten-byte varint) */
    buf_clear(&b);
    r = result(UINT64_MAX, "");
    CHECK(otlp_export_response(&b, SIG_LOGS, ENC_PROTOBUF, &r) == 0);
    static const uint8_t wantmax[] = {0x0a, 0x0a, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    CHECK_EQ_MEM(b.data, b.len, wantmax, sizeof wantmax);
    buf_free(&b);
}

static int eq_text(const buf_t *b, const char *want)
{
    return b->len == strlen(want) && memcmp(b->data, want, b->len) == 0;
}

#define CHECK_TEXT(b, want)                                                                              \
    do {                                                                                                 \
        if (!eq_text(&(b), want))                                                                        \
            printf("    got  %.*s\n    want %s\n", (int)(b).len, (const char *)(b).data, want);          \
        CHECK(eq_text(&(b), want));                                                                      \
    } while (0)

TEST(export_partial_json)
{
    buf_t b = {0};
    ingest_result_t r = result(3, "bad \"ids\"");
    CHECK(otlp_export_response(&b, SIG_LOGS, ENC_JSON, &r) == 0);
    CHECK_TEXT(b, "{\"partialSuccess\":{\"rejectedLogRecords\":\"3\",\"errorMessage\":\"bad \\\"ids\\\"\"}}");
    buf_clear(&b);
    r = result(7, "x");
    CHECK(otlp_export_response(&b, SIG_TRACES, ENC_JSON, &r) == 0);
    CHECK_TEXT(b, "{\"partialSuccess\":{\"rejectedSpans\":\"7\",\"errorMessage\":\"x\"}}");
    buf_clear(&b);
    r = result(12345678901ull, "");
    CHECK(otlp_export_response(&b, SIG_METRICS, ENC_NDJSON, &r) == 0);
    CHECK_TEXT(b, "{\"partialSuccess\":{\"rejectedDataPoints\":\"12345678901\"}}");
    buf_clear(&b);
    r = result(0, "warning");
    CHECK(otlp_export_response(&b, SIG_METRICS, ENC_JSON, &r) == 0);
    CHECK_TEXT(b, "{\"partialSuccess\":{\"errorMessage\":\"warning\"}}");
    buf_free(&b);
}

TEST(status_protobuf)
{
    buf_t b = {0};
    CHECK(otlp_status_response(&b, ENC_PROTOBUF, GRPC_INVALID_ARGUMENT, "x") == 0);
    static const uint8_t want[] = {0x08, 0x03, 0x12, 0x01, 'x'};
    CHECK_EQ_MEM(b.data, b.len, want, sizeof want);

    buf_clear(&b);
    CHECK(otlp_status_response(&b, ENC_PROTOBUF, GRPC_INTERNAL, "") == 0);
    CHECK_EQ_MEM(b.data, b.len, "\x08\x0d", 2);
    buf_clear(&b);
    CHECK(otlp_status_response(&b, ENC_PROTOBUF, GRPC_UNAVAILABLE, NULL) == 0);
    CHECK_EQ_MEM(b.data, b.len, "\x08\x0e", 2);

    /* a message of 300 bytes: two-byte length */
    char msg[301];
    memset(msg, 'm', 300);
    msg[300] = 0;
    buf_clear(&b);
    CHECK(otlp_status_response(&b, ENC_PROTOBUF, GRPC_RESOURCE_EXHAUSTED, msg) == 0);
    CHECK_EQ_INT(b.len, 2 + 3 + 300);
    CHECK_EQ_MEM(b.data, 5, "\x08\x08\x12\xac\x02", 5);
    CHECK(b.data[5] == 'm' && b.data[304] == 'm');

    /* invalid UTF-8 becomes U+FFFD (a proto3 string must be valid UTF-8); no JSON escaping */
    buf_clear(&b);
    CHECK(otlp_status_response(&b, ENC_PROTOBUF, GRPC_INVALID_ARGUMENT, "a\xff\"\n") == 0);
    static const uint8_t want2[] = {0x08, 0x03, 0x12, 0x06, 'a', 0xef, 0xbf, 0xbd, '"', '\n'};
    CHECK_EQ_MEM(b.data, b.len, want2, sizeof want2);
    buf_free(&b);
}

TEST(status_json)
{
    buf_t b = {0};
    CHECK(otlp_status_response(&b, ENC_JSON, GRPC_INVALID_ARGUMENT, "logs request: bad") == 0);
    CHECK_TEXT(b, "{\"code\":3,\"message\":\"logs request: bad\"}");
    buf_clear(&b);
    CHECK(otlp_status_response(&b, ENC_JSON, GRPC_NOT_FOUND, "") == 0);
    CHECK_TEXT(b, "{\"code\":5,\"message\":\"\"}");

    /* escapes: quote, backslash, short forms, other control bytes as \u00XX; DEL and valid
     * UTF-8 (2, 3 and 4 bytes) as is */
    buf_clear(&b);
    CHECK(otlp_status_response(&b, ENC_JSON, 13, "q\" b\\ n\n r\r t\t \b \f \x01 \x1f \x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == 0);
    CHECK_TEXT(b, "{\"code\":13,\"message\":\"q\\\" b\\\\ n\\n r\\r t\\t \\b \\f \\u0001 \\u001f \x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");

    /* malformed UTF-8: a lone continuation byte, an overlong form, a surrogate, a code point
     * past U+10FFFF, and a sequence cut off at the end (as a truncated err_t message may be) */
    buf_clear(&b);
    CHECK(otlp_status_response(&b, ENC_JSON, 3, "\x80|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82") == 0);
    CHECK_TEXT(b, "{\"code\":3,\"message\":\""
                  "\xef\xbf\xbd|"
                  "\xef\xbf\xbd\xef\xbf\xbd|"
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
                  "\xef\xbf\xbd\xef\xbf\xbd\"}");
    buf_free(&b);
}

TEST(codes)
{
    CHECK_EQ_INT(otlp_http_status(ERR_INVALID), 400);
    CHECK_EQ_INT(otlp_http_status(ERR_TOO_LARGE), 413);
    CHECK_EQ_INT(otlp_http_status(ERR_UNSUPPORTED), 415);
    CHECK_EQ_INT(otlp_http_status(ERR_NOMEM), 503);
    CHECK_EQ_INT(otlp_http_status(ERR_UNAVAILABLE), 503);
    CHECK_EQ_INT(otlp_http_status(ERR_IO), 500);
    CHECK_EQ_INT(otlp_http_status(ERR_INTERNAL), 500);
    CHECK_EQ_INT(otlp_http_status(ERR_CONFIG), 500);
    CHECK_EQ_INT(otlp_grpc_code(400), GRPC_INVALID_ARGUMENT);
    CHECK_EQ_INT(otlp_grpc_code(404), GRPC_NOT_FOUND);
    CHECK_EQ_INT(otlp_grpc_code(405), GRPC_UNIMPLEMENTED);
    CHECK_EQ_INT(otlp_grpc_code(413), GRPC_RESOURCE_EXHAUSTED);
    CHECK_EQ_INT(otlp_grpc_code(415), GRPC_UNIMPLEMENTED);
    CHECK_EQ_INT(otlp_grpc_code(500), GRPC_INTERNAL);
    CHECK_EQ_INT(otlp_grpc_code(503), GRPC_UNAVAILABLE);
    CHECK_EQ_STR(otlp_response_content_type(ENC_PROTOBUF), "application/x-protobuf");
    CHECK_EQ_STR(otlp_response_content_type(ENC_JSON), "application/json");
    CHECK_EQ_STR(otlp_response_content_type(ENC_NDJSON), "application/json");
}

RUN_TESTS(T(export_empty), T(export_partial_protobuf), T(export_partial_json), T(status_protobuf), T(status_json),
          T(codes))
