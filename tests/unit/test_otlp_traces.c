/* OTLP traces protobuf decoder: requests built with the small encoder of pb_encode.h are
 * decoded into a traces batch whose columns (levels of the Events and Links lists included) are
 * read back and compared value by value. */
#include <stdbool.h>

#include "batch_read.h"
#include "check.h"
#include "pb_encode.h"
#include "otlp/decode.h"
#include "table/tables.h"

static table_batch_t TB;
static otlp_decode_ctx_t CTX;
static err_t ERR;

static void start(void)
{
    static bool done;
    if (!done && tables_init() != 0) {
        printf("tables_init failed\n");
        exit(1);
    }
    done = true;
    batch_init(&TB, &table_traces);
    memset(&CTX, 0, sizeof CTX);
    CTX.now_ns = 1700000000000000000LL;
    err_clear(&ERR);
}

/* decodes and frees req */
static int decode(buf_t req)
{
    int rc = otlp_traces_decode_pb(req.data ? req.data : (const uint8_t *)"", req.len, &TB, &CTX, &ERR);
    buf_free(&req);
    return rc;
}

static const uint8_t TID[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t SID[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
static const uint8_t PID[8] = {0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8};
static const uint8_t LTID[16] = {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
                                 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00};
static const uint8_t LSID[8] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03};

static buf_t event(uint64_t t, const char *name, int nattr, ...)
{
    buf_t e = {0};
    if (t)
        w_f64(&e, 1, t);
    if (name)
        w_str(&e, 2, name);
    va_list ap;
    va_start(ap, nattr);
    for (int i = 0; i < nattr; i++)
        w_msg(&e, 3, va_arg(ap, buf_t));
    va_end(ap);
    return e;
}

static buf_t span_with(uint32_t field, buf_t m)
{
    buf_t s = {0};
    w_msg(&s, field, m);
    return s;
}

/* ---------------- values ---------------- */

TEST(full_span)
{
    start();
    buf_t sp = {0};
    w_bytes(&sp, 1, TID, 16);
    w_bytes(&sp, 2, SID, 8);
    w_str(&sp, 3, "rojo=00f067aa0ba902b7");
    w_bytes(&sp, 4, PID, 8);
    w_str(&sp, 5, "GET /api/cart");
    w_uv(&sp, 6, 2);
    w_f64(&sp, 7, 1700000000123456789ull);
    w_f64(&sp, 8, 1700000000223456789ull);
    w_msg(&sp, 9, kv("http.method", av_str("GET")));
    w_msg(&sp, 9, kv("http.status_code", av_int(200)));
    w_uv(&sp, 10, 1);
    w_msg(&sp, 11, event(1700000000150000999ull, "exception", 2, kv("exception.type", av_str("IOError")),
                         kv("exception.escaped", av_bool(1))));
    w_msg(&sp, 11, event(0, "checkpoint", 0));
    w_uv(&sp, 12, 0);
    buf_t link = {0};
    w_bytes(&link, 1, LTID, 16);
    w_bytes(&link, 2, LSID, 8);
    w_str(&link, 3, "ls=1");
    w_msg(&link, 4, kv("peer", av_dbl(1.5)));
    w_uv(&link, 5, 2);
    w_f32(&link, 6, 1);
    w_msg(&sp, 13, link);
    w_msg(&sp, 13, av_empty()); /* an empty link */
    w_uv(&sp, 14, 0);
    buf_t st = {0};
    w_str(&st, 2, "boom");
    w_uv(&st, 3, 2);
    w_msg(&sp, 15, st);
    w_f32(&sp, 16, 0x301);
    buf_t scope = {0};
    w_str(&scope, 1, "io.opentelemetry.http");
    w_str(&scope, 2, "1.2.3");
    w_msg(&scope, 3, kv("scope.k", av_str("sv")));
    buf_t ss = {0}, rs = {0}, req = {0};
    w_msg(&ss, 1, scope);
    w_msg(&ss, 2, sp);
    w_str(&ss, 3, "scope-url"); /* read, but the traces table has no ScopeSchemaUrl */
    w_msg(&rs, 1, resource(2, kv("service.name", av_str("checkout")), kv("host.name", av_str("h1"))));
    w_msg(&rs, 2, ss);
    w_str(&rs, 3, "https://opentelemetry.io/schemas/1.24.0");
    w_msg(&req, 1, rs);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(TB.nrows, 1);
    CHECK_EQ_INT(CTX.rows_added, 1);
    CHECK_EQ_INT(CTX.rejected, 0);
    CHECK(batch_ok(&TB));
    CHECK_EQ_INT(row_i64(&TB, TRACES_TIMESTAMP, 0), 1700000000123456);
    CHECK_EQ_STR(row_str(&TB, TRACES_TRACE_ID, 0), "0102030405060708090a0b0c0d0e0f10");
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_ID, 0), "a1a2a3a4a5a6a7a8");
    CHECK_EQ_STR(row_str(&TB, TRACES_PARENT_SPAN_ID, 0), "b1b2b3b4b5b6b7b8");
    CHECK_EQ_STR(row_str(&TB, TRACES_TRACE_STATE, 0), "rojo=00f067aa0ba902b7");
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_NAME, 0), "GET /api/cart");
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_KIND, 0), "Server");
    CHECK_EQ_STR(row_str(&TB, TRACES_SERVICE_NAME, 0), "checkout");
    CHECK_EQ_STR(row_map(&TB, TRACES_RESOURCE_ATTRS_KEY, 0), "service.name=checkout|host.name=h1");
    CHECK_EQ_STR(row_str(&TB, TRACES_RESOURCE_SCHEMA_URL, 0), "https://opentelemetry.io/schemas/1.24.0");
    CHECK_EQ_STR(row_str(&TB, TRACES_SCOPE_NAME, 0), "io.opentelemetry.http");
    CHECK_EQ_STR(row_str(&TB, TRACES_SCOPE_VERSION, 0), "1.2.3");
    CHECK_EQ_STR(row_map(&TB, TRACES_SCOPE_ATTRS_KEY, 0), "scope.k=sv");
    CHECK_EQ_STR(row_map(&TB, TRACES_SPAN_ATTRS_KEY, 0), "http.method=GET|http.status_code=200");
    CHECK_EQ_INT(row_i64(&TB, TRACES_DURATION, 0), 100000000);
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_CODE, 0), "Error");
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_MESSAGE, 0), "boom");
    /* events: two elements, the second without time or attributes */
    CHECK_EQ_STR(row_list(&TB, TRACES_EVENTS_TIMESTAMP, 0, 'i'), "1700000000150000,0");
    CHECK_EQ_STR(row_list(&TB, TRACES_EVENTS_NAME, 0, 's'), "exception,checkpoint");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_EVENTS_ATTRS_KEY, 0), "[exception.type=IOError|exception.escaped=true][]");
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_TIMESTAMP), "0:1 1:1");
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_NAME), "0:1 1:1");
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_ATTRS_KEY), "0:2 2:2 1:1");
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_ATTRS_VAL), "0:3 2:3 1:1");
    /* links: the second is empty, its ids are empty strings */
    CHECK_EQ_STR(strs(&TB, TRACES_LINKS_TRACE_ID), "ffeeddccbbaa99887766554433221100|");
    CHECK_EQ_STR(strs(&TB, TRACES_LINKS_SPAN_ID), "deadbeef00010203|");
    CHECK_EQ_STR(strs(&TB, TRACES_LINKS_TRACE_STATE), "ls=1|");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_LINKS_ATTRS_KEY, 0), "[peer=1.5][]");
    CHECK_EQ_STR(levels(&TB, TRACES_LINKS_TRACE_ID), "0:1 1:1");
    CHECK_EQ_STR(levels(&TB, TRACES_LINKS_SPAN_ID), "0:1 1:1");
    CHECK_EQ_STR(levels(&TB, TRACES_LINKS_TRACE_STATE), "0:1 1:1");
    CHECK_EQ_STR(levels(&TB, TRACES_LINKS_ATTRS_KEY), "0:2 1:1");
    CHECK_EQ_STR(levels(&TB, TRACES_LINKS_ATTRS_VAL), "0:3 1:1");
    batch_free(&TB);
}

