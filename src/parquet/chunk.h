/* One column chunk: the pages of one leaf column over a range of rows, written into the file
 * buffer (dictionary page first, then the data pages), with what the footer and the page
 * indexes need to describe it. */
#ifndef OTLP2PARQUET_PARQUET_CHUNK_H
#define OTLP2PARQUET_PARQUET_CHUNK_H

#include <stdint.h>

#include "parquet/compress.h"
#include "parquet/dict.h"
#include "parquet/stats.h"
#include "parquet/writer.h"
#include "table/column.h"
#include "util/buf.h"
#include "util/err.h"

/* Encoding numbers of parquet.thrift. */
enum { PQ_ENC_PLAIN = 0, PQ_ENC_RLE = 3, PQ_ENC_RLE_DICTIONARY = 8 };
enum { PQ_PAGE_DATA = 0, PQ_PAGE_DICTIONARY = 2 };

/* Rows per data page at most: finer pages let readers skip more through the page index, at a
 * small cost in headers. */
#define PQ_PAGE_MAX_ROWS 20000u

/* Where each batch row's level entries and values start (nrows + 1 slots each); NULL means
 * row r is entry r and value r (a required top-level leaf, or levels without repetition). */
typedef struct {
    const uint32_t *lvl;
    const uint32_t *val;
} pq_colidx_t;

typedef struct {
    uint64_t offset;    /* file offset of the page header */
    uint32_t size;      /* header plus compressed body */
    uint64_t first_row; /* index within the row group */
    uint32_t nvals;     /* non-null values */
    pq_stats_t st;
} pq_page_t;

typedef struct {
    uint64_t num_values;   /* level entries */
    uint64_t uncompressed; /* all pages with their headers */
    uint64_t compressed;
    uint64_t dict_offset;  /* 0: no dictionary page */
    uint64_t data_offset;  /* first data page */
    uint32_t dict_entries;
    uint32_t dict_data_pages, plain_data_pages;
    pq_stats_t st;
    pq_page_t *pages;
    uint32_t npages, pcap;
    int column_index_ok; /* false when a page held only NaN (no valid bounds to index) */
    uint64_t column_index_offset, offset_index_offset;
    uint32_t column_index_len, offset_index_len;
} pq_chunk_t;

/* Scratch reused across every chunk of a file. */
typedef struct {
    const pq_options_t *opt;
    size_t page_bytes, dict_max_bytes;
    pq_compressor_t comp;
    pq_dict_t dict;
    buf_t body, zbody, zalt, hdr, data, def, rep, tmp;
    int zlevel; /* zstd level of the chunk's data pages; 0 until its first big page decides */
    uint32_t *idx;
    size_t idxcap;
    uint32_t stamp;
} pq_encoder_t;

/* opt must be valid (the writer checked it). */
int pq_encoder_init(pq_encoder_t *e, const pq_options_t *opt, err_t *err);
void pq_encoder_free(pq_encoder_t *e);
/* Readies an encoder of an earlier file for another with options opt: keeps its scratch, and
 * its compression context when codec and level are the same. On failure e holds nothing. */
int pq_encoder_reuse(pq_encoder_t *e, const pq_options_t *opt, err_t *err);
/* Drops scratch buffers grown past max_bytes, so a kept encoder holds little between files. */
void pq_encoder_trim(pq_encoder_t *e, size_t max_bytes);

/* Writes the chunk of column col for output rows [r0, r1) (batch row rows[i], or i when rows
 * is NULL), appending to out; offsets are taken relative to file_base. ch is filled (and must
 * be released with pq_chunk_free even on error). */
int pq_chunk_write(pq_encoder_t *e, const column_t *col, const pq_colidx_t *ix,
                   const uint32_t *rows, uint32_t r0, uint32_t r1, buf_t *out, size_t file_base,
                   pq_chunk_t *ch, err_t *err);
void pq_chunk_free(pq_chunk_t *ch);

/* A data page or dictionary page header (exposed for tests). */
int pq_page_header(buf_t *out, int page_type, uint32_t uncompressed, uint32_t compressed,
                   uint32_t num_values, int encoding);

#endif
