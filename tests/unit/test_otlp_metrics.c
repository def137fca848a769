/* OTLP metrics protobuf decoder: requests built with the small encoder of pb_encode.h are
 * decoded into the five metrics batches, whose columns (levels of exemplars, bucket counts,
 * bounds and quantiles included) are read back and compared value by value. */
#include <float.h>
#include <stdbool.h>

#include "batch_read.h"
#include "check.h"
#include "pb_encode.h"
#include "otlp/decode.h"
#include "table/tables.h"

static table_batch_t MB[MT_COUNT];
static table_batch_t *OUT[MT_COUNT];
static otlp_decode_ctx_t CTX;
static err_t ERR;
#define G (&MB[MT_GAUGE])
#define SM (&MB[MT_SUM])
#define H (&MB[MT_HISTOGRAM])
#define EH (&MB[MT_EXP_HISTOGRAM])
#define SU (&MB[MT_SUMMARY])

static void start(void)
{
    static bool done;
    if (!done && tables_init() != 0) {
        printf("tables_init failed\n");
        exit(1);
    }
    done = true;
    batch_init(G, &table_metrics_gauge);
    batch_init(SM, &table_metrics_sum);
    batch_init(H, &table_metrics_histogram);
    batch_init(EH, &table_metrics_exponential_histogram);
    batch_init(SU, &table_metrics_summary);
    for (int i = 0; i < MT_COUNT; i++)
        OUT[i] = &MB[i];
    memset(&CTX, 0, sizeof CTX);
    CTX.now_ns = 1700000000000000000LL;
    err_clear(&ERR);
}

static void finish(void)
{
    for (int i = 0; i < MT_COUNT; i++)
        batch_free(&MB[i]);
}

static bool all_ok(void)
{
    for (int i = 0; i < MT_COUNT; i++)
        if (!batch_ok(&MB[i]))
            return false;
    return true;
}

static uint32_t rows(void)
{
    uint32_t n = 0;
    for (int i = 0; i < MT_COUNT; i++)
        n += MB[i].nrows;
    return n;
}

/* decodes and frees req */
static int decode(buf_t req)
{
    int rc = otlp_metrics_decode_pb(req.data ? req.data : (const uint8_t *)"", req.len, OUT, &CTX, &ERR);
    buf_free(&req);
    return rc;
}

