/* A small protobuf encoder for the OTLP decoder tests: requests are built field by field (in
 * any order, with unknown fields, wrong wire types or cut short as a test needs), then fed to a
 * decoder. Every builder returns a buf_t the caller owns; w_msg writes one as a field and frees
 * it, so nested messages read like the request they build. */
#ifndef OTLP2PARQUET_TESTS_PB_ENCODE_H
#define OTLP2PARQUET_TESTS_PB_ENCODE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/pb.h"
#include "util/buf.h"

static inline void w_raw(buf_t *b, const void *p, size_t n)
{
    if (buf_append(b, p, n))
        abort();
}
static inline void w_varint(buf_t *b, uint64_t v)
{
    while (v >= 0x80) {
        uint8_t c = (uint8_t)(v | 0x80);
        w_raw(b, &c, 1);
        v >>= 7;
    }
    uint8_t c = (uint8_t)v;
    w_raw(b, &c, 1);
}
static inline void w_tag(buf_t *b, uint32_t num, int wt) { w_varint(b, (uint64_t)num << 3 | (uint64_t)wt); }
static inline void w_uv(buf_t *b, uint32_t num, uint64_t v)
{
    w_tag(b, num, PB_VARINT);
    w_varint(b, v);
}
static inline void w_f64(buf_t *b, uint32_t num, uint64_t v)
{
    w_tag(b, num, PB_I64);
    for (int i = 0; i < 8; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        w_raw(b, &c, 1);
    }
}
static inline void w_f32(buf_t *b, uint32_t num, uint32_t v)
{
    w_tag(b, num, PB_I32);
    for (int i = 0; i < 4; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        w_raw(b, &c, 1);
    }
}
static inline void w_bytes(buf_t *b, uint32_t num, const void *p, size_t n)
{
    w_tag(b, num, PB_LEN);
    w_varint(b, n);
    w_raw(b, p, n);
}
static inline void w_str(buf_t *b, uint32_t num, const char *s) { w_bytes(b, num, s, strlen(s)); }
/* writes m as field num and frees it */
static inline void w_msg(buf_t *b, uint32_t num, buf_t m)
{
    w_bytes(b, num, m.data ? m.data : (const uint8_t *)"", m.len);
    buf_free(&m);
}
static inline uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

/* AnyValue builders */
static inline buf_t av_str(const char *s)
{
    buf_t b = {0};
    w_str(&b, 1, s);
    return b;
}
static inline buf_t av_strn(const char *s, size_t n)
{
    buf_t b = {0};
    w_bytes(&b, 1, s, n);
    return b;
}
static inline buf_t av_bool(int v)
{
    buf_t b = {0};
    w_uv(&b, 2, (uint64_t)v);
    return b;
}
static inline buf_t av_int(int64_t v)
{
    buf_t b = {0};
    w_uv(&b, 3, (uint64_t)v);
    return b;
}
static inline buf_t av_dbl(double d)
{
    buf_t b = {0};
    w_f64(&b, 4, dbits(d));
    return b;
}
static inline buf_t av_bytes(const void *p, size_t n)
{
    buf_t b = {0};
    w_bytes(&b, 7, p, n);
    return b;
}
static inline buf_t av_empty(void) { return (buf_t){0}; }
/* array of n AnyValues (buf_t varargs, each freed) */
static inline buf_t av_arr(int n, ...)
{
    buf_t arr = {0}, b = {0};
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        w_msg(&arr, 1, va_arg(ap, buf_t));
    va_end(ap);
    w_msg(&b, 5, arr);
    return b;
}
static inline buf_t kv(const char *k, buf_t v)
{
    buf_t b = {0};
    w_str(&b, 1, k);
    w_msg(&b, 2, v);
    return b;
}
/* kvlist of n KeyValues (buf_t varargs from kv(), each freed) */
static inline buf_t av_kvl(int n, ...)
{
    buf_t l = {0}, b = {0};
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        w_msg(&l, 1, va_arg(ap, buf_t));
    va_end(ap);
    w_msg(&b, 6, l);
    return b;
}

static inline buf_t resource(int n, ...) /* KeyValues */
{
    buf_t b = {0};
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        w_msg(&b, 1, va_arg(ap, buf_t));
    va_end(ap);
    return b;
}
/* an unknown field of every wire type, including a group with a nested group */
static inline void w_unknowns(buf_t *b, uint32_t num)
{
    w_uv(b, num, 12345);
    w_f64(b, num + 1, 1);
    w_str(b, num + 2, "junk");
    w_f32(b, num + 3, 7);
    w_tag(b, num + 4, PB_SGROUP);
    w_uv(b, 1, 1);
    w_tag(b, 2, PB_SGROUP);
    w_str(b, 3, "inner");
    w_tag(b, 2, PB_EGROUP);
    w_tag(b, num + 4, PB_EGROUP);
}

/* a double field (fixed64 bits) */
static inline void w_dbl(buf_t *b, uint32_t num, double d) { w_f64(b, num, dbits(d)); }
/* a sint32/sint64 field: zigzag varint */
static inline void w_sv(buf_t *b, uint32_t num, int64_t v)
{
    w_uv(b, num, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
/* packed repeated fields: one length-delimited field holding the values */
static inline void w_packed_f64(buf_t *b, uint32_t num, const uint64_t *v, size_t n)
{
    buf_t p = {0};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) {
            uint8_t c = (uint8_t)(v[i] >> (8 * k));
            w_raw(&p, &c, 1);
        }
    w_msg(b, num, p);
}
static inline void w_packed_dbl(buf_t *b, uint32_t num, const double *v, size_t n)
{
    buf_t p = {0};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) {
            uint8_t c = (uint8_t)(dbits(v[i]) >> (8 * k));
            w_raw(&p, &c, 1);
        }
    w_msg(b, num, p);
}
static inline void w_packed_varints(buf_t *b, uint32_t num, const uint64_t *v, size_t n)
{
    buf_t p = {0};
    for (size_t i = 0; i < n; i++)
        w_varint(&p, v[i]);
    w_msg(b, num, p);
}

/* Export*ServiceRequest with one ResourceX { resource, one ScopeX { scope, the items } }: the
 * same shape for logs, traces and metrics (fields 1, 2, 2). */
static inline buf_t req1(buf_t res, buf_t scope, int nitems, ...)
{
    buf_t sx = {0}, rx = {0}, req = {0};
    w_msg(&sx, 1, scope);
    va_list ap;
    va_start(ap, nitems);
    for (int i = 0; i < nitems; i++)
        w_msg(&sx, 2, va_arg(ap, buf_t));
    va_end(ap);
    w_msg(&rx, 1, res);
    w_msg(&rx, 2, sx);
    w_msg(&req, 1, rx);
    return req;
}

#endif
