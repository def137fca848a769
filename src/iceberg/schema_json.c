/* The Iceberg JSON of a table schema (spec Appendix C), built from the same element constants as
 * the Parquet footer, so the ids cannot disagree. */
#include "iceberg/manifest.h"
#include "util/json_text.h"

const char *ice_primitive_type(const schema_elem_t *e)
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
    default:
        return e->logical == LT_STRING ? "string" : "binary";
    }
}

static int type_json(const table_schema_t *s, int *i, buf_t *out);

/* One struct field at *i: {"id":..,"name":..,"required":..,"type":..}. */
static int field_json(const table_schema_t *s, int *i, buf_t *out)
{
    const schema_elem_t *e = &s->elems[*i];
    if (buf_printf(out, "{\"id\":%d,\"name\":", (int)e->field_id) || json_put_string(out, e->name, strlen(e->name)) ||
        buf_printf(out, ",\"required\":%s,\"type\":", e->rep == REP_REQUIRED ? "true" : "false"))
        return -1;
    return type_json(s, i, out) || buf_append_str(out, "}");
}

static int type_json(const table_schema_t *s, int *i, buf_t *out)
{
    if (*i >= s->nelems)
        return -1;
    const schema_elem_t *e = &s->elems[(*i)++];
    if (e->type != PT_GROUP)
        return buf_printf(out, "\"%s\"", ice_primitive_type(e));
    if (e->logical == LT_LIST) {
        (*i)++; /* the repeated "list" group */
        const schema_elem_t *el = &s->elems[*i];
        if (buf_printf(out, "{\"type\":\"list\",\"element-id\":%d,\"element\":", (int)el->field_id) ||
            type_json(s, i, out))
            return -1;
        return buf_printf(out, ",\"element-required\":%s}", el->rep == REP_REQUIRED ? "true" : "false");
    }
    if (e->logical == LT_MAP) {
        (*i)++; /* the repeated "key_value" group */
        const schema_elem_t *k = &s->elems[*i];
        if (buf_printf(out, "{\"type\":\"map\",\"key-id\":%d,\"key\":", (int)k->field_id) || type_json(s, i, out))
            return -1;
        const schema_elem_t *v = &s->elems[*i];
        if (buf_printf(out, ",\"value-id\":%d,\"value\":", (int)v->field_id) || type_json(s, i, out))
            return -1;
        return buf_printf(out, ",\"value-required\":%s}", v->rep == REP_REQUIRED ? "true" : "false");
    }
    if (buf_append_str(out, "{\"type\":\"struct\",\"fields\":["))
        return -1;
    for (int c = 0; c < e->nchildren; c++)
        if ((c && buf_append_str(out, ",")) || field_json(s, i, out))
            return -1;
    return buf_append_str(out, "]}");
}

int ice_schema_json(const table_schema_t *s, int schema_id, buf_t *out)
{
    if (buf_printf(out, "{\"type\":\"struct\",\"schema-id\":%d,\"fields\":[", schema_id))
        return -1;
    int i = 0;
    for (int t = 0; t < s->ntop; t++)
        if ((t && buf_append_str(out, ",")) || field_json(s, &i, out))
            return -1;
    return buf_append_str(out, "]}");
}