static const uint8_t TID[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t SID[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};

enum { F_GAUGE = 5, F_SUM = 7, F_HIST = 9, F_EXPHIST = 10, F_SUMMARY = 11 };

/* Metric { name, (description, unit,) data field = data } */
static buf_t metric(const char *name, uint32_t field, buf_t data)
{
    buf_t m = {0};
    w_str(&m, 1, name);
    w_msg(&m, field, data);
    return m;
}
/* a data message (Gauge, Sum, ...) holding n points */
static buf_t points(int n, ...)
{
    buf_t d = {0};
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        w_msg(&d, 1, va_arg(ap, buf_t));
    va_end(ap);
    return d;
}
static buf_t dbl_point(uint64_t time, double v)
{
    buf_t p = {0};
    w_f64(&p, 3, time);
    w_dbl(&p, 4, v);
    return p;
}
static buf_t one_metric(buf_t m) { return req1(resource(0), av_empty(), 1, m); }

/* ---------------- values ---------------- */

TEST(gauge_full)
{
    start();
    buf_t p0 = {0};
    w_msg(&p0, 7, kv("host", av_str("a")));
    w_msg(&p0, 7, kv("cpu", av_int(0)));
    w_f64(&p0, 2, 1000999);
    w_f64(&p0, 3, 2000999);
    w_dbl(&p0, 4, 1.5);
    w_uv(&p0, 8, 1);
    buf_t ex1 = {0}, ex2 = {0};
    w_msg(&ex1, 7, kv("user", av_str("u1")));
    w_f64(&ex1, 2, 1500000);
    w_dbl(&ex1, 3, 0.5);
    w_bytes(&ex1, 4, SID, 8);
    w_bytes(&ex1, 5, TID, 16);
    w_f64(&ex2, 6, (uint64_t)(int64_t)-7); /* as_int */
    w_msg(&p0, 5, ex1);
    w_msg(&p0, 5, ex2);
    w_msg(&p0, 5, av_empty()); /* an exemplar without a value: Value 0 */
    buf_t p1 = {0};
    w_f64(&p1, 3, 3000000);
    w_f64(&p1, 6, 42); /* as_int */
    w_uv(&p1, 8, 0xFFFFFFFFu);
    buf_t m = {0};
    w_str(&m, 1, "system.cpu.utilization");
    w_str(&m, 2, "CPU use");
    w_str(&m, 3, "1");
    w_msg(&m, F_GAUGE, points(2, p0, p1));
    buf_t scope = {0};
    w_str(&scope, 1, "otel.hostmetrics");
    w_str(&scope, 2, "0.9");
    w_msg(&scope, 3, kv("sk", av_bool(1)));
    buf_t sm = {0}, rm = {0}, req = {0};
    w_msg(&sm, 1, scope);
    w_msg(&sm, 2, m);
    w_str(&sm, 3, "scope-url");
    w_msg(&rm, 1, resource(2, kv("service.name", av_str("node")), kv("host.name", av_str("h1"))));
    w_msg(&rm, 2, sm);
    w_str(&rm, 3, "res-url");
    w_msg(&req, 1, rm);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(G->nrows, 2);
    CHECK_EQ_INT(rows(), 2);
    CHECK_EQ_INT(CTX.rows_added, 2);
    CHECK_EQ_INT(CTX.rejected, 0);
    CHECK(all_ok());
    for (uint32_t r = 0; r < 2; r++) {
        CHECK_EQ_STR(row_str(G, METRIC_SERVICE_NAME, r), "node");
        CHECK_EQ_STR(row_str(G, METRIC_NAME, r), "system.cpu.utilization");
        CHECK_EQ_STR(row_str(G, METRIC_DESCRIPTION, r), "CPU use");
        CHECK_EQ_STR(row_str(G, METRIC_UNIT, r), "1");
        CHECK_EQ_STR(row_map(G, METRIC_RESOURCE_ATTRS_KEY, r), "service.name=node|host.name=h1");
        CHECK_EQ_STR(row_str(G, METRIC_RESOURCE_SCHEMA_URL, r), "res-url");
        CHECK_EQ_STR(row_str(G, METRIC_SCOPE_NAME, r), "otel.hostmetrics");
        CHECK_EQ_STR(row_str(G, METRIC_SCOPE_VERSION, r), "0.9");
        CHECK_EQ_STR(row_map(G, METRIC_SCOPE_ATTRS_KEY, r), "sk=true");
        CHECK_EQ_STR(row_str(G, METRIC_SCOPE_SCHEMA_URL, r), "scope-url");
    }
    CHECK_EQ_INT(row_i64(G, METRIC_TIMESTAMP, 0), 2000);
    CHECK(row_present(G, METRIC_START_TIMESTAMP, 0));
    CHECK_EQ_INT(row_i64(G, METRIC_START_TIMESTAMP, 0), 1000);
    CHECK_EQ_STR(row_map(G, METRIC_ATTRS_KEY, 0), "host=a|cpu=0");
    CHECK_EQ_INT(row_i32(G, METRIC_FLAGS, 0), 1);
    CHECK(row_f64(G, GAUGE_VALUE, 0) == 1.5);
    CHECK_EQ_INT(row_i64(G, METRIC_TIMESTAMP, 1), 3000);
    CHECK(!row_present(G, METRIC_START_TIMESTAMP, 1)); /* start 0: null */
    CHECK_EQ_STR(levels(G, METRIC_START_TIMESTAMP), "0:1 0:0");
    CHECK_EQ_STR(row_map(G, METRIC_ATTRS_KEY, 1), "");
    CHECK_EQ_INT(row_i32(G, METRIC_FLAGS, 1), -1); /* uint32 bits into int32 */
    CHECK(row_f64(G, GAUGE_VALUE, 1) == 42.0);
    /* exemplars: three on the first point, none on the second */
    int e = GAUGE_EXEMPLARS;
    CHECK_EQ_STR(levels(G, e + EXEMPLAR_TIMESTAMP), "0:1 1:1 1:1 0:0");
    CHECK_EQ_STR(levels(G, e + EXEMPLAR_VALUE), "0:1 1:1 1:1 0:0");
    CHECK_EQ_STR(levels(G, e + EXEMPLAR_TRACE_ID), "0:1 1:1 1:1 0:0");
    CHECK_EQ_STR(levels(G, e + EXEMPLAR_SPAN_ID), "0:1 1:1 1:1 0:0");
    CHECK_EQ_STR(levels(G, e + EXEMPLAR_ATTRS_KEY), "0:2 1:1 1:1 0:0");
    CHECK_EQ_STR(levels(G, e + EXEMPLAR_ATTRS_VAL), "0:3 1:1 1:1 0:0");
    CHECK_EQ_STR(i64s(G, e + EXEMPLAR_TIMESTAMP), "1500,0,0");
    CHECK_EQ_STR(f64s(G, e + EXEMPLAR_VALUE), "0.5,-7,0");
    CHECK_EQ_STR(strs(G, e + EXEMPLAR_TRACE_ID), "0102030405060708090a0b0c0d0e0f10||");
    CHECK_EQ_STR(strs(G, e + EXEMPLAR_SPAN_ID), "a1a2a3a4a5a6a7a8||");
    CHECK_EQ_STR(row_list_map(G, e + EXEMPLAR_ATTRS_KEY, 0), "[user=u1][][]");
    CHECK_EQ_STR(row_list_map(G, e + EXEMPLAR_ATTRS_KEY, 1), "");
    finish();
}

TEST(sum_temporality_monotonic_and_merge)
{
    start();
    /* two occurrences of the sum field merge: the points concatenate, the last scalar wins */
    buf_t s1 = points(1, dbl_point(1000, 1));
    w_uv(&s1, 2, 1);
    w_uv(&s1, 3, 1);
    buf_t s2 = points(1, dbl_point(2000, 2));
    w_uv(&s2, 2, 2);
    buf_t m1 = {0};
    w_str(&m1, 1, "requests");
    w_msg(&m1, F_SUM, s1);
    w_msg(&m1, F_SUM, s2);
    buf_t m2 = metric("plain", F_SUM, points(1, dbl_point(3000, 3))); /* no temporality: 0 */
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 2, m1, m2)), 0);
    CHECK_EQ_INT(SM->nrows, 3);
    CHECK_EQ_INT(rows(), 3);
    CHECK(all_ok());
    CHECK_EQ_STR(f64s(SM, SUM_VALUE), "1,2,3");
    CHECK_EQ_INT(row_i32(SM, SUM_AGGREGATION_TEMPORALITY, 0), 2);
    CHECK_EQ_INT(row_i32(SM, SUM_AGGREGATION_TEMPORALITY, 1), 2);
    CHECK(row_bool(SM, SUM_IS_MONOTONIC, 0));
    CHECK(row_bool(SM, SUM_IS_MONOTONIC, 1));
    CHECK_EQ_INT(row_i32(SM, SUM_AGGREGATION_TEMPORALITY, 2), 0);
    CHECK(!row_bool(SM, SUM_IS_MONOTONIC, 2));
    CHECK_EQ_STR(row_str(SM, METRIC_NAME, 1), "requests");
    CHECK_EQ_STR(row_str(SM, METRIC_NAME, 2), "plain");
    CHECK_EQ_STR(row_str(SM, METRIC_SERVICE_NAME, 0), "unknown_service");
    CHECK_EQ_STR(levels(SM, SUM_EXEMPLARS + EXEMPLAR_VALUE), "0:0 0:0 0:0");
    finish();
}

