/* OTLP logs protobuf decoder and the helpers under it (hex, base64, UTF-8, JSON escaping,
 * number text, the wire reader). Requests are built with a small protobuf encoder below, then
 * decoded into a logs batch whose columns are read back and compared value by value. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>

#include "check.h"
#include "pb_encode.h"
#include "otlp/anyvalue.h"
#include "otlp/attrs.h"
#include "otlp/decode.h"
#include "otlp/pb.h"
#include "table/tables.h"
#include "util/base64.h"
#include "util/hex.h"
#include "util/json_text.h"
#include "util/numfmt.h"
#include "util/utf8.h"

/* request layout helper: a request with one resource, one scope and the given records */
static buf_t one_request(buf_t res, buf_t scope, int nrec, ...)
{
    buf_t sl = {0}, rl = {0}, req = {0};
    w_msg(&sl, 1, scope);
    va_list ap;
    va_start(ap, nrec);
    for (int i = 0; i < nrec; i++)
        w_msg(&sl, 2, va_arg(ap, buf_t));
    va_end(ap);
    w_msg(&rl, 1, res);
    w_msg(&rl, 2, sl);
    w_msg(&req, 1, rl);
    return req;
}
static buf_t body_rec(buf_t body)
{
    buf_t r = {0};
    w_msg(&r, 5, body);
    return r;
}

/* ---------------- reading the batch back ---------------- */

#define NOW_NS 1700000000123456789LL

static table_batch_t B;
static otlp_decode_ctx_t CTX;
static err_t ERR;

static void init_tables(void)
{
    static bool done;
    if (!done && tables_init() != 0) {
        printf("tables_init failed\n");
        exit(1);
    }
    done = true;
}

static void batch_start(void)
{
    init_tables();
    batch_init(&B, &table_logs);
    memset(&CTX, 0, sizeof CTX);
    CTX.now_ns = NOW_NS;
    err_clear(&ERR);
}

static int decode_buf(const buf_t *req)
{
    return otlp_logs_decode_pb(req->data ? req->data : (const uint8_t *)"", req->len, &B, &CTX, &ERR);
}

/* decodes and frees req */
static int decode(buf_t req)
{
    int rc = decode_buf(&req);
    buf_free(&req);
    return rc;
}

static char ring_[16][8192];
static int ringi_;

/* Text of a top-level string leaf at row (NULL for null). */
static const char *S(int leaf, uint32_t row)
{
    const column_t *c = &B.cols[leaf];
    uint32_t *lvl = malloc((B.nrows + 1) * sizeof *lvl), *val = malloc((B.nrows + 1) * sizeof *val);
    col_row_index(c, B.nrows, lvl, val);
    const char *res = NULL;
    if (!c->leaf->max_def || c->def.data[lvl[row]] == c->leaf->max_def) {
        uint32_t n;
        const uint8_t *p = col_str_val(c, val[row], &n);
        char *out = ring_[ringi_++ % 16];
        if (n > 8191)
            n = 8191;
        if (n)
            memcpy(out, p, n);
        out[n] = 0;
        res = out;
    }
    free(lvl);
    free(val);
    return res;
}
static int64_t I64(int leaf, uint32_t row) { return col_i64_val(&B.cols[leaf], row); }
static int32_t I32(int leaf, uint32_t row) { return ((const int32_t *)B.cols[leaf].vals.data)[row]; }

/* A map at row as "k=v|k2=<null>" ("" for an empty map). */
static const char *M(int keyleaf, uint32_t row)
{
    const column_t *kc = &B.cols[keyleaf], *vc = &B.cols[keyleaf + 1];
    uint32_t n1 = B.nrows + 1;
    uint32_t *kl = malloc(n1 * 4), *kv_ = malloc(n1 * 4), *vl = malloc(n1 * 4), *vv = malloc(n1 * 4);
    col_row_index(kc, B.nrows, kl, kv_);
    col_row_index(vc, B.nrows, vl, vv);
    char *out = ring_[ringi_++ % 16];
    size_t o = 0;
    out[0] = 0;
    uint32_t ki = kv_[row], vi = vv[row];
    for (uint32_t i = kl[row]; i < kl[row + 1]; i++) {
        if (kc->def.data[i] != kc->leaf->max_def)
            break; /* empty map */
        uint32_t n;
        const uint8_t *k = col_str_val(kc, ki++, &n);
        o += (size_t)snprintf(out + o, 8192 - o, "%s%.*s=", o ? "|" : "", (int)n, (const char *)k);
        if (vc->def.data[i] == vc->leaf->max_def) {
            const uint8_t *v = col_str_val(vc, vi++, &n);
            o += (size_t)snprintf(out + o, 8192 - o, "%.*s", (int)n, (const char *)v);
        } else
            o += (size_t)snprintf(out + o, 8192 - o, "<null>");
        if (o >= 8000)
            break;
    }
    free(kl);
    free(kv_);
    free(vl);
    free(vv);
    return out;
}

#define CHECK_S(leaf, row, want)                                                             \
    do {                                                                                     \
        const char *got_ = S(leaf, row), *want_ = (want);                                    \
        if (!got_ || !want_) {                                                               \
            if (got_ != want_) {                                                             \
                printf("    %s:%d: %s[%d] == %s, want %s\n", __FILE__, __LINE__, #leaf,      \
                       (int)(row), got_ ? got_ : "NULL", want_ ? want_ : "NULL");            \
                check_failed_ = 1;                                                           \
                return;                                                                      \
            }                                                                                \
        } else                                                                               \
            CHECK_EQ_STR(got_, want_);                                                       \
    } while (0)

/* Every top-level leaf has one entry per row, and every map leaf starts each row once. */
static bool batch_consistent(void)
{
    for (int l = 0; l < B.schema->nleaves; l++) {
        const column_t *c = &B.cols[l];
        if (c->leaf->max_rep == 0) {
            if (c->nlevels != B.nrows)
                return false;
        } else {
            uint32_t starts = 0;
            for (uint32_t i = 0; i < c->nlevels; i++)
                starts += c->rep.data[i] == 0;
            if (starts != B.nrows)
                return false;
        }
    }
    return true;
}

/* ---------------- decoder: values ---------------- */

TEST(full_record)
{
    batch_start();
    static const uint8_t tid[16] = {0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03,
                                    0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c};
    static const uint8_t sid[8] = {0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74};
    buf_t rec = {0};
    w_f64(&rec, 1, 1544712660300000000ull);
    w_f64(&rec, 11, 1544712660300000999ull);
    w_uv(&rec, 2, 9);
    w_str(&rec, 3, "INFO");
    w_msg(&rec, 5, av_str("hello world"));
    w_msg(&rec, 6, kv("http.method", av_str("GET")));
    w_msg(&rec, 6, kv("http.status", av_int(200)));
    w_uv(&rec, 7, 3);
    w_f32(&rec, 8, 1);
    w_bytes(&rec, 9, tid, 16);
    w_bytes(&rec, 10, sid, 8);
    w_str(&rec, 12, "app.start");
    buf_t scope = {0};
    w_str(&scope, 1, "my.lib");
    w_str(&scope, 2, "1.2.3");
    w_msg(&scope, 3, kv("scope.attr", av_bool(1)));
    w_uv(&scope, 4, 0);
    buf_t sl = {0}, rl = {0}, req = {0};
    w_msg(&sl, 1, scope);
    w_msg(&sl, 2, rec);
    w_str(&sl, 3, "https://opentelemetry.io/schemas/1.21.0/scope");
    w_msg(&rl, 1, resource(2, kv("service.name", av_str("checkout")), kv("host.name", av_str("h1"))));
    w_msg(&rl, 2, sl);
    w_str(&rl, 3, "https://opentelemetry.io/schemas/1.21.0");
    w_msg(&req, 1, rl);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(B.nrows, 1);
    CHECK_EQ_INT(CTX.rows_added, 1);
    CHECK(batch_consistent());
    CHECK_EQ_INT(I64(LOGS_TIMESTAMP, 0), 1544712660300000);
    CHECK_EQ_INT(I64(LOGS_OBSERVED_TIMESTAMP, 0), 1544712660300000); /* floor of ...000999 ns */
    CHECK_S(LOGS_TRACE_ID, 0, "5b8efff798038103d269b633813fc60c");
    CHECK_S(LOGS_SPAN_ID, 0, "eee19b7ec3c1b174");
    CHECK_EQ_INT(I32(LOGS_TRACE_FLAGS, 0), 1);
    CHECK_S(LOGS_SEVERITY_TEXT, 0, "INFO");
    CHECK_EQ_INT(I32(LOGS_SEVERITY_NUMBER, 0), 9);
    CHECK_S(LOGS_BODY, 0, "hello world");
    CHECK_S(LOGS_EVENT_NAME, 0, "app.start");
    CHECK_S(LOGS_SERVICE_NAME, 0, "checkout");
    CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, 0), "service.name=checkout|host.name=h1");
    CHECK_S(LOGS_RESOURCE_SCHEMA_URL, 0, "https://opentelemetry.io/schemas/1.21.0");
    CHECK_S(LOGS_SCOPE_NAME, 0, "my.lib");
    CHECK_S(LOGS_SCOPE_VERSION, 0, "1.2.3");
    CHECK_EQ_STR(M(LOGS_SCOPE_ATTRS_KEY, 0), "scope.attr=true");
    CHECK_S(LOGS_SCOPE_SCHEMA_URL, 0, "https://opentelemetry.io/schemas/1.21.0/scope");
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "http.method=GET|http.status=200");
    batch_free(&B);
}

