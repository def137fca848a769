#include "parquet/dict.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "table/schema.h"

#define MIN_SLOTS 1024u

void dict_init(pq_dict_t *d)
{
    memset(d, 0, sizeof *d);
    /* where the dictionary lives and when: unknown outside the process, cheap to get */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    d->seed = pq_hash_u64((uint64_t)(uintptr_t)d ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec);
}

void dict_free(pq_dict_t *d)
{
    free(d->slots);
    free(d->sptr);
    free(d->slen);
    free(d->stamp);
    buf_free(&d->plain);
    memset(d, 0, sizeof *d);
}

void dict_reset(pq_dict_t *d, int type)
{
    d->type = type;
    d->n = 0;
    d->plain.len = 0;
    /* A big table left by a high-cardinality chunk is dropped rather than cleared: calloc hands
     * back zeroed pages cheaply, and most chunks need a small table. */
    if (d->slots && d->mask + 1 > MIN_SLOTS * 4) {
        free(d->slots);
        d->slots = NULL;
        d->mask = 0;
    } else if (d->slots)
        memset(d->slots, 0, ((size_t)d->mask + 1) * sizeof *d->slots);
}

void dict_truncate(pq_dict_t *d, uint32_t n, size_t plain_len)
{
    if (n < d->n) {
        d->n = n;
        d->plain.len = plain_len;
    }
}

/* Folds the 128-bit product: one multiply mixes every input bit into the result. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Short strings (most dictionary keys) take two overlapping loads and two multiplies; longer
 * ones 16 bytes per multiply. The seed differs per dictionary, so inputs crafted to collide
 * (attribute values come from outside) cannot make probing quadratic. */
