/* The pipeline: request bytes -> decode -> per-table batches -> sorted, split by service and hour
 * -> Parquet -> storage. The HTTP server, Lambda and `convert` all feed requests through here. */
#ifndef OTLP2PARQUET_INGEST_INGEST_H
#define OTLP2PARQUET_INGEST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "parquet/writer.h"
#include "storage/storage.h"
#include "util/err.h"

typedef enum { SIG_LOGS = 0, SIG_TRACES, SIG_METRICS, SIG_COUNT } otlp_signal_t;
typedef enum { ENC_PROTOBUF = 0, ENC_JSON, ENC_NDJSON } otlp_encoding_t;

typedef struct {
    uint64_t rows;        /* rows accepted */
    uint64_t rejected;    /* records dropped (partialSuccess) */
    char message[256];    /* why they were dropped */
} ingest_result_t;

typedef struct ingest ingest_t;

typedef struct {
    storage_t *storage;   /* not owned */
    pq_options_t parquet;
    size_t max_payload;   /* decompressed body bytes, at most */
} ingest_config_t;

ingest_t *ingest_new(const ingest_config_t *cfg, err_t *err);
void ingest_free(ingest_t *ing);

/* Decodes one export request and makes its rows durable before returning 0 (issue 2: each
 * request is written at once). On error nothing of the request is written and err->code tells
 * the status (ERR_INVALID 400, ERR_TOO_LARGE 413, ERR_UNAVAILABLE 503, ...).
 * Safe to call from several threads at once. */
int ingest_request(ingest_t *ing, otlp_signal_t sig, otlp_encoding_t enc, const uint8_t *body,
                   size_t len, ingest_result_t *res, err_t *err);

/* Writes whatever is buffered (a no-op until batching exists); called on shutdown. */
int ingest_flush(ingest_t *ing, err_t *err);

const char *otlp_signal_name(otlp_signal_t s); /* "logs", "traces", "metrics" */

#endif
