/* Attribute lists (repeated KeyValue) -> kv_t arrays -> map columns (DESIGN §3: values as text,
 * duplicate keys: the last wins, never null). One attrs_t is a reusable scratch list: keys and
 * string values point into the request, other values into the list's own text buffer, so
 * building a list costs no allocation once the buffers have grown. */
#ifndef OTLP2PARQUET_OTLP_ATTRS_H
#define OTLP2PARQUET_OTLP_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otlp/pb.h"
#include "table/column.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct {
    buf_t kv;    /* kv_t[]; values in `text` are resolved by attrs_finish */
    buf_t text;  /* texts of the values that are not strings */
    buf_t fix;   /* attrs_fix_t[]: entries whose value lives in text */
    buf_t tmp;   /* scratch of the duplicate removal */
    size_t n;    /* entries */
    bool finished;
} attrs_t;

static inline void attrs_init(attrs_t *a) { memset(a, 0, sizeof *a); }
void attrs_clear(attrs_t *a); /* empties, keeps the memory */
void attrs_free(attrs_t *a);

/* Decodes one KeyValue message and appends it. path names the KeyValue ("attributes[3]"); the
 * key must be UTF-8, the value converts per anyvalue_text (an empty or missing value is a null
 * map value). -1 with err set (ERR_INVALID, ERR_NOMEM). */
int attrs_add(attrs_t *a, const uint8_t *msg, size_t len, pb_path_t *path, err_t *err);

/* Call once after the last attrs_add: resolves the value pointers and removes duplicate keys
 * (the last value wins and takes the place of the first occurrence, as col_map_put does), so a
 * map repeated on many rows is deduplicated once. -1 when memory runs out. */
int attrs_finish(attrs_t *a);

/* The entries after attrs_finish. */
static inline const kv_t *attrs_kv(const attrs_t *a) { return (const kv_t *)a->kv.data; }

/* The entry with this key after attrs_finish, or NULL. */
const kv_t *attrs_find(const attrs_t *a, const char *key, size_t klen);

/* Appends the finished list as one map (rep0 as for col_map_put). Keys are unique already, so
 * this writes the levels directly instead of deduplicating again. 0, or -1 on memory. */
int attrs_put(const attrs_t *a, column_t *key, column_t *val, uint8_t rep0);

/* col_str_at, safe for an empty string into a column that holds no bytes yet: col_str_at then
 * memcpy's 0 bytes to a NULL buffer, which UBSan stops on. Reserving one byte first avoids it;
 * drop this once column.c skips the copy for n == 0. */
static inline int otlp_col_str_at(column_t *c, uint8_t rep, uint8_t def, const void *s, size_t n)
{
    if (!c->vals.data && buf_reserve(&c->vals, 1))
        return -1;
    return col_str_at(c, rep, def, s, n);
}
static inline int otlp_col_str(column_t *c, const void *s, size_t n)
{
    return otlp_col_str_at(c, 0, c->leaf->max_def, s, n);
}

/* Removes duplicate keys from kv[0..n) with col_map_put's rule (last value wins, first place
 * kept); returns the new count, or SIZE_MAX when memory for scratch (tmp) runs out. */
size_t kv_dedup_last_wins(kv_t *kv, size_t n, buf_t *tmp);

#endif