uint64_t pq_hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const uint64_t k1 = 0xa0761d6478bd642fULL, k2 = 0xe7037ed1a0b428dbULL, k3 = 0x8ebc6af09c88c6e3ULL;
    const uint8_t *p = data;
    uint64_t a, b;
    seed ^= k1;
    if (n <= 16) {
        if (n >= 8) {
            a = pq_ld64(p);
            b = pq_ld64(p + n - 8);
        } else if (n >= 4) {
            uint32_t x, y;
            memcpy(&x, p, 4);
            memcpy(&y, p + n - 4, 4);
            a = x;
            b = y;
        } else if (n > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
            b = 0;
        } else
            a = b = 0;
    } else {
        size_t i = n;
        while (i > 16) {
            seed = fold_mul(pq_ld64(p) ^ k2, pq_ld64(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        a = pq_ld64(p + i - 16);
        b = pq_ld64(p + i - 8);
    }
    return fold_mul(k3 ^ n, fold_mul(a ^ k2, b ^ seed));
}

/* Keeps the load under one half, where linear probing stays short. */
static int grow_slots(pq_dict_t *d)
{
    size_t old = d->slots ? (size_t)d->mask + 1 : 0;
    if (old && (size_t)(d->n + 1) * 2 <= old)
        return 0;
    size_t cap = old ? old * 2 : MIN_SLOTS;
    if (cap > (1u << 31))
        return -1;
    uint64_t *s = calloc(cap, sizeof *s);
    if (!s)
        return -1;
    uint32_t mask = (uint32_t)(cap - 1);
    for (size_t i = 0; i < old; i++) {
        uint64_t e = d->slots[i];
        if (!e)
            continue;
        uint32_t at = (uint32_t)(e >> 32) & mask;
        while (s[at])
            at = (at + 1) & mask;
        s[at] = e;
    }
    free(d->slots);
    d->slots = s;
    d->mask = mask;
    return 0;
}

static int grow_entries(pq_dict_t *d)
{
    if (d->n >= (1u << 30))
        return -1;
    if (d->n >= d->ecap) {
        uint32_t cap = d->ecap ? d->ecap * 2 : 1024;
        uint32_t *stamp = realloc(d->stamp, (size_t)cap * sizeof *stamp);
        if (!stamp)
            return -1;
        d->stamp = stamp;
        d->ecap = cap;
    }
    if (d->type == PT_BYTE_ARRAY && d->n >= d->scap) {
        uint32_t cap = d->scap ? d->scap * 2 : 1024;
        const uint8_t **sptr = realloc((void *)d->sptr, (size_t)cap * sizeof *sptr);
        if (!sptr)
            return -1;
        d->sptr = sptr;
        uint32_t *slen = realloc(d->slen, (size_t)cap * sizeof *slen);
        if (!slen)
            return -1;
        d->slen = slen;
        d->scap = cap;
    }
    return 0;
}

/* Finds the slot of a value: returns the entry index, or -1 with *slot at the empty slot where
 * it belongs. eq compares entry e with the value. */
#define PROBE(d, h, eq_expr)                                                                   \
    uint32_t tag_ = (uint32_t)((h) >> 32);                                                     \
    uint32_t at_ = tag_ & (d)->mask;                                                           \
    for (;;) {                                                                                 \
        uint64_t s_ = (d)->slots[at_];                                                         \
        if (!s_)                                                                               \
            break;                                                                             \
        if ((uint32_t)(s_ >> 32) == tag_) {                                                    \
            uint32_t e = (uint32_t)s_ - 1;                                                     \
            if (eq_expr) {                                                                     \
                *idx = e;                                                                      \
                return DICT_OK;                                                                \
            }                                                                                  \
        }                                                                                      \
        at_ = (at_ + 1) & (d)->mask;                                                           \
    }

static int insert_slot(pq_dict_t *d, uint32_t tag, uint32_t at, uint32_t *idx)
{
    d->slots[at] = ((uint64_t)tag << 32) | (uint64_t)(d->n + 1);
    d->stamp[d->n] = 0;
    *idx = d->n++;
    return DICT_OK;
}

/* Reserves room for one more entry; growing the table moves slots, so the probe repeats. */
static int make_room(pq_dict_t *d, size_t entry_bytes, size_t max_bytes)
{
    if (entry_bytes > max_bytes || d->plain.len > max_bytes - entry_bytes)
        return DICT_FULL;
    if (grow_entries(d) || buf_reserve(&d->plain, entry_bytes))
        return DICT_NOMEM;
    if (!d->slots || (size_t)(d->n + 1) * 2 > (size_t)d->mask + 1)
        if (grow_slots(d))
            return DICT_NOMEM;
    return DICT_OK;
}

int dict_put_i32(pq_dict_t *d, uint32_t v, size_t max_bytes, uint32_t *idx)
{
    uint64_t h = pq_hash_u64(v ^ d->seed);
    if (d->slots) {
        const uint8_t *base = d->plain.data;
        PROBE(d, h, memcmp(base + (size_t)e * 4, &v, 4) == 0)
    }
    int r = make_room(d, 4, max_bytes);
    if (r != DICT_OK)
        return r;
    uint32_t tag = (uint32_t)(h >> 32), at = tag & d->mask;
    while (d->slots[at])
        at = (at + 1) & d->mask;
    memcpy(d->plain.data + d->plain.len, &v, 4);
    d->plain.len += 4;
    return insert_slot(d, tag, at, idx);
}

int dict_put_i64(pq_dict_t *d, uint64_t v, size_t max_bytes, uint32_t *idx)
{
    uint64_t h = pq_hash_u64(v ^ d->seed);
    if (d->slots) {
        const uint8_t *base = d->plain.data;
        PROBE(d, h, pq_ld64(base + (size_t)e * 8) == v)
    }
    int r = make_room(d, 8, max_bytes);
    if (r != DICT_OK)
        return r;
    uint32_t tag = (uint32_t)(h >> 32), at = tag & d->mask;
    while (d->slots[at])
        at = (at + 1) & d->mask;
    memcpy(d->plain.data + d->plain.len, &v, 8);
    d->plain.len += 8;
    return insert_slot(d, tag, at, idx);
}

int dict_put_str(pq_dict_t *d, const uint8_t *p, uint32_t len, size_t max_bytes, uint32_t *idx)
{
    uint64_t h = pq_hash_bytes(p, len, d->seed);
    if (d->slots) {
        PROBE(d, h, d->slen[e] == len && pq_bytes_eq(d->sptr[e], p, len))
    }
    int r = make_room(d, (size_t)len + 4, max_bytes);
    if (r != DICT_OK)
        return r;
    uint32_t tag = (uint32_t)(h >> 32), at = tag & d->mask;
    while (d->slots[at])
        at = (at + 1) & d->mask;
    uint8_t *q = d->plain.data + d->plain.len;
    for (int b = 0; b < 4; b++)
        q[b] = (uint8_t)(len >> (8 * b));
    if (len)
        memcpy(q + 4, p, len);
    d->plain.len += (size_t)len + 4;
    d->sptr[d->n] = p;
    d->slen[d->n] = len;
    return insert_slot(d, tag, at, idx);
}