TEST(empty_record_defaults)
{
    batch_start();
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 1, av_empty())), 0);
    CHECK_EQ_INT(B.nrows, 1);
    CHECK(batch_consistent());
    CHECK_EQ_INT(I64(LOGS_TIMESTAMP, 0), NOW_NS / 1000); /* no time at all: the receive time */
    CHECK_EQ_INT(I64(LOGS_OBSERVED_TIMESTAMP, 0), NOW_NS / 1000);
    CHECK_S(LOGS_TRACE_ID, 0, "");
    CHECK_S(LOGS_SPAN_ID, 0, "");
    CHECK_EQ_INT(I32(LOGS_TRACE_FLAGS, 0), 0);
    CHECK_S(LOGS_SEVERITY_TEXT, 0, "");
    CHECK_EQ_INT(I32(LOGS_SEVERITY_NUMBER, 0), 0);
    CHECK_S(LOGS_BODY, 0, NULL); /* absent body: null */
    CHECK_S(LOGS_EVENT_NAME, 0, "");
    CHECK_S(LOGS_SERVICE_NAME, 0, "unknown_service");
    CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, 0), "");
    CHECK_S(LOGS_RESOURCE_SCHEMA_URL, 0, "");
    CHECK_S(LOGS_SCOPE_NAME, 0, "");
    CHECK_S(LOGS_SCOPE_VERSION, 0, "");
    CHECK_EQ_STR(M(LOGS_SCOPE_ATTRS_KEY, 0), "");
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "");
    /* maps are never null: the empty map's entry has def = max_def - 1, not lower */
    const column_t *k = &B.cols[LOGS_LOG_ATTRS_KEY];
    CHECK_EQ_INT(k->nlevels, 1);
    CHECK_EQ_INT(k->def.data[0], k->leaf->max_def - 1);
    batch_free(&B);
}

TEST(empty_bytes_into_fresh_buffers)
{
    /* empty bytes values are the only texts that stay empty: nothing was ever allocated */
    batch_start();
    buf_t rec = {0};
    w_msg(&rec, 5, av_bytes("", 0));
    w_msg(&rec, 6, kv("b", av_bytes("", 0)));
    w_msg(&rec, 6, kv("k", av_arr(1, av_bytes("", 0))));
    CHECK_EQ_INT(decode(one_request(resource(1, kv("r", av_bytes("", 0))), av_empty(), 1, rec)), 0);
    CHECK_S(LOGS_BODY, 0, "");
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "b=|k=[\"\"]");
    CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, 0), "r=");
    batch_free(&B);
}

TEST(empty_request_and_empty_containers)
{
    batch_start();
    CHECK_EQ_INT(otlp_logs_decode_pb(NULL, 0, &B, &CTX, &ERR), 0);
    CHECK_EQ_INT(B.nrows, 0);
    /* a resource without scopes and a scope without records: no rows */
    buf_t req = {0}, rl = {0}, rl2 = {0}, sl = {0};
    w_msg(&rl, 1, resource(1, kv("service.name", av_str("x"))));
    w_msg(&req, 1, rl);
    w_msg(&rl2, 2, sl);
    w_msg(&req, 1, rl2);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(B.nrows, 0);
    CHECK_EQ_INT(CTX.rows_added, 0);
    batch_free(&B);
}

TEST(timestamps)
{
    batch_start();
    buf_t r1 = {0}, r2 = {0}, r3 = {0}, r4 = {0};
    w_f64(&r1, 11, 2000001999ull); /* only observed: Timestamp falls back to it */
    w_f64(&r2, 1, 3000000500ull);  /* only time: ObservedTimestamp is the receive time */
    w_f64(&r3, 1, 0);              /* explicit zeros count as absent */
    w_f64(&r3, 11, 0);
    w_f64(&r4, 1, UINT64_MAX); /* the largest fixed64 still fits int64 microseconds */
    w_f64(&r4, 11, 999);
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 4, r1, r2, r3, r4)), 0);
    CHECK_EQ_INT(B.nrows, 4);
    CHECK_EQ_INT(I64(LOGS_TIMESTAMP, 0), 2000001);
    CHECK_EQ_INT(I64(LOGS_OBSERVED_TIMESTAMP, 0), 2000001);
    CHECK_EQ_INT(I64(LOGS_TIMESTAMP, 1), 3000000);
    CHECK_EQ_INT(I64(LOGS_OBSERVED_TIMESTAMP, 1), NOW_NS / 1000);
    CHECK_EQ_INT(I64(LOGS_TIMESTAMP, 2), NOW_NS / 1000);
    CHECK_EQ_INT(I64(LOGS_OBSERVED_TIMESTAMP, 2), NOW_NS / 1000);
    CHECK_EQ_INT(I64(LOGS_TIMESTAMP, 3), (int64_t)(UINT64_MAX / 1000));
    CHECK_EQ_INT(I64(LOGS_OBSERVED_TIMESTAMP, 3), 0);
    batch_free(&B);
    /* a receive time before 1970 floors, it does not truncate toward zero */
    batch_start();
    CTX.now_ns = -1500;
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 1, av_empty())), 0);
    CHECK_EQ_INT(I64(LOGS_OBSERVED_TIMESTAMP, 0), -2);
    batch_free(&B);
}

TEST(severity_and_flags)
{
    batch_start();
    buf_t r1 = {0}, r2 = {0};
    w_uv(&r1, 2, 24);
    w_f32(&r1, 8, 0xFFFFFFFFu); /* fixed32 all ones -> int32 -1 */
    w_uv(&r2, 2, (uint64_t)(int64_t)-3); /* a negative enum: 10-byte sign-extended varint */
    w_f32(&r2, 8, 0x101);
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 2, r1, r2)), 0);
    CHECK_EQ_INT(I32(LOGS_SEVERITY_NUMBER, 0), 24);
    CHECK_EQ_INT(I32(LOGS_TRACE_FLAGS, 0), -1);
    CHECK_EQ_INT(I32(LOGS_SEVERITY_NUMBER, 1), -3);
    CHECK_EQ_INT(I32(LOGS_TRACE_FLAGS, 1), 0x101);
    batch_free(&B);
}

