/* Protobuf wire format reader (https://protobuf.dev/programming-guides/encoding/), for the OTLP
 * decoders. It walks one message's fields in wire order without allocating; each call consumes
 * a whole field, so unknown fields of any wire type need no extra skipping by the caller.
 * Malformed input (truncation, over-long or overflowing varints, lengths past the end, invalid
 * wire types, stray or unterminated groups) is reported, never read past.
 *
 * Also here: the field path of the place being decoded, kept as a cheap stack of segments and
 * only formatted when an error message needs it. */
#ifndef OTLP2PARQUET_OTLP_PB_H
#define OTLP2PARQUET_OTLP_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_SGROUP = 3, PB_EGROUP = 4, PB_I32 = 5 };

typedef enum {
    PB_OK = 0,
    PB_E_TRUNCATED,      /* the message ends inside a field */
    PB_E_VARINT_LONG,    /* a varint of more than 10 bytes */
    PB_E_VARINT_OVERFLOW,/* a 10-byte varint with bits past the 64th */
    PB_E_TAG,            /* a tag that does not fit 32 bits */
    PB_E_FIELD0,         /* field number 0 */
    PB_E_WIRETYPE,       /* wire type 6 or 7 */
    PB_E_LENGTH,         /* a length-delimited field longer than what is left */
    PB_E_EGROUP,         /* an end-group with no matching start-group */
    PB_E_GROUP_DEPTH,    /* groups nested deeper than PB_MAX_GROUP_DEPTH */
} pb_errc_t;

/* Unknown (deprecated) groups are skipped with an explicit stack, no recursion. */
#define PB_MAX_GROUP_DEPTH 32

typedef struct {
    uint32_t num;     /* field number */
    uint8_t wt;       /* wire type */
    uint64_t u;       /* PB_VARINT, PB_I64, PB_I32: the value */
    const uint8_t *p; /* PB_LEN: the payload; PB_SGROUP: the group's contents */
    size_t n;
} pb_field_t;

typedef struct {
    const uint8_t *p, *end;
    /* why pb_next failed, for pb_errstr */
    pb_errc_t err;
    uint32_t err_num;   /* field number, when known */
    uint64_t err_len;   /* PB_E_LENGTH: the declared length */
    size_t err_left;    /* PB_E_LENGTH: bytes that were left */
} pb_reader_t;

static inline void pb_reader_init(pb_reader_t *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
    r->err = PB_OK;
}

/* Out of line: the slow paths. */
int pb_varint_slow(pb_reader_t *r, uint64_t *v);
int pb_skip_group(pb_reader_t *r, pb_field_t *f);

static inline int pb_fail_(pb_reader_t *r, pb_errc_t e, uint32_t num)
{
    r->err = e;
    r->err_num = num;
    return -1;
}

/* Reads a varint at r->p: 0, or -1 with r->err set. */
static inline int pb_varint(pb_reader_t *r, uint64_t *v)
{
    if (r->p < r->end && r->p[0] < 0x80) {
        *v = *r->p++;
        return 0;
    }
    /* two bytes: the lengths of most nested messages (records, bodies) */
    if (r->end - r->p >= 2 && r->p[1] < 0x80) {
        *v = (uint64_t)(r->p[0] & 0x7F) | (uint64_t)r->p[1] << 7;
        r->p += 2;
        return 0;
    }
    return pb_varint_slow(r, v);
}

