/* The dictionary of one column chunk: an open-addressing hash table (linear probing) over the
 * distinct values, with the dictionary page body (the entries PLAIN-encoded, in index order)
 * built as entries arrive. BYTE_ARRAY entries point into the batch, which outlives the
 * dictionary, so no value is copied except into the page body. */
#ifndef OTLP2PARQUET_PARQUET_DICT_H
#define OTLP2PARQUET_PARQUET_DICT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/buf.h"

typedef struct {
    int type;        /* phys_t of the values: INT32, INT64, DOUBLE or BYTE_ARRAY */
    uint32_t n;      /* entries */
    uint64_t *slots; /* 0: empty; else (hash >> 32) << 32 | (entry + 1) */
    uint32_t mask;   /* slots - 1 (a power of two minus one) */
    buf_t plain;     /* the dictionary page body */
    /* BYTE_ARRAY entries */
    const uint8_t **sptr;
    uint32_t *slen;
    /* per entry: the last page whose statistics saw it (lets a page compare each distinct
     * value once instead of every value) */
    uint32_t *stamp;
    uint32_t ecap; /* capacity of stamp */
    uint32_t scap; /* capacity of sptr and slen */
    uint64_t seed; /* of the hash, per dictionary */
} pq_dict_t;

/* Status of dict_put_*: the entry index went to *idx, the dictionary would pass max_bytes
 * (nothing was added), or memory ran out. */
enum { DICT_OK = 0, DICT_FULL = 1, DICT_NOMEM = -1 };

void dict_init(pq_dict_t *d);
void dict_free(pq_dict_t *d);
/* Empties the dictionary for a new chunk of the given type; keeps the memory. */
void dict_reset(pq_dict_t *d, int type);
/* Drops the entries from n on (whose page body began at plain_len), after a page that had
 * added them was abandoned. The hash table is stale afterwards: no dict_put_* may follow
 * until the next dict_reset. */
void dict_truncate(pq_dict_t *d, uint32_t n, size_t plain_len);

int dict_put_i32(pq_dict_t *d, uint32_t v, size_t max_bytes, uint32_t *idx);
int dict_put_i64(pq_dict_t *d, uint64_t v, size_t max_bytes, uint32_t *idx); /* doubles by bits */
int dict_put_str(pq_dict_t *d, const uint8_t *p, uint32_t len, size_t max_bytes, uint32_t *idx);

uint64_t pq_hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t pq_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t pq_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t pq_ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* a[0..n) == b[0..n). Dictionary keys are mostly short: from 4 to 16 bytes take two
 * overlapping loads per side instead of a call to memcmp. */
static inline int pq_bytes_eq(const uint8_t *a, const uint8_t *b, uint32_t n)
{
    if (n > 16)
        return memcmp(a, b, n) == 0;
    if (n >= 8)
        return ((pq_ld64(a) ^ pq_ld64(b)) | (pq_ld64(a + n - 8) ^ pq_ld64(b + n - 8))) == 0;
    if (n >= 4)
        return ((pq_ld32(a) ^ pq_ld32(b)) | (pq_ld32(a + n - 4) ^ pq_ld32(b + n - 4))) == 0;
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

#endif
