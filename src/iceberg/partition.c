/* Partition specs and the timestamp transforms of the Iceberg spec ("Partition Transforms"). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Only the columns every table has, so one ICEBERG_PARTITION serves all seven tables. */
static const char *const source_columns[] = {"Timestamp", "ServiceName"};

static int is_timestamp(const schema_elem_t *e) { return e->type == PT_INT64 && e->logical == LT_TIMESTAMP_US; }
static int is_string(const schema_elem_t *e) { return e->type == PT_BYTE_ARRAY && e->logical == LT_STRING; }

/* One item, white space taken out: "day(Timestamp)" or a bare column name (identity). */
static int parse_item(const char *item, const table_schema_t *s, ice_partition_spec_t *spec, err_t *err)
{
    int nopen = 0, nclose = 0;
    for (const char *q = item; *q; q++)
        nopen += *q == '(', nclose += *q == ')';
    if (nopen != nclose)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: unbalanced parentheses in '%s'", item);
    size_t n = strlen(item), tn = 0;
    const char *col = item, *open = strchr(item, '(');
    ice_transform_t t = ICE_IDENTITY;
    if (open) {
        tn = (size_t)(open - item);
        if (nopen > 1 || item[n - 1] != ')' || tn == 0 || n - tn == 2)
            return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: cannot read '%s' (want e.g. day(Timestamp))", item);
        int found = 0;
        for (int k = 0; k < 5 && !found; k++)
            if (strlen(transform_names[k]) == tn && strncasecmp(item, transform_names[k], tn) == 0)
                t = (ice_transform_t)k, found = 1;
        if (!found)
            return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: unknown transform '%.*s' in '%s' (identity, year, month, day, hour)",
                           (int)tn, item, item);
        col = open + 1;
    }
    char name[ICE_PARTITION_ITEM_MAX];
    snprintf(name, sizeof name, "%.*s", (int)(open ? n - tn - 2 : n), col);
    int allowed = 0;
    for (size_t k = 0; k < sizeof source_columns / sizeof source_columns[0]; k++)
        allowed |= strcmp(name, source_columns[k]) == 0;
    if (!allowed)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: '%s': column '%s' cannot be a partition source (Timestamp, ServiceName)",
                       item, name);
    const schema_elem_t *e = schema_top_elem(s, name);
    if (!e)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: '%s': table %s has no column %s", item, s->name, name);
    if (t != ICE_IDENTITY ? !is_timestamp(e) : !(is_timestamp(e) || is_string(e)))
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: '%s': %s of %s is not supported (%s)", item, transform_names[t], name,
                       t != ICE_IDENTITY ? "it is not a timestamp" : "identity takes a timestamp or a string");
    for (int k = 0; k < spec->nfields; k++) {
        const ice_partition_field_t *o = &spec->fields[k];
        /* Iceberg rejects the same transform twice and two time transforms of one column */
        if (o->source_id == e->field_id && (o->transform == t || (o->transform != ICE_IDENTITY && t != ICE_IDENTITY)))
            return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: '%s' repeats a partition of %s", item, name);
    }
    if (spec->nfields == ICE_MAX_PARTITION_FIELDS)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: more than %d fields", ICE_MAX_PARTITION_FIELDS);
    ice_partition_field_t *f = &spec->fields[spec->nfields];
    f->transform = t;
    f->source_id = e->field_id;
    f->source_type = e->type;
    f->field_id = ICE_FIRST_PARTITION_FIELD_ID + spec->nfields;
    if (t == ICE_IDENTITY)
        snprintf(f->name, sizeof f->name, "%s", e->name);
    else
        snprintf(f->name, sizeof f->name, "%s_%s", e->name, transform_names[t]);
    spec->nfields++;
    return 0;
}

int ice_partition_spec_parse(const char *text, const table_schema_t *schema, ice_partition_spec_t *spec, err_t *err)
{
    memset(spec, 0, sizeof *spec);
    if (!text || !*text)
        text = ICE_DEFAULT_PARTITION;
    int items = 0, none = 0;
    for (const char *p = text;; p++) {
        /* white space is allowed around items and inside the parentheses */
        char item[ICE_PARTITION_ITEM_MAX];
        size_t n = 0;
        for (; *p && *p != ','; p++) {
            if (isspace((unsigned char)*p))
                continue;
            if (n + 1 == sizeof item)
                return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: an item of '%.100s' is longer than %d characters", text,
                               ICE_PARTITION_ITEM_MAX - 1);
            item[n++] = *p;
        }
        item[n] = 0;
        if (n) {
            items++;
            if (strcasecmp(item, "none") == 0 || strcasecmp(item, "unpartitioned") == 0)
                none = 1;
            else if (parse_item(item, schema, spec, err))
                return -1;
        }
        if (!*p)
            break;
    }
    if (none && items > 1)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: 'none' cannot be combined with other fields");
    if (items == 0)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: no fields in '%.100s' (none for an unpartitioned table)", text);
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

