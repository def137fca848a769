/* Manifest lists: writing v2 (the manifest_file schema with the spec's field ids), reading v1
 * and v2 lists of any writer, so a new snapshot carries its parent's manifests forward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_read.h"
#include "avro/avro_write.h"
#include "iceberg/manifest.h"

static const char list_schema[] =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
    "{\"name\":\"min_sequence_number\",\"type\":\"long\",\"field-id\":516},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
    "{\"name\":\"existing_files_count\",\"type\":\"int\",\"field-id\":505},"
    "{\"name\":\"deleted_files_count\",\"type\":\"int\",\"field-id\":506},"
    "{\"name\":\"added_rows_count\",\"type\":\"long\",\"field-id\":512},"
    "{\"name\":\"existing_rows_count\",\"type\":\"long\",\"field-id\":513},"
    "{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"field-id\":514},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"r508\","
    "\"fields\":[{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
    "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"default\":null,\"field-id\":518},"
    "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":510},"
    "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":511}]},"
    "\"element-id\":508}],\"default\":null,\"field-id\":507},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":519}]}";

void ice_manifest_file_free(ice_manifest_file_t *m)
{
    free(m->manifest_path);
    for (int i = 0; i < m->npartitions && m->partitions; i++) {
        buf_free(&m->partitions[i].lower);
        buf_free(&m->partitions[i].upper);
    }
    free(m->partitions);
    buf_free(&m->key_metadata);
    memset(m, 0, sizeof *m);
}

void ice_manifest_files_free(ice_manifest_file_t *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++)
        ice_manifest_file_free(&m[i]);
    free(m);
}

static int put_opt_bytes(buf_t *b, int has, const buf_t *v)
{
    return has ? avro_put_union(b, 1) || avro_put_bytes(b, v->data, v->len) : avro_put_union(b, 0);
}

static int put_manifest(buf_t *b, const ice_manifest_file_t *m, int64_t seq, err_t *err)
{
    const int64_t counts[] = {m->added_files_count, m->existing_files_count, m->deleted_files_count,
                              m->added_rows_count,  m->existing_rows_count,  m->deleted_rows_count};
    for (int i = 0; i < 6; i++)
        if (counts[i] < 0)
            /* a v1 list may lack them; v2 requires them and a made-up 0 would let readers
             * skip the manifest */
            return err_set(err, ERR_UNSUPPORTED, "manifest list: manifest %s has no file and row counts, which a v2 list needs",
                           m->manifest_path);
    int64_t s = m->sequence_number == ICE_UNASSIGNED_SEQ ? seq : m->sequence_number;
    int64_t ms = m->min_sequence_number == ICE_UNASSIGNED_SEQ ? seq : m->min_sequence_number;
    int rc = avro_put_string(b, m->manifest_path) || avro_put_long(b, m->manifest_length) ||
             avro_put_int(b, m->partition_spec_id) || avro_put_int(b, m->content) || avro_put_long(b, s) ||
             avro_put_long(b, ms) || avro_put_long(b, m->added_snapshot_id);
    for (int i = 0; i < 6 && !rc; i++)
        rc = avro_put_long(b, counts[i]); /* int and long share the encoding */
    if (m->has_partitions) {
        rc = rc || avro_put_union(b, 1);
        if (m->npartitions)
            rc = rc || avro_put_block(b, m->npartitions);
        for (int i = 0; i < m->npartitions && !rc; i++) {
            const ice_field_summary_t *p = &m->partitions[i];
            rc = avro_put_bool(b, p->contains_null) ||
                 (p->contains_nan < 0 ? avro_put_union(b, 0) : avro_put_union(b, 1) || avro_put_bool(b, p->contains_nan)) ||
                 put_opt_bytes(b, p->has_lower, &p->lower) || put_opt_bytes(b, p->has_upper, &p->upper);
        }
        rc = rc || avro_put_block(b, 0);
    } else
        rc = rc || avro_put_union(b, 0);
    rc = rc || put_opt_bytes(b, m->has_key_metadata, &m->key_metadata);
    return rc ? err_set(err, ERR_NOMEM, "manifest list: out of memory") : 0;
}

