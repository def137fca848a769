/* ExportMetricsServiceRequest (protobuf) -> rows of the five metrics tables (DESIGN §3), one
 * row per data point, straight into the column builders. The walk through resources and
 * scopes is shared (resource_scope.h); what is here is the Metric and its data points.
 *
 * A Metric is read in three passes, each cheap (nested messages are skipped by length):
 *   1. name, description, unit, and which data field (gauge, sum, ...) is the metric's: the
 *      last one on the wire, as for any oneof, with repeated occurrences of that same field
 *      merged (protobuf semantics: setting another member clears the earlier ones);
 *   2. the data message(s): aggregation_temporality / is_monotonic (the last wins) and the count
 *      of points, which the repetition cap is charged for before any row is added;
 *   3. the points, each gathered into locals and appended as one row of its table.
 * List leaves that can never be rejected (bucket counts, bounds, quantiles) are appended while
 * a point is read; exemplars take a second look at the point (only when it has any), since a
 * number point without a value is dropped and must leave nothing behind.
 *
 * Conversions and choices:
 *   Timestamp        time_unix_nano floored to microseconds; StartTimestamp null when 0
 *   Value            as_double, or as_int converted to double (round to nearest for
 *                    |v| > 2^53); NaN and infinities are kept as they are
 *   no value         a NumberDataPoint with neither as_double nor as_int is dropped, counted in
 *                    ctx->rejected, and the first such point of the request is named in
 *                    ctx->reject_msg; the rest of the request is kept
 *   Exemplar value   an exemplar without a value keeps its row with Value 0 (what the OTel
 *                    collector's pdata reads for an empty oneof): its trace link is what
 *                    matters, and exemplars are not data points that could be rejected
 *   no data field    a Metric with none of gauge/sum/histogram/exponential_histogram/summary
 *                    (or only a kind from a newer proto) has no points: ignored, not rejected
 *   counts           uint64 (count, zero_count, bucket counts) saturate at INT64_MAX: a count
 *                    cannot be negative, and none that large exists in practice
 *   Flags            uint32 into int32, bit for bit (it is a bit field)
 *   Sum, Min, Max    null when absent (histograms); a summary's sum is a plain double (0)
 *   repeated fields  packed or not, in any mix, concatenated in wire order
 * Metric.metadata has no column; its wire type is checked.
 *
 * Field numbers: opentelemetry-proto collector/metrics/v1/metrics_service.proto,
 * metrics/v1/metrics.proto (checked against the descriptors of the published Python package). */
#include "otlp/decode.h"

#include <stdbool.h>
#include <string.h>

#include "otlp/attrs.h"
#include "otlp/pb.h"
#include "otlp/resource_scope.h"
#include "table/tables.h"
#include "util/hex.h"

typedef struct {
    otlp_rs_t rs; /* first: the item callback casts back */
    table_batch_t **out;
    attrs_t pt; /* a point's attributes */
    attrs_t ex; /* an exemplar's filtered attributes */
    /* the metric being decoded */
    otlp_bytes_t name, desc, unit;
    int32_t temporality;
    bool monotonic;
    uint64_t rejected; /* points of this request dropped so far */
} metrics_dec_t;

static const otlp_rs_leaves_t metric_rs_leaves = {
    METRIC_SERVICE_NAME, METRIC_RESOURCE_ATTRS_KEY, METRIC_RESOURCE_SCHEMA_URL, METRIC_SCOPE_NAME,
    METRIC_SCOPE_VERSION, METRIC_SCOPE_ATTRS_KEY, METRIC_SCOPE_SCHEMA_URL,
};

/* The Metric data fields, by table. */
static const struct {
    uint32_t num;
    const char *name;
} data_fields[MT_COUNT] = {
    [MT_GAUGE] = {5, "gauge"},
    [MT_SUM] = {7, "sum"},
    [MT_HISTOGRAM] = {9, "histogram"},
    [MT_EXP_HISTOGRAM] = {10, "exponentialHistogram"},
    [MT_SUMMARY] = {11, "summary"},
};

/* Where the fields every point kind has sit in each kind of point; exemplars 0: none. */
typedef struct {
    uint32_t attrs, flags, exemplars;
    int exemplar_leaf; /* the table's first exemplar leaf */
} pt_layout_t;

