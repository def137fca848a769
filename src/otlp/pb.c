#include "otlp/pb.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

int pb_varint_slow(pb_reader_t *r, uint64_t *v)
{
    uint64_t x = 0;
    const uint8_t *p = r->p;
    for (int i = 0; i < 10; i++) {
        if (p >= r->end)
            return pb_fail_(r, PB_E_TRUNCATED, 0);
        uint8_t b = *p++;
        if (i == 9) {
            /* the 10th byte carries bit 63 only: anything more does not fit 64 bits, and a
             * continuation bit would make the varint longer than any encoder writes */
            if (b & 0x80)
                return pb_fail_(r, PB_E_VARINT_LONG, 0);
            if (b > 1)
                return pb_fail_(r, PB_E_VARINT_OVERFLOW, 0);
        }
        x |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            r->p = p;
            *v = x;
            return 0;
        }
    }
    return pb_fail_(r, PB_E_VARINT_LONG, 0); /* not reached: the 10th byte decides */
}

/* Skips a group (wire types 3/4, deprecated but valid protobuf) up to its matching end-group,
 * nested groups included, with a bounded explicit stack. */
int pb_skip_group(pb_reader_t *r, pb_field_t *f)
{
    uint32_t stack[PB_MAX_GROUP_DEPTH];
    int depth = 0;
    stack[depth++] = f->num;
    const uint8_t *start = r->p;
    while (depth > 0) {
        if (r->p >= r->end)
            return pb_fail_(r, PB_E_TRUNCATED, stack[0]);
        uint64_t tag;
        if (pb_varint(r, &tag))
            return -1;
        if (tag > UINT32_MAX)
            return pb_fail_(r, PB_E_TAG, 0);
        uint32_t num = (uint32_t)(tag >> 3);
        uint8_t wt = (uint8_t)(tag & 7);
        if (num == 0)
            return pb_fail_(r, PB_E_FIELD0, 0);
        const uint8_t *before = r->p;
        uint64_t v;
        switch (wt) {
        case PB_VARINT:
            if (pb_varint(r, &v)) {
                r->err_num = num;
                return -1;
            }
            break;
        case PB_I64:
        case PB_I32: {
            size_t w = wt == PB_I64 ? 8 : 4;
            if ((size_t)(r->end - r->p) < w)
                return pb_fail_(r, PB_E_TRUNCATED, num);
            r->p += w;
            break;
        }
        case PB_LEN:
            if (pb_varint(r, &v)) {
                r->err_num = num;
                return -1;
            }
            if (v > (uint64_t)(r->end - r->p)) {
                r->err_len = v;
                r->err_left = (size_t)(r->end - r->p);
                return pb_fail_(r, PB_E_LENGTH, num);
            }
            r->p += v;
            break;
        case PB_SGROUP:
            if (depth == PB_MAX_GROUP_DEPTH)
                return pb_fail_(r, PB_E_GROUP_DEPTH, num);
            stack[depth++] = num;
            break;
        case PB_EGROUP:
            if (stack[depth - 1] != num)
                return pb_fail_(r, PB_E_EGROUP, num);
            depth--;
            if (depth == 0) {
                f->p = start;
                /* the contents end where this end-group tag began */
                size_t taglen = 1;
                for (uint64_t t = tag; t >= 0x80; t >>= 7)
                    taglen++;
                f->n = (size_t)(before - taglen - start);
                return 1;
            }
            break;
        default:
            return pb_fail_(r, PB_E_WIRETYPE, num);
        }
    }
    return 1; /* not reached */
}

const char *pb_wire_name(uint8_t wt)
{
    switch (wt) {
    case PB_VARINT: return "varint";
    case PB_I64: return "fixed64";
    case PB_LEN: return "length-delimited";
    case PB_SGROUP: return "start-group";
    case PB_EGROUP: return "end-group";
    case PB_I32: return "fixed32";
    default: return "invalid";
    }
}

void pb_errstr(const pb_reader_t *r, char *out, size_t cap)
{
    char field[32] = "";
    if (r->err_num)
        snprintf(field, sizeof field, "field %" PRIu32 ": ", r->err_num);
    switch (r->err) {
    case PB_E_TRUNCATED:
        snprintf(out, cap, "%struncated message", field);
        break;
    case PB_E_VARINT_LONG:
        snprintf(out, cap, "%svarint longer than 10 bytes", field);
        break;
    case PB_E_VARINT_OVERFLOW:
        snprintf(out, cap, "%svarint overflows 64 bits", field);
        break;
    case PB_E_TAG:
        snprintf(out, cap, "invalid tag (field number too large)");
        break;
    case PB_E_FIELD0:
        snprintf(out, cap, "invalid field number 0");
        break;
    case PB_E_WIRETYPE:
        snprintf(out, cap, "%sinvalid wire type", field);
        break;
    case PB_E_LENGTH:
        snprintf(out, cap, "%slength %" PRIu64 " runs past the end of the message (%zu bytes left)",
                 field, r->err_len, r->err_left);
        break;
    case PB_E_EGROUP:
        snprintf(out, cap, "%send-group without a matching start-group", field);
        break;
    case PB_E_GROUP_DEPTH:
        snprintf(out, cap, "%sgroups nested deeper than %d", field, PB_MAX_GROUP_DEPTH);
        break;
    default:
        snprintf(out, cap, "malformed protobuf");
    }
}

static size_t seg_format(const pb_seg_t *s, int dot, char *out, size_t cap)
{
    int n = s->idx == PB_NOIDX ? snprintf(out, cap, "%s%s", dot ? "." : "", s->name)
                               : snprintf(out, cap, "%s%s[%zu]", dot ? "." : "", s->name, s->idx);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

size_t pb_path_format(const pb_path_t *p, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    out[0] = 0;
    size_t kept = p->n < PB_PATH_MAX ? p->n : PB_PATH_MAX;
    /* A path through 64 nested kvlists is thousands of characters; the start (which record)
     * and the end (which value) matter, so keep those and elide the middle. */
    const size_t head_max = 8, tail_max = 12;
    size_t o = 0;
    for (size_t i = 0; i < kept; i++) {
        if (kept > head_max + tail_max && i == head_max) {
            o += (size_t)snprintf(out + o, cap - o, ".(%zu more)", kept - head_max - tail_max);
            if (o >= cap) {
                o = cap - 1;
                break;
            }
            i = kept - tail_max - 1;
            continue;
        }
        o += seg_format(&p->seg[i], i > 0, out + o, cap - o);
        if (o + 1 >= cap)
            break;
    }
    return o;
}

int pb_path_fail(const pb_path_t *p, err_t *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char path[480];
    size_t n = pb_path_format(p, path, sizeof path);
    if (n)
        return err_set(err, ERR_INVALID, "%s: %s", path, what);
    return err_set(err, ERR_INVALID, "%s", what);
}

int pb_reader_fail(const pb_reader_t *r, const pb_path_t *p, err_t *err)
{
    char what[160];
    pb_errstr(r, what, sizeof what);
    return pb_path_fail(p, err, "%s", what);
}

int pb_wiretype_fail(pb_path_t *p, const char *field, size_t idx, uint8_t got, uint8_t want,
                     err_t *err)
{
    pb_path_push(p, field, idx);
    pb_path_fail(p, err, "wire type %u (%s), want %u (%s)", got, pb_wire_name(got), want,
                 pb_wire_name(want));
    pb_path_pop(p);
    return -1;
}
