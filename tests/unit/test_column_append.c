/* batch_append_rows: rows copied from one batch to another must be exactly what appending those
 * rows directly would have built, level by level and byte by byte, for nested leaves too (the
 * traces table: lists of structs holding maps) and for optional values (logs Body). Each row is
 * generated from a seed, so the expected batch is built independently of the code under test. */
#include <stdio.h>

#include "check.h"
#include "table/column.h"
#include "table/tables.h"

/* --- rows from seeds ------------------------------------------------------------------------ */

static void must(int rc)
{
    if (rc)
        abort();
}

static void put_str(column_t *c, const char *s) { must(col_str(c, s, strlen(s))); }

/* A map of n entries ("k0".., values "v<seed>-<i>", every third value null) at repetition rep0. */
static void put_map(column_t *key, column_t *val, uint8_t rep0, int seed, int n)
{
    char kb[8][16], vb[8][32];
    kv_t kv[8];
    for (int i = 0; i < n; i++) {
        snprintf(kb[i], sizeof kb[i], "k%d", i);
        snprintf(vb[i], sizeof vb[i], "v%d-%d", seed, i);
        kv[i] = (kv_t){kb[i], (uint32_t)strlen(kb[i]), (i + seed) % 3 == 0 ? NULL : vb[i], (uint32_t)strlen(vb[i])};
    }
    must(col_map_put(key, val, rep0, kv, (size_t)n));
}

/* An element-level map inside a list: the list is empty (n_elems == 0) -> one level entry. */
static void put_empty_list_leaf(column_t *c) { must(col_level(c, 0, 0)); }

/* One traces row; shapes vary with the seed: 0-2 events with 0-2 attributes each, 0-1 links,
 * 0-3 span attributes, empty strings now and then. */
static void trace_row(table_batch_t *b, int seed)
{
    column_t *c = b->cols;
    char s[64];
    must(col_i64(&c[TRACES_TIMESTAMP], 1700000000000000LL + seed * 7919LL));
    snprintf(s, sizeof s, "%032x", seed);
    put_str(&c[TRACES_TRACE_ID], s);
    snprintf(s, sizeof s, "%016x", seed * 3);
    put_str(&c[TRACES_SPAN_ID], s);
    put_str(&c[TRACES_PARENT_SPAN_ID], seed % 2 ? "" : "00000000000000aa");
    put_str(&c[TRACES_TRACE_STATE], seed % 5 ? "" : "vendor=x");
    snprintf(s, sizeof s, "span-%d", seed);
    put_str(&c[TRACES_SPAN_NAME], s);
    put_str(&c[TRACES_SPAN_KIND], seed % 2 ? "Server" : "Client");
    snprintf(s, sizeof s, "svc%d", seed % 3);
    put_str(&c[TRACES_SERVICE_NAME], s);
    put_map(&c[TRACES_RESOURCE_ATTRS_KEY], &c[TRACES_RESOURCE_ATTRS_VAL], 0, seed % 3, 2);
    put_str(&c[TRACES_RESOURCE_SCHEMA_URL], "");
    put_str(&c[TRACES_SCOPE_NAME], "scope");
    put_str(&c[TRACES_SCOPE_VERSION], seed % 4 ? "1.0" : "");
    put_map(&c[TRACES_SCOPE_ATTRS_KEY], &c[TRACES_SCOPE_ATTRS_VAL], 0, seed, seed % 2);
    put_map(&c[TRACES_SPAN_ATTRS_KEY], &c[TRACES_SPAN_ATTRS_VAL], 0, seed, seed % 4);
    must(col_i64(&c[TRACES_DURATION], seed * 1000LL));
    put_str(&c[TRACES_STATUS_CODE], "Unset");
    put_str(&c[TRACES_STATUS_MESSAGE], seed % 3 ? "" : "boom");

    int nev = seed % 3;
    if (nev == 0) {
        put_empty_list_leaf(&c[TRACES_EVENTS_TIMESTAMP]);
        put_empty_list_leaf(&c[TRACES_EVENTS_NAME]);
        put_empty_list_leaf(&c[TRACES_EVENTS_ATTRS_KEY]);
        put_empty_list_leaf(&c[TRACES_EVENTS_ATTRS_VAL]);
    }
    for (int j = 0; j < nev; j++) {
        uint8_t rep = j == 0 ? 0 : 1;
        column_t *ts = &c[TRACES_EVENTS_TIMESTAMP], *nm = &c[TRACES_EVENTS_NAME];
        must(col_i64_at(ts, rep, ts->leaf->max_def, seed * 100LL + j));
        snprintf(s, sizeof s, "ev%d.%d", seed, j);
        must(col_str_at(nm, rep, nm->leaf->max_def, s, strlen(s)));
        put_map(&c[TRACES_EVENTS_ATTRS_KEY], &c[TRACES_EVENTS_ATTRS_VAL], rep, seed + j, (seed + j) % 3);
    }
    int nlinks = (seed / 2) % 2;
    if (nlinks == 0) {
        put_empty_list_leaf(&c[TRACES_LINKS_TRACE_ID]);
        put_empty_list_leaf(&c[TRACES_LINKS_SPAN_ID]);
        put_empty_list_leaf(&c[TRACES_LINKS_TRACE_STATE]);
        put_empty_list_leaf(&c[TRACES_LINKS_ATTRS_KEY]);
        put_empty_list_leaf(&c[TRACES_LINKS_ATTRS_VAL]);
    } else {
        column_t *t = &c[TRACES_LINKS_TRACE_ID], *sp = &c[TRACES_LINKS_SPAN_ID], *st = &c[TRACES_LINKS_TRACE_STATE];
        must(col_str_at(t, 0, t->leaf->max_def, "ffff", 4));
        must(col_str_at(sp, 0, sp->leaf->max_def, "", 0));
        must(col_str_at(st, 0, st->leaf->max_def, "a=b", 3));
        put_map(&c[TRACES_LINKS_ATTRS_KEY], &c[TRACES_LINKS_ATTRS_VAL], 0, seed, 1 + seed % 2);
    }
    b->nrows++;
}