static const pt_layout_t gauge_layout = {7, 8, 5, GAUGE_EXEMPLARS};
static const pt_layout_t sum_layout = {7, 8, 5, SUM_EXEMPLARS};
static const pt_layout_t hist_layout = {9, 10, 8, HIST_EXEMPLARS};
static const pt_layout_t exphist_layout = {1, 10, 11, EXPHIST_EXEMPLARS};
static const pt_layout_t summary_layout = {7, 8, 0, -1};

typedef struct {
    uint64_t start, time;
    int32_t flags;
    size_t nattr, nex;
} point_t;

/* An empty list: one entry (rep 0, def 0) in each leaf from first to last. */
static int empty_list(column_t *c, int first, int last)
{
    for (int l = first; l <= last; l++)
        if (col_level(&c[l], 0, 0))
            return -1;
    return 0;
}

/* Element i of a list leaf: the first starts the row's list (rep 0), later ones repeat it. */
static inline int elem_i64(column_t *c, size_t i, int64_t v) { return col_i64_at(c, i ? 1 : 0, c->leaf->max_def, v); }
static inline int elem_f64(column_t *c, size_t i, double v) { return col_f64_at(c, i ? 1 : 0, c->leaf->max_def, v); }

/* The fields every point has: 1 when f was one of them, 0 when not, -1 on error. */
static int point_common(metrics_dec_t *d, const pb_field_t *f, const pt_layout_t *lay, point_t *pt)
{
    otlp_rs_t *rs = &d->rs;
    if (f->num == 2) {
        if (otlp_check_wt(rs, f, "startTimeUnixNano", PB_I64))
            return -1;
        pt->start = f->u;
        return 1;
    }
    if (f->num == 3) {
        if (otlp_check_wt(rs, f, "timeUnixNano", PB_I64))
            return -1;
        pt->time = f->u;
        return 1;
    }
    if (f->num == lay->attrs)
        return otlp_attr_field(rs, &d->pt, f, "attributes", &pt->nattr) ? -1 : 1;
    if (f->num == lay->flags) {
        if (otlp_check_wt(rs, f, "flags", PB_VARINT))
            return -1;
        pt->flags = pb_int32(f->u);
        return 1;
    }
    if (lay->exemplars && f->num == lay->exemplars) {
        if (f->wt != PB_LEN)
            return otlp_wiretype(rs, "exemplars", pt->nex, f, PB_LEN);
        pt->nex++;
        return 1;
    }
    return 0;
}

/* The leading columns of every metrics table. */
static int put_common(metrics_dec_t *d, column_t *c, const point_t *pt)
{
    int rc = col_i64(&c[METRIC_TIMESTAMP], otlp_ns_to_us(pt->time)) ||
             (pt->start ? col_i64(&c[METRIC_START_TIMESTAMP], otlp_ns_to_us(pt->start))
                        : col_null(&c[METRIC_START_TIMESTAMP])) ||
             col_str(&c[METRIC_NAME], d->name.p, d->name.n) ||
             col_str(&c[METRIC_DESCRIPTION], d->desc.p, d->desc.n) ||
             col_str(&c[METRIC_UNIT], d->unit.p, d->unit.n) ||
             otlp_rs_put(&d->rs, c, &metric_rs_leaves) ||
             attrs_put(&d->pt, &c[METRIC_ATTRS_KEY], &c[METRIC_ATTRS_VAL], 0) ||
             col_i32(&c[METRIC_FLAGS], pt->flags);
    return rc ? otlp_nomem(&d->rs) : 0;
}

/* Exemplar { reserved 1; repeated KeyValue filtered_attributes = 7; fixed64 time_unix_nano = 2;
 *   oneof value { double as_double = 3; sfixed64 as_int = 6; } bytes span_id = 4;
 *   bytes trace_id = 5; } appended as element i of the point's Exemplars list at leaf `base`. */
