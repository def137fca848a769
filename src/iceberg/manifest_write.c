/* Writing a v2 data manifest: the manifest_entry Avro schema with the spec's field ids, the file
 * metadata keys, one ADDED entry per data file; and its manifest_file record for the list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_write.h"
#include "iceberg/manifest.h"
#include "util/json_text.h"

/* A map<int, long|bytes> as Iceberg writes it to Avro: an array of key/value records with the
 * key and value field ids, marked logicalType "map" (Avro maps only have string keys). */
static int map_field(buf_t *s, const char *name, int id, int kid, int vid, const char *vtype)
{
    return buf_printf(s,
                      ",{\"name\":\"%s\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\","
                      "\"name\":\"k%d_v%d\",\"fields\":[{\"name\":\"key\",\"type\":\"int\",\"field-id\":%d},"
                      "{\"name\":\"value\",\"type\":\"%s\",\"field-id\":%d}]},\"logicalType\":\"map\"}],"
                      "\"default\":null,\"field-id\":%d}",
                      name, kid, vid, kid, vtype, vid, id);
}

static const char *partition_avro_type(const ice_partition_field_t *f)
{
    switch (f->transform) {
    case ICE_DAY:
        return "{\"type\":\"int\",\"logicalType\":\"date\"}";
    case ICE_HOUR:
    case ICE_MONTH:
    case ICE_YEAR:
        return "\"int\"";
    case ICE_IDENTITY:
        break;
    }
    return f->source_type == PT_INT64 ? "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":true}"
                                      : "\"string\"";
}

static int entry_schema(const ice_partition_spec_t *spec, buf_t *s)
{
    int rc = buf_append_str(s, "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
                               "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
                               "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1},"
                               "{\"name\":\"sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":3},"
                               "{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":4},"
                               "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
                               "{\"name\":\"content\",\"type\":\"int\",\"field-id\":134},"
                               "{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":100},"
                               "{\"name\":\"file_format\",\"type\":\"string\",\"field-id\":101},"
                               "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":[");
    for (int i = 0; i < spec->nfields && !rc; i++) {
        const ice_partition_field_t *f = &spec->fields[i];
        rc = buf_printf(s, "%s{\"name\":", i ? "," : "") || json_put_string(s, f->name, strlen(f->name)) ||
             buf_printf(s, ",\"type\":[\"null\",%s],\"default\":null,\"field-id\":%d}", partition_avro_type(f),
                        (int)f->field_id);
    }
    rc = rc || buf_append_str(s, "]},\"field-id\":102},"
                                 "{\"name\":\"record_count\",\"type\":\"long\",\"field-id\":103},"
                                 "{\"name\":\"file_size_in_bytes\",\"type\":\"long\",\"field-id\":104}");
    rc = rc || map_field(s, "column_sizes", 108, 117, 118, "long") || map_field(s, "value_counts", 109, 119, 120, "long") ||
         map_field(s, "null_value_counts", 110, 121, 122, "long") ||
         map_field(s, "nan_value_counts", 137, 138, 139, "long") || map_field(s, "lower_bounds", 125, 126, 127, "bytes") ||
         map_field(s, "upper_bounds", 128, 129, 130, "bytes");
    rc = rc || buf_append_str(s, ",{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":131},"
                                 "{\"name\":\"split_offsets\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"long\","
                                 "\"element-id\":133}],\"default\":null,\"field-id\":132},"
                                 "{\"name\":\"equality_ids\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"int\","
                                 "\"element-id\":136}],\"default\":null,\"field-id\":135},"
                                 "{\"name\":\"sort_order_id\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":140}"
                                 "]},\"field-id\":2}]}");
    return rc;
}

enum { M_SIZE, M_VALUES, M_NULLS, M_NANS };

static uint64_t metric(const ice_column_metrics_t *m, int which)
{
    return which == M_SIZE ? m->column_size : which == M_VALUES ? m->value_count : which == M_NULLS ? m->null_count : m->nan_count;
}

static int put_count_map(buf_t *b, const ice_data_file_t *df, int which)
{
    int n = 0;
    for (int i = 0; i < df->ncols; i++)
        n += which != M_NANS || df->cols[i].has_nan_count;
    if (n == 0)
        return avro_put_union(b, 0);
    int rc = avro_put_union(b, 1) || avro_put_block(b, n);
    for (int i = 0; i < df->ncols && !rc; i++)
        if (which != M_NANS || df->cols[i].has_nan_count)
            rc = avro_put_int(b, df->cols[i].field_id) || avro_put_long(b, (int64_t)metric(&df->cols[i], which));
    return rc || avro_put_block(b, 0);
}

