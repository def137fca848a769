#include "avro/avro_write.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/gzip.h"

/* A block is written once its datums pass this many bytes: big enough to compress well, small
 * enough that a reader never holds much. */
#define OCF_BLOCK_BYTES (256 * 1024)

int avro_put_long(buf_t *b, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); /* zigzag: sign into the low bit */
    uint8_t tmp[10];
    size_t n = 0;
    while (z >= 0x80) {
        tmp[n++] = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    tmp[n++] = (uint8_t)z;
    return buf_append(b, tmp, n);
}

int avro_put_bool(buf_t *b, int v) { return buf_put_u8(b, v ? 1 : 0); }

int avro_put_float(buf_t *b, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    return buf_put_u32le(b, bits);
}

int avro_put_double(buf_t *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    return buf_put_u64le(b, bits);
}

int avro_put_bytes(buf_t *b, const void *p, size_t n)
{
    if (avro_put_long(b, (int64_t)n))
        return -1;
    return buf_append(b, p, n);
}

int avro_put_string(buf_t *b, const char *s) { return avro_put_bytes(b, s, strlen(s)); }

static int nomem(err_t *err) { return err_set(err, ERR_NOMEM, "avro: out of memory"); }

int avro_ocf_begin(avro_ocf_writer_t *w, buf_t *out, const char *schema_json, avro_codec_t codec, int n,
                   const char *const *keys, const char *const *vals, err_t *err)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->codec = codec;
    if (getrandom(w->sync, sizeof w->sync, 0) != (ssize_t)sizeof w->sync) {
        /* only a marker that cannot occur by chance in the data; time bits do in a pinch */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        for (size_t i = 0; i < sizeof w->sync; i++)
            w->sync[i] = (uint8_t)((uint64_t)ts.tv_nsec >> (i % 4 * 8)) ^ (uint8_t)(ts.tv_sec >> (i % 8));
    }
    const char *codec_name = codec == AVRO_CODEC_DEFLATE ? "deflate" : "null";
    size_t start = out->len;
    int rc = buf_append(out, "Obj\x01", 4) || avro_put_block(out, 2 + n) || avro_put_string(out, "avro.schema") ||
             avro_put_string(out, schema_json) || avro_put_string(out, "avro.codec") ||
             avro_put_string(out, codec_name);
    for (int i = 0; i < n && !rc; i++)
        rc = avro_put_string(out, keys[i]) || avro_put_string(out, vals[i] ? vals[i] : "");
    rc = rc || avro_put_block(out, 0) || buf_append(out, w->sync, sizeof w->sync);
    if (rc) {
        out->len = start;
        return nomem(err);
    }
    return 0;
}

static int flush_block(avro_ocf_writer_t *w, err_t *err)
{
    if (w->count == 0)
        return 0;
    const buf_t *data = &w->block;
    if (w->codec == AVRO_CODEC_DEFLATE) {
        buf_clear(&w->zbuf);
        if (deflate_raw_compress(w->block.data, w->block.len, -1, &w->zbuf, err))
            return err_prefix(err, "avro block");
        data = &w->zbuf;
    }
    size_t start = w->out->len;
    if (avro_put_long(w->out, w->count) || avro_put_long(w->out, (int64_t)data->len) ||
        buf_append(w->out, data->data, data->len) || buf_append(w->out, w->sync, sizeof w->sync)) {
        w->out->len = start;
        return nomem(err);
    }
    buf_clear(&w->block);
    w->count = 0;
    return 0;
}

int avro_ocf_next(avro_ocf_writer_t *w, err_t *err)
{
    if (buf_append(&w->block, w->datum.data, w->datum.len))
        return nomem(err);
    buf_clear(&w->datum);
    w->count++;
    return w->block.len >= OCF_BLOCK_BYTES ? flush_block(w, err) : 0;
}

void avro_ocf_abort(avro_ocf_writer_t *w)
{
    buf_free(&w->datum);
    buf_free(&w->block);
    buf_free(&w->zbuf);
}

int avro_ocf_end(avro_ocf_writer_t *w, err_t *err)
{
    int rc = flush_block(w, err);
    avro_ocf_abort(w);
    return rc;
}