/* The next field of the message: 1 and *f filled, 0 at the end, -1 when malformed. */
static inline int pb_next(pb_reader_t *r, pb_field_t *f)
{
    if (r->p >= r->end)
        return 0;
    /* the usual field: a one-byte tag (fields 1..15), length-delimited with a one-byte length,
     * all there; anything else (or anything wrong) takes the general path below */
    size_t avail = (size_t)(r->end - r->p);
    uint8_t t0 = r->p[0];
    if (avail >= 2 && t0 < 0x80 && (t0 & 7) == PB_LEN && t0 >= 8 && r->p[1] < 0x80 && r->p[1] <= avail - 2) {
        f->num = t0 >> 3;
        f->wt = PB_LEN;
        f->p = r->p + 2;
        f->n = r->p[1];
        r->p += 2 + f->n;
        return 1;
    }
    uint64_t tag;
    if (pb_varint(r, &tag))
        return -1;
    if (tag > UINT32_MAX)
        return pb_fail_(r, PB_E_TAG, 0);
    f->num = (uint32_t)(tag >> 3);
    f->wt = (uint8_t)(tag & 7);
    if (f->num == 0)
        return pb_fail_(r, PB_E_FIELD0, 0);
    size_t left;
    switch (f->wt) {
    case PB_VARINT:
        if (pb_varint(r, &f->u)) {
            r->err_num = f->num;
            return -1;
        }
        return 1;
    case PB_I64:
        if (r->end - r->p < 8)
            return pb_fail_(r, PB_E_TRUNCATED, f->num);
        /* little-endian on the wire, assembled bytewise so the host order does not matter */
        f->u = 0;
        for (int i = 7; i >= 0; i--)
            f->u = f->u << 8 | r->p[i];
        r->p += 8;
        return 1;
    case PB_I32:
        if (r->end - r->p < 4)
            return pb_fail_(r, PB_E_TRUNCATED, f->num);
        f->u = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
               (uint32_t)r->p[3] << 24;
        r->p += 4;
        return 1;
    case PB_LEN: {
        uint64_t n;
        if (pb_varint(r, &n)) {
            r->err_num = f->num;
            return -1;
        }
        left = (size_t)(r->end - r->p);
        if (n > left) {
            r->err_len = n;
            r->err_left = left;
            return pb_fail_(r, PB_E_LENGTH, f->num);
        }
        f->p = r->p;
        f->n = (size_t)n;
        r->p += n;
        return 1;
    }
    case PB_SGROUP:
        return pb_skip_group(r, f);
    case PB_EGROUP:
        return pb_fail_(r, PB_E_EGROUP, f->num);
    default:
        return pb_fail_(r, PB_E_WIRETYPE, f->num);
    }
}

/* An int64 field's value: the varint is the value's two's complement (no zigzag). */
static inline int64_t pb_int64(uint64_t u)
{
    int64_t v;
    memcpy(&v, &u, 8);
    return v;
}

/* An int32 or enum field's value: the low 32 bits as two's complement (negative values are
 * sign-extended to 10-byte varints on the wire). Also for fixed32 read as a signed int. */
static inline int32_t pb_int32(uint64_t u)
{
    uint32_t lo = (uint32_t)u;
    int32_t v;
    memcpy(&v, &lo, 4);
    return v;
}

/* Why the reader failed, e.g. "field 5: length 300 runs past the end (12 bytes left)". */
void pb_errstr(const pb_reader_t *r, char *out, size_t cap);
const char *pb_wire_name(uint8_t wt); /* "varint", "length-delimited", ... */

/* ---- field paths for error messages ---- */

#define PB_PATH_MAX 256
#define PB_NOIDX SIZE_MAX

typedef struct {
    const char *name; /* a static string: "resourceLogs", "attributes", "value", ... */
    size_t idx;       /* PB_NOIDX: no index */
} pb_seg_t;

typedef struct {
    size_t n; /* may pass PB_PATH_MAX; segments past it are counted, not kept */
    pb_seg_t seg[PB_PATH_MAX];
} pb_path_t;

static inline void pb_path_push(pb_path_t *p, const char *name, size_t idx)
{
    if (p->n < PB_PATH_MAX)
        p->seg[p->n] = (pb_seg_t){name, idx};
    p->n++;
}
static inline void pb_path_pop(pb_path_t *p) { p->n--; }

/* Writes the path as "resourceLogs[0].scopeLogs[1].logRecords[7].traceId" (eliding the middle of
 * very deep paths); returns the length. */
size_t pb_path_format(const pb_path_t *p, char *out, size_t cap);

/* err_set(ERR_INVALID, "<path>: <message>") (just the message when the path is empty); -1. */
int pb_path_fail(const pb_path_t *p, err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The reader's error at this path; -1. */
int pb_reader_fail(const pb_reader_t *r, const pb_path_t *p, err_t *err);
/* "<path>.<field>: wire type 0 (varint), want 2 (length-delimited)"; -1. */
int pb_wiretype_fail(pb_path_t *p, const char *field, size_t idx, uint8_t got, uint8_t want,
                     err_t *err);

#endif