TEST(empty_span_defaults)
{
    start();
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 1, av_empty())), 0);
    CHECK_EQ_INT(TB.nrows, 1);
    CHECK(batch_ok(&TB));
    CHECK_EQ_INT(row_i64(&TB, TRACES_TIMESTAMP, 0), 0); /* no start: 0, no fallback */
    CHECK_EQ_STR(row_str(&TB, TRACES_TRACE_ID, 0), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_ID, 0), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_PARENT_SPAN_ID, 0), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_TRACE_STATE, 0), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_NAME, 0), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_KIND, 0), "Unspecified");
    CHECK_EQ_STR(row_str(&TB, TRACES_SERVICE_NAME, 0), "unknown_service");
    CHECK_EQ_STR(row_map(&TB, TRACES_RESOURCE_ATTRS_KEY, 0), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_RESOURCE_SCHEMA_URL, 0), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_SCOPE_NAME, 0), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_SCOPE_VERSION, 0), "");
    CHECK_EQ_STR(row_map(&TB, TRACES_SCOPE_ATTRS_KEY, 0), "");
    CHECK_EQ_STR(row_map(&TB, TRACES_SPAN_ATTRS_KEY, 0), "");
    CHECK_EQ_INT(row_i64(&TB, TRACES_DURATION, 0), 0);
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_CODE, 0), "Unset");
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_MESSAGE, 0), "");
    /* lists are never null: one entry per leaf, "list there, no element" (rep 0, def 0) */
    for (int l = TRACES_EVENTS_TIMESTAMP; l <= TRACES_LINKS_ATTRS_VAL; l++) {
        CHECK_EQ_STR(levels(&TB, l), "0:0");
        CHECK_EQ_INT(TB.cols[l].nvals, 0);
    }
    /* and maps are never null: the empty map has def max_def - 1 */
    CHECK_EQ_STR(levels(&TB, TRACES_SPAN_ATTRS_KEY), "0:0");
    CHECK_EQ_INT(TB.cols[TRACES_SPAN_ATTRS_KEY].leaf->max_def, 1);
    batch_free(&TB);
}

