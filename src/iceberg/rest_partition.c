#include "iceberg/rest_partition.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "table/schema.h"

const char *part_transform_name(part_transform_t t)
{
    switch (t) {
    case PART_YEAR:
        return "year";
    case PART_MONTH:
        return "month";
    case PART_DAY:
        return "day";
    case PART_HOUR:
        return "hour";
    default:
        return "identity";
    }
}

/* Index after the subtree of element i (elements are depth first). */
static int subtree_end(const table_schema_t *s, int i)
{
    int n = s->elems[i].nchildren, next = i + 1;
    for (int c = 0; c < n && next < s->nelems; c++)
        next = subtree_end(s, next);
    return next;
}

static const schema_elem_t *top_elem(const table_schema_t *s, const char *name)
{
    for (int i = 0, top = 0; i < s->nelems && top < s->ntop; i = subtree_end(s, i), top++)
        if (strcmp(s->elems[i].name, name) == 0)
            return &s->elems[i];
    return NULL;
}

int32_t schema_top_field_id(const table_schema_t *s, const char *name)
{
    const schema_elem_t *e = top_elem(s, name);
    return e ? e->field_id : -1;
}

/* One item, already trimmed: "day(Timestamp)" or "ServiceName". */
static int parse_item(part_spec_t *out, const table_schema_t *s, const char *item, err_t *err)
{
    char tr[32] = "identity", col[128];
    const char *open = strchr(item, '(');
    if (open) {
        size_t tl = (size_t)(open - item), il = strlen(item);
        if (tl == 0 || tl >= sizeof tr || item[il - 1] != ')' || il - tl - 2 >= sizeof col || il - tl - 2 == 0)
            return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: cannot read '%.100s' (want e.g. day(Timestamp))", item);
        memcpy(tr, item, tl);
        tr[tl] = 0;
        memcpy(col, open + 1, il - tl - 2);
        col[il - tl - 2] = 0;
    } else {
        if (strlen(item) >= sizeof col || !*item)
            return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: cannot read '%.100s'", item);
        memcpy(col, item, strlen(item) + 1);
    }
    static const struct {
        const char *name;
        part_transform_t t;
    } transforms[] = {{"identity", PART_IDENTITY}, {"year", PART_YEAR}, {"month", PART_MONTH},
                      {"day", PART_DAY},           {"hour", PART_HOUR}};
    int ti = -1;
    for (size_t k = 0; k < sizeof transforms / sizeof transforms[0]; k++)
        if (strcasecmp(tr, transforms[k].name) == 0)
            ti = (int)k;
    if (ti < 0)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: unknown transform '%s' in '%.100s' (identity, year, month, day, hour)",
                       tr, item);
    part_transform_t t = transforms[ti].t;
    /* only the columns every table has, so one setting serves all seven tables */
    if (strcmp(col, "Timestamp") != 0 && strcmp(col, "ServiceName") != 0)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: '%.100s': column '%s' cannot be a partition source (Timestamp, ServiceName)",
                       item, col);
    const schema_elem_t *e = top_elem(s, col);
    if (!e)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: table %s has no column %s", s->name, col);
    if (t != PART_IDENTITY && e->logical != LT_TIMESTAMP_US)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: '%.100s': %s is not a timestamp", item, col);
    for (int k = 0; k < out->nfields; k++) {
        const part_field_t *o = &out->fields[k];
        if (o->source_id != e->field_id)
            continue;
        /* Iceberg rejects the same transform twice and two time transforms of one column */
        if (o->transform == t || (o->transform != PART_IDENTITY && t != PART_IDENTITY))
            return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: '%.100s' repeats a partition of %s", item, col);
    }
    if (out->nfields >= PART_MAX_FIELDS)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: more than %d fields", PART_MAX_FIELDS);
    part_field_t *f = &out->fields[out->nfields];
    f->transform = t;
    f->source_id = e->field_id;
    f->field_id = PART_FIRST_FIELD_ID + out->nfields;
    f->source_name = e->name;
    if (t == PART_IDENTITY)
        snprintf(f->name, sizeof f->name, "%s", e->name);
    else
        snprintf(f->name, sizeof f->name, "%s_%s", e->name, part_transform_name(t));
    for (int k = 0; k < out->nfields; k++)
        if (strcmp(out->fields[k].name, f->name) == 0)
            return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: '%.100s' repeats partition field %s", item, f->name);
    out->nfields++;
    return 0;
}

int part_spec_parse(part_spec_t *out, const table_schema_t *s, const char *text, err_t *err)
{
    memset(out, 0, sizeof *out);
    if (!text || !*text)
        text = "day(Timestamp)";
    char copy[256];
    if (strlen(text) >= sizeof copy)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: too long");
    snprintf(copy, sizeof copy, "%s", text);
    char *save = NULL;
    int items = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        /* spaces are allowed around items and inside the parentheses */
        char item[256];
        size_t n = 0;
        for (const char *p = tok; *p && n + 1 < sizeof item; p++)
            if (!isspace((unsigned char)*p))
                item[n++] = *p;
        item[n] = 0;
        items++;
        if (strcasecmp(item, "none") == 0 || strcasecmp(item, "unpartitioned") == 0) {
            if (items > 1 || strtok_r(NULL, ",", &save))
                return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: 'none' cannot be combined with other fields");
            return 0;
        }
        if (parse_item(out, s, item, err))
            return -1;
    }
    if (items == 0)
        return err_set(err, ERR_CONFIG, "ICEBERG_PARTITION: empty");
    return 0;
}
