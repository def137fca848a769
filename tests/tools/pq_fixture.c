/* pq_fixture CASE OUTFILE [options]: writes a Parquet file of deterministic, formula-generated
 * rows for the end-to-end tests (tests/e2e/test_parquet_writer.py computes the same formulas
 * and compares every value), then prints the writer's statistics as one JSON object.
 *
 * Cases on the logs table: one_row, million_rows, big_string, all_null, maps, high_cardinality
 * (400k rows, 200k distinct bodies: the dictionary fills and falls back to PLAIN),
 * codec_zstd, codec_snappy, codec_none. On a schema of its own (lists of structs with optional
 * fields and a map inside, an optional list, a struct, optional fields at every level): nested.
 * Options: --rows N, --codec zstd|snappy|none, --zstd-level N, --row-group-bytes N,
 * --page-bytes N, --dict-max-bytes N. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parquet/writer.h"
#include "table/column.h"
#include "table/tables.h"

static const char *const severities[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

static const schema_elem_t nested_elems[] = {
    S_I64("Id", 1),
    {"Tags", REP_OPTIONAL, PT_GROUP, LT_LIST, 1, 2},
    {"list", REP_REPEATED, PT_GROUP, LT_NONE, 1, -1},
    {"element", REP_OPTIONAL, PT_BYTE_ARRAY, LT_STRING, 0, 8},
    {"Items", REP_OPTIONAL, PT_GROUP, LT_LIST, 1, 3},
    {"list", REP_REPEATED, PT_GROUP, LT_NONE, 1, -1},
    {"element", REP_OPTIONAL, PT_GROUP, LT_NONE, 6, 9},
    {"Name", REP_OPTIONAL, PT_BYTE_ARRAY, LT_STRING, 0, 10},
    {"Count", REP_OPTIONAL, PT_INT32, LT_INT32, 0, 11},
    {"Score", REP_OPTIONAL, PT_DOUBLE, LT_NONE, 0, 12},
    {"Flag", REP_OPTIONAL, PT_BOOLEAN, LT_NONE, 0, 13},
    {"Attrs", REP_OPTIONAL, PT_GROUP, LT_MAP, 1, 14},
    {"key_value", REP_REPEATED, PT_GROUP, LT_NONE, 2, -1},
    {"key", REP_REQUIRED, PT_BYTE_ARRAY, LT_STRING, 0, 16},
    {"value", REP_OPTIONAL, PT_BYTE_ARRAY, LT_STRING, 0, 17},
    {"Stamp", REP_OPTIONAL, PT_INT64, LT_TIMESTAMP_US, 0, 15},
    {"Point", REP_OPTIONAL, PT_GROUP, LT_NONE, 2, 4},
    {"X", REP_OPTIONAL, PT_DOUBLE, LT_NONE, 0, 18},
    {"Y", REP_REQUIRED, PT_INT64, LT_INT64, 0, 19},
    {"Weight", REP_OPTIONAL, PT_DOUBLE, LT_NONE, 0, 5},
    {"Flag", REP_REQUIRED, PT_BOOLEAN, LT_NONE, 0, 6},
    {"Nums", REP_REQUIRED, PT_GROUP, LT_LIST, 1, 7},
    {"list", REP_REPEATED, PT_GROUP, LT_NONE, 1, -1},
    {"element", REP_REQUIRED, PT_INT64, LT_INT64, 0, 20},
};

static table_schema_t nested_schema = {
    .name = "nested",
    .elems = nested_elems,
    .nelems = sizeof nested_elems / sizeof nested_elems[0],
    .ntop = 7,
    .last_field_id = 20,
};

enum { N_ID, N_TAG, N_NAME, N_COUNT, N_SCORE, N_IFLAG, N_AKEY, N_AVAL, N_STAMP, N_X, N_Y, N_WEIGHT, N_FLAG, N_NUMS, N_NLEAVES };

static void die(const char *what)
{
    fprintf(stderr, "pq_fixture: %s\n", what);
    exit(1);
}

#define OK(expr)                                                                               \
    do {                                                                                       \
        if (expr)                                                                              \
            die("out of memory building the batch: " #expr);                                   \
    } while (0)

static int put_str(column_t *c, const char *s) { return col_str(c, s, strlen(s)); }

typedef enum { LOGS_PLAIN, LOGS_ALL_NULL, LOGS_MAPS, LOGS_BIG, LOGS_HIGH } logs_variant_t;

/* The formulas of one logs row; test_parquet_writer.py has the same. */
static void logs_row(table_batch_t *b, uint32_t i, logs_variant_t variant, char *big1, size_t big1_len,
                     char *big2, size_t big2_len)
{
    column_t *c = b->cols;
    char tmp[128], svc[32], host[32];
    uint64_t u = i;
    OK(col_i64(&c[LOGS_TIMESTAMP], 1700000000000000LL + (int64_t)u * 1000));
    OK(col_i64(&c[LOGS_OBSERVED_TIMESTAMP], 1700000000000000LL + (int64_t)u * 1000 + (int64_t)(u % 7)));
    if (i % 13 == 5) {
        OK(put_str(&c[LOGS_TRACE_ID], ""));
        OK(put_str(&c[LOGS_SPAN_ID], ""));
    } else {
        snprintf(tmp, sizeof tmp, "%016" PRIx64 "%016" PRIx64, (uint64_t)(u * 0x9E3779B97F4A7C15ULL), (uint64_t)(u ^ 0xDEADBEEFULL));
        OK(put_str(&c[LOGS_TRACE_ID], tmp));
        snprintf(tmp, sizeof tmp, "%016" PRIx64, (uint64_t)(u * 0xBF58476D1CE4E5B9ULL));
        OK(put_str(&c[LOGS_SPAN_ID], tmp));
    }
    OK(col_i32(&c[LOGS_TRACE_FLAGS], (int32_t)(i % 2)));
    OK(put_str(&c[LOGS_SEVERITY_TEXT], severities[i % 6]));
    OK(col_i32(&c[LOGS_SEVERITY_NUMBER], (int32_t)(i % 6) * 4 + 1));
    if (variant == LOGS_ALL_NULL || (variant != LOGS_BIG && i % 10 == 3))
        OK(col_null(&c[LOGS_BODY]));
    else if (variant == LOGS_BIG) {
        switch (i % 4) {
        case 0: OK(put_str(&c[LOGS_BODY], "small body")); break;
        case 1: OK(col_str(&c[LOGS_BODY], big1, big1_len)); break;
        case 2: OK(col_null(&c[LOGS_BODY])); break;
        default: OK(col_str(&c[LOGS_BODY], big2, big2_len)); break;
        }
    } else {
        /* high_cardinality: each body twice in a row, so the dictionary pays off at first and
         * then outgrows its limit */
        snprintf(tmp, sizeof tmp, "log message %u \xc3\xbc ok", variant == LOGS_HIGH ? i / 2 : i);
        OK(put_str(&c[LOGS_BODY], tmp));
    }
    if (i % 5)
        OK(put_str(&c[LOGS_EVENT_NAME], ""));
    else {
        snprintf(tmp, sizeof tmp, "event.%u", i % 3);
        OK(put_str(&c[LOGS_EVENT_NAME], tmp));
    }
    snprintf(svc, sizeof svc, "service-%u", i % 4);
    OK(put_str(&c[LOGS_SERVICE_NAME], svc));
    snprintf(host, sizeof host, "host-%u", i % 16);
    kv_t res[2] = {{"service.name", 12, svc, (uint32_t)strlen(svc)}, {"host.name", 9, host, (uint32_t)strlen(host)}};
    OK(col_map_put(&c[LOGS_RESOURCE_ATTRS_KEY], &c[LOGS_RESOURCE_ATTRS_VAL], 0, res, 2));
    OK(put_str(&c[LOGS_RESOURCE_SCHEMA_URL], "https://opentelemetry.io/schemas/1.21.0"));
    snprintf(tmp, sizeof tmp, "scope.%u", i % 2);
    OK(put_str(&c[LOGS_SCOPE_NAME], tmp));
    snprintf(tmp, sizeof tmp, "1.0.%u", i % 3);
    OK(put_str(&c[LOGS_SCOPE_VERSION], tmp));
    kv_t sc[1] = {{"scope.attr", 10, "x", 1}};
    OK(col_map_put(&c[LOGS_SCOPE_ATTRS_KEY], &c[LOGS_SCOPE_ATTRS_VAL], 0, sc, i % 2 ? 0 : 1));
    OK(put_str(&c[LOGS_SCOPE_SCHEMA_URL], ""));

    static kv_t kv[1000];
    static char keys[1000][16], vals[1000][32];
    uint32_t n = variant == LOGS_MAPS ? (i % 2 ? 1000 : 0) : i % 4;
    for (uint32_t k = 0; k < n; k++) {
        int null;
        if (variant == LOGS_MAPS) {
            snprintf(keys[k], sizeof keys[k], "key.%04u", k);
            null = k % 7 == 3;
            snprintf(vals[k], sizeof vals[k], "v%u.%u", i, k);
        } else {
            snprintf(keys[k], sizeof keys[k], "attr.%u", k);
            null = (i + k) % 5 == 0;
            snprintf(vals[k], sizeof vals[k], "val-%u-%u", i, k);
        }
        kv[k] = (kv_t){keys[k], (uint32_t)strlen(keys[k]), null ? NULL : vals[k], null ? 0 : (uint32_t)strlen(vals[k])};
    }
    OK(col_map_put(&c[LOGS_LOG_ATTRS_KEY], &c[LOGS_LOG_ATTRS_VAL], 0, kv, n));
    b->nrows++;
}