static int decode_exemplar(metrics_dec_t *d, column_t *c, int base, const uint8_t *msg, size_t len, size_t i)
{
    otlp_rs_t *rs = &d->rs;
    uint64_t t = 0;
    double v = 0;
    otlp_bytes_t trace = OTLP_NO_BYTES, span = OTLP_NO_BYTES;
    size_t nattr = 0;
    attrs_clear(&d->ex);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 2:
            if (otlp_check_wt(rs, &f, "timeUnixNano", PB_I64))
                return -1;
            t = f.u;
            break;
        case 3:
            if (otlp_check_wt(rs, &f, "asDouble", PB_I64))
                return -1;
            v = otlp_f64(f.u);
            break;
        case 6:
            if (otlp_check_wt(rs, &f, "asInt", PB_I64))
                return -1;
            v = (double)pb_int64(f.u);
            break;
        case 4:
            if (otlp_bytes_field(rs, &f, "spanId", &span))
                return -1;
            break;
        case 5:
            if (otlp_bytes_field(rs, &f, "traceId", &trace))
                return -1;
            break;
        case 7:
            if (otlp_attr_field(rs, &d->ex, &f, "filteredAttributes", &nattr))
                return -1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (otlp_check_id(rs, trace, 16, "traceId") || otlp_check_id(rs, span, 8, "spanId"))
        return -1;
    if (attrs_finish(&d->ex))
        return otlp_nomem(rs);
    char tid[32], sid[16];
    hex_encode(tid, trace.p, trace.n);
    hex_encode(sid, span.p, span.n);
    uint8_t rep = i ? 1 : 0;
    column_t *ct = &c[base + EXEMPLAR_TRACE_ID], *cs = &c[base + EXEMPLAR_SPAN_ID];
    if (elem_i64(&c[base + EXEMPLAR_TIMESTAMP], i, otlp_ns_to_us(t)) ||
        elem_f64(&c[base + EXEMPLAR_VALUE], i, v) ||
        col_str_at(ct, rep, ct->leaf->max_def, tid, trace.n * 2) ||
        col_str_at(cs, rep, cs->leaf->max_def, sid, span.n * 2) ||
        attrs_put(&d->ex, &c[base + EXEMPLAR_ATTRS_KEY], &c[base + EXEMPLAR_ATTRS_VAL], rep))
        return otlp_nomem(rs);
    return 0;
}

/* The point's Exemplars list: a second look at the point for its exemplar fields, whose wire
 * types the first look checked. */
static int put_exemplars(metrics_dec_t *d, column_t *c, const pt_layout_t *lay, const point_t *pt,
                         const uint8_t *msg, size_t len)
{
    int base = lay->exemplar_leaf;
    if (pt->nex == 0)
        return empty_list(c, base, base + EXEMPLAR_NLEAVES - 1) ? otlp_nomem(&d->rs) : 0;
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    size_t i = 0;
    while (pb_next(&r, &f) > 0) {
        if (f.num != lay->exemplars)
            continue;
        pb_path_push(&d->rs.path, "exemplars", i);
        if (decode_exemplar(d, c, base, f.p, f.n, i))
            return -1;
        pb_path_pop(&d->rs.path);
        i++;
    }
    return 0;
}

static void finish_row(metrics_dec_t *d, table_batch_t *b)
{
    b->nrows++;
    d->rs.ctx->rows_added++;
}

/* A repeated fixed64 (as_double false: counts) or double field, packed (one length-delimited
 * field of 8-byte values) or not (one fixed64 field per value): appends each value to the list
 * leaf c, *n counting the elements so far. */
static int fixed64_list(metrics_dec_t *d, const pb_field_t *f, const char *field, column_t *c, bool as_double,
                        size_t *n)
{
    otlp_rs_t *rs = &d->rs;
    const uint8_t *p = NULL;
    size_t count = 1;
    uint64_t one = f->u;
    if (f->wt == PB_I64) {
        /* one unpacked value */
    } else if (f->wt == PB_LEN) {
        if (f->n % 8) {
            pb_path_push(&rs->path, field, PB_NOIDX);
            return pb_path_fail(&rs->path, rs->err, "packed length %zu is not a multiple of 8", f->n);
        }
        p = f->p;
        count = f->n / 8;
    } else
        return otlp_wiretype(rs, field, PB_NOIDX, f, PB_LEN);
    for (size_t k = 0; k < count; k++) {
        uint64_t u = one;
        if (p) {
            u = 0;
            for (int j = 7; j >= 0; j--)
                u = u << 8 | p[8 * k + (size_t)j];
        }
        if (as_double ? elem_f64(c, *n, otlp_f64(u)) : elem_i64(c, *n, otlp_u64_to_i64(u)))
            return otlp_nomem(rs);
        (*n)++;
    }
    return 0;
}

