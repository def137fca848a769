#include "parquet/compress.h"

#include <snappy-c.h>
#include <string.h>
#include <zstd.h>

const char *pq_codec_name(pq_codec_t codec)
{
    switch (codec) {
    case PQ_UNCOMPRESSED: return "uncompressed";
    case PQ_SNAPPY: return "snappy";
    case PQ_ZSTD: return "zstd";
    }
    return "unknown";
}

int pq_compressor_init(pq_compressor_t *c, pq_codec_t codec, int zstd_level, err_t *err)
{
    memset(c, 0, sizeof *c);
    c->codec = codec;
    c->level = c->zlevel = zstd_level;
    switch (codec) {
    case PQ_UNCOMPRESSED:
    case PQ_SNAPPY:
        return 0;
    case PQ_ZSTD:
        if (zstd_level < ZSTD_minCLevel() || zstd_level > ZSTD_maxCLevel())
            return err_set(err, ERR_CONFIG, "parquet: zstd level %d outside %d..%d", zstd_level,
                           ZSTD_minCLevel(), ZSTD_maxCLevel());
        c->zctx = ZSTD_createCCtx();
        if (!c->zctx)
            return err_set(err, ERR_NOMEM, "parquet: out of memory creating a zstd context");
        size_t r = ZSTD_CCtx_setParameter(c->zctx, ZSTD_c_compressionLevel, zstd_level);
        if (ZSTD_isError(r)) {
            err_set(err, ERR_CONFIG, "parquet: zstd level %d: %s", zstd_level, ZSTD_getErrorName(r));
            pq_compressor_free(c);
            return -1;
        }
        return 0;
    }
    return err_set(err, ERR_CONFIG, "parquet: unsupported compression codec %d", (int)codec);
}

void pq_compressor_free(pq_compressor_t *c)
{
    if (c->zctx)
        ZSTD_freeCCtx(c->zctx);
    c->zctx = NULL;
}

int pq_compress(pq_compressor_t *c, const uint8_t *src, size_t n, buf_t *out, err_t *err)
{
    return pq_compress_at(c, c->level, src, n, out, err);
}

int pq_compress_at(pq_compressor_t *c, int zstd_level, const uint8_t *src, size_t n, buf_t *out, err_t *err)
{
    static const uint8_t empty[1];
    if (!src)
        src = empty; /* an empty page: the codecs still want a valid pointer */
    switch (c->codec) {
    case PQ_UNCOMPRESSED:
        if (buf_append(out, src, n))
            return err_set(err, ERR_NOMEM, "parquet: out of memory");
        return 0;
    case PQ_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        if (buf_reserve(out, cap))
            return err_set(err, ERR_NOMEM, "parquet: out of memory compressing a %zu-byte page", n);
        size_t len = cap;
        if (snappy_compress((const char *)src, n, (char *)out->data + out->len, &len) != SNAPPY_OK)
            return err_set(err, ERR_INTERNAL, "parquet: snappy failed on a %zu-byte page", n);
        out->len += len;
        return 0;
    }
    case PQ_ZSTD: {
        if (zstd_level != c->zlevel) {
            size_t r = ZSTD_CCtx_setParameter(c->zctx, ZSTD_c_compressionLevel, zstd_level);
            if (ZSTD_isError(r))
                return err_set(err, ERR_INTERNAL, "parquet: zstd level %d: %s", zstd_level, ZSTD_getErrorName(r));
            c->zlevel = zstd_level;
        }
        size_t cap = ZSTD_compressBound(n);
        if (buf_reserve(out, cap))
            return err_set(err, ERR_NOMEM, "parquet: out of memory compressing a %zu-byte page", n);
        size_t r = ZSTD_compress2(c->zctx, out->data + out->len, cap, src, n);
        if (ZSTD_isError(r))
            return err_set(err, ERR_INTERNAL, "parquet: zstd failed on a %zu-byte page: %s", n,
                           ZSTD_getErrorName(r));
        out->len += r;
        return 0;
    }
    }
    return err_set(err, ERR_INTERNAL, "parquet: unsupported compression codec %d", (int)c->codec);
}
