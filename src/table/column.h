/* Column builders: a batch of rows kept as already-shredded Parquet leaf columns (Dremel
 * repetition/definition levels plus the non-null values), so decoders append straight into what
 * the Parquet writer pages out, with no intermediate object tree. */
#ifndef OTLP2PARQUET_TABLE_COLUMN_H
#define OTLP2PARQUET_TABLE_COLUMN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "table/schema.h"
#include "util/buf.h"

typedef struct {
    const schema_leaf_t *leaf;
    buf_t def;        /* uint8 per level entry; stays empty when leaf->max_def == 0 */
    buf_t rep;        /* uint8 per level entry; stays empty when leaf->max_rep == 0 */
    buf_t vals;       /* values: uint8 (BOOLEAN), int32, int64, double, or BYTE_ARRAY bytes */
    buf_t offs;       /* BYTE_ARRAY only: uint32 start of each value, then one end offset */
    uint32_t nlevels; /* level entries; equals the row count for a leaf outside lists and maps */
    uint32_t nvals;   /* non-null values */
} column_t;

typedef struct {
    const table_schema_t *schema;
    column_t cols[SCHEMA_MAX_LEAVES]; /* one per schema leaf, same index */
    uint32_t nrows;
} table_batch_t;

/* Lengths of every buffer, to undo a partly appended request (nothing of a bad request stays). */
typedef struct {
    uint32_t nrows;
    struct { size_t def, rep, vals, offs; uint32_t nlevels, nvals; } cols[SCHEMA_MAX_LEAVES];
} batch_mark_t;

void batch_init(table_batch_t *b, const table_schema_t *schema);
void batch_free(table_batch_t *b);
void batch_reset(table_batch_t *b); /* empties, keeps the memory */
size_t batch_bytes(const table_batch_t *b); /* bytes held by values and levels */
/* Bytes allocated for the batch's buffers (capacity, not length): what it really costs in
 * memory, for caps on buffered data. */
size_t batch_alloc_bytes(const table_batch_t *b);
void batch_mark(const table_batch_t *b, batch_mark_t *m);
void batch_rollback(table_batch_t *b, const batch_mark_t *m);

/* Appending. Every call adds one level entry. The *_at forms take explicit levels (for leaves
 * inside lists and maps); the plain forms are for top-level leaves: rep 0, def = max_def
 * (the value is present). A row is complete when every leaf of the schema got its entries;
 * the caller then bumps batch->nrows. All return 0, or -1 when memory runs out or the batch
 * would pass 4 GiB in one column. */
/* Inline: they run once per value. col_level is an entry without a value (null/empty). */
static inline int col_level(column_t *c, uint8_t rep, uint8_t def)
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
static inline int col_put_fixed_(column_t *c, uint8_t rep, uint8_t def, const void *v, size_t n)
{
    if (buf_reserve(&c->vals, n) || col_level(c, rep, def))
        return -1;
    memcpy(c->vals.data + c->vals.len, v, n);
    c->vals.len += n;
    c->nvals++;
    return 0;
}

static inline int col_i32_at(column_t *c, uint8_t rep, uint8_t def, int32_t v) { return col_put_fixed_(c, rep, def, &v, 4); }
static inline int col_i64_at(column_t *c, uint8_t rep, uint8_t def, int64_t v) { return col_put_fixed_(c, rep, def, &v, 8); }
static inline int col_f64_at(column_t *c, uint8_t rep, uint8_t def, double v) { return col_put_fixed_(c, rep, def, &v, 8); }
static inline int col_bool_at(column_t *c, uint8_t rep, uint8_t def, bool v)
{
    uint8_t x = v;
    return col_put_fixed_(c, rep, def, &x, 1);
}

/* memcpy for the short strings most values are (keys, attribute values), without a call:
 * overlapping word copies that stay inside both buffers. */
static inline void col_copy_(uint8_t *d, const void *sv, size_t n)
{
    const uint8_t *s = sv;
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else
        memcpy(d, s, n);
}

/* The first string of a column also writes the start offset 0. */
int col_str_first_(column_t *c);

