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
#include "util/utf8.h"

typedef struct {
    buf_t kv;    /* kv_t[]; values in `text` are resolved by attrs_finish */
    buf_t text;  /* texts of the values that are not strings */
    buf_t fix;   /* attrs_fix_t[]: entries whose value lives in text */
    buf_t tmp;   /* scratch of the duplicate removal */
    size_t n;    /* entries */
    uint64_t bytes; /* after attrs_finish: see attrs_bytes */
    bool finished;
} attrs_t;

static inline void attrs_init(attrs_t *a) { memset(a, 0, sizeof *a); }
void attrs_clear(attrs_t *a); /* empties, keeps the memory */
void attrs_free(attrs_t *a);

/* Decodes one KeyValue message and appends it. path names the KeyValue ("attributes[3]"); the
 * key must be UTF-8, the value converts per anyvalue_text (an empty or missing value is a null
 * map value). -1 with err set (ERR_INVALID, ERR_NOMEM). */
int attrs_add(attrs_t *a, const uint8_t *msg, size_t len, pb_path_t *path, err_t *err);

/* attrs_add for the usual KeyValue, inline and without a path: a key, then a value holding
 * just a string, both shorter than 128 bytes, all ASCII. Returns 1 when it took the entry, 0
 * when attrs_add must (any other shape or text, out of memory, an error to report). */
static inline int attrs_add_simple(attrs_t *a, const uint8_t *msg, size_t len)
{
    if (a->finished || len < 6 || msg[0] != 0x0A || msg[1] >= 0x80)
        return 0;
    size_t klen = msg[1];
    if (klen + 6 > len || msg[2 + klen] != 0x12 || msg[3 + klen] >= 0x80 || msg[3 + klen] != len - 4 - klen ||
        msg[4 + klen] != 0x0A || msg[5 + klen] != len - 6 - klen)
        return 0;
    /* the framing bytes are ASCII too: one look at the whole message settles both texts */
    if (!utf8_is_ascii(msg, len) || buf_reserve(&a->kv, sizeof(kv_t)))
        return 0;
    /* field by field into place (the list holds whole kv_t, so it is aligned): a kv_t built on
     * the stack and copied would stall on store forwarding */
    kv_t *e = (kv_t *)(void *)(a->kv.data + a->kv.len);
    e->key = (const char *)msg + 2;
    e->key_len = (uint32_t)klen;
    e->val = (const char *)msg + 6 + klen;
    e->val_len = (uint32_t)(len - 6 - klen);
    a->kv.len += sizeof *e;
    a->n++;
    return 1;
}

/* Call once after the last attrs_add: resolves the value pointers and removes duplicate keys
 * (the last value wins and takes the place of the first occurrence, as col_map_put does), so a
 * map repeated on many rows is deduplicated once. -1 when memory runs out. */
int attrs_finish(attrs_t *a);

/* The entries after attrs_finish. */
static inline const kv_t *attrs_kv(const attrs_t *a) { return (const kv_t *)a->kv.data; }

/* Bytes the finished list takes in a batch each time it is appended (texts, offsets, levels). */
static inline uint64_t attrs_bytes(const attrs_t *a) { return a->bytes; }

/* The entry with this key after attrs_finish, or NULL. */
const kv_t *attrs_find(const attrs_t *a, const char *key, size_t klen);

/* Appends the finished list as one map (rep0 as for col_map_put). Keys are unique already, so
 * this writes the levels directly instead of deduplicating again. 0, or -1 on memory. */
int attrs_put(const attrs_t *a, column_t *key, column_t *val, uint8_t rep0);

#endif
