/* iceberg_manifest: the manifest code paths end to end, for tests/e2e/test_iceberg_manifest.py.
 *
 *   iceberg_manifest write logs|traces|metrics REQ.pb DIR [--spec S] [--snapshot-id N]
 *       [--sequence-number N] [--parent-list FILE --parent-id N] [--row-group-bytes N]
 *       [--page-bytes N]
 *     decodes the protobuf request with src/otlp, splits each table's rows by the partition spec
 *     S (default "day(Timestamp)"), writes one Parquet file per partition value
 *     (DIR/<table>-<k>.parquet), then DIR/<table>-manifest.avro (a v2 manifest of those files,
 *     paths as file: URIs) and DIR/<table>-list.avro (a v2 manifest list of that manifest plus
 *     every manifest of the parent list). Prints {"<table>": {"files": [...], "manifest": ..,
 *     "list": ..}} on stdout.
 *   iceberg_manifest read-list FILE
 *     reads a manifest list with ice_manifest_list_read and prints its records as a JSON array
 *     (bytes as hex; absent values as null).
 *   iceberg_manifest read-paths FILE
 *     reads a data manifest with ice_manifest_read_paths and prints [[path, status], ...]. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/manifest.h"
#include "ingest/content.h"
#include "ingest/signals.h"
#include "otlp/decode.h"
#include "parquet/writer.h"
#include "table/tables.h"
#include "util/buf.h"
#include "util/file_read.h"
#include "util/json_text.h"

_Noreturn static void die(const char *what, const char *detail)
{
    fprintf(stderr, "iceberg_manifest: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void read_file(const char *path, buf_t *out)
{
    err_t err;
    if (file_read_bounded(path, (size_t)1 << 31, out, &err))
        die(path, err.msg);
}

static void write_file(const char *path, const buf_t *b)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
        die(path, strerror(errno));
}

static void put_hex(buf_t *js, const buf_t *b, int has)
{
    if (!has) {
        buf_append_str(js, "null");
        return;
    }
    buf_append_str(js, "\"");
    for (size_t i = 0; i < b->len; i++)
        buf_printf(js, "%02x", b->data[i]);
    buf_append_str(js, "\"");
}

static void put_count(buf_t *js, const char *name, int64_t v)
{
    if (v < 0)
        buf_printf(js, ",\"%s\":null", name);
    else
        buf_printf(js, ",\"%s\":%" PRId64, name, v);
}

static int on_path(void *ctx, const char *path, size_t n, int status)
{
    buf_t *js = ctx;
    buf_append_str(js, js->len > 1 ? ",[" : "[");
    json_put_string(js, path, n);
    buf_printf(js, ",%d]", status);
    return 0;
}

static int read_paths(const char *path)
{
    buf_t data = {0}, js = {0};
    read_file(path, &data);
    err_t err;
    buf_append_str(&js, "[");
    if (ice_manifest_read_paths(data.data, data.len, on_path, &js, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    buf_append_str(&js, "]\n");
    fwrite(js.data, 1, js.len, stdout);
    buf_free(&js);
    buf_free(&data);
    return 0;
}

static int read_list(const char *path)
{
    buf_t data = {0};
    read_file(path, &data);
    ice_manifest_file_t *m;
    size_t n;
    err_t err;
    if (ice_manifest_list_read(data.data, data.len, &m, &n, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    buf_t js = {0};
    buf_append_str(&js, "[");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&js, "%s{\"manifest_path\":", i ? "," : "");
        json_put_string(&js, m[i].manifest_path, strlen(m[i].manifest_path));
        buf_printf(&js, ",\"manifest_length\":%" PRId64 ",\"partition_spec_id\":%d,\"content\":%d", m[i].manifest_length,
                   (int)m[i].partition_spec_id, (int)m[i].content);
        buf_printf(&js, ",\"sequence_number\":%" PRId64 ",\"min_sequence_number\":%" PRId64 ",\"added_snapshot_id\":%" PRId64,
                   m[i].sequence_number, m[i].min_sequence_number, m[i].added_snapshot_id);
        put_count(&js, "added_files_count", m[i].added_files_count);
        put_count(&js, "existing_files_count", m[i].existing_files_count);
        put_count(&js, "deleted_files_count", m[i].deleted_files_count);
        put_count(&js, "added_rows_count", m[i].added_rows_count);
        put_count(&js, "existing_rows_count", m[i].existing_rows_count);
        put_count(&js, "deleted_rows_count", m[i].deleted_rows_count);
        buf_append_str(&js, ",\"partitions\":");
        if (!m[i].has_partitions)
            buf_append_str(&js, "null");
        else {
            buf_append_str(&js, "[");
            for (int p = 0; p < m[i].npartitions; p++) {
                const ice_field_summary_t *s = &m[i].partitions[p];
                buf_printf(&js, "%s{\"contains_null\":%s,\"contains_nan\":%s,\"lower_bound\":", p ? "," : "",
                           s->contains_null ? "true" : "false",
                           s->contains_nan < 0 ? "null" : s->contains_nan ? "true" : "false");
                put_hex(&js, &s->lower, s->has_lower);
                buf_append_str(&js, ",\"upper_bound\":");
                put_hex(&js, &s->upper, s->has_upper);
                buf_append_str(&js, "}");
            }
            buf_append_str(&js, "]");
        }
        buf_append_str(&js, ",\"key_metadata\":");
        put_hex(&js, &m[i].key_metadata, m[i].has_key_metadata);
        buf_append_str(&js, "}");
    }
    buf_append_str(&js, "]\n");
    fwrite(js.data, 1, js.len, stdout);
    buf_free(&js);
    ice_manifest_files_free(m, n);
    buf_free(&data);
    return 0;
}

/* The partition tuple of row r (spec sources are required top-level leaves). */
static void row_key(const table_batch_t *b, const ice_partition_spec_t *spec, uint32_t r, ice_partition_value_t *pv)
{
    for (int f = 0; f < spec->nfields; f++) {
        const ice_partition_field_t *pf = &spec->fields[f];
        int leaf = -1;
        for (int l = 0; l < b->schema->nleaves; l++)
            if (b->schema->leaves[l].field_id == pf->source_id)
                leaf = l;
        if (leaf < 0)
            die("partition source is not a leaf", pf->name);
        const column_t *c = &b->cols[leaf];
        memset(&pv[f], 0, sizeof pv[f]);
        if (pf->source_type == PT_INT64) {
            int64_t v;
            memcpy(&v, c->vals.data + 8 * (size_t)r, 8);
            pv[f].l = ice_transform_timestamp(pf->transform, v);
        } else {
            uint32_t s, e;
            memcpy(&s, c->offs.data + 4 * (size_t)r, 4);
            memcpy(&e, c->offs.data + 4 * (size_t)r + 4, 4);
            pv[f].s = (const char *)c->vals.data + s;
            pv[f].n = e - s;
        }
    }
}

