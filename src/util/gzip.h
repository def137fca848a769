/* zlib helpers. gzip decompression with a hard cap on the output, for request bodies
 * (Content-Encoding: gzip) and for `convert` input files; raw deflate (RFC 1951, no header),
 * which is the `deflate` codec of Avro container files. */
#ifndef OTLP2PARQUET_UTIL_GZIP_H
#define OTLP2PARQUET_UTIL_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* Does data start with the gzip magic bytes (1f 8b)? */
int gzip_is_gzip(const uint8_t *data, size_t len);

/* Inflates the gzip stream in (one member or several concatenated, as gzip(1) writes them) and
 * appends the result to out. Never holds more than max_out decompressed bytes, so a small
 * "bomb" costs little. Errors: ERR_TOO_LARGE past max_out, ERR_INVALID for input that is not
 * gzip, corrupt or truncated, ERR_NOMEM. On error out keeps its old length. */
int gzip_inflate(const uint8_t *in, size_t len, size_t max_out, buf_t *out, err_t *err);

/* Inflates one raw deflate stream, as gzip_inflate does (same cap, same errors); bytes after
 * the end of the stream are ignored, as zlib's own readers do. */
int deflate_raw_inflate(const uint8_t *in, size_t len, size_t max_out, buf_t *out, err_t *err);

/* Compresses in as one raw deflate stream appended to out (zlib level, -1 the default). */
int deflate_raw_compress(const uint8_t *in, size_t len, int level, buf_t *out, err_t *err);

#endif
