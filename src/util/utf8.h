/* UTF-8 checking as protobuf (proto3 `string`), JSON and Parquet require it: shortest forms
 * only, no UTF-16 surrogates (U+D800..U+DFFF), nothing past U+10FFFF. */
#ifndef OTLP2PARQUET_UTIL_UTF8_H
#define OTLP2PARQUET_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Length of the longest valid prefix of s: n when all of s is valid UTF-8. Callers use the
 * result to say where input went wrong ("invalid UTF-8 at byte 17"). */
size_t utf8_valid_prefix(const void *s, size_t n);

/* utf8_valid_prefix past the first i bytes, which are valid (out of line: non-ASCII text). */
size_t utf8_valid_prefix_from(const void *s, size_t n, size_t i);

/* The same result; ASCII (most telemetry text) is checked inline, eight bytes at a time. */
static inline size_t utf8_valid_prefix_fast(const void *sv, size_t n)
{
    const uint8_t *s = sv;
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        uint64_t w[4];
        memcpy(w, s + i, 32);
        if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull)
            return utf8_valid_prefix_from(s, n, i);
    }
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            return utf8_valid_prefix_from(s, n, i);
    }
    for (; i < n; i++)
        if (s[i] >= 0x80)
            return utf8_valid_prefix_from(s, n, i);
    return n;
}

static inline bool utf8_valid(const void *s, size_t n) { return utf8_valid_prefix_fast(s, n) == n; }

/* Decodes the code point at s (n > 0 bytes available): returns its length in bytes (1..4) and
 * sets *cp, or returns 0 when the bytes there are not valid UTF-8. */
size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encodes cp (at most U+10FFFF, not a surrogate) into out[4]; returns the length, 0 if cp cannot
 * be encoded. */
size_t utf8_encode(uint8_t *out, uint32_t cp);

#endif
