/* The pipeline: request bytes -> decode -> per-table batches -> sorted, split by service and hour
 * -> Parquet -> storage. The HTTP server, Lambda and `convert` all feed requests through here.
 *
 * Two modes. Batched (server, convert): a request's rows are copied into partition buffers, one
 * per (table, service, UTC hour), and ingest_request returns once they are there; buffers are
 * written when full, old (with the timer of ingest_start) or on ingest_flush. Immediate (Lambda):
 * every request is written before ingest_request returns. */
#ifndef OTLP2PARQUET_INGEST_INGEST_H
#define OTLP2PARQUET_INGEST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "parquet/writer.h"
#include "storage/storage.h"
#include "util/err.h"

typedef enum { SIG_LOGS = 0, SIG_TRACES, SIG_METRICS, SIG_COUNT } otlp_signal_t;
typedef enum { ENC_PROTOBUF = 0, ENC_JSON, ENC_NDJSON } otlp_encoding_t;
typedef enum { INGEST_BATCHED = 0, INGEST_IMMEDIATE } ingest_mode_t;

typedef struct {
    uint64_t rows;        /* rows accepted */
    uint64_t rejected;    /* records dropped (partialSuccess) */
    char message[256];    /* why they were dropped */
} ingest_result_t;

typedef struct ingest ingest_t;

struct ice_committer;

typedef struct {
    storage_t *storage;   /* not owned */
    /* Iceberg mode (not owned; NULL: plain Parquet): files go to the tables' locations and each
     * flush is committed as a snapshot; the timer also retries pending commits */
    struct ice_committer *iceberg;
    pq_options_t parquet;
    size_t max_payload;   /* decompressed body bytes, at most */
    ingest_mode_t mode;
    /* batched mode (DESIGN §5 BATCH_*): a buffer is written when it holds batch_max_rows rows
     * (no file has more), when its column data reaches batch_max_bytes, or batch_max_age_secs
     * after its first row arrived (0: at the timer's next look) */
    uint64_t batch_max_rows;
    size_t batch_max_bytes;
    uint32_t batch_max_age_secs;
    /* memory allocated by all buffers together (those being written or waiting for a retry
     * included) stays below this; a request that would pass it gets ERR_UNAVAILABLE */
    size_t max_buffered_bytes;
} ingest_config_t;

/* Batched, 200000 rows, 128 MiB, 10 s, 512 MiB buffered, 8 MiB payloads, default Parquet
 * options; storage is left NULL. */
void ingest_config_default(ingest_config_t *cfg);

typedef struct {
    uint64_t files_written, rows_written, bytes_written; /* since ingest_new */
    uint64_t rows_buffered;    /* accepted, not yet written */
    size_t bytes_buffered;     /* memory held by buffers: what max_buffered_bytes caps */
    uint32_t buffers;          /* alive: filling, being written, or waiting for a retry */
    uint32_t buffers_retrying; /* of them, after a failed write */
    int storage_down;          /* the last write or probe failed */
} ingest_stats_t;

ingest_t *ingest_new(const ingest_config_t *cfg, err_t *err);
/* Batched mode: starts the timer thread (age flushes, retries). Without it, buffers are written
 * only when full and on ingest_flush, which is what `convert` wants. No-op when immediate. */
int ingest_start(ingest_t *ing, err_t *err);
/* Stops the timer thread (idempotent); buffers stay. */
void ingest_stop(ingest_t *ing);
/* Stops and frees. Rows still buffered are lost and logged: call ingest_flush first. */
void ingest_free(ingest_t *ing);

/* Decodes one export request. Batched: returns 0 once its rows are in the buffers; immediate:
 * once they are durable. On error nothing of the request is kept and err->code tells the status
 * (ERR_INVALID 400, ERR_TOO_LARGE 413, ERR_UNSUPPORTED 415, ERR_UNAVAILABLE 503 when the storage
 * is down or the buffers are full, ...). Safe to call from several threads at once. */
int ingest_request(ingest_t *ing, otlp_signal_t sig, otlp_encoding_t enc, const uint8_t *body,
                   size_t len, ingest_result_t *res, err_t *err);

/* Writes every buffer and waits until they are durable (shutdown, end of `convert`). -1 when
 * some rows could not be written after a few attempts (they stay buffered). */
int ingest_flush(ingest_t *ing, err_t *err);

/* Is the storage writable? (GET /ready.) The answer also tells the batching whether to accept
 * requests: a failed probe makes them 503 until the storage works again. */
int ingest_check_storage(ingest_t *ing, err_t *err);

void ingest_stats(ingest_t *ing, ingest_stats_t *out);

const char *otlp_signal_name(otlp_signal_t s); /* "logs", "traces", "metrics" */

#endif