TEST(histogram_full)
{
    start();
    static const uint64_t b1[] = {1, 2, 3, 4};
    static const double e1[] = {0, 5, 10};
    buf_t p0 = {0};
    w_f64(&p0, 2, 5000);
    w_f64(&p0, 3, 6000);
    w_f64(&p0, 4, 10);
    w_dbl(&p0, 5, 55.5);
    w_packed_f64(&p0, 6, b1, 4);
    w_packed_dbl(&p0, 7, e1, 3);
    w_uv(&p0, 10, 1);
    w_dbl(&p0, 11, -1);
    w_dbl(&p0, 12, 99);
    w_msg(&p0, 9, kv("route", av_str("/a")));
    buf_t ex = {0};
    w_dbl(&ex, 3, 4.5);
    w_f64(&ex, 2, 5500000);
    w_msg(&p0, 8, ex);
    /* unpacked and packed elements mixed, no sum/min/max: nulls */
    static const uint64_t b2[] = {8, 9};
    buf_t p1 = {0};
    w_f64(&p1, 3, 7000);
    w_f64(&p1, 6, 7);
    w_packed_f64(&p1, 6, b2, 2);
    w_dbl(&p1, 7, 2.5);
    w_f64(&p1, 4, 24);
    /* no buckets, no bounds: empty lists */
    buf_t p2 = {0};
    w_f64(&p2, 3, 8000);
    w_dbl(&p2, 5, 0);
    buf_t h = points(3, p0, p1, p2);
    w_uv(&h, 2, 1);
    CHECK_EQ_INT(decode(one_metric(metric("latency", F_HIST, h))), 0);
    CHECK_EQ_INT(H->nrows, 3);
    CHECK_EQ_INT(rows(), 3);
    CHECK(all_ok());
    CHECK_EQ_INT(row_i64(H, METRIC_TIMESTAMP, 0), 6);
    CHECK_EQ_INT(row_i64(H, METRIC_START_TIMESTAMP, 0), 5);
    CHECK_EQ_INT(row_i64(H, HIST_COUNT, 0), 10);
    CHECK(row_present(H, HIST_SUM, 0) && row_f64(H, HIST_SUM, 0) == 55.5);
    CHECK(row_present(H, HIST_MIN, 0) && row_f64(H, HIST_MIN, 0) == -1);
    CHECK(row_present(H, HIST_MAX, 0) && row_f64(H, HIST_MAX, 0) == 99);
    CHECK_EQ_INT(row_i32(H, HIST_AGGREGATION_TEMPORALITY, 0), 1);
    CHECK_EQ_INT(row_i32(H, METRIC_FLAGS, 0), 1);
    CHECK_EQ_STR(row_map(H, METRIC_ATTRS_KEY, 0), "route=/a");
    CHECK_EQ_STR(row_list(H, HIST_BUCKET_COUNTS, 0, 'i'), "1,2,3,4");
    CHECK_EQ_STR(row_list(H, HIST_EXPLICIT_BOUNDS, 0, 'd'), "0,5,10");
    CHECK_EQ_INT(row_i64(H, HIST_COUNT, 1), 24);
    CHECK(!row_present(H, HIST_SUM, 1));
    CHECK(!row_present(H, HIST_MIN, 1));
    CHECK(!row_present(H, HIST_MAX, 1));
    CHECK(!row_present(H, METRIC_START_TIMESTAMP, 1));
    CHECK_EQ_STR(row_list(H, HIST_BUCKET_COUNTS, 1, 'i'), "7,8,9");
    CHECK_EQ_STR(row_list(H, HIST_EXPLICIT_BOUNDS, 1, 'd'), "2.5");
    CHECK_EQ_INT(row_i32(H, HIST_AGGREGATION_TEMPORALITY, 1), 1);
    CHECK(row_present(H, HIST_SUM, 2) && row_f64(H, HIST_SUM, 2) == 0); /* present, even 0 */
    CHECK_EQ_INT(row_i64(H, HIST_COUNT, 2), 0);
    CHECK_EQ_STR(levels(H, HIST_BUCKET_COUNTS), "0:1 1:1 1:1 1:1 0:1 1:1 1:1 0:0");
    CHECK_EQ_STR(levels(H, HIST_EXPLICIT_BOUNDS), "0:1 1:1 1:1 0:1 0:0");
    CHECK_EQ_STR(levels(H, HIST_SUM), "0:1 0:0 0:1");
    CHECK_EQ_STR(levels(H, HIST_MIN), "0:1 0:0 0:0");
    int e = HIST_EXEMPLARS;
    CHECK_EQ_STR(levels(H, e + EXEMPLAR_VALUE), "0:1 0:0 0:0");
    CHECK_EQ_STR(f64s(H, e + EXEMPLAR_VALUE), "4.5");
    CHECK_EQ_STR(i64s(H, e + EXEMPLAR_TIMESTAMP), "5500");
    CHECK_EQ_STR(levels(H, e + EXEMPLAR_ATTRS_KEY), "0:1 0:0 0:0");
    finish();
}

TEST(exponential_histogram_full)
{
    start();
    static const uint64_t pos[] = {1, 0, 5};
    buf_t bp = {0}, bn = {0};
    w_sv(&bp, 1, -2);
    w_packed_varints(&bp, 2, pos, 3);
    w_sv(&bn, 1, 7);
    w_uv(&bn, 2, 3); /* unpacked */
    w_uv(&bn, 2, 4);
    buf_t p0 = {0};
    w_msg(&p0, 1, kv("k", av_str("v")));
    w_f64(&p0, 2, 1000);
    w_f64(&p0, 3, 2000);
    w_f64(&p0, 4, 12);
    w_dbl(&p0, 5, 3.25);
    w_sv(&p0, 6, -3);
    w_f64(&p0, 7, 2);
    w_msg(&p0, 8, bp);
    w_msg(&p0, 9, bn);
    w_uv(&p0, 10, 1);
    buf_t ex = {0};
    w_f64(&ex, 6, 3);
    w_msg(&p0, 11, ex);
    w_dbl(&p0, 12, 0.25);
    w_dbl(&p0, 13, 8);
    w_dbl(&p0, 14, 1e-9);
    /* the positive field twice: offsets, last wins; counts concatenate */
    static const uint64_t c2[] = {2, 3};
    buf_t q1 = {0}, q2 = {0};
    w_sv(&q1, 1, 1);
    w_uv(&q1, 2, 1);
    w_sv(&q2, 1, 4);
    w_packed_varints(&q2, 2, c2, 2);
    buf_t p2 = {0};
    w_f64(&p2, 3, 4000);
    w_msg(&p2, 8, q1);
    w_msg(&p2, 8, q2);
    w_sv(&p2, 6, INT32_MIN);
    buf_t p3 = {0};
    w_sv(&p3, 6, INT32_MAX);
    buf_t eh = points(4, p0, av_empty(), p2, p3);
    w_uv(&eh, 2, 2);
    CHECK_EQ_INT(decode(one_metric(metric("exp", F_EXPHIST, eh))), 0);
    CHECK_EQ_INT(EH->nrows, 4);
    CHECK_EQ_INT(rows(), 4);
    CHECK(all_ok());
    CHECK_EQ_INT(row_i64(EH, METRIC_TIMESTAMP, 0), 2);
    CHECK_EQ_INT(row_i64(EH, METRIC_START_TIMESTAMP, 0), 1);
    CHECK_EQ_STR(row_map(EH, METRIC_ATTRS_KEY, 0), "k=v");
    CHECK_EQ_INT(row_i64(EH, EXPHIST_COUNT, 0), 12);
    CHECK(row_present(EH, EXPHIST_SUM, 0) && row_f64(EH, EXPHIST_SUM, 0) == 3.25);
    CHECK_EQ_INT(row_i32(EH, EXPHIST_SCALE, 0), -3);
    CHECK_EQ_INT(row_i64(EH, EXPHIST_ZERO_COUNT, 0), 2);
    CHECK(row_f64(EH, EXPHIST_ZERO_THRESHOLD, 0) == 1e-9);
    CHECK_EQ_INT(row_i32(EH, EXPHIST_POSITIVE_OFFSET, 0), -2);
    CHECK_EQ_STR(row_list(EH, EXPHIST_POSITIVE_BUCKET_COUNTS, 0, 'i'), "1,0,5");
    CHECK_EQ_INT(row_i32(EH, EXPHIST_NEGATIVE_OFFSET, 0), 7);
    CHECK_EQ_STR(row_list(EH, EXPHIST_NEGATIVE_BUCKET_COUNTS, 0, 'i'), "3,4");
    CHECK(row_present(EH, EXPHIST_MIN, 0) && row_f64(EH, EXPHIST_MIN, 0) == 0.25);
    CHECK(row_present(EH, EXPHIST_MAX, 0) && row_f64(EH, EXPHIST_MAX, 0) == 8);
    CHECK_EQ_INT(row_i32(EH, EXPHIST_AGGREGATION_TEMPORALITY, 0), 2);
    CHECK_EQ_INT(row_i32(EH, METRIC_FLAGS, 0), 1);
    /* an empty point: zeros, nulls and empty lists */
    CHECK_EQ_INT(row_i64(EH, METRIC_TIMESTAMP, 1), 0);
    CHECK(!row_present(EH, METRIC_START_TIMESTAMP, 1));
    CHECK_EQ_INT(row_i64(EH, EXPHIST_COUNT, 1), 0);
    CHECK(!row_present(EH, EXPHIST_SUM, 1));
    CHECK_EQ_INT(row_i32(EH, EXPHIST_SCALE, 1), 0);
    CHECK_EQ_INT(row_i64(EH, EXPHIST_ZERO_COUNT, 1), 0);
    CHECK(row_f64(EH, EXPHIST_ZERO_THRESHOLD, 1) == 0);
    CHECK_EQ_INT(row_i32(EH, EXPHIST_POSITIVE_OFFSET, 1), 0);
    CHECK_EQ_INT(row_i32(EH, EXPHIST_NEGATIVE_OFFSET, 1), 0);
    CHECK(!row_present(EH, EXPHIST_MIN, 1));
    CHECK(!row_present(EH, EXPHIST_MAX, 1));
    CHECK_EQ_INT(row_i32(EH, EXPHIST_AGGREGATION_TEMPORALITY, 1), 2);
    CHECK_EQ_INT(row_i32(EH, EXPHIST_POSITIVE_OFFSET, 2), 4);
    CHECK_EQ_STR(row_list(EH, EXPHIST_POSITIVE_BUCKET_COUNTS, 2, 'i'), "1,2,3");
    CHECK_EQ_INT(row_i32(EH, EXPHIST_SCALE, 2), INT32_MIN);
    CHECK_EQ_INT(row_i32(EH, EXPHIST_SCALE, 3), INT32_MAX);
    CHECK_EQ_STR(levels(EH, EXPHIST_POSITIVE_BUCKET_COUNTS), "0:1 1:1 1:1 0:0 0:1 1:1 1:1 0:0");
    CHECK_EQ_STR(levels(EH, EXPHIST_NEGATIVE_BUCKET_COUNTS), "0:1 1:1 0:0 0:0 0:0");
    CHECK_EQ_STR(levels(EH, EXPHIST_EXEMPLARS + EXEMPLAR_VALUE), "0:1 0:0 0:0 0:0");
    CHECK_EQ_STR(f64s(EH, EXPHIST_EXEMPLARS + EXEMPLAR_VALUE), "3");
    finish();
}

