/* Test helper (fuzz_otlp_json.c, test_otlp_json.c): walks protobuf bytes that otlp_json_to_pb
 * wrote, with the descriptor tables, and checks what the transcoder promises of its output:
 * every length consistent (each nested message parses to its exact end), every field known
 * with the wire type of its kind, numeric repeated fields packed, varints and length prefixes
 * minimal, strings UTF-8, ids 16 or 8 bytes, 32-bit values in range, at most one oneof member
 * per message, and no implicit-presence scalar written at its default value.
 * Recursive, which is fine here: the output nests no deeper than the JSON did (<= 128). */
#ifndef OTLP2PARQUET_TESTS_PB_WALK_H
#define OTLP2PARQUET_TESTS_PB_WALK_H

#include <stdio.h>
#include <string.h>

#include "otlp/desc.h"
#include "otlp/pb.h"
#include "util/utf8.h"

static size_t pbw_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80)
        v >>= 7, n++;
    return n;
}

static int pbw_fail(char *why, size_t cap, const od_msg_t *m, uint32_t num, const char *what)
{
    snprintf(why, cap, "%s field %u: %s", m->name, num, what);
    return -1;
}

static int pbw_check(const od_msg_t *m, const uint8_t *p, size_t n, int depth, char *why, size_t cap)
{
    if (depth > 200)
        return pbw_fail(why, cap, m, 0, "nested too deep");
    pb_reader_t r;
    pb_reader_init(&r, p, n);
    pb_field_t f;
    const od_field_t *oneof = NULL;
    const uint8_t *start = r.p;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        const od_field_t *d = od_by_num(m, f.num);
        if (!d)
            return pbw_fail(why, cap, m, f.num, "unknown field");
        bool packed = (d->flags & OD_REPEATED) && od_wire_type((od_kind_t)d->kind) != PB_LEN;
        int want = packed ? PB_LEN : od_wire_type((od_kind_t)d->kind);
        if (f.wt != want)
            return pbw_fail(why, cap, m, f.num, "wrong wire type");
        size_t used = (size_t)(r.p - start), taglen = pbw_varint_len((uint64_t)f.num << 3 | f.wt);
        size_t expect = taglen + (f.wt == PB_VARINT ? pbw_varint_len(f.u)
                                  : f.wt == PB_I64  ? 8
                                  : f.wt == PB_I32  ? 4
                                                    : pbw_varint_len(f.n) + f.n);
        if (used != expect)
            return pbw_fail(why, cap, m, f.num, "not minimally encoded");
        start = r.p;
        if (d->flags & OD_ONEOF) {
            if (oneof && oneof != d)
                return pbw_fail(why, cap, m, f.num, "two members of a oneof");
            oneof = d;
        }
        bool always = (d->flags & (OD_REPEATED | OD_PRESENCE)) || d->kind == OD_MESSAGE;
        if (packed) {
            if (f.n == 0)
                return pbw_fail(why, cap, m, f.num, "empty packed field");
            int w = od_wire_type((od_kind_t)d->kind);
            if (w == PB_I64 && f.n % 8)
                return pbw_fail(why, cap, m, f.num, "packed fixed64 length not a multiple of 8");
            if (w == PB_I32 && f.n % 4)
                return pbw_fail(why, cap, m, f.num, "packed fixed32 length not a multiple of 4");
            if (w == PB_VARINT) {
                pb_reader_t pr;
                pb_reader_init(&pr, f.p, f.n);
                while (pr.p < pr.end) {
                    const uint8_t *b = pr.p;
                    uint64_t v;
                    if (pb_varint(&pr, &v) || (size_t)(pr.p - b) != pbw_varint_len(v))
                        return pbw_fail(why, cap, m, f.num, "bad packed varint");
                }
            }
            continue;
        }
        switch (d->kind) {
        case OD_MESSAGE:
            if (pbw_check(d->msg, f.p, f.n, depth + 1, why, cap))
                return -1;
            break;
        case OD_STRING:
            if (!utf8_valid(f.p, f.n))
                return pbw_fail(why, cap, m, f.num, "invalid UTF-8");
            /* fall through */
        case OD_BYTES:
            if (!always && f.n == 0)
                return pbw_fail(why, cap, m, f.num, "empty value written");
            break;
        case OD_TRACE_ID:
        case OD_SPAN_ID:
            if (f.n != (d->kind == OD_TRACE_ID ? 16u : 8u))
                return pbw_fail(why, cap, m, f.num, "id of the wrong length");
            break;
        case OD_INT32:
        case OD_ENUM:
            /* sign-extended: 0..INT32_MAX or 2^64-2^31..2^64-1 */
            if (f.u > INT32_MAX && f.u < 0xFFFFFFFF80000000ull)
                return pbw_fail(why, cap, m, f.num, "int32 out of range");
            /* fall through */
        default:
            if (f.wt == PB_VARINT && (d->kind == OD_UINT32 || d->kind == OD_SINT32) && f.u > UINT32_MAX)
                return pbw_fail(why, cap, m, f.num, "32-bit varint out of range");
            if (d->kind == OD_BOOL && f.u > 1)
                return pbw_fail(why, cap, m, f.num, "bool not 0 or 1");
            if (!always && f.u == 0)
                return pbw_fail(why, cap, m, f.num, "default value written");
            break;
        }
    }
    if (rc < 0) {
        char e[160];
        pb_errstr(&r, e, sizeof e);
        snprintf(why, cap, "%s: %s", m->name, e);
        return -1;
    }
    return 0;
}

#endif
