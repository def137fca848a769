/* Batch -> files: rows sorted by (ServiceName, Timestamp) and cut into one Parquet file per
 * (service, UTC hour) run (DESIGN §3, §4). The one place that sorts, used by the partition
 * buffers and by the immediate mode alike. */
#ifndef OTLP2PARQUET_INGEST_FLUSH_H
#define OTLP2PARQUET_INGEST_FLUSH_H

#include <stdatomic.h>
#include <stdint.h>

#include "parquet/writer.h"
#include "storage/storage.h"
#include "table/column.h"
#include "util/err.h"

struct ice_committer;

typedef struct {
    storage_t *storage; /* not owned */
    /* Iceberg mode (not owned; NULL: plain Parquet under storage): files go under each table's
     * location and every flush_write call commits its files, one snapshot per table */
    struct ice_committer *iceberg;
    pq_options_t parquet;
    /* written so far, by every thread (statistics; relaxed atomics) */
    _Atomic uint64_t files, rows, bytes;
} flusher_t;

/* The row order of a file: a permutation of 0..b->nrows-1 into rows (b->nrows slots), sorted by
 * (ServiceName, Timestamp), ties in arrival order. */
int flush_sort(const table_batch_t *b, uint32_t *rows, err_t *err);

/* Writes the rows of every batch (n of them, any tables, empty ones skipped) as files. All or
 * nothing: when one file fails, those already written by this call are deleted again, so that
 * a retry does not duplicate rows. A storage failure is ERR_UNAVAILABLE (the caller may retry);
 * other codes are failures to encode. */
int flush_write(flusher_t *f, table_batch_t *const *batches, int n, err_t *err);

/* flush_write of one batch of one partition (one table, service and hour: one file) under a
 * given file UUID. A retry with the same id overwrites the object a failed attempt may have
 * stored after all (the storage applied the write, its answer was lost), so a retried buffer
 * is in storage once, never twice. */
int flush_write_id(flusher_t *f, table_batch_t *batch, const char *id, err_t *err);

/* Iceberg mode: flush_write commits its files at once; flush_write_id only stages them, and
 * this commits what is staged (after a set of buffers was written: one snapshot per table for
 * all of them). No-op for plain Parquet. */
void flush_commit(flusher_t *f);

#endif