TEST(summary_full)
{
    start();
    buf_t p0 = {0};
    w_f64(&p0, 2, 1000);
    w_f64(&p0, 3, 2000);
    w_f64(&p0, 4, 100);
    w_dbl(&p0, 5, 250.5);
    static const double qs[][2] = {{0, 1.5}, {0.5, 2.5}, {1, 9.75}};
    for (int i = 0; i < 3; i++) {
        buf_t q = {0};
        if (i == 1) { /* fields backwards */
            w_dbl(&q, 2, qs[i][1]);
            w_dbl(&q, 1, qs[i][0]);
        } else {
            w_dbl(&q, 1, qs[i][0]);
            w_dbl(&q, 2, qs[i][1]);
        }
        w_msg(&p0, 6, q);
    }
    w_msg(&p0, 7, kv("a", av_str("b")));
    w_uv(&p0, 8, 1);
    buf_t p1 = {0};
    w_f64(&p1, 3, 3000);
    w_msg(&p1, 6, av_empty()); /* an empty ValueAtQuantile: zeros */
    CHECK_EQ_INT(decode(one_metric(metric("rpc", F_SUMMARY, points(3, p0, p1, av_empty())))), 0);
    CHECK_EQ_INT(SU->nrows, 3);
    CHECK_EQ_INT(rows(), 3);
    CHECK(all_ok());
    CHECK_EQ_INT(row_i64(SU, METRIC_TIMESTAMP, 0), 2);
    CHECK_EQ_INT(row_i64(SU, METRIC_START_TIMESTAMP, 0), 1);
    CHECK_EQ_INT(row_i64(SU, SUMMARY_COUNT, 0), 100);
    CHECK(row_f64(SU, SUMMARY_SUM, 0) == 250.5);
    CHECK_EQ_STR(row_map(SU, METRIC_ATTRS_KEY, 0), "a=b");
    CHECK_EQ_INT(row_i32(SU, METRIC_FLAGS, 0), 1);
    CHECK_EQ_STR(row_list(SU, SUMMARY_QUANTILES_QUANTILE, 0, 'd'), "0,0.5,1");
    CHECK_EQ_STR(row_list(SU, SUMMARY_QUANTILES_VALUE, 0, 'd'), "1.5,2.5,9.75");
    CHECK_EQ_STR(row_list(SU, SUMMARY_QUANTILES_QUANTILE, 1, 'd'), "0");
    CHECK_EQ_STR(row_list(SU, SUMMARY_QUANTILES_VALUE, 1, 'd'), "0");
    CHECK(row_f64(SU, SUMMARY_SUM, 2) == 0); /* a summary's sum is a plain double */
    CHECK_EQ_STR(levels(SU, SUMMARY_QUANTILES_QUANTILE), "0:1 1:1 1:1 0:1 0:0");
    CHECK_EQ_STR(levels(SU, SUMMARY_QUANTILES_VALUE), "0:1 1:1 1:1 0:1 0:0");
    finish();
}

TEST(points_without_value_are_rejected)
{
    start();
    buf_t p1 = {0}, p3 = {0};
    w_f64(&p1, 3, 1000);
    w_msg(&p1, 7, kv("dropped", av_str("yes")));
    buf_t ex = {0};
    w_dbl(&ex, 3, 9);
    w_msg(&p1, 5, ex); /* its exemplar goes with it */
    w_uv(&p3, 8, 1);
    buf_t p0 = dbl_point(1000, 1), p2 = dbl_point(2000, 2);
    buf_t ex0 = {0};
    w_dbl(&ex0, 3, 0.5);
    w_msg(&p0, 5, ex0);
    buf_t g = metric("g", F_GAUGE, points(4, p0, p1, p2, p3));
    buf_t s = metric("s", F_SUM, points(1, av_empty()));
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 2, g, s)), 0);
    CHECK_EQ_INT(G->nrows, 2);
    CHECK_EQ_INT(SM->nrows, 0);
    CHECK_EQ_INT(CTX.rows_added, 2);
    CHECK_EQ_INT(CTX.rejected, 3);
    CHECK_EQ_STR(CTX.reject_msg, "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1]: data point "
                                 "without a value (neither asDouble nor asInt), dropped");
    CHECK(all_ok());
    CHECK_EQ_STR(f64s(G, GAUGE_VALUE), "1,2");
    CHECK_EQ_STR(f64s(G, GAUGE_EXEMPLARS + EXEMPLAR_VALUE), "0.5");
    CHECK_EQ_STR(levels(G, GAUGE_EXEMPLARS + EXEMPLAR_VALUE), "0:1 0:0");
    CHECK_EQ_STR(row_map(G, METRIC_ATTRS_KEY, 1), "");
    /* the next request names its own first rejection */
    finish();
    start();
    CHECK_EQ_INT(decode(one_metric(metric("s", F_SUM, points(2, dbl_point(1, 1), av_empty())))), 0);
    CHECK_EQ_INT(CTX.rejected, 1);
    CHECK_EQ_STR(CTX.reject_msg, "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[1]: data point "
                                 "without a value (neither asDouble nor asInt), dropped");
    finish();
}

