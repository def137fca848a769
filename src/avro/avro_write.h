/* Avro 1.11 binary encoding and object container files (OCF), for Iceberg manifests and
 * manifest lists. Only what a writer needs: the caller encodes each datum field by field in
 * schema order with the primitives below (Avro binary data carries no field names or tags). */
#ifndef OTLP2PARQUET_AVRO_AVRO_WRITE_H
#define OTLP2PARQUET_AVRO_AVRO_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* Primitives; each returns 0, or -1 when memory runs out. null encodes to nothing. */
int avro_put_long(buf_t *b, int64_t v);  /* zigzag varint; int is the same encoding */
static inline int avro_put_int(buf_t *b, int32_t v) { return avro_put_long(b, v); }
int avro_put_bool(buf_t *b, int v);
int avro_put_float(buf_t *b, float v);   /* 4 bytes little-endian IEEE 754 */
int avro_put_double(buf_t *b, double v); /* 8 bytes little-endian IEEE 754 */
int avro_put_bytes(buf_t *b, const void *p, size_t n); /* long length, then the bytes */
int avro_put_string(buf_t *b, const char *s);           /* UTF-8, as bytes */
static inline int avro_put_fixed(buf_t *b, const void *p, size_t n) { return buf_append(b, p, n); }
/* A union value starts with the zero-based index of its branch. */
static inline int avro_put_union(buf_t *b, int branch) { return avro_put_long(b, branch); }
/* Arrays and maps: blocks of (count, items); an empty block ends them. Write
 * avro_put_block(b, n) before n > 0 items (map items are a string key, then the value), then
 * avro_put_block(b, 0) once. */
static inline int avro_put_block(buf_t *b, int64_t count) { return avro_put_long(b, count); }

typedef enum { AVRO_CODEC_NULL = 0, AVRO_CODEC_DEFLATE = 1 } avro_codec_t;

/* An OCF being written into out: header (magic "Obj\x01", metadata map with avro.schema,
 * avro.codec and the caller's keys, sync marker), then data blocks. Usage:
 *     avro_ocf_begin(&w, out, schema, codec, n, keys, vals, err);
 *     for each datum: encode it into w.datum, then avro_ocf_next(&w, err);
 *     avro_ocf_end(&w, err);
 * Memory: w.datum and the block buffer belong to w until avro_ocf_end (or avro_ocf_abort). */
typedef struct {
    buf_t *out;
    avro_codec_t codec;
    uint8_t sync[16];
    buf_t datum;       /* the datum being encoded: the caller appends here */
    buf_t block;       /* encoded datums of the current block */
    int64_t count;     /* datums in block */
    buf_t zbuf;        /* compressed block */
} avro_ocf_writer_t;

/* The sync marker is random (getrandom). keys/vals: n caller metadata entries (values are
 * strings here, stored as Avro bytes). */
int avro_ocf_begin(avro_ocf_writer_t *w, buf_t *out, const char *schema_json, avro_codec_t codec, int n,
                   const char *const *keys, const char *const *vals, err_t *err);
/* Moves the datum in w->datum into the current block, writing the block out when it is big. */
int avro_ocf_next(avro_ocf_writer_t *w, err_t *err);
/* Writes the last block and frees w's buffers (also when it fails). */
int avro_ocf_end(avro_ocf_writer_t *w, err_t *err);
/* Frees w's buffers without finishing the file. */
void avro_ocf_abort(avro_ocf_writer_t *w);

#endif
