/* Base64 (RFC 4648). Bytes attribute values become standard, padded base64 text (DESIGN §3);
 * OTLP/JSON carries bytes fields as base64, which the JSON decoder reads back. */
#ifndef OTLP2PARQUET_UTIL_BASE64_H
#define OTLP2PARQUET_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Encoded length of n bytes (padded); callers check n against SIZE_MAX / 4 * 3 first. */
static inline size_t base64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }

/* Writes base64_encoded_len(n) characters of standard, padded base64 to out (no NUL). */
void base64_encode(char *out, const void *in, size_t n);

/* Appends the base64 text of in to b; 0, or -1 when memory runs out. */
int buf_put_base64(buf_t *b, const void *in, size_t n);

/* Largest decoded length of n characters. */
static inline size_t base64_decoded_max(size_t n) { return n / 4 * 3 + (n % 4 ? 2 : 0); }

/* Decodes n characters into out (room for base64_decoded_max(n) bytes) and sets *outlen.
 * Takes the standard and the URL-safe alphabet (not mixed within one input), with or without
 * padding, as protobuf's JSON mapping does. Returns -1 on any other character, on a misplaced
 * or wrong amount of padding, or on a length that no encoding produces (n % 4 == 1). */
int base64_decode(uint8_t *out, size_t *outlen, const char *in, size_t n);

#endif