TEST(data_oneof_last_wins)
{
    start();
    buf_t none = {0};
    w_str(&none, 1, "no data");
    w_str(&none, 3, "ms");
    w_msg(&none, 12, kv("meta", av_str("x"))); /* metadata: no column */
    buf_t future = {0};
    w_str(&future, 1, "future");
    w_msg(&future, 13, points(1, dbl_point(1, 1))); /* a data kind from a newer proto */
    buf_t gs = {0};
    w_str(&gs, 1, "gauge then sum");
    w_msg(&gs, F_GAUGE, points(1, dbl_point(1000, 1)));
    w_msg(&gs, F_SUM, points(1, dbl_point(2000, 2)));
    buf_t gsg = {0};
    w_str(&gsg, 1, "gauge sum gauge gauge");
    w_msg(&gsg, F_GAUGE, points(1, dbl_point(3000, 3)));
    w_msg(&gsg, F_SUM, points(1, dbl_point(4000, 4)));
    w_msg(&gsg, F_GAUGE, points(1, dbl_point(5000, 5)));
    w_str(&gsg, 2, "desc between");
    w_msg(&gsg, F_GAUGE, points(1, dbl_point(6000, 6)));
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 4, none, future, gs, gsg)), 0);
    CHECK_EQ_INT(CTX.rejected, 0);
    CHECK_EQ_INT(SM->nrows, 1);
    CHECK_EQ_STR(f64s(SM, SUM_VALUE), "2");
    CHECK_EQ_STR(row_str(SM, METRIC_NAME, 0), "gauge then sum");
    CHECK_EQ_INT(G->nrows, 2);
    CHECK_EQ_STR(f64s(G, GAUGE_VALUE), "5,6");
    CHECK_EQ_STR(row_str(G, METRIC_DESCRIPTION, 0), "desc between");
    CHECK_EQ_INT(rows(), 3);
    CHECK(all_ok());
    finish();
}

TEST(values_exact)
{
    start();
    static const double dv[] = {NAN, INFINITY, -INFINITY, -0.0, DBL_MIN, 5e-324, DBL_MAX};
    buf_t g = {0};
    for (int i = 0; i < 7; i++)
        w_msg(&g, 1, dbl_point(1000, dv[i]));
    static const int64_t iv[] = {INT64_MIN, INT64_MAX, (1LL << 53) + 1, -1};
    for (int i = 0; i < 4; i++) {
        buf_t p = {0};
        w_f64(&p, 6, (uint64_t)iv[i]);
        w_uv(&p, 8, i == 0 ? 0x80000000u : 0);
        w_msg(&g, 1, p);
    }
    /* both value fields: the last on the wire wins */
    buf_t both = {0};
    w_dbl(&both, 4, 1.25);
    w_f64(&both, 6, 9);
    w_msg(&g, 1, both);
    both = (buf_t){0};
    w_f64(&both, 6, 9);
    w_dbl(&both, 4, 1.25);
    w_msg(&g, 1, both);
    /* counts past INT64_MAX saturate */
    static const uint64_t big[] = {UINT64_MAX, (uint64_t)INT64_MAX + 1, (uint64_t)INT64_MAX};
    buf_t hp = {0};
    w_f64(&hp, 4, UINT64_MAX);
    w_packed_f64(&hp, 6, big, 3);
    buf_t ep = {0}, bk = {0};
    w_f64(&ep, 4, (uint64_t)INT64_MAX + 5);
    w_f64(&ep, 7, UINT64_MAX);
    w_packed_varints(&bk, 2, big, 3);
    w_msg(&ep, 8, bk);
    buf_t m1 = metric("g", F_GAUGE, g), m2 = metric("h", F_HIST, points(1, hp)),
          m3 = metric("e", F_EXPHIST, points(1, ep));
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 3, m1, m2, m3)), 0);
    CHECK_EQ_INT(G->nrows, 13);
    CHECK(all_ok());
    const double *v = (const double *)G->cols[GAUGE_VALUE].vals.data;
    CHECK(isnan(v[0]));
    CHECK(v[1] == INFINITY && v[2] == -INFINITY);
    CHECK(v[3] == 0 && signbit(v[3]));
    CHECK(v[4] == DBL_MIN && v[5] == 5e-324 && v[6] == DBL_MAX);
    CHECK(v[7] == -9223372036854775808.0);
    CHECK(v[8] == 9223372036854775808.0); /* INT64_MAX rounds to 2^63 */
    CHECK(v[9] == 9007199254740992.0);    /* 2^53 + 1 rounds to even */
    CHECK(v[10] == -1);
    CHECK(v[11] == 9 && v[12] == 1.25);
    CHECK_EQ_INT(row_i32(G, METRIC_FLAGS, 7), INT32_MIN);
    CHECK_EQ_INT(row_i64(H, HIST_COUNT, 0), INT64_MAX);
    CHECK_EQ_STR(row_list(H, HIST_BUCKET_COUNTS, 0, 'i'), "9223372036854775807,9223372036854775807,9223372036854775807");
    CHECK_EQ_INT(row_i64(EH, EXPHIST_COUNT, 0), INT64_MAX);
    CHECK_EQ_INT(row_i64(EH, EXPHIST_ZERO_COUNT, 0), INT64_MAX);
    CHECK_EQ_STR(row_list(EH, EXPHIST_POSITIVE_BUCKET_COUNTS, 0, 'i'),
                 "9223372036854775807,9223372036854775807,9223372036854775807");
    finish();
}

