/* The pure parts of the S3 backend, apart so unit tests reach them without a network: where a
 * request goes (scheme, Host, path), how a URL is spelled, which answers are worth retrying, and
 * reading one element out of an S3 XML answer. */
#ifndef OTLP2PARQUET_STORAGE_S3_UTIL_H
#define OTLP2PARQUET_STORAGE_S3_UTIL_H

#include <stddef.h>

#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/err.h"

/* S3 refuses keys longer than this (bytes of UTF-8). */
#define S3_KEY_MAX 1024

typedef struct {
    char scheme[8];      /* "https" or "http" */
    char host[512];      /* the Host header: host[:port], the port only when not the default */
    char base_path[768]; /* decoded path in front of every key: "" (virtual-hosted) or "/bucket" */
    int path_style;      /* what was chosen */
} s3_target_t;

/* Where requests for bucket go. endpoint NULL/"" = AWS: virtual-hosted
 * https://{bucket}.s3.{region}.amazonaws.com, except that a bucket whose name holds a '.' goes
 * path style in auto mode (its name would not match the wildcard TLS certificate). With an
 * endpoint ("http[s]://host[:port][/path]"), path_style -1 means path style. */
int s3_target_init(s3_target_t *t, const char *bucket, const char *region, const char *endpoint, int path_style,
                   err_t *err);

/* The decoded request path of an object (full key, prefix included), or of the bucket itself
 * when objkey is NULL ("/bucket" path style, "/" virtual-hosted). NUL-terminated. */
int s3_path(buf_t *out, const s3_target_t *t, const char *objkey);

/* scheme://host + path percent-encoded per segment + "?" + params, each name and value
 * encoded as SigV4 encodes them (so what is signed is what is sent). NUL-terminated. */
int s3_url(buf_t *out, const s3_target_t *t, const char *path, const sigv4_param_t *params, size_t nparams);

/* A key from our layout, checked before it goes out: not empty, not too long, no control
 * bytes, no empty, "." or ".." segment (S3 would take them, but readers mapping keys to paths
 * would not). */
int s3_key_check(const char *key, err_t *err);

/* The text of the first <tag>...</tag> in xml (len bytes, not NUL-terminated), the five
 * predefined entities and numeric character references below 0x80 decoded, control bytes
 * replaced by spaces. Returns 0 when found and copied whole, 1 when found but cut to
 * outlen - 1 bytes, -1 when absent. */
int s3_xml_text(const char *xml, size_t len, const char *tag, char *out, size_t outlen);

/* 1 when an answer of this status and S3 error code (may be "" or NULL) is worth retrying:
 * 5xx, 429, SlowDown, RequestTimeout, InternalError, ServiceUnavailable. */
int s3_retryable(long status, const char *code);

/* 1 for the error codes that mean "fetch the credentials again" (ExpiredToken, InvalidToken,
 * TokenRefreshRequired). */
int s3_token_error(const char *code);

/* Appends s with &, <, >, " and ' escaped as XML wants. */
int s3_xml_escape(buf_t *b, const char *s);

#endif
