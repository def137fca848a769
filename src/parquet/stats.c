#include "parquet/stats.h"

#include "util/utf8.h"

#include "table/schema.h"

void stats_merge(pq_stats_t *dst, const pq_stats_t *src, int type)
{
    dst->nulls += src->nulls;
    dst->nans += src->nans;
    if (!src->has)
        return;
    switch (type) {
    case PT_DOUBLE:
        if (!dst->has) {
            dst->dmin = src->dmin;
            dst->dmax = src->dmax;
        } else {
            if (stats_f64_less(src->dmin, dst->dmin))
                dst->dmin = src->dmin;
            if (stats_f64_less(dst->dmax, src->dmax))
                dst->dmax = src->dmax;
        }
        break;
    case PT_BYTE_ARRAY:
        if (!dst->has || stats_str_cmp(src->smin, src->sminlen, dst->smin, dst->sminlen) < 0) {
            dst->smin = src->smin;
            dst->sminlen = src->sminlen;
        }
        if (!dst->has || stats_str_cmp(src->smax, src->smaxlen, dst->smax, dst->smaxlen) > 0) {
            dst->smax = src->smax;
            dst->smaxlen = src->smaxlen;
        }
        break;
    default:
        if (!dst->has || src->imin < dst->imin)
            dst->imin = src->imin;
        if (!dst->has || src->imax > dst->imax)
            dst->imax = src->imax;
        break;
    }
    dst->has = 1;
}

/* The longest prefix of whole characters within limit bytes; -1 when the text up to there is
 * not valid UTF-8 (the caller then cuts bytes). */
static long utf8_prefix(const uint8_t *p, size_t n, size_t limit)
{
    size_t at = 0;
    while (at < n) {
        uint32_t cp;
        size_t len = utf8_decode(p + at, n - at, &cp);
        if (!len)
            return -1;
        if (at + len > limit)
            break;
        at += len;
    }
    return (long)at;
}

size_t stats_trunc_min(const uint8_t *p, size_t n, size_t limit, uint8_t *out)
{
    if (n <= limit) {
        if (n)
            memcpy(out, p, n);
        return n;
    }
    long cut = utf8_prefix(p, n, limit);
    size_t len = cut < 0 ? limit : (size_t)cut;
    memcpy(out, p, len);
    return len; /* 0 is still a valid lower bound: the empty string */
}

size_t stats_trunc_max(const uint8_t *p, size_t n, size_t limit, uint8_t *out)
{
    if (n <= limit) {
        if (n)
            memcpy(out, p, n);
        return n;
    }
    long cut = utf8_prefix(p, n, limit);
    if (cut >= 0) {
        /* Raise the last character by one code point; UTF-8 keeps code point order under byte
         * comparison and no encoding is a prefix of another, so the result is above every
         * string that starts with the kept prefix. */
        size_t end = (size_t)cut;
        while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && (p[start] & 0xC0) == 0x80)
                start--;
            uint32_t cp;
            utf8_decode(p + start, end - start, &cp);
            uint32_t next = cp + 1 == 0xD800 ? 0xE000 : cp + 1;
            if (next <= 0x10FFFF) {
                memcpy(out, p, start);
                return start + utf8_encode(out + start, next);
            }
            end = start;
        }
        return 0;
    }
    /* Not UTF-8: raise the last byte below 0xFF and drop what follows it. */
    size_t end = limit;
    while (end > 0 && p[end - 1] == 0xFF)
        end--;
    if (end == 0)
        return 0;
    memcpy(out, p, end);
    out[end - 1]++;
    return end;
}

static int put_le(buf_t *out, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return buf_append(out, b, n);
}

static int put_f64(buf_t *out, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return put_le(out, bits, 8);
}

static int put_bound(const pq_stats_t *s, int type, size_t limit, buf_t *out, int *exact, int is_max)
{
    if (exact)
        *exact = 1;
    switch (type) {
    case PT_BOOLEAN:
        return put_le(out, (uint64_t)(is_max ? s->imax : s->imin), 1);
    case PT_INT32:
        return put_le(out, (uint64_t)(uint32_t)(int32_t)(is_max ? s->imax : s->imin), 4);
    case PT_INT64:
        return put_le(out, (uint64_t)(is_max ? s->imax : s->imin), 8);
    case PT_DOUBLE: {
        double d = is_max ? s->dmax : s->dmin;
        if (limit && d == 0) /* the spec's rule, so readers need not guess the sign of zero */
            d = is_max ? 0.0 : -0.0;
        return put_f64(out, d);
    }
    case PT_BYTE_ARRAY: {
        const uint8_t *p = is_max ? s->smax : s->smin;
        size_t n = is_max ? s->smaxlen : s->sminlen;
        if (limit && n > limit) {
            if (buf_reserve(out, limit + 4))
                return -1;
            uint8_t *dst = out->data + out->len;
            size_t len = is_max ? stats_trunc_max(p, n, limit, dst) : stats_trunc_min(p, n, limit, dst);
            if (len || !is_max) {
                out->len += len;
                if (exact)
                    *exact = 0;
                return 0;
            }
            /* no shorter upper bound exists (a run of 0xFF or U+10FFFF): keep it whole */
        }
        return buf_append(out, p, n);
    }
    }
    return 0;
}

int stats_min_bytes(const pq_stats_t *s, int type, size_t limit, buf_t *out, int *exact)
{
    return put_bound(s, type, limit, out, exact, 0);
}

int stats_max_bytes(const pq_stats_t *s, int type, size_t limit, buf_t *out, int *exact)
{
    return put_bound(s, type, limit, out, exact, 1);
}