TEST(body_every_kind)
{
    batch_start();
    static const uint8_t raw[] = {0x00, 0xff, 0x10, 0x80};
    buf_t req = one_request(
        resource(0), av_empty(), 22,
        body_rec(av_str("plain")), body_rec(av_str("")), body_rec(av_bool(1)), body_rec(av_bool(0)),
        body_rec(av_int(-5)), body_rec(av_int(INT64_MIN)), body_rec(av_dbl(0.1)),
        body_rec(av_dbl(1e300)), body_rec(av_dbl(-0.0)), body_rec(av_dbl(NAN)),
        body_rec(av_dbl(INFINITY)), body_rec(av_dbl(-INFINITY)), body_rec(av_bytes(raw, 4)),
        body_rec(av_bytes(raw, 0)), body_rec(av_empty()),
        body_rec(av_arr(5, av_int(1), av_str("a"), av_bool(1), av_empty(),
                        av_arr(2, av_dbl(2.5), av_kvl(1, kv("k", av_str("v")))))),
        body_rec(av_kvl(6, kv("msg", av_str("line1\nline2 \"q\" \\ \x01\x1f\t")), kv("n", av_int(-7)),
                        kv("d", av_dbl(1e300)), kv("nan", av_dbl(NAN)),
                        kv("b", av_bytes("\x01\x02\x03\x04", 4)), kv("inf", av_dbl(-INFINITY)))),
        body_rec(av_arr(0)), body_rec(av_kvl(0)),
        body_rec(av_str("h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89")),
        body_rec(av_kvl(2, kv("\xc3\xa9t\xc3\xa9", av_str("\xf0\x9f\x8e\x89")), kv("", av_empty()))),
        body_rec(av_arr(3, av_dbl(-0.0), av_dbl(1e-7), av_int(INT64_MAX))));
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(B.nrows, 22);
    CHECK(batch_consistent());
    CHECK_S(LOGS_BODY, 0, "plain");
    CHECK_S(LOGS_BODY, 1, ""); /* an empty string is a value, not null */
    CHECK_S(LOGS_BODY, 2, "true");
    CHECK_S(LOGS_BODY, 3, "false");
    CHECK_S(LOGS_BODY, 4, "-5");
    CHECK_S(LOGS_BODY, 5, "-9223372036854775808");
    CHECK_S(LOGS_BODY, 6, "0.1");
    CHECK_S(LOGS_BODY, 7, "1e+300");
    CHECK_S(LOGS_BODY, 8, "-0");
    CHECK_S(LOGS_BODY, 9, "NaN");
    CHECK_S(LOGS_BODY, 10, "Infinity");
    CHECK_S(LOGS_BODY, 11, "-Infinity");
    CHECK_S(LOGS_BODY, 12, "AP8QgA==");
    CHECK_S(LOGS_BODY, 13, "");
    CHECK_S(LOGS_BODY, 14, NULL); /* an empty AnyValue: null */
    CHECK_S(LOGS_BODY, 15, "[1,\"a\",true,null,[2.5,{\"k\":\"v\"}]]");
    CHECK_S(LOGS_BODY, 16,
            "{\"msg\":\"line1\\nline2 \\\"q\\\" \\\\ \\u0001\\u001f\\t\",\"n\":-7,\"d\":1e+300,"
            "\"nan\":\"NaN\",\"b\":\"AQIDBA==\",\"inf\":\"-Infinity\"}");
    CHECK_S(LOGS_BODY, 17, "[]");
    CHECK_S(LOGS_BODY, 18, "{}");
    CHECK_S(LOGS_BODY, 19, "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89");
    CHECK_S(LOGS_BODY, 20, "{\"\xc3\xa9t\xc3\xa9\":\"\xf0\x9f\x8e\x89\",\"\":null}");
    CHECK_S(LOGS_BODY, 21, "[-0,1e-07,9223372036854775807]");
    batch_free(&B);
}

TEST(attribute_every_kind)
{
    batch_start();
    buf_t rec = {0};
    w_msg(&rec, 6, kv("s", av_str("v")));
    w_msg(&rec, 6, kv("e", av_str("")));
    w_msg(&rec, 6, kv("b", av_bool(0)));
    w_msg(&rec, 6, kv("i", av_int(1234567890123)));
    w_msg(&rec, 6, kv("d", av_dbl(0.30000000000000004)));
    w_msg(&rec, 6, kv("d2", av_dbl(100.0)));
    w_msg(&rec, 6, kv("x", av_bytes("ab", 2)));
    w_msg(&rec, 6, kv("a", av_arr(2, av_str("x"), av_arr(1, av_int(2)))));
    w_msg(&rec, 6, kv("m", av_kvl(1, kv("in", av_kvl(1, kv("deep", av_bool(1)))))));
    w_msg(&rec, 6, kv("null", av_empty()));
    buf_t novalue = {0};
    w_str(&novalue, 1, "novalue"); /* a KeyValue without its value field */
    w_msg(&rec, 6, novalue);
    w_msg(&rec, 6, kv("", av_str("emptykey")));
    w_msg(&rec, 6, kv("u", av_str("\xe2\x82\xac")));
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 1, rec)), 0);
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0),
                 "s=v|e=|b=false|i=1234567890123|d=0.30000000000000004|d2=100|x=YWI=|"
                 "a=[\"x\",[2]]|m={\"in\":{\"deep\":true}}|null=<null>|novalue=<null>|=emptykey|"
                 "u=\xe2\x82\xac");
    batch_free(&B);
}

TEST(service_name)
{
    batch_start();
    buf_t req = {0}, rl1 = {0}, rl2 = {0}, rl3 = {0}, rl4 = {0};
    buf_t sl1 = {0}, sl2 = {0}, sl3 = {0}, sl4 = {0};
    w_msg(&sl1, 2, av_empty());
    w_msg(&sl2, 2, av_empty());
    w_msg(&sl3, 2, av_empty());
    w_msg(&sl4, 2, av_empty());
    w_msg(&rl1, 1, resource(1, kv("host.name", av_str("h"))));
    w_msg(&rl1, 2, sl1);
    w_msg(&rl2, 1, resource(2, kv("service.name", av_int(42)), kv("a", av_str("b"))));
    w_msg(&rl2, 2, sl2);
    w_msg(&rl3, 1, resource(1, kv("service.name", av_empty())));
    w_msg(&rl3, 2, sl3);
    w_msg(&rl4, 2, sl4); /* no resource at all */
    w_msg(&req, 1, rl1);
    w_msg(&req, 1, rl2);
    w_msg(&req, 1, rl3);
    w_msg(&req, 1, rl4);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(B.nrows, 4);
    CHECK_S(LOGS_SERVICE_NAME, 0, "unknown_service");
    CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, 0), "host.name=h");
    CHECK_S(LOGS_SERVICE_NAME, 1, "42"); /* the text of whatever kind it is */
    CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, 1), "service.name=42|a=b");
    CHECK_S(LOGS_SERVICE_NAME, 2, "unknown_service"); /* no value is no name */
    CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, 2), "service.name=<null>");
    CHECK_S(LOGS_SERVICE_NAME, 3, "unknown_service");
    CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, 3), "");
    batch_free(&B);
}

TEST(duplicate_keys_last_wins)
{
    batch_start();
    buf_t rec = {0};
    w_msg(&rec, 6, kv("a", av_int(1)));
    w_msg(&rec, 6, kv("b", av_int(2)));
    w_msg(&rec, 6, kv("a", av_int(3)));
    w_msg(&rec, 6, kv("b", av_empty()));
    /* many attributes take the sorting path of the duplicate removal */
    buf_t big = {0};
    char k[16];
    for (int i = 0; i < 40; i++) {
        snprintf(k, sizeof k, "k%02d", i % 25);
        w_msg(&big, 6, kv(k, av_int(i)));
    }
    buf_t res = resource(3, kv("service.name", av_str("old")), kv("x", av_str("1")),
                         kv("service.name", av_str("new")));
    CHECK_EQ_INT(decode(one_request(res, av_empty(), 2, rec, big)), 0);
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "a=3|b=<null>");
    CHECK_S(LOGS_SERVICE_NAME, 0, "new");
    CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, 0), "service.name=new|x=1");
    char want[1024];
    size_t o = 0;
    for (int i = 0; i < 25; i++)
        o += (size_t)snprintf(want + o, sizeof want - o, "%sk%02d=%d", i ? "|" : "", i,
                              i < 15 ? i + 25 : i);
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 1), want);
    batch_free(&B);
}

TEST(duplicate_keys_fast_paths)
{
    /* string values (the inline KeyValue path) and keys whose fingerprints agree (same length,
     * same first and last 8 bytes) but that differ in the middle */
    batch_start();
    buf_t rec = {0};
    w_msg(&rec, 6, kv("http.request.x.method", av_str("1")));
    w_msg(&rec, 6, kv("http.request.y.method", av_str("2")));
    w_msg(&rec, 6, kv("abc", av_str("3")));
    w_msg(&rec, 6, kv("http.request.x.method", av_str("4")));
    w_msg(&rec, 6, kv("abd", av_str("5")));
    w_msg(&rec, 6, kv("abc", av_str("")));
    buf_t nodup = {0};
    w_msg(&nodup, 6, kv("k1234567", av_str("a")));
    w_msg(&nodup, 6, kv("k1234568", av_str("b")));
    w_msg(&nodup, 6, kv("", av_str("empty key")));
    w_msg(&nodup, 6, kv("k", av_strn("v\0w", 3)));
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 2, rec, nodup)), 0);
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "http.request.x.method=4|http.request.y.method=2|abc=|abd=5");
    CHECK_EQ_INT(B.cols[LOGS_LOG_ATTRS_KEY].nvals, 8);
    batch_free(&B);
}

