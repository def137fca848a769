/* Writing JSON text: string literals with every character JSON requires escaped. Used for the
 * JSON text of array and kvlist AnyValues (DESIGN §3) and anywhere else JSON is produced. */
#ifndef OTLP2PARQUET_UTIL_JSON_TEXT_H
#define OTLP2PARQUET_UTIL_JSON_TEXT_H

#include <stddef.h>

#include "util/buf.h"

/* Appends s as a JSON string literal, quotes included: '"' and '\' escaped, control characters
 * as \b \f \n \r \t or \u00XX. The output is always valid UTF-8 JSON: should s hold invalid
 * UTF-8 (callers normally reject that first), each bad byte becomes U+FFFD.
 * 0, or -1 when memory runs out (b may then hold part of the literal). */
int json_put_string(buf_t *b, const void *s, size_t n);

/* The same without the quotes. */
int json_put_escaped(buf_t *b, const void *s, size_t n);

#endif
