/* Page compression: ZSTD (one context per encoder, reused for every page and, as the writer
 * keeps an encoder per thread, every file), SNAPPY, or none. */
#ifndef OTLP2PARQUET_PARQUET_COMPRESS_H
#define OTLP2PARQUET_PARQUET_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "parquet/writer.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct {
    pq_codec_t codec;
    int level;  /* the level asked for */
    int zlevel; /* the level zctx is set to */
    void *zctx; /* ZSTD_CCtx */
} pq_compressor_t;

int pq_compressor_init(pq_compressor_t *c, pq_codec_t codec, int zstd_level, err_t *err);
void pq_compressor_free(pq_compressor_t *c);
/* Appends the compressed form of src[0..n) to out. */
int pq_compress(pq_compressor_t *c, const uint8_t *src, size_t n, buf_t *out, err_t *err);
/* The same at another zstd level (other codecs ignore it). */
int pq_compress_at(pq_compressor_t *c, int zstd_level, const uint8_t *src, size_t n, buf_t *out, err_t *err);
const char *pq_codec_name(pq_codec_t codec);

#endif
