#include "table/column.h"

#include <stdlib.h>
#include <string.h>

void batch_init(table_batch_t *b, const table_schema_t *schema)
{
    memset(b, 0, sizeof *b);
    b->schema = schema;
    for (int i = 0; i < schema->nleaves; i++)
        b->cols[i].leaf = &schema->leaves[i];
}

void batch_free(table_batch_t *b)
{
    if (!b->schema)
        return;
    for (int i = 0; i < b->schema->nleaves; i++) {
        column_t *c = &b->cols[i];
        buf_free(&c->def);
        buf_free(&c->rep);
        buf_free(&c->vals);
        buf_free(&c->offs);
    }
    batch_init(b, b->schema);
}

void batch_reset(table_batch_t *b)
{
    for (int i = 0; i < b->schema->nleaves; i++) {
        column_t *c = &b->cols[i];
        c->def.len = c->rep.len = c->vals.len = c->offs.len = 0;
        c->nlevels = c->nvals = 0;
    }
    b->nrows = 0;
}

size_t batch_bytes(const table_batch_t *b)
{
    size_t n = 0;
    for (int i = 0; i < b->schema->nleaves; i++) {
        const column_t *c = &b->cols[i];
        n += c->def.len + c->rep.len + c->vals.len + c->offs.len;
    }
    return n;
}

void batch_mark(const table_batch_t *b, batch_mark_t *m)
{
    m->nrows = b->nrows;
    for (int i = 0; i < b->schema->nleaves; i++) {
        const column_t *c = &b->cols[i];
        m->cols[i].def = c->def.len;
        m->cols[i].rep = c->rep.len;
        m->cols[i].vals = c->vals.len;
        m->cols[i].offs = c->offs.len;
        m->cols[i].nlevels = c->nlevels;
        m->cols[i].nvals = c->nvals;
    }
}

void batch_rollback(table_batch_t *b, const batch_mark_t *m)
{
    b->nrows = m->nrows;
    for (int i = 0; i < b->schema->nleaves; i++) {
        column_t *c = &b->cols[i];
        c->def.len = m->cols[i].def;
        c->rep.len = m->cols[i].rep;
        c->vals.len = m->cols[i].vals;
        c->offs.len = m->cols[i].offs;
        c->nlevels = m->cols[i].nlevels;
        c->nvals = m->cols[i].nvals;
    }
}

int col_level(column_t *c, uint8_t rep, uint8_t def)
{
    if (c->nlevels == UINT32_MAX)
        return -1;
    if (c->leaf->max_def && buf_put_u8(&c->def, def))
        return -1;
    if (c->leaf->max_rep && buf_put_u8(&c->rep, rep)) {
        if (c->leaf->max_def)
            c->def.len--;
        return -1;
    }
    c->nlevels++;
    return 0;
}

/* Adds the level entry of a present value after its bytes were reserved. */
static int put_fixed(column_t *c, uint8_t rep, uint8_t def, const void *v, size_t n)
{
    if (buf_reserve(&c->vals, n) || col_level(c, rep, def))
        return -1;
    memcpy(c->vals.data + c->vals.len, v, n);
    c->vals.len += n;
    c->nvals++;
    return 0;
}

int col_i32_at(column_t *c, uint8_t rep, uint8_t def, int32_t v) { return put_fixed(c, rep, def, &v, 4); }
int col_i64_at(column_t *c, uint8_t rep, uint8_t def, int64_t v) { return put_fixed(c, rep, def, &v, 8); }
int col_f64_at(column_t *c, uint8_t rep, uint8_t def, double v) { return put_fixed(c, rep, def, &v, 8); }
int col_bool_at(column_t *c, uint8_t rep, uint8_t def, bool v)
{
    uint8_t x = v;
    return put_fixed(c, rep, def, &x, 1);
}

int col_str_at(column_t *c, uint8_t rep, uint8_t def, const void *s, size_t n)
{
    if (n > UINT32_MAX - c->vals.len)
        return -1;
    if (c->offs.len == 0 && buf_put_u32le(&c->offs, 0))
        return -1;
    if (buf_reserve(&c->offs, 4) || buf_reserve(&c->vals, n) || col_level(c, rep, def))
        return -1;
    if (n) /* an empty value may meet a buffer that was never allocated */
        memcpy(c->vals.data + c->vals.len, s, n);
    c->vals.len += n;
    uint32_t end = (uint32_t)c->vals.len;
    memcpy(c->offs.data + c->offs.len, &end, 4);
    c->offs.len += 4;
    c->nvals++;
    return 0;
}