static int put_bound_map(buf_t *b, const ice_data_file_t *df, int upper)
{
    int n = 0;
    for (int i = 0; i < df->ncols; i++)
        n += upper ? df->cols[i].has_upper : df->cols[i].has_lower;
    if (n == 0)
        return avro_put_union(b, 0);
    int rc = avro_put_union(b, 1) || avro_put_block(b, n);
    for (int i = 0; i < df->ncols && !rc; i++) {
        const ice_column_metrics_t *m = &df->cols[i];
        if (upper ? m->has_upper : m->has_lower) {
            const buf_t *v = upper ? &m->upper : &m->lower;
            rc = avro_put_int(b, m->field_id) || avro_put_bytes(b, v->data, v->len);
        }
    }
    return rc || avro_put_block(b, 0);
}

static int put_entry(buf_t *b, const ice_manifest_opts_t *o, const ice_data_file_t *df)
{
    /* status ADDED, snapshot id set, both sequence numbers null: inherited from the manifest
     * list at read time, so a retried commit only rewrites the list */
    int rc = avro_put_int(b, 1) || avro_put_union(b, 1) || avro_put_long(b, o->snapshot_id) || avro_put_union(b, 0) ||
             avro_put_union(b, 0);
    rc = rc || avro_put_int(b, 0) || avro_put_string(b, df->file_path) || avro_put_string(b, "PARQUET");
    for (int i = 0; i < o->spec->nfields && !rc; i++) {
        const ice_partition_value_t *v = &df->partition[i];
        if (v->is_null)
            rc = avro_put_union(b, 0);
        else if (o->spec->fields[i].transform == ICE_IDENTITY && o->spec->fields[i].source_type == PT_BYTE_ARRAY)
            rc = avro_put_union(b, 1) || avro_put_bytes(b, v->s, v->n);
        else
            rc = avro_put_union(b, 1) || avro_put_long(b, v->l);
    }
    rc = rc || avro_put_long(b, (int64_t)df->record_count) || avro_put_long(b, (int64_t)df->file_size_in_bytes);
    rc = rc || put_count_map(b, df, M_SIZE) || put_count_map(b, df, M_VALUES) || put_count_map(b, df, M_NULLS) ||
         put_count_map(b, df, M_NANS) || put_bound_map(b, df, 0) || put_bound_map(b, df, 1);
    rc = rc || avro_put_union(b, 0); /* key_metadata */
    if (df->nsplit_offsets) {
        rc = rc || avro_put_union(b, 1) || avro_put_block(b, df->nsplit_offsets);
        for (uint32_t i = 0; i < df->nsplit_offsets && !rc; i++)
            rc = avro_put_long(b, df->split_offsets[i]);
        rc = rc || avro_put_block(b, 0);
    } else
        rc = rc || avro_put_union(b, 0);
    rc = rc || avro_put_union(b, 0); /* equality_ids: data files have none */
    if (df->sort_order_id >= 0)
        rc = rc || avro_put_union(b, 1) || avro_put_int(b, df->sort_order_id);
    else
        rc = rc || avro_put_union(b, 0);
    return rc;
}

/* A partition value in the single-value serialization of the partition field's type. */
static int partition_bound(const ice_partition_field_t *f, const ice_partition_value_t *v, buf_t *out)
{
    if (f->transform == ICE_IDENTITY && f->source_type == PT_BYTE_ARRAY)
        return buf_append(out, v->s, v->n);
    if (f->transform == ICE_IDENTITY)
        return buf_put_u64le(out, (uint64_t)v->l);
    return buf_put_u32le(out, (uint32_t)(int32_t)v->l);
}

static int pv_cmp(const ice_partition_field_t *f, const ice_partition_value_t *a, const ice_partition_value_t *b)
{
    if (f->transform == ICE_IDENTITY && f->source_type == PT_BYTE_ARRAY) {
        size_t n = a->n < b->n ? a->n : b->n;
        int c = n ? memcmp(a->s, b->s, n) : 0;
        return c ? c : (a->n > b->n) - (a->n < b->n);
    }
    return (a->l > b->l) - (a->l < b->l);
}