int ice_manifest_list_write(int64_t snapshot_id, int64_t parent_snapshot_id, int64_t sequence_number,
                            const ice_manifest_file_t *m, size_t n, buf_t *out, err_t *err)
{
    char sid[24], pid[24], seq[24];
    snprintf(sid, sizeof sid, "%lld", (long long)snapshot_id);
    if (parent_snapshot_id < 0)
        snprintf(pid, sizeof pid, "null"); /* what Java writes for the first snapshot */
    else
        snprintf(pid, sizeof pid, "%lld", (long long)parent_snapshot_id);
    snprintf(seq, sizeof seq, "%lld", (long long)sequence_number);
    const char *keys[] = {"snapshot-id", "parent-snapshot-id", "sequence-number", "format-version"};
    const char *vals[] = {sid, pid, seq, "2"};
    size_t start = out->len;
    avro_ocf_writer_t w;
    if (avro_ocf_begin(&w, out, list_schema, AVRO_CODEC_DEFLATE, 4, keys, vals, err))
        return err_prefix(err, "manifest list");
    for (size_t i = 0; i < n; i++)
        if (put_manifest(&w.datum, &m[i], sequence_number, err) || avro_ocf_next(&w, err)) {
            avro_ocf_abort(&w);
            out->len = start;
            return -1;
        }
    if (avro_ocf_end(&w, err)) {
        out->len = start;
        return err_prefix(err, "manifest list");
    }
    return 0;
}

/* ---- reading ---- */

static int get_int(const avro_value_t *rec, int32_t id, const char *name, const char *alt, int64_t dflt, int64_t *out,
                   int required, err_t *err)
{
    const avro_value_t *v = avro_field_iceberg(rec, id, name, alt);
    if (!v) {
        if (required)
            return err_set(err, ERR_INVALID, "manifest list: %s is missing", name);
        *out = dflt;
        return 0;
    }
    if (v->type != AVRO_INT && v->type != AVRO_LONG)
        return err_set(err, ERR_INVALID, "manifest list: %s is a %s, not a number", name, avro_type_name(v->type));
    *out = v->l;
    return 0;
}

static int get_opt_bytes(const avro_value_t *rec, int32_t id, const char *name, int *has, buf_t *out, err_t *err)
{
    const avro_value_t *v = avro_field_iceberg(rec, id, name, NULL);
    *has = 0;
    if (!v)
        return 0;
    if (v->type != AVRO_BYTES && v->type != AVRO_FIXED && v->type != AVRO_STRING)
        return err_set(err, ERR_INVALID, "manifest list: %s is a %s, not bytes", name, avro_type_name(v->type));
    *has = 1;
    if (buf_append(out, v->bytes.p, v->bytes.n))
        return err_set(err, ERR_NOMEM, "manifest list: out of memory");
    return 0;
}