TEST(out_of_order_and_several_resources)
{
    start();
    buf_t req = {0};
    for (int ri = 0; ri < 2; ri++) {
        buf_t rm = {0};
        char name[32];
        for (int si = 0; si < 2; si++) {
            buf_t sm = {0}, scope = {0};
            /* metric fields backwards: the data before the name */
            buf_t p = {0};
            w_uv(&p, 8, (uint64_t)si);
            w_dbl(&p, 4, ri * 10 + si);
            w_msg(&p, 7, kv("p", av_int(ri)));
            w_f64(&p, 3, (uint64_t)(ri * 10 + si + 1) * 1000000);
            buf_t m = {0};
            w_msg(&m, F_GAUGE, points(1, p));
            w_str(&m, 3, "By");
            w_str(&m, 2, "d");
            snprintf(name, sizeof name, "m%d.%d", ri, si);
            w_str(&m, 1, name);
            w_str(&sm, 3, "su");
            w_msg(&sm, 2, m);
            snprintf(name, sizeof name, "scope%d.%d", ri, si);
            w_str(&scope, 1, name);
            w_msg(&sm, 1, scope);
            w_msg(&rm, 2, sm);
        }
        w_str(&rm, 3, "ru");
        snprintf(name, sizeof name, "svc%d", ri);
        w_msg(&rm, 1, resource(1, kv("service.name", av_str(name))));
        w_msg(&req, 1, rm);
    }
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(G->nrows, 4);
    CHECK(all_ok());
    for (uint32_t r = 0; r < 4; r++) {
        int ri = (int)r / 2, si = (int)r % 2;
        char want[32];
        snprintf(want, sizeof want, "svc%d", ri);
        CHECK_EQ_STR(row_str(G, METRIC_SERVICE_NAME, r), want);
        snprintf(want, sizeof want, "scope%d.%d", ri, si);
        CHECK_EQ_STR(row_str(G, METRIC_SCOPE_NAME, r), want);
        snprintf(want, sizeof want, "m%d.%d", ri, si);
        CHECK_EQ_STR(row_str(G, METRIC_NAME, r), want);
        CHECK_EQ_STR(row_str(G, METRIC_DESCRIPTION, r), "d");
        CHECK_EQ_STR(row_str(G, METRIC_UNIT, r), "By");
        CHECK_EQ_STR(row_str(G, METRIC_SCOPE_SCHEMA_URL, r), "su");
        CHECK_EQ_STR(row_str(G, METRIC_RESOURCE_SCHEMA_URL, r), "ru");
        CHECK_EQ_INT(row_i64(G, METRIC_TIMESTAMP, r), (ri * 10 + si + 1) * 1000);
        CHECK(row_f64(G, GAUGE_VALUE, r) == ri * 10 + si);
        CHECK_EQ_INT(row_i32(G, METRIC_FLAGS, r), si);
        snprintf(want, sizeof want, "p=%d", ri);
        CHECK_EQ_STR(row_map(G, METRIC_ATTRS_KEY, r), want);
    }
    finish();
}

TEST(unknown_fields_skipped)
{
    start();
    buf_t ex = {0};
    w_unknowns(&ex, 20);
    w_dbl(&ex, 3, 2);
    buf_t p = dbl_point(1000, 1);
    w_unknowns(&p, 20);
    w_msg(&p, 5, ex);
    buf_t q = {0};
    w_unknowns(&q, 20);
    w_dbl(&q, 1, 0.5);
    buf_t sp = {0};
    w_unknowns(&sp, 20);
    w_msg(&sp, 6, q);
    buf_t bk = {0};
    w_unknowns(&bk, 20);
    w_uv(&bk, 2, 4);
    buf_t ep = {0};
    w_unknowns(&ep, 20);
    w_msg(&ep, 8, bk);
    buf_t gd = points(1, p);
    w_unknowns(&gd, 20);
    buf_t m1 = metric("g", F_GAUGE, gd);
    w_unknowns(&m1, 20);
    buf_t m2 = metric("s", F_SUMMARY, points(1, sp)), m3 = metric("e", F_EXPHIST, points(1, ep));
    buf_t res = resource(1, kv("service.name", av_str("s")));
    w_unknowns(&res, 20);
    buf_t sm = {0}, rm = {0}, req = {0};
    w_unknowns(&sm, 20);
    w_msg(&sm, 2, m1);
    w_msg(&sm, 2, m2);
    w_msg(&sm, 2, m3);
    w_msg(&rm, 1, res);
    w_unknowns(&rm, 1000);
    w_msg(&rm, 2, sm);
    w_unknowns(&req, 2);
    w_msg(&req, 1, rm);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(rows(), 3);
    CHECK(all_ok());
    CHECK_EQ_STR(f64s(G, GAUGE_EXEMPLARS + EXEMPLAR_VALUE), "2");
    CHECK_EQ_STR(f64s(SU, SUMMARY_QUANTILES_QUANTILE), "0.5");
    CHECK_EQ_STR(i64s(EH, EXPHIST_POSITIVE_BUCKET_COUNTS), "4");
    CHECK_EQ_STR(row_str(G, METRIC_SERVICE_NAME, 0), "s");
    finish();
}

TEST(empty_request_and_containers)
{
    start();
    CHECK_EQ_INT(otlp_metrics_decode_pb(NULL, 0, OUT, &CTX, &ERR), 0);
    CHECK_EQ_INT(rows(), 0);
    /* a metric whose data has no points, a scope without metrics */
    buf_t sm = {0}, rm = {0}, req = {0};
    w_msg(&sm, 2, metric("empty", F_HIST, av_empty()));
    w_msg(&rm, 2, sm);
    w_msg(&rm, 2, av_empty());
    w_msg(&req, 1, rm);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(rows(), 0);
    CHECK_EQ_INT(CTX.rows_added, 0);
    CHECK_EQ_INT(CTX.rejected, 0);
    finish();
}

/* ---------------- errors ---------------- */

static int decode_err(buf_t req)
{
    start();
    int rc = decode(req);
    finish();
    return rc;
}

#define CHECK_ERR(req, want_msg)                                                             \
    do {                                                                                     \
        CHECK_EQ_INT(decode_err(req), -1);                                                   \
        CHECK_EQ_INT(ERR.code, ERR_INVALID);                                                 \
        CHECK_EQ_STR(ERR.msg, want_msg);                                                     \
    } while (0)

#define PFX "resourceMetrics[0].scopeMetrics[0].metrics[0]."

static buf_t one_point(uint32_t field, buf_t p) { return one_metric(metric("m", field, points(1, p))); }

TEST(error_ids_and_packed_lengths)
{
    buf_t p = dbl_point(1, 1), ex = {0};
    w_bytes(&ex, 4, SID, 5);
    w_msg(&p, 5, av_empty());
    w_msg(&p, 5, ex);
    CHECK_ERR(one_point(F_GAUGE, p), PFX "gauge.dataPoints[0].exemplars[1].spanId: 5 bytes, want 8");
    p = dbl_point(1, 1);
    ex = (buf_t){0};
    w_bytes(&ex, 5, TID, 8);
    w_msg(&p, 5, ex);
    CHECK_ERR(one_point(F_SUM, p), PFX "sum.dataPoints[0].exemplars[0].traceId: 8 bytes, want 16");
    /* a point without a value is dropped before its exemplars are read: what they hold does
     * not matter (their wire type still does) */
    p = (buf_t){0};
    ex = (buf_t){0};
    w_bytes(&ex, 5, TID, 1);
    w_msg(&p, 5, ex);
    CHECK_EQ_INT(decode_err(one_point(F_GAUGE, p)), 0); /* dropped before its exemplars are read */
    p = (buf_t){0};
    w_bytes(&p, 6, "1234567", 7);
    CHECK_ERR(one_point(F_HIST, p), PFX "histogram.dataPoints[0].bucketCounts: packed length 7 is not a multiple of 8");
    p = (buf_t){0};
    w_bytes(&p, 7, "123456789", 9);
    CHECK_ERR(one_point(F_HIST, p),
              PFX "histogram.dataPoints[0].explicitBounds: packed length 9 is not a multiple of 8");
    buf_t bk = {0};
    w_bytes(&bk, 2, "\x01\x80", 2); /* a varint cut short inside the packed field */
    p = (buf_t){0};
    w_msg(&p, 8, bk);
    CHECK_ERR(one_point(F_EXPHIST, p), PFX "exponentialHistogram.dataPoints[0].positive.bucketCounts: truncated message");
    bk = (buf_t){0};
    w_bytes(&bk, 2, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10);
    p = (buf_t){0};
    w_msg(&p, 9, bk);
    CHECK_ERR(one_point(F_EXPHIST, p),
              PFX "exponentialHistogram.dataPoints[0].negative.bucketCounts: varint overflows 64 bits");
}

