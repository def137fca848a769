/* Pending records: a data file encoded and decoded comes back equal in every field, and a
 * record read back is checked as hostile input (sizes, counts, types, each error naming the
 * field). Also: a data file owns its string partition values. */
#include "check.h"
#include "iceberg/manifest.h"
#include "iceberg/pending_record.h"
#include "table/tables.h"

/* A data file of every kind of value: null, long and string (NUL and non-ASCII inside)
 * partition values, columns with and without NaN counts and bounds, empty and full bounds. */
static void sample(ice_data_file_t *df)
{
    memset(df, 0, sizeof *df);
    df->file_path = strdup("s3://bucket/t/data/day=2024-03-05/ü 0190.parquet");
    df->file_size_in_bytes = 123456789012ULL;
    df->record_count = (uint64_t)INT64_MAX;
    df->npartition = 3;
    df->partition[0].is_null = 1;
    df->partition[1].l = -474895;
    static const char svc[] = "svc\0日本";
    df->partition[2].s = svc;
    df->partition[2].n = sizeof svc - 1;
    ice_partition_value_own(&df->partition[2]);
    df->ncols = 3;
    for (int c = 0; c < df->ncols; c++) {
        ice_column_metrics_t *m = &df->cols[c];
        m->field_id = 1 + c * 1000;
        m->column_size = 100 + (uint64_t)c;
        m->value_count = 10;
        m->null_count = (uint64_t)c;
    }
    df->cols[1].has_nan_count = 1;
    df->cols[1].nan_count = 3;
    df->cols[1].has_lower = df->cols[1].has_upper = 1;
    buf_put_u64le(&df->cols[1].lower, 0x8000000000000001ULL);
    buf_put_u64le(&df->cols[1].upper, 0x7ff0000000000000ULL);
    df->cols[2].has_lower = 1; /* an empty string lower bound, no upper bound */
    df->nsplit_offsets = 3;
    df->split_offsets = malloc(3 * sizeof *df->split_offsets);
    df->split_offsets[0] = 4;
    df->split_offsets[1] = 900;
    df->split_offsets[2] = INT64_MAX;
    df->sort_order_id = -1;
}

static int same_buf(const buf_t *a, const buf_t *b) { return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len)); }

TEST(round_trip_every_field)
{
    ice_data_file_t df, back;
    sample(&df);
    int64_t tried[3] = {INT64_MIN, 7, INT64_MAX}, got[4], floor;
    size_t ntried;
    buf_t js = {0};
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(ice_pending_encode(&df, 41, tried, 3, &js), 0);
    CHECK(js.len > 0 && js.len < ICE_PENDING_MAX_BYTES);
    CHECK_EQ_INT(ice_pending_decode(js.data, js.len, &back, &floor, got, 4, &ntried, &err), 0);
    CHECK_EQ_INT(floor, 41);
    CHECK_EQ_INT(ntried, 3);
    CHECK(got[0] == INT64_MIN && got[1] == 7 && got[2] == INT64_MAX);
    CHECK_EQ_STR(back.file_path, df.file_path);
    CHECK(back.file_size_in_bytes == df.file_size_in_bytes && back.record_count == df.record_count);
    CHECK_EQ_INT(back.npartition, 3);
    for (int i = 0; i < 3; i++) {
        const ice_partition_value_t *a = &df.partition[i], *b = &back.partition[i];
        CHECK(a->is_null == b->is_null && a->l == b->l && !a->s == !b->s && a->n == b->n);
        CHECK(!a->s || (!memcmp(a->s, b->s, a->n) && b->s == b->owned && b->owned[b->n] == 0));
    }
    CHECK_EQ_INT(back.ncols, df.ncols);
    for (int c = 0; c < df.ncols; c++) {
        const ice_column_metrics_t *a = &df.cols[c], *b = &back.cols[c];
        CHECK(a->field_id == b->field_id && a->column_size == b->column_size && a->value_count == b->value_count &&
              a->null_count == b->null_count && a->has_nan_count == b->has_nan_count && a->nan_count == b->nan_count);
        CHECK(a->has_lower == b->has_lower && a->has_upper == b->has_upper);
        CHECK(same_buf(&a->lower, &b->lower) && same_buf(&a->upper, &b->upper));
    }
    CHECK_EQ_INT(back.nsplit_offsets, 3);
    CHECK(!memcmp(back.split_offsets, df.split_offsets, 3 * sizeof *df.split_offsets));
    CHECK_EQ_INT(back.sort_order_id, -1);
    /* encoding what was decoded gives the same text */
    buf_t again = {0};
    CHECK_EQ_INT(ice_pending_encode(&back, 41, got, ntried, &again), 0);
    CHECK(same_buf(&js, &again));
    buf_free(&again);
    buf_free(&js);
    ice_data_file_free(&back);
    ice_data_file_free(&df);
}

