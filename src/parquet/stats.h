/* Minimum, maximum, null and NaN counts of a page, a column chunk or a whole column, in the
 * order Parquet defines for the physical type (TypeDefinedOrder): signed integers, false <
 * true, doubles by value with NaN left out, strings by unsigned bytes. String bounds point into
 * the batch, so tracking them costs no copy and they stay exact; truncation happens only when
 * bounds are written into a footer or a column index. */
#ifndef OTLP2PARQUET_PARQUET_STATS_H
#define OTLP2PARQUET_PARQUET_STATS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/buf.h"

/* Bounds longer than these are truncated: in column chunk statistics (flagged inexact) and in
 * column indexes (which have no exactness flags; a prefix and an incremented prefix are valid
 * bounds there by definition). */
#define PQ_STATS_MAX_BOUND 256
#define PQ_INDEX_MAX_BOUND 64

typedef struct {
    uint64_t nulls;
    uint64_t nans;
    int has; /* min and max hold a value */
    int64_t imin, imax; /* BOOLEAN, INT32, INT64 */
    double dmin, dmax;  /* DOUBLE; -0.0 counts as below +0.0 so both bounds stay exact */
    const uint8_t *smin, *smax;
    uint32_t sminlen, smaxlen;
} pq_stats_t;

static inline void stats_clear(pq_stats_t *s) { memset(s, 0, sizeof *s); }

/* Unsigned byte order, a prefix before its extensions. */
static inline int stats_str_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int r = n ? memcmp(a, b, n) : 0;
    if (r)
        return r;
    return (an > bn) - (an < bn);
}

/* a < b for non-NaN doubles, with -0.0 < +0.0. */
static inline int stats_f64_less(double a, double b)
{
    return a < b || (a == b && signbit(a) && !signbit(b));
}

static inline void stats_int(pq_stats_t *s, int64_t v)
{
    if (!s->has) {
        s->has = 1;
        s->imin = s->imax = v;
    } else if (v < s->imin)
        s->imin = v;
    else if (v > s->imax)
        s->imax = v;
}

static inline void stats_f64(pq_stats_t *s, double v)
{
    if (isnan(v)) {
        s->nans++;
        return;
    }
    if (!s->has) {
        s->has = 1;
        s->dmin = s->dmax = v;
    } else if (stats_f64_less(v, s->dmin))
        s->dmin = v;
    else if (stats_f64_less(s->dmax, v))
        s->dmax = v;
}

static inline void stats_str(pq_stats_t *s, const uint8_t *p, uint32_t n)
{
    if (!s->has) {
        s->has = 1;
        s->smin = s->smax = p;
        s->sminlen = s->smaxlen = n;
    } else if (stats_str_cmp(p, n, s->smin, s->sminlen) < 0) {
        s->smin = p;
        s->sminlen = n;
    } else if (stats_str_cmp(p, n, s->smax, s->smaxlen) > 0) {
        s->smax = p;
        s->smaxlen = n;
    }
}

/* Folds src into dst (type: phys_t). */
void stats_merge(pq_stats_t *dst, const pq_stats_t *src, int type);

/* The bounds as PLAIN bytes (little-endian numbers, raw string bytes), appended to out.
 * limit == 0: exact (what Iceberg manifests get). Otherwise as written to Parquet: a zero min
 * becomes -0.0 and a zero max +0.0, and strings longer than limit are cut (the min to a prefix,
 * the max to a prefix with its last character incremented) on UTF-8 character boundaries when
 * the value is valid UTF-8. *exact (may be NULL) tells whether the bound is the value itself.
 * s->has must be set. Return 0, or -1 when memory runs out. */
int stats_min_bytes(const pq_stats_t *s, int type, size_t limit, buf_t *out, int *exact);
int stats_max_bytes(const pq_stats_t *s, int type, size_t limit, buf_t *out, int *exact);

/* The string helpers behind the truncation, exposed for tests. Both return the length written
 * to out (at most limit + 4 bytes for the max), or 0 when no shorter bound exists (the value is
 * then used whole). */
size_t stats_trunc_min(const uint8_t *p, size_t n, size_t limit, uint8_t *out);
size_t stats_trunc_max(const uint8_t *p, size_t n, size_t limit, uint8_t *out);

#endif
