/* One Lambda invocation: the event -> the OTLP request (through the handling the HTTP server
 * shares, http/otlp_handler.h) -> the response in the event family's shape. Bad input is a 400
 * response; only an event that is no HTTP event at all is a runtime error. */
#ifndef OTLP2PARQUET_LAMBDA_HANDLER_H
#define OTLP2PARQUET_LAMBDA_HANDLER_H

#include <stddef.h>

#include "ingest/ingest.h"
#include "storage/storage.h"
#include "util/buf.h"

struct ice_committer;

typedef struct {
    ingest_t *ingest;               /* INGEST_IMMEDIATE: files are durable (and committed) when it returns */
    storage_t *storage;             /* for GET /ready */
    struct ice_committer *iceberg;  /* NULL without Iceberg; pending commits are retried each invocation */
    size_t max_body;                /* decoded body bytes, compressed and decompressed alike */
} lambda_handler_t;

/* Handles the event event[0..len) and appends the response JSON to out: 0. -1 when nothing can
 * be answered (not JSON, not an HTTP event): errmsg says why, for the runtime's /error. */
int lambda_handle_event(const lambda_handler_t *h, const char *event, size_t len, buf_t *out, char *errmsg,
                        size_t errlen);

#endif
