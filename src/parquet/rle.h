/* The RLE / bit-packed hybrid of the Parquet spec (levels, dictionary indexes) and the LSB-first
 * bit packing of PLAIN booleans. */
#ifndef OTLP2PARQUET_PARQUET_RLE_H
#define OTLP2PARQUET_PARQUET_RLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Bits needed for values 0..max (0 for max == 0). */
static inline int rle_bit_width(uint32_t max)
{
    int w = 0;
    while (max) {
        w++;
        max >>= 1;
    }
    return w;
}

/* Appends the hybrid encoding of v[0..n) at bit width bw (0..32; values must fit), without a
 * length prefix. Return 0, or -1 when memory runs out. */
int rle_encode_u8(buf_t *out, const uint8_t *v, size_t n, int bw);
int rle_encode_u32(buf_t *out, const uint32_t *v, size_t n, int bw);

/* The form data pages V1 use for levels: a 4-byte little-endian length, then the runs. */
int rle_encode_levels(buf_t *out, const uint8_t *v, size_t n, int bw);

/* PLAIN booleans: one bit per value (0 or 1 bytes in v), least significant bit first. */
int bitpack_bools(buf_t *out, const uint8_t *v, size_t n);

#endif