TEST(data_file_owns_its_partition_strings)
{
    pq_file_stats_t st = {.num_rows = 1, .file_bytes = 10, .ncols = table_logs.nleaves};
    ice_partition_spec_t spec;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(ice_partition_spec_parse("ServiceName", &table_logs, &spec, &err), 0);
    char name[8] = "checkout";
    ice_partition_value_t pv = {.s = name, .n = 8};
    ice_data_file_t df;
    CHECK_EQ_INT(ice_data_file_from_stats(&df, &table_logs, &st, "file:/x.parquet", &spec, &pv, 0, &err), 0);
    memset(name, 'x', sizeof name);
    CHECK(df.partition[0].s != name && df.partition[0].s == df.partition[0].owned);
    CHECK_EQ_MEM(df.partition[0].s, df.partition[0].n, "checkout", 8);
    ice_data_file_free(&df);
}

/* decode must fail with code, the message naming what */
static int rejects(const char *text, size_t max_tried, err_code_t code, const char *what)
{
    ice_data_file_t df;
    int64_t floor, tried[4];
    size_t ntried;
    err_t err;
    err_clear(&err);
    int rc = ice_pending_decode((const uint8_t *)text, strlen(text), &df, &floor, tried, max_tried, &ntried, &err);
    ice_data_file_free(&df);
    if (rc != -1 || err.code != code || !strstr(err.msg, what)) {
        printf("    %s: rc %d code %d \"%s\", want \"%s\"\n", text, rc, err.code, err.msg, what);
        return 0;
    }
    return 1;
}

/* head, then n items separated by commas, then tail, NUL-terminated, into b (cleared first) */
static void many(buf_t *b, const char *head, const char *item, int n, const char *tail)
{
    buf_clear(b);
    buf_append_str(b, head);
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s%s", i ? "," : "", item);
    buf_append_str(b, tail);
    buf_append(b, "", 1);
}

#define HEAD "{\"version\":1,\"file-path\":\"s3://b/f.parquet\",\"file-size-in-bytes\":1,\"record-count\":1,"
#define TAIL "\"sort-order-id\":0,\"sequence-floor\":0,\"tried-snapshot-ids\":[]}"