TEST(level_derivation)
{
    /* what the decoder assumes of schema_init for the nested leaves */
    start();
    const schema_leaf_t *l = table_traces.leaves;
    CHECK_EQ_INT(l[TRACES_EVENTS_TIMESTAMP].max_rep, 1);
    CHECK_EQ_INT(l[TRACES_EVENTS_TIMESTAMP].max_def, 1);
    CHECK_EQ_INT(l[TRACES_EVENTS_ATTRS_KEY].max_rep, 2);
    CHECK_EQ_INT(l[TRACES_EVENTS_ATTRS_KEY].max_def, 2);
    CHECK_EQ_INT(l[TRACES_EVENTS_ATTRS_VAL].max_def, 3);
    CHECK_EQ_INT(l[TRACES_LINKS_TRACE_ID].max_rep, 1);
    CHECK_EQ_INT(l[TRACES_LINKS_ATTRS_VAL].max_rep, 2);
    CHECK_EQ_INT(schema_leaf_index(&table_traces, "Events.list.element.Attributes.key_value.key"),
                 TRACES_EVENTS_ATTRS_KEY);
    CHECK_EQ_INT(schema_leaf_index(&table_traces, "Links.list.element.TraceState"), TRACES_LINKS_TRACE_STATE);
    batch_free(&TB);
}

TEST(event_and_link_levels_across_spans)
{
    start();
    /* span 0: three events (two attributes, none, one null value); span 1: none; span 2: one
     * event with no attributes. Links: span 0 none, span 1 two, span 2 one with attributes. */
    buf_t s0 = {0}, s1 = {0}, s2 = {0};
    w_msg(&s0, 11, event(1000, "e0", 2, kv("a", av_int(1)), kv("b", av_int(2))));
    w_msg(&s0, 11, event(2000, "e1", 0));
    w_msg(&s0, 11, event(3000, "e2", 1, kv("c", av_empty())));
    buf_t l1 = {0}, l2 = {0}, l3 = {0};
    w_bytes(&l1, 1, LTID, 16);
    w_msg(&l1, 4, kv("x", av_str("1")));
    w_msg(&l1, 4, kv("y", av_str("2")));
    w_msg(&l1, 4, kv("z", av_str("3")));
    w_bytes(&l2, 2, LSID, 8);
    w_msg(&s1, 13, l1);
    w_msg(&s1, 13, l2);
    w_msg(&s2, 11, event(4000, "e3", 0));
    w_msg(&l3, 4, kv("only", av_bool(0)));
    w_msg(&s2, 13, l3);
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 3, s0, s1, s2)), 0);
    CHECK_EQ_INT(TB.nrows, 3);
    CHECK(batch_ok(&TB));
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_TIMESTAMP), "0:1 1:1 1:1 0:0 0:1");
    CHECK_EQ_STR(i64s(&TB, TRACES_EVENTS_TIMESTAMP), "1,2,3,4");
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_NAME), "0:1 1:1 1:1 0:0 0:1");
    CHECK_EQ_STR(strs(&TB, TRACES_EVENTS_NAME), "e0|e1|e2|e3");
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_ATTRS_KEY), "0:2 2:2 1:1 1:2 0:0 0:1");
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_ATTRS_VAL), "0:3 2:3 1:1 1:2 0:0 0:1");
    CHECK_EQ_STR(strs(&TB, TRACES_EVENTS_ATTRS_KEY), "a|b|c");
    CHECK_EQ_STR(strs(&TB, TRACES_EVENTS_ATTRS_VAL), "1|2");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_EVENTS_ATTRS_KEY, 0), "[a=1|b=2][][c=<null>]");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_EVENTS_ATTRS_KEY, 1), "");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_EVENTS_ATTRS_KEY, 2), "[]");
    CHECK_EQ_STR(row_list(&TB, TRACES_EVENTS_NAME, 1, 's'), "");
    CHECK_EQ_STR(row_list(&TB, TRACES_EVENTS_NAME, 2, 's'), "e3");
    CHECK_EQ_STR(levels(&TB, TRACES_LINKS_TRACE_ID), "0:0 0:1 1:1 0:1");
    CHECK_EQ_STR(strs(&TB, TRACES_LINKS_TRACE_ID), "ffeeddccbbaa99887766554433221100||");
    CHECK_EQ_STR(strs(&TB, TRACES_LINKS_SPAN_ID), "|deadbeef00010203|");
    CHECK_EQ_STR(levels(&TB, TRACES_LINKS_ATTRS_KEY), "0:0 0:2 2:2 2:2 1:1 0:2");
    CHECK_EQ_STR(levels(&TB, TRACES_LINKS_ATTRS_VAL), "0:0 0:3 2:3 2:3 1:1 0:3");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_LINKS_ATTRS_KEY, 1), "[x=1|y=2|z=3][]");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_LINKS_ATTRS_KEY, 2), "[only=false]");
    batch_free(&TB);
}

