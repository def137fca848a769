/* OTLP AnyValue (common.proto) -> column text, per DESIGN §3:
 *   string   as is (validated UTF-8, not copied)
 *   bool     true / false
 *   int      decimal
 *   double   shortest round-trip text (fmt_double); NaN, Infinity, -Infinity
 *   bytes    standard padded base64
 *   array    compact JSON text: [v,...]
 *   kvlist   compact JSON text: {"k":v,...} (pairs in wire order, duplicates kept)
 *   empty    no text (a null value)
 * Inside JSON text values are native JSON: strings escaped, ints and finite doubles as numbers,
 * non-finite doubles as the strings "NaN" / "Infinity" / "-Infinity", bytes as base64 strings,
 * empty AnyValues as null. Arrays and kvlists nest at most OTLP_MAX_DEPTH deep; deeper input is
 * an error, and the walk's recursion is bounded by that depth.
 * A oneof set more than once: the last value on the wire wins (for a repeated array or kvlist
 * too, where protobuf would merge the two; no encoder writes that). string_value_strindex (a
 * profiles-only reference into a dictionary logs do not have) reads as an empty value, as
 * common.proto asks of other signals. */
#ifndef OTLP2PARQUET_OTLP_ANYVALUE_H
#define OTLP2PARQUET_OTLP_ANYVALUE_H

#include <stddef.h>
#include <stdint.h>

#include "otlp/pb.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

typedef enum {
    AV_EMPTY = 0,
    AV_STRING,
    AV_BOOL,
    AV_INT,
    AV_DOUBLE,
    AV_ARRAY,
    AV_KVLIST,
    AV_BYTES,
} av_kind_t;

typedef struct {
    av_kind_t kind;
    const uint8_t *str; /* AV_STRING: the string inside the message */
    size_t off;         /* other kinds but AV_EMPTY: the text is at text->data + off */
    size_t len;         /* length of the text (or of the string) */
} av_text_t;

/* Converts the AnyValue message msg[0..len) to its column text; non-string texts are appended
 * to `text` (offsets, not pointers, because text may move as it grows). path names the value
 * (the caller pushed e.g. "attributes[3]", "value"); errors name the field below it.
 * -1 with err set (ERR_INVALID or ERR_NOMEM). */
int anyvalue_text(const uint8_t *msg, size_t len, buf_t *text, av_text_t *out, pb_path_t *path,
                  err_t *err);

/* Appends the AnyValue as native JSON (as inside array/kvlist text): for reuse where a whole
 * value must be JSON. depth is the nesting level of msg's container (0 at the top). */
int anyvalue_json(const uint8_t *msg, size_t len, buf_t *out, int depth, pb_path_t *path,
                  err_t *err);

/* Checks that a string field holds valid UTF-8 (proto3 `string`); the error names `field` below
 * path ("...key: invalid UTF-8 at byte 3"), or path itself when field is NULL. */
int otlp_utf8_fail(size_t ok, pb_path_t *path, const char *field, err_t *err); /* the error; -1 */
static inline int otlp_check_utf8(const uint8_t *s, size_t n, pb_path_t *path, const char *field, err_t *err)
{
    size_t ok = utf8_valid_prefix_fast(s, n);
    return ok == n ? 0 : otlp_utf8_fail(ok, path, field, err);
}

/* Reads a KeyValue { string key = 1; AnyValue value = 2; }: the last key and the last value on
 * the wire win; a missing key is the empty string, a missing value sets *val = NULL. The key is
 * checked for UTF-8; the value is left to anyvalue_text / anyvalue_json. */
int otlp_keyvalue_scan(const uint8_t *msg, size_t len, const uint8_t **key, size_t *klen,
                       const uint8_t **val, size_t *vlen, pb_path_t *path, err_t *err);

#endif