static inline int col_str_at(column_t *c, uint8_t rep, uint8_t def, const void *s, size_t n)
{
    if (n > UINT32_MAX - c->vals.len)
        return -1;
    if (c->offs.len == 0 && col_str_first_(c))
        return -1;
    if (buf_reserve(&c->offs, 4) || buf_reserve(&c->vals, n) || col_level(c, rep, def))
        return -1;
    if (n) /* an empty value may meet a buffer that was never allocated */
        col_copy_(c->vals.data + c->vals.len, s, n);
    c->vals.len += n;
    uint32_t end = (uint32_t)c->vals.len;
    memcpy(c->offs.data + c->offs.len, &end, 4);
    c->offs.len += 4;
    c->nvals++;
    return 0;
}

static inline int col_i32(column_t *c, int32_t v) { return col_i32_at(c, 0, c->leaf->max_def, v); }
static inline int col_i64(column_t *c, int64_t v) { return col_i64_at(c, 0, c->leaf->max_def, v); }
static inline int col_f64(column_t *c, double v) { return col_f64_at(c, 0, c->leaf->max_def, v); }
static inline int col_bool(column_t *c, bool v) { return col_bool_at(c, 0, c->leaf->max_def, v); }
static inline int col_str(column_t *c, const void *s, size_t n) { return col_str_at(c, 0, c->leaf->max_def, s, n); }
/* A top-level optional leaf with no value. */
static inline int col_null(column_t *c) { return col_level(c, 0, 0); }

/* One entry of a map<string,string>; val == NULL is a null value. */
typedef struct {
    const char *key;
    uint32_t key_len;
    const char *val;
    uint32_t val_len;
} kv_t;

/* Appends a whole map to its key and value leaves. rep0 is the repetition level of the map's
 * position (0 for a top-level column). Duplicate keys: the last one wins, and it keeps the
 * place of the first. kv may be reordered in the process. */
int col_map_put(column_t *key, column_t *val, uint8_t rep0, kv_t *kv, size_t n);
/* The same for entries already free of duplicate keys (kv_dedup done by the caller). */
int col_map_put_unique(column_t *key, column_t *val, uint8_t rep0, const kv_t *kv, size_t n);
/* Removes duplicate keys in place (the last value wins, at the place of the first); returns the
 * new count, or SIZE_MAX when scratch memory (tmp, reused across calls) runs out. */
size_t kv_dedup(kv_t *kv, size_t n, buf_t *tmp);

/* Where each row starts: lvl[r] is the first level entry of row r and val[r] its first value;
 * lvl[nrows] and val[nrows] are the totals. Both arrays have nrows + 1 slots. */
void col_row_index(const column_t *c, uint32_t nrows, uint32_t *lvl, uint32_t *val);

/* Appends rows rows[0..n) of src, in that order, to dst (same schema): every leaf's level
 * entries and values of each row, with string offsets rebased; rows == NULL means rows 0..n-1.
 * A row may be given more than once. All or nothing: on failure (-1: out of memory, a column
 * past 4 GiB, a row index out of range, another schema) dst is as it was. Runs of consecutive
 * rows are copied with one memcpy per buffer, so appending a whole batch is cheap. */
int batch_append_rows(table_batch_t *dst, const table_batch_t *src, const uint32_t *rows, uint32_t n);

/* col_row_index of every leaf of a batch, built once when the same source is appended in many
 * pieces (one per partition), which would otherwise scan every column once per piece. A leaf
 * with neither repetition nor definition levels needs no table (row r is entry r). */
typedef struct {
    uint32_t nrows;
    uint32_t *lvl[SCHEMA_MAX_LEAVES]; /* nrows + 1 entries each, or NULL */
    uint32_t *val[SCHEMA_MAX_LEAVES];
} batch_row_index_t;

int batch_row_index_build(const table_batch_t *b, batch_row_index_t *ix); /* -1: out of memory */
void batch_row_index_free(batch_row_index_t *ix);
/* batch_append_rows with the index of src (built after src's last change). */
int batch_append_rows_ix(table_batch_t *dst, const table_batch_t *src, const batch_row_index_t *ix,
                         const uint32_t *rows, uint32_t n);

/* Value accessors for readers of a batch (sorting, partitioning). */
static inline const uint8_t *col_str_val(const column_t *c, uint32_t i, uint32_t *len)
{
    const uint32_t *o = (const uint32_t *)c->offs.data;
    *len = o[i + 1] - o[i];
    return c->vals.data + o[i];
}
static inline int64_t col_i64_val(const column_t *c, uint32_t i) { return ((const int64_t *)c->vals.data)[i]; }

#endif