/* The nested schema, shredded by hand: every leaf gets its (repetition, definition) entries. */
static void nested_row(table_batch_t *b, uint32_t i)
{
    column_t *c = b->cols;
    char tmp[64];
    OK(col_i64(&c[N_ID], (int64_t)i * 2 - 1000));

    if (i % 5 == 0)
        OK(col_level(&c[N_TAG], 0, 0));
    else if (i % 4 == 0)
        OK(col_level(&c[N_TAG], 0, 1));
    else
        for (uint32_t j = 0; j < i % 4; j++) {
            uint8_t rep = j ? 1 : 0;
            if ((i + j) % 3 == 0)
                OK(col_level(&c[N_TAG], rep, 2));
            else {
                snprintf(tmp, sizeof tmp, "t%u.%u", i, j);
                OK(col_str_at(&c[N_TAG], rep, 3, tmp, strlen(tmp)));
            }
        }

    static const int item_leaves[] = {N_NAME, N_COUNT, N_SCORE, N_IFLAG, N_AKEY, N_AVAL, N_STAMP};
    if (i % 7 <= 1) { /* null list, empty list */
        for (size_t l = 0; l < sizeof item_leaves / sizeof item_leaves[0]; l++)
            OK(col_level(&c[item_leaves[l]], 0, (uint8_t)(i % 7)));
    } else {
        for (uint32_t k = 0; k < i % 3 + 1; k++) {
            uint8_t rep = k ? 1 : 0;
            uint32_t x = i + k;
            if (x % 5 == 0) {
                for (size_t l = 0; l < sizeof item_leaves / sizeof item_leaves[0]; l++)
                    OK(col_level(&c[item_leaves[l]], rep, 2));
                continue;
            }
            if (x % 4 == 0)
                OK(col_level(&c[N_NAME], rep, 3));
            else {
                snprintf(tmp, sizeof tmp, "n%u.%u", i, k);
                OK(col_str_at(&c[N_NAME], rep, 4, tmp, strlen(tmp)));
            }
            if (x % 6 == 0)
                OK(col_level(&c[N_COUNT], rep, 3));
            else
                OK(col_i32_at(&c[N_COUNT], rep, 4, (int32_t)(i * 10 + k) - 5000));
            if (x % 9 == 0)
                OK(col_level(&c[N_SCORE], rep, 3));
            else
                /* zero only as -0.0: the max must still be written +0.0 */
                OK(col_f64_at(&c[N_SCORE], rep, 4, x % 11 == 0 ? NAN : x % 7 == 0 ? -0.0 : -(double)(x % 7) * 0.25));
            if (x % 3 == 1)
                OK(col_level(&c[N_IFLAG], rep, 3));
            else
                OK(col_bool_at(&c[N_IFLAG], rep, 4, x % 2 == 0));
            if (x % 4 == 1) {
                OK(col_level(&c[N_AKEY], rep, 3));
                OK(col_level(&c[N_AVAL], rep, 3));
            } else {
                kv_t kv[3];
                char keys[3][8], vals[3][48];
                uint32_t m = x % 4 == 2 ? 0 : x % 3 + 1;
                for (uint32_t j = 0; j < m; j++) {
                    snprintf(keys[j], sizeof keys[j], "a%u", j);
                    snprintf(vals[j], sizeof vals[j], "v%u.%u.%u", i, k, j);
                    kv[j] = (kv_t){keys[j], (uint32_t)strlen(keys[j]), j == 1 ? NULL : vals[j],
                                   j == 1 ? 0 : (uint32_t)strlen(vals[j])};
                }
                OK(col_map_put(&c[N_AKEY], &c[N_AVAL], rep, kv, m));
            }
            if (x % 2 == 1)
                OK(col_level(&c[N_STAMP], rep, 3));
            else
                OK(col_i64_at(&c[N_STAMP], rep, 4, 1700000000000000LL + (int64_t)i * 1000 + k));
        }
    }

    if (i % 6 == 0) {
        OK(col_level(&c[N_X], 0, 0));
        OK(col_level(&c[N_Y], 0, 0));
    } else {
        if (i % 4 == 0)
            OK(col_level(&c[N_X], 0, 1));
        else
            OK(col_f64_at(&c[N_X], 0, 2, i % 4 == 1 ? 0.0 : i * 0.5)); /* min +0.0, written -0.0 */
        OK(col_i64_at(&c[N_Y], 0, 1, (int64_t)i * 3));
    }

    double w = 0;
    switch (i % 8) {
    case 0: break;
    case 1: w = NAN; break;
    case 2: w = -0.0; break;
    case 3: w = 0.0; break;
    case 4: w = i * 1.25; break;
    case 5: w = -(double)i * 2.5; break;
    case 6: w = i % 16 == 6 ? INFINITY : 1e300; break;
    default: w = i % 16 == 7 ? -INFINITY : (double)i; break;
    }
    OK(i % 8 == 0 ? col_null(&c[N_WEIGHT]) : col_f64(&c[N_WEIGHT], w));
    OK(col_bool(&c[N_FLAG], i % 3 == 0));
    if (i % 4 == 0)
        OK(col_level(&c[N_NUMS], 0, 0));
    for (uint32_t j = 0; j < i % 4; j++)
        OK(col_i64_at(&c[N_NUMS], j ? 1 : 0, 1, (int64_t)i * 100 + j));
    b->nrows++;
}

