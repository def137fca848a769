/* Iceberg manifests: partition transforms, bound serialization and truncation, and a manifest
 * and manifest list written and read back through our Avro reader. */
#include <stdio.h>
#include <string.h>

#include "avro/avro_read.h"
#include "check.h"
#include "iceberg/manifest.h"
#include "table/tables.h"
#include "util/civil_time.h"

TEST(transforms)
{
    /* 2024-03-05T07:08:09.123456Z */
    int64_t us = 1709622489123456LL;
    CHECK_EQ_INT(ice_transform_timestamp(ICE_IDENTITY, us), us);
    CHECK_EQ_INT(ice_transform_timestamp(ICE_HOUR, us), 474895);
    CHECK_EQ_INT(ice_transform_timestamp(ICE_DAY, us), 19787);
    CHECK_EQ_INT(ice_transform_timestamp(ICE_MONTH, us), 54 * 12 + 2);
    CHECK_EQ_INT(ice_transform_timestamp(ICE_YEAR, us), 54);
    /* before the epoch the transforms floor: 1969-12-31T23:59:59.999999Z */
    CHECK_EQ_INT(ice_transform_timestamp(ICE_HOUR, -1), -1);
    CHECK_EQ_INT(ice_transform_timestamp(ICE_DAY, -1), -1);
    CHECK_EQ_INT(ice_transform_timestamp(ICE_MONTH, -1), -1);
    CHECK_EQ_INT(ice_transform_timestamp(ICE_YEAR, -1), -1);
    CHECK_EQ_INT(ice_transform_timestamp(ICE_DAY, 86400000000LL), 1);
}

TEST(spec_parse)
{
    CHECK(tables_init() == 0);
    ice_partition_spec_t s;
    err_t err;
    CHECK(ice_partition_spec_parse("day(Timestamp), ServiceName", &table_logs, &s, &err) == 0);
    CHECK_EQ_INT(s.nfields, 2);
    CHECK_EQ_STR(s.fields[0].name, "Timestamp_day");
    CHECK_EQ_INT(s.fields[0].field_id, 1000);
    CHECK_EQ_INT(s.fields[0].source_id, 1);
    CHECK_EQ_STR(s.fields[1].name, "ServiceName");
    CHECK_EQ_INT(s.fields[1].field_id, 1001);
    buf_t j = {0};
    CHECK(ice_partition_spec_fields_json(&s, &j) == 0 && buf_put_u8(&j, 0) == 0);
    CHECK_EQ_STR((char *)j.data, "[{\"name\":\"Timestamp_day\",\"transform\":\"day\",\"source-id\":1,\"field-id\":1000},"
                                 "{\"name\":\"ServiceName\",\"transform\":\"identity\",\"source-id\":10,\"field-id\":1001}]");
    buf_free(&j);
    CHECK(ice_partition_spec_parse("bucket(Timestamp)", &table_logs, &s, &err) == -1);
    CHECK(ice_partition_spec_parse("day(ServiceName)", &table_logs, &s, &err) == -1);
    CHECK(ice_partition_spec_parse("day(Nope)", &table_logs, &s, &err) == -1);
}

