/* Thrift compact protocol, write side only: just what a Parquet footer, page headers and page
 * indexes need. Errors are sticky (the first failed allocation marks the writer failed, later
 * calls do nothing), so serializers can emit a whole struct and check once at the end. */
#ifndef OTLP2PARQUET_PARQUET_THRIFT_COMPACT_H
#define OTLP2PARQUET_PARQUET_THRIFT_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Compact type codes, as they appear in field headers and list headers. */
enum {
    TC_BOOL_TRUE = 1,
    TC_BOOL_FALSE = 2,
    TC_I8 = 3,
    TC_I16 = 4,
    TC_I32 = 5,
    TC_I64 = 6,
    TC_DOUBLE = 7,
    TC_BINARY = 8,
    TC_LIST = 9,
    TC_STRUCT = 12,
};

#define TC_MAX_DEPTH 16

typedef struct {
    buf_t *out;
    int depth;                 /* nesting of structs; 0 is the outermost struct */
    int16_t last[TC_MAX_DEPTH]; /* previous field id at each depth, for the field-id deltas */
    int failed;
} tc_writer_t;

static inline uint32_t tc_zigzag32(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }
static inline uint64_t tc_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
/* ULEB128 into out (10 bytes at most); returns the byte count. */
size_t tc_varint(uint8_t out[10], uint64_t v);

/* Starts the outermost struct; tc_finish writes its stop byte and returns 0, or -1 when memory
 * ran out or the calls were unbalanced somewhere. */
void tc_init(tc_writer_t *w, buf_t *out);
int tc_finish(tc_writer_t *w);

/* Struct fields. Ids must increase within a struct (the delta form needs it and the Parquet
 * structs are written in id order anyway). */
void tc_i8(tc_writer_t *w, int16_t id, int8_t v);
void tc_i16(tc_writer_t *w, int16_t id, int16_t v);
void tc_i32(tc_writer_t *w, int16_t id, int32_t v);
void tc_i64(tc_writer_t *w, int16_t id, int64_t v);
void tc_bool(tc_writer_t *w, int16_t id, int v);
void tc_binary(tc_writer_t *w, int16_t id, const void *p, size_t n);
void tc_string(tc_writer_t *w, int16_t id, const char *s);
void tc_struct_begin(tc_writer_t *w, int16_t id);
void tc_struct_end(tc_writer_t *w); /* also ends a struct begun by tc_elem_struct_begin */
void tc_list_begin(tc_writer_t *w, int16_t id, int elem_type, uint32_t n);

/* List elements (no headers). */
void tc_elem_i32(tc_writer_t *w, int32_t v);
void tc_elem_i64(tc_writer_t *w, int64_t v);
void tc_elem_bool(tc_writer_t *w, int v);
void tc_elem_binary(tc_writer_t *w, const void *p, size_t n);
void tc_elem_struct_begin(tc_writer_t *w);

#endif