static int key_eq(const ice_partition_value_t *a, const ice_partition_value_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].l != b[i].l || a[i].n != b[i].n || (a[i].n && memcmp(a[i].s, b[i].s, a[i].n) != 0))
            return 0;
    return 1;
}

typedef struct {
    ice_partition_value_t key[ICE_MAX_PARTITION_FIELDS];
    uint32_t *rows;
    uint32_t n;
} group_t;

static void write_table(const table_batch_t *b, const char *dir, const pq_options_t *opt, const ice_partition_spec_t *spec,
                        int64_t snap, int64_t seq, const char *parent_list, int64_t parent_id, buf_t *js, int first)
{
    group_t *g = calloc(b->nrows, sizeof *g);
    uint32_t ng = 0;
    for (uint32_t r = 0; r < b->nrows; r++) {
        ice_partition_value_t k[ICE_MAX_PARTITION_FIELDS];
        row_key(b, spec, r, k);
        uint32_t i = 0;
        while (i < ng && !key_eq(g[i].key, k, spec->nfields))
            i++;
        if (i == ng) {
            memcpy(g[ng].key, k, sizeof k);
            g[ng].rows = malloc(b->nrows * sizeof(uint32_t));
            ng++;
        }
        g[i].rows[g[i].n++] = r;
    }
    char absdir[PATH_MAX];
    if (!realpath(dir, absdir))
        die(dir, strerror(errno));
    ice_data_file_t *df = calloc(ng, sizeof *df);
    err_t err;
    buf_printf(js, "%s\"%s\":{\"files\":[", first ? "" : ",", b->schema->name);
    for (uint32_t i = 0; i < ng; i++) {
        buf_t file = {0};
        pq_file_stats_t st;
        if (pq_write(b, g[i].rows, g[i].n, opt, &file, &st, &err))
            die("pq_write", err.msg);
        char path[PATH_MAX + 64], uri[PATH_MAX + 80];
        snprintf(path, sizeof path, "%s/%s-%u.parquet", absdir, b->schema->name, i);
        snprintf(uri, sizeof uri, "file:%s", path);
        write_file(path, &file);
        if (ice_data_file_from_stats(&df[i], b->schema, &st, uri, spec, g[i].key, 0, &err))
            die("ice_data_file_from_stats", err.msg);
        pq_file_stats_free(&st);
        buf_free(&file);
        buf_printf(js, "%s", i ? "," : "");
        json_put_string(js, uri, strlen(uri));
    }
    buf_t schema_json = {0}, manifest = {0}, list = {0};
    if (ice_schema_json(b->schema, 0, &schema_json) || buf_put_u8(&schema_json, 0))
        die("out of memory", NULL);
    char mpath[PATH_MAX + 64], lpath[PATH_MAX + 64], muri[PATH_MAX + 80];
    snprintf(mpath, sizeof mpath, "%s/%s-manifest.avro", absdir, b->schema->name);
    snprintf(lpath, sizeof lpath, "%s/%s-list.avro", absdir, b->schema->name);
    snprintf(muri, sizeof muri, "file:%s", mpath);
    ice_manifest_opts_t mo = {.snapshot_id = snap, .schema_json = (const char *)schema_json.data, .schema_id = 0,
                              .spec = spec, .manifest_path = muri};
    ice_manifest_file_t mine;
    if (ice_manifest_write(&mo, df, ng, &manifest, &mine, &err))
        die("ice_manifest_write", err.msg);
    write_file(mpath, &manifest);

    ice_manifest_file_t *all = NULL;
    size_t nall = 0;
    if (parent_list) {
        buf_t pl = {0};
        read_file(parent_list, &pl);
        if (ice_manifest_list_read(pl.data, pl.len, &all, &nall, &err))
            die("ice_manifest_list_read", err.msg);
        buf_free(&pl);
    }
    all = realloc(all, (nall + 1) * sizeof *all);
    /* the new manifest first, as Java orders them */
    memmove(all + 1, all, nall * sizeof *all);
    all[0] = mine;
    nall++;
    if (ice_manifest_list_write(snap, parent_list ? parent_id : -1, seq, all, nall, &list, &err))
        die("ice_manifest_list_write", err.msg);
    write_file(lpath, &list);
    buf_append_str(js, "],\"manifest\":");
    json_put_string(js, mpath, strlen(mpath));
    buf_append_str(js, ",\"list\":");
    json_put_string(js, lpath, strlen(lpath));
    buf_append_str(js, "}");
    ice_manifest_files_free(all, nall);
    for (uint32_t i = 0; i < ng; i++) {
        ice_data_file_free(&df[i]);
        free(g[i].rows);
    }
    free(df);
    free(g);
    buf_free(&schema_json);
    buf_free(&manifest);
    buf_free(&list);
}

