#include "table/schema.h"

#include <stdio.h>
#include <string.h>

/* Walks one element and its subtree, appending leaves; returns the index after the subtree. */
static int walk(table_schema_t *s, int i, int def, int rep, const char **path, int depth)
{
    if (i >= s->nelems || depth >= 8)
        return -1;
    const schema_elem_t *e = &s->elems[i];
    if (e->rep == REP_OPTIONAL)
        def++;
    else if (e->rep == REP_REPEATED)
        def++, rep++;
    path[depth] = e->name;
    if (e->type != PT_GROUP) {
        if (e->nchildren != 0 || s->nleaves >= SCHEMA_MAX_LEAVES)
            return -1;
        schema_leaf_t *l = &s->leaves[s->nleaves++];
        l->elem = i;
        l->type = e->type;
        l->max_def = (uint8_t)def;
        l->max_rep = (uint8_t)rep;
        l->field_id = e->field_id;
        l->depth = depth + 1;
        for (int k = 0; k <= depth; k++)
            l->path[k] = path[k];
        return i + 1;
    }
    int next = i + 1;
    for (int c = 0; c < e->nchildren; c++) {
        next = walk(s, next, def, rep, path, depth + 1);
        if (next < 0)
            return -1;
    }
    return next;
}

int schema_init(table_schema_t *s)
{
    const char *path[8];
    s->nleaves = 0;
    int i = 0;
    for (int top = 0; top < s->ntop; top++) {
        i = walk(s, i, 0, 0, path, 0);
        if (i < 0)
            return -1;
    }
    return i == s->nelems ? 0 : -1;
}

int schema_leaf_index(const table_schema_t *s, const char *dotted)
{
    for (int l = 0; l < s->nleaves; l++) {
        const schema_leaf_t *leaf = &s->leaves[l];
        const char *p = dotted;
        int ok = 1;
        for (int k = 0; k < leaf->depth && ok; k++) {
            size_t n = strlen(leaf->path[k]);
            if (strncmp(p, leaf->path[k], n) != 0)
                ok = 0;
            else if (k + 1 < leaf->depth) {
                if (p[n] != '.')
                    ok = 0;
                p += n + 1;
            } else if (p[n] != 0)
                ok = 0;
        }
        if (ok)
            return l;
    }
    return -1;
}

void schema_leaf_dotted(const schema_leaf_t *l, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = 0;
    for (int k = 0; k < l->depth && at + 1 < cap; k++) {
        int n = snprintf(out + at, cap - at, "%s%s", k ? "." : "", l->path[k]);
        if (n < 0)
            break;
        at += (size_t)n;
    }
}

/* The top-level element matching name (or, name NULL, field id id): the elements are depth
 * first, so each top-level field's subtree is skipped by counting children. */
static const schema_elem_t *top_elem(const table_schema_t *s, const char *name, int32_t id)
{
    int i = 0;
    for (int top = 0; top < s->ntop && i < s->nelems; top++) {
        if (name ? strcmp(s->elems[i].name, name) == 0 : s->elems[i].field_id == id)
            return &s->elems[i];
        int pending = 1; /* skip the subtree */
        while (pending > 0 && i < s->nelems) {
            pending += s->elems[i].nchildren - 1;
            i++;
        }
    }
    return NULL;
}

const schema_elem_t *schema_top_elem(const table_schema_t *s, const char *name) { return top_elem(s, name, 0); }

const schema_elem_t *schema_top_elem_by_id(const table_schema_t *s, int32_t field_id)
{
    return top_elem(s, NULL, field_id);
}

int32_t schema_top_field_id(const table_schema_t *s, const char *name)
{
    const schema_elem_t *e = schema_top_elem(s, name);
    return e ? e->field_id : -1;
}