/* The partition path of vals under spec text, as a C string in out (cap bytes). */
static const char *path_of(const char *spec_text, const ice_partition_value_t *vals, char *out, size_t cap)
{
    ice_partition_spec_t spec;
    err_t err;
    buf_t b = {0};
    snprintf(out, cap, "<error>");
    if (ice_partition_spec_parse(spec_text, &table_logs, &spec, &err) == 0 && ice_partition_path(&spec, vals, &b) == 0)
        snprintf(out, cap, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    buf_free(&b);
    return out;
}

static ice_partition_value_t pv_long(int64_t l) { return (ice_partition_value_t){.l = l}; }
static ice_partition_value_t pv_str(const char *s) { return (ice_partition_value_t){.s = s, .n = strlen(s)}; }
static const ice_partition_value_t pv_null = {.is_null = 1};

/* Paths as Iceberg's PartitionSpec.partitionToPath writes them (Java: toHumanString + URLEncoder). */
TEST(partition_path)
{
    CHECK(tables_init() == 0);
    char got[512];
    const int64_t day_us = 86400000000LL;
    /* 2026-12-04T10:11:12.123456Z = 1796379072123456 µs, day 20791, hour 498994 */
    ice_partition_value_t v[3] = {pv_long(20791), pv_str("a/b c%d \xc3\xa9\xe2\x98\x83*~_.-+")};
    CHECK_EQ_STR(path_of("day(Timestamp),ServiceName", v, got, sizeof got),
                 "Timestamp_day=2026-12-04/ServiceName=a%2Fb+c%25d+%C3%A9%E2%98%83*%7E_.-%2B");
    v[0] = pv_long(-1), v[1] = pv_str("checkout");
    CHECK_EQ_STR(path_of("day(Timestamp),ServiceName", v, got, sizeof got), "Timestamp_day=1969-12-31/ServiceName=checkout");
    v[0] = pv_long(-25509), v[1] = pv_null; /* 1900-02-28 */
    CHECK_EQ_STR(path_of("day(Timestamp),ServiceName", v, got, sizeof got), "Timestamp_day=1900-02-28/ServiceName=null");
    v[0] = pv_long(days_from_civil(1600, 3, 1));
    v[1] = pv_str("");
    CHECK_EQ_STR(path_of("day(Timestamp),ServiceName", v, got, sizeof got), "Timestamp_day=1600-03-01/ServiceName=");
    v[0] = pv_long(498994), v[1] = pv_long(-1), v[2] = pv_long(683);
    CHECK_EQ_STR(path_of("hour(Timestamp)", v, got, sizeof got), "Timestamp_hour=2026-12-04-10");
    CHECK_EQ_STR(path_of("hour(Timestamp)", v + 1, got, sizeof got), "Timestamp_hour=1969-12-31-23");
    CHECK_EQ_STR(path_of("month(Timestamp)", v + 2, got, sizeof got), "Timestamp_month=2026-12");
    CHECK_EQ_STR(path_of("month(Timestamp)", v + 1, got, sizeof got), "Timestamp_month=1969-12");
    v[0] = pv_long(-13);
    CHECK_EQ_STR(path_of("month(Timestamp)", v, got, sizeof got), "Timestamp_month=1968-12");
    v[0] = pv_long(56);
    CHECK_EQ_STR(path_of("year(Timestamp)", v, got, sizeof got), "Timestamp_year=2026");
    CHECK_EQ_STR(path_of("year(Timestamp)", v + 1, got, sizeof got), "Timestamp_year=1969");
    v[0] = pv_null;
    CHECK_EQ_STR(path_of("year(Timestamp)", v, got, sizeof got), "Timestamp_year=null");
    /* identity of a timestamptz: OffsetDateTime.toString (seconds and fraction only when set) */
    v[0] = pv_long(1796379072123456LL), v[1] = pv_str("svc 1");
    CHECK_EQ_STR(path_of("identity(Timestamp),ServiceName", v, got, sizeof got),
                 "Timestamp=2026-12-04T10%3A11%3A12.123456Z/ServiceName=svc+1");
    v[0] = pv_long(1796379072123000LL);
    CHECK_EQ_STR(path_of("Timestamp", v, got, sizeof got), "Timestamp=2026-12-04T10%3A11%3A12.123Z");
    v[0] = pv_long(1796379060000000LL);
    CHECK_EQ_STR(path_of("Timestamp", v, got, sizeof got), "Timestamp=2026-12-04T10%3A11Z");
    v[0] = pv_long(1796379061000000LL);
    CHECK_EQ_STR(path_of("Timestamp", v, got, sizeof got), "Timestamp=2026-12-04T10%3A11%3A01Z");
    v[0] = pv_long(-1);
    CHECK_EQ_STR(path_of("Timestamp", v, got, sizeof got), "Timestamp=1969-12-31T23%3A59%3A59.999999Z");
    v[0] = pv_long(-14182980000000LL); /* 1969-07-20T20:17Z */
    CHECK_EQ_STR(path_of("Timestamp", v, got, sizeof got), "Timestamp=1969-07-20T20%3A17Z");
    v[0] = pv_long(days_from_civil(-5, 1, 1) * day_us);
    CHECK_EQ_STR(path_of("Timestamp", v, got, sizeof got), "Timestamp=-0005-01-01T00%3A00Z");
    v[0] = pv_long(days_from_civil(10000, 1, 2) * day_us);
    CHECK_EQ_STR(path_of("Timestamp", v, got, sizeof got), "Timestamp=%2B10000-01-02T00%3A00Z");
    v[0] = pv_long(days_from_civil(10000, 1, 2));
    CHECK_EQ_STR(path_of("day(Timestamp)", v, got, sizeof got), "Timestamp_day=10000-01-02");
    v[0] = pv_long(days_from_civil(-5, 1, 1));
    CHECK_EQ_STR(path_of("day(Timestamp)", v, got, sizeof got), "Timestamp_day=-005-01-01");
    CHECK_EQ_STR(path_of("none", v, got, sizeof got), "");
    /* appends */
    ice_partition_spec_t spec;
    err_t err;
    buf_t b = {0};
    CHECK(ice_partition_spec_parse("ServiceName", &table_logs, &spec, &err) == 0);
    v[0] = pv_str("x");
    CHECK(buf_append_str(&b, "data/") == 0 && ice_partition_path(&spec, v, &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "data/ServiceName=x", 18);
    buf_free(&b);
}

static int lower(const char *s, buf_t *out) { return ice_bound_string_lower((const uint8_t *)s, strlen(s), out); }
static int upper(const char *s, buf_t *out) { return ice_bound_string_upper((const uint8_t *)s, strlen(s), out); }

TEST(string_bounds)
{
    buf_t b = {0};
    CHECK(lower("short", &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "short", 5);
    buf_clear(&b);
    CHECK(upper("exactly16bytes!!", &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "exactly16bytes!!", 16);
    buf_clear(&b);
    CHECK(lower("abcdefghijklmnopqrstuvwxyz", &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "abcdefghijklmnop", 16);
    buf_clear(&b);
    CHECK(upper("abcdefghijklmnopqrstuvwxyz", &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "abcdefghijklmnoq", 16);
    buf_clear(&b);
    /* 15 ASCII bytes then a 2-byte character: the cut falls inside it, so it goes */
    CHECK(lower("abcdefghijklmnoé and more", &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "abcdefghijklmno", 15);
    buf_clear(&b);
    CHECK(upper("abcdefghijklmnoé and more", &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "abcdefghijklmnp", 15);
    buf_clear(&b);
    /* the last character is U+10FFFF: it cannot grow, so the one before it does */
    CHECK(upper("abcdefghijkl\xf4\x8f\xbf\xbfzzzz", &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "abcdefghijkm", 12);
    buf_clear(&b);
    /* only U+10FFFF: no upper bound exists */
    CHECK(upper("\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf", &b) == 1);
    CHECK_EQ_INT(b.len, 0);
    /* 0xFF... bytes (not UTF-8): the last byte below 0xFF is raised, the rest dropped */
    CHECK(ice_bound_string_upper((const uint8_t *)"ab\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 18, &b) == 0);
    CHECK_EQ_MEM(b.data, b.len, "ac", 2);
    buf_clear(&b);
    CHECK(ice_bound_string_upper((const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 17, &b) == 1);
    buf_free(&b);
}

TEST(manifest_roundtrip)
{
    CHECK(tables_init() == 0);
    ice_partition_spec_t spec;
    err_t err;
    CHECK(ice_partition_spec_parse("hour(Timestamp),ServiceName", &table_logs, &spec, &err) == 0);
    pq_file_stats_t st = {.num_rows = 10, .file_bytes = 1234, .ncols = table_logs.nleaves, .nrow_groups = 2};
    uint64_t offs[2] = {4, 900};
    st.row_group_offsets = offs;
    for (int c = 0; c < st.ncols; c++) {
        st.cols[c].field_id = table_logs.leaves[c].field_id;
        st.cols[c].compressed_bytes = 100 + (uint64_t)c;
        st.cols[c].value_count = 10;
        st.cols[c].null_count = (uint64_t)c % 2;
    }
    st.cols[LOGS_TIMESTAMP].has_bounds = 1;
    buf_put_u64le(&st.cols[LOGS_TIMESTAMP].min, 1709622489123456ULL);
    buf_put_u64le(&st.cols[LOGS_TIMESTAMP].max, 1709622489123999ULL);
    st.cols[LOGS_BODY].has_bounds = 1;
    buf_append_str(&st.cols[LOGS_BODY].min, "a body that is rather long");
    buf_append_str(&st.cols[LOGS_BODY].max, "zz");
    ice_partition_value_t pv[2] = {{.l = 474895}, {.s = "svc", .n = 3}};
    ice_data_file_t df;
    CHECK(ice_data_file_from_stats(&df, &table_logs, &st, "s3://b/t/data/f.parquet", &spec, pv, 1, &err) == 0);
    CHECK_EQ_INT(df.cols[LOGS_BODY].lower.len, 16);
    ice_manifest_opts_t o = {.snapshot_id = 77, .schema_json = "{}", .spec = &spec, .manifest_path = "s3://b/t/metadata/m.avro"};
    buf_t man = {0}, list = {0};
    ice_manifest_file_t mf;
    CHECK(ice_manifest_write(&o, &df, 1, &man, &mf, &err) == 0);
    CHECK_EQ_INT(mf.manifest_length, (long long)man.len);
    CHECK_EQ_INT(mf.added_rows_count, 10);
    CHECK(mf.npartitions == 2 && mf.partitions[0].lower.len == 4 && mf.partitions[1].upper.len == 3);

    avro_reader_t *r;
    CHECK(avro_reader_open(&r, man.data, man.len, NULL, &err) == 0);
    size_t n;
    const uint8_t *fv = avro_reader_meta(r, "format-version", &n);
    CHECK(fv && n == 1 && fv[0] == '2');
    const avro_value_t *e;
    CHECK(avro_reader_next(r, &e, &err) == 1);
    CHECK_EQ_INT(avro_field_by_id(e, 0)->l, 1);
    CHECK_EQ_INT(avro_field_by_id(e, 1)->l, 77);
    CHECK(avro_field_by_id(e, 3)->type == AVRO_NULL && avro_field_by_id(e, 4)->type == AVRO_NULL);
    const avro_value_t *d = avro_field_by_id(e, 2);
    const avro_value_t *part = avro_field_by_id(d, 102);
    CHECK_EQ_INT(avro_field_by_id(part, 1000)->l, 474895);
    CHECK_EQ_INT(avro_field_by_id(d, 103)->l, 10);
    const avro_value_t *ub = avro_field_by_id(d, 128);
    CHECK_EQ_INT(ub->n, 2);
    const avro_value_t *so = avro_field_by_id(d, 132);
    CHECK(so->n == 2 && so->items[1].l == 900);
    CHECK(avro_reader_next(r, &e, &err) == 0);
    avro_reader_close(r);

    CHECK(ice_manifest_list_write(77, -1, 5, &mf, 1, &list, &err) == 0);
    ice_manifest_file_t *back;
    CHECK(ice_manifest_list_read(list.data, list.len, &back, &n, &err) == 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(back[0].manifest_path, "s3://b/t/metadata/m.avro");
    CHECK_EQ_INT(back[0].sequence_number, 5);
    CHECK_EQ_INT(back[0].min_sequence_number, 5);
    CHECK_EQ_INT(back[0].added_files_count, 1);
    CHECK_EQ_INT(back[0].existing_rows_count, 0);
    CHECK_EQ_MEM(back[0].partitions[1].lower.data, back[0].partitions[1].lower.len, "svc", 3);
    ice_manifest_files_free(back, n);
    ice_manifest_file_free(&mf);
    ice_data_file_free(&df);
    st.row_group_offsets = NULL;
    for (int c = 0; c < st.ncols; c++)
        buf_free(&st.cols[c].min), buf_free(&st.cols[c].max);
    buf_free(&man);
    buf_free(&list);
}

typedef struct {
    char paths[4][64];
    int status[4];
    int n, stop_after;
} paths_t;

static int on_path(void *ctx, const char *path, size_t n, int status)
{
    paths_t *p = ctx;
    if (p->n < 4 && n < sizeof p->paths[0]) {
        memcpy(p->paths[p->n], path, n);
        p->paths[p->n][n] = 0;
        p->status[p->n] = status;
    }
    p->n++;
    return p->stop_after && p->n >= p->stop_after;
}

TEST(manifest_paths_read_back)
{
    ice_partition_spec_t spec;
    err_t err;
    err_clear(&err);
    CHECK(ice_partition_spec_parse("day(Timestamp)", &table_logs, &spec, &err) == 0);
    pq_file_stats_t st = {.num_rows = 3, .file_bytes = 99, .ncols = table_logs.nleaves};
    ice_partition_value_t pv = {.l = 19787};
    const char *uris[3] = {"s3://b/t/data/a.parquet", "s3://b/t/data/b ü.parquet", "file:/c.parquet"};
    ice_data_file_t df[3];
    for (int i = 0; i < 3; i++)
        CHECK(ice_data_file_from_stats(&df[i], &table_logs, &st, uris[i], &spec, &pv, 0, &err) == 0);
    ice_manifest_opts_t o = {.snapshot_id = 5, .schema_json = "{}", .spec = &spec, .manifest_path = "s3://b/m.avro"};
    buf_t man = {0}, list = {0};
    ice_manifest_file_t mf;
    CHECK(ice_manifest_write(&o, df, 3, &man, &mf, &err) == 0);
    paths_t p = {0};
    CHECK_EQ_INT(ice_manifest_read_paths(man.data, man.len, on_path, &p, &err), 0);
    CHECK_EQ_INT(p.n, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_STR(p.paths[i], uris[i]);
        CHECK_EQ_INT(p.status[i], 1);
    }
    /* the callback stops it */
    memset(&p, 0, sizeof p);
    p.stop_after = 2;
    CHECK_EQ_INT(ice_manifest_read_paths(man.data, man.len, on_path, &p, &err), 0);
    CHECK_EQ_INT(p.n, 2);
    /* a manifest list is not a manifest; a cut manifest and garbage are errors */
    CHECK(ice_manifest_list_write(5, -1, 1, &mf, 1, &list, &err) == 0);
    memset(&p, 0, sizeof p);
    err_clear(&err);
    CHECK_EQ_INT(ice_manifest_read_paths(list.data, list.len, on_path, &p, &err), -1);
    CHECK(p.n == 0 && err.code == ERR_INVALID && strstr(err.msg, "entry 0"));
    err_clear(&err);
    CHECK_EQ_INT(ice_manifest_read_paths(man.data, man.len - 5, on_path, &p, &err), -1);
    CHECK(err.msg[0]);
    err_clear(&err);
    CHECK_EQ_INT(ice_manifest_read_paths((const uint8_t *)"garbage", 7, on_path, &p, &err), -1);
    CHECK(err.msg[0]);
    buf_free(&man);
    buf_free(&list);
    ice_manifest_file_free(&mf);
    for (int i = 0; i < 3; i++)
        ice_data_file_free(&df[i]);
}

RUN_TESTS(T(transforms), T(spec_parse), T(partition_path), T(string_bounds), T(manifest_roundtrip),
          T(manifest_paths_read_back))
