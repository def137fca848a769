/* UTF-8 checking as protobuf (proto3 `string`), JSON and Parquet require it: shortest forms
 * only, no UTF-16 surrogates (U+D800..U+DFFF), nothing past U+10FFFF. */
#ifndef OTLP2PARQUET_UTIL_UTF8_H
#define OTLP2PARQUET_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the longest valid prefix of s: n when all of s is valid UTF-8. Callers use the
 * result to say where input went wrong ("invalid UTF-8 at byte 17"). */
size_t utf8_valid_prefix(const void *s, size_t n);

static inline bool utf8_valid(const void *s, size_t n) { return utf8_valid_prefix(s, n) == n; }

/* Decodes the code point at s (n > 0 bytes available): returns its length in bytes (1..4) and
 * sets *cp, or returns 0 when the bytes there are not valid UTF-8. */
size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encodes cp (at most U+10FFFF, not a surrogate) into out[4]; returns the length, 0 if cp cannot
 * be encoded. */
size_t utf8_encode(uint8_t *out, uint32_t cp);

#endif