static void print_hex(const buf_t *b, size_t from, size_t n)
{
    for (size_t k = 0; k < n; k++)
        printf("%02x", b->data[from + k]);
}

static void print_bound(const char *name, const buf_t *b)
{
    printf("\"%s_len\":%zu,", name, b->len);
    if (b->len <= 4096) {
        printf("\"%s_hex\":\"", name);
        print_hex(b, 0, b->len);
        printf("\",");
    } else {
        printf("\"%s_head\":\"", name);
        print_hex(b, 0, 64);
        printf("\",\"%s_tail\":\"", name);
        print_hex(b, b->len - 64, 64);
        printf("\",");
    }
}

static void print_stats(const table_schema_t *s, const pq_file_stats_t *st)
{
    printf("{\"num_rows\":%" PRIu64 ",\"file_bytes\":%" PRIu64 ",\"nrow_groups\":%u,\"row_group_offsets\":[",
           st->num_rows, st->file_bytes, st->nrow_groups);
    for (uint32_t g = 0; g < st->nrow_groups; g++)
        printf("%s%" PRIu64, g ? "," : "", st->row_group_offsets[g]);
    printf("],\"columns\":[");
    for (int c = 0; c < st->ncols; c++) {
        const pq_column_stats_t *cs = &st->cols[c];
        printf("%s{\"path\":\"", c ? "," : "");
        for (int k = 0; k < s->leaves[c].depth; k++)
            printf("%s%s", k ? "." : "", s->leaves[c].path[k]);
        printf("\",");
        if (cs->has_bounds) {
            print_bound("min", &cs->min);
            print_bound("max", &cs->max);
        }
        printf("\"field_id\":%d,\"compressed_bytes\":%" PRIu64 ",\"value_count\":%" PRIu64
               ",\"null_count\":%" PRIu64 ",\"nan_count\":%" PRIu64 ",\"has_bounds\":%s}",
               cs->field_id, cs->compressed_bytes, cs->value_count, cs->null_count, cs->nan_count,
               cs->has_bounds ? "true" : "false");
    }
    printf("]}\n");
}