TEST(span_kinds_and_status_codes)
{
    start();
    static const int64_t kinds[] = {0, 1, 2, 3, 4, 5, 6, 1000, -1};
    static const char *kind_names[] = {"Unspecified", "Internal", "Server", "Client", "Producer",
                                       "Consumer", "Unspecified", "Unspecified", "Unspecified"};
    static const int64_t codes[] = {0, 1, 2, 3, -2, 0, 1, 2, 7};
    static const char *code_names[] = {"Unset", "Ok", "Error", "Unset", "Unset", "Unset", "Ok", "Error", "Unset"};
    buf_t ss = {0}, rs = {0}, req = {0};
    for (int i = 0; i < 9; i++) {
        buf_t sp = {0}, st = {0};
        w_uv(&sp, 6, (uint64_t)kinds[i]); /* negative enums: 10-byte sign-extended varints */
        w_uv(&st, 3, (uint64_t)codes[i]);
        w_msg(&sp, 15, st);
        w_msg(&ss, 2, sp);
    }
    w_msg(&rs, 2, ss);
    w_msg(&req, 1, rs);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(TB.nrows, 9);
    for (uint32_t i = 0; i < 9; i++) {
        CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_KIND, i), kind_names[i]);
        CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_CODE, i), code_names[i]);
    }
    batch_free(&TB);
}

TEST(durations_and_timestamps)
{
    start();
    static const struct {
        uint64_t start, end;
        int64_t ts_us, dur;
    } cases[] = {
        {1000, 3500, 1, 2500},
        {5000, 5000, 5, 0},
        {5000, 4999, 5, 0},                   /* end before start: clamped to 0 */
        {1700000000000000001ull, 0, 1700000000000000, 0}, /* no end */
        {0, UINT64_MAX, 0, INT64_MAX},        /* past INT64_MAX: saturated */
        {0, (uint64_t)INT64_MAX, 0, INT64_MAX},
        {1999, 2000, 1, 1},                   /* floor to microseconds */
        {UINT64_MAX, UINT64_MAX, (int64_t)(UINT64_MAX / 1000), 0},
    };
    size_t n = sizeof cases / sizeof cases[0];
    buf_t ss = {0}, rs = {0}, req = {0};
    for (size_t i = 0; i < n; i++) {
        buf_t sp = {0};
        w_f64(&sp, 7, cases[i].start);
        w_f64(&sp, 8, cases[i].end);
        w_msg(&ss, 2, sp);
    }
    w_msg(&rs, 2, ss);
    w_msg(&req, 1, rs);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(TB.nrows, n);
    for (uint32_t i = 0; i < n; i++) {
        CHECK_EQ_INT(row_i64(&TB, TRACES_TIMESTAMP, i), cases[i].ts_us);
        CHECK_EQ_INT(row_i64(&TB, TRACES_DURATION, i), cases[i].dur);
    }
    batch_free(&TB);
}

TEST(status_merges)
{
    start();
    buf_t a1 = {0}, a2 = {0}, s1 = {0};
    w_str(&a1, 2, "first");
    w_uv(&a1, 3, 1);
    w_str(&a2, 2, "second"); /* no code: the earlier one stays */
    w_uv(&a2, 1, 5);         /* deprecated_code, reserved: ignored */
    w_msg(&s1, 15, a1);
    w_msg(&s1, 15, a2);
    buf_t b1 = {0}, s2 = {0};
    w_uv(&b1, 3, 2);
    w_msg(&s2, 15, b1);
    w_msg(&s2, 15, av_empty()); /* an empty occurrence changes nothing */
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 3, s1, s2, span_with(15, av_empty()))), 0);
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_CODE, 0), "Ok");
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_MESSAGE, 0), "second");
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_CODE, 1), "Error");
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_MESSAGE, 1), "");
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_CODE, 2), "Unset");
    batch_free(&TB);
}