static long long parse_ll(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == 0 || *end != 0)
        die("not a number", s);
    return v;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "read-list") == 0)
        return read_list(argv[2]);
    if (argc == 3 && strcmp(argv[1], "read-paths") == 0)
        return read_paths(argv[2]);
    if (argc < 5 || strcmp(argv[1], "write") != 0) {
        fprintf(stderr, "usage: iceberg_manifest write logs|traces|metrics REQ.pb DIR [--spec S] [--snapshot-id N] "
                        "[--sequence-number N] [--parent-list FILE --parent-id N] [--row-group-bytes N] [--page-bytes N]\n"
                        "       iceberg_manifest read-list FILE\n       iceberg_manifest read-paths FILE\n");
        return 1;
    }
    const char *signal = argv[2], *in = argv[3], *dir = argv[4];
    const char *spec_text = "day(Timestamp)", *parent_list = NULL;
    int64_t snap = 1, seq = 1, parent_id = -1;
    pq_options_t opt;
    pq_options_default(&opt);
    for (int i = 5; i < argc; i++) {
        if (i + 1 >= argc)
            die("option without a value", argv[i]);
        if (strcmp(argv[i], "--spec") == 0)
            spec_text = argv[++i];
        else if (strcmp(argv[i], "--snapshot-id") == 0)
            snap = parse_ll(argv[++i]);
        else if (strcmp(argv[i], "--sequence-number") == 0)
            seq = parse_ll(argv[++i]);
        else if (strcmp(argv[i], "--parent-list") == 0)
            parent_list = argv[++i];
        else if (strcmp(argv[i], "--parent-id") == 0)
            parent_id = parse_ll(argv[++i]);
        else if (strcmp(argv[i], "--row-group-bytes") == 0)
            opt.row_group_bytes = (size_t)parse_ll(argv[++i]);
        else if (strcmp(argv[i], "--page-bytes") == 0)
            opt.page_bytes = (size_t)parse_ll(argv[++i]);
        else
            die("unknown option", argv[i]);
    }
    if (tables_init() != 0)
        die("tables_init failed", NULL);
    buf_t req = {0};
    read_file(in, &req);
    /* the pipeline's own signal table: the decoder and the tables each signal fills */
    int sig = signal_parse(signal);
    if (sig < 0)
        die("unknown signal", signal);
    const signal_desc_t *d = signal_desc((otlp_signal_t)sig);
    table_batch_t batches[SIGNAL_MAX_TABLES];
    table_batch_t *out[SIGNAL_MAX_TABLES];
    int nb = d->ntables;
    for (int i = 0; i < nb; i++) {
        batch_init(&batches[i], d->tables[i]);
        out[i] = &batches[i];
    }
    otlp_decode_ctx_t ctx = {.now_ns = 1700000000000000000LL};
    err_t err;
    if (signal_decode((otlp_signal_t)sig, ENC_PROTOBUF, req.data ? req.data : (const uint8_t *)"", req.len, out, &ctx,
                      &err)) {
        fprintf(stderr, "%s\n", err.msg); /* "{signal} request: ..." */
        return 2;
    }
    buf_t js = {0};
    buf_append_str(&js, "{");
    int first = 1;
    for (int i = 0; i < nb; i++) {
        if (batches[i].nrows == 0)
            continue;
        ice_partition_spec_t spec;
        if (ice_partition_spec_parse(spec_text, batches[i].schema, &spec, &err))
            die("partition spec", err.msg);
        write_table(&batches[i], dir, &opt, &spec, snap, seq, parent_list, parent_id, &js, first);
        first = 0;
    }
    buf_append_str(&js, "}\n");
    fwrite(js.data, 1, js.len, stdout);
    buf_free(&js);
    for (int i = 0; i < nb; i++)
        batch_free(&batches[i]);
    buf_free(&req);
    return 0;
}