/* A repeated uint64 field, packed (varints in one length-delimited field) or not. */
static int varint_list(metrics_dec_t *d, const pb_field_t *f, const char *field, column_t *c, size_t *n)
{
    otlp_rs_t *rs = &d->rs;
    if (f->wt == PB_VARINT) {
        if (elem_i64(c, *n, otlp_u64_to_i64(f->u)))
            return otlp_nomem(rs);
        (*n)++;
        return 0;
    }
    if (f->wt != PB_LEN)
        return otlp_wiretype(rs, field, PB_NOIDX, f, PB_LEN);
    pb_reader_t r;
    pb_reader_init(&r, f->p, f->n);
    while (r.p < r.end) {
        uint64_t u;
        if (pb_varint(&r, &u)) {
            pb_path_push(&rs->path, field, PB_NOIDX);
            return otlp_reader_fail(rs, &r);
        }
        if (elem_i64(c, *n, otlp_u64_to_i64(u)))
            return otlp_nomem(rs);
        (*n)++;
    }
    return 0;
}

/* Drops a point without a value: counted, and the first of the request named. */
static void reject_point(metrics_dec_t *d)
{
    otlp_decode_ctx_t *ctx = d->rs.ctx;
    ctx->rejected++;
    if (d->rejected++ == 0) {
        static const char why[] = ": data point without a value (neither asDouble nor asInt), dropped";
        char path[sizeof ctx->reject_msg - sizeof why];
        size_t n = pb_path_format(&d->rs.path, path, sizeof path);
        memcpy(ctx->reject_msg, path, n);
        memcpy(ctx->reject_msg + n, why, sizeof why);
    }
}

/* NumberDataPoint { reserved 1; repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2;
 *   fixed64 time_unix_nano = 3; oneof value { double as_double = 4; sfixed64 as_int = 6; }
 *   repeated Exemplar exemplars = 5; uint32 flags = 8; } -> gauge or sum row. */