TEST(error_wrong_wire_types)
{
    buf_t m = {0};
    w_str(&m, 1, "m");
    w_uv(&m, F_GAUGE, 1);
    CHECK_ERR(one_metric(m), PFX "gauge: wire type 0 (varint), want 2 (length-delimited)");
    buf_t d = {0};
    w_f64(&d, 1, 1);
    CHECK_ERR(one_metric(metric("m", F_GAUGE, d)),
              PFX "gauge.dataPoints[0]: wire type 1 (fixed64), want 2 (length-delimited)");
    d = points(1, av_empty());
    w_str(&d, 2, "delta");
    CHECK_ERR(one_metric(metric("m", F_SUM, d)),
              PFX "sum.aggregationTemporality: wire type 2 (length-delimited), want 0 (varint)");
    d = points(1, av_empty());
    w_f32(&d, 3, 1);
    CHECK_ERR(one_metric(metric("m", F_SUM, d)), PFX "sum.isMonotonic: wire type 5 (fixed32), want 0 (varint)");
    buf_t p = {0};
    w_uv(&p, 4, 1);
    CHECK_ERR(one_point(F_SUM, p), PFX "sum.dataPoints[0].asDouble: wire type 0 (varint), want 1 (fixed64)");
    p = (buf_t){0};
    w_uv(&p, 6, 1);
    CHECK_ERR(one_point(F_GAUGE, p), PFX "gauge.dataPoints[0].asInt: wire type 0 (varint), want 1 (fixed64)");
    p = dbl_point(1, 1);
    w_f32(&p, 8, 1);
    CHECK_ERR(one_point(F_GAUGE, p), PFX "gauge.dataPoints[0].flags: wire type 5 (fixed32), want 0 (varint)");
    p = dbl_point(1, 1);
    w_uv(&p, 5, 1);
    CHECK_ERR(one_point(F_GAUGE, p),
              PFX "gauge.dataPoints[0].exemplars[0]: wire type 0 (varint), want 2 (length-delimited)");
    p = (buf_t){0};
    w_f64(&p, 6, 1);
    w_f32(&p, 7, 1);
    CHECK_ERR(one_point(F_HIST, p),
              PFX "histogram.dataPoints[0].explicitBounds: wire type 5 (fixed32), want 2 (length-delimited)");
    p = (buf_t){0};
    w_uv(&p, 5, 1);
    CHECK_ERR(one_point(F_HIST, p), PFX "histogram.dataPoints[0].sum: wire type 0 (varint), want 1 (fixed64)");
    p = (buf_t){0};
    w_f64(&p, 6, 1);
    CHECK_ERR(one_point(F_EXPHIST, p),
              PFX "exponentialHistogram.dataPoints[0].scale: wire type 1 (fixed64), want 0 (varint)");
    buf_t bk = {0};
    w_f64(&bk, 1, 1);
    p = (buf_t){0};
    w_msg(&p, 8, bk);
    CHECK_ERR(one_point(F_EXPHIST, p),
              PFX "exponentialHistogram.dataPoints[0].positive.offset: wire type 1 (fixed64), want 0 (varint)");
    bk = (buf_t){0};
    w_f64(&bk, 2, 1);
    p = (buf_t){0};
    w_msg(&p, 9, bk);
    CHECK_ERR(one_point(F_EXPHIST, p), PFX "exponentialHistogram.dataPoints[0].negative.bucketCounts: wire type 1 "
                                           "(fixed64), want 2 (length-delimited)");
    buf_t q = {0};
    w_uv(&q, 2, 1);
    p = (buf_t){0};
    w_msg(&p, 6, av_empty());
    w_msg(&p, 6, q);
    CHECK_ERR(one_point(F_SUMMARY, p),
              PFX "summary.dataPoints[0].quantileValues[1].value: wire type 0 (varint), want 1 (fixed64)");
    p = (buf_t){0};
    w_uv(&p, 4, 1);
    CHECK_ERR(one_point(F_SUMMARY, p), PFX "summary.dataPoints[0].count: wire type 0 (varint), want 1 (fixed64)");
    m = metric("m", F_GAUGE, av_empty());
    w_uv(&m, 12, 1);
    CHECK_ERR(one_metric(m), PFX "metadata[0]: wire type 0 (varint), want 2 (length-delimited)");
    buf_t req = {0}, rm = {0}, sm = {0};
    w_f32(&sm, 2, 1);
    w_msg(&rm, 2, sm);
    w_msg(&req, 1, rm);
    CHECK_ERR(req, "resourceMetrics[0].scopeMetrics[0].metrics[0]: wire type 5 (fixed32), want 2 (length-delimited)");
    /* the path indexes points across merged occurrences of the data field */
    buf_t p2 = {0};
    w_uv(&p2, 3, 1);
    m = (buf_t){0};
    w_msg(&m, F_GAUGE, points(2, dbl_point(1, 1), dbl_point(2, 2)));
    w_msg(&m, F_GAUGE, points(1, p2));
    CHECK_ERR(one_metric(m), PFX "gauge.dataPoints[2].timeUnixNano: wire type 0 (varint), want 1 (fixed64)");
}

TEST(error_invalid_utf8)
{
    buf_t m = {0};
    w_str(&m, 1, "m\xff");
    CHECK_ERR(one_metric(m), PFX "name: invalid UTF-8 at byte 1");
    m = (buf_t){0};
    w_str(&m, 2, "\xc0\x80");
    CHECK_ERR(one_metric(m), PFX "description: invalid UTF-8 at byte 0");
    m = (buf_t){0};
    w_str(&m, 3, "ms\xed\xa0\x80");
    CHECK_ERR(one_metric(m), PFX "unit: invalid UTF-8 at byte 2");
    buf_t p = dbl_point(1, 1);
    w_msg(&p, 7, kv("k", av_strn("v\xfe", 2)));
    CHECK_ERR(one_point(F_GAUGE, p), PFX "gauge.dataPoints[0].attributes[0].value.stringValue: invalid UTF-8 at byte 1");
    p = dbl_point(1, 1);
    buf_t ex = {0};
    w_msg(&ex, 7, kv("\x80", av_int(1)));
    w_msg(&p, 5, ex);
    CHECK_ERR(one_point(F_GAUGE, p), PFX "gauge.dataPoints[0].exemplars[0].filteredAttributes[0].key: invalid UTF-8 at byte 0");
    buf_t sm = {0}, rm = {0}, req = {0};
    w_str(&sm, 3, "\xff");
    w_msg(&rm, 2, sm);
    w_msg(&req, 1, rm);
    CHECK_ERR(req, "resourceMetrics[0].scopeMetrics[0].schemaUrl: invalid UTF-8 at byte 0");
}

