/* ExportTraceServiceRequest (protobuf) -> traces table rows (DESIGN §3), straight into the
 * column builders. The walk through resources and scopes is shared (resource_scope.h); what is
 * here is the Span, its events, links and status.
 *
 * One pass over a span: its scalar fields are gathered into locals (pointers into the
 * request), while each event and link is appended to the Events / Links leaves as soon as it
 * has been read (an event's fields are gathered first, since its attributes may come before
 * its name). A leaf is a column of its own, so appending a span's events before its other
 * columns is fine; a request that fails half way is rolled back whole by the caller.
 *
 * Conversions:
 *   Timestamp      start_time_unix_nano, floored to microseconds (0 stays 0: no fallback)
 *   Duration       end - start in ns; an end before the start (or no end) is 0, since a
 *                  negative duration means nothing; a difference past INT64_MAX saturates
 *   SpanKind       Unspecified|Internal|Server|Client|Producer|Consumer; a number outside the
 *                  enum (proto3 keeps unknown values) is Unspecified, so the column only ever
 *                  holds the six names queries and dashboards filter on
 *   StatusCode     Unset|Ok|Error from Status.code; unknown numbers are Unset, likewise
 *   ids            lowercase hex, exactly 16 / 8 bytes or absent (empty); any other length is
 *                  an error naming the field
 *   Events, Links  never null: a span without any has an empty list
 * Span.flags and the dropped_*_count fields have no column; their wire types are checked.
 *
 * Field numbers: opentelemetry-proto collector/trace/v1/trace_service.proto, trace/v1/trace.proto. */
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
    table_batch_t *b;
    attrs_t span; /* the span's attributes */
    attrs_t sub;  /* an event's or a link's, reused from one to the next */
} traces_dec_t;

static const otlp_rs_leaves_t traces_rs_leaves = {
    TRACES_SERVICE_NAME, TRACES_RESOURCE_ATTRS_KEY, TRACES_RESOURCE_SCHEMA_URL, TRACES_SCOPE_NAME,
    TRACES_SCOPE_VERSION, TRACES_SCOPE_ATTRS_KEY, -1, /* the traces table has no ScopeSchemaUrl */
};

typedef struct {
    const char *s;
    size_t n;
} name_t;
#define NAME(x) {x, sizeof x - 1}

static const name_t span_kinds[] = {
    NAME("Unspecified"), NAME("Internal"), NAME("Server"), NAME("Client"), NAME("Producer"), NAME("Consumer"),
};
static const name_t status_codes[] = {NAME("Unset"), NAME("Ok"), NAME("Error")};

/* Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3;
 *         uint32 dropped_attributes_count = 4; }
 * Appended as element i of the span's Events list. */
static int decode_event(traces_dec_t *d, const uint8_t *msg, size_t len, size_t i)
{
    otlp_rs_t *rs = &d->rs;
    uint64_t t = 0;
    otlp_bytes_t name = OTLP_NO_BYTES;
    size_t nattr = 0;
    attrs_clear(&d->sub);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (otlp_check_wt(rs, &f, "timeUnixNano", PB_I64))
                return -1;
            t = f.u;
            break;
        case 2:
            if (otlp_str_field(rs, &f, "name", &name))
                return -1;
            break;
        case 3:
            if (otlp_attr_field(rs, &d->sub, &f, "attributes", &nattr))
                return -1;
            break;
        case 4:
            if (otlp_check_wt(rs, &f, "droppedAttributesCount", PB_VARINT))
                return -1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (attrs_finish(&d->sub))
        return otlp_nomem(rs);
    /* the first element of the list starts the row (rep 0); later ones repeat the list (1) */
    uint8_t rep = i ? 1 : 0;
    column_t *c = d->b->cols;
    column_t *ts = &c[TRACES_EVENTS_TIMESTAMP], *nm = &c[TRACES_EVENTS_NAME];
    if (col_i64_at(ts, rep, ts->leaf->max_def, otlp_ns_to_us(t)) ||
        col_str_at(nm, rep, nm->leaf->max_def, name.p, name.n) ||
        attrs_put(&d->sub, &c[TRACES_EVENTS_ATTRS_KEY], &c[TRACES_EVENTS_ATTRS_VAL], rep))
        return otlp_nomem(rs);
    return 0;
}

/* Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
 *        repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
 * Appended as element i of the span's Links list. */