TEST(out_of_order_fields)
{
    batch_start();
    /* the record's fields backwards, the records before the scope, the scope logs before the
     * resource, schema urls first */
    buf_t rec = {0};
    w_str(&rec, 12, "ev");
    w_f64(&rec, 11, 5000);
    w_bytes(&rec, 10, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    w_msg(&rec, 6, kv("k", av_str("v")));
    w_msg(&rec, 5, av_str("first body"));
    w_str(&rec, 3, "WARN");
    w_uv(&rec, 2, 13);
    w_f64(&rec, 1, 7000);
    w_msg(&rec, 5, av_str("last body wins"));
    buf_t scope = {0};
    w_msg(&scope, 3, kv("sa", av_int(1)));
    w_str(&scope, 2, "v9");
    w_str(&scope, 1, "scope-name");
    buf_t sl = {0}, rl = {0}, req = {0};
    w_str(&sl, 3, "scope-url");
    w_msg(&sl, 2, rec);
    w_msg(&sl, 2, av_empty());
    w_msg(&sl, 1, scope);
    w_str(&rl, 3, "res-url");
    w_msg(&rl, 2, sl);
    w_msg(&rl, 1, resource(1, kv("service.name", av_str("late"))));
    w_msg(&req, 1, rl);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(B.nrows, 2);
    for (uint32_t r = 0; r < 2; r++) {
        CHECK_S(LOGS_SERVICE_NAME, r, "late");
        CHECK_S(LOGS_RESOURCE_SCHEMA_URL, r, "res-url");
        CHECK_S(LOGS_SCOPE_NAME, r, "scope-name");
        CHECK_S(LOGS_SCOPE_VERSION, r, "v9");
        CHECK_S(LOGS_SCOPE_SCHEMA_URL, r, "scope-url");
        CHECK_EQ_STR(M(LOGS_SCOPE_ATTRS_KEY, r), "sa=1");
        CHECK_EQ_STR(M(LOGS_RESOURCE_ATTRS_KEY, r), "service.name=late");
    }
    CHECK_S(LOGS_EVENT_NAME, 0, "ev");
    CHECK_EQ_INT(I64(LOGS_TIMESTAMP, 0), 7);
    CHECK_EQ_INT(I64(LOGS_OBSERVED_TIMESTAMP, 0), 5);
    CHECK_S(LOGS_SPAN_ID, 0, "0102030405060708");
    CHECK_S(LOGS_SEVERITY_TEXT, 0, "WARN");
    CHECK_EQ_INT(I32(LOGS_SEVERITY_NUMBER, 0), 13);
    CHECK_S(LOGS_BODY, 0, "last body wins");
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "k=v");
    CHECK_S(LOGS_BODY, 1, NULL);
    batch_free(&B);
}

TEST(several_resources_and_scopes)
{
    batch_start();
    buf_t req = {0};
    for (int ri = 0; ri < 2; ri++) {
        buf_t rl = {0};
        char name[32];
        snprintf(name, sizeof name, "svc%d", ri);
        w_msg(&rl, 1, resource(1, kv("service.name", av_str(name))));
        for (int si = 0; si < 2; si++) {
            buf_t sl = {0}, scope = {0};
            snprintf(name, sizeof name, "scope%d.%d", ri, si);
            w_str(&scope, 1, name);
            w_msg(&sl, 1, scope);
            for (int k = 0; k < 3; k++) {
                buf_t rec = {0};
                w_f64(&rec, 1, (uint64_t)(ri * 100 + si * 10 + k + 1) * 1000);
                if (si == 1)
                    w_msg(&rec, 6, kv("k", av_int(k)));
                w_msg(&sl, 2, rec);
            }
            w_msg(&rl, 2, sl);
        }
        w_msg(&req, 1, rl);
    }
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(B.nrows, 12);
    CHECK_EQ_INT(CTX.rows_added, 12);
    CHECK(batch_consistent());
    for (uint32_t r = 0; r < 12; r++) {
        int ri = (int)r / 6, si = (int)(r / 3) % 2, k = (int)r % 3;
        char want[32];
        snprintf(want, sizeof want, "svc%d", ri);
        CHECK_S(LOGS_SERVICE_NAME, r, want);
        snprintf(want, sizeof want, "scope%d.%d", ri, si);
        CHECK_S(LOGS_SCOPE_NAME, r, want);
        CHECK_EQ_INT(I64(LOGS_TIMESTAMP, r), ri * 100 + si * 10 + k + 1);
        snprintf(want, sizeof want, "k=%d", k);
        CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, r), si == 1 ? want : "");
    }
    batch_free(&B);
}

TEST(unknown_fields_skipped)
{
    batch_start();
    buf_t av = av_str("body");
    w_unknowns(&av, 20);
    buf_t kvm = {0};
    w_unknowns(&kvm, 20);
    w_str(&kvm, 1, "k");
    w_msg(&kvm, 2, av_int(5));
    buf_t rec = {0};
    w_unknowns(&rec, 20);
    w_msg(&rec, 5, av);
    w_msg(&rec, 6, kvm);
    w_unknowns(&rec, 40);
    buf_t res = resource(1, kv("service.name", av_str("s")));
    w_unknowns(&res, 20);
    buf_t scope = {0};
    w_unknowns(&scope, 20);
    w_str(&scope, 1, "sc");
    buf_t sl = {0}, rl = {0}, req = {0};
    w_unknowns(&sl, 20);
    w_msg(&sl, 1, scope);
    w_msg(&sl, 2, rec);
    w_msg(&rl, 1, res);
    w_unknowns(&rl, 1000); /* e.g. the old instrumentation_library_logs = 1000 */
    w_msg(&rl, 2, sl);
    w_unknowns(&req, 2);
    w_msg(&req, 1, rl);
    w_unknowns(&req, 2);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(B.nrows, 1);
    CHECK_S(LOGS_BODY, 0, "body");
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "k=5");
    CHECK_S(LOGS_SERVICE_NAME, 0, "s");
    CHECK_S(LOGS_SCOPE_NAME, 0, "sc");
    batch_free(&B);
}

TEST(profiles_only_fields)
{
    batch_start();
    /* string_value_strindex (AnyValue 8) reads as empty; key_strindex (KeyValue 3) is ignored */
    buf_t av = {0};
    w_uv(&av, 8, 3);
    buf_t kvm = {0};
    w_str(&kvm, 1, "k");
    w_uv(&kvm, 3, 9);
    w_msg(&kvm, 2, av_str("v"));
    buf_t rec = {0};
    w_msg(&rec, 5, av);
    w_msg(&rec, 6, kvm);
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 1, rec)), 0);
    CHECK_S(LOGS_BODY, 0, NULL);
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "k=v");
    batch_free(&B);
}

TEST(nesting_limit_exact)
{
    /* OTLP_MAX_DEPTH nested arrays decode; one more is an error */
    for (int extra = 0; extra <= 1; extra++) {
        batch_start();
        buf_t v = av_int(1);
        for (int i = 0; i < OTLP_MAX_DEPTH + extra; i++)
            v = av_arr(1, v);
        int rc = decode(one_request(resource(0), av_empty(), 1, body_rec(v)));
        if (extra == 0) {
            CHECK_EQ_INT(rc, 0);
            char want[2 * OTLP_MAX_DEPTH + 2];
            for (int i = 0; i < OTLP_MAX_DEPTH; i++) {
                want[i] = '[';
                want[OTLP_MAX_DEPTH + 1 + i] = ']';
            }
            want[OTLP_MAX_DEPTH] = '1';
            want[2 * OTLP_MAX_DEPTH + 1] = 0;
            CHECK_S(LOGS_BODY, 0, want);
        } else {
            CHECK_EQ_INT(rc, -1);
            CHECK_EQ_INT(ERR.code, ERR_INVALID);
            CHECK(strstr(ERR.msg, "nested deeper than 64") != NULL);
        }
        batch_free(&B);
    }
}

/* ---------------- decoder: errors ---------------- */

static int decode_err(buf_t req)
{
    batch_start();
    int rc = decode(req);
    batch_free(&B);
    return rc;
}

#define CHECK_ERR(req, want_msg)                                                             \
    do {                                                                                     \
        CHECK_EQ_INT(decode_err(req), -1);                                                   \
        CHECK_EQ_INT(ERR.code, ERR_INVALID);                                                 \
        CHECK_EQ_STR(ERR.msg, want_msg);                                                     \
    } while (0)

TEST(error_trace_id_length_names_path)
{
    buf_t req = {0}, rl = {0}, sl0 = {0}, sl1 = {0};
    w_msg(&sl0, 2, av_empty());
    for (int k = 0; k < 8; k++) {
        buf_t rec = {0};
        w_bytes(&rec, 9, "0123456789abcdef", k == 7 ? 15 : 16);
        w_msg(&sl1, 2, rec);
    }
    w_msg(&rl, 2, sl0);
    w_msg(&rl, 2, sl1);
    w_msg(&req, 1, rl);
    CHECK_ERR(req, "resourceLogs[0].scopeLogs[1].logRecords[7].traceId: 15 bytes, want 16");
    buf_t rec = {0};
    w_bytes(&rec, 10, "0123456", 7);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].spanId: 7 bytes, want 8");
}

