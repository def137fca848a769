/* Parquet writer: turns the rows of a table batch into the bytes of one Parquet file, and
 * reports the per-column statistics an Iceberg manifest needs. */
#ifndef OTLP2PARQUET_PARQUET_WRITER_H
#define OTLP2PARQUET_PARQUET_WRITER_H

#include <stdint.h>

#include "table/column.h"
#include "util/buf.h"
#include "util/err.h"

/* Codec numbers as in parquet.thrift CompressionCodec. */
typedef enum { PQ_UNCOMPRESSED = 0, PQ_SNAPPY = 1, PQ_ZSTD = 6 } pq_codec_t;

typedef struct {
    pq_codec_t codec;
    int zstd_level;
    size_t row_group_bytes; /* uncompressed bytes per row group, at most (0: the default) */
    size_t page_bytes;      /* target uncompressed bytes per data page (0: the default); a
                               page also ends after 20000 rows, and always on a row boundary */
    size_t dict_max_bytes;  /* a dictionary past this size falls back to PLAIN (0: no
                               dictionaries). A chunk also goes PLAIN when, on its first page,
                               dictionary plus indexes are not smaller than PLAIN values. */
    const char *created_by; /* NULL: the default */
    int nkv;                /* key/value metadata written into the footer */
    const char *const *kv_keys;
    const char *const *kv_vals; /* an entry may be NULL: a key without a value */
} pq_options_t;

/* ZSTD level 3, 128 MiB row groups, 1 MiB pages, 1 MiB dictionaries, created_by of this build. */
void pq_options_default(pq_options_t *o);

typedef struct {
    int32_t field_id;
    uint64_t compressed_bytes; /* bytes of this column's chunks in the file (Iceberg column_sizes) */
    uint64_t value_count;      /* level entries, nulls included (Iceberg value_counts) */
    uint64_t null_count;       /* entries without a value */
    uint64_t nan_count;        /* DOUBLE only */
    int has_bounds;            /* min and max are set: some non-null, non-NaN value exists */
    buf_t min, max;            /* PLAIN bytes of the extreme values: little-endian numbers,
                                  whole strings (not truncated); for doubles -0.0 counts as
                                  below +0.0, so each bound is a value that occurs */
} pq_column_stats_t;

typedef struct {
    uint64_t num_rows;
    uint64_t file_bytes;
    int ncols; /* = schema leaves, same order */
    pq_column_stats_t cols[SCHEMA_MAX_LEAVES];
    uint32_t nrow_groups;
    uint64_t *row_group_offsets; /* file offset of each row group's first page (split offsets) */
} pq_file_stats_t;

void pq_file_stats_free(pq_file_stats_t *s);

/* Writes the rows rows[0..nrows) of the batch, in that order (rows == NULL: all rows in batch
 * order, nrows ignored), as a complete Parquet file appended to out. stats may be NULL, opt
 * too (the defaults). The batch is checked first (levels, offsets, counts), so a malformed one
 * fails with ERR_INTERNAL rather than a bad file. On failure out keeps its old length and stats
 * holds nothing to free. */
int pq_write(const table_batch_t *batch, const uint32_t *rows, uint32_t nrows,
             const pq_options_t *opt, buf_t *out, pq_file_stats_t *stats, err_t *err);

#endif