TEST(error_truncated_every_cut)
{
    static const uint64_t b[] = {1, 2};
    buf_t hp = {0};
    w_f64(&hp, 3, 1);
    w_packed_f64(&hp, 6, b, 2);
    buf_t ex = {0};
    w_dbl(&ex, 3, 1);
    w_msg(&ex, 7, kv("k", av_str("v")));
    w_msg(&hp, 8, ex);
    buf_t ep = {0}, bk = {0};
    w_packed_varints(&bk, 2, b, 2);
    w_msg(&ep, 8, bk);
    buf_t sp = {0}, q = {0};
    w_dbl(&q, 1, 0.5);
    w_msg(&sp, 6, q);
    buf_t m1 = metric("h", F_HIST, points(1, hp)), m2 = metric("e", F_EXPHIST, points(1, ep)),
          m3 = metric("s", F_SUMMARY, points(1, sp)), m4 = metric("g", F_GAUGE, points(1, dbl_point(1, 2)));
    buf_t req = req1(resource(1, kv("service.name", av_str("s"))), av_empty(), 4, m1, m2, m3, m4);
    for (size_t cut = 1; cut < req.len; cut++) {
        start();
        int rc = otlp_metrics_decode_pb(req.data, cut, OUT, &CTX, &ERR);
        finish();
        if (rc != -1 || ERR.code != ERR_INVALID || ERR.msg[0] == 0) {
            printf("    cut at %zu: rc %d msg %s\n", cut, rc, ERR.msg);
            buf_free(&req);
            CHECK(0);
        }
    }
    buf_free(&req);
    buf_t raw = {0};
    w_tag(&raw, 4, PB_I64);
    w_raw(&raw, "\x01", 1);
    CHECK_ERR(one_point(F_GAUGE, raw), PFX "gauge.dataPoints[0]: field 4: truncated message");
}

TEST(error_then_rollback)
{
    start();
    CHECK_EQ_INT(decode(one_metric(metric("keep", F_GAUGE, points(1, dbl_point(1000, 1))))), 0);
    batch_mark_t m[MT_COUNT];
    size_t bytes[MT_COUNT];
    for (int i = 0; i < MT_COUNT; i++) {
        batch_mark(&MB[i], &m[i]);
        bytes[i] = batch_bytes(&MB[i]);
    }
    /* rows into three tables, then a bad point */
    static const uint64_t b[] = {1, 2, 3};
    buf_t hp = {0};
    w_packed_f64(&hp, 6, b, 3);
    buf_t bad = {0};
    w_bytes(&bad, 6, "x", 1);
    buf_t m1 = metric("g", F_GAUGE, points(1, dbl_point(2, 2))), m2 = metric("h", F_HIST, points(2, hp, bad)),
          m3 = metric("s", F_SUMMARY, points(1, av_empty()));
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 3, m3, m1, m2)), -1);
    CHECK_EQ_STR(ERR.msg, "resourceMetrics[0].scopeMetrics[0].metrics[2].histogram.dataPoints[1].bucketCounts: "
                          "packed length 1 is not a multiple of 8");
    for (int i = 0; i < MT_COUNT; i++) {
        batch_rollback(&MB[i], &m[i]);
        CHECK_EQ_INT(batch_bytes(&MB[i]), bytes[i]);
    }
    CHECK_EQ_INT(rows(), 1);
    CHECK(all_ok());
    buf_t hp2 = {0};
    w_packed_f64(&hp2, 6, b, 3);
    CHECK_EQ_INT(decode(one_metric(metric("next", F_HIST, points(1, hp2)))), 0);
    CHECK(all_ok());
    CHECK_EQ_STR(strs(G, METRIC_NAME), "keep");
    CHECK_EQ_STR(strs(H, METRIC_NAME), "next");
    CHECK_EQ_STR(levels(H, HIST_BUCKET_COUNTS), "0:1 1:1 1:1");
    finish();
}

TEST(error_amplification_capped)
{
    /* 200 resource attributes of 1 KiB over 1,400 empty gauge points: refused before a row */
    static char val[1001];
    memset(val, 'v', 1000);
    buf_t res = {0};
    for (int i = 0; i < 200; i++) {
        char k[16];
        snprintf(k, sizeof k, "attr%d", i);
        w_msg(&res, 1, kv(k, av_str(val)));
    }
    buf_t g = {0};
    for (int i = 0; i < 1400; i++)
        w_msg(&g, 1, av_empty());
    buf_t sm = {0}, rm = {0}, req = {0};
    w_msg(&sm, 2, metric("m", F_GAUGE, g));
    w_msg(&rm, 1, res);
    w_msg(&rm, 2, sm);
    w_msg(&req, 1, rm);
    start();
    CHECK_EQ_INT(decode(req), -1);
    CHECK_EQ_INT(ERR.code, ERR_TOO_LARGE);
    CHECK_EQ_STR(ERR.msg, "data points repeating their resource and scope columns would take more than 259 MiB");
    CHECK_EQ_INT(rows(), 0);
    CHECK_EQ_INT(CTX.rejected, 0);
    finish();
}

TEST(not_metrics_batches)
{
    start();
    table_batch_t gauge2;
    batch_init(&gauge2, &table_metrics_gauge);
    OUT[MT_HISTOGRAM] = &gauge2;
    CHECK_EQ_INT(otlp_metrics_decode_pb((const uint8_t *)"", 0, OUT, &CTX, &ERR), -1);
    CHECK_EQ_INT(ERR.code, ERR_INTERNAL);
    CHECK_EQ_STR(ERR.msg, "otlp_metrics_decode_pb: out[2] is not a metrics_histogram batch (tables_init?)");
    OUT[MT_HISTOGRAM] = NULL;
    CHECK_EQ_INT(otlp_metrics_decode_pb((const uint8_t *)"", 0, OUT, &CTX, &ERR), -1);
    OUT[MT_HISTOGRAM] = H;
    CHECK_EQ_INT(otlp_metrics_decode_pb((const uint8_t *)"", 0, OUT, NULL, &ERR), -1);
    finish();
}

RUN_TESTS(T(gauge_full), T(sum_temporality_monotonic_and_merge), T(histogram_full), T(exponential_histogram_full),
          T(summary_full), T(points_without_value_are_rejected), T(data_oneof_last_wins), T(values_exact),
          T(out_of_order_and_several_resources), T(unknown_fields_skipped), T(empty_request_and_containers),
          T(error_ids_and_packed_lengths), T(error_wrong_wire_types), T(error_invalid_utf8),
          T(error_truncated_every_cut), T(error_then_rollback), T(error_amplification_capped),
          T(not_metrics_batches))