static int summaries(const ice_partition_spec_t *spec, const ice_data_file_t *files, size_t nfiles, ice_manifest_file_t *mf)
{
    mf->has_partitions = 1;
    mf->npartitions = spec->nfields;
    if (spec->nfields == 0)
        return 0;
    mf->partitions = calloc((size_t)spec->nfields, sizeof *mf->partitions);
    if (!mf->partitions)
        return -1;
    for (int p = 0; p < spec->nfields; p++) {
        ice_field_summary_t *s = &mf->partitions[p];
        const ice_partition_value_t *lo = NULL, *hi = NULL;
        for (size_t i = 0; i < nfiles; i++) {
            const ice_partition_value_t *v = &files[i].partition[p];
            if (v->is_null) {
                s->contains_null = 1;
                continue;
            }
            if (!lo || pv_cmp(&spec->fields[p], v, lo) < 0)
                lo = v;
            if (!hi || pv_cmp(&spec->fields[p], v, hi) > 0)
                hi = v;
        }
        s->contains_nan = 0; /* no partition type of ours is floating point */
        if (lo) {
            if (partition_bound(&spec->fields[p], lo, &s->lower) || partition_bound(&spec->fields[p], hi, &s->upper))
                return -1;
            s->has_lower = s->has_upper = 1;
        }
    }
    return 0;
}

int ice_manifest_write(const ice_manifest_opts_t *o, const ice_data_file_t *files, size_t nfiles, buf_t *out,
                       ice_manifest_file_t *mf, err_t *err)
{
    memset(mf, 0, sizeof *mf);
    buf_t schema = {0}, spec_json = {0};
    char schema_id[16], spec_id[16];
    snprintf(schema_id, sizeof schema_id, "%d", o->schema_id);
    snprintf(spec_id, sizeof spec_id, "%d", o->spec->spec_id);
    size_t start = out->len;
    if (entry_schema(o->spec, &schema) || buf_put_u8(&schema, 0) || ice_partition_spec_fields_json(o->spec, &spec_json) ||
        buf_put_u8(&spec_json, 0)) {
        buf_free(&schema);
        buf_free(&spec_json);
        return err_set(err, ERR_NOMEM, "manifest: out of memory");
    }
    const char *keys[] = {"schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content"};
    const char *vals[] = {o->schema_json, schema_id, (const char *)spec_json.data, spec_id, "2", "data"};
    avro_ocf_writer_t w;
    int rc = avro_ocf_begin(&w, out, (const char *)schema.data, AVRO_CODEC_DEFLATE, 6, keys, vals, err);
    buf_free(&schema);
    buf_free(&spec_json);
    if (rc)
        return err_prefix(err, "manifest %s", o->manifest_path);
    for (size_t i = 0; i < nfiles; i++) {
        if (files[i].npartition != o->spec->nfields) {
            avro_ocf_abort(&w);
            out->len = start;
            return err_set(err, ERR_INTERNAL, "manifest: data file %s has %d partition values, the spec %d fields",
                           files[i].file_path, files[i].npartition, o->spec->nfields);
        }
        if (put_entry(&w.datum, o, &files[i])) {
            avro_ocf_abort(&w);
            out->len = start;
            return err_set(err, ERR_NOMEM, "manifest: out of memory");
        }
        if (avro_ocf_next(&w, err)) {
            avro_ocf_abort(&w);
            out->len = start;
            return err_prefix(err, "manifest %s", o->manifest_path);
        }
    }
    if (avro_ocf_end(&w, err)) {
        out->len = start;
        return err_prefix(err, "manifest %s", o->manifest_path);
    }
    mf->manifest_path = strdup(o->manifest_path);
    mf->manifest_length = (int64_t)(out->len - start);
    mf->partition_spec_id = o->spec->spec_id;
    mf->content = 0;
    mf->sequence_number = mf->min_sequence_number = ICE_UNASSIGNED_SEQ;
    mf->added_snapshot_id = o->snapshot_id;
    mf->added_files_count = (int64_t)nfiles;
    for (size_t i = 0; i < nfiles; i++)
        mf->added_rows_count += (int64_t)files[i].record_count;
    if (!mf->manifest_path || summaries(o->spec, files, nfiles, mf)) {
        ice_manifest_file_free(mf);
        out->len = start;
        return err_set(err, ERR_NOMEM, "manifest: out of memory");
    }
    return 0;
}