static int decode_number_point(metrics_dec_t *d, int mt, const uint8_t *msg, size_t len)
{
    otlp_rs_t *rs = &d->rs;
    table_batch_t *b = d->out[mt];
    if (otlp_row_room(rs, b))
        return -1;
    const pt_layout_t *lay = mt == MT_GAUGE ? &gauge_layout : &sum_layout;
    point_t pt = {0};
    double v = 0;
    bool has_value = false;
    attrs_clear(&d->pt);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        int c = point_common(d, &f, lay, &pt);
        if (c < 0)
            return -1;
        if (c)
            continue;
        switch (f.num) {
        case 4:
            if (otlp_check_wt(rs, &f, "asDouble", PB_I64))
                return -1;
            v = otlp_f64(f.u);
            has_value = true;
            break;
        case 6:
            if (otlp_check_wt(rs, &f, "asInt", PB_I64))
                return -1;
            v = (double)pb_int64(f.u);
            has_value = true;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (!has_value) {
        reject_point(d);
        return 0;
    }
    if (attrs_finish(&d->pt))
        return otlp_nomem(rs);
    column_t *c = b->cols;
    if (put_common(d, c, &pt))
        return -1;
    if (mt == MT_GAUGE)
        rc = col_f64(&c[GAUGE_VALUE], v);
    else
        rc = col_f64(&c[SUM_VALUE], v) || col_i32(&c[SUM_AGGREGATION_TEMPORALITY], d->temporality) ||
             col_bool(&c[SUM_IS_MONOTONIC], d->monotonic);
    if (rc)
        return otlp_nomem(rs);
    if (put_exemplars(d, c, lay, &pt, msg, len))
        return -1;
    finish_row(d, b);
    return 0;
}

/* An optional double: a value or null. */
static int opt_f64(column_t *c, bool has, double v) { return has ? col_f64(c, v) : col_null(c); }

/* HistogramDataPoint { reserved 1; repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2;
 *   fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5;
 *   repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
 *   repeated Exemplar exemplars = 8; uint32 flags = 10; optional double min = 11;
 *   optional double max = 12; } */
static int decode_hist_point(metrics_dec_t *d, const uint8_t *msg, size_t len)
{
    otlp_rs_t *rs = &d->rs;
    table_batch_t *b = d->out[MT_HISTOGRAM];
    if (otlp_row_room(rs, b))
        return -1;
    column_t *c = b->cols;
    point_t pt = {0};
    uint64_t count = 0;
    double sum = 0, min = 0, max = 0;
    bool has_sum = false, has_min = false, has_max = false;
    size_t nbuckets = 0, nbounds = 0;
    attrs_clear(&d->pt);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        int k = point_common(d, &f, &hist_layout, &pt);
        if (k < 0)
            return -1;
        if (k)
            continue;
        switch (f.num) {
        case 4:
            if (otlp_check_wt(rs, &f, "count", PB_I64))
                return -1;
            count = f.u;
            break;
        case 5:
        case 11:
        case 12: {
            const char *what = f.num == 5 ? "sum" : f.num == 11 ? "min" : "max";
            if (otlp_check_wt(rs, &f, what, PB_I64))
                return -1;
            double x = otlp_f64(f.u);
            if (f.num == 5)
                sum = x, has_sum = true;
            else if (f.num == 11)
                min = x, has_min = true;
            else
                max = x, has_max = true;
            break;
        }
        case 6:
            if (fixed64_list(d, &f, "bucketCounts", &c[HIST_BUCKET_COUNTS], false, &nbuckets))
                return -1;
            break;
        case 7:
            if (fixed64_list(d, &f, "explicitBounds", &c[HIST_EXPLICIT_BOUNDS], true, &nbounds))
                return -1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (attrs_finish(&d->pt))
        return otlp_nomem(rs);
    if ((!nbuckets && empty_list(c, HIST_BUCKET_COUNTS, HIST_BUCKET_COUNTS)) ||
        (!nbounds && empty_list(c, HIST_EXPLICIT_BOUNDS, HIST_EXPLICIT_BOUNDS)))
        return otlp_nomem(rs);
    if (put_common(d, c, &pt))
        return -1;
    if (col_i64(&c[HIST_COUNT], otlp_u64_to_i64(count)) || opt_f64(&c[HIST_SUM], has_sum, sum) ||
        opt_f64(&c[HIST_MIN], has_min, min) || opt_f64(&c[HIST_MAX], has_max, max) ||
        col_i32(&c[HIST_AGGREGATION_TEMPORALITY], d->temporality))
        return otlp_nomem(rs);
    if (put_exemplars(d, c, &hist_layout, &pt, msg, len))
        return -1;
    finish_row(d, b);
    return 0;
}

/* sint32: zigzag over the low 32 bits of the varint, as protobuf parsers read it. */
static int32_t zigzag32(uint64_t u)
{
    uint32_t n = (uint32_t)u;
    uint32_t x = (n >> 1) ^ (0u - (n & 1));
    int32_t v;
    memcpy(&v, &x, 4);
    return v;
}

/* Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }: several occurrences merge
 * (the last offset wins, counts concatenate); counts go straight to the list leaf. */
static int decode_buckets(metrics_dec_t *d, const uint8_t *msg, size_t len, column_t *counts, int32_t *offset,
                          size_t *n)
{
    otlp_rs_t *rs = &d->rs;
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (otlp_check_wt(rs, &f, "offset", PB_VARINT))
                return -1;
            *offset = zigzag32(f.u);
            break;
        case 2:
            if (varint_list(d, &f, "bucketCounts", counts, n))
                return -1;
            break;
        default:
            break;
        }
    }
    return rc < 0 ? otlp_reader_fail(rs, &r) : 0;
}

/* ExponentialHistogramDataPoint { repeated KeyValue attributes = 1; fixed64 start_time_unix_nano = 2;
 *   fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5; sint32 scale = 6;
 *   fixed64 zero_count = 7; Buckets positive = 8; Buckets negative = 9; uint32 flags = 10;
 *   repeated Exemplar exemplars = 11; optional double min = 12; optional double max = 13;
 *   double zero_threshold = 14; } */