TEST(error_wrong_wire_type)
{
    buf_t rec = {0};
    w_uv(&rec, 1, 5);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: wire type 0 (varint), "
              "want 1 (fixed64)");
    rec = (buf_t){0};
    w_f64(&rec, 8, 1);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].flags: wire type 1 (fixed64), want 5 "
              "(fixed32)");
    rec = (buf_t){0};
    w_uv(&rec, 6, 1);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0]: wire type 0 (varint), "
              "want 2 (length-delimited)");
    /* deep inside an attribute value */
    buf_t bad = {0};
    w_str(&bad, 3, "not a varint");
    rec = (buf_t){0};
    w_msg(&rec, 6, kv("ok", av_int(1)));
    w_msg(&rec, 6, kv("k", av_kvl(2, kv("a", av_int(1)), kv("b", av_arr(2, av_int(1), bad)))));
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[1].value.kvlistValue."
              "values[1].value.arrayValue.values[1].intValue: wire type 2 (length-delimited), "
              "want 0 (varint)");
    buf_t req = {0};
    w_uv(&req, 1, 3);
    CHECK_ERR(req, "resourceLogs[0]: wire type 0 (varint), want 2 (length-delimited)");
    buf_t res = {0};
    w_f32(&res, 1, 0);
    CHECK_ERR(one_request(res, av_empty(), 0),
              "resourceLogs[0].resource.attributes[0]: wire type 5 (fixed32), want 2 "
              "(length-delimited)");
    buf_t scope = {0};
    w_uv(&scope, 2, 0);
    CHECK_ERR(one_request(resource(0), scope, 0),
              "resourceLogs[0].scopeLogs[0].scope.version: wire type 0 (varint), want 2 "
              "(length-delimited)");
}

TEST(error_truncated_every_cut)
{
    buf_t rec = {0};
    w_f64(&rec, 1, 1);
    w_str(&rec, 3, "INFO");
    w_msg(&rec, 5, av_kvl(1, kv("k", av_arr(1, av_dbl(1.5)))));
    w_msg(&rec, 6, kv("a", av_str("b")));
    buf_t req = one_request(resource(1, kv("service.name", av_str("s"))), av_empty(), 1, rec);
    /* one ResourceLogs: every cut short of the end leaves it incomplete */
    for (size_t cut = 1; cut < req.len; cut++) {
        batch_start();
        int rc = otlp_logs_decode_pb(req.data, cut, &B, &CTX, &ERR);
        batch_free(&B);
        if (rc != -1 || ERR.code != ERR_INVALID || ERR.msg[0] == 0) {
            printf("    cut at %zu: rc %d msg %s\n", cut, rc, ERR.msg);
            buf_free(&req);
            CHECK(0);
        }
    }
    batch_start();
    int rc = otlp_logs_decode_pb(req.data, req.len - 1, &B, &CTX, &ERR);
    batch_free(&B);
    CHECK_EQ_INT(rc, -1);
    CHECK(strstr(ERR.msg, "runs past the end") != NULL);
    buf_free(&req);
    /* truncated inside a record's fixed64 */
    buf_t raw = {0};
    w_tag(&raw, 1, PB_I64);
    w_raw(&raw, "\x01\x02\x03", 3);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, raw),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 1: truncated message");
}

TEST(error_varints)
{
    buf_t rec = {0};
    w_tag(&rec, 2, PB_VARINT);
    w_raw(&rec, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11); /* 11 bytes */
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 2: varint longer than 10 bytes");
    rec = (buf_t){0};
    w_tag(&rec, 2, PB_VARINT);
    w_raw(&rec, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10); /* bit 64 set */
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 2: varint overflows 64 bits");
    rec = (buf_t){0};
    w_tag(&rec, 2, PB_VARINT);
    w_raw(&rec, "\xff\xff", 2); /* ends inside the varint */
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 2: truncated message");
    rec = (buf_t){0};
    w_raw(&rec, "\x00\x01", 2); /* field number 0 */
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: invalid field number 0");
    rec = (buf_t){0};
    w_varint(&rec, (uint64_t)1 << 35 | PB_VARINT); /* tag past 32 bits */
    w_varint(&rec, 0);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: invalid tag (field number too large)");
}

TEST(error_length_past_end)
{
    buf_t rec = {0};
    w_tag(&rec, 3, PB_LEN);
    w_varint(&rec, 100);
    w_raw(&rec, "abc", 3);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 3: length 100 runs past the end "
              "of the message (3 bytes left)");
    buf_t req = {0};
    w_tag(&req, 1, PB_LEN);
    w_varint(&req, UINT64_MAX);
    CHECK_ERR(req, "field 1: length 18446744073709551615 runs past the end of the message "
                   "(0 bytes left)");
}

TEST(error_wire_types_3_4_6_7)
{
    for (int wt = 6; wt <= 7; wt++) {
        buf_t rec = {0};
        w_tag(&rec, 30, wt);
        w_raw(&rec, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
        CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
                  "resourceLogs[0].scopeLogs[0].logRecords[0]: field 30: invalid wire type");
    }
    buf_t rec = {0};
    w_tag(&rec, 30, PB_EGROUP); /* end-group without start */
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 30: end-group without a "
              "matching start-group");
    rec = (buf_t){0};
    w_tag(&rec, 30, PB_SGROUP); /* start-group never ended */
    w_uv(&rec, 1, 1);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 30: truncated message");
    rec = (buf_t){0};
    w_tag(&rec, 30, PB_SGROUP); /* ended by the wrong field number */
    w_tag(&rec, 31, PB_EGROUP);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 31: end-group without a "
              "matching start-group");
    rec = (buf_t){0};
    w_tag(&rec, 5, PB_SGROUP); /* a known field sent as a group: wrong wire type */
    w_tag(&rec, 5, PB_EGROUP);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].body: wire type 3 (start-group), want "
              "2 (length-delimited)");
    /* groups nested past the bound */
    rec = (buf_t){0};
    for (int i = 0; i < PB_MAX_GROUP_DEPTH + 1; i++)
        w_tag(&rec, 30, PB_SGROUP);
    for (int i = 0; i < PB_MAX_GROUP_DEPTH + 1; i++)
        w_tag(&rec, 30, PB_EGROUP);
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0]: field 30: groups nested deeper than 32");
}

TEST(error_deep_kvlist_1000)
{
    buf_t v = av_str("leaf");
    for (int i = 0; i < 1000; i++)
        v = av_kvl(1, kv("k", v));
    buf_t req = one_request(resource(0), av_empty(), 1, body_rec(v));
    CHECK_EQ_INT(decode_err(req), -1);
    CHECK_EQ_INT(ERR.code, ERR_INVALID);
    const char *head = "resourceLogs[0].scopeLogs[0].logRecords[0].body.kvlistValue.values[0].value.";
    CHECK(strncmp(ERR.msg, head, strlen(head)) == 0);
    CHECK(strstr(ERR.msg, "more)") != NULL); /* the middle of the path is elided */
    const char *tail = ".kvlistValue: arrays and kvlists nested deeper than 64 levels";
    size_t ml = strlen(ERR.msg), tl = strlen(tail);
    CHECK(ml > tl && strcmp(ERR.msg + ml - tl, tail) == 0);
    /* the same as an attribute value and as a nested array */
    v = av_int(1);
    for (int i = 0; i < 1000; i++)
        v = av_arr(1, v);
    buf_t rec = {0};
    w_msg(&rec, 6, kv("deep", v));
    CHECK_EQ_INT(decode_err(one_request(resource(0), av_empty(), 1, rec)), -1);
    CHECK(strstr(ERR.msg, "logRecords[0].attributes[0].value.arrayValue.values[0]") != NULL);
    CHECK(strstr(ERR.msg, "nested deeper than 64 levels") != NULL);
}