static size_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end)
        die("bad number");
    return (size_t)v;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pq_fixture CASE OUTFILE [--rows N] [--codec zstd|snappy|none] [--zstd-level N]\n"
                        "       [--row-group-bytes N] [--page-bytes N] [--dict-max-bytes N]\n");
        return 2;
    }
    const char *name = argv[1], *path = argv[2];
    if (tables_init() || schema_init(&nested_schema))
        die("schema init failed");
    pq_options_t o;
    pq_options_default(&o);
    const char *kv_keys[] = {"otlp2parquet.fixture"}, *kv_vals[] = {name};
    o.nkv = 1;
    o.kv_keys = kv_keys;
    o.kv_vals = kv_vals;

    long rows = -1;
    logs_variant_t variant = LOGS_PLAIN;
    const table_schema_t *schema = &table_logs;
    if (!strcmp(name, "one_row"))
        rows = 1;
    else if (!strcmp(name, "million_rows")) {
        rows = 1000000;
        o.row_group_bytes = 16u << 20;
    } else if (!strcmp(name, "big_string")) {
        rows = 4;
        variant = LOGS_BIG;
    } else if (!strcmp(name, "all_null")) {
        rows = 1000;
        variant = LOGS_ALL_NULL;
    } else if (!strcmp(name, "maps")) {
        rows = 10;
        variant = LOGS_MAPS;
    } else if (!strcmp(name, "high_cardinality")) {
        rows = 400000; /* 200k distinct bodies; every TraceId distinct */
        variant = LOGS_HIGH;
    } else if (!strcmp(name, "codec_zstd") || !strcmp(name, "codec_snappy") || !strcmp(name, "codec_none")) {
        rows = 5000;
        o.codec = name[6] == 'z' ? PQ_ZSTD : name[6] == 's' ? PQ_SNAPPY : PQ_UNCOMPRESSED;
    } else if (!strcmp(name, "nested")) {
        rows = 3000;
        schema = &nested_schema;
        o.page_bytes = 4096;
        o.row_group_bytes = 256u << 10;
    } else
        die("unknown case");

    for (int a = 3; a < argc; a++) {
        if (a + 1 >= argc)
            die("option without a value");
        const char *opt = argv[a], *val = argv[++a];
        if (!strcmp(opt, "--rows"))
            rows = (long)parse_size(val);
        else if (!strcmp(opt, "--codec"))
            o.codec = !strcmp(val, "zstd") ? PQ_ZSTD : !strcmp(val, "snappy") ? PQ_SNAPPY
                    : !strcmp(val, "none") ? PQ_UNCOMPRESSED : (die("bad codec"), PQ_ZSTD);
        else if (!strcmp(opt, "--zstd-level"))
            o.zstd_level = atoi(val);
        else if (!strcmp(opt, "--row-group-bytes"))
            o.row_group_bytes = parse_size(val);
        else if (!strcmp(opt, "--page-bytes"))
            o.page_bytes = parse_size(val);
        else if (!strcmp(opt, "--dict-max-bytes"))
            o.dict_max_bytes = parse_size(val);
        else
            die("unknown option");
    }

    char *big1 = NULL, *big2 = NULL;
    size_t big1_len = (size_t)2 << 20, big2_len = 1 + 2 * 200;
    if (variant == LOGS_BIG) {
        big1 = malloc(big1_len);
        big2 = malloc(big2_len);
        if (!big1 || !big2)
            die("out of memory");
        for (size_t k = 0; k < big1_len; k++)
            big1[k] = "xyz"[k % 3];
        big2[0] = 'a';
        for (size_t k = 0; k < 200; k++) {
            big2[1 + 2 * k] = (char)0xC3;
            big2[2 + 2 * k] = (char)0xA9;
        }
    }

    table_batch_t b;
    batch_init(&b, schema);
    for (long i = 0; i < rows; i++) {
        if (schema == &nested_schema)
            nested_row(&b, (uint32_t)i);
        else
            logs_row(&b, (uint32_t)i, variant, big1, big1_len, big2, big2_len);
    }

    buf_t out = {0};
    pq_file_stats_t st;
    err_t err = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (pq_write(&b, NULL, 0, &o, &out, &st, &err)) {
        fprintf(stderr, "pq_fixture: %s\n", err.msg);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "pq_fixture: %s: %ld rows, %zu bytes in %.3f s (%.0f rows/s)\n", name, rows, out.len, secs,
            secs > 0 ? (double)rows / secs : 0.0);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f))
        die("cannot write the output file");
    print_stats(schema, &st);
    pq_file_stats_free(&st);
    buf_free(&out);
    batch_free(&b);
    free(big1);
    free(big2);
    return 0;
}