static int decode_link(traces_dec_t *d, const uint8_t *msg, size_t len, size_t i)
{
    otlp_rs_t *rs = &d->rs;
    otlp_bytes_t trace = OTLP_NO_BYTES, span = OTLP_NO_BYTES, state = OTLP_NO_BYTES;
    size_t nattr = 0;
    attrs_clear(&d->sub);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (otlp_bytes_field(rs, &f, "traceId", &trace))
                return -1;
            break;
        case 2:
            if (otlp_bytes_field(rs, &f, "spanId", &span))
                return -1;
            break;
        case 3:
            if (otlp_str_field(rs, &f, "traceState", &state))
                return -1;
            break;
        case 4:
            if (otlp_attr_field(rs, &d->sub, &f, "attributes", &nattr))
                return -1;
            break;
        case 5:
            if (otlp_check_wt(rs, &f, "droppedAttributesCount", PB_VARINT))
                return -1;
            break;
        case 6:
            if (otlp_check_wt(rs, &f, "flags", PB_I32))
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
    if (attrs_finish(&d->sub))
        return otlp_nomem(rs);
    char tid[32], sid[16];
    hex_encode(tid, trace.p, trace.n);
    hex_encode(sid, span.p, span.n);
    uint8_t rep = i ? 1 : 0;
    column_t *c = d->b->cols;
    column_t *ct = &c[TRACES_LINKS_TRACE_ID], *cs = &c[TRACES_LINKS_SPAN_ID], *cst = &c[TRACES_LINKS_TRACE_STATE];
    if (col_str_at(ct, rep, ct->leaf->max_def, tid, trace.n * 2) ||
        col_str_at(cs, rep, cs->leaf->max_def, sid, span.n * 2) ||
        col_str_at(cst, rep, cst->leaf->max_def, state.p, state.n) ||
        attrs_put(&d->sub, &c[TRACES_LINKS_ATTRS_KEY], &c[TRACES_LINKS_ATTRS_VAL], rep))
        return otlp_nomem(rs);
    return 0;
}

/* Status { reserved 1; string message = 2; StatusCode code = 3; }: several occurrences merge,
 * field by field, as protobuf merges a repeated message field. */
static int decode_status(traces_dec_t *d, const uint8_t *msg, size_t len, otlp_bytes_t *message, int32_t *code)
{
    otlp_rs_t *rs = &d->rs;
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 2:
            if (otlp_str_field(rs, &f, "message", message))
                return -1;
            break;
        case 3:
            if (otlp_check_wt(rs, &f, "code", PB_VARINT))
                return -1;
            *code = pb_int32(f.u);
            break;
        default: /* 1 was deprecated_code, now reserved: ignored like any unknown field */
            break;
        }
    }
    return rc < 0 ? otlp_reader_fail(rs, &r) : 0;
}

/* An empty list: one entry (rep 0, def 0) in each leaf from first to last. */
static int empty_list(column_t *c, int first, int last)
{
    for (int l = first; l <= last; l++)
        if (col_level(&c[l], 0, 0))
            return -1;
    return 0;
}

/* Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
 *   string name = 5; SpanKind kind = 6; fixed64 start_time_unix_nano = 7;
 *   fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
 *   uint32 dropped_attributes_count = 10; repeated Event events = 11;
 *   uint32 dropped_events_count = 12; repeated Link links = 13; uint32 dropped_links_count = 14;
 *   Status status = 15; fixed32 flags = 16; } */