TEST(error_invalid_utf8)
{
    buf_t rec = {0};
    w_str(&rec, 3, "ok\xc3\x28");
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].severityText: invalid UTF-8 at byte 2");
    rec = (buf_t){0};
    w_msg(&rec, 6, kv("a", av_int(1)));
    w_msg(&rec, 6, kv("b\xff", av_int(1)));
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[1].key: invalid UTF-8 at "
              "byte 1");
    rec = (buf_t){0};
    w_msg(&rec, 6, kv("a", av_arr(2, av_str("fine"), av_strn("\xed\xa0\x80", 3)))); /* surrogate */
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0].value.arrayValue."
              "values[1].stringValue: invalid UTF-8 at byte 0");
    rec = (buf_t){0};
    w_msg(&rec, 5, av_strn("\xc0\xaf", 2)); /* overlong '/' */
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].body.stringValue: invalid UTF-8 at byte 0");
    rec = (buf_t){0};
    w_str(&rec, 12, "\xf4\x90\x80\x80"); /* past U+10FFFF */
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].eventName: invalid UTF-8 at byte 0");
    buf_t scope = {0};
    w_str(&scope, 1, "lib\x80");
    CHECK_ERR(one_request(resource(0), scope, 0),
              "resourceLogs[0].scopeLogs[0].scope.name: invalid UTF-8 at byte 3");
    CHECK_ERR(one_request(resource(1, kv("service.name", av_str("s\xe2\x82"))), av_empty(), 0),
              "resourceLogs[0].resource.attributes[0].value.stringValue: invalid UTF-8 at byte 1");
    buf_t req = {0}, rl = {0};
    w_str(&rl, 3, "http://x\xfe");
    w_msg(&req, 1, rl);
    CHECK_ERR(req, "resourceLogs[0].schemaUrl: invalid UTF-8 at byte 8");
    /* the inline path of a KeyValue with a string value names the same places */
    rec = (buf_t){0};
    w_msg(&rec, 6, kv("a", av_str("x")));
    w_msg(&rec, 6, kv("k\xc3", av_str("v")));
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[1].key: invalid UTF-8 at byte 1");
    rec = (buf_t){0};
    w_msg(&rec, 6, kv("k", av_strn("ok\xed\xa0\x80", 5)));
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0].value.stringValue: invalid UTF-8 at "
              "byte 2");
    rec = (buf_t){0};
    w_msg(&rec, 6, kv("\xc3\xa9", av_strn("\xc3\xa9t\xc3\xa9", 5))); /* valid non-ASCII */
    batch_start();
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 1, rec)), 0);
    CHECK_EQ_STR(M(LOGS_LOG_ATTRS_KEY, 0), "\xc3\xa9=\xc3\xa9t\xc3\xa9");
    batch_free(&B);
    /* a key inside a nested kvlist */
    rec = (buf_t){0};
    w_msg(&rec, 5, av_kvl(1, kv("\xe0\x80\x80", av_int(1))));
    CHECK_ERR(one_request(resource(0), av_empty(), 1, rec),
              "resourceLogs[0].scopeLogs[0].logRecords[0].body.kvlistValue.values[0].key: "
              "invalid UTF-8 at byte 0");
    /* bytes fields are not text: anything goes */
    rec = (buf_t){0};
    w_msg(&rec, 5, av_bytes("\xff\xfe", 2));
    batch_start();
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 1, rec)), 0);
    CHECK_S(LOGS_BODY, 0, "//4=");
    batch_free(&B);
}

TEST(error_then_rollback)
{
    batch_start();
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 1, body_rec(av_str("keep")))), 0);
    batch_mark_t m;
    batch_mark(&B, &m);
    size_t bytes = batch_bytes(&B);
    /* two good records, then a bad one: the caller rolls the whole request back */
    buf_t bad = {0};
    w_bytes(&bad, 9, "short", 5);
    CHECK_EQ_INT(decode(one_request(resource(1, kv("a", av_str("b"))), av_empty(), 3,
                                    body_rec(av_str("x")), body_rec(av_int(1)), bad)),
                 -1);
    CHECK_EQ_INT(B.nrows, 3);
    batch_rollback(&B, &m);
    CHECK_EQ_INT(B.nrows, 1);
    CHECK_EQ_INT(batch_bytes(&B), bytes);
    CHECK(batch_consistent());
    CHECK_S(LOGS_BODY, 0, "keep");
    /* and the batch takes more rows afterwards */
    CHECK_EQ_INT(decode(one_request(resource(0), av_empty(), 1, body_rec(av_str("next")))), 0);
    CHECK_EQ_INT(B.nrows, 2);
    CHECK(batch_consistent());
    CHECK_S(LOGS_BODY, 1, "next");
    batch_free(&B);
}

TEST(error_amplification_capped)
{
    /* 200 resource attributes of 1 KiB over 1,400 empty records: a 210 KB request that would
     * repeat 280 MiB of resource columns. Refused before a row is appended. */
    static char val[1001];
    memset(val, 'v', 1000);
    buf_t res = {0};
    for (int i = 0; i < 200; i++) {
        char k[16];
        snprintf(k, sizeof k, "attr%d", i);
        w_msg(&res, 1, kv(k, av_str(val)));
    }
    buf_t sl = {0}, rl = {0}, req = {0};
    for (int i = 0; i < 1400; i++)
        w_msg(&sl, 2, av_empty());
    w_msg(&rl, 1, res);
    w_msg(&rl, 2, sl);
    w_msg(&req, 1, rl);
    CHECK(req.len < 300000);
    batch_start();
    CHECK_EQ_INT(decode(req), -1);
    CHECK_EQ_INT(ERR.code, ERR_TOO_LARGE);
    CHECK_EQ_STR(ERR.msg, "records repeating their resource and scope columns would take more "
                          "than 259 MiB");
    CHECK_EQ_INT(B.nrows, 0);
    batch_free(&B);
}

TEST(not_a_logs_batch)
{
    table_batch_t other;
    static table_schema_t fake = {.name = "fake"};
    batch_init(&other, &fake);
    otlp_decode_ctx_t ctx = {0};
    err_t err;
    CHECK_EQ_INT(otlp_logs_decode_pb((const uint8_t *)"", 0, &other, &ctx, &err), -1);
    CHECK_EQ_INT(err.code, ERR_INTERNAL);
}

/* ---------------- attrs ---------------- */