static int decode_exphist_point(metrics_dec_t *d, const uint8_t *msg, size_t len)
{
    otlp_rs_t *rs = &d->rs;
    table_batch_t *b = d->out[MT_EXP_HISTOGRAM];
    if (otlp_row_room(rs, b))
        return -1;
    column_t *c = b->cols;
    point_t pt = {0};
    uint64_t count = 0, zero_count = 0;
    double sum = 0, min = 0, max = 0, zero_threshold = 0;
    bool has_sum = false, has_min = false, has_max = false;
    int32_t scale = 0, pos_off = 0, neg_off = 0;
    size_t npos = 0, nneg = 0;
    attrs_clear(&d->pt);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        int k = point_common(d, &f, &exphist_layout, &pt);
        if (k < 0)
            return -1;
        if (k)
            continue;
        switch (f.num) {
        case 4:
        case 7:
            if (otlp_check_wt(rs, &f, f.num == 4 ? "count" : "zeroCount", PB_I64))
                return -1;
            *(f.num == 4 ? &count : &zero_count) = f.u;
            break;
        case 5:
        case 12:
        case 13:
        case 14: {
            const char *what = f.num == 5 ? "sum" : f.num == 12 ? "min" : f.num == 13 ? "max" : "zeroThreshold";
            if (otlp_check_wt(rs, &f, what, PB_I64))
                return -1;
            double x = otlp_f64(f.u);
            if (f.num == 5)
                sum = x, has_sum = true;
            else if (f.num == 12)
                min = x, has_min = true;
            else if (f.num == 13)
                max = x, has_max = true;
            else
                zero_threshold = x;
            break;
        }
        case 6:
            if (otlp_check_wt(rs, &f, "scale", PB_VARINT))
                return -1;
            scale = zigzag32(f.u);
            break;
        case 8:
        case 9: {
            bool pos = f.num == 8;
            const char *what = pos ? "positive" : "negative";
            if (otlp_check_wt(rs, &f, what, PB_LEN))
                return -1;
            pb_path_push(&rs->path, what, PB_NOIDX);
            if (pos ? decode_buckets(d, f.p, f.n, &c[EXPHIST_POSITIVE_BUCKET_COUNTS], &pos_off, &npos)
                    : decode_buckets(d, f.p, f.n, &c[EXPHIST_NEGATIVE_BUCKET_COUNTS], &neg_off, &nneg))
                return -1;
            pb_path_pop(&rs->path);
            break;
        }
        default:
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (attrs_finish(&d->pt))
        return otlp_nomem(rs);
    if ((!npos && empty_list(c, EXPHIST_POSITIVE_BUCKET_COUNTS, EXPHIST_POSITIVE_BUCKET_COUNTS)) ||
        (!nneg && empty_list(c, EXPHIST_NEGATIVE_BUCKET_COUNTS, EXPHIST_NEGATIVE_BUCKET_COUNTS)))
        return otlp_nomem(rs);
    if (put_common(d, c, &pt))
        return -1;
    if (col_i64(&c[EXPHIST_COUNT], otlp_u64_to_i64(count)) || opt_f64(&c[EXPHIST_SUM], has_sum, sum) ||
        col_i32(&c[EXPHIST_SCALE], scale) || col_i64(&c[EXPHIST_ZERO_COUNT], otlp_u64_to_i64(zero_count)) ||
        col_f64(&c[EXPHIST_ZERO_THRESHOLD], zero_threshold) || col_i32(&c[EXPHIST_POSITIVE_OFFSET], pos_off) ||
        col_i32(&c[EXPHIST_NEGATIVE_OFFSET], neg_off) || opt_f64(&c[EXPHIST_MIN], has_min, min) ||
        opt_f64(&c[EXPHIST_MAX], has_max, max) || col_i32(&c[EXPHIST_AGGREGATION_TEMPORALITY], d->temporality))
        return otlp_nomem(rs);
    if (put_exemplars(d, c, &exphist_layout, &pt, msg, len))
        return -1;
    finish_row(d, b);
    return 0;
}

/* ValueAtQuantile { double quantile = 1; double value = 2; } as element i of the list. */
static int decode_quantile(metrics_dec_t *d, column_t *c, const uint8_t *msg, size_t len, size_t i)
{
    otlp_rs_t *rs = &d->rs;
    double q = 0, v = 0;
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num != 1 && f.num != 2)
            continue;
        if (otlp_check_wt(rs, &f, f.num == 1 ? "quantile" : "value", PB_I64))
            return -1;
        *(f.num == 1 ? &q : &v) = otlp_f64(f.u);
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (elem_f64(&c[SUMMARY_QUANTILES_QUANTILE], i, q) || elem_f64(&c[SUMMARY_QUANTILES_VALUE], i, v))
        return otlp_nomem(rs);
    return 0;
}

/* SummaryDataPoint { reserved 1; repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2;
 *   fixed64 time_unix_nano = 3; fixed64 count = 4; double sum = 5;
 *   repeated ValueAtQuantile quantile_values = 6; uint32 flags = 8; } */