TEST(out_of_order_fields)
{
    start();
    /* the span's fields backwards with events and links first, an event's attributes before
     * its name, a link's attributes before its ids, the spans before the scope, the scope spans
     * before the resource; scalar fields repeated: the last wins */
    buf_t sp = {0};
    w_f32(&sp, 16, 1);
    w_msg(&sp, 15, av_empty());
    buf_t link = {0};
    w_msg(&link, 4, kv("lk", av_str("lv")));
    w_str(&link, 3, "st");
    w_bytes(&link, 2, LSID, 8);
    w_bytes(&link, 1, LTID, 16);
    w_msg(&sp, 13, link);
    buf_t ev = {0};
    w_msg(&ev, 3, kv("ek", av_int(-1)));
    w_str(&ev, 2, "ev-name");
    w_f64(&ev, 1, 42000);
    w_msg(&sp, 11, ev);
    w_msg(&sp, 9, kv("sk", av_str("sv")));
    w_f64(&sp, 8, 9000);
    w_f64(&sp, 7, 7000);
    w_uv(&sp, 6, 3);
    w_str(&sp, 5, "old name");
    w_str(&sp, 5, "name");
    w_bytes(&sp, 4, PID, 8);
    w_str(&sp, 3, "ts");
    w_bytes(&sp, 2, SID, 8);
    w_bytes(&sp, 1, TID, 16);
    w_msg(&sp, 11, event(43000, "second", 0)); /* an event after the other fields */
    buf_t scope = {0};
    w_msg(&scope, 3, kv("sa", av_int(1)));
    w_str(&scope, 2, "v9");
    w_str(&scope, 1, "scope-name");
    buf_t ss = {0}, rs = {0}, req = {0};
    w_str(&ss, 3, "scope-url");
    w_msg(&ss, 2, sp);
    w_msg(&ss, 2, av_empty());
    w_msg(&ss, 1, scope);
    w_str(&rs, 3, "res-url");
    w_msg(&rs, 2, ss);
    w_msg(&rs, 1, resource(1, kv("service.name", av_str("late"))));
    w_msg(&req, 1, rs);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(TB.nrows, 2);
    CHECK(batch_ok(&TB));
    for (uint32_t r = 0; r < 2; r++) {
        CHECK_EQ_STR(row_str(&TB, TRACES_SERVICE_NAME, r), "late");
        CHECK_EQ_STR(row_str(&TB, TRACES_RESOURCE_SCHEMA_URL, r), "res-url");
        CHECK_EQ_STR(row_str(&TB, TRACES_SCOPE_NAME, r), "scope-name");
        CHECK_EQ_STR(row_str(&TB, TRACES_SCOPE_VERSION, r), "v9");
        CHECK_EQ_STR(row_map(&TB, TRACES_SCOPE_ATTRS_KEY, r), "sa=1");
    }
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_NAME, 0), "name");
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_KIND, 0), "Client");
    CHECK_EQ_INT(row_i64(&TB, TRACES_TIMESTAMP, 0), 7);
    CHECK_EQ_INT(row_i64(&TB, TRACES_DURATION, 0), 2000);
    CHECK_EQ_STR(row_str(&TB, TRACES_TRACE_ID, 0), "0102030405060708090a0b0c0d0e0f10");
    CHECK_EQ_STR(row_str(&TB, TRACES_PARENT_SPAN_ID, 0), "b1b2b3b4b5b6b7b8");
    CHECK_EQ_STR(row_str(&TB, TRACES_TRACE_STATE, 0), "ts");
    CHECK_EQ_STR(row_map(&TB, TRACES_SPAN_ATTRS_KEY, 0), "sk=sv");
    CHECK_EQ_STR(row_list(&TB, TRACES_EVENTS_TIMESTAMP, 0, 'i'), "42,43");
    CHECK_EQ_STR(row_list(&TB, TRACES_EVENTS_NAME, 0, 's'), "ev-name,second");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_EVENTS_ATTRS_KEY, 0), "[ek=-1][]");
    CHECK_EQ_STR(row_list(&TB, TRACES_LINKS_TRACE_ID, 0, 's'), "ffeeddccbbaa99887766554433221100");
    CHECK_EQ_STR(row_list(&TB, TRACES_LINKS_SPAN_ID, 0, 's'), "deadbeef00010203");
    CHECK_EQ_STR(row_list(&TB, TRACES_LINKS_TRACE_STATE, 0, 's'), "st");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_LINKS_ATTRS_KEY, 0), "[lk=lv]");
    CHECK_EQ_STR(row_list(&TB, TRACES_EVENTS_NAME, 1, 's'), "");
    batch_free(&TB);
}

TEST(several_resources_and_scopes)
{
    start();
    buf_t req = {0};
    for (int ri = 0; ri < 2; ri++) {
        buf_t rs = {0};
        char name[32];
        snprintf(name, sizeof name, "svc%d", ri);
        w_msg(&rs, 1, resource(1, kv("service.name", av_str(name))));
        for (int si = 0; si < 2; si++) {
            buf_t ss = {0}, scope = {0};
            snprintf(name, sizeof name, "scope%d.%d", ri, si);
            w_str(&scope, 1, name);
            w_msg(&ss, 1, scope);
            for (int k = 0; k < 3; k++) {
                buf_t sp = {0};
                w_f64(&sp, 7, (uint64_t)(ri * 100 + si * 10 + k + 1) * 1000);
                if (k == 1)
                    w_msg(&sp, 11, event(5000, "ev", 1, kv("k", av_int(k))));
                w_msg(&ss, 2, sp);
            }
            w_msg(&rs, 2, ss);
        }
        w_msg(&req, 1, rs);
    }
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(TB.nrows, 12);
    CHECK_EQ_INT(CTX.rows_added, 12);
    CHECK(batch_ok(&TB));
    for (uint32_t r = 0; r < 12; r++) {
        int ri = (int)r / 6, si = (int)(r / 3) % 2, k = (int)r % 3;
        char want[32];
        snprintf(want, sizeof want, "svc%d", ri);
        CHECK_EQ_STR(row_str(&TB, TRACES_SERVICE_NAME, r), want);
        snprintf(want, sizeof want, "scope%d.%d", ri, si);
        CHECK_EQ_STR(row_str(&TB, TRACES_SCOPE_NAME, r), want);
        CHECK_EQ_INT(row_i64(&TB, TRACES_TIMESTAMP, r), ri * 100 + si * 10 + k + 1);
        CHECK_EQ_STR(row_list_map(&TB, TRACES_EVENTS_ATTRS_KEY, r), k == 1 ? "[k=1]" : "");
    }
    batch_free(&TB);
}

