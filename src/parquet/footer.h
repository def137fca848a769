/* The metadata that follows the row groups: per-chunk ColumnIndex and OffsetIndex structures,
 * then the FileMetaData footer. */
#ifndef OTLP2PARQUET_PARQUET_FOOTER_H
#define OTLP2PARQUET_PARQUET_FOOTER_H

#include <stdint.h>

#include "parquet/chunk.h"
#include "parquet/writer.h"
#include "table/schema.h"
#include "util/buf.h"

typedef struct {
    uint64_t num_rows;
    uint64_t file_offset;      /* first page of the first column */
    uint64_t total_byte_size;  /* uncompressed, headers included */
    uint64_t total_compressed;
    pq_chunk_t *cols;          /* one per leaf */
} pq_rowgroup_t;

/* Append the serialized structures; return 0, or -1 when memory runs out. */
int pq_write_column_index(buf_t *out, const pq_chunk_t *ch, int type);
int pq_write_offset_index(buf_t *out, const pq_chunk_t *ch);
int pq_write_file_metadata(buf_t *out, const table_schema_t *s, const pq_rowgroup_t *rgs,
                           uint32_t nrg, uint64_t num_rows, const pq_options_t *opt);

#endif
