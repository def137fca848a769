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

int col_str_first_(column_t *c) { return buf_put_u32le(&c->offs, 0); }

static inline bool key_eq(const kv_t *x, const kv_t *y)
{
    return x->key_len == y->key_len && (x->key_len == 0 || memcmp(x->key, y->key, x->key_len) == 0);
}

/* Equal keys have equal fingerprints: the length with the first and the last (up to) 8 bytes. */
static inline uint64_t key_fp(const kv_t *x)
{
    uint64_t a = 0, b = 0;
    uint32_t n = x->key_len;
    const uint8_t *k = (const uint8_t *)x->key;
    if (n >= 8) {
        memcpy(&a, k, 8);
        memcpy(&b, k + n - 8, 8);
    } else if (n >= 4) {
        uint32_t a4, b4;
        memcpy(&a4, k, 4);
        memcpy(&b4, k + n - 4, 4);
        a = a4;
        b = b4;
    } else if (n)
        a = (uint64_t)k[0] | (uint64_t)k[n / 2] << 8 | (uint64_t)k[n - 1] << 16;
    return a ^ (b * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)n << 57) ^ n;
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
        /* few entries (the usual case): comparing all pairs beats sorting; a fingerprint of
         * each key (its length and first and last bytes) settles most pairs without memcmp,
         * and a list without duplicates (the usual case) is left as it is */
        uint64_t fp[16], seen[4] = {0, 0, 0, 0};
        size_t first_dup = n;
        for (size_t i = 0; i < n && first_dup == n; i++) {
            fp[i] = key_fp(&kv[i]);
            /* a 256-bit filter of the fingerprints: only a key that hits it is compared */
            unsigned h = (unsigned)((fp[i] * 0x9E3779B97F4A7C15ull) >> 56);
            uint64_t bit = 1ull << (h & 63);
            if (seen[h >> 6] & bit) {
                for (size_t j = 0; j < i; j++)
                    if (fp[j] == fp[i] && key_eq(&kv[j], &kv[i])) {
                        first_dup = i;
                        break;
                    }
            }
            seen[h >> 6] |= bit;
        }
        if (first_dup == n)
            return n;
        for (size_t i = first_dup + 1; i < n; i++)
            fp[i] = key_fp(&kv[i]);
        size_t out = first_dup;
        for (size_t i = first_dup; i < n; i++) {
            size_t j = 0;
            while (j < out && !(fp[j] == fp[i] && key_eq(&kv[j], &kv[i])))
                j++;
            if (j < out) {
                kv[j].val = kv[i].val;
                kv[j].val_len = kv[i].val_len;
            } else {
                fp[out] = fp[i];
                kv[out++] = kv[i];
            }
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

/* A column's write positions held in locals while a whole map is appended into reserved room
 * (byte stores through the column's pointers would make the compiler reload every field). */
typedef struct {
    uint8_t *vals, *def, *rep;
    uint8_t *offs;
    uint32_t vlen;
    size_t ndef, nrep, noffs;
    bool has_def, has_rep;
} col_cursor_t;

static inline col_cursor_t cursor_open(const column_t *c)
{
    return (col_cursor_t){c->vals.data, c->def.data, c->rep.data, c->offs.data, (uint32_t)c->vals.len,
                          c->def.len, c->rep.len, c->offs.len, c->leaf->max_def != 0, c->leaf->max_rep != 0};
}

static inline void cursor_close(column_t *c, const col_cursor_t *k, uint32_t nlevels, uint32_t nvals)
{
    c->vals.len = k->vlen;
    c->def.len = k->ndef;
    c->rep.len = k->nrep;
    c->offs.len = k->noffs;
    c->nlevels += nlevels;
    c->nvals += nvals;
}

static inline void cursor_level(col_cursor_t *k, uint8_t rep, uint8_t def)
{
    if (k->has_def)
        k->def[k->ndef++] = def;
    if (k->has_rep)
        k->rep[k->nrep++] = rep;
}

static inline void cursor_str(col_cursor_t *k, uint8_t rep, uint8_t def, const void *s, uint32_t n)
{
    if (n)
        col_copy_(k->vals + k->vlen, s, n);
    k->vlen += n;
    memcpy(k->offs + k->noffs, &k->vlen, 4);
    k->noffs += 4;
    cursor_level(k, rep, def);
}

/* Room for n more level entries, nv more strings of nb bytes in all: 0, or -1 (past the 4 GiB
 * limits of col_str_at and col_level, or out of memory; the column keeps its entries). */
static int str_reserve(column_t *c, size_t n, size_t nv, size_t nb)
{
    if (n > UINT32_MAX - c->nlevels || nb > UINT32_MAX - c->vals.len)
        return -1;
    if (nv && c->offs.len == 0 && col_str_first_(c))
        return -1;
    /* at least a little of each, so the writers' cursors never start from a null pointer
     * (a map of only null values, or of only empty keys) */
    if (buf_reserve(&c->offs, nv ? nv * 4 : 4) || buf_reserve(&c->vals, nb ? nb : 1))
        return -1;
    if (c->leaf->max_def && buf_reserve(&c->def, n))
        return -1;
    if (c->leaf->max_rep && buf_reserve(&c->rep, n))
        return -1;
    return 0;
}

int col_map_put_unique(column_t *key, column_t *val, uint8_t rep0, const kv_t *kv, size_t n)
{
    uint8_t kdef = key->leaf->max_def, vdef = val->leaf->max_def, rep_in = key->leaf->max_rep;
    if (n == 0) {
        uint8_t def0 = (uint8_t)(kdef - 1); /* the map is there, key_value is empty */
        return col_level(key, rep0, def0) || col_level(val, rep0, def0) ? -1 : 0;
    }
    /* reserve the whole map at once, then append without checks */
    size_t kb = 0, vb = 0, nv = 0;
    for (size_t i = 0; i < n; i++) {
        kb += kv[i].key_len;
        if (kv[i].val) {
            vb += kv[i].val_len;
            nv++;
        }
    }
    if (str_reserve(key, n, n, kb) || str_reserve(val, n, nv, vb))
        return -1;
    if (key->leaf->max_def && key->leaf->max_rep && val->leaf->max_def && val->leaf->max_rep) {
        /* a map's leaves have both levels (always): the levels in runs, the strings in tight loops */
        uint8_t *kv_bytes = key->vals.data, *vv_bytes = val->vals.data;
        uint32_t kl = (uint32_t)key->vals.len, vl = (uint32_t)val->vals.len;
        uint32_t *ko = (uint32_t *)(key->offs.data + key->offs.len);
        uint32_t *vo = (uint32_t *)(val->offs.data + val->offs.len);
        uint8_t *kd = key->def.data + key->def.len;
        uint8_t *kr = key->rep.data + key->rep.len, *vr = val->rep.data + val->rep.len;
        for (size_t i = 0; i < n; i++) {
            col_copy_(kv_bytes + kl, kv[i].key, kv[i].key_len);
            kl += kv[i].key_len;
            ko[i] = kl;
            kd[i] = kdef; /* the levels along (no memset call for a few bytes) */
            kr[i] = vr[i] = rep_in;
        }
        kr[0] = vr[0] = rep0;
        uint8_t *vd = val->def.data + val->def.len;
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
            if (kv[i].val) {
                if (kv[i].val_len)
                    col_copy_(vv_bytes + vl, kv[i].val, kv[i].val_len);
                vl += kv[i].val_len;
                vo[j++] = vl;
                vd[i] = vdef;
            } else
                vd[i] = (uint8_t)(vdef - 1); /* a null value: a level entry alone */
        }
        key->vals.len = kl;
        val->vals.len = vl;
        key->offs.len += n * 4;
        val->offs.len += nv * 4;
        key->def.len += n;
        val->def.len += n;
        key->rep.len += n;
        val->rep.len += n;
        key->nlevels += (uint32_t)n;
        val->nlevels += (uint32_t)n;
        key->nvals += (uint32_t)n;
        val->nvals += (uint32_t)nv;
        return 0;
    }
    col_cursor_t ck = cursor_open(key), cv = cursor_open(val);
    for (size_t i = 0; i < n; i++) {
        uint8_t rep = i == 0 ? rep0 : rep_in;
        cursor_str(&ck, rep, kdef, kv[i].key, kv[i].key_len);
        if (kv[i].val)
            cursor_str(&cv, rep, vdef, kv[i].val, kv[i].val_len);
        else
            cursor_level(&cv, rep, (uint8_t)(vdef - 1)); /* a null value: a level entry alone */
    }
    cursor_close(key, &ck, (uint32_t)n, (uint32_t)n);
    cursor_close(val, &cv, (uint32_t)n, (uint32_t)nv);
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

size_t batch_alloc_bytes(const table_batch_t *b)
{
    size_t n = 0;
    for (int i = 0; i < b->schema->nleaves; i++) {
        const column_t *c = &b->cols[i];
        n += c->def.cap + c->rep.cap + c->vals.cap + c->offs.cap;
    }
    return n;
}

/* Bytes per value of a fixed-width leaf; 0 for BYTE_ARRAY. */
static size_t value_width(int8_t type)
{
    switch (type) {
    case PT_BOOLEAN:
        return 1; /* col_bool_at stores one byte per value */
    case PT_INT32:
        return 4;
    case PT_INT64:
    case PT_DOUBLE:
        return 8;
    default:
        return 0;
    }
}

void batch_row_index_free(batch_row_index_t *ix)
{
    for (int i = 0; i < SCHEMA_MAX_LEAVES; i++) {
        free(ix->lvl[i]);
        free(ix->val[i]);
        ix->lvl[i] = ix->val[i] = NULL;
    }
}

int batch_row_index_build(const table_batch_t *b, batch_row_index_t *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->nrows = b->nrows;
    size_t slots = (size_t)b->nrows + 1;
    for (int i = 0; i < b->schema->nleaves; i++) {
        const column_t *c = &b->cols[i];
        /* the identity needs no table: a leaf outside lists and maps has one entry per row,
         * and when none of them is null (or none can be), entry r is value r too */
        if (c->leaf->max_rep == 0 && (c->leaf->max_def == 0 || c->nvals == c->nlevels))
            continue;
        ix->lvl[i] = malloc(slots * sizeof(uint32_t));
        ix->val[i] = malloc(slots * sizeof(uint32_t));
        if (!ix->lvl[i] || !ix->val[i]) {
            batch_row_index_free(ix);
            return -1;
        }
        col_row_index(c, b->nrows, ix->lvl[i], ix->val[i]);
    }
    return 0;
}

/* A run of consecutive source rows in the selection: rows first .. first + len - 1. */
typedef struct {
    uint32_t first, len;
} row_run_t;

/* The selection as runs, written to runs[] (room for n); returns their count. */
static uint32_t selection_runs(const uint32_t *rows, uint32_t n, row_run_t *runs)
{
    if (!rows) {
        runs[0] = (row_run_t){0, n};
        return 1;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t r0 = rows[i], j = i + 1;
        while (j < n && rows[j] == r0 + (j - i))
            j++;
        runs[k++] = (row_run_t){r0, j - i};
        i = j;
    }
    return k;
}

/* Copies one leaf's entries for the selected rows; the room was reserved by the caller. */
static void copy_leaf(column_t *d, const column_t *s, const uint32_t *lvl, const uint32_t *val, const row_run_t *runs,
                      uint32_t nruns)
{
    const schema_leaf_t *l = s->leaf;
    size_t w = value_width(l->type);
    const uint32_t *so = (const uint32_t *)s->offs.data;
    for (uint32_t ri = 0; ri < nruns; ri++) {
        uint32_t r0 = runs[ri].first, len = runs[ri].len;
        uint32_t l0 = lvl ? lvl[r0] : r0, l1 = lvl ? lvl[r0 + len] : r0 + len;
        uint32_t v0 = val ? val[r0] : r0, v1 = val ? val[r0 + len] : r0 + len;
        uint32_t nl = l1 - l0, nv = v1 - v0;
        if (nl && l->max_def) {
            memcpy(d->def.data + d->def.len, s->def.data + l0, nl);
            d->def.len += nl;
        }
        if (nl && l->max_rep) {
            memcpy(d->rep.data + d->rep.len, s->rep.data + l0, nl);
            d->rep.len += nl;
        }
        d->nlevels += nl;
        if (!nv)
            continue;
        if (w) {
            memcpy(d->vals.data + d->vals.len, s->vals.data + (size_t)v0 * w, (size_t)nv * w);
            d->vals.len += (size_t)nv * w;
        } else {
            /* the bytes of the run, then each end offset moved from src's base to dst's */
            uint32_t b0 = so[v0], nb = so[v1] - b0;
            uint32_t base = (uint32_t)d->vals.len;
            if (d->offs.len == 0) {
                uint32_t zero = 0;
                memcpy(d->offs.data, &zero, 4);
                d->offs.len = 4;
            }
            if (nb)
                memcpy(d->vals.data + d->vals.len, s->vals.data + b0, nb);
            d->vals.len += nb;
            uint32_t *dof = (uint32_t *)(d->offs.data + d->offs.len);
            const uint32_t *sof = so + (size_t)v0 + 1;
            uint32_t delta = base - b0; /* modulo 2^32, as the sum it stands for */
            for (size_t k = 0; k < nv; k++)
                dof[k] = sof[k] + delta;
            d->offs.len += (size_t)nv * 4;
        }
        d->nvals += nv;
    }
}

/* Sizes what one leaf needs for the selection and reserves it; -1 when it cannot. */
static int reserve_leaf(column_t *d, const column_t *s, const uint32_t *lvl, const uint32_t *val, const row_run_t *runs,
                        uint32_t nruns)
{
    const schema_leaf_t *l = s->leaf;
    size_t w = value_width(l->type);
    const uint32_t *so = (const uint32_t *)s->offs.data;
    uint64_t nl = 0, nv = 0, nb = 0;
    for (uint32_t ri = 0; ri < nruns; ri++) {
        uint32_t r0 = runs[ri].first, len = runs[ri].len;
        uint32_t v0 = val ? val[r0] : r0, v1 = val ? val[r0 + len] : r0 + len;
        nl += (lvl ? lvl[r0 + len] : r0 + len) - (lvl ? lvl[r0] : r0);
        nv += v1 - v0;
        if (!w && v1 > v0)
            nb += so[v1] - so[v0];
    }
    /* the same 4 GiB limits as the col_* appenders: levels and values are counted in 32 bits,
     * and string offsets are 32-bit positions in vals */
    if (nl > UINT32_MAX - d->nlevels || nv > UINT32_MAX - d->nvals)
        return -1;
    if (!w && nb > UINT32_MAX - d->vals.len)
        return -1;
    if (l->max_def && buf_reserve(&d->def, nl))
        return -1;
    if (l->max_rep && buf_reserve(&d->rep, nl))
        return -1;
    if (w)
        return buf_reserve(&d->vals, nv * w);
    if (nv == 0)
        return 0;
    return buf_reserve(&d->vals, nb) || buf_reserve(&d->offs, (nv + (d->offs.len == 0)) * 4) ? -1 : 0;
}

int batch_append_rows_ix(table_batch_t *dst, const table_batch_t *src, const batch_row_index_t *ix,
                         const uint32_t *rows, uint32_t n)
{
    if (dst->schema != src->schema || ix->nrows != src->nrows)
        return -1;
    if (n == 0)
        return 0;
    if (n > UINT32_MAX - dst->nrows || (!rows && n > src->nrows))
        return -1;
    for (uint32_t i = 0; rows && i < n; i++)
        if (rows[i] >= src->nrows)
            return -1;
    /* the runs of consecutive rows, found once for every leaf */
    row_run_t one, *runs = rows ? malloc((size_t)n * sizeof *runs) : &one;
    if (!runs)
        return -1;
    uint32_t nruns = selection_runs(rows, n, runs);
    /* reserve everything first, so that the copy itself cannot fail half way; what was reserved
     * stays allocated on failure (dst keeps its rows and is only larger) */
    int rc = 0;
    for (int i = 0; i < src->schema->nleaves && rc == 0; i++)
        rc = reserve_leaf(&dst->cols[i], &src->cols[i], ix->lvl[i], ix->val[i], runs, nruns);
    if (rc == 0) {
        for (int i = 0; i < src->schema->nleaves; i++)
            copy_leaf(&dst->cols[i], &src->cols[i], ix->lvl[i], ix->val[i], runs, nruns);
        dst->nrows += n;
    }
    if (runs != &one)
        free(runs);
    return rc ? -1 : 0;
}

int batch_append_rows(table_batch_t *dst, const table_batch_t *src, const uint32_t *rows, uint32_t n)
{
    batch_row_index_t ix;
    if (batch_row_index_build(src, &ix))
        return -1;
    int rc = batch_append_rows_ix(dst, src, &ix, rows, n);
    batch_row_index_free(&ix);
    return rc;
}
