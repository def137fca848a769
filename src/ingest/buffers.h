/* The partition buffers of the batching mode: one table batch per (table, service, UTC hour),
 * filled by requests and written as one file each when it is full (rows or bytes), old enough
 * (a timer thread), under memory pressure, or on ingest_flush. Memory is capped; a write that
 * fails keeps its buffer and is retried with backoff, so nothing accepted is dropped. While the
 * storage is down, requests are still taken until the cap is reached (an outage is ridden out
 * in memory), and nothing but probes is sent to the storage until it answers again.
 *
 * Locking: one mutex guards the map, the retry list and the counters. Requests are decoded and
 * grouped before it is taken; under it rows are only copied. Parquet encoding and storage writes
 * happen outside it, on buffers already taken out of the map (owned by the writing thread). */
#ifndef OTLP2PARQUET_INGEST_BUFFERS_H
#define OTLP2PARQUET_INGEST_BUFFERS_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/flush.h"
#include "ingest/ingest.h"
#include "table/column.h"
#include "util/err.h"

typedef struct {
    flusher_t *flusher; /* not owned */
    uint64_t max_rows;  /* a buffer holds at most this many rows (its file too) */
    size_t max_bytes;   /* a buffer is written once batch_bytes reaches this */
    uint32_t max_age_secs;
    size_t max_buffered; /* bytes allocated by all buffers together, at most (see buffers_add) */
} buffers_config_t;

typedef struct buffers buffers_t;

buffers_t *buffers_new(const buffers_config_t *cfg, err_t *err);
/* Stops the timer and frees everything; rows still buffered are lost (and logged as such). */
void buffers_free(buffers_t *b);

/* The timer thread: age flushes, retries of failed writes, storage probes while it is down,
 * and early flushes when the cap was hit. Without it, buffers are written only when full and
 * by buffers_flush_all. buffers_stop joins it (idempotent). */
int buffers_start(buffers_t *b, err_t *err);
void buffers_stop(buffers_t *b);

/* A cheap look before a request is decoded: ERR_UNAVAILABLE when the buffers are at the cap,
 * else 0. */
int buffers_admit(buffers_t *b, err_t *err);

/* The rows of batches[0..n) (each of its own table) are copied into the partition buffers, all
 * or none. Returns 0 (accepted; buffers that became full were written before returning, or,
 * while the storage is down, queued for the retry that follows a successful probe; a failed
 * write is only retried later, the rows stay accepted), -1 with ERR_UNAVAILABLE
 * when the rows would take the buffered bytes past the cap
 * (the client retries after a while; the cap also makes the timer write the largest buffers
 * early), -1 with ERR_NOMEM, or BUFFERS_TOO_BIG when the rows alone are larger than the cap:
 * the caller then writes them at once (they make a large file by themselves). */
#define BUFFERS_TOO_BIG 1
int buffers_add(buffers_t *b, table_batch_t *const *batches, int n, err_t *err);

/* Writes every buffer now (also those waiting for a retry), waits for writes other threads
 * have in progress, and tries a failed one a few more times with a short pause. -1 when some
 * rows could still not be written; they stay buffered. Safe while requests come in. */
int buffers_flush_all(buffers_t *b, err_t *err);

/* storage_ready, remembered: a failure marks the storage down (the timer only probes until a
 * probe or a write succeeds), a success marks it up and makes waiting retries due at once. */
int buffers_check_storage(buffers_t *b, err_t *err);

/* Records the outcome of a write done outside the buffers (a request too big to buffer). */
void buffers_note_write(buffers_t *b, int failed, const err_t *err);

void buffers_stats(buffers_t *b, ingest_stats_t *out);

#endif
