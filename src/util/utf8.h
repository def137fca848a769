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

/* Whether s[0..n) is all ASCII, branch-free over words (inline: most telemetry text is). */
static inline bool utf8_is_ascii(const void *sv, size_t n)
{
    const uint8_t *s = sv;
    if (n >= 8) {
        uint64_t acc = 0, w;
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&w, s + i, 8);
            acc |= w;
        }
        memcpy(&w, s + n - 8, 8);
        return !((acc | w) & 0x8080808080808080ull);
    }
    if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        return !((x | y) & 0x80808080u);
    }
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= s[i];
    return acc < 0x80;
}

/* The same result as utf8_valid_prefix, ASCII checked inline. */
static inline size_t utf8_valid_prefix_fast(const void *s, size_t n)
{
    return utf8_is_ascii(s, n) ? n : utf8_valid_prefix_from(s, n, 0);
}

static inline bool utf8_valid(const void *s, size_t n) { return utf8_valid_prefix_fast(s, n) == n; }

/* Decodes the code point at s (n > 0 bytes available): returns its length in bytes (1..4) and
 * sets *cp, or returns 0 when the bytes there are not valid UTF-8. */
size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encodes cp (at most U+10FFFF, not a surrogate) into out[4]; returns the length, 0 if cp cannot
 * be encoded. */
size_t utf8_encode(uint8_t *out, uint32_t cp);

#endif
