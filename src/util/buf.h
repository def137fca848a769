/* Growable byte buffer: the one container every stage appends to. */
#ifndef OTLP2PARQUET_UTIL_BUF_H
#define OTLP2PARQUET_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} buf_t;

/* The slow path of buf_reserve: grows the allocation (doubling) to hold extra more bytes. */
int buf_grow(buf_t *b, size_t extra);

/* All return 0 on success, -1 when memory runs out (the buffer is left unchanged). The common
 * cases (room already there) are inline: they run once per value in the column builders. */
static inline int buf_reserve(buf_t *b, size_t extra)
{
    return extra <= b->cap - b->len ? 0 : buf_grow(b, extra);
}
static inline int buf_append(buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (buf_reserve(b, n))
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}
static inline int buf_put_u8(buf_t *b, uint8_t v)
{
    if (b->len == b->cap && buf_grow(b, 1))
        return -1;
    b->data[b->len++] = v;
    return 0;
}
int buf_append_str(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_put_u32le(buf_t *b, uint32_t v);
int buf_put_u64le(buf_t *b, uint64_t v);
/* Appends n zero bytes and returns a pointer to them, NULL when memory runs out. */
uint8_t *buf_extend(buf_t *b, size_t n);
void buf_free(buf_t *b);
static inline void buf_clear(buf_t *b) { b->len = 0; }

#endif
