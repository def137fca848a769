/* Partition specs and the timestamp transforms of the Iceberg spec ("Partition Transforms"). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "iceberg/manifest.h"
#include "util/civil_time.h"

static const char *const transform_names[] = {"identity", "hour", "day", "month", "year"};

int64_t ice_transform_timestamp(ice_transform_t t, int64_t us)
{
    civil_hour_t c;
    switch (t) {
    case ICE_IDENTITY:
        return us;
    case ICE_HOUR:
        return hour_of_micros(us);
    case ICE_DAY: {
        int64_t h = hour_of_micros(us);
        return h >= 0 ? h / 24 : -((-h + 23) / 24);
    }
    case ICE_MONTH:
        c = civil_from_micros(us);
        return (int64_t)(c.year - 1970) * 12 + (c.month - 1);
    case ICE_YEAR:
        c = civil_from_micros(us);
        return c.year - 1970;
    }
    return 0;
}

/* The element index of a top-level field, or -1. */
static int top_field(const table_schema_t *s, const char *name, size_t n)
{
    int i = 0;
    for (int top = 0; top < s->ntop && i < s->nelems; top++) {
        if (strlen(s->elems[i].name) == n && memcmp(s->elems[i].name, name, n) == 0)
            return i;
        int pending = 1; /* skip the subtree */
        while (pending > 0 && i < s->nelems) {
            pending += s->elems[i].nchildren - 1;
            i++;
        }
    }
    return -1;
}

int ice_partition_spec_parse(const char *text, const table_schema_t *schema, ice_partition_spec_t *spec, err_t *err)
{
    memset(spec, 0, sizeof *spec);
    const char *p = text;
    while (*p) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        if (spec->nfields == ICE_MAX_PARTITION_FIELDS)
            return err_set(err, ERR_CONFIG, "partition spec \"%s\": more than %d fields", text, ICE_MAX_PARTITION_FIELDS);
        ice_partition_field_t *f = &spec->fields[spec->nfields];
        const char *open = memchr(start, '(', (size_t)(end - start));
        const char *col = start;
        size_t coln = (size_t)(end - start);
        f->transform = ICE_IDENTITY;
        if (open) {
            if (end[-1] != ')')
                return err_set(err, ERR_CONFIG, "partition spec \"%s\": missing ')'", text);
            size_t tn = (size_t)(open - start);
            int found = 0;
            for (int t = 0; t < 5; t++)
                if (strlen(transform_names[t]) == tn && memcmp(start, transform_names[t], tn) == 0) {
                    f->transform = (ice_transform_t)t;
                    found = 1;
                }
            if (!found)
                return err_set(err, ERR_CONFIG, "partition spec \"%s\": unknown transform \"%.*s\" (identity, hour, day, month, year)",
                               text, (int)tn, start);
            col = open + 1;
            coln = (size_t)(end - 1 - col);
        }
        int e = top_field(schema, col, coln);
        if (e < 0)
            return err_set(err, ERR_CONFIG, "partition spec \"%s\": table %s has no column \"%.*s\"", text, schema->name,
                           (int)coln, col);
        const schema_elem_t *el = &schema->elems[e];
        int is_ts = el->type == PT_INT64 && el->logical == LT_TIMESTAMP_US;
        int is_str = el->type == PT_BYTE_ARRAY && el->logical == LT_STRING;
        if (!(is_ts || (is_str && f->transform == ICE_IDENTITY)))
            return err_set(err, ERR_CONFIG, "partition spec \"%s\": %s of %s is not supported (time transforms on a timestamp, identity on a timestamp or a string)",
                           text, transform_names[f->transform], el->name);
        f->source_id = el->field_id;
        f->source_type = el->type;
        f->field_id = ICE_FIRST_PARTITION_FIELD_ID + spec->nfields;
        if (f->transform == ICE_IDENTITY)
            snprintf(f->name, sizeof f->name, "%s", el->name);
        else
            snprintf(f->name, sizeof f->name, "%s_%s", el->name, transform_names[f->transform]);
        spec->nfields++;
    }
    return 0;
}

int ice_partition_spec_fields_json(const ice_partition_spec_t *spec, buf_t *out)
{
    int rc = buf_append_str(out, "[");
    for (int i = 0; i < spec->nfields && !rc; i++) {
        const ice_partition_field_t *f = &spec->fields[i];
        rc = buf_printf(out, "%s{\"name\":\"%s\",\"transform\":\"%s\",\"source-id\":%d,\"field-id\":%d}", i ? "," : "",
                        f->name, transform_names[f->transform], (int)f->source_id, (int)f->field_id);
    }
    return rc || buf_append_str(out, "]");
}
