/* AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv_create-signed-request.html)
 * in our own code over OpenSSL: the canonical request, the string to sign and the signature,
 * byte for byte what botocore's S3SigV4Auth (S3) and SigV4Auth (other services, e.g. glue)
 * produce for the same request. */
#ifndef OTLP2PARQUET_AWS_SIGV4_H
#define OTLP2PARQUET_AWS_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct {
    const char *name, *value; /* query parameter, NOT encoded (the signer encodes); a NULL
                               * value is the empty one ("?uploads" signs as "uploads=") */
} sigv4_param_t;

typedef struct {
    const char *name, *value; /* header to sign, as sent; names any case */
} sigv4_header_t;

typedef struct {
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL or "" when the credentials are not temporary */
} sigv4_credentials_t;

typedef struct {
    const char *method;  /* "PUT", ... */
    const char *host;    /* the Host header: host[:port], the port only when not the default */
    const char *path;    /* decoded path, starting with '/' (e.g. "/bucket/a b/ü.parquet") */
    const sigv4_param_t *params;
    size_t nparams;
    const sigv4_header_t *headers; /* extra headers to sign (content-type, ...); host, x-amz-date,
                                    * x-amz-content-sha256 and x-amz-security-token are added */
    size_t nheaders;
    const char *payload_sha256_hex; /* lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
                                     * (or "STREAMING-UNSIGNED-PAYLOAD-TRAILER") */
    const char *amz_date;           /* "YYYYMMDDTHHMMSSZ" */
    const char *region;
    const char *service; /* "s3": S3 rules (path encoded once, not normalised, payload hash header);
                          * anything else: SigV4Auth rules (path normalised and encoded twice) */
    int add_content_sha256_header; /* 1: sign and send x-amz-content-sha256 (always for s3, and
                                    * always for UNSIGNED-PAYLOAD, as botocore does) */
    /* 1: path is already percent-encoded exactly as sent on the wire (unreserved characters,
     * '/' and %XX only), for paths whose segments were encoded one by one (an Iceberg namespace
     * or table name holding '/', which the decoded form cannot tell from a separator).
     * 0 (the default): path is decoded and the wire path is sigv4_uri_encode(path, keep_slash). */
    int path_is_encoded;
} sigv4_request_t;

/* Limits; a request over any of them is rejected (ERR_INVALID). */
#define SIGV4_MAX_HEADERS 64       /* extra headers */
#define SIGV4_MAX_HEADER_NAME 128
#define SIGV4_MAX_HEADER_VALUE 8192
#define SIGV4_MAX_PARAMS 64
#define SIGV4_MAX_PARAM 4096       /* bytes of one decoded name or value */
#define SIGV4_MAX_PATH 4096        /* bytes of the path */
#define SIGV4_MAX_SECRET 256
#define SIGV4_MAX_TOKEN 4095

typedef struct {
    buf_t canonical_request;   /* NUL-terminated */
    buf_t string_to_sign;      /* NUL-terminated */
    char signature[65];        /* lowercase hex */
    char authorization[2048];  /* the Authorization header value */
    /* the headers the caller must send besides Authorization and its own (x-amz-date,
     * x-amz-content-sha256 when asked, x-amz-security-token when there is a token) */
    sigv4_header_t add[3];
    size_t nadd;
} sigv4_result_t;

/* Signs req with creds. out must be zeroed before the first use; free with sigv4_result_free.
 * out->add[] points into req and creds (amz_date, payload_sha256_hex, session_token): send them
 * before those change. Headers botocore never signs (user-agent, connection, expect,
 * transfer-encoding, ...) are skipped if given; host, date, authorization, x-amz-date,
 * x-amz-content-sha256 and x-amz-security-token are the signer's and rejected if given.
 * Header values must be printable ASCII (tabs allowed); the host lowercase. */
int sigv4_sign(const sigv4_request_t *req, const sigv4_credentials_t *creds, sigv4_result_t *out, err_t *err);
void sigv4_result_free(sigv4_result_t *out);

/* Lowercase hex SHA-256 of data into out[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Percent-encodes s as SigV4 wants (unreserved A-Z a-z 0-9 - _ . ~ kept; '/' kept when
 * keep_slash), appending to b. */
int sigv4_uri_encode(buf_t *b, const char *s, size_t len, int keep_slash);

/* The current UTC time as "YYYYMMDDTHHMMSSZ". */
void sigv4_amz_date_now(char out[17]);

#endif
