/* Parquet writer: encoders against hand-computed bytes, statistics order and truncation, the
 * dictionary and its fallback, and whole files decoded back with a small Thrift compact reader
 * written here (so the checks do not trust the writer's own serializer). */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "parquet/chunk.h"
#include "parquet/dict.h"
#include "parquet/footer.h"
#include "parquet/rle.h"
#include "parquet/stats.h"
#include "parquet/thrift_compact.h"
#include "parquet/writer.h"
#include "table/column.h"
#include "table/tables.h"

/* ---- a minimal Thrift compact reader ---------------------------------------------------- */

typedef struct tnode {
    int type; /* compact type; bools are TC_BOOL_TRUE with i = 0/1 */
    int id;   /* field id inside a struct */
    int64_t i;
    const uint8_t *p;
    size_t n;
    struct tnode *kids;
    size_t nkids;
} tnode_t;

typedef struct {
    const uint8_t *p, *end;
    int bad;
} rd_t;

static uint64_t rd_varint(rd_t *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->bad = 1;
            return 0;
        }
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static int64_t unzig(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static void tn_free(tnode_t *n)
{
    for (size_t k = 0; k < n->nkids; k++)
        tn_free(&n->kids[k]);
    free(n->kids);
    n->kids = NULL;
    n->nkids = 0;
}

static tnode_t *tn_add(tnode_t *n)
{
    tnode_t *k = realloc(n->kids, (n->nkids + 1) * sizeof *k);
    if (!k)
        abort();
    n->kids = k;
    memset(&k[n->nkids], 0, sizeof *k);
    return &k[n->nkids++];
}

static void rd_value(rd_t *r, int type, tnode_t *n, int depth);

static void rd_struct(rd_t *r, tnode_t *n, int depth)
{
    n->type = TC_STRUCT;
    int last = 0;
    while (!r->bad) {
        if (r->p >= r->end) {
            r->bad = 1;
            return;
        }
        uint8_t b = *r->p++;
        if (b == 0)
            return;
        int type = b & 15, delta = b >> 4;
        int id = delta ? last + delta : (int)unzig(rd_varint(r));
        last = id;
        tnode_t *k = tn_add(n);
        k->id = id;
        if (type == TC_BOOL_TRUE || type == TC_BOOL_FALSE) {
            k->type = TC_BOOL_TRUE;
            k->i = type == TC_BOOL_TRUE;
        } else
            rd_value(r, type, k, depth + 1);
    }
}

static void rd_value(rd_t *r, int type, tnode_t *n, int depth)
{
    if (depth > 32) {
        r->bad = 1;
        return;
    }
    n->type = type;
    switch (type) {
    case TC_BOOL_TRUE:
    case TC_BOOL_FALSE: /* a list element: one byte */
        n->type = TC_BOOL_TRUE;
        if (r->p >= r->end) {
            r->bad = 1;
            return;
        }
        n->i = *r->p++ == 1;
        break;
    case TC_I8:
        if (r->p >= r->end) {
            r->bad = 1;
            return;
        }
        n->i = (int8_t)*r->p++;
        break;
    case TC_I16:
    case TC_I32:
    case TC_I64:
        n->i = unzig(rd_varint(r));
        break;
    case TC_BINARY: {
        uint64_t len = rd_varint(r);
        if (len > (uint64_t)(r->end - r->p)) {
            r->bad = 1;
            return;
        }
        n->p = r->p;
        n->n = (size_t)len;
        r->p += len;
        break;
    }
    case TC_LIST: {
        if (r->p >= r->end) {
            r->bad = 1;
            return;
        }
        uint8_t h = *r->p++;
        uint64_t cnt = h >> 4;
        int et = h & 15;
        if (cnt == 15)
            cnt = rd_varint(r);
        for (uint64_t k = 0; k < cnt && !r->bad; k++)
            rd_value(r, et, tn_add(n), depth + 1);
        n->type = TC_LIST;
        break;
    }
    case TC_STRUCT:
        rd_struct(r, n, depth);
        break;
    default:
        r->bad = 1;
    }
}

/* Parses one struct at p; returns the bytes it took, 0 when malformed. */
static size_t tn_parse(const uint8_t *p, size_t n, tnode_t *out)
{
    memset(out, 0, sizeof *out);
    rd_t r = {p, p + n, 0};
    rd_struct(&r, out, 0);
    if (r.bad) {
        tn_free(out);
        return 0;
    }
    return (size_t)(r.p - p);
}

static const tnode_t *tn_field(const tnode_t *s, int id)
{
    if (!s)
        return NULL;
    for (size_t k = 0; k < s->nkids; k++)
        if (s->kids[k].id == id)
            return &s->kids[k];
    return NULL;
}

static int64_t tn_int(const tnode_t *s, int id, int64_t dflt)
{
    const tnode_t *f = tn_field(s, id);
    return f ? f->i : dflt;
}

static int tn_str_eq(const tnode_t *n, const char *s)
{
    return n && n->type == TC_BINARY && n->n == strlen(s) && memcmp(n->p, s, n->n) == 0;
}

/* ---- a reader of the hybrid encoding, to round-trip the encoder ----------------------------- */

/* Decodes n values; returns the bytes used, 0 on malformed input. */
static size_t rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, size_t n)
{
    rd_t r = {p, p + len, 0};
    size_t got = 0, vbytes = ((size_t)bw + 7) / 8;
    while (got < n) {
        uint64_t h = rd_varint(&r);
        if (r.bad)
            return 0;
        if (h & 1) {
            size_t cnt = (size_t)(h >> 1) * 8;
            size_t bytes = (h >> 1) * (size_t)bw;
            if (bytes > (size_t)(r.end - r.p))
                return 0;
            for (size_t k = 0; k < cnt; k++) {
                uint64_t v = 0;
                for (int b = 0; b < bw; b++) {
                    size_t bit = k * (size_t)bw + (size_t)b;
                    v |= (uint64_t)((r.p[bit / 8] >> (bit % 8)) & 1) << b;
                }
                if (got < n)
                    out[got++] = (uint32_t)v;
            }
            r.p += bytes;
        } else {
            size_t cnt = (size_t)(h >> 1);
            if (vbytes > (size_t)(r.end - r.p) || cnt == 0)
                return 0;
            uint32_t v = 0;
            for (size_t b = 0; b < vbytes; b++)
                v |= (uint32_t)r.p[b] << (8 * b);
            r.p += vbytes;
            for (size_t k = 0; k < cnt && got < n; k++)
                out[got++] = v;
        }
    }
    return (size_t)(r.p - p);
}

/* ---- encoders against hand-computed bytes ---------------------------------------------------- */

TEST(varint_and_zigzag)
{
    uint8_t b[10];
    CHECK_EQ_INT(tc_varint(b, 0), 1);
    CHECK_EQ_INT(b[0], 0);
    CHECK_EQ_INT(tc_varint(b, 127), 1);
    CHECK_EQ_INT(b[0], 0x7F);
    CHECK_EQ_INT(tc_varint(b, 128), 2);
    CHECK(b[0] == 0x80 && b[1] == 0x01);
    CHECK_EQ_INT(tc_varint(b, 50399), 3); /* the example of the compact protocol spec */
    CHECK(b[0] == 0xDF && b[1] == 0x89 && b[2] == 0x03);
    CHECK_EQ_INT(tc_varint(b, UINT64_MAX), 10);
    CHECK(b[0] == 0xFF && b[8] == 0xFF && b[9] == 0x01);
    CHECK_EQ_INT(tc_zigzag32(0), 0);
    CHECK_EQ_INT(tc_zigzag32(-1), 1);
    CHECK_EQ_INT(tc_zigzag32(1), 2);
    CHECK_EQ_INT(tc_zigzag32(-2), 3);
    CHECK_EQ_INT(tc_zigzag32(INT32_MAX), 0xFFFFFFFEu);
    CHECK_EQ_INT(tc_zigzag32(INT32_MIN), 0xFFFFFFFFu);
    CHECK(tc_zigzag64(INT64_MIN) == UINT64_MAX);
    CHECK(tc_zigzag64(INT64_MAX) == UINT64_MAX - 1);
    CHECK(tc_zigzag64(-3) == 5);
}

TEST(compact_struct_bytes)
{
    buf_t b = {0};
    tc_writer_t w;
    tc_init(&w, &b);
    tc_i32(&w, 1, 5);         /* delta 1, i32: 0x15, zigzag 10 */
    tc_i64(&w, 3, -1);        /* delta 2, i64: 0x26, zigzag 1 */
    tc_i32(&w, 20, 300);      /* delta 17: long form 0x05, zigzag(20)=40, zigzag(300)=600 */
    tc_bool(&w, 21, 1);       /* delta 1, true: 0x11 */
    tc_bool(&w, 22, 0);       /* delta 1, false: 0x12 */
    tc_struct_begin(&w, 23);  /* 0x1C */
    tc_i8(&w, 1, -2);         /* 0x13 0xFE */
    tc_binary(&w, 2, "ab", 2); /* 0x18 0x02 'a' 'b' */
    tc_struct_end(&w);        /* 0x00 */
    tc_list_begin(&w, 24, TC_I32, 3); /* 0x19, 0x35 */
    tc_elem_i32(&w, 0);
    tc_elem_i32(&w, -1);
    tc_elem_i32(&w, 64); /* zigzag 128: 0x80 0x01 */
    tc_list_begin(&w, 25, TC_BOOL_TRUE, 16); /* 0x19, 0xF1, 16 */
    for (int i = 0; i < 16; i++)
        tc_elem_bool(&w, i & 1);
    tc_i16(&w, 10, 7); /* going back: long form 0x04, zigzag(10)=20, zigzag(7)=14 */
    CHECK_EQ_INT(tc_finish(&w), 0);
    uint8_t want[] = {0x15, 0x0A, 0x26, 0x01, 0x05, 0x28, 0xD8, 0x04, 0x11, 0x12, 0x1C, 0x13, 0xFE,
                      0x18, 0x02, 'a', 'b', 0x00, 0x19, 0x35, 0x00, 0x01, 0x80, 0x01, 0x19, 0xF1, 0x10,
                      2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1,
                      0x04, 0x14, 0x0E, 0x00};
    CHECK_EQ_MEM(b.data, b.len, want, sizeof want);
    /* and our reader agrees */
    tnode_t t;
    CHECK_EQ_INT(tn_parse(b.data, b.len, &t), b.len);
    CHECK_EQ_INT(tn_int(&t, 20, 0), 300);
    CHECK_EQ_INT(tn_int(&t, 3, 0), -1);
    CHECK_EQ_INT(tn_int(tn_field(&t, 23), 1, 0), -2);
    CHECK_EQ_INT(tn_field(&t, 25)->nkids, 16);
    CHECK_EQ_INT(tn_field(&t, 25)->kids[3].i, 1);
    tn_free(&t);
    buf_free(&b);
}