static inline bool key_eq(const kv_t *x, const kv_t *y)
{
    return x->key_len == y->key_len && (x->key_len == 0 || memcmp(x->key, y->key, x->key_len) == 0);
}

typedef struct {
    const kv_t *kv;
    size_t idx;
} kv_ref_t;

static int ref_cmp(const void *pa, const void *pb)
{
    const kv_ref_t *x = pa, *y = pb;
    uint32_t n = x->kv->key_len < y->kv->key_len ? x->kv->key_len : y->kv->key_len;
    int r = n ? memcmp(x->kv->key, y->kv->key, n) : 0;
    if (r)
        return r;
    if (x->kv->key_len != y->kv->key_len)
        return x->kv->key_len < y->kv->key_len ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

size_t kv_dedup(kv_t *kv, size_t n, buf_t *tmp)
{
    if (n < 2)
        return n;
    if (n <= 16) {
        /* few entries (the usual case): comparing all pairs beats sorting */
        size_t out = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < out && !key_eq(&kv[j], &kv[i]))
                j++;
            if (j < out) {
                kv[j].val = kv[i].val;
                kv[j].val_len = kv[i].val_len;
            } else
                kv[out++] = kv[i];
        }
        return out;
    }
    /* many: sort references by (key, position), so each key's run ends with its last value */
    tmp->len = 0;
    if (n > SIZE_MAX / (sizeof(kv_ref_t) + 1) || buf_reserve(tmp, n * (sizeof(kv_ref_t) + 1)))
        return SIZE_MAX;
    kv_ref_t *refs = (kv_ref_t *)tmp->data;
    uint8_t *drop = tmp->data + n * sizeof(kv_ref_t);
    memset(drop, 0, n);
    for (size_t i = 0; i < n; i++)
        refs[i] = (kv_ref_t){&kv[i], i};
    qsort(refs, n, sizeof *refs, ref_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && key_eq(refs[i].kv, refs[j].kv))
            j++;
        if (j - i > 1) {
            kv_t *first = &kv[refs[i].idx];
            const kv_t *last = refs[j - 1].kv;
            first->val = last->val;
            first->val_len = last->val_len;
            for (size_t k = i + 1; k < j; k++)
                drop[refs[k].idx] = 1;
        }
        i = j;
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (!drop[i])
            kv[out++] = kv[i];
    return out;
}

int col_map_put_unique(column_t *key, column_t *val, uint8_t rep0, const kv_t *kv, size_t n)
{
    uint8_t kdef = key->leaf->max_def, vdef = val->leaf->max_def, rep_in = key->leaf->max_rep;
    if (n == 0) {
        uint8_t def0 = (uint8_t)(kdef - 1); /* the map is there, key_value is empty */
        return col_level(key, rep0, def0) || col_level(val, rep0, def0) ? -1 : 0;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t rep = i == 0 ? rep0 : rep_in;
        if (col_str_at(key, rep, kdef, kv[i].key, kv[i].key_len))
            return -1;
        int r = kv[i].val ? col_str_at(val, rep, vdef, kv[i].val, kv[i].val_len)
                          : col_level(val, rep, (uint8_t)(vdef - 1));
        if (r)
            return -1;
    }
    return 0;
}

int col_map_put(column_t *key, column_t *val, uint8_t rep0, kv_t *kv, size_t n)
{
    buf_t tmp = {0};
    n = kv_dedup(kv, n, &tmp);
    buf_free(&tmp);
    if (n == SIZE_MAX)
        return -1;
    return col_map_put_unique(key, val, rep0, kv, n);
}

void col_row_index(const column_t *c, uint32_t nrows, uint32_t *lvl, uint32_t *val)
{
    const schema_leaf_t *l = c->leaf;
    if (l->max_rep == 0 && l->max_def == 0) {
        for (uint32_t r = 0; r <= nrows; r++)
            lvl[r] = val[r] = r;
        return;
    }
    uint32_t row = 0, nv = 0;
    const uint8_t *def = c->def.data, *rep = c->rep.data;
    for (uint32_t i = 0; i < c->nlevels; i++) {
        if (!l->max_rep || rep[i] == 0) {
            if (row < nrows) {
                lvl[row] = i;
                val[row] = nv;
            }
            row++;
        }
        if (!l->max_def || def[i] == l->max_def)
            nv++;
    }
    for (; row <= nrows; row++) {
        lvl[row] = c->nlevels;
        val[row] = nv;
    }
}