/* java.net.URLEncoder.encode(s, "UTF-8"): [A-Za-z0-9.*_-] kept, space as '+', every other byte
 * as %XX (upper case). s is UTF-8 (ingest checks it), so its bytes are the UTF-8 Java encodes. */
static int url_form_encode(buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (buf_reserve(out, n * 3))
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '*' ||
                   c == '_' || c == '-';
        if (keep || c == ' ') {
            out->data[out->len++] = keep ? c : '+';
        } else {
            out->data[out->len++] = '%';
            out->data[out->len++] = (uint8_t)hex[c >> 4];
            out->data[out->len++] = (uint8_t)hex[c & 15];
        }
    }
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }

/* The year as java.time.LocalDate prints it: 4 digits at least, '-' before, '+' past 9999. */
static int iso_year(char *out, size_t cap, int64_t y)
{
    if (y < 0 && y > -1000)
        return snprintf(out, cap, "-%04lld", (long long)-y);
    return snprintf(out, cap, "%s%04lld", y > 9999 ? "+" : "", (long long)y);
}

/* Iceberg's Transform.toHumanString of a non-null value other than a string (TransformUtil):
 * year "%04d", month "%04d-%02d", day "%04d-%02d-%02d", hour "%04d-%02d-%02d-%02d", identity of
 * a timestamptz the java.time.OffsetDateTime text (2026-12-04T10:11:12.123456Z; seconds only when
 * not 0, the fraction in 3 or 6 digits only when not 0). */
static void human_number(const ice_partition_field_t *f, int64_t v, char *out, size_t cap)
{
    civil_hour_t c;
    switch (f->transform) {
    case ICE_YEAR:
        snprintf(out, cap, "%04lld", (long long)(1970 + v));
        return;
    case ICE_MONTH:
        snprintf(out, cap, "%04lld-%02d", (long long)(1970 + floor_div(v, 12)), (int)(v - floor_div(v, 12) * 12) + 1);
        return;
    case ICE_DAY:
        c = civil_from_days(v);
        snprintf(out, cap, "%04d-%02d-%02d", c.year, c.month, c.day);
        return;
    case ICE_HOUR:
        c = civil_from_days(floor_div(v, 24));
        snprintf(out, cap, "%04d-%02d-%02d-%02d", c.year, c.month, c.day, (int)(v - floor_div(v, 24) * 24));
        return;
    case ICE_IDENTITY:
        break;
    }
    const int64_t day_us = 86400000000LL;
    int64_t days = floor_div(v, day_us), us = v - days * day_us;
    c = civil_from_days(days);
    int sec = (int)(us / 1000000 % 60), frac = (int)(us % 1000000);
    int n = iso_year(out, cap, c.year);
    n += snprintf(out + n, cap - (size_t)n, "-%02d-%02dT%02d:%02d", c.month, c.day, (int)(us / 3600000000LL),
                  (int)(us / 60000000 % 60));
    if (sec || frac)
        n += snprintf(out + n, cap - (size_t)n, ":%02d", sec);
    if (frac % 1000 == 0 && frac)
        n += snprintf(out + n, cap - (size_t)n, ".%03d", frac / 1000);
    else if (frac)
        n += snprintf(out + n, cap - (size_t)n, ".%06d", frac);
    snprintf(out + n, cap - (size_t)n, "Z");
}

int ice_partition_path(const ice_partition_spec_t *spec, const ice_partition_value_t *vals, buf_t *out)
{
    for (int i = 0; i < spec->nfields; i++) {
        const ice_partition_field_t *f = &spec->fields[i];
        const ice_partition_value_t *v = &vals[i];
        char num[64];
        if ((i && buf_put_u8(out, '/')) || url_form_encode(out, f->name, strlen(f->name)) || buf_put_u8(out, '='))
            return -1;
        if (v->is_null || (f->source_type == PT_BYTE_ARRAY && !v->s)) {
            if (buf_append_str(out, "null"))
                return -1;
            continue;
        }
        if (f->source_type == PT_BYTE_ARRAY) {
            if (url_form_encode(out, v->s, v->n))
                return -1;
            continue;
        }
        human_number(f, v->l, num, sizeof num);
        if (url_form_encode(out, num, strlen(num)))
            return -1;
    }
    return 0;
}
