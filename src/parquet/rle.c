#include "parquet/rle.h"

#include <string.h>

/* Runs shorter than this are cheaper bit-packed: an RLE run costs a header plus a whole value,
 * while 8 bit-packed values cost bw bytes. */
#define MIN_RLE_RUN 8
/* Keeps headers (run << 1 | flag) well inside the uint32 varints readers decode. */
#define MAX_RUN (1u << 30)

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* One body for both input widths: a section is either a run of one value (RLE) or whole groups
 * of 8 values bit-packed; a bit-packed section ends where the next group would open a run of 8
 * or more, so every value is scanned a bounded number of times (linear overall). */
#define RLE_ENCODE_BODY(T)                                                                     \
    size_t vbytes = ((size_t)bw + 7) / 8;                                                      \
    size_t i = 0;                                                                              \
    while (i < n) {                                                                            \
        T x = v[i];                                                                            \
        size_t j = i + 1;                                                                      \
        while (j < n && v[j] == x && j - i < MAX_RUN)                                          \
            j++;                                                                               \
        if (j - i >= MIN_RLE_RUN) {                                                            \
            uint8_t *p = buf_extend(out, 10 + vbytes);                                         \
            if (!p)                                                                            \
                return -1;                                                                     \
            uint8_t *q = put_varint(p, (uint64_t)(j - i) << 1);                                \
            for (size_t b = 0; b < vbytes; b++)                                                \
                *q++ = (uint8_t)((uint32_t)x >> (8 * b));                                      \
            out->len -= (size_t)(p + 10 + vbytes - q);                                         \
            i = j;                                                                             \
            continue;                                                                          \
        }                                                                                      \
        size_t end = i;                                                                        \
        for (;;) {                                                                             \
            end += 8;                                                                          \
            if (end >= n || end - i >= MAX_RUN) {                                              \
                if (end > n)                                                                   \
                    end = n;                                                                   \
                break;                                                                         \
            }                                                                                  \
            if (end + MIN_RLE_RUN <= n) {                                                      \
                size_t k = end + 1;                                                            \
                while (k < end + MIN_RLE_RUN && v[k] == v[end])                                \
                    k++;                                                                       \
                if (k == end + MIN_RLE_RUN)                                                    \
                    break;                                                                     \
            }                                                                                  \
        }                                                                                      \
        size_t groups = (end - i + 7) / 8;                                                     \
        uint8_t *p = buf_extend(out, 16 + groups * (size_t)bw);                                \
        if (!p)                                                                                \
            return -1;                                                                         \
        uint8_t *q = put_varint(p, ((uint64_t)groups << 1) | 1);                               \
        size_t full = (end - i) / 8;                                                           \
        if (bw <= 8) {                                                                         \
            /* a group of 8 is bw bytes: one 64-bit word per group */                          \
            for (size_t g = 0; g < full; g++, q += bw) {                                       \
                const T *s = v + i + g * 8;                                                    \
                uint64_t w = 0;                                                                \
                for (int k = 0; k < 8; k++)                                                    \
                    w |= (uint64_t)s[k] << (k * bw);                                           \
                memcpy(q, &w, 8); /* little-endian; the 16 spare bytes cover the overrun */    \
            }                                                                                  \
        } else {                                                                               \
            uint64_t acc = 0;                                                                  \
            int nb = 0;                                                                        \
            for (size_t k = i; k < i + full * 8; k++) {                                        \
                acc |= (uint64_t)v[k] << nb;                                                   \
                nb += bw;                                                                      \
                if (nb >= 32) {                                                                \
                    uint32_t lo = (uint32_t)acc;                                               \
                    memcpy(q, &lo, 4);                                                         \
                    q += 4;                                                                    \
                    acc >>= 32;                                                                \
                    nb -= 32;                                                                  \
                }                                                                              \
            }                                                                                  \
            for (; nb > 0; nb -= 8, acc >>= 8) /* whole groups end on a byte */                \
                *q++ = (uint8_t)acc;                                                           \
        }                                                                                      \
        if (full < groups) { /* the last group, padded with zeros */                           \
            uint64_t acc = 0;                                                                  \
            int nb = 0;                                                                        \
            for (size_t k = i + full * 8; k < i + groups * 8; k++) {                           \
                uint64_t y = k < end ? (uint64_t)v[k] : 0;                                     \
                acc |= y << nb;                                                                \
                nb += bw;                                                                      \
                while (nb >= 8) {                                                              \
                    *q++ = (uint8_t)acc;                                                       \
                    acc >>= 8;                                                                 \
                    nb -= 8;                                                                   \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
        out->len -= (size_t)(p + 16 + groups * (size_t)bw - q);                                \
        i = end;                                                                               \
    }                                                                                          \
    return 0;

int rle_encode_u8(buf_t *out, const uint8_t *v, size_t n, int bw) { RLE_ENCODE_BODY(uint8_t) }

int rle_encode_u32(buf_t *out, const uint32_t *v, size_t n, int bw) { RLE_ENCODE_BODY(uint32_t) }

int rle_encode_levels(buf_t *out, const uint8_t *v, size_t n, int bw)
{
    size_t at = out->len;
    if (!buf_extend(out, 4) || rle_encode_u8(out, v, n, bw))
        return -1;
    size_t len = out->len - at - 4;
    if (len > UINT32_MAX)
        return -1;
    uint8_t *p = out->data + at;
    for (int b = 0; b < 4; b++)
        p[b] = (uint8_t)(len >> (8 * b));
    return 0;
}

int bitpack_bools(buf_t *out, const uint8_t *v, size_t n)
{
    uint8_t *p = buf_extend(out, (n + 7) / 8);
    if (!p)
        return -1;
    for (size_t i = 0; i < n; i++)
        p[i >> 3] |= (uint8_t)((v[i] != 0) << (i & 7));
    return 0;
}
