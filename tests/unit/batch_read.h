/* Reading a table batch back in the decoder tests: values of a row, lists and maps of a row
 * rendered as text, and whole columns' levels and values, so a test can compare exactly what
 * the decoder appended (levels included) with one string. Texts live in a ring of buffers that
 * stays valid for the next 32 calls. */
#ifndef OTLP2PARQUET_TESTS_BATCH_READ_H
#define OTLP2PARQUET_TESTS_BATCH_READ_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/column.h"

#define BR_SLOT 16384
static char br_ring_[32][BR_SLOT];
static int br_ringi_;

static inline char *br_slot(void)
{
    char *s = br_ring_[br_ringi_++ % 32];
    s[0] = 0;
    return s;
}

/* appends to a slot, never past its end */
static inline void br_cat(char *out, size_t *o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void br_cat(char *out, size_t *o, const char *fmt, ...)
{
    if (*o >= BR_SLOT - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *o, BR_SLOT - *o, fmt, ap);
    va_end(ap);
    if (n > 0)
        *o += (size_t)n < BR_SLOT - *o ? (size_t)n : BR_SLOT - 1 - *o;
}

static inline void br_f64(char *out, size_t *o, double v)
{
    if (isnan(v))
        br_cat(out, o, "nan");
    else
        br_cat(out, o, "%.17g", v);
}

static inline uint8_t br_def(const column_t *c, uint32_t i) { return c->leaf->max_def ? c->def.data[i] : 0; }
static inline uint8_t br_rep(const column_t *c, uint32_t i) { return c->leaf->max_rep ? c->rep.data[i] : 0; }

/* Every level entry of a column as "rep:def rep:def ..." (0 where the leaf keeps none). */
static inline const char *levels(const table_batch_t *b, int leaf)
{
    const column_t *c = &b->cols[leaf];
    char *out = br_slot();
    size_t o = 0;
    for (uint32_t i = 0; i < c->nlevels; i++)
        br_cat(out, &o, "%s%u:%u", i ? " " : "", br_rep(c, i), br_def(c, i));
    return out;
}

/* Every value of a column, joined: strings with '|', numbers with ','. */
static inline const char *strs(const table_batch_t *b, int leaf)
{
    const column_t *c = &b->cols[leaf];
    char *out = br_slot();
    size_t o = 0;
    for (uint32_t i = 0; i < c->nvals; i++) {
        uint32_t n;
        const uint8_t *p = col_str_val(c, i, &n);
        br_cat(out, &o, "%s%.*s", i ? "|" : "", (int)n, (const char *)p);
    }
    return out;
}
static inline const char *i64s(const table_batch_t *b, int leaf)
{
    const column_t *c = &b->cols[leaf];
    char *out = br_slot();
    size_t o = 0;
    for (uint32_t i = 0; i < c->nvals; i++)
        br_cat(out, &o, "%s%lld", i ? "," : "", (long long)((const int64_t *)c->vals.data)[i]);
    return out;
}
static inline const char *f64s(const table_batch_t *b, int leaf)
{
    const column_t *c = &b->cols[leaf];
    char *out = br_slot();
    size_t o = 0;
    for (uint32_t i = 0; i < c->nvals; i++) {
        if (i)
            br_cat(out, &o, ",");
        br_f64(out, &o, ((const double *)c->vals.data)[i]);
    }
    return out;
}

/* The first level entry and the first value of a row (col_row_index for one row). */
static inline void br_row(const table_batch_t *b, int leaf, uint32_t row, uint32_t *lvl0, uint32_t *lvl1,
                          uint32_t *val0)
{
    const column_t *c = &b->cols[leaf];
    uint32_t *lvl = malloc((b->nrows + 1) * sizeof *lvl), *val = malloc((b->nrows + 1) * sizeof *val);
    if (!lvl || !val)
        abort();
    col_row_index(c, b->nrows, lvl, val);
    *lvl0 = lvl[row];
    *lvl1 = lvl[row + 1];
    *val0 = val[row];
    free(lvl);
    free(val);
}

/* A top-level leaf of a row: present (not null)? and its value. */
static inline bool row_present(const table_batch_t *b, int leaf, uint32_t row)
{
    uint32_t l0, l1, v0;
    br_row(b, leaf, row, &l0, &l1, &v0);
    const column_t *c = &b->cols[leaf];
    return !c->leaf->max_def || c->def.data[l0] == c->leaf->max_def;
}
static inline uint32_t br_vidx(const table_batch_t *b, int leaf, uint32_t row)
{
    uint32_t l0, l1, v0;
    br_row(b, leaf, row, &l0, &l1, &v0);
    return v0;
}
static inline int64_t row_i64(const table_batch_t *b, int leaf, uint32_t row)
{
    return ((const int64_t *)b->cols[leaf].vals.data)[br_vidx(b, leaf, row)];
}
static inline int32_t row_i32(const table_batch_t *b, int leaf, uint32_t row)
{
    return ((const int32_t *)b->cols[leaf].vals.data)[br_vidx(b, leaf, row)];
}
static inline double row_f64(const table_batch_t *b, int leaf, uint32_t row)
{
    return ((const double *)b->cols[leaf].vals.data)[br_vidx(b, leaf, row)];
}
static inline bool row_bool(const table_batch_t *b, int leaf, uint32_t row)
{
    return b->cols[leaf].vals.data[br_vidx(b, leaf, row)] != 0;
}
/* A string leaf of a row, NULL when null. */
static inline const char *row_str(const table_batch_t *b, int leaf, uint32_t row)
{
    if (!row_present(b, leaf, row))
        return NULL;
    uint32_t n;
    const uint8_t *p = col_str_val(&b->cols[leaf], br_vidx(b, leaf, row), &n);
    char *out = br_slot();
    size_t o = 0;
    br_cat(out, &o, "%.*s", (int)n, (const char *)p);
    return out;
}

/* A top-level map of a row as "k=v|k2=<null>" ("" when empty). */
static inline const char *row_map(const table_batch_t *b, int keyleaf, uint32_t row)
{
    const column_t *kc = &b->cols[keyleaf], *vc = &b->cols[keyleaf + 1];
    uint32_t kl0, kl1, kv0, vl0, vl1, vv0;
    br_row(b, keyleaf, row, &kl0, &kl1, &kv0);
    br_row(b, keyleaf + 1, row, &vl0, &vl1, &vv0);
    char *out = br_slot();
    size_t o = 0;
    for (uint32_t i = kl0; i < kl1; i++) {
        if (kc->def.data[i] != kc->leaf->max_def)
            break; /* the empty map */
        uint32_t n;
        const uint8_t *k = col_str_val(kc, kv0++, &n);
        br_cat(out, &o, "%s%.*s=", i > kl0 ? "|" : "", (int)n, (const char *)k);
        if (vc->def.data[vl0 + (i - kl0)] == vc->leaf->max_def) {
            const uint8_t *v = col_str_val(vc, vv0++, &n);
            br_cat(out, &o, "%.*s", (int)n, (const char *)v);
        } else
            br_cat(out, &o, "<null>");
    }
    return out;
}

/* A list leaf of a row (a list of scalars, or a scalar field of a list of structs), its values
 * joined with ',' ("" for the empty list). kind: 'i' int64, 'd' double, 's' string. */
static inline const char *row_list(const table_batch_t *b, int leaf, uint32_t row, char kind)
{
    const column_t *c = &b->cols[leaf];
    uint32_t l0, l1, v;
    br_row(b, leaf, row, &l0, &l1, &v);
    char *out = br_slot();
    size_t o = 0;
    for (uint32_t i = l0; i < l1; i++) {
        if (br_def(c, i) != c->leaf->max_def)
            continue;
        if (i > l0)
            br_cat(out, &o, ",");
        if (kind == 'i')
            br_cat(out, &o, "%lld", (long long)((const int64_t *)c->vals.data)[v]);
        else if (kind == 'd')
            br_f64(out, &o, ((const double *)c->vals.data)[v]);
        else {
            uint32_t n;
            const uint8_t *p = col_str_val(c, v, &n);
            br_cat(out, &o, "%.*s", (int)n, (const char *)p);
        }
        v++;
    }
    return out;
}

/* A map that is a field of a list of structs, for one row: "[k=v|k2=v2][][k=<null>]", one
 * bracket per list element ("" when the list is empty). */
static inline const char *row_list_map(const table_batch_t *b, int keyleaf, uint32_t row)
{
    const column_t *kc = &b->cols[keyleaf], *vc = &b->cols[keyleaf + 1];
    uint32_t kl0, kl1, kv, vl0, vl1, vv;
    br_row(b, keyleaf, row, &kl0, &kl1, &kv);
    br_row(b, keyleaf + 1, row, &vl0, &vl1, &vv);
    char *out = br_slot();
    size_t o = 0;
    uint8_t kdef = kc->leaf->max_def;
    for (uint32_t i = kl0; i < kl1; i++) {
        uint8_t d = kc->def.data[i], r = kc->rep.data[i];
        if (d < kdef - 1)
            break; /* no elements */
        if (i == kl0 || r < kc->leaf->max_rep)
            br_cat(out, &o, "%s[", i == kl0 ? "" : "]");
        else
            br_cat(out, &o, "|");
        if (d == kdef) {
            uint32_t n;
            const uint8_t *k = col_str_val(kc, kv++, &n);
            br_cat(out, &o, "%.*s=", (int)n, (const char *)k);
            if (vc->def.data[vl0 + (i - kl0)] == vc->leaf->max_def) {
                const uint8_t *v = col_str_val(vc, vv++, &n);
                br_cat(out, &o, "%.*s", (int)n, (const char *)v);
            } else
                br_cat(out, &o, "<null>");
        }
        if (i + 1 == kl1)
            br_cat(out, &o, "]");
    }
    return out;
}

/* What every batch must satisfy: each leaf has one entry per row at rep 0, values match the
 * definition levels, a map's key and value leaves have the same levels. */
static inline bool batch_ok(const table_batch_t *b)
{
    for (int l = 0; l < b->schema->nleaves; l++) {
        const column_t *c = &b->cols[l];
        uint32_t starts = 0, present = 0;
        for (uint32_t i = 0; i < c->nlevels; i++) {
            starts += br_rep(c, i) == 0;
            present += !c->leaf->max_def || c->def.data[i] == c->leaf->max_def;
        }
        if (starts != b->nrows || present != c->nvals)
            return false;
    }
    return true;
}

#define CHECK_STR_OR_NULL(got, want)                                                         \
    do {                                                                                     \
        const char *g_ = (got), *w_ = (want);                                                \
        if (!g_ || !w_) {                                                                    \
            if (g_ != w_) {                                                                  \
                printf("    %s:%d: %s == %s, want %s\n", __FILE__, __LINE__, #got,           \
                       g_ ? g_ : "NULL", w_ ? w_ : "NULL");                                  \
                check_failed_ = 1;                                                           \
                return;                                                                      \
            }                                                                                \
        } else                                                                               \
            CHECK_EQ_STR(g_, w_);                                                            \
    } while (0)

#endif
