/* A small HTTP(S) client over libcurl for everything this program calls out to: S3, the AWS
 * credential endpoints, and (later) Iceberg REST catalogs. Each thread keeps one curl handle, so
 * connections (and TLS sessions) are reused between calls; HTTPS verifies peers against the
 * system CA store. Response bodies are bounded: a peer cannot make us buffer without limit. */
#ifndef OTLP2PARQUET_NET_HTTP_CLIENT_H
#define OTLP2PARQUET_NET_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct {
    const char *name, *value;
} http_header_t;

typedef struct {
    const char *method; /* "GET", "PUT", "POST", "DELETE", "HEAD" */
    const char *url;    /* absolute and already percent-encoded */
    const http_header_t *headers;
    size_t nheaders;
    const uint8_t *body; /* sent as is with a Content-Length (none for NULL and 0 bytes) */
    size_t body_len;
    long timeout_ms;         /* the whole exchange; 0 = 30 s; < 0 = none (long polls) */
    long connect_timeout_ms; /* 0 = 5 s */
    size_t max_response;     /* response body bytes kept at most; 0 = 1 MiB; more is an error */
} http_request_t;

typedef struct {
    long status;  /* HTTP status; 0 when no response arrived */
    buf_t body;   /* response body (not NUL-terminated; use http_response_text) */
    buf_t header; /* response header lines as received, "Name: value\r\n" each */
} http_response_t;

/* Once, before threads start (curl_global_init). */
int http_client_global_init(err_t *err);

/* Performs one exchange. Returns 0 when a response arrived, whatever its status (resp->status
 * says); -1 when none did (DNS, refused, reset, timeout, TLS, oversized response): err->code is
 * ERR_UNAVAILABLE and the message names the URL's host and curl's reason. resp must be zeroed
 * before the first use and freed with http_response_free; a second call reuses it. */
int http_request(const http_request_t *req, http_response_t *resp, err_t *err);

/* The value of response header name (case-insensitive), trimmed, copied into out; 0 when found,
 * -1 when absent or longer than outlen - 1. */
int http_response_header(const http_response_t *resp, const char *name, char *out, size_t outlen);

/* The body as a NUL-terminated string (appends a NUL outside len); NULL when memory runs out. */
const char *http_response_text(http_response_t *resp);

void http_response_free(http_response_t *resp);

/* The authority of an absolute URL ("host", "host:port", "[v6]:port") without user info, path
 * or query: what messages about a request may name. */
void http_url_host(const char *url, char *out, size_t cap);

/* Frees this thread's curl handle (threads that called http_request call it before they end;
 * the main thread may skip it at exit). */
void http_client_thread_cleanup(void);

/* This thread's handle and curl's global state (curl_global_cleanup), at the very end, after
 * every other thread stopped; lets leak checkers see a clean exit. */
void http_client_global_cleanup(void);

#endif
