/* Pending records: an ice_data_file_t (plus what the retrying commit needs) as JSON and back. */
#include "iceberg/pending_record.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

/* ---- encoding ---- */

/* A count of ours as a JSON integer; NULL when it does not fit (or memory ran out). */
static json_t *count_json(uint64_t v) { return v > (uint64_t)INT64_MAX ? NULL : json_integer((json_int_t)v); }

/* obj[name] = v (taken); -1 when v is NULL or memory runs out. */
static int put(json_t *obj, const char *name, json_t *v) { return v ? json_object_set_new(obj, name, v) : -1; }

static json_t *bound_json(const buf_t *b)
{
    buf_t t = {0};
    if (buf_put_base64(&t, b->data, b->len) || buf_append(&t, "", 1)) {
        buf_free(&t);
        return NULL;
    }
    json_t *s = json_stringn((const char *)t.data, t.len - 1);
    buf_free(&t);
    return s;
}

static json_t *column_json(const ice_column_metrics_t *m)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = put(o, "field-id", json_integer(m->field_id)) || put(o, "column-size", count_json(m->column_size)) ||
             put(o, "value-count", count_json(m->value_count)) || put(o, "null-count", count_json(m->null_count)) ||
             (m->has_nan_count && put(o, "nan-count", count_json(m->nan_count))) ||
             (m->has_lower && put(o, "lower-bound", bound_json(&m->lower))) ||
             (m->has_upper && put(o, "upper-bound", bound_json(&m->upper)));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Appends v (taken) to arr; -1 when v is NULL. */
static int push(json_t *arr, json_t *v) { return v ? json_array_append_new(arr, v) : -1; }