static bool same_buf(const buf_t *a, const buf_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

TEST(attrs_put_matches_col_map_put)
{
    /* attrs_put writes the levels of col_map_put itself: hold the two equal */
    static const char *keys[] = {"a", "b", "a", "c", "", "b", "a", "d", "e", "f", "g", "h",
                                 "i", "j", "k", "l", "m", "n", "a", "o", "p", "q", "r", "s"};
    size_t nkeys = sizeof keys / sizeof keys[0];
    init_tables();
    for (size_t n = 0; n <= nkeys; n++) {
        table_batch_t b1, b2;
        batch_init(&b1, &table_logs);
        batch_init(&b2, &table_logs);
        for (int rep = 0; rep < 2; rep++) {
            static const char *vals[] = {"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7",
                                         "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15",
                                         "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23"};
            kv_t kv1[32];
            buf_t msgs[32];
            attrs_t a;
            attrs_init(&a);
            for (size_t i = 0; i < n; i++) {
                bool null = i % 5 == 3;
                kv1[i] = (kv_t){keys[i], (uint32_t)strlen(keys[i]), null ? NULL : vals[i],
                                null ? 0 : (uint32_t)strlen(vals[i])};
                msgs[i] = (buf_t){0};
                w_str(&msgs[i], 1, keys[i]);
                if (!null)
                    w_msg(&msgs[i], 2, av_str(vals[i]));
                pb_path_t path = {0};
                err_t err;
                CHECK_EQ_INT(attrs_add(&a, msgs[i].data, msgs[i].len, &path, &err), 0);
            }
            CHECK_EQ_INT(col_map_put(&b1.cols[LOGS_LOG_ATTRS_KEY], &b1.cols[LOGS_LOG_ATTRS_VAL], 0,
                                     kv1, n),
                         0);
            CHECK_EQ_INT(attrs_finish(&a), 0);
            CHECK_EQ_INT(attrs_put(&a, &b2.cols[LOGS_LOG_ATTRS_KEY], &b2.cols[LOGS_LOG_ATTRS_VAL], 0), 0);
            attrs_free(&a);
            for (size_t i = 0; i < n; i++)
                buf_free(&msgs[i]);
        }
        for (int l = LOGS_LOG_ATTRS_KEY; l <= LOGS_LOG_ATTRS_VAL; l++) {
            const column_t *c1 = &b1.cols[l], *c2 = &b2.cols[l];
            CHECK(same_buf(&c1->def, &c2->def));
            CHECK(same_buf(&c1->rep, &c2->rep));
            CHECK(same_buf(&c1->vals, &c2->vals));
            CHECK(same_buf(&c1->offs, &c2->offs));
            CHECK_EQ_INT(c1->nlevels, c2->nlevels);
            CHECK_EQ_INT(c1->nvals, c2->nvals);
        }
        batch_free(&b1);
        batch_free(&b2);
    }
}

TEST(anyvalue_text_api)
{
    buf_t text = {0};
    pb_path_t path = {0};
    err_t err;
    av_text_t t;
    buf_t v = av_str("zero-copy");
    CHECK_EQ_INT(anyvalue_text(v.data, v.len, &text, &t, &path, &err), 0);
    CHECK_EQ_INT(t.kind, AV_STRING);
    CHECK(t.str == v.data + 2); /* points into the message */
    CHECK_EQ_INT(text.len, 0);
    buf_free(&v);
    v = av_int(-1);
    CHECK_EQ_INT(anyvalue_text(v.data, v.len, &text, &t, &path, &err), 0);
    CHECK_EQ_INT(t.kind, AV_INT);
    CHECK_EQ_MEM(text.data + t.off, t.len, "-1", 2);
    buf_free(&v);
    CHECK_EQ_INT(anyvalue_text((const uint8_t *)"", 0, &text, &t, &path, &err), 0);
    CHECK_EQ_INT(t.kind, AV_EMPTY);
    /* the last oneof member on the wire wins */
    v = av_str("first");
    w_uv(&v, 3, 7);
    CHECK_EQ_INT(anyvalue_text(v.data, v.len, &text, &t, &path, &err), 0);
    CHECK_EQ_INT(t.kind, AV_INT);
    CHECK_EQ_MEM(text.data + t.off, t.len, "7", 1);
    buf_free(&v);
    /* anyvalue_json of a scalar */
    text.len = 0;
    v = av_str("q\"");
    CHECK_EQ_INT(anyvalue_json(v.data, v.len, &text, 0, &path, &err), 0);
    CHECK_EQ_MEM(text.data, text.len, "\"q\\\"\"", 5);
    CHECK_EQ_INT(path.n, 0);
    buf_free(&v);
    buf_free(&text);
}

/* ---------------- util: hex, base64, utf8, json, numbers ---------------- */

TEST(hex_roundtrip)
{
    char out[8];
    hex_encode(out, "\x00\x9f\xff\x0a", 4);
    CHECK_EQ_MEM(out, 8, "009fff0a", 8);
    uint8_t back[4];
    CHECK_EQ_INT(hex_decode(back, "009FfF0a", 8), 0);
    CHECK_EQ_MEM(back, 4, "\x00\x9f\xff\x0a", 4);
    CHECK_EQ_INT(hex_decode(back, "0g", 2), -1);
    CHECK_EQ_INT(hex_decode(back, "abc", 3), -1);
    CHECK_EQ_INT(hex_decode(back, "", 0), 0);
}

TEST(base64_vectors)
{
    /* RFC 4648 §10 */
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        buf_t b = {0};
        CHECK_EQ_INT(buf_put_base64(&b, in[i], strlen(in[i])), 0);
        CHECK_EQ_MEM(b.len ? (const char *)b.data : "", b.len, want[i], strlen(want[i]));
        CHECK_EQ_INT(base64_encoded_len(strlen(in[i])), strlen(want[i]));
        uint8_t dec[16];
        size_t n = 99;
        CHECK_EQ_INT(base64_decode(dec, &n, want[i], strlen(want[i])), 0);
        CHECK_EQ_MEM(dec, n, in[i], strlen(in[i]));
        buf_free(&b);
    }
    uint8_t dec[16];
    size_t n;
    CHECK_EQ_INT(base64_decode(dec, &n, "Zm9vYg", 6), 0); /* unpadded */
    CHECK_EQ_MEM(dec, n, "foob", 4);
    CHECK_EQ_INT(base64_decode(dec, &n, "-_8", 3), 0); /* URL-safe */
    CHECK_EQ_MEM(dec, n, "\xfb\xff", 2);
    CHECK_EQ_INT(base64_decode(dec, &n, "+/8=", 4), 0);
    CHECK_EQ_MEM(dec, n, "\xfb\xff", 2);
    CHECK_EQ_INT(base64_decode(dec, &n, "+_8=", 4), -1); /* mixed alphabets */
    CHECK_EQ_INT(base64_decode(dec, &n, "Zg=", 3), -1);  /* short padding */
    CHECK_EQ_INT(base64_decode(dec, &n, "Z===", 4), -1);
    CHECK_EQ_INT(base64_decode(dec, &n, "Zm9vY", 5), -1); /* no encoder ends so */
    CHECK_EQ_INT(base64_decode(dec, &n, "Zm 9", 4), -1);
    CHECK_EQ_INT(base64_decode(dec, &n, "Zg==Zg==", 8), -1); /* padding in the middle */
    /* every byte value through encode and decode */
    uint8_t all[256], back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char enc[400];
    base64_encode(enc, all, 256);
    CHECK_EQ_INT(base64_decode(back, &n, enc, base64_encoded_len(256)), 0);
    CHECK_EQ_MEM(back, n, all, 256);
}

TEST(utf8_cases)
{
    static const struct {
        const char *s;
        size_t n, valid;
    } cases[] = {
        {"", 0, 0},
        {"plain ascii text!", 17, 17},
        {"\xc3\xa9", 2, 2},
        {"\xe2\x82\xac", 3, 3},
        {"\xf0\x9f\x8e\x89", 4, 4},
        {"\xf4\x8f\xbf\xbf", 4, 4},         /* U+10FFFF */
        {"\xef\xbf\xbf", 3, 3},             /* U+FFFF */
        {"\xee\x80\x80", 3, 3},             /* U+E000, just past the surrogates */
        {"\xed\x9f\xbf", 3, 3},             /* U+D7FF, just before them */
        {"ab\x80", 3, 2},                   /* lone continuation */
        {"\xc0\x80", 2, 0},                 /* overlong NUL */
        {"\xc1\xbf", 2, 0},                 /* overlong */
        {"\xe0\x80\x80", 3, 0},             /* overlong 3-byte */
        {"\xe0\x9f\xbf", 3, 0},             /* overlong 3-byte */
        {"\xf0\x8f\xbf\xbf", 4, 0},         /* overlong 4-byte */
        {"\xed\xa0\x80", 3, 0},             /* U+D800 */
        {"\xed\xbf\xbf", 3, 0},             /* U+DFFF */
        {"\xf4\x90\x80\x80", 4, 0},         /* U+110000 */
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xff", 1, 0},
        {"abcdefgh\xe2\x82", 10, 8},        /* truncated after the 8-byte fast path */
        {"abcdefghijklmnop\xc3\xa9q", 19, 19},
        {"x\xc3\x28", 3, 1},                /* bad continuation */
        {"\x00\x01\x7f", 3, 3},             /* NUL is valid UTF-8 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = utf8_valid_prefix(cases[i].s, cases[i].n);
        CHECK_EQ_INT(utf8_valid_prefix_fast(cases[i].s, cases[i].n), got);
        if (got != cases[i].valid) {
            printf("    case %zu: %zu, want %zu\n", i, got, cases[i].valid);
            CHECK(0);
        }
    }
    /* every code point encodes and decodes back; surrogates do not encode */
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t b[4];
        size_t n = utf8_encode(b, cp);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            CHECK_EQ_INT(n, 0);
            continue;
        }
        uint32_t back = 0;
        CHECK(n > 0 && utf8_decode(b, n, &back) == n && back == cp);
        CHECK(utf8_valid(b, n));
    }
    uint8_t b[4];
    CHECK_EQ_INT(utf8_encode(b, 0x110000), 0);
}

TEST(json_escaping)
{
    buf_t b = {0};
    CHECK_EQ_INT(json_put_string(&b, "a\"b\\c\n\r\t\b\f\x01\x1f\x7f/\xc3\xa9", 16), 0);
    const char *want = "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/\xc3\xa9\"";
    CHECK_EQ_MEM(b.data, b.len, want, strlen(want));
    b.len = 0;
    CHECK_EQ_INT(json_put_string(&b, "", 0), 0);
    CHECK_EQ_MEM(b.data, b.len, "\"\"", 2);
    b.len = 0;
    /* NUL inside a string */
    CHECK_EQ_INT(json_put_escaped(&b, "x\0y", 3), 0);
    CHECK_EQ_MEM(b.data, b.len, "x\\u0000y", 8);
    b.len = 0;
    /* invalid input never makes invalid output */
    CHECK_EQ_INT(json_put_escaped(&b, "a\xff\xed\xa0\x80z\xe2\x82", 8), 0);
    want = "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd";
    CHECK_EQ_MEM(b.data, b.len, want, strlen(want));
    CHECK(utf8_valid(b.data, b.len));
    buf_free(&b);
}

TEST(int_text)
{
    char out[FMT_INT_MAX];
    CHECK_EQ_INT(fmt_i64(out, 0), 1);
    CHECK_EQ_STR(out, "0");
    fmt_i64(out, INT64_MIN);
    CHECK_EQ_STR(out, "-9223372036854775808");
    fmt_i64(out, INT64_MAX);
    CHECK_EQ_STR(out, "9223372036854775807");
    fmt_i64(out, -42);
    CHECK_EQ_STR(out, "-42");
    fmt_u64(out, UINT64_MAX);
    CHECK_EQ_STR(out, "18446744073709551615");
}