/* One logs row: Body null for every fourth seed, maps of various sizes. */
static void log_row(table_batch_t *b, int seed)
{
    column_t *c = b->cols;
    char s[64];
    must(col_i64(&c[LOGS_TIMESTAMP], 1700000000000000LL + seed));
    must(col_i64(&c[LOGS_OBSERVED_TIMESTAMP], 1700000000000001LL + seed));
    put_str(&c[LOGS_TRACE_ID], seed % 2 ? "" : "0102030405060708090a0b0c0d0e0f10");
    put_str(&c[LOGS_SPAN_ID], "");
    must(col_i32(&c[LOGS_TRACE_FLAGS], seed));
    put_str(&c[LOGS_SEVERITY_TEXT], "INFO");
    must(col_i32(&c[LOGS_SEVERITY_NUMBER], seed % 24));
    if (seed % 4 == 0)
        must(col_null(&c[LOGS_BODY]));
    else {
        snprintf(s, sizeof s, "body %d", seed);
        put_str(&c[LOGS_BODY], s);
    }
    put_str(&c[LOGS_EVENT_NAME], "");
    snprintf(s, sizeof s, "svc%d", seed % 2);
    put_str(&c[LOGS_SERVICE_NAME], s);
    put_map(&c[LOGS_RESOURCE_ATTRS_KEY], &c[LOGS_RESOURCE_ATTRS_VAL], 0, seed % 2, 1);
    put_str(&c[LOGS_RESOURCE_SCHEMA_URL], "");
    put_str(&c[LOGS_SCOPE_NAME], "s");
    put_str(&c[LOGS_SCOPE_VERSION], "");
    put_map(&c[LOGS_SCOPE_ATTRS_KEY], &c[LOGS_SCOPE_ATTRS_VAL], 0, seed, 0);
    put_str(&c[LOGS_SCOPE_SCHEMA_URL], "");
    put_map(&c[LOGS_LOG_ATTRS_KEY], &c[LOGS_LOG_ATTRS_VAL], 0, seed, seed % 5);
    b->nrows++;
}