TEST(unknown_fields_skipped)
{
    start();
    buf_t ev = event(1000, "e", 0);
    w_unknowns(&ev, 20);
    buf_t link = {0};
    w_unknowns(&link, 20);
    w_str(&link, 3, "lst");
    buf_t st = {0};
    w_unknowns(&st, 20);
    w_str(&st, 2, "m");
    buf_t sp = {0};
    w_unknowns(&sp, 20);
    w_msg(&sp, 11, ev);
    w_msg(&sp, 13, link);
    w_msg(&sp, 15, st);
    w_str(&sp, 5, "n");
    w_unknowns(&sp, 40);
    buf_t scope = {0};
    w_unknowns(&scope, 20);
    w_str(&scope, 1, "sc");
    buf_t res = resource(1, kv("service.name", av_str("s")));
    w_unknowns(&res, 20);
    buf_t ss = {0}, rs = {0}, req = {0};
    w_unknowns(&ss, 20);
    w_msg(&ss, 1, scope);
    w_msg(&ss, 2, sp);
    w_msg(&rs, 1, res);
    w_unknowns(&rs, 1000); /* e.g. the old instrumentation_library_spans = 1000 */
    w_msg(&rs, 2, ss);
    w_unknowns(&req, 2);
    w_msg(&req, 1, rs);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(TB.nrows, 1);
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_NAME, 0), "n");
    CHECK_EQ_STR(row_str(&TB, TRACES_STATUS_MESSAGE, 0), "m");
    CHECK_EQ_STR(row_list(&TB, TRACES_EVENTS_NAME, 0, 's'), "e");
    CHECK_EQ_STR(row_list(&TB, TRACES_LINKS_TRACE_STATE, 0, 's'), "lst");
    CHECK_EQ_STR(row_str(&TB, TRACES_SERVICE_NAME, 0), "s");
    CHECK_EQ_STR(row_str(&TB, TRACES_SCOPE_NAME, 0), "sc");
    batch_free(&TB);
}

TEST(duplicate_keys_last_wins)
{
    start();
    buf_t sp = {0};
    w_msg(&sp, 9, kv("a", av_int(1)));
    w_msg(&sp, 9, kv("a", av_int(2)));
    w_msg(&sp, 11, event(0, "e", 3, kv("x", av_int(1)), kv("y", av_int(2)), kv("x", av_empty())));
    buf_t link = {0};
    w_msg(&link, 4, kv("k", av_str("old")));
    w_msg(&link, 4, kv("k", av_str("new")));
    w_msg(&sp, 13, link);
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 1, sp)), 0);
    CHECK_EQ_STR(row_map(&TB, TRACES_SPAN_ATTRS_KEY, 0), "a=2");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_EVENTS_ATTRS_KEY, 0), "[x=<null>|y=2]");
    CHECK_EQ_STR(row_list_map(&TB, TRACES_LINKS_ATTRS_KEY, 0), "[k=new]");
    CHECK(batch_ok(&TB));
    batch_free(&TB);
}

TEST(empty_request_and_containers)
{
    start();
    CHECK_EQ_INT(otlp_traces_decode_pb(NULL, 0, &TB, &CTX, &ERR), 0);
    CHECK_EQ_INT(TB.nrows, 0);
    buf_t req = {0}, rs = {0}, rs2 = {0};
    w_msg(&rs, 1, resource(1, kv("service.name", av_str("x"))));
    w_msg(&req, 1, rs);
    w_msg(&rs2, 2, av_empty());
    w_msg(&req, 1, rs2);
    CHECK_EQ_INT(decode(req), 0);
    CHECK_EQ_INT(TB.nrows, 0);
    CHECK_EQ_INT(CTX.rows_added, 0);
    batch_free(&TB);
}

/* ---------------- errors ---------------- */

static int decode_err(buf_t req)
{
    start();
    int rc = decode(req);
    batch_free(&TB);
    return rc;
}

#define CHECK_ERR(req, want_msg)                                                             \
    do {                                                                                     \
        CHECK_EQ_INT(decode_err(req), -1);                                                   \
        CHECK_EQ_INT(ERR.code, ERR_INVALID);                                                 \
        CHECK_EQ_STR(ERR.msg, want_msg);                                                     \
    } while (0)

static buf_t one_span(buf_t sp) { return req1(resource(0), av_empty(), 1, sp); }

TEST(error_id_lengths_name_the_path)
{
    /* the eighth span of the second scope has a 5-byte parent */
    buf_t req = {0}, rs = {0}, ss0 = {0}, ss1 = {0};
    w_msg(&ss0, 2, av_empty());
    for (int k = 0; k < 8; k++) {
        buf_t sp = {0};
        w_bytes(&sp, 4, PID, k == 7 ? 5 : 8);
        w_msg(&ss1, 2, sp);
    }
    w_msg(&rs, 2, ss0);
    w_msg(&rs, 2, ss1);
    w_msg(&req, 1, rs);
    CHECK_ERR(req, "resourceSpans[0].scopeSpans[1].spans[7].parentSpanId: 5 bytes, want 8");
    buf_t sp = {0};
    w_bytes(&sp, 1, TID, 15);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].traceId: 15 bytes, want 16");
    sp = (buf_t){0};
    w_bytes(&sp, 2, TID, 9);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].spanId: 9 bytes, want 8");
    sp = (buf_t){0};
    buf_t link = {0};
    w_bytes(&link, 1, TID, 5);
    w_msg(&sp, 13, av_empty());
    w_msg(&sp, 13, link);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].links[1].traceId: 5 bytes, want 16");
    sp = (buf_t){0};
    link = (buf_t){0};
    w_bytes(&link, 2, TID, 16);
    w_msg(&sp, 13, link);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId: 16 bytes, want 8");
}

