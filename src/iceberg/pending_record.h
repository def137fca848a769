/* Pending records (DESIGN §7): a data file whose commit finally failed is recorded next to the
 * data, and a later commit adds it. A record is JSON holding everything that commit needs to
 * add the data file without reading it again:
 *
 *   {"version": 1,
 *    "file-path": "s3://...", "file-size-in-bytes": N, "record-count": N,
 *    "partition": [null | integer | "string", ...],      one per partition field
 *    "columns": [{"field-id": N, "column-size": N, "value-count": N, "null-count": N,
 *                 "nan-count": N?, "lower-bound": "base64"?, "upper-bound": "base64"?}, ...],
 *    "split-offsets": [N, ...], "sort-order-id": N,
 *    "sequence-floor": N, "tried-snapshot-ids": [N, ...]}
 *
 * Counts and sizes are at most INT64_MAX (JSON integers as jansson reads them). A record read
 * back is hostile input: its size, every count and every type is checked, and an error names
 * the field. */
#ifndef OTLP2PARQUET_ICEBERG_PENDING_RECORD_H
#define OTLP2PARQUET_ICEBERG_PENDING_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "iceberg/manifest.h"
#include "util/buf.h"
#include "util/err.h"

#define ICE_PENDING_VERSION 1
#define ICE_PENDING_MAX_BYTES ((size_t)1 << 20)
#define ICE_PENDING_MAX_SPLIT_OFFSETS 10000
#define ICE_PENDING_MAX_PATH 4096
#define ICE_PENDING_MAX_BOUND 4096 /* bytes of one decoded bound */

/* Appends the record of df to out (compact JSON). seq_floor: the sequence number the data file
 * must not be committed below; tried_snapshot_ids: the snapshots whose commits failed to add
 * it. 0, or -1 when memory runs out or a value cannot be represented (a count above
 * INT64_MAX, a string partition value that is not UTF-8). */
int ice_pending_encode(const ice_data_file_t *df, int64_t seq_floor, const int64_t *tried_snapshot_ids, size_t ntried,
                       buf_t *out);

/* Reads a record from p[0..n): fills *df (its own memory: free with ice_data_file_free, also
 * after a failure), *seq_floor and tried[0..*ntried) (at most max_tried, more is an error).
 * -1 with ERR_INVALID (ERR_TOO_LARGE above ICE_PENDING_MAX_BYTES, ERR_UNSUPPORTED for another
 * version, ERR_NOMEM) naming the field. */
int ice_pending_decode(const uint8_t *p, size_t n, ice_data_file_t *df, int64_t *seq_floor, int64_t *tried,
                       size_t max_tried, size_t *ntried, err_t *err);

#endif