typedef void (*row_fn)(table_batch_t *, int);

static void build(table_batch_t *b, const table_schema_t *t, row_fn fn, const int *seeds, int n)
{
    batch_init(b, t);
    for (int i = 0; i < n; i++)
        fn(b, seeds[i]);
}

static int same_buf(const buf_t *a, const buf_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Every leaf, every buffer; names the first leaf that differs. */
static int same_batch(const table_batch_t *a, const table_batch_t *b)
{
    if (a->nrows != b->nrows) {
        printf("    nrows %u, want %u\n", a->nrows, b->nrows);
        return 0;
    }
    for (int i = 0; i < a->schema->nleaves; i++) {
        const column_t *x = &a->cols[i], *y = &b->cols[i];
        const char *what = NULL;
        if (x->nlevels != y->nlevels)
            what = "nlevels";
        else if (x->nvals != y->nvals)
            what = "nvals";
        else if (!same_buf(&x->def, &y->def))
            what = "def";
        else if (!same_buf(&x->rep, &y->rep))
            what = "rep";
        else if (!same_buf(&x->vals, &y->vals))
            what = "vals";
        else if (!same_buf(&x->offs, &y->offs))
            what = "offs";
        if (what) {
            const schema_leaf_t *l = x->leaf;
            printf("    leaf %d (%s", i, l->path[0]);
            for (int d = 1; d < l->depth; d++)
                printf(".%s", l->path[d]);
            printf("): %s differs\n", what);
            return 0;
        }
    }
    return 1;
}

/* --- tests ---------------------------------------------------------------------------------- */

TEST(traces_selected_rows_into_a_nonempty_batch)
{
    CHECK_EQ_INT(tables_init(), 0);
    int src_seeds[12];
    for (int i = 0; i < 12; i++)
        src_seeds[i] = i;
    table_batch_t src, dst, want;
    build(&src, &table_traces, trace_row, src_seeds, 12);
    /* dst already holds rows; the selection has runs (2,3,4 and 9,10,11), a lone row, repeats,
     * and goes backwards */
    int pre[] = {100, 101};
    build(&dst, &table_traces, trace_row, pre, 2);
    uint32_t rows[] = {7, 2, 3, 4, 9, 10, 11, 0, 0, 5};
    int want_seeds[] = {100, 101, 7, 2, 3, 4, 9, 10, 11, 0, 0, 5};
    build(&want, &table_traces, trace_row, want_seeds, 12);
    CHECK_EQ_INT(batch_append_rows(&dst, &src, rows, 10), 0);
    CHECK(same_batch(&dst, &want));
    CHECK(batch_alloc_bytes(&dst) >= batch_bytes(&dst));
    batch_free(&src);
    batch_free(&dst);
    batch_free(&want);
}

TEST(traces_whole_batch_twice)
{
    CHECK_EQ_INT(tables_init(), 0);
    int seeds[30], twice[60];
    for (int i = 0; i < 30; i++)
        seeds[i] = twice[i] = twice[30 + i] = i * 7 % 31;
    table_batch_t src, dst, want;
    build(&src, &table_traces, trace_row, seeds, 30);
    batch_init(&dst, &table_traces);
    build(&want, &table_traces, trace_row, twice, 60);
    CHECK_EQ_INT(batch_append_rows(&dst, &src, NULL, 30), 0);
    CHECK_EQ_INT(batch_append_rows(&dst, &src, NULL, 30), 0);
    CHECK(same_batch(&dst, &want));
    batch_free(&src);
    batch_free(&dst);
    batch_free(&want);
}

TEST(logs_maps_and_null_bodies_through_one_index)
{
    CHECK_EQ_INT(tables_init(), 0);
    int seeds[20];
    for (int i = 0; i < 20; i++)
        seeds[i] = i;
    table_batch_t src, a, b, want_a, want_b;
    build(&src, &table_logs, log_row, seeds, 20);
    /* one index, two destinations, as the partition buffers use it */
    batch_row_index_t ix;
    CHECK_EQ_INT(batch_row_index_build(&src, &ix), 0);
    uint32_t even[10], odd[10];
    int even_s[10], odd_s[10];
    for (int i = 0; i < 10; i++) {
        even[i] = (uint32_t)(2 * i);
        odd[i] = (uint32_t)(2 * i + 1);
        even_s[i] = 2 * i;
        odd_s[i] = 2 * i + 1;
    }
    batch_init(&a, &table_logs);
    batch_init(&b, &table_logs);
    build(&want_a, &table_logs, log_row, even_s, 10);
    build(&want_b, &table_logs, log_row, odd_s, 10);
    CHECK_EQ_INT(batch_append_rows_ix(&a, &src, &ix, even, 10), 0);
    CHECK_EQ_INT(batch_append_rows_ix(&b, &src, &ix, odd, 10), 0);
    CHECK(same_batch(&a, &want_a));
    CHECK(same_batch(&b, &want_b));
    /* the values read back through the accessors too */
    uint32_t len;
    const uint8_t *svc = col_str_val(&b.cols[LOGS_SERVICE_NAME], 3, &len);
    CHECK_EQ_MEM(svc, len, "svc1", 4);
    CHECK_EQ_INT(col_i64_val(&a.cols[LOGS_TIMESTAMP], 4), 1700000000000000LL + 8);
    CHECK_EQ_INT(a.cols[LOGS_BODY].nvals, 5); /* seeds 0, 4, 8, 12, 16 have no body */
    batch_row_index_free(&ix);
    batch_free(&src);
    batch_free(&a);
    batch_free(&b);
    batch_free(&want_a);
    batch_free(&want_b);
}

TEST(only_empty_strings_and_null_values)
{
    /* a column whose selected rows have no values must stay as the appenders leave it */
    CHECK_EQ_INT(tables_init(), 0);
    int seeds[] = {0, 4, 8}; /* bodies null */
    table_batch_t src, dst, want;
    build(&src, &table_logs, log_row, seeds, 3);
    batch_init(&dst, &table_logs);
    build(&want, &table_logs, log_row, seeds, 3);
    CHECK_EQ_INT(batch_append_rows(&dst, &src, NULL, 3), 0);
    CHECK(same_batch(&dst, &want));
    CHECK_EQ_INT(dst.cols[LOGS_BODY].offs.len, 0);
    CHECK_EQ_INT(dst.cols[LOGS_SPAN_ID].vals.len, 0);
    CHECK_EQ_INT(dst.cols[LOGS_SPAN_ID].nvals, 3);
    batch_free(&src);
    batch_free(&dst);
    batch_free(&want);
}

TEST(bad_arguments_change_nothing)
{
    CHECK_EQ_INT(tables_init(), 0);
    int seeds[] = {1, 2, 3};
    table_batch_t src, dst, want, other;
    build(&src, &table_logs, log_row, seeds, 3);
    build(&dst, &table_logs, log_row, seeds, 2);
    build(&want, &table_logs, log_row, seeds, 2);
    uint32_t bad[] = {0, 3};
    CHECK_EQ_INT(batch_append_rows(&dst, &src, bad, 2), -1); /* row 3 does not exist */
    CHECK(same_batch(&dst, &want));
    CHECK_EQ_INT(batch_append_rows(&dst, &src, NULL, 4), -1);
    CHECK(same_batch(&dst, &want));
    batch_init(&other, &table_traces);
    CHECK_EQ_INT(batch_append_rows(&other, &src, NULL, 1), -1); /* another schema */
    CHECK_EQ_INT(other.nrows, 0);
    CHECK_EQ_INT(batch_append_rows(&dst, &src, bad, 0), 0); /* nothing to do */
    CHECK(same_batch(&dst, &want));
    batch_free(&src);
    batch_free(&dst);
    batch_free(&want);
    batch_free(&other);
}

RUN_TESTS(T(traces_selected_rows_into_a_nonempty_batch), T(traces_whole_batch_twice),
          T(logs_maps_and_null_bodies_through_one_index), T(only_empty_strings_and_null_values),
          T(bad_arguments_change_nothing))
