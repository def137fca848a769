#include "iceberg/rest_schema_json.h"

#include <stdlib.h>
#include <string.h>

static const char *primitive(const schema_elem_t *e)
{
    switch (e->type) {
    case PT_BOOLEAN:
        return "boolean";
    case PT_INT32:
        return "int";
    case PT_INT64:
        return e->logical == LT_TIMESTAMP_US ? "timestamptz" : "long";
    case PT_DOUBLE:
        return "double";
    case PT_BYTE_ARRAY:
        return e->logical == LT_STRING ? "string" : "binary";
    default:
        return NULL;
    }
}

/* json_object_set_new that reports failure (a NULL value included) as -1. */
static int put(json_t *o, const char *k, json_t *v)
{
    if (!v)
        return -1;
    return json_object_set_new(o, k, v) ? -1 : 0;
}

static int type_of(const table_schema_t *s, int i, json_t **out, int *next);

/* The struct whose fields are the n elements starting at elems[i]. */
static json_t *struct_of(const table_schema_t *s, int i, int n, int *next)
{
    json_t *st = json_object(), *fields = json_array();
    if (!st || !fields || put(st, "type", json_string("struct")) || json_object_set(st, "fields", fields))
        goto fail;
    for (int c = 0; c < n; c++) {
        if (i >= s->nelems)
            goto fail;
        const schema_elem_t *e = &s->elems[i];
        json_t *f = json_object(), *t = NULL;
        if (!f || json_array_append_new(fields, f) || e->field_id < 0 || e->rep == REP_REPEATED)
            goto fail;
        if (put(f, "id", json_integer(e->field_id)) || put(f, "name", json_string(e->name)) ||
            put(f, "required", json_boolean(e->rep == REP_REQUIRED)) || type_of(s, i, &t, &i) || put(f, "type", t))
            goto fail;
    }
    json_decref(fields);
    *next = i;
    return st;
fail:
    json_decref(fields);
    json_decref(st);
    return NULL;
}

/* The Iceberg type of element i (a field, list element, map key or value); *next = the index
 * after its subtree. */
static int type_of(const table_schema_t *s, int i, json_t **out, int *next)
{
    const schema_elem_t *e = &s->elems[i];
    *out = NULL;
    if (e->type != PT_GROUP) {
        const char *p = primitive(e);
        if (!p || !(*out = json_string(p)))
            return -1;
        *next = i + 1;
        return 0;
    }
    json_t *t = NULL;
    if (e->logical == LT_LIST || e->logical == LT_MAP) {
        /* the repeated middle group ("list" / "key_value") holds the element, or key and value */
        int mid = i + 1;
        int want = e->logical == LT_LIST ? 1 : 2;
        if (e->nchildren != 1 || mid >= s->nelems || s->elems[mid].rep != REP_REPEATED ||
            s->elems[mid].nchildren != want)
            return -1;
        int k = mid + 1;
        if (k >= s->nelems)
            return -1;
        const schema_elem_t *a = &s->elems[k];
        json_t *ta = NULL;
        if (!(t = json_object()) || type_of(s, k, &ta, &k))
            goto fail;
        if (e->logical == LT_LIST) {
            if (put(t, "type", json_string("list")) || put(t, "element-id", json_integer(a->field_id)) ||
                put(t, "element", ta) || put(t, "element-required", json_boolean(a->rep == REP_REQUIRED)))
                goto fail;
        } else {
            if (k >= s->nelems)
                goto fail_ta;
            const schema_elem_t *v = &s->elems[k];
            json_t *tv = NULL;
            if (put(t, "type", json_string("map")) || put(t, "key-id", json_integer(a->field_id)) || put(t, "key", ta))
                goto fail;
            if (type_of(s, k, &tv, &k) || put(t, "value-id", json_integer(v->field_id)) || put(t, "value", tv) ||
                put(t, "value-required", json_boolean(v->rep == REP_REQUIRED)))
                goto fail;
        }
        *next = k;
        *out = t;
        return 0;
    fail_ta:
        json_decref(ta);
        goto fail;
    }
    if (!(t = struct_of(s, i + 1, e->nchildren, next)))
        return -1;
    *out = t;
    return 0;
fail:
    json_decref(t);
    return -1;
}

json_t *iceberg_schema_json(const table_schema_t *s, int schema_id)
{
    int next = 0;
    json_t *st = struct_of(s, 0, s->ntop, &next);
    if (!st)
        return NULL;
    if (next != s->nelems || put(st, "schema-id", json_integer(schema_id))) {
        json_decref(st);
        return NULL;
    }
    return st;
}

json_t *iceberg_partition_spec_json(const part_spec_t *p, int spec_id)
{
    json_t *o = json_object(), *fields = json_array();
    if (!o || !fields || put(o, "spec-id", json_integer(spec_id)) || json_object_set(o, "fields", fields))
        goto fail;
    for (int i = 0; i < p->nfields; i++) {
        const part_field_t *f = &p->fields[i];
        json_t *jf = json_object();
        if (!jf || json_array_append_new(fields, jf) || put(jf, "name", json_string(f->name)) ||
            put(jf, "transform", json_string(part_transform_name(f->transform))) ||
            put(jf, "source-id", json_integer(f->source_id)) || put(jf, "field-id", json_integer(f->field_id)))
            goto fail;
    }
    json_decref(fields);
    return o;
fail:
    json_decref(fields);
    json_decref(o);
    return NULL;
}

json_t *iceberg_sort_order_json(const table_schema_t *s)
{
    static const char *const cols[] = {"ServiceName", "Timestamp"};
    json_t *o = json_object(), *fields = json_array();
    if (!o || !fields || put(o, "order-id", json_integer(1)) || json_object_set(o, "fields", fields))
        goto fail;
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        int32_t id = schema_top_field_id(s, cols[i]);
        json_t *f = json_object();
        if (id < 0 || !f || json_array_append_new(fields, f) || put(f, "transform", json_string("identity")) ||
            put(f, "source-id", json_integer(id)) || put(f, "direction", json_string("asc")) ||
            put(f, "null-order", json_string("nulls-first")))
            goto fail;
    }
    json_decref(fields);
    return o;
fail:
    json_decref(fields);
    json_decref(o);
    return NULL;
}

int iceberg_json_text(buf_t *out, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        return -1;
    int rc = buf_append_str(out, s);
    free(s);
    return rc;
}