TEST(double_text_cases)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.1, "0.1"},
        {1e300, "1e+300"},
        {-0.0, "-0"},
        {0.0, "0"},
        {1.0, "1"},
        {100.0, "100"},
        {-1.5, "-1.5"},
        {0.30000000000000004, "0.30000000000000004"},
        {1.0 / 3.0, "0.3333333333333333"},
        {123456.789, "123456.789"},
        {0.0001, "0.0001"},
        {0.00001, "1e-05"},
        {1.5e-7, "1.5e-07"},
        {1e15, "1000000000000000"},
        {1e16, "1e+16"},
        {9007199254740993.0, "9007199254740992"},
        {123456789012345680.0, "1.2345678901234568e+17"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {DBL_MIN, "2.2250738585072014e-308"},
        {5e-324, "5e-324"},
        {-4.9406564584124654e-324, "-5e-324"},
        {2.225073858507201e-308, "2.225073858507201e-308"}, /* largest subnormal */
        {1e22, "1e+22"},
        {1e21, "1e+21"},
        {12345678.9, "12345678.9"},
    };
    char out[FMT_DOUBLE_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fmt_double(out, cases[i].v);
        CHECK_EQ_STR(out, cases[i].want);
    }
    fmt_double(out, NAN);
    CHECK_EQ_STR(out, "NaN");
    fmt_double(out, -NAN);
    CHECK_EQ_STR(out, "NaN");
    fmt_double(out, INFINITY);
    CHECK_EQ_STR(out, "Infinity");
    fmt_double(out, -INFINITY);
    CHECK_EQ_STR(out, "-Infinity");
}

/* The significant digits (no trailing zeros) of the first "%.Ng", N = 1..17, that reads back:
 * the definition fmt_double must match. */
static void brute_digits(double v, char *digits)
{
    char tmp[64];
    for (int n = 1; n <= 17; n++) {
        snprintf(tmp, sizeof tmp, "%.*e", n - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    size_t o = 0;
    for (const char *p = tmp; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[o++] = *p;
    while (o > 1 && digits[o - 1] == '0')
        o--;
    digits[o] = 0;
}

/* The significant digits of fmt_double's text. */
static void text_digits(const char *s, char *digits)
{
    size_t o = 0;
    int lead = 1;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9' || (lead && *s == '0'))
            continue;
        lead = 0;
        digits[o++] = *s;
    }
    while (o > 1 && digits[o - 1] == '0')
        o--;
    if (o == 0)
        digits[o++] = '0';
    digits[o] = 0;
}

TEST(double_text_shortest_roundtrip)
{
    /* random bit patterns (all exponents, subnormals too), random short decimals, and values
     * next to powers of ten and to the 15/16/17-digit rounding boundaries */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char out[FMT_DOUBLE_MAX], tmp[64], want[32], got[32];
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        if (i % 3 == 0) {
            memcpy(&v, &x, 8);
        } else if (i % 3 == 1) {
            snprintf(tmp, sizeof tmp, "%.*e", (int)(x % 17), (double)(x >> 11) * 0x1p-53);
            v = strtod(tmp, NULL) * pow(10, (double)((int)((x >> 5) % 40) - 20));
        } else {
            v = pow(10, (double)((int)(x % 60) - 30));
            for (int k = (int)((x >> 8) % 5); k > 0; k--)
                v = (x >> 20) & 1 ? nextafter(v, INFINITY) : nextafter(v, 0);
        }
        if (!isfinite(v))
            continue;
        size_t n = fmt_double(out, v);
        CHECK(n < FMT_DOUBLE_MAX && strlen(out) == n);
        double back = strtod(out, NULL);
        brute_digits(fabs(v), want);
        text_digits(out, got);
        if (memcmp(&back, &v, 8) != 0 || strcmp(got, want) != 0) {
            printf("    %.17g -> %s (digits %s, want %s)\n", v, out, got, want);
            CHECK(0);
        }
    }
}

/* ---------------- the wire reader ---------------- */

TEST(pb_reader_varints)
{
    pb_reader_t r;
    uint64_t v;
    pb_reader_init(&r, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
    CHECK_EQ_INT(pb_varint(&r, &v), 0);
    CHECK(v == UINT64_MAX);
    CHECK(r.p == r.end);
    pb_reader_init(&r, "\x80\x80\x80\x00", 4); /* padded but not over-long: accepted */
    CHECK_EQ_INT(pb_varint(&r, &v), 0);
    CHECK(v == 0);
    pb_reader_init(&r, "\xac\x02", 2);
    CHECK_EQ_INT(pb_varint(&r, &v), 0);
    CHECK_EQ_INT(v, 300);
    pb_reader_init(&r, "\x80", 1);
    CHECK_EQ_INT(pb_varint(&r, &v), -1);
    CHECK_EQ_INT(r.err, PB_E_TRUNCATED);
    pb_reader_init(&r, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10);
    CHECK_EQ_INT(pb_varint(&r, &v), -1);
    CHECK_EQ_INT(r.err, PB_E_VARINT_OVERFLOW);
    pb_reader_init(&r, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
    CHECK_EQ_INT(pb_varint(&r, &v), -1);
    CHECK_EQ_INT(r.err, PB_E_VARINT_LONG);
    CHECK_EQ_INT(pb_int32((uint64_t)(int64_t)-3), -3);
    CHECK_EQ_INT(pb_int64(UINT64_MAX), -1);
}

TEST(pb_reader_fields)
{
    buf_t b = {0};
    w_uv(&b, 1, 150);
    w_f64(&b, 2, 0x0102030405060708ull);
    w_f32(&b, 3, 0xdeadbeef);
    w_str(&b, 4, "hi");
    w_unknowns(&b, 10);
    w_uv(&b, 536870911, 1); /* the largest field number */
    pb_reader_t r;
    pb_field_t f;
    pb_reader_init(&r, b.data, b.len);
    CHECK_EQ_INT(pb_next(&r, &f), 1);
    CHECK(f.num == 1 && f.wt == PB_VARINT && f.u == 150);
    CHECK_EQ_INT(pb_next(&r, &f), 1);
    CHECK(f.num == 2 && f.wt == PB_I64 && f.u == 0x0102030405060708ull);
    CHECK_EQ_INT(pb_next(&r, &f), 1);
    CHECK(f.num == 3 && f.wt == PB_I32 && f.u == 0xdeadbeef);
    CHECK_EQ_INT(pb_next(&r, &f), 1);
    CHECK(f.num == 4 && f.wt == PB_LEN && f.n == 2 && memcmp(f.p, "hi", 2) == 0);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(pb_next(&r, &f), 1);
    CHECK_EQ_INT(pb_next(&r, &f), 1); /* the group, skipped whole */
    CHECK(f.num == 14 && f.wt == PB_SGROUP);
    CHECK_EQ_INT(pb_next(&r, &f), 1);
    CHECK(f.num == 536870911 && f.u == 1);
    CHECK_EQ_INT(pb_next(&r, &f), 0);
    buf_free(&b);
    /* path formatting */
    pb_path_t path = {0};
    char out[256];
    CHECK_EQ_INT(pb_path_format(&path, out, sizeof out), 0);
    pb_path_push(&path, "resourceLogs", 3);
    pb_path_push(&path, "body", PB_NOIDX);
    pb_path_format(&path, out, sizeof out);
    CHECK_EQ_STR(out, "resourceLogs[3].body");
    pb_path_format(&path, out, 8);
    CHECK_EQ_STR(out, "resourc");
}

RUN_TESTS(T(full_record), T(empty_record_defaults), T(empty_bytes_into_fresh_buffers), T(empty_request_and_empty_containers),
          T(timestamps), T(severity_and_flags), T(body_every_kind), T(attribute_every_kind),
          T(service_name), T(duplicate_keys_last_wins), T(duplicate_keys_fast_paths), T(out_of_order_fields),
          T(several_resources_and_scopes), T(unknown_fields_skipped), T(profiles_only_fields),
          T(nesting_limit_exact), T(error_trace_id_length_names_path), T(error_wrong_wire_type),
          T(error_truncated_every_cut), T(error_varints), T(error_length_past_end),
          T(error_wire_types_3_4_6_7), T(error_deep_kvlist_1000), T(error_invalid_utf8),
          T(error_then_rollback), T(error_amplification_capped), T(not_a_logs_batch), T(attrs_put_matches_col_map_put),
          T(anyvalue_text_api), T(hex_roundtrip), T(base64_vectors), T(utf8_cases),
          T(json_escaping), T(int_text), T(double_text_cases), T(double_text_shortest_roundtrip),
          T(pb_reader_varints), T(pb_reader_fields))
