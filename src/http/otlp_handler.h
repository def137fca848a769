/* The transport-independent part of OTLP/HTTP (DESIGN §6), shared by the HTTP server and the
 * Lambda handler: Content-Type and Content-Encoding parsing, routing and method checks, and the
 * handling of a whole request (decompress, ingest, Export*ServiceResponse or google.rpc.Status).
 * The transport supplies method, path, two header values and the body, and sends the reply. */
#ifndef OTLP2PARQUET_HTTP_OTLP_HANDLER_H
#define OTLP2PARQUET_HTTP_OTLP_HANDLER_H

#include <stddef.h>

#include "ingest/ingest.h"
#include "storage/storage.h"
#include "util/buf.h"

#define OTLP_RETRY_AFTER_SECS "5"

typedef enum { OTLP_ROUTE_EXPORT, OTLP_ROUTE_HEALTH, OTLP_ROUTE_READY } otlp_route_kind_t;

/* What a request is, as far as its method, path and headers tell. */
typedef struct {
    otlp_route_kind_t route;
    otlp_signal_t sig;
    otlp_encoding_t enc; /* of the request; error bodies use it when enc_known */
    int enc_known;
    int gzip;
} otlp_route_t;

/* One answer. body holds the bytes; content_type and allow are static strings (allow may be
 * NULL); a 503 or 429 also carries Retry-After: OTLP_RETRY_AFTER_SECS. For errors, msg says why
 * (for the log); for a success, res tells the rows. */
typedef struct {
    int status;
    const char *content_type;
    const char *allow;
    buf_t body;
    char msg[1200];
    ingest_result_t res;
} otlp_reply_t;

/* "application/x-protobuf", "application/json", "application/x-ndjson" (parameters ignored,
 * case-insensitive) -> 0; anything else or NULL -> -1. */
int otlp_parse_content_type(const char *v, otlp_encoding_t *enc);

/* 0 identity (or absent), 1 gzip / x-gzip, -1 anything else. */
int otlp_parse_content_encoding(const char *v);

/* v with control bytes replaced and cut to outlen ("..." at the end): safe for log lines. */
void otlp_printable(const char *v, char *out, size_t outlen);

/* Routes method + path with the Content-Type and Content-Encoding header values (NULL when
 * absent). 0: rt says what to do with the body. Otherwise the error reply (404, 405, 415) is
 * in rep and the function returns its status. */
int otlp_route(const char *method, const char *path, const char *ctype, const char *cenc, otlp_route_t *rt,
               otlp_reply_t *rep);

/* Fills rep with the google.rpc.Status for status (enc when known, else JSON) and msg. -1 when
 * memory runs out. */
int otlp_error_reply(otlp_reply_t *rep, const otlp_route_t *rt, int status, const char *allow, const char *msg);

/* An export whose body has fully arrived: inflates it (rt->gzip, at most max_body bytes),
 * frees *body as soon as it is no longer needed, ingests and fills rep (200 with the
 * Export*ServiceResponse, or the error). -1 when memory runs out for the reply itself. */
int otlp_handle_export(ingest_t *ing, const otlp_route_t *rt, size_t max_body, buf_t *body, otlp_reply_t *rep);

/* GET /health: 200 "ok". */
int otlp_health_reply(otlp_reply_t *rep);

/* GET /ready: asks the storage through ingest_check_storage; 200 "ok" or 503. */
int otlp_ready_reply(ingest_t *ing, storage_t *storage, const otlp_route_t *rt, otlp_reply_t *rep);

/* A whole request at once (the Lambda handler): route, then health, ready or export. Returns
 * rep->status, or -1 when memory runs out. */
int otlp_handle(ingest_t *ing, storage_t *storage, size_t max_body, const char *method, const char *path,
                const char *ctype, const char *cenc, buf_t *body, otlp_reply_t *rep);

/* The log level of a reply of this status: DEBUG for 404/405, ERROR for 5xx other than 503,
 * WARN otherwise. */
int otlp_log_level_for(int status);

void otlp_reply_free(otlp_reply_t *rep);

#endif