TEST(compact_unbalanced_fails)
{
    buf_t b = {0};
    tc_writer_t w;
    tc_init(&w, &b);
    tc_struct_begin(&w, 1);
    CHECK_EQ_INT(tc_finish(&w), -1);
    buf_free(&b);
}

TEST(rle_vectors)
{
    buf_t b = {0};
    uint8_t ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_EQ_INT(rle_encode_u8(&b, ones, 8, 1), 0);
    uint8_t w1[] = {0x10, 0x01};
    CHECK_EQ_MEM(b.data, b.len, w1, sizeof w1);

    /* the bit-packing example of Encodings.md: 0..7 at width 3 */
    b.len = 0;
    uint8_t seq[28] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int i = 8; i < 28; i++)
        seq[i] = 4;
    CHECK_EQ_INT(rle_encode_u8(&b, seq, 8, 3), 0);
    uint8_t w2[] = {0x03, 0x88, 0xC6, 0xFA};
    CHECK_EQ_MEM(b.data, b.len, w2, sizeof w2);

    /* a group, then a run of 20 fours */
    b.len = 0;
    CHECK_EQ_INT(rle_encode_u8(&b, seq, 28, 3), 0);
    uint8_t w3[] = {0x03, 0x88, 0xC6, 0xFA, 0x28, 0x04};
    CHECK_EQ_MEM(b.data, b.len, w3, sizeof w3);

    /* a short tail is padded to a whole group */
    b.len = 0;
    uint8_t tail[] = {1, 0, 1};
    CHECK_EQ_INT(rle_encode_u8(&b, tail, 3, 1), 0);
    uint8_t w4[] = {0x03, 0x05};
    CHECK_EQ_MEM(b.data, b.len, w4, sizeof w4);

    /* a 300-long run: header 600 as a two-byte varint */
    b.len = 0;
    uint8_t many[300];
    memset(many, 1, sizeof many);
    CHECK_EQ_INT(rle_encode_u8(&b, many, 300, 1), 0);
    uint8_t w5[] = {0xD8, 0x04, 0x01};
    CHECK_EQ_MEM(b.data, b.len, w5, sizeof w5);

    /* 32-bit input, width 12: the run value takes two bytes */
    b.len = 0;
    uint32_t big[9];
    for (int i = 0; i < 9; i++)
        big[i] = 0xABC;
    CHECK_EQ_INT(rle_encode_u32(&b, big, 9, 12), 0);
    uint8_t w6[] = {0x12, 0xBC, 0x0A};
    CHECK_EQ_MEM(b.data, b.len, w6, sizeof w6);

    /* levels carry a 4-byte little-endian length */
    b.len = 0;
    CHECK_EQ_INT(rle_encode_levels(&b, ones, 8, 1), 0);
    uint8_t w7[] = {0x02, 0, 0, 0, 0x10, 0x01};
    CHECK_EQ_MEM(b.data, b.len, w7, sizeof w7);

    /* PLAIN booleans */
    b.len = 0;
    uint8_t bools[] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    CHECK_EQ_INT(bitpack_bools(&b, bools, 9), 0);
    uint8_t w8[] = {0x0D, 0x01};
    CHECK_EQ_MEM(b.data, b.len, w8, sizeof w8);

    CHECK_EQ_INT(rle_bit_width(0), 0);
    CHECK_EQ_INT(rle_bit_width(1), 1);
    CHECK_EQ_INT(rle_bit_width(2), 2);
    CHECK_EQ_INT(rle_bit_width(255), 8);
    CHECK_EQ_INT(rle_bit_width(256), 9);
    buf_free(&b);
}

TEST(rle_roundtrip_random)
{
    buf_t b = {0};
    uint64_t seed = 12345;
    uint32_t *v = malloc(5000 * sizeof *v), *back = malloc(5000 * sizeof *back);
    CHECK(v && back);
    for (int trial = 0; trial < 200; trial++) {
        int bw = trial % 33;
        size_t n = 1 + (size_t)(trial * 37 % 4999);
        uint32_t mask = bw == 32 ? UINT32_MAX : (1u << bw) - 1;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            /* runs of varying length, so both run kinds appear */
            if (i > 0 && (seed >> 60) < 10)
                v[i] = v[i - 1];
            else
                v[i] = (uint32_t)(seed >> 16) & mask;
        }
        b.len = 0;
        CHECK_EQ_INT(rle_encode_u32(&b, v, n, bw), 0);
        memset(back, 0xEE, n * sizeof *back);
        size_t used = rle_decode(b.data, b.len, bw, back, n);
        CHECK_EQ_INT(used, b.len);
        for (size_t i = 0; i < n; i++)
            if (back[i] != v[i]) {
                printf("    trial %d bw %d: value %zu: %u != %u\n", trial, bw, i, back[i], v[i]);
                CHECK(0);
            }
    }
    free(v);
    free(back);
    buf_free(&b);
}

/* ---- statistics ------------------------------------------------------------------------------ */

static double bytes_f64(const buf_t *b, size_t at)
{
    double d;
    memcpy(&d, b->data + at, 8);
    return d;
}

TEST(stats_doubles_nan_and_zero)
{
    pq_stats_t s;
    stats_clear(&s);
    double vals[] = {NAN, 0.0, -0.0, 3.5, -NAN, 1.0};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        stats_f64(&s, vals[i]);
    CHECK_EQ_INT(s.nans, 2);
    CHECK(s.has);
    CHECK(s.dmin == 0 && signbit(s.dmin)); /* -0.0 below +0.0 */
    CHECK(s.dmax == 3.5);

    /* only +0.0: exactly +0.0 for the caller; written to Parquet as -0.0 min, +0.0 max */
    stats_clear(&s);
    stats_f64(&s, 0.0);
    stats_f64(&s, NAN);
    buf_t b = {0};
    CHECK_EQ_INT(stats_min_bytes(&s, PT_DOUBLE, 0, &b, NULL), 0);
    CHECK(bytes_f64(&b, 0) == 0 && !signbit(bytes_f64(&b, 0)));
    b.len = 0;
    CHECK_EQ_INT(stats_min_bytes(&s, PT_DOUBLE, PQ_STATS_MAX_BOUND, &b, NULL), 0);
    CHECK_EQ_INT(stats_max_bytes(&s, PT_DOUBLE, PQ_STATS_MAX_BOUND, &b, NULL), 0);
    CHECK_EQ_INT(b.len, 16);
    CHECK(bytes_f64(&b, 0) == 0 && signbit(bytes_f64(&b, 0)));
    CHECK(bytes_f64(&b, 8) == 0 && !signbit(bytes_f64(&b, 8)));
    uint8_t negzero[8] = {0, 0, 0, 0, 0, 0, 0, 0x80};
    CHECK_EQ_MEM(b.data, 8, negzero, 8);

    /* only -0.0: max written as +0.0 */
    stats_clear(&s);
    stats_f64(&s, -0.0);
    b.len = 0;
    CHECK_EQ_INT(stats_max_bytes(&s, PT_DOUBLE, PQ_STATS_MAX_BOUND, &b, NULL), 0);
    CHECK(!signbit(bytes_f64(&b, 0)));

    /* all NaN: no bounds */
    stats_clear(&s);
    stats_f64(&s, NAN);
    CHECK(!s.has);
    CHECK_EQ_INT(s.nans, 1);

    /* merging keeps -inf/+inf and the zero order */
    pq_stats_t a, c;
    stats_clear(&a);
    stats_clear(&c);
    stats_f64(&a, 0.0);
    stats_f64(&c, -0.0);
    stats_f64(&c, -INFINITY);
    stats_f64(&a, INFINITY);
    stats_merge(&a, &c, PT_DOUBLE);
    CHECK(a.dmin == -INFINITY && a.dmax == INFINITY);
    buf_free(&b);
}

