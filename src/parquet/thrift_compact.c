#include "parquet/thrift_compact.h"

#include <string.h>

size_t tc_varint(uint8_t out[10], uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

static void put(tc_writer_t *w, const void *p, size_t n)
{
    if (!w->failed && buf_append(w->out, p, n))
        w->failed = 1;
}

static void put_u8(tc_writer_t *w, uint8_t b) { put(w, &b, 1); }

static void put_varint(tc_writer_t *w, uint64_t v)
{
    uint8_t tmp[10];
    put(w, tmp, tc_varint(tmp, v));
}

static void field_header(tc_writer_t *w, int16_t id, int type)
{
    int16_t last = w->last[w->depth];
    if (id > last && id - last <= 15)
        put_u8(w, (uint8_t)(((id - last) << 4) | type));
    else {
        put_u8(w, (uint8_t)type);
        put_varint(w, tc_zigzag32(id));
    }
    w->last[w->depth] = id;
}

void tc_init(tc_writer_t *w, buf_t *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

int tc_finish(tc_writer_t *w)
{
    if (w->depth != 0)
        w->failed = 1;
    put_u8(w, 0);
    return w->failed ? -1 : 0;
}

/* i8 is the one integer the compact protocol sends as a plain byte, not a zigzag varint. */
void tc_i8(tc_writer_t *w, int16_t id, int8_t v)
{
    field_header(w, id, TC_I8);
    put_u8(w, (uint8_t)v);
}

void tc_i16(tc_writer_t *w, int16_t id, int16_t v)
{
    field_header(w, id, TC_I16);
    put_varint(w, tc_zigzag32(v));
}

void tc_i32(tc_writer_t *w, int16_t id, int32_t v)
{
    field_header(w, id, TC_I32);
    put_varint(w, tc_zigzag32(v));
}

void tc_i64(tc_writer_t *w, int16_t id, int64_t v)
{
    field_header(w, id, TC_I64);
    put_varint(w, tc_zigzag64(v));
}

/* A bool field carries its value in the header's type nibble and has no body. */
void tc_bool(tc_writer_t *w, int16_t id, int v) { field_header(w, id, v ? TC_BOOL_TRUE : TC_BOOL_FALSE); }

void tc_binary(tc_writer_t *w, int16_t id, const void *p, size_t n)
{
    field_header(w, id, TC_BINARY);
    tc_elem_binary(w, p, n);
}

void tc_string(tc_writer_t *w, int16_t id, const char *s) { tc_binary(w, id, s, strlen(s)); }

static void push(tc_writer_t *w)
{
    if (w->depth + 1 >= TC_MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    w->depth++;
    w->last[w->depth] = 0;
}

void tc_struct_begin(tc_writer_t *w, int16_t id)
{
    field_header(w, id, TC_STRUCT);
    push(w);
}

void tc_elem_struct_begin(tc_writer_t *w) { push(w); }

void tc_struct_end(tc_writer_t *w)
{
    put_u8(w, 0);
    if (w->depth == 0)
        w->failed = 1;
    else
        w->depth--;
}

void tc_list_begin(tc_writer_t *w, int16_t id, int elem_type, uint32_t n)
{
    field_header(w, id, TC_LIST);
    if (n < 15)
        put_u8(w, (uint8_t)((n << 4) | (uint32_t)elem_type));
    else {
        put_u8(w, (uint8_t)(0xF0 | elem_type));
        put_varint(w, n);
    }
}

void tc_elem_i32(tc_writer_t *w, int32_t v) { put_varint(w, tc_zigzag32(v)); }
void tc_elem_i64(tc_writer_t *w, int64_t v) { put_varint(w, tc_zigzag64(v)); }

/* Elements of a bool list take one byte each. The Java and C++ Thrift libraries, which wrote
 * nearly every Parquet file there is, use 1 for true and 2 for false and read "== 1" as true;
 * some readers reject anything but 1 and 2, so we match them rather than the 1/0 of the spec. */
void tc_elem_bool(tc_writer_t *w, int v) { put_u8(w, v ? TC_BOOL_TRUE : TC_BOOL_FALSE); }

void tc_elem_binary(tc_writer_t *w, const void *p, size_t n)
{
    put_varint(w, n);
    put(w, p, n);
}