static int decode_summary_point(metrics_dec_t *d, const uint8_t *msg, size_t len)
{
    otlp_rs_t *rs = &d->rs;
    table_batch_t *b = d->out[MT_SUMMARY];
    if (otlp_row_room(rs, b))
        return -1;
    column_t *c = b->cols;
    point_t pt = {0};
    uint64_t count = 0;
    double sum = 0;
    size_t nq = 0;
    attrs_clear(&d->pt);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        int k = point_common(d, &f, &summary_layout, &pt);
        if (k < 0)
            return -1;
        if (k)
            continue;
        switch (f.num) {
        case 4:
            if (otlp_check_wt(rs, &f, "count", PB_I64))
                return -1;
            count = f.u;
            break;
        case 5:
            if (otlp_check_wt(rs, &f, "sum", PB_I64))
                return -1;
            sum = otlp_f64(f.u);
            break;
        case 6:
            if (f.wt != PB_LEN)
                return otlp_wiretype(rs, "quantileValues", nq, &f, PB_LEN);
            pb_path_push(&rs->path, "quantileValues", nq);
            if (decode_quantile(d, c, f.p, f.n, nq))
                return -1;
            pb_path_pop(&rs->path);
            nq++;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (attrs_finish(&d->pt))
        return otlp_nomem(rs);
    if (!nq && empty_list(c, SUMMARY_QUANTILES_QUANTILE, SUMMARY_QUANTILES_VALUE))
        return otlp_nomem(rs);
    if (put_common(d, c, &pt))
        return -1;
    if (col_i64(&c[SUMMARY_COUNT], otlp_u64_to_i64(count)) || col_f64(&c[SUMMARY_SUM], sum))
        return otlp_nomem(rs);
    finish_row(d, b);
    return 0;
}

static int decode_point(metrics_dec_t *d, int mt, const uint8_t *msg, size_t len)
{
    switch (mt) {
    case MT_GAUGE:
    case MT_SUM:
        return decode_number_point(d, mt, msg, len);
    case MT_HISTOGRAM:
        return decode_hist_point(d, msg, len);
    case MT_EXP_HISTOGRAM:
        return decode_exphist_point(d, msg, len);
    default:
        return decode_summary_point(d, msg, len);
    }
}

/* Gauge { repeated NumberDataPoint data_points = 1; }
 * Sum { repeated NumberDataPoint data_points = 1; AggregationTemporality aggregation_temporality = 2;
 *       bool is_monotonic = 3; }
 * Histogram, ExponentialHistogram { repeated ...DataPoint data_points = 1;
 *       AggregationTemporality aggregation_temporality = 2; }
 * Summary { repeated SummaryDataPoint data_points = 1; }
 * First look: the scalars (the last wins across merged occurrences) and the count of points,
 * *npoints counting on from earlier occurrences (it also names the points in errors). */
static int scan_data(metrics_dec_t *d, int mt, const uint8_t *msg, size_t len, size_t *npoints)
{
    otlp_rs_t *rs = &d->rs;
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    bool has_temporality = mt == MT_SUM || mt == MT_HISTOGRAM || mt == MT_EXP_HISTOGRAM;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (f.wt != PB_LEN)
                return otlp_wiretype(rs, "dataPoints", *npoints, &f, PB_LEN);
            (*npoints)++;
        } else if (f.num == 2 && has_temporality) {
            if (otlp_check_wt(rs, &f, "aggregationTemporality", PB_VARINT))
                return -1;
            d->temporality = pb_int32(f.u);
        } else if (f.num == 3 && mt == MT_SUM) {
            if (otlp_check_wt(rs, &f, "isMonotonic", PB_VARINT))
                return -1;
            d->monotonic = f.u != 0;
        }
    }
    return rc < 0 ? otlp_reader_fail(rs, &r) : 0;
}

/* Second look: every point, *k counting on from earlier occurrences. */
static int each_point(metrics_dec_t *d, int mt, const uint8_t *msg, size_t len, size_t *k)
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    while (pb_next(&r, &f) > 0) {
        if (f.num != 1)
            continue;
        pb_path_push(&d->rs.path, "dataPoints", *k);
        if (decode_point(d, mt, f.p, f.n))
            return -1;
        pb_path_pop(&d->rs.path);
        (*k)++;
    }
    return 0;
}