TEST(error_wrong_wire_types)
{
    buf_t sp = {0};
    w_f64(&sp, 6, 1);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].kind: wire type 1 (fixed64), want 0 (varint)");
    sp = (buf_t){0};
    w_uv(&sp, 7, 1);
    CHECK_ERR(one_span(sp),
              "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: wire type 0 (varint), want 1 (fixed64)");
    sp = (buf_t){0};
    w_msg(&sp, 11, av_empty());
    w_uv(&sp, 11, 1);
    CHECK_ERR(one_span(sp),
              "resourceSpans[0].scopeSpans[0].spans[0].events[1]: wire type 0 (varint), want 2 (length-delimited)");
    sp = (buf_t){0};
    buf_t ev = {0};
    w_uv(&ev, 1, 5);
    w_msg(&sp, 11, ev);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].events[0].timeUnixNano: wire type 0 "
                            "(varint), want 1 (fixed64)");
    sp = (buf_t){0};
    w_f32(&sp, 13, 0);
    CHECK_ERR(one_span(sp),
              "resourceSpans[0].scopeSpans[0].spans[0].links[0]: wire type 5 (fixed32), want 2 (length-delimited)");
    sp = (buf_t){0};
    buf_t link = {0};
    w_uv(&link, 6, 1);
    w_msg(&sp, 13, link);
    CHECK_ERR(one_span(sp),
              "resourceSpans[0].scopeSpans[0].spans[0].links[0].flags: wire type 0 (varint), want 5 (fixed32)");
    sp = (buf_t){0};
    w_uv(&sp, 15, 1);
    CHECK_ERR(one_span(sp),
              "resourceSpans[0].scopeSpans[0].spans[0].status: wire type 0 (varint), want 2 (length-delimited)");
    sp = (buf_t){0};
    buf_t st = {0};
    w_str(&st, 3, "x");
    w_msg(&sp, 15, st);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].status.code: wire type 2 "
                            "(length-delimited), want 0 (varint)");
    sp = (buf_t){0};
    w_uv(&sp, 16, 1);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].flags: wire type 0 (varint), want 5 (fixed32)");
    sp = (buf_t){0};
    w_f64(&sp, 12, 1);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].droppedEventsCount: wire type 1 "
                            "(fixed64), want 0 (varint)");
    sp = (buf_t){0};
    w_uv(&sp, 9, 1);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].attributes[0]: wire type 0 (varint), "
                            "want 2 (length-delimited)");
    buf_t req = {0}, rs = {0}, ss = {0};
    w_uv(&ss, 2, 1);
    w_msg(&rs, 2, ss);
    w_msg(&req, 1, rs);
    CHECK_ERR(req, "resourceSpans[0].scopeSpans[0].spans[0]: wire type 0 (varint), want 2 (length-delimited)");
    req = (buf_t){0};
    w_uv(&req, 1, 3);
    CHECK_ERR(req, "resourceSpans[0]: wire type 0 (varint), want 2 (length-delimited)");
}

TEST(error_invalid_utf8)
{
    buf_t sp = {0};
    w_str(&sp, 5, "ok\xc3\x28");
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].name: invalid UTF-8 at byte 2");
    sp = (buf_t){0};
    w_str(&sp, 3, "\xff");
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].traceState: invalid UTF-8 at byte 0");
    sp = (buf_t){0};
    w_msg(&sp, 11, event(0, "fine", 0));
    w_msg(&sp, 11, event(0, "e\xed\xa0\x80", 0));
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].events[1].name: invalid UTF-8 at byte 1");
    sp = (buf_t){0};
    w_msg(&sp, 11, event(0, "e", 1, kv("k\x80", av_int(1))));
    CHECK_ERR(one_span(sp),
              "resourceSpans[0].scopeSpans[0].spans[0].events[0].attributes[0].key: invalid UTF-8 at byte 1");
    sp = (buf_t){0};
    buf_t link = {0};
    w_str(&link, 3, "s\xc0\xaf");
    w_msg(&sp, 13, link);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].links[0].traceState: invalid UTF-8 at byte 1");
    sp = (buf_t){0};
    buf_t st = {0};
    w_str(&st, 2, "\xf4\x90\x80\x80");
    w_msg(&sp, 15, st);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].status.message: invalid UTF-8 at byte 0");
    buf_t scope = {0};
    w_str(&scope, 2, "v\xfe");
    CHECK_ERR(req1(resource(0), scope, 0), "resourceSpans[0].scopeSpans[0].scope.version: invalid UTF-8 at byte 1");
    /* ids are bytes, not text */
    sp = (buf_t){0};
    w_bytes(&sp, 1, "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0", 16);
    start();
    CHECK_EQ_INT(decode(one_span(sp)), 0);
    CHECK_EQ_STR(row_str(&TB, TRACES_TRACE_ID, 0), "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0");
    batch_free(&TB);
}