static json_t *record_json(const ice_data_file_t *df, int64_t seq_floor, const int64_t *tried, size_t ntried)
{
    json_t *o = json_object(), *part = json_array(), *cols = json_array(), *splits = json_array(),
           *tr = json_array();
    int rc = !o || !part || !cols || !splits || !tr;
    for (int i = 0; !rc && i < df->npartition; i++) {
        const ice_partition_value_t *v = &df->partition[i];
        rc = push(part, v->is_null ? json_null() : v->s ? json_stringn(v->s, v->n) : json_integer(v->l));
    }
    for (int c = 0; !rc && c < df->ncols; c++)
        rc = push(cols, column_json(&df->cols[c]));
    for (uint32_t i = 0; !rc && i < df->nsplit_offsets; i++)
        rc = push(splits, json_integer(df->split_offsets[i]));
    for (size_t i = 0; !rc && i < ntried; i++)
        rc = push(tr, json_integer(tried[i]));
    if (!rc) {
        rc = put(o, "version", json_integer(ICE_PENDING_VERSION)) ||
             put(o, "file-path", df->file_path ? json_string(df->file_path) : NULL) ||
             put(o, "file-size-in-bytes", count_json(df->file_size_in_bytes)) ||
             put(o, "record-count", count_json(df->record_count)) || put(o, "partition", json_incref(part)) ||
             put(o, "columns", json_incref(cols)) || put(o, "split-offsets", json_incref(splits)) ||
             put(o, "sort-order-id", json_integer(df->sort_order_id)) ||
             put(o, "sequence-floor", json_integer(seq_floor)) || put(o, "tried-snapshot-ids", json_incref(tr));
    }
    json_decref(part);
    json_decref(cols);
    json_decref(splits);
    json_decref(tr);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int dump_cb(const char *buffer, size_t size, void *data) { return buf_append(data, buffer, size); }

int ice_pending_encode(const ice_data_file_t *df, int64_t seq_floor, const int64_t *tried_snapshot_ids, size_t ntried,
                       buf_t *out)
{
    json_t *o = record_json(df, seq_floor, tried_snapshot_ids, ntried);
    if (!o)
        return -1;
    size_t before = out->len;
    int rc = json_dump_callback(o, dump_cb, out, JSON_COMPACT | JSON_ENSURE_ASCII) ? -1 : 0;
    if (rc)
        out->len = before;
    json_decref(o);
    return rc;
}

/* ---- decoding ---- */

/* The member name of obj, where=the path for messages ("columns[2]"). */
static json_t *member(json_t *obj, const char *where, const char *name, json_type type, int optional, err_t *err)
{
    json_t *v = json_object_get(obj, name);
    if (!v) {
        if (!optional)
            err_set(err, ERR_INVALID, "pending record: %s%s\"%s\" missing", where, *where ? "." : "", name);
        return NULL;
    }
    if (json_typeof(v) != type) {
        err_set(err, ERR_INVALID, "pending record: %s%s\"%s\" has the wrong type", where, *where ? "." : "", name);
        return NULL;
    }
    return v;
}

static int get_int(json_t *obj, const char *where, const char *name, int64_t min, int64_t max, int64_t *out,
                   err_t *err)
{
    json_t *v = member(obj, where, name, JSON_INTEGER, 0, err);
    if (!v)
        return -1;
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return err_set(err, ERR_INVALID, "pending record: %s%s\"%s\" out of range", where, *where ? "." : "", name);
    *out = (int64_t)x;
    return 0;
}

static int get_count(json_t *obj, const char *where, const char *name, uint64_t *out, err_t *err)
{
    int64_t v;
    if (get_int(obj, where, name, 0, INT64_MAX, &v, err))
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* An array member of at most max items; NULL with err set otherwise. */
static json_t *get_array(json_t *obj, const char *name, size_t max, err_t *err)
{
    json_t *a = member(obj, "", name, JSON_ARRAY, 0, err);
    if (a && json_array_size(a) > max) {
        err_set(err, ERR_INVALID, "pending record: \"%s\" has %zu items, at most %zu", name, json_array_size(a), max);
        return NULL;
    }
    return a;
}

static int get_bound(json_t *col, const char *where, const char *name, int *has, buf_t *out, err_t *err)
{
    json_t *v = json_object_get(col, name);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return err_set(err, ERR_INVALID, "pending record: %s.\"%s\" has the wrong type", where, name);
    size_t n = json_string_length(v);
    if (base64_decoded_max(n) > ICE_PENDING_MAX_BOUND)
        return err_set(err, ERR_INVALID, "pending record: %s.\"%s\" longer than %d bytes", where, name,
                       ICE_PENDING_MAX_BOUND);
    if (buf_reserve(out, base64_decoded_max(n) + 1))
        return err_set(err, ERR_NOMEM, "pending record: out of memory");
    size_t len;
    if (base64_decode(out->data, &len, json_string_value(v), n))
        return err_set(err, ERR_INVALID, "pending record: %s.\"%s\" is not base64", where, name);
    out->len = len;
    *has = 1;
    return 0;
}

static int decode_column(json_t *col, size_t idx, ice_column_metrics_t *m, err_t *err)
{
    char where[32];
    snprintf(where, sizeof where, "columns[%zu]", idx);
    if (!json_is_object(col))
        return err_set(err, ERR_INVALID, "pending record: %s is not an object", where);
    int64_t id;
    if (get_int(col, where, "field-id", 0, INT32_MAX, &id, err) ||
        get_count(col, where, "column-size", &m->column_size, err) ||
        get_count(col, where, "value-count", &m->value_count, err) ||
        get_count(col, where, "null-count", &m->null_count, err))
        return -1;
    m->field_id = (int32_t)id;
    if (json_object_get(col, "nan-count")) {
        if (get_count(col, where, "nan-count", &m->nan_count, err))
            return -1;
        m->has_nan_count = 1;
    }
    if (get_bound(col, where, "lower-bound", &m->has_lower, &m->lower, err) ||
        get_bound(col, where, "upper-bound", &m->has_upper, &m->upper, err))
        return -1;
    return 0;
}

static int decode_record(json_t *o, ice_data_file_t *df, int64_t *seq_floor, int64_t *tried, size_t max_tried,
                         size_t *ntried, err_t *err)
{
    if (!json_is_object(o))
        return err_set(err, ERR_INVALID, "pending record: not a JSON object");
    int64_t version, v;
    if (get_int(o, "", "version", INT64_MIN, INT64_MAX, &version, err))
        return -1;
    if (version != ICE_PENDING_VERSION)
        return err_set(err, ERR_UNSUPPORTED, "pending record: version %lld, want %d", (long long)version,
                       ICE_PENDING_VERSION);

    json_t *path = member(o, "", "file-path", JSON_STRING, 0, err);
    if (!path)
        return -1;
    size_t plen = json_string_length(path);
    if (plen == 0 || plen > ICE_PENDING_MAX_PATH || memchr(json_string_value(path), 0, plen))
        return err_set(err, ERR_INVALID, "pending record: \"file-path\" empty, too long or holding a NUL");
    if (!(df->file_path = strdup(json_string_value(path))))
        return err_set(err, ERR_NOMEM, "pending record: out of memory");
    if (get_count(o, "", "file-size-in-bytes", &df->file_size_in_bytes, err) ||
        get_count(o, "", "record-count", &df->record_count, err))
        return -1;
    if (get_int(o, "", "sort-order-id", INT32_MIN, INT32_MAX, &v, err))
        return -1;
    df->sort_order_id = (int32_t)v;
    if (get_int(o, "", "sequence-floor", INT64_MIN, INT64_MAX, seq_floor, err))
        return -1;

    json_t *part = get_array(o, "partition", ICE_MAX_PARTITION_FIELDS, err);
    if (!part)
        return -1;
    for (size_t i = 0; i < json_array_size(part); i++) {
        json_t *x = json_array_get(part, i);
        ice_partition_value_t *pv = &df->partition[i];
        df->npartition = (int)i + 1;
        if (json_is_null(x)) {
            pv->is_null = 1;
        } else if (json_is_integer(x)) {
            pv->l = json_integer_value(x);
        } else if (json_is_string(x)) {
            ice_partition_value_t t = {.s = json_string_value(x), .n = json_string_length(x)};
            if (ice_partition_value_own(&t))
                return err_set(err, ERR_NOMEM, "pending record: out of memory");
            *pv = t;
        } else {
            return err_set(err, ERR_INVALID, "pending record: partition[%zu] is not null, an integer or a string", i);
        }
    }

    json_t *cols = get_array(o, "columns", SCHEMA_MAX_LEAVES, err);
    if (!cols)
        return -1;
    for (size_t i = 0; i < json_array_size(cols); i++) {
        df->ncols = (int)i + 1;
        if (decode_column(json_array_get(cols, i), i, &df->cols[i], err))
            return -1;
    }

    json_t *splits = get_array(o, "split-offsets", ICE_PENDING_MAX_SPLIT_OFFSETS, err);
    if (!splits)
        return -1;
    size_t ns = json_array_size(splits);
    if (ns) {
        if (!(df->split_offsets = malloc(ns * sizeof *df->split_offsets)))
            return err_set(err, ERR_NOMEM, "pending record: out of memory");
        for (size_t i = 0; i < ns; i++) {
            json_t *x = json_array_get(splits, i);
            if (!json_is_integer(x) || json_integer_value(x) < 0)
                return err_set(err, ERR_INVALID, "pending record: split-offsets[%zu] is not an offset", i);
            df->split_offsets[i] = json_integer_value(x);
            df->nsplit_offsets = (uint32_t)i + 1;
        }
    }

    json_t *tr = get_array(o, "tried-snapshot-ids", max_tried, err);
    if (!tr)
        return -1;
    for (size_t i = 0; i < json_array_size(tr); i++) {
        json_t *x = json_array_get(tr, i);
        if (!json_is_integer(x))
            return err_set(err, ERR_INVALID, "pending record: tried-snapshot-ids[%zu] is not an integer", i);
        tried[i] = json_integer_value(x);
        *ntried = i + 1;
    }
    return 0;
}

int ice_pending_decode(const uint8_t *p, size_t n, ice_data_file_t *df, int64_t *seq_floor, int64_t *tried,
                       size_t max_tried, size_t *ntried, err_t *err)
{
    memset(df, 0, sizeof *df);
    *seq_floor = 0;
    *ntried = 0;
    if (n > ICE_PENDING_MAX_BYTES)
        return err_set(err, ERR_TOO_LARGE, "pending record: %zu bytes, at most %zu", n, ICE_PENDING_MAX_BYTES);
    json_error_t je;
    json_t *o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!o)
        return err_set(err, ERR_INVALID, "pending record: not JSON: %s (line %d, column %d)", je.text, je.line,
                       je.column);
    int rc = decode_record(o, df, seq_floor, tried, max_tried, ntried, err);
    json_decref(o);
    return rc;
}