TEST(hostile_records_rejected)
{
    /* the minimal record is fine */
    ice_data_file_t df;
    int64_t floor, tried[4];
    size_t ntried;
    err_t err;
    const char *ok = HEAD "\"partition\":[],\"columns\":[],\"split-offsets\":[]," TAIL;
    CHECK_EQ_INT(ice_pending_decode((const uint8_t *)ok, strlen(ok), &df, &floor, tried, 4, &ntried, &err), 0);
    CHECK(df.ncols == 0 && df.npartition == 0 && df.nsplit_offsets == 0 && ntried == 0);
    ice_data_file_free(&df);

    CHECK(rejects("", 4, ERR_INVALID, "not JSON"));
    CHECK(rejects("[1]", 4, ERR_INVALID, "not a JSON object"));
    CHECK(rejects("{\"version\":1,\"version\":1}", 4, ERR_INVALID, "not JSON"));
    CHECK(rejects("{\"version\":2}", 4, ERR_UNSUPPORTED, "version 2"));
    CHECK(rejects("{\"version\":\"1\"}", 4, ERR_INVALID, "\"version\" has the wrong type"));
    CHECK(rejects("{\"version\":1}", 4, ERR_INVALID, "\"file-path\" missing"));
    CHECK(rejects("{\"version\":1,\"file-path\":\"\"}", 4, ERR_INVALID, "\"file-path\""));
    CHECK(rejects("{\"version\":1,\"file-path\":\"a\\u0000b\"}", 4, ERR_INVALID, "\"file-path\""));
    CHECK(rejects(HEAD "\"partition\":[1,2,3,4,5],\"columns\":[],\"split-offsets\":[]," TAIL, 4, ERR_INVALID,
                  "\"partition\" has 5 items"));
    CHECK(rejects(HEAD "\"partition\":[1.5],\"columns\":[],\"split-offsets\":[]," TAIL, 4, ERR_INVALID, "partition[0]"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[{}],\"split-offsets\":[]," TAIL, 4, ERR_INVALID,
                  "columns[0].\"field-id\" missing"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[{\"field-id\":1,\"column-size\":-1}],\"split-offsets\":[]," TAIL,
                  4, ERR_INVALID, "columns[0].\"column-size\" out of range"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[{\"field-id\":1,\"column-size\":1,\"value-count\":1,"
                       "\"null-count\":0,\"lower-bound\":\"a\"}],\"split-offsets\":[]," TAIL,
                  4, ERR_INVALID, "columns[0].\"lower-bound\" is not base64"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[{\"field-id\":1,\"column-size\":1,\"value-count\":1,"
                       "\"null-count\":0,\"upper-bound\":7}],\"split-offsets\":[]," TAIL,
                  4, ERR_INVALID, "columns[0].\"upper-bound\" has the wrong type"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[],\"split-offsets\":[-1]," TAIL, 4, ERR_INVALID, "split-offsets[0]"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[],\"split-offsets\":{}," TAIL, 4, ERR_INVALID,
                  "\"split-offsets\" has the wrong type"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[],\"split-offsets\":[],\"sort-order-id\":4294967296,"
                       "\"sequence-floor\":0,\"tried-snapshot-ids\":[]}",
                  4, ERR_INVALID, "\"sort-order-id\" out of range"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[],\"split-offsets\":[],\"sort-order-id\":0,"
                       "\"sequence-floor\":0,\"tried-snapshot-ids\":[1,2,3]}",
                  2, ERR_INVALID, "\"tried-snapshot-ids\" has 3 items, at most 2"));
    CHECK(rejects(HEAD "\"partition\":[],\"columns\":[],\"split-offsets\":[],\"sort-order-id\":0,"
                       "\"sequence-floor\":0,\"tried-snapshot-ids\":[\"1\"]}",
                  2, ERR_INVALID, "tried-snapshot-ids[0]"));

    /* more columns than a schema has leaves, more split offsets than a file has row groups */
    buf_t b = {0};
    many(&b, HEAD "\"partition\":[],\"columns\":[", "{}", SCHEMA_MAX_LEAVES + 1, "],\"split-offsets\":[]," TAIL);
    CHECK(rejects((const char *)b.data, 4, ERR_INVALID, "\"columns\" has"));
    many(&b, HEAD "\"partition\":[],\"columns\":[],\"split-offsets\":[", "1", ICE_PENDING_MAX_SPLIT_OFFSETS + 1,
         "]," TAIL);
    CHECK(rejects((const char *)b.data, 4, ERR_INVALID, "\"split-offsets\" has 10001 items"));
    /* too large, whatever it holds */
    buf_clear(&b);
    buf_append_str(&b, "{\"version\":1,\"x\":\"");
    while (b.len <= ICE_PENDING_MAX_BYTES)
        buf_append_str(&b, "xxxxxxxxxxxxxxxx");
    buf_append_str(&b, "\"}");
    buf_append(&b, "", 1);
    CHECK(rejects((const char *)b.data, 4, ERR_TOO_LARGE, "at most"));
    buf_free(&b);
}

TEST(unrepresentable_values_not_encoded)
{
    ice_data_file_t df;
    sample(&df);
    buf_t js = {0};
    buf_append_str(&js, "kept");
    df.cols[0].value_count = (uint64_t)INT64_MAX + 1;
    CHECK_EQ_INT(ice_pending_encode(&df, 0, NULL, 0, &js), -1);
    CHECK_EQ_INT(js.len, 4);
    df.cols[0].value_count = 1;
    df.partition[2].owned[0] = (char)0xff; /* not UTF-8 */
    CHECK_EQ_INT(ice_pending_encode(&df, 0, NULL, 0, &js), -1);
    CHECK_EQ_INT(js.len, 4);
    buf_free(&js);
    ice_data_file_free(&df);
}

RUN_TESTS(T(round_trip_every_field), T(data_file_owns_its_partition_strings), T(hostile_records_rejected),
          T(unrepresentable_values_not_encoded))
