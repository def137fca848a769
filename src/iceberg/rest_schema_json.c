#include "iceberg/rest_schema_json.h"

#include <stdlib.h>
#include <string.h>

#include "iceberg/manifest.h"

/* json_object_set_new that reports failure (a NULL value included) as -1. */
static int put(json_t *o, const char *k, json_t *v)
{
    if (!v)
        return -1;
    return json_object_set_new(o, k, v) ? -1 : 0;
}

/* The one schema serialisation (schema_json.c, which the manifests carry too), as a jansson
 * value for the createTable request. */
json_t *iceberg_schema_json(const table_schema_t *s, int schema_id)
{
    buf_t b = {0};
    json_t *v = NULL;
    if (ice_schema_json(s, schema_id, &b) == 0)
        v = json_loadb((const char *)b.data, b.len, 0, NULL);
    buf_free(&b);
    return v;
}

/* The fields as the manifests carry them (partition.c), with the spec's id. */
json_t *iceberg_partition_spec_json(const ice_partition_spec_t *p)
{
    buf_t b = {0};
    json_t *o = NULL, *fields = NULL;
    if (ice_partition_spec_fields_json(p, &b) == 0)
        fields = json_loadb((const char *)b.data, b.len, 0, NULL);
    buf_free(&b);
    if (fields && (o = json_object()) && (put(o, "spec-id", json_integer(p->spec_id)) || json_object_set(o, "fields", fields))) {
        json_decref(o);
        o = NULL;
    }
    json_decref(fields);
    return o;
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
