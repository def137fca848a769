/* A pull tokenizer for JSON text (RFC 8259, strictly): the caller asks for one token at a time
 * and the reader checks the grammar as it goes (commas, colons, matching brackets, one value at
 * the top, nothing after it but whitespace), so a consumer sees only well-formed token streams.
 *
 * Why our own rather than jansson: OTLP/JSON requests are transcoded in one pass without
 * building a document tree, 64-bit integers must be read exactly (jansson's are signed only,
 * and doubles lose digits), and the error has to say where the input went wrong.
 *
 * Strings are checked for UTF-8 and unescaped (\uXXXX surrogate pairs joined; a lone surrogate
 * is an error). Containers nest at most JSON_MAX_DEPTH deep, tracked in a fixed array: no
 * recursion, no allocation per token. The only memory is one scratch buffer, used only for
 * strings that contain escapes (the others point straight into the input).
 *
 * A leading UTF-8 byte order mark is skipped, which RFC 8259 §8.1 allows. */
#ifndef OTLP2PARQUET_UTIL_JSON_READER_H
#define OTLP2PARQUET_UTIL_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define JSON_MAX_DEPTH 128

typedef enum {
    JSON_EOF = 0, /* after the one top-level value and trailing whitespace */
    JSON_OBJ_BEGIN,
    JSON_OBJ_END,
    JSON_ARR_BEGIN,
    JSON_ARR_END,
    JSON_KEY, /* an object member's name; its value is the next token */
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
} json_type_t;

typedef struct {
    json_type_t type;
    /* JSON_KEY, JSON_STRING: the unescaped UTF-8 bytes (may hold NUL bytes, from \u0000);
     * JSON_NUMBER: the number's text as written. Valid until the next call on the reader. */
    const uint8_t *s;
    size_t n;
    size_t off; /* byte offset of the token's first character */
} json_token_t;

typedef struct {
    const uint8_t *base, *p, *end;
    buf_t scratch; /* unescaped strings */
    uint32_t depth;
    uint8_t state;
    uint8_t stack[JSON_MAX_DEPTH]; /* '{' or '[' per open container */
    /* the first error; the reader stays failed after it */
    err_code_t err_code; /* ERR_INVALID, or ERR_NOMEM when the scratch buffer cannot grow */
    size_t err_off;
    char err_msg[112];
} json_reader_t;

void json_reader_init(json_reader_t *r, const void *data, size_t len);
void json_reader_free(json_reader_t *r);

/* The next token: 0 with *t filled, or -1 on malformed input (see json_reader_errstr). */
int json_next(json_reader_t *r, json_token_t *t);

/* Skips the rest of the value whose first token is first (nothing more for a scalar; up to the
 * matching close for an object or array), still checking it fully (grammar, UTF-8, escapes,
 * depth) but without unescaping. 0 or -1. */
int json_skip(json_reader_t *r, const json_token_t *first);

/* Open containers right now (0 at the top level). */
static inline uint32_t json_depth(const json_reader_t *r) { return r->depth; }

/* The error as "line L, column C (byte B): what", lines and columns counted from 1, columns in
 * characters. */
void json_reader_errstr(const json_reader_t *r, char *out, size_t cap);

/* Line and column (both from 1; the column counts UTF-8 characters) of byte offset off. */
void json_position(const uint8_t *base, size_t off, size_t *line, size_t *col);

/* ---- numbers ---- */

/* Length of the longest prefix of s that is a JSON number (0 if none): -?(0|[1-9]\d*)(\.\d+)?
 * ([eE][+-]?\d+)?. s holds exactly a JSON number when the result is n. */
size_t json_number_scan(const uint8_t *s, size_t n);

typedef enum {
    JSON_NUM_OK = 0,
    JSON_NUM_SYNTAX,   /* not a JSON number */
    JSON_NUM_FRACTION, /* a number, but not an integer */
    JSON_NUM_RANGE,    /* out of range for the type asked for */
    JSON_NUM_NOMEM,    /* json_number_double: no memory for the copy of a long number */
} json_num_rc_t;

/* The integer a JSON number's text denotes, exactly, from its digits (no floating point):
 * "12", "-0", "1.5e1", "100e-2" and "1E3" are all integers; "1.5" is not. */
json_num_rc_t json_number_i64(const uint8_t *s, size_t n, int64_t *v);
json_num_rc_t json_number_u64(const uint8_t *s, size_t n, uint64_t *v);

/* The double nearest to the number (strtod on a NUL-terminated copy: a small one on the stack,
 * a long one in the spare capacity of tmp, whose length is not changed). JSON_NUM_RANGE when
 * the magnitude is too large for a double (underflow to zero or a subnormal is fine). */
json_num_rc_t json_number_double(const uint8_t *s, size_t n, double *v, buf_t *tmp);

#endif