/* Metric { string name = 1; string description = 2; string unit = 3; oneof data { Gauge gauge = 5;
 *   Sum sum = 7; Histogram histogram = 9; ExponentialHistogram exponential_histogram = 10;
 *   Summary summary = 11; } repeated KeyValue metadata = 12; } */
static int decode_metric(otlp_rs_t *rs, const uint8_t *msg, size_t len)
{
    metrics_dec_t *d = (metrics_dec_t *)rs;
    d->name = d->desc = d->unit = OTLP_NO_BYTES;
    int mt = -1;           /* the data field that counts: the last on the wire */
    const uint8_t *from = NULL; /* where its final run of occurrences starts */
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t nmeta = 0;
    for (;;) {
        const uint8_t *at = r.p;
        if ((rc = pb_next(&r, &f)) <= 0)
            break;
        switch (f.num) {
        case 1:
            if (otlp_str_field(rs, &f, "name", &d->name))
                return -1;
            break;
        case 2:
            if (otlp_str_field(rs, &f, "description", &d->desc))
                return -1;
            break;
        case 3:
            if (otlp_str_field(rs, &f, "unit", &d->unit))
                return -1;
            break;
        case 12:
            if (f.wt != PB_LEN)
                return otlp_wiretype(rs, "metadata", nmeta, &f, PB_LEN);
            nmeta++;
            break;
        default:
            for (int k = 0; k < MT_COUNT; k++) {
                if (f.num != data_fields[k].num)
                    continue;
                if (otlp_check_wt(rs, &f, data_fields[k].name, PB_LEN))
                    return -1;
                /* another member of the oneof clears what came before; the same one merges */
                if (mt != k) {
                    mt = k;
                    from = at;
                }
            }
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (mt < 0)
        return 0; /* no data: nothing to store */

    const uint8_t *end = msg + len;
    uint32_t num = data_fields[mt].num;
    d->temporality = 0;
    d->monotonic = false;
    size_t npoints = 0;
    pb_path_push(&rs->path, data_fields[mt].name, PB_NOIDX);
    pb_reader_init(&r, from, (size_t)(end - from));
    while (pb_next(&r, &f) > 0)
        if (f.num == num && scan_data(d, mt, f.p, f.n, &npoints))
            return -1;
    pb_path_pop(&rs->path);
    if (otlp_rs_charge(rs, npoints, d->name.n + d->desc.n + d->unit.n, "data points"))
        return -1;

    size_t k = 0;
    pb_path_push(&rs->path, data_fields[mt].name, PB_NOIDX);
    pb_reader_init(&r, from, (size_t)(end - from));
    while (pb_next(&r, &f) > 0)
        if (f.num == num && each_point(d, mt, f.p, f.n, &k))
            return -1;
    pb_path_pop(&rs->path);
    return 0;
}

static const otlp_signal_desc_t metrics_signal = {
    "metrics", "resourceMetrics", "scopeMetrics", "metrics", NULL, decode_metric,
};

int otlp_metrics_decode_pb(const uint8_t *data, size_t len, table_batch_t *out[MT_COUNT], otlp_decode_ctx_t *ctx,
                           err_t *err)
{
    static table_schema_t *const want[MT_COUNT] = {
        &table_metrics_gauge, &table_metrics_sum, &table_metrics_histogram, &table_metrics_exponential_histogram,
        &table_metrics_summary,
    };
    static const int want_leaves[MT_COUNT] = {GAUGE_NLEAVES, SUM_NLEAVES, HIST_NLEAVES, EXPHIST_NLEAVES,
                                              SUMMARY_NLEAVES};
    if (!out || !ctx)
        return err_set(err, ERR_INTERNAL, "otlp_metrics_decode_pb: no batches");
    for (int i = 0; i < MT_COUNT; i++)
        if (!out[i] || out[i]->schema != want[i] || want[i]->nleaves != want_leaves[i])
            return err_set(err, ERR_INTERNAL, "otlp_metrics_decode_pb: out[%d] is not a %s batch (tables_init?)", i,
                           want[i]->name);
    metrics_dec_t d;
    memset(&d, 0, sizeof d);
    otlp_rs_init(&d.rs, &metrics_signal, ctx, len, err);
    d.out = out;
    attrs_init(&d.pt);
    attrs_init(&d.ex);
    int rc = otlp_rs_walk(&d.rs, data, len);
    otlp_rs_free(&d.rs);
    attrs_free(&d.pt);
    attrs_free(&d.ex);
    return rc;
}