static int decode_span(otlp_rs_t *rs, const uint8_t *msg, size_t len)
{
    traces_dec_t *d = (traces_dec_t *)rs;
    if (otlp_row_room(rs, d->b))
        return -1;
    otlp_bytes_t trace = OTLP_NO_BYTES, span = OTLP_NO_BYTES, parent = OTLP_NO_BYTES;
    otlp_bytes_t state = OTLP_NO_BYTES, name = OTLP_NO_BYTES, status_msg = OTLP_NO_BYTES;
    int32_t kind = 0, code = 0;
    uint64_t start = 0, end = 0;
    size_t nattr = 0, nevents = 0, nlinks = 0;
    attrs_clear(&d->span);

    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (otlp_bytes_field(rs, &f, "traceId", &trace))
                return -1;
            break;
        case 2:
            if (otlp_bytes_field(rs, &f, "spanId", &span))
                return -1;
            break;
        case 3:
            if (otlp_str_field(rs, &f, "traceState", &state))
                return -1;
            break;
        case 4:
            if (otlp_bytes_field(rs, &f, "parentSpanId", &parent))
                return -1;
            break;
        case 5:
            if (otlp_str_field(rs, &f, "name", &name))
                return -1;
            break;
        case 6:
            if (otlp_check_wt(rs, &f, "kind", PB_VARINT))
                return -1;
            kind = pb_int32(f.u);
            break;
        case 7:
            if (otlp_check_wt(rs, &f, "startTimeUnixNano", PB_I64))
                return -1;
            start = f.u;
            break;
        case 8:
            if (otlp_check_wt(rs, &f, "endTimeUnixNano", PB_I64))
                return -1;
            end = f.u;
            break;
        case 9:
            if (otlp_attr_field(rs, &d->span, &f, "attributes", &nattr))
                return -1;
            break;
        case 11:
        case 13: {
            bool ev = f.num == 11;
            size_t *k = ev ? &nevents : &nlinks;
            const char *what = ev ? "events" : "links";
            if (f.wt != PB_LEN)
                return otlp_wiretype(rs, what, *k, &f, PB_LEN);
            pb_path_push(&rs->path, what, *k);
            if (ev ? decode_event(d, f.p, f.n, *k) : decode_link(d, f.p, f.n, *k))
                return -1;
            pb_path_pop(&rs->path);
            (*k)++;
            break;
        }
        case 10:
        case 12:
        case 14:
            if (otlp_check_wt(rs, &f,
                              f.num == 10   ? "droppedAttributesCount"
                              : f.num == 12 ? "droppedEventsCount"
                                            : "droppedLinksCount",
                              PB_VARINT))
                return -1;
            break;
        case 15:
            if (otlp_check_wt(rs, &f, "status", PB_LEN))
                return -1;
            pb_path_push(&rs->path, "status", PB_NOIDX);
            if (decode_status(d, f.p, f.n, &status_msg, &code))
                return -1;
            pb_path_pop(&rs->path);
            break;
        case 16:
            if (otlp_check_wt(rs, &f, "flags", PB_I32))
                return -1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    if (otlp_check_id(rs, trace, 16, "traceId") || otlp_check_id(rs, span, 8, "spanId") ||
        otlp_check_id(rs, parent, 8, "parentSpanId"))
        return -1;
    if (attrs_finish(&d->span))
        return otlp_nomem(rs);

    column_t *c = d->b->cols;
    if ((!nevents && empty_list(c, TRACES_EVENTS_TIMESTAMP, TRACES_EVENTS_ATTRS_VAL)) ||
        (!nlinks && empty_list(c, TRACES_LINKS_TRACE_ID, TRACES_LINKS_ATTRS_VAL)))
        return otlp_nomem(rs);
    int64_t duration = end < start ? 0 : otlp_u64_to_i64(end - start);
    const name_t *kn = &span_kinds[kind >= 0 && kind < 6 ? kind : 0];
    const name_t *sc = &status_codes[code >= 0 && code < 3 ? code : 0];
    char tid[32], sid[16], pid[16];
    hex_encode(tid, trace.p, trace.n);
    hex_encode(sid, span.p, span.n);
    hex_encode(pid, parent.p, parent.n);
    rc = col_i64(&c[TRACES_TIMESTAMP], otlp_ns_to_us(start)) ||
         col_str(&c[TRACES_TRACE_ID], tid, trace.n * 2) ||
         col_str(&c[TRACES_SPAN_ID], sid, span.n * 2) ||
         col_str(&c[TRACES_PARENT_SPAN_ID], pid, parent.n * 2) ||
         col_str(&c[TRACES_TRACE_STATE], state.p, state.n) ||
         col_str(&c[TRACES_SPAN_NAME], name.p, name.n) ||
         col_str(&c[TRACES_SPAN_KIND], kn->s, kn->n) ||
         otlp_rs_put(rs, c, &traces_rs_leaves) ||
         attrs_put(&d->span, &c[TRACES_SPAN_ATTRS_KEY], &c[TRACES_SPAN_ATTRS_VAL], 0) ||
         col_i64(&c[TRACES_DURATION], duration) ||
         col_str(&c[TRACES_STATUS_CODE], sc->s, sc->n) ||
         col_str(&c[TRACES_STATUS_MESSAGE], status_msg.p, status_msg.n);
    if (rc)
        return otlp_nomem(rs);
    d->b->nrows++;
    rs->ctx->rows_added++;
    return 0;
}

static const otlp_signal_desc_t traces_signal = {
    "traces", "resourceSpans", "scopeSpans", "spans", "spans", decode_span,
};

int otlp_traces_decode_pb(const uint8_t *data, size_t len, table_batch_t *traces, otlp_decode_ctx_t *ctx,
                          err_t *err)
{
    if (!traces || traces->schema != &table_traces || table_traces.nleaves != TRACES_NLEAVES || !ctx)
        return err_set(err, ERR_INTERNAL, "otlp_traces_decode_pb: not a traces batch (tables_init?)");
    traces_dec_t d;
    memset(&d, 0, sizeof d);
    otlp_rs_init(&d.rs, &traces_signal, ctx, len, err);
    d.b = traces;
    attrs_init(&d.span);
    attrs_init(&d.sub);
    int rc = otlp_rs_walk(&d.rs, data, len);
    otlp_rs_free(&d.rs);
    attrs_free(&d.span);
    attrs_free(&d.sub);
    return rc;
}