static int read_one(const avro_value_t *rec, ice_manifest_file_t *m, err_t *err)
{
    if (rec->type != AVRO_RECORD)
        return err_set(err, ERR_INVALID, "manifest list: a datum is a %s, not a record", avro_type_name(rec->type));
    const avro_value_t *path = avro_field_iceberg(rec, 500, "manifest_path", NULL);
    if (!path || path->type != AVRO_STRING)
        return err_set(err, ERR_INVALID, "manifest list: manifest_path is missing");
    m->manifest_path = strndup((const char *)path->bytes.p, path->bytes.n);
    if (!m->manifest_path)
        return err_set(err, ERR_NOMEM, "manifest list: out of memory");
    int64_t spec_id = 0, content = 0;
    /* v1 lists have no content and no sequence numbers: data, sequence number 0 */
    if (get_int(rec, 501, "manifest_length", NULL, 0, &m->manifest_length, 1, err) ||
        get_int(rec, 502, "partition_spec_id", NULL, 0, &spec_id, 1, err) ||
        get_int(rec, 517, "content", NULL, 0, &content, 0, err) ||
        get_int(rec, 515, "sequence_number", NULL, 0, &m->sequence_number, 0, err) ||
        get_int(rec, 516, "min_sequence_number", NULL, 0, &m->min_sequence_number, 0, err) ||
        get_int(rec, 503, "added_snapshot_id", NULL, 0, &m->added_snapshot_id, 1, err) ||
        get_int(rec, 504, "added_files_count", "added_data_files_count", -1, &m->added_files_count, 0, err) ||
        get_int(rec, 505, "existing_files_count", "existing_data_files_count", -1, &m->existing_files_count, 0, err) ||
        get_int(rec, 506, "deleted_files_count", "deleted_data_files_count", -1, &m->deleted_files_count, 0, err) ||
        get_int(rec, 512, "added_rows_count", NULL, -1, &m->added_rows_count, 0, err) ||
        get_int(rec, 513, "existing_rows_count", NULL, -1, &m->existing_rows_count, 0, err) ||
        get_int(rec, 514, "deleted_rows_count", NULL, -1, &m->deleted_rows_count, 0, err))
        return err_prefix(err, "%s", m->manifest_path);
    m->partition_spec_id = (int32_t)spec_id;
    m->content = (int32_t)content;
    const avro_value_t *parts = avro_field_iceberg(rec, 507, "partitions", NULL);
    if (parts) {
        if (parts->type != AVRO_ARRAY)
            return err_set(err, ERR_INVALID, "manifest list: %s: partitions is not an array", m->manifest_path);
        if (parts->n > 100000)
            return err_set(err, ERR_TOO_LARGE, "manifest list: %s: %zu partition summaries", m->manifest_path, parts->n);
        m->has_partitions = 1;
        if (parts->n && !(m->partitions = calloc(parts->n, sizeof *m->partitions)))
            return err_set(err, ERR_NOMEM, "manifest list: out of memory");
        m->npartitions = (int)parts->n;
        for (size_t i = 0; i < parts->n; i++) {
            const avro_value_t *p = &parts->items[i];
            ice_field_summary_t *s = &m->partitions[i];
            const avro_value_t *cn = avro_field_iceberg(p, 509, "contains_null", NULL);
            const avro_value_t *cnan = avro_field_iceberg(p, 518, "contains_nan", NULL);
            if (p->type != AVRO_RECORD || !cn || cn->type != AVRO_BOOLEAN || (cnan && cnan->type != AVRO_BOOLEAN))
                return err_set(err, ERR_INVALID, "manifest list: %s: partition summary %zu is malformed", m->manifest_path, i);
            s->contains_null = (int)cn->l;
            s->contains_nan = cnan ? (int)cnan->l : -1;
            if (get_opt_bytes(p, 510, "lower_bound", &s->has_lower, &s->lower, err) ||
                get_opt_bytes(p, 511, "upper_bound", &s->has_upper, &s->upper, err))
                return err_prefix(err, "%s", m->manifest_path);
        }
    }
    if (get_opt_bytes(rec, 519, "key_metadata", &m->has_key_metadata, &m->key_metadata, err))
        return err_prefix(err, "%s", m->manifest_path);
    return 0;
}

int ice_manifest_list_read(const uint8_t *data, size_t len, ice_manifest_file_t **out, size_t *n, err_t *err)
{
    *out = NULL;
    *n = 0;
    avro_reader_t *r;
    if (avro_reader_open(&r, data, len, NULL, err))
        return err_prefix(err, "manifest list");
    ice_manifest_file_t *m = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    const avro_value_t *v;
    while ((rc = avro_reader_next(r, &v, err)) == 1) {
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            ice_manifest_file_t *nm = realloc(m, nc * sizeof *nm);
            if (!nm) {
                rc = err_set(err, ERR_NOMEM, "manifest list: out of memory");
                break;
            }
            m = nm;
            cap = nc;
        }
        memset(&m[cnt], 0, sizeof m[cnt]);
        cnt++;
        if (read_one(v, &m[cnt - 1], err)) {
            rc = -1;
            break;
        }
    }
    avro_reader_close(r);
    if (rc < 0) {
        ice_manifest_files_free(m, cnt);
        return -1;
    }
    *out = m;
    *n = cnt;
    return 0;
}