TEST(stats_ints_signed_and_strings_unsigned)
{
    pq_stats_t s;
    stats_clear(&s);
    int64_t iv[] = {5, -7, INT64_MAX, 0, INT64_MIN, 3};
    for (size_t i = 0; i < 6; i++)
        stats_int(&s, iv[i]);
    CHECK(s.imin == INT64_MIN && s.imax == INT64_MAX);
    buf_t b = {0};
    CHECK_EQ_INT(stats_min_bytes(&s, PT_INT64, 0, &b, NULL), 0);
    uint8_t lmin[8] = {0, 0, 0, 0, 0, 0, 0, 0x80};
    CHECK_EQ_MEM(b.data, b.len, lmin, 8);

    stats_clear(&s);
    stats_int(&s, -1);
    stats_int(&s, 2);
    b.len = 0;
    CHECK_EQ_INT(stats_min_bytes(&s, PT_INT32, 0, &b, NULL), 0);
    uint8_t m1[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_EQ_MEM(b.data, b.len, m1, 4);

    /* strings: unsigned bytes, so 0xC3 (é) sorts after 'z' and "" first */
    stats_clear(&s);
    const char *sv[] = {"m", "z", "\xc3\xa9", "ab", "", "a"};
    for (size_t i = 0; i < 6; i++)
        stats_str(&s, (const uint8_t *)sv[i], (uint32_t)strlen(sv[i]));
    CHECK_EQ_INT(s.sminlen, 0);
    CHECK_EQ_MEM(s.smax, s.smaxlen, "\xc3\xa9", 2);
    CHECK(stats_str_cmp((const uint8_t *)"a", 1, (const uint8_t *)"ab", 2) < 0);
    CHECK(stats_str_cmp((const uint8_t *)"\x7f", 1, (const uint8_t *)"\x80", 1) < 0);
    buf_free(&b);
}

TEST(stats_truncation)
{
    uint8_t big[400], out[300];
    memset(big, 'a', sizeof big);
    big[399] = 'z';
    CHECK_EQ_INT(stats_trunc_min(big, 400, 256, out), 256);
    CHECK_EQ_INT(out[255], 'a');
    CHECK_EQ_INT(stats_trunc_max(big, 400, 256, out), 256);
    CHECK_EQ_INT(out[255], 'b');
    CHECK_EQ_INT(out[0], 'a');

    /* é (C3 A9) repeated: cut at a character boundary, raise the last one to ê (C3 AA) */
    for (int i = 0; i < 200; i++) {
        big[2 * i] = 0xC3;
        big[2 * i + 1] = 0xA9;
    }
    CHECK_EQ_INT(stats_trunc_min(big, 400, 255, out), 254);
    CHECK_EQ_INT(stats_trunc_max(big, 400, 255, out), 254);
    CHECK(out[252] == 0xC3 && out[253] == 0xAA && out[251] == 0xA9);

    /* U+10FFFF cannot be raised: drop it and raise the character before */
    uint8_t hi[] = {'a', 0xF4, 0x8F, 0xBF, 0xBF, 0xF4, 0x8F, 0xBF, 0xBF, 'x'};
    CHECK_EQ_INT(stats_trunc_max(hi, sizeof hi, 8, out), 1);
    CHECK_EQ_INT(out[0], 'b');
    /* U+007F raised becomes a two-byte character */
    uint8_t del[] = {'q', 0x7F, 'x', 'y'};
    CHECK_EQ_INT(stats_trunc_max(del, 4, 2, out), 3);
    CHECK(out[0] == 'q' && out[1] == 0xC2 && out[2] == 0x80);

    /* not UTF-8: byte-wise, trailing 0xFF dropped */
    uint8_t bin[] = {0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    CHECK_EQ_INT(stats_trunc_max(bin, 6, 4, out), 1);
    CHECK_EQ_INT(out[0], 0x02);
    uint8_t ff[] = {0xFF, 0xFF, 0xFF};
    CHECK_EQ_INT(stats_trunc_max(ff, 3, 2, out), 0); /* none exists */

    /* through the stats API: inexact flags, and the caller's exact copy untouched */
    pq_stats_t s;
    stats_clear(&s);
    memset(big, 'k', sizeof big);
    stats_str(&s, big, 400);
    buf_t b = {0};
    int exact = 1;
    CHECK_EQ_INT(stats_max_bytes(&s, PT_BYTE_ARRAY, PQ_STATS_MAX_BOUND, &b, &exact), 0);
    CHECK_EQ_INT(exact, 0);
    CHECK_EQ_INT(b.len, PQ_STATS_MAX_BOUND);
    CHECK_EQ_INT(b.data[PQ_STATS_MAX_BOUND - 1], 'l');
    b.len = 0;
    CHECK_EQ_INT(stats_max_bytes(&s, PT_BYTE_ARRAY, 0, &b, &exact), 0);
    CHECK_EQ_INT(exact, 1);
    CHECK_EQ_MEM(b.data, b.len, big, 400);
    /* an unraisable max stays whole, and exact */
    stats_clear(&s);
    uint8_t allff[300];
    memset(allff, 0xFF, sizeof allff);
    stats_str(&s, allff, 300);
    b.len = 0;
    CHECK_EQ_INT(stats_max_bytes(&s, PT_BYTE_ARRAY, PQ_STATS_MAX_BOUND, &b, &exact), 0);
    CHECK_EQ_INT(exact, 1);
    CHECK_EQ_INT(b.len, 300);
    buf_free(&b);
}

/* ---- dictionary ------------------------------------------------------------------------------ */

TEST(dict_basics)
{
    pq_dict_t d;
    dict_init(&d);
    dict_reset(&d, PT_BYTE_ARRAY);
    uint32_t a, b2, c, a2;
    CHECK_EQ_INT(dict_put_str(&d, (const uint8_t *)"alpha", 5, 1000, &a), DICT_OK);
    CHECK_EQ_INT(dict_put_str(&d, (const uint8_t *)"", 0, 1000, &b2), DICT_OK);
    CHECK_EQ_INT(dict_put_str(&d, (const uint8_t *)"alphb", 5, 1000, &c), DICT_OK);
    CHECK_EQ_INT(dict_put_str(&d, (const uint8_t *)"alpha", 5, 1000, &a2), DICT_OK);
    CHECK_EQ_INT(a, 0);
    CHECK_EQ_INT(b2, 1);
    CHECK_EQ_INT(c, 2);
    CHECK_EQ_INT(a2, 0);
    CHECK_EQ_INT(d.n, 3);
    uint8_t want[] = {5, 0, 0, 0, 'a', 'l', 'p', 'h', 'a', 0, 0, 0, 0, 5, 0, 0, 0, 'a', 'l', 'p', 'h', 'b'};
    CHECK_EQ_MEM(d.plain.data, d.plain.len, want, sizeof want);
    /* the limit counts PLAIN bytes: 22 used, a 5-byte string needs 9 more */
    uint32_t x;
    CHECK_EQ_INT(dict_put_str(&d, (const uint8_t *)"gamma", 5, 30, &x), DICT_FULL);
    CHECK_EQ_INT(d.n, 3);
    CHECK_EQ_INT(dict_put_str(&d, (const uint8_t *)"gamma", 5, 31, &x), DICT_OK);
    CHECK_EQ_INT(x, 3);
    /* an existing value still resolves when the dictionary is full */
    CHECK_EQ_INT(dict_put_str(&d, (const uint8_t *)"alphb", 5, 0, &x), DICT_OK);
    CHECK_EQ_INT(x, 2);

    /* many values: growth and rehash keep every index */
    dict_reset(&d, PT_INT64);
    for (uint64_t i = 0; i < 50000; i++) {
        CHECK_EQ_INT(dict_put_i64(&d, i * 0x9E3779B97F4A7C15ULL, SIZE_MAX, &x), DICT_OK);
        CHECK_EQ_INT(x, i);
    }
    for (uint64_t i = 0; i < 50000; i += 7) {
        CHECK_EQ_INT(dict_put_i64(&d, i * 0x9E3779B97F4A7C15ULL, SIZE_MAX, &x), DICT_OK);
        CHECK_EQ_INT(x, i);
    }
    CHECK_EQ_INT(d.plain.len, 50000 * 8);
    /* -0.0 and +0.0 are different entries (their bits differ), and each NaN payload too */
    dict_reset(&d, PT_DOUBLE);
    double z = 0.0, nz = -0.0;
    uint64_t zb, nzb;
    memcpy(&zb, &z, 8);
    memcpy(&nzb, &nz, 8);
    CHECK_EQ_INT(dict_put_i64(&d, zb, 100, &x), DICT_OK);
    CHECK_EQ_INT(dict_put_i64(&d, nzb, 100, &x), DICT_OK);
    CHECK_EQ_INT(x, 1);
    dict_reset(&d, PT_INT32);
    CHECK_EQ_INT(dict_put_i32(&d, 7, 100, &x), DICT_OK);
    CHECK_EQ_INT(dict_put_i32(&d, 7, 100, &x), DICT_OK);
    CHECK_EQ_INT(d.n, 1);
    CHECK_EQ_INT(d.plain.len, 4);
    dict_truncate(&d, 0, 0);
    CHECK_EQ_INT(d.n, 0);
    dict_free(&d);
    CHECK(pq_hash_bytes("abc", 3, 1) != pq_hash_bytes("abd", 3, 1));
    CHECK(pq_hash_bytes("", 0, 1) != pq_hash_bytes("\0", 1, 1));
    CHECK(pq_hash_bytes("abc", 3, 1) != pq_hash_bytes("abc", 3, 2));
    /* every length class: one flipped bit anywhere changes the hash */
    uint8_t buf[40] = {0};
    for (size_t n = 1; n <= sizeof buf; n++)
        for (size_t bit = 0; bit < n * 8; bit += 3) {
            uint64_t h0 = pq_hash_bytes(buf, n, 7);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            uint64_t h1 = pq_hash_bytes(buf, n, 7);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (h0 == h1)
                printf("    length %zu bit %zu: same hash\n", n, bit);
            CHECK(h0 != h1);
        }
}

/* ---- whole files ----------------------------------------------------------------------------- */

static int put_log_row(table_batch_t *b, uint32_t i, const char *body, int nattrs)
{
    column_t *c = b->cols;
    char tid[33], sid[17], svc[32];
    snprintf(tid, sizeof tid, "%032x", i);
    snprintf(sid, sizeof sid, "%016x", i * 7u);
    snprintf(svc, sizeof svc, "svc-%u", i % 3);
    int r = 0;
    r |= col_i64(&c[LOGS_TIMESTAMP], 1700000000000000LL + (int64_t)i * 1000);
    r |= col_i64(&c[LOGS_OBSERVED_TIMESTAMP], 1700000000000000LL + (int64_t)i * 1000 + 5);
    r |= col_str(&c[LOGS_TRACE_ID], tid, 32);
    r |= col_str(&c[LOGS_SPAN_ID], sid, 16);
    r |= col_i32(&c[LOGS_TRACE_FLAGS], (int32_t)(i % 2));
    r |= col_str(&c[LOGS_SEVERITY_TEXT], "INFO", 4);
    r |= col_i32(&c[LOGS_SEVERITY_NUMBER], (int32_t)(i % 24) - 3);
    r |= body ? col_str(&c[LOGS_BODY], body, strlen(body)) : col_null(&c[LOGS_BODY]);
    r |= col_str(&c[LOGS_EVENT_NAME], "", 0);
    r |= col_str(&c[LOGS_SERVICE_NAME], svc, strlen(svc));
    kv_t res[1] = {{"service.name", 12, svc, (uint32_t)strlen(svc)}};
    r |= col_map_put(&c[LOGS_RESOURCE_ATTRS_KEY], &c[LOGS_RESOURCE_ATTRS_VAL], 0, res, 1);
    r |= col_str(&c[LOGS_RESOURCE_SCHEMA_URL], "", 0);
    r |= col_str(&c[LOGS_SCOPE_NAME], "scope", 5);
    r |= col_str(&c[LOGS_SCOPE_VERSION], "1", 1);
    r |= col_map_put(&c[LOGS_SCOPE_ATTRS_KEY], &c[LOGS_SCOPE_ATTRS_VAL], 0, NULL, 0);
    r |= col_str(&c[LOGS_SCOPE_SCHEMA_URL], "", 0);
    kv_t *kv = calloc((size_t)nattrs + 1, sizeof *kv);
    char (*keys)[16] = calloc((size_t)nattrs + 1, 16);
    if (!kv || !keys)
        abort();
    for (int k = 0; k < nattrs; k++) {
        snprintf(keys[k], 16, "k%05d", k);
        kv[k].key = keys[k];
        kv[k].key_len = (uint32_t)strlen(keys[k]);
        kv[k].val = k % 3 == 1 ? NULL : keys[k];
        kv[k].val_len = kv[k].val ? kv[k].key_len : 0;
    }
    r |= col_map_put(&c[LOGS_LOG_ATTRS_KEY], &c[LOGS_LOG_ATTRS_VAL], 0, kv, (size_t)nattrs);
    free(kv);
    free(keys);
    if (!r)
        b->nrows++;
    return r;
}

typedef struct {
    const uint8_t *file;
    size_t len;
    tnode_t meta;
    size_t footer_at;
} pfile_t;

static int open_file(pfile_t *f, const buf_t *b)
{
    memset(f, 0, sizeof *f);
    f->file = b->data;
    f->len = b->len;
    if (b->len < 12 || memcmp(b->data, "PAR1", 4) || memcmp(b->data + b->len - 4, "PAR1", 4))
        return -1;
    uint32_t flen;
    memcpy(&flen, b->data + b->len - 8, 4);
    if (flen > b->len - 12)
        return -1;
    f->footer_at = b->len - 8 - flen;
    return tn_parse(b->data + f->footer_at, flen, &f->meta) == flen ? 0 : -1;
}

static const tnode_t *chunk_meta(const pfile_t *f, int rg, int col)
{
    const tnode_t *rgs = tn_field(&f->meta, 4);
    if (!rgs || (size_t)rg >= rgs->nkids)
        return NULL;
    const tnode_t *cols = tn_field(&rgs->kids[rg], 1);
    if (!cols || (size_t)col >= cols->nkids)
        return NULL;
    return &cols->kids[col];
}

TEST(small_file_footer)
{
    CHECK_EQ_INT(tables_init(), 0);
    table_batch_t b;
    batch_init(&b, &table_logs);
    CHECK_EQ_INT(put_log_row(&b, 0, "hello", 2), 0);
    CHECK_EQ_INT(put_log_row(&b, 1, NULL, 0), 0);
    CHECK_EQ_INT(put_log_row(&b, 2, "abc", 1), 0);
    pq_options_t o;
    pq_options_default(&o);
    const char *keys[] = {"k1", "k2"}, *vals[] = {"v1", NULL};
    o.nkv = 2;
    o.kv_keys = keys;
    o.kv_vals = vals;
    buf_t out = {0};
    buf_append(&out, "xyz", 3); /* the file is appended after what is there */
    pq_file_stats_t st;
    err_t err = {0};
    CHECK_EQ_INT(pq_write(&b, NULL, 0, &o, &out, &st, &err), 0);
    CHECK_EQ_MEM(out.data, 3, "xyz", 3);
    buf_t file = {out.data + 3, out.len - 3, 0};
    pfile_t f;
    CHECK_EQ_INT(open_file(&f, &file), 0);
    CHECK_EQ_INT(st.file_bytes, file.len);
    CHECK_EQ_INT(tn_int(&f.meta, 1, 0), 1);
    CHECK_EQ_INT(tn_int(&f.meta, 3, 0), 3);
    const tnode_t *schema = tn_field(&f.meta, 2);
    CHECK(schema && schema->nkids == (size_t)table_logs.nelems + 1);
    CHECK(tn_str_eq(tn_field(&schema->kids[0], 4), "schema"));
    CHECK_EQ_INT(tn_int(&schema->kids[0], 5, 0), 17);
    CHECK(!tn_field(&schema->kids[0], 3));
    /* Timestamp: INT64, required, TIMESTAMP_MICROS, field id 1, TIMESTAMP(MICROS, UTC) */
    const tnode_t *ts = &schema->kids[1];
    CHECK(tn_str_eq(tn_field(ts, 4), "Timestamp"));
    CHECK_EQ_INT(tn_int(ts, 1, -1), PT_INT64);
    CHECK_EQ_INT(tn_int(ts, 3, -1), 0);
    CHECK_EQ_INT(tn_int(ts, 6, -1), 10);
    CHECK_EQ_INT(tn_int(ts, 9, -1), 1);
    const tnode_t *lt = tn_field(tn_field(ts, 10), 8);
    CHECK(lt && tn_int(lt, 1, 0) == 1 && tn_field(tn_field(lt, 2), 2));
    /* TraceFlags: INT(32, signed) */
    const tnode_t *tf = &schema->kids[5];
    CHECK(tn_str_eq(tn_field(tf, 4), "TraceFlags"));
    CHECK_EQ_INT(tn_int(tf, 6, -1), 17);
    CHECK_EQ_INT(tn_int(tn_field(tn_field(tf, 10), 10), 1, 0), 32);
    /* ResourceAttributes: MAP group, key_value without annotation and field id, key and value */
    const tnode_t *ra = &schema->kids[11];
    CHECK(tn_str_eq(tn_field(ra, 4), "ResourceAttributes"));
    CHECK_EQ_INT(tn_int(ra, 6, -1), 1);
    CHECK_EQ_INT(tn_int(ra, 5, -1), 1);
    CHECK(tn_field(tn_field(ra, 10), 2));
    const tnode_t *kvg = &schema->kids[12];
    CHECK_EQ_INT(tn_int(kvg, 3, -1), 2);
    CHECK(!tn_field(kvg, 6) && !tn_field(kvg, 9) && !tn_field(kvg, 10));
    CHECK_EQ_INT(tn_int(&schema->kids[13], 9, -1), 18);
    CHECK_EQ_INT(tn_int(&schema->kids[13], 6, -1), 0);
    CHECK_EQ_INT(tn_int(&schema->kids[14], 3, -1), 1);
    /* created_by, key/value metadata, one TypeDefinedOrder per leaf */
    const tnode_t *cb = tn_field(&f.meta, 6);
    CHECK(cb && cb->n > 21 && memcmp(cb->p, "otlp2parquet version ", 21) == 0);
    const tnode_t *kv = tn_field(&f.meta, 5);
    CHECK(kv && kv->nkids == 2 && tn_str_eq(tn_field(&kv->kids[0], 1), "k1") &&
          tn_str_eq(tn_field(&kv->kids[0], 2), "v1") && !tn_field(&kv->kids[1], 2));
    const tnode_t *co = tn_field(&f.meta, 7);
    CHECK(co && co->nkids == LOGS_NLEAVES && tn_field(&co->kids[0], 1));

    /* row group and chunks: offsets inside the file, indexes between the pages and the footer */
    const tnode_t *rg = &tn_field(&f.meta, 4)->kids[0];
    CHECK_EQ_INT(tn_int(rg, 3, 0), 3);
    CHECK_EQ_INT(tn_int(rg, 5, 0), 4);
    CHECK_EQ_INT(tn_int(rg, 7, -1), 0);
    CHECK_EQ_INT(st.nrow_groups, 1);
    CHECK_EQ_INT(st.row_group_offsets[0], 4);
    int64_t compressed = 0, last_index_end = 0;
    for (int c = 0; c < LOGS_NLEAVES; c++) {
        const tnode_t *cc = chunk_meta(&f, 0, c);
        const tnode_t *md = tn_field(cc, 3);
        CHECK(md);
        compressed += tn_int(md, 7, 0);
        CHECK_EQ_INT(tn_int(md, 4, -1), 6); /* ZSTD */
        CHECK_EQ_INT(tn_int(md, 5, -1), st.cols[c].value_count);
        CHECK_EQ_INT(tn_int(md, 7, -1), st.cols[c].compressed_bytes);
        int64_t ci = tn_int(cc, 6, 0), oi = tn_int(cc, 4, 0);
        CHECK(ci > 0 && oi > ci && oi + tn_int(cc, 5, 0) <= (int64_t)f.footer_at);
        if (oi + tn_int(cc, 5, 0) > last_index_end)
            last_index_end = oi + tn_int(cc, 5, 0);
        const tnode_t *path = tn_field(md, 3);
        CHECK(path && path->nkids == (size_t)table_logs.leaves[c].depth);
    }
    CHECK_EQ_INT(last_index_end, f.footer_at);
    CHECK_EQ_INT(tn_int(rg, 6, 0), compressed);
    /* statistics: Body has one null and bounds "abc".."hello"; SeverityNumber -3..-1 */
    const tnode_t *bs = tn_field(tn_field(chunk_meta(&f, 0, LOGS_BODY), 3), 12);
    CHECK_EQ_INT(tn_int(bs, 3, -1), 1);
    CHECK(tn_str_eq(tn_field(bs, 6), "abc") && tn_str_eq(tn_field(bs, 5), "hello"));
    CHECK_EQ_INT(tn_int(bs, 7, 0), 1);
    CHECK_EQ_INT(tn_int(bs, 8, 0), 1);
    CHECK(!tn_field(bs, 1)); /* no signed-order bounds for strings */
    CHECK_EQ_INT(st.cols[LOGS_BODY].null_count, 1);
    CHECK_EQ_MEM(st.cols[LOGS_BODY].min.data, st.cols[LOGS_BODY].min.len, "abc", 3);
    CHECK_EQ_MEM(st.cols[LOGS_BODY].max.data, st.cols[LOGS_BODY].max.len, "hello", 5);
    CHECK_EQ_INT(st.cols[LOGS_BODY].field_id, 8);
    const tnode_t *sn = tn_field(tn_field(chunk_meta(&f, 0, LOGS_SEVERITY_NUMBER), 3), 12);
    const tnode_t *snmin = tn_field(sn, 6);
    CHECK(snmin && snmin->n == 4);
    int32_t v;
    memcpy(&v, snmin->p, 4);
    CHECK_EQ_INT(v, -3);
    /* LogAttributes key: 3 entries + 1 empty map = 4 values, 1 without a value */
    CHECK_EQ_INT(st.cols[LOGS_LOG_ATTRS_KEY].value_count, 4);
    CHECK_EQ_INT(st.cols[LOGS_LOG_ATTRS_KEY].null_count, 1);
    CHECK_EQ_INT(st.cols[LOGS_LOG_ATTRS_VAL].null_count, 2);
    /* every chunk starts with a dictionary page here: few distinct values */
    const tnode_t *md0 = tn_field(chunk_meta(&f, 0, LOGS_SEVERITY_TEXT), 3);
    int64_t dpo = tn_int(md0, 11, 0);
    CHECK(dpo > 0 && tn_int(md0, 9, 0) > dpo);
    tnode_t ph;
    size_t hl = tn_parse(file.data + dpo, file.len - (size_t)dpo, &ph);
    CHECK(hl > 0);
    CHECK_EQ_INT(tn_int(&ph, 1, -1), 2);
    CHECK_EQ_INT(tn_int(tn_field(&ph, 7), 1, -1), 1);
    tn_free(&ph);

    tn_free(&f.meta);
    pq_file_stats_free(&st);
    buf_free(&out);
    batch_free(&b);
}

/* Decodes the data pages of one uncompressed chunk: checks that each page starts a row and
 * holds the rows the offset index says; returns the page count, -1 on a mismatch. */
static int check_pages(const buf_t *file, const pfile_t *f, int rg, int col, const schema_leaf_t *leaf,
                       uint64_t rg_rows, int *dict_pages, int *plain_pages)
{
    const tnode_t *cc = chunk_meta(f, rg, col);
    const tnode_t *md = tn_field(cc, 3);
    tnode_t oi;
    int64_t oio = tn_int(cc, 4, 0), oil = tn_int(cc, 5, 0);
    if (!md || oio <= 0 || tn_parse(file->data + oio, (size_t)oil, &oi) != (size_t)oil)
        return -1;
    const tnode_t *locs = tn_field(&oi, 1);
    int npages = -1;
    uint32_t *lv = NULL;
    if (!locs)
        goto out;
    for (size_t p = 0; p < locs->nkids; p++) {
        const tnode_t *loc = &locs->kids[p];
        int64_t off = tn_int(loc, 1, 0), size = tn_int(loc, 2, 0), first = tn_int(loc, 3, -1);
        int64_t next_first = p + 1 < locs->nkids ? tn_int(&locs->kids[p + 1], 3, -1) : (int64_t)rg_rows;
        if (p == 0 && (first != 0 || off != tn_int(md, 9, 0)))
            goto out;
        tnode_t ph;
        size_t hl = tn_parse(file->data + off, file->len - (size_t)off, &ph);
        if (!hl)
            goto out;
        int64_t csize = tn_int(&ph, 3, -1);
        const tnode_t *dph = tn_field(&ph, 5);
        int64_t nvals = tn_int(dph, 1, -1);
        int enc = (int)tn_int(dph, 2, -1);
        tn_free(&ph);
        if ((int64_t)hl + csize != size || nvals <= 0)
            goto out;
        if (enc == 8)
            (*dict_pages)++;
        else if (enc == 0)
            (*plain_pages)++;
        else
            goto out;
        const uint8_t *body = file->data + off + hl;
        free(lv);
        lv = malloc((size_t)nvals * sizeof *lv);
        if (!lv)
            goto out;
        int64_t rows_here;
        if (leaf->max_rep) {
            uint32_t len;
            memcpy(&len, body, 4);
            if (rle_decode(body + 4, len, rle_bit_width(leaf->max_rep), lv, (size_t)nvals) == 0 || lv[0] != 0)
                goto out;
            rows_here = 0;
            for (int64_t k = 0; k < nvals; k++)
                rows_here += lv[k] == 0;
        } else
            rows_here = nvals;
        if (rows_here != next_first - first)
            goto out;
    }
    npages = (int)locs->nkids;
out:
    free(lv);
    tn_free(&oi);
    return npages;
}

static int run_pages_check(const table_schema_t *schema, const pq_options_t *o, const table_batch_t *b,
                           int trace_col, int *trace_dict, int *trace_plain, size_t *nrg, pq_file_stats_t *st)
{
    buf_t out = {0};
    err_t err = {0};
    int rc = -1;
    pfile_t f;
    memset(&f, 0, sizeof f);
    if (pq_write(b, NULL, 0, o, &out, st, &err) || open_file(&f, &out))
        goto done;
    const tnode_t *rgs = tn_field(&f.meta, 4);
    *nrg = rgs->nkids;
    int64_t rows = 0;
    int dict_pages = 0, plain_pages = 0;
    for (size_t g = 0; g < rgs->nkids; g++) {
        int64_t n = tn_int(&rgs->kids[g], 3, 0);
        rows += n;
        if (tn_int(&rgs->kids[g], 2, 0) > (int64_t)o->row_group_bytes + 20000 ||
            tn_int(&rgs->kids[g], 5, 0) != (int64_t)st->row_group_offsets[g] ||
            (g && st->row_group_offsets[g] <= st->row_group_offsets[g - 1])) {
            printf("    row group %zu: bad size or offset\n", g);
            goto done;
        }
        for (int c = 0; c < schema->nleaves; c++) {
            int before = plain_pages, dbefore = dict_pages;
            int np = check_pages(&out, &f, (int)g, c, &schema->leaves[c], (uint64_t)n, &dict_pages, &plain_pages);
            if (np <= 0) {
                printf("    row group %zu column %d: bad pages\n", g, c);
                goto done;
            }
            if (c == trace_col) {
                *trace_plain += plain_pages - before;
                *trace_dict += dict_pages - dbefore;
            }
        }
    }
    if (rows != (int64_t)b->nrows)
        goto done;
    if (trace_col >= 0) {
        /* dictionary page, RLE_DICTIONARY pages and PLAIN pages, all listed */
        const tnode_t *tmd = tn_field(chunk_meta(&f, 0, trace_col), 3);
        const tnode_t *encs = tn_field(tmd, 2);
        if (*trace_plain && *trace_dict &&
            (!encs || encs->nkids != 3 || encs->kids[0].i != 0 || encs->kids[2].i != 8 ||
             tn_field(tmd, 13)->nkids != 3 || tn_int(tmd, 11, 0) <= 0))
            goto done;
    }
    rc = 0;
done:
    tn_free(&f.meta);
    buf_free(&out);
    return rc;
}

TEST(pages_start_at_rows_and_row_groups_split)
{
    CHECK_EQ_INT(tables_init(), 0);
    table_batch_t b;
    batch_init(&b, &table_logs);
    char body[64];
    for (uint32_t i = 0; i < 3000; i++) {
        snprintf(body, sizeof body, "message number %u", i);
        CHECK_EQ_INT(put_log_row(&b, i, i % 10 == 0 ? NULL : body, (int)(i % 50)), 0);
    }
    pq_options_t o;
    pq_options_default(&o);
    o.codec = PQ_UNCOMPRESSED;
    o.page_bytes = 2000;
    o.row_group_bytes = 200000;
    pq_file_stats_t st;
    int td = 0, tp = 0;
    size_t nrg = 0;
    CHECK_EQ_INT(run_pages_check(&table_logs, &o, &b, -1, &td, &tp, &nrg, &st), 0);
    CHECK(nrg > 2);
    CHECK_EQ_INT(st.nrow_groups, nrg);
    /* the file-wide stats are exact and whole */
    CHECK_EQ_INT(st.num_rows, 3000);
    CHECK_EQ_INT(st.cols[LOGS_TRACE_ID].min.len, 32);
    CHECK_EQ_MEM(st.cols[LOGS_TRACE_ID].min.data, 32, "00000000000000000000000000000000", 32);
    CHECK_EQ_MEM(st.cols[LOGS_TRACE_ID].max.data, 32, "00000000000000000000000000000bb7", 32);
    CHECK_EQ_INT(st.cols[LOGS_BODY].null_count, 300);
    uint64_t entries = 0;
    for (uint32_t i = 0; i < 3000; i++)
        entries += i % 50 ? i % 50 : 1;
    CHECK_EQ_INT(st.cols[LOGS_LOG_ATTRS_KEY].value_count, entries);
    pq_file_stats_free(&st);

    /* A unique column (TraceId) is not worth a dictionary: PLAIN from the first page, no
     * dictionary page at all. */
    o.page_bytes = 100;
    o.row_group_bytes = 1 << 30;
    o.dict_max_bytes = 8000;
    td = tp = 0;
    CHECK_EQ_INT(run_pages_check(&table_logs, &o, &b, LOGS_TRACE_ID, &td, &tp, &nrg, &st), 0);
    CHECK_EQ_INT(nrg, 1);
    CHECK(td == 0 && tp > 0);
    pq_file_stats_free(&st);
    batch_free(&b);

    /* Bodies repeat four times each: the first pages take the dictionary, which then passes
     * 8000 bytes, and the rest of the chunk goes PLAIN. */
    batch_init(&b, &table_logs);
    for (uint32_t i = 0; i < 3000; i++) {
        snprintf(body, sizeof body, "message number %u", i / 4);
        CHECK_EQ_INT(put_log_row(&b, i, body, 1), 0);
    }
    td = tp = 0;
    CHECK_EQ_INT(run_pages_check(&table_logs, &o, &b, LOGS_BODY, &td, &tp, &nrg, &st), 0);
    CHECK_EQ_INT(nrg, 1);
    CHECK(td > 0 && tp > 0);
    /* byte order: "99" sorts above "749" */
    CHECK_EQ_MEM(st.cols[LOGS_BODY].max.data, st.cols[LOGS_BODY].max.len, "message number 99", 17);
    CHECK_EQ_MEM(st.cols[LOGS_BODY].min.data, st.cols[LOGS_BODY].min.len, "message number 0", 16);
    pq_file_stats_free(&st);
    batch_free(&b);
}

/* A schema of its own: required int64, optional double, and a list of booleans. */
static const schema_elem_t test_elems[] = {
    S_I64("Id", 1),
    S_OF64("W", 2),
    S_LIST("Flags", 3),
    S_BOOL("element", 4),
};
static table_schema_t test_schema = {
    .name = "t", .elems = test_elems, .nelems = 5, .ntop = 3, .last_field_id = 4,
};

TEST(permuted_rows_plain_values)
{
    CHECK_EQ_INT(schema_init(&test_schema), 0);
    table_batch_t b;
    batch_init(&b, &test_schema);
    enum { N = 1000 };
    for (uint32_t i = 0; i < N; i++) {
        CHECK_EQ_INT(col_i64(&b.cols[0], (int64_t)i * 3 - 100), 0);
        if (i % 4 == 0)
            CHECK_EQ_INT(col_null(&b.cols[1]), 0);
        else
            CHECK_EQ_INT(col_f64(&b.cols[1], i % 4 == 1 ? NAN : (double)i), 0);
        uint32_t nf = i % 3;
        if (!nf)
            CHECK_EQ_INT(col_level(&b.cols[2], 0, 0), 0);
        for (uint32_t k = 0; k < nf; k++)
            CHECK_EQ_INT(col_bool_at(&b.cols[2], k ? 1 : 0, 1, (i + k) % 2), 0);
        b.nrows++;
    }
    uint32_t rows[N];
    for (uint32_t i = 0; i < N; i++)
        rows[i] = N - 1 - i; /* reversed */
    pq_options_t o;
    pq_options_default(&o);
    o.codec = PQ_UNCOMPRESSED;
    o.dict_max_bytes = 0; /* PLAIN everywhere, so values can be read straight off the page */
    buf_t out = {0};
    pq_file_stats_t st;
    err_t err = {0};
    CHECK_EQ_INT(pq_write(&b, rows, N, &o, &out, &st, &err), 0);
    pfile_t f;
    CHECK_EQ_INT(open_file(&f, &out), 0);
    const tnode_t *md = tn_field(chunk_meta(&f, 0, 0), 3);
    CHECK(!tn_field(md, 11)); /* no dictionary page */
    int64_t off = tn_int(md, 9, 0);
    tnode_t ph;
    size_t hl = tn_parse(out.data + off, out.len - (size_t)off, &ph);
    CHECK(hl > 0);
    CHECK_EQ_INT(tn_int(tn_field(&ph, 5), 2, -1), 0);
    CHECK_EQ_INT(tn_int(tn_field(&ph, 5), 1, -1), N);
    tn_free(&ph);
    for (uint32_t i = 0; i < N; i++) {
        int64_t v;
        memcpy(&v, out.data + off + hl + 8 * i, 8);
        CHECK_EQ_INT(v, (int64_t)(N - 1 - i) * 3 - 100);
    }
    /* the double column: 250 nulls, 250 NaN, bounds over the rest */
    CHECK_EQ_INT(st.cols[1].null_count, 250);
    CHECK_EQ_INT(st.cols[1].nan_count, 250);
    double mn, mx;
    memcpy(&mn, st.cols[1].min.data, 8);
    memcpy(&mx, st.cols[1].max.data, 8);
    CHECK(mn == 2.0 && mx == 999.0);
    const tnode_t *ws = tn_field(tn_field(chunk_meta(&f, 0, 1), 3), 12);
    CHECK_EQ_INT(tn_int(ws, 9, -1), 250);
    /* booleans: entries = rows with 0 flags (1 each) + flags */
    CHECK_EQ_INT(st.cols[2].value_count, 334 + 333 * 1 + 333 * 2);
    CHECK_EQ_INT(st.cols[2].null_count, 334);
    CHECK(st.cols[2].has_bounds && st.cols[2].min.data[0] == 0 && st.cols[2].max.data[0] == 1);
    const tnode_t *bmd = tn_field(chunk_meta(&f, 0, 2), 3);
    CHECK(!tn_field(bmd, 11));
    tn_free(&f.meta);
    pq_file_stats_free(&st);
    buf_free(&out);
    batch_free(&b);
}

TEST(nan_only_page_drops_column_index)
{
    CHECK_EQ_INT(schema_init(&test_schema), 0);
    table_batch_t b;
    batch_init(&b, &test_schema);
    for (uint32_t i = 0; i < 10; i++) {
        col_i64(&b.cols[0], i);
        col_f64(&b.cols[1], NAN);
        col_level(&b.cols[2], 0, 0);
        b.nrows++;
    }
    buf_t out = {0};
    err_t err = {0};
    pq_file_stats_t st;
    CHECK_EQ_INT(pq_write(&b, NULL, 0, NULL, &out, &st, &err), 0);
    pfile_t f;
    CHECK_EQ_INT(open_file(&f, &out), 0);
    const tnode_t *cc = chunk_meta(&f, 0, 1);
    CHECK(!tn_field(cc, 6) && tn_field(cc, 4));
    const tnode_t *ws = tn_field(tn_field(cc, 3), 12);
    CHECK(!tn_field(ws, 5) && !tn_field(ws, 6));
    CHECK_EQ_INT(tn_int(ws, 9, -1), 10);
    CHECK(!st.cols[1].has_bounds);
    CHECK(tn_field(chunk_meta(&f, 0, 0), 6)); /* the other columns keep theirs */
    /* the list column has only empty lists: a null page in the column index */
    const tnode_t *lc = chunk_meta(&f, 0, 2);
    tnode_t ci;
    int64_t cio = tn_int(lc, 6, 0), cil = tn_int(lc, 7, 0);
    CHECK(cio > 0);
    CHECK_EQ_INT(tn_parse(out.data + cio, (size_t)cil, &ci), cil);
    CHECK(tn_field(&ci, 1)->nkids == 1 && tn_field(&ci, 1)->kids[0].i == 1);
    CHECK_EQ_INT(tn_field(&ci, 2)->kids[0].n, 0);
    CHECK_EQ_INT(tn_field(&ci, 5)->kids[0].i, 10);
    tn_free(&ci);
    tn_free(&f.meta);
    pq_file_stats_free(&st);
    buf_free(&out);
    batch_free(&b);
}

TEST(column_index_bounds_and_order)
{
    CHECK_EQ_INT(schema_init(&test_schema), 0);
    table_batch_t b;
    batch_init(&b, &test_schema);
    for (uint32_t i = 0; i < 50000; i++) {
        col_i64(&b.cols[0], i);
        col_f64(&b.cols[1], i % 2 ? -(double)i : 0.0);
        col_level(&b.cols[2], 0, 0);
        b.nrows++;
    }
    buf_t out = {0};
    err_t err = {0};
    CHECK_EQ_INT(pq_write(&b, NULL, 0, NULL, &out, NULL, &err), 0);
    pfile_t f;
    CHECK_EQ_INT(open_file(&f, &out), 0);
    const tnode_t *cc = chunk_meta(&f, 0, 0);
    tnode_t ci;
    int64_t cio = tn_int(cc, 6, 0), cil = tn_int(cc, 7, 0);
    CHECK_EQ_INT(tn_parse(out.data + cio, (size_t)cil, &ci), cil);
    const tnode_t *mins = tn_field(&ci, 2), *maxs = tn_field(&ci, 3);
    CHECK(mins->nkids == 3); /* 20000-row pages */
    CHECK_EQ_INT(tn_int(&ci, 4, -1), 1); /* ASCENDING */
    int64_t v;
    memcpy(&v, mins->kids[1].p, 8);
    CHECK_EQ_INT(v, 20000);
    memcpy(&v, maxs->kids[2].p, 8);
    CHECK_EQ_INT(v, 49999);
    tn_free(&ci);
    /* the doubles: max of every page is 0, written as +0.0; DESCENDING mins */
    cc = chunk_meta(&f, 0, 1);
    cio = tn_int(cc, 6, 0);
    cil = tn_int(cc, 7, 0);
    CHECK_EQ_INT(tn_parse(out.data + cio, (size_t)cil, &ci), cil);
    CHECK_EQ_INT(tn_int(&ci, 4, -1), 2);
    double d;
    memcpy(&d, tn_field(&ci, 3)->kids[0].p, 8);
    CHECK(d == 0 && !signbit(d));
    CHECK(tn_field(&ci, 8) && tn_field(&ci, 8)->nkids == 3);
    tn_free(&ci);
    tn_free(&f.meta);
    buf_free(&out);
    batch_free(&b);
}

TEST(codecs_and_levels_of_zstd)
{
    CHECK_EQ_INT(tables_init(), 0);
    table_batch_t b;
    batch_init(&b, &table_logs);
    for (uint32_t i = 0; i < 500; i++)
        CHECK_EQ_INT(put_log_row(&b, i, "same body", 3), 0);
    pq_codec_t codecs[] = {PQ_UNCOMPRESSED, PQ_SNAPPY, PQ_ZSTD};
    size_t sizes[3];
    for (int k = 0; k < 3; k++) {
        pq_options_t o;
        pq_options_default(&o);
        o.codec = codecs[k];
        buf_t out = {0};
        err_t err = {0};
        CHECK_EQ_INT(pq_write(&b, NULL, 0, &o, &out, NULL, &err), 0);
        pfile_t f;
        CHECK_EQ_INT(open_file(&f, &out), 0);
        for (int c = 0; c < LOGS_NLEAVES; c++)
            CHECK_EQ_INT(tn_int(tn_field(chunk_meta(&f, 0, c), 3), 4, -1), codecs[k]);
        sizes[k] = out.len;
        tn_free(&f.meta);
        buf_free(&out);
    }
    CHECK(sizes[2] < sizes[0] && sizes[1] < sizes[0]);
    batch_free(&b);
}

TEST(empty_batch_and_errors)
{
    CHECK_EQ_INT(tables_init(), 0);
    table_batch_t b;
    batch_init(&b, &table_logs);
    buf_t out = {0};
    err_t err = {0};
    pq_file_stats_t st;
    CHECK_EQ_INT(pq_write(&b, NULL, 0, NULL, &out, &st, &err), 0);
    pfile_t f;
    CHECK_EQ_INT(open_file(&f, &out), 0);
    CHECK_EQ_INT(tn_int(&f.meta, 3, -1), 0);
    CHECK_EQ_INT(tn_field(&f.meta, 4)->nkids, 0);
    CHECK_EQ_INT(st.nrow_groups, 0);
    CHECK_EQ_INT(st.cols[0].has_bounds, 0);
    tn_free(&f.meta);
    pq_file_stats_free(&st);

    /* a row outside the batch */
    CHECK_EQ_INT(put_log_row(&b, 0, "x", 1), 0);
    uint32_t bad[] = {0, 1};
    out.len = 0;
    CHECK_EQ_INT(pq_write(&b, bad, 2, NULL, &out, &st, &err), -1);
    CHECK(strstr(err.msg, "row 1") != NULL);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(st.nrow_groups, 0);

    /* a column whose levels disagree with its values */
    b.cols[LOGS_BODY].def.data[0] = 0;
    CHECK_EQ_INT(pq_write(&b, NULL, 0, NULL, &out, NULL, &err), -1);
    CHECK(strstr(err.msg, "Body") != NULL);
    b.cols[LOGS_BODY].def.data[0] = 1;
    b.cols[LOGS_LOG_ATTRS_KEY].rep.data[0] = 1;
    CHECK_EQ_INT(pq_write(&b, NULL, 0, NULL, &out, NULL, &err), -1);
    CHECK(strstr(err.msg, "LogAttributes.key_value.key") != NULL);
    b.cols[LOGS_LOG_ATTRS_KEY].rep.data[0] = 0;
    b.cols[LOGS_TRACE_FLAGS].vals.len = 3;
    CHECK_EQ_INT(pq_write(&b, NULL, 0, NULL, &out, NULL, &err), -1);
    b.cols[LOGS_TRACE_FLAGS].vals.len = 4;
    b.nrows = 2;
    CHECK_EQ_INT(pq_write(&b, NULL, 0, NULL, &out, NULL, &err), -1);
    b.nrows = 1;
    CHECK_EQ_INT(out.len, 0);

    /* bad options */
    pq_options_t o;
    pq_options_default(&o);
    o.codec = (pq_codec_t)2;
    CHECK_EQ_INT(pq_write(&b, NULL, 0, &o, &out, NULL, &err), -1);
    CHECK_EQ_INT(err.code, ERR_CONFIG);
    pq_options_default(&o);
    o.zstd_level = 99;
    CHECK_EQ_INT(pq_write(&b, NULL, 0, &o, &out, NULL, &err), -1);
    CHECK(strstr(err.msg, "zstd level 99") != NULL);
    /* and it still works afterwards */
    CHECK_EQ_INT(pq_write(&b, NULL, 0, NULL, &out, NULL, &err), 0);
    buf_free(&out);
    batch_free(&b);
}

/* Every table of the project goes through the writer: rows with a value in every leaf outside
 * lists and maps, and empty (or null) lists and maps elsewhere. */
TEST(every_table_writes)
{
    CHECK_EQ_INT(tables_init(), 0);
    for (int t = 0; t < TABLE_COUNT; t++) {
        const table_schema_t *s = tables_all[t];
        table_batch_t b;
        batch_init(&b, s);
        for (uint32_t r = 0; r < 5; r++) {
            for (int c = 0; c < s->nleaves; c++) {
                column_t *col = &b.cols[c];
                const schema_leaf_t *l = &s->leaves[c];
                int rc;
                if (l->max_rep)
                    rc = col_level(col, 0, 0);
                else
                    switch (l->type) {
                    case PT_BOOLEAN: rc = col_bool_at(col, 0, l->max_def, r & 1); break;
                    case PT_INT32: rc = col_i32_at(col, 0, l->max_def, (int32_t)r); break;
                    case PT_INT64: rc = col_i64_at(col, 0, l->max_def, (int64_t)r * 1000); break;
                    case PT_DOUBLE: rc = col_f64_at(col, 0, l->max_def, r * 0.5); break;
                    default: rc = col_str_at(col, 0, l->max_def, "abc", r % 4); break;
                    }
                CHECK_EQ_INT(rc, 0);
            }
            b.nrows++;
        }
        buf_t out = {0};
        err_t err = {0};
        pq_file_stats_t st;
        if (pq_write(&b, NULL, 0, NULL, &out, &st, &err))
            printf("    %s: %s\n", s->name, err.msg);
        CHECK_EQ_INT(err.code, ERR_NONE);
        pfile_t f;
        CHECK_EQ_INT(open_file(&f, &out), 0);
        CHECK_EQ_INT(tn_int(&f.meta, 3, -1), 5);
        CHECK_EQ_INT(tn_field(&f.meta, 2)->nkids, s->nelems + 1);
        CHECK_EQ_INT(tn_field(&tn_field(&f.meta, 4)->kids[0], 1)->nkids, s->nleaves);
        for (int c = 0; c < s->nleaves; c++) {
            CHECK_EQ_INT(st.cols[c].value_count, 5);
            CHECK_EQ_INT(st.cols[c].field_id, s->leaves[c].field_id);
            CHECK_EQ_INT(st.cols[c].null_count, s->leaves[c].max_rep ? 5 : 0);
        }
        tn_free(&f.meta);
        pq_file_stats_free(&st);
        buf_free(&out);
        batch_free(&b);
    }
}

/* ---- random batches ------------------------------------------------------------------------ */

static const schema_elem_t rnd_elems[] = {
    S_I64("Id", 1),
    {"Tags", REP_OPTIONAL, PT_GROUP, LT_LIST, 1, 2},
    {"list", REP_REPEATED, PT_GROUP, LT_NONE, 1, -1},
    {"element", REP_OPTIONAL, PT_BYTE_ARRAY, LT_STRING, 0, 5},
    {"Items", REP_OPTIONAL, PT_GROUP, LT_LIST, 1, 3},
    {"list", REP_REPEATED, PT_GROUP, LT_NONE, 1, -1},
    {"element", REP_OPTIONAL, PT_GROUP, LT_NONE, 5, 6},
    {"Name", REP_OPTIONAL, PT_BYTE_ARRAY, LT_STRING, 0, 7},
    {"N", REP_OPTIONAL, PT_INT32, LT_INT32, 0, 8},
    {"D", REP_OPTIONAL, PT_DOUBLE, LT_NONE, 0, 9},
    {"B", REP_OPTIONAL, PT_BOOLEAN, LT_NONE, 0, 10},
    {"Attrs", REP_OPTIONAL, PT_GROUP, LT_MAP, 1, 11},
    {"key_value", REP_REPEATED, PT_GROUP, LT_NONE, 2, -1},
    {"key", REP_REQUIRED, PT_BYTE_ARRAY, LT_STRING, 0, 12},
    {"value", REP_OPTIONAL, PT_BYTE_ARRAY, LT_STRING, 0, 13},
    S_BOOL("Flag", 4),
};
static table_schema_t rnd_schema = {
    .name = "rnd", .elems = rnd_elems, .nelems = sizeof rnd_elems / sizeof rnd_elems[0], .ntop = 4, .last_field_id = 13,
};
enum { R_ID, R_TAG, R_NAME, R_N, R_D, R_B, R_KEY, R_VAL, R_FLAG, R_NLEAVES };

static uint64_t rnd_state;
static uint32_t rnd(uint32_t n)
{
    rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return n ? (uint32_t)((rnd_state >> 33) % n) : 0;
}

static void rnd_str(char *out, uint32_t *len)
{
    /* mostly short and repetitive (dictionaries), sometimes long (truncated bounds) or not UTF-8 */
    *len = rnd(5) == 0 ? 200 + rnd(200) : rnd(8);
    for (uint32_t k = 0; k < *len; k++)
        out[k] = rnd(20) == 0 ? (char)(0x80 + rnd(128)) : (char)('a' + rnd(3));
}

static int rnd_row(table_batch_t *b)
{
    column_t *c = b->cols;
    char sbuf[512];
    uint32_t len;
    int r = col_i64(&c[R_ID], (int64_t)rnd(1000) - 500);
    uint32_t nt = rnd(5); /* null, empty, or 1..3 tags */
    if (nt <= 1)
        r |= col_level(&c[R_TAG], 0, (uint8_t)nt);
    for (uint32_t j = 0; nt > 1 && j < nt - 1; j++) {
        if (rnd(3) == 0)
            r |= col_level(&c[R_TAG], j > 0, 2);
        else {
            rnd_str(sbuf, &len);
            r |= col_str_at(&c[R_TAG], j > 0, 3, sbuf, len);
        }
    }
    static const int item_leaves[] = {R_NAME, R_N, R_D, R_B, R_KEY, R_VAL};
    uint32_t ni = rnd(4);
    if (ni <= 1)
        for (int l = 0; l < 6; l++)
            r |= col_level(&c[item_leaves[l]], 0, (uint8_t)ni);
    for (uint32_t k = 0; ni > 1 && k < ni - 1; k++) {
        uint8_t rep = k ? 1 : 0;
        if (rnd(4) == 0) {
            for (int l = 0; l < 6; l++)
                r |= col_level(&c[item_leaves[l]], rep, 2);
            continue;
        }
        if (rnd(3) == 0)
            r |= col_level(&c[R_NAME], rep, 3);
        else {
            rnd_str(sbuf, &len);
            r |= col_str_at(&c[R_NAME], rep, 4, sbuf, len);
        }
        r |= rnd(3) == 0 ? col_level(&c[R_N], rep, 3) : col_i32_at(&c[R_N], rep, 4, (int32_t)rnd(2000000) - 1000000);
        static const double specials[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1.5, -2.25};
        r |= rnd(3) == 0 ? col_level(&c[R_D], rep, 3)
                         : col_f64_at(&c[R_D], rep, 4, rnd(2) ? specials[rnd(7)] : (double)rnd(100000) / 7);
        r |= rnd(3) == 0 ? col_level(&c[R_B], rep, 3) : col_bool_at(&c[R_B], rep, 4, rnd(2));
        uint32_t na = rnd(5);
        if (na == 0) {
            r |= col_level(&c[R_KEY], rep, 3);
            r |= col_level(&c[R_VAL], rep, 3);
        } else {
            kv_t kv[4];
            char keys[4][16], vals[4][512];
            for (uint32_t j = 0; j < na - 1; j++) {
                snprintf(keys[j], sizeof keys[j], "k%u", j);
                rnd_str(vals[j], &len);
                kv[j] = (kv_t){keys[j], (uint32_t)strlen(keys[j]), rnd(3) ? vals[j] : NULL, len};
            }
            r |= col_map_put(&c[R_KEY], &c[R_VAL], rep, kv, na - 1);
        }
    }
    r |= col_bool(&c[R_FLAG], rnd(2));
    if (!r)
        b->nrows++;
    return r;
}

/* Valid random batches must give files that parse, with every count right; corrupted ones
 * must fail cleanly (never crash, never leave bytes in out). ASan and UBSan watch both. */
TEST(random_batches)
{
    CHECK_EQ_INT(schema_init(&rnd_schema), 0);
    rnd_state = 42;
    for (int iter = 0; iter < 400; iter++) {
        table_batch_t b;
        batch_init(&b, &rnd_schema);
        uint32_t nrows = rnd(4) == 0 ? rnd(3) : rnd(300);
        for (uint32_t i = 0; i < nrows; i++)
            CHECK_EQ_INT(rnd_row(&b), 0);
        pq_options_t o;
        pq_options_default(&o);
        pq_codec_t codecs[] = {PQ_UNCOMPRESSED, PQ_SNAPPY, PQ_ZSTD};
        o.codec = codecs[rnd(3)];
        o.page_bytes = 1 + rnd(3000);
        o.row_group_bytes = rnd(2) ? 1 + rnd(20000) : (size_t)1 << 20;
        o.dict_max_bytes = rnd(3) == 0 ? 0 : rnd(4000);
        /* a selection: all rows, a shuffled subset, or rows repeated */
        uint32_t *sel = NULL, nsel = 0;
        if (nrows && rnd(2)) {
            nsel = rnd(nrows * 2);
            sel = malloc((nsel + 1) * sizeof *sel);
            CHECK(sel != NULL);
            for (uint32_t i = 0; i < nsel; i++)
                sel[i] = rnd(3) ? rnd(nrows) : i % nrows;
        }
        uint32_t out_rows = sel ? nsel : nrows;
        uint64_t want_values[R_NLEAVES] = {0};
        for (int c = 0; c < R_NLEAVES; c++) {
            uint32_t *lvl = malloc((nrows + 1) * sizeof *lvl), *val = malloc((nrows + 1) * sizeof *val);
            CHECK(lvl && val);
            col_row_index(&b.cols[c], nrows, lvl, val);
            for (uint32_t i = 0; i < out_rows; i++) {
                uint32_t r = sel ? sel[i] : i;
                want_values[c] += lvl[r + 1] - lvl[r];
            }
            free(lvl);
            free(val);
        }
        buf_t out = {0};
        err_t err = {0};
        pq_file_stats_t st;
        if (pq_write(&b, sel, nsel, &o, &out, &st, &err))
            printf("    iteration %d: %s\n", iter, err.msg);
        CHECK_EQ_INT(err.code, ERR_NONE);
        pfile_t f;
        CHECK_EQ_INT(open_file(&f, &out), 0);
        CHECK_EQ_INT(tn_int(&f.meta, 3, -1), out_rows);
        int64_t rows_in_groups = 0;
        const tnode_t *rgs = tn_field(&f.meta, 4);
        for (size_t g = 0; g < rgs->nkids; g++)
            rows_in_groups += tn_int(&rgs->kids[g], 3, 0);
        CHECK_EQ_INT(rows_in_groups, out_rows);
        for (int c = 0; c < R_NLEAVES; c++) {
            CHECK_EQ_INT(st.cols[c].value_count, want_values[c]);
            int dp = 0, pp = 0;
            for (size_t g = 0; o.codec == PQ_UNCOMPRESSED && g < rgs->nkids; g++) /* reads raw pages */
                CHECK(check_pages(&out, &f, (int)g, c, &rnd_schema.leaves[c],
                                  (uint64_t)tn_int(&rgs->kids[g], 3, 0), &dp, &pp) > 0);
        }
        tn_free(&f.meta);
        pq_file_stats_free(&st);

        /* now break one thing */
        column_t *c = &b.cols[rnd(R_NLEAVES)];
        switch (rnd(6)) {
        case 0:
            if (c->def.len)
                c->def.data[rnd((uint32_t)c->def.len)] = (uint8_t)rnd(9);
            break;
        case 1:
            if (c->rep.len)
                c->rep.data[rnd((uint32_t)c->rep.len)] = (uint8_t)rnd(4);
            break;
        case 2:
            c->nvals += rnd(3);
            break;
        case 3:
            if (c->vals.len)
                c->vals.len -= 1;
            break;
        case 4:
            if (c->offs.len >= 8)
                memset(c->offs.data + 4 * rnd((uint32_t)(c->offs.len / 4)), 0xFF, 4);
            break;
        default:
            b.nrows += rnd(3);
            break;
        }
        size_t before = out.len;
        int rc = pq_write(&b, sel, nsel, &o, &out, &st, &err);
        if (rc == 0) {
            CHECK_EQ_INT(open_file(&f, &(buf_t){out.data + before, out.len - before, 0}), 0);
            tn_free(&f.meta);
            pq_file_stats_free(&st);
        } else
            CHECK_EQ_INT(out.len, before);
        free(sel);
        buf_free(&out);
        batch_free(&b);
    }
}

/* A selection of a few long stretches (what a flush writes, one file per service and hour)
 * takes the sparse row index; its file must be the very file of a batch made of those rows. */
TEST(long_stretches_match_gathered_rows)
{
    CHECK_EQ_INT(schema_init(&rnd_schema), 0);
    rnd_state = 7;
    for (int iter = 0; iter < 20; iter++) {
        table_batch_t b, g;
        batch_init(&b, &rnd_schema);
        batch_init(&g, &rnd_schema);
        uint32_t nrows = 2000 + rnd(3000);
        for (uint32_t i = 0; i < nrows; i++)
            CHECK_EQ_INT(rnd_row(&b), 0);
        /* 1 to 3 stretches, one of them maybe twice, one maybe reaching the last row */
        uint32_t *sel = malloc((size_t)nrows * 3 * sizeof *sel), nsel = 0;
        CHECK(sel != NULL);
        uint32_t nst = 1 + rnd(3);
        for (uint32_t k = 0; k < nst; k++) {
            uint32_t a = rnd(nrows), len = 1 + rnd(nrows - a);
            if (k == 1 && rnd(2))
                len = nrows - a;
            for (uint32_t r = a; r < a + len; r++)
                sel[nsel++] = r;
        }
        CHECK_EQ_INT(batch_append_rows(&g, &b, sel, nsel), 0);
        pq_options_t o;
        pq_options_default(&o);
        o.page_bytes = 1 + rnd(4000);
        buf_t want = {0}, got = {0};
        err_t err = {0};
        CHECK_EQ_INT(pq_write(&g, NULL, 0, &o, &want, NULL, &err), 0);
        CHECK_EQ_INT(pq_write(&b, sel, nsel, &o, &got, NULL, &err), 0);
        CHECK_EQ_INT(got.len, want.len);
        CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
        buf_free(&want);
        buf_free(&got);
        free(sel);
        batch_free(&b);
        batch_free(&g);
    }
}

RUN_TESTS(T(varint_and_zigzag), T(compact_struct_bytes), T(compact_unbalanced_fails), T(rle_vectors),
          T(rle_roundtrip_random), T(stats_doubles_nan_and_zero), T(stats_ints_signed_and_strings_unsigned),
          T(stats_truncation), T(dict_basics), T(small_file_footer), T(pages_start_at_rows_and_row_groups_split),
          T(permuted_rows_plain_values), T(nan_only_page_drops_column_index), T(column_index_bounds_and_order),
          T(codecs_and_levels_of_zstd), T(empty_batch_and_errors), T(every_table_writes),
          T(random_batches), T(long_stretches_match_gathered_rows))