TEST(error_truncated_every_cut)
{
    buf_t sp = {0};
    w_bytes(&sp, 1, TID, 16);
    w_str(&sp, 5, "name");
    w_f64(&sp, 7, 1);
    w_msg(&sp, 11, event(5, "e", 1, kv("k", av_arr(1, av_dbl(1.5)))));
    buf_t link = {0};
    w_bytes(&link, 2, SID, 8);
    w_msg(&sp, 13, link);
    buf_t st = {0};
    w_str(&st, 2, "m");
    w_msg(&sp, 15, st);
    buf_t req = req1(resource(1, kv("service.name", av_str("s"))), av_empty(), 1, sp);
    for (size_t cut = 1; cut < req.len; cut++) {
        start();
        int rc = otlp_traces_decode_pb(req.data, cut, &TB, &CTX, &ERR);
        batch_free(&TB);
        if (rc != -1 || ERR.code != ERR_INVALID || ERR.msg[0] == 0) {
            printf("    cut at %zu: rc %d msg %s\n", cut, rc, ERR.msg);
            buf_free(&req);
            CHECK(0);
        }
    }
    buf_free(&req);
    buf_t raw = {0};
    w_tag(&raw, 7, PB_I64);
    w_raw(&raw, "\x01\x02", 2);
    CHECK_ERR(one_span(raw), "resourceSpans[0].scopeSpans[0].spans[0]: field 7: truncated message");
    buf_t ev = {0};
    w_tag(&ev, 2, PB_LEN);
    w_varint(&ev, 50);
    w_raw(&ev, "abc", 3);
    sp = (buf_t){0};
    w_msg(&sp, 11, ev);
    CHECK_ERR(one_span(sp), "resourceSpans[0].scopeSpans[0].spans[0].events[0]: field 2: length 50 runs past "
                            "the end of the message (3 bytes left)");
}

TEST(error_then_rollback)
{
    start();
    buf_t keep = {0};
    w_str(&keep, 5, "keep");
    w_msg(&keep, 11, event(1000, "kept event", 0));
    CHECK_EQ_INT(decode(one_span(keep)), 0);
    batch_mark_t m;
    batch_mark(&TB, &m);
    size_t bytes = batch_bytes(&TB);
    /* a span whose events are appended before its bad link is found */
    buf_t bad = {0};
    w_msg(&bad, 11, event(2000, "gone", 1, kv("a", av_int(1))));
    buf_t link = {0};
    w_bytes(&link, 1, TID, 3);
    w_msg(&bad, 13, link);
    buf_t good = {0};
    w_str(&good, 5, "fine");
    CHECK_EQ_INT(decode(req1(resource(0), av_empty(), 2, good, bad)), -1);
    CHECK_EQ_STR(ERR.msg, "resourceSpans[0].scopeSpans[0].spans[1].links[0].traceId: 3 bytes, want 16");
    batch_rollback(&TB, &m);
    CHECK_EQ_INT(TB.nrows, 1);
    CHECK_EQ_INT(batch_bytes(&TB), bytes);
    CHECK(batch_ok(&TB));
    buf_t next = {0};
    w_str(&next, 5, "next");
    CHECK_EQ_INT(decode(one_span(next)), 0);
    CHECK_EQ_INT(TB.nrows, 2);
    CHECK(batch_ok(&TB));
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_NAME, 0), "keep");
    CHECK_EQ_STR(row_str(&TB, TRACES_SPAN_NAME, 1), "next");
    CHECK_EQ_STR(strs(&TB, TRACES_EVENTS_NAME), "kept event");
    CHECK_EQ_STR(levels(&TB, TRACES_EVENTS_NAME), "0:1 0:0");
    batch_free(&TB);
}

TEST(error_amplification_capped)
{
    /* 200 resource attributes of 1 KiB over 1,400 empty spans: refused before a row is added */
    static char val[1001];
    memset(val, 'v', 1000);
    buf_t res = {0};
    for (int i = 0; i < 200; i++) {
        char k[16];
        snprintf(k, sizeof k, "attr%d", i);
        w_msg(&res, 1, kv(k, av_str(val)));
    }
    buf_t ss = {0}, rs = {0}, req = {0};
    for (int i = 0; i < 1400; i++)
        w_msg(&ss, 2, av_empty());
    w_msg(&rs, 1, res);
    w_msg(&rs, 2, ss);
    w_msg(&req, 1, rs);
    start();
    CHECK_EQ_INT(decode(req), -1);
    CHECK_EQ_INT(ERR.code, ERR_TOO_LARGE);
    CHECK_EQ_STR(ERR.msg, "spans repeating their resource and scope columns would take more than 259 MiB");
    CHECK_EQ_INT(TB.nrows, 0);
    batch_free(&TB);
}

TEST(not_a_traces_batch)
{
    start();
    table_batch_t logs;
    batch_init(&logs, &table_logs);
    CHECK_EQ_INT(otlp_traces_decode_pb((const uint8_t *)"", 0, &logs, &CTX, &ERR), -1);
    CHECK_EQ_INT(ERR.code, ERR_INTERNAL);
    CHECK_EQ_INT(otlp_traces_decode_pb((const uint8_t *)"", 0, &TB, NULL, &ERR), -1);
    batch_free(&TB);
}

RUN_TESTS(T(full_span), T(empty_span_defaults), T(level_derivation), T(event_and_link_levels_across_spans),
          T(span_kinds_and_status_codes), T(durations_and_timestamps), T(status_merges), T(out_of_order_fields),
          T(several_resources_and_scopes), T(unknown_fields_skipped), T(duplicate_keys_last_wins),
          T(empty_request_and_containers), T(error_id_lengths_name_the_path), T(error_wrong_wire_types),
          T(error_invalid_utf8), T(error_truncated_every_cut), T(error_then_rollback),
          T(error_amplification_capped), T(not_a_traces_batch))
