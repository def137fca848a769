/* ExportLogsServiceRequest (protobuf) -> logs table rows, straight into the column builders
 * with no object tree in between. The walk through resources and scopes, their columns and the
 * repetition cap are shared with the other signals (resource_scope.h); what is here is the
 * LogRecord. Its fields are gathered into locals (pointers into the request) before its row is
 * appended.
 *
 * Field numbers: opentelemetry-proto collector/logs/v1/logs_service.proto, logs/v1/logs.proto,
 * common/v1/common.proto, resource/v1/resource.proto. */
#include "otlp/decode.h"

#include <stdbool.h>
#include <string.h>

#include "otlp/anyvalue.h"
#include "otlp/attrs.h"
#include "otlp/pb.h"
#include "otlp/resource_scope.h"
#include "table/tables.h"
#include "util/hex.h"

typedef struct {
    otlp_rs_t rs; /* first: the item callback casts back */
    table_batch_t *b;
    int64_t now_us;
    attrs_t rec; /* the record's attributes, reused from one record to the next */
    buf_t body;  /* text of a non-string body */
} logs_dec_t;

static const otlp_rs_leaves_t logs_rs_leaves = {
    LOGS_SERVICE_NAME, LOGS_RESOURCE_ATTRS_KEY, LOGS_RESOURCE_SCHEMA_URL, LOGS_SCOPE_NAME,
    LOGS_SCOPE_VERSION, LOGS_SCOPE_ATTRS_KEY, LOGS_SCOPE_SCHEMA_URL,
};

/* LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2;
 *   string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6;
 *   uint32 dropped_attributes_count = 7; fixed32 flags = 8; bytes trace_id = 9;
 *   bytes span_id = 10; fixed64 observed_time_unix_nano = 11; string event_name = 12; } */
static int decode_record(otlp_rs_t *rs, const uint8_t *msg, size_t len)
{
    logs_dec_t *d = (logs_dec_t *)rs;
    if (otlp_row_room(rs, d->b))
        return -1;
    uint64_t t = 0, obs = 0;
    int32_t sevnum = 0, flags = 0;
    otlp_bytes_t sevtext = OTLP_NO_BYTES, trace = OTLP_NO_BYTES, span = OTLP_NO_BYTES;
    otlp_bytes_t event = OTLP_NO_BYTES, body = OTLP_NO_BYTES;
    bool has_body = false;
    size_t nattr = 0;
    attrs_clear(&d->rec);

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
            if (otlp_check_wt(rs, &f, "severityNumber", PB_VARINT))
                return -1;
            sevnum = pb_int32(f.u);
            break;
        case 3:
            if (otlp_str_field(rs, &f, "severityText", &sevtext))
                return -1;
            break;
        case 5:
            if (otlp_bytes_field(rs, &f, "body", &body)) /* the last one wins */
                return -1;
            has_body = true;
            break;
        case 6:
            if (otlp_attr_field(rs, &d->rec, &f, "attributes", &nattr))
                return -1;
            break;
        case 7:
            if (otlp_check_wt(rs, &f, "droppedAttributesCount", PB_VARINT))
                return -1;
            break;
        case 8:
            if (otlp_check_wt(rs, &f, "flags", PB_I32))
                return -1;
            flags = pb_int32(f.u);
            break;
        case 9:
            if (otlp_bytes_field(rs, &f, "traceId", &trace))
                return -1;
            break;
        case 10:
            if (otlp_bytes_field(rs, &f, "spanId", &span))
                return -1;
            break;
        case 11:
            if (otlp_check_wt(rs, &f, "observedTimeUnixNano", PB_I64))
                return -1;
            obs = f.u;
            break;
        case 12:
            if (otlp_str_field(rs, &f, "eventName", &event))
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
    av_text_t bt = {AV_EMPTY, NULL, 0, 0};
    if (has_body) {
        d->body.len = 0;
        pb_path_push(&rs->path, "body", PB_NOIDX);
        if (anyvalue_text(body.p, body.n, &d->body, &bt, &rs->path, rs->err))
            return -1;
        pb_path_pop(&rs->path);
    }
    if (attrs_finish(&d->rec))
        return otlp_nomem(rs);

    /* the row: every leaf gets its entry */
    column_t *c = d->b->cols;
    int64_t obs_us = obs ? otlp_ns_to_us(obs) : d->now_us;
    int64_t ts_us = t ? otlp_ns_to_us(t) : obs_us; /* else observed time, else receive time */
    char tid[32], sid[16];
    hex_encode(tid, trace.p, trace.n);
    hex_encode(sid, span.p, span.n);
    const void *btext = bt.kind == AV_STRING ? (const void *)bt.str
                        : bt.kind == AV_EMPTY   ? NULL
                        : bt.len == 0           ? (const void *)otlp_no_bytes /* body may be unallocated */
                                                : (const void *)(d->body.data + bt.off);
    rc = col_i64(&c[LOGS_TIMESTAMP], ts_us) ||
         col_i64(&c[LOGS_OBSERVED_TIMESTAMP], obs_us) ||
         col_str(&c[LOGS_TRACE_ID], tid, trace.n * 2) ||
         col_str(&c[LOGS_SPAN_ID], sid, span.n * 2) ||
         col_i32(&c[LOGS_TRACE_FLAGS], flags) ||
         col_str(&c[LOGS_SEVERITY_TEXT], sevtext.p, sevtext.n) ||
         col_i32(&c[LOGS_SEVERITY_NUMBER], sevnum) ||
         (btext ? col_str(&c[LOGS_BODY], btext, bt.len) : col_null(&c[LOGS_BODY])) ||
         col_str(&c[LOGS_EVENT_NAME], event.p, event.n) ||
         otlp_rs_put(rs, c, &logs_rs_leaves) ||
         attrs_put(&d->rec, &c[LOGS_LOG_ATTRS_KEY], &c[LOGS_LOG_ATTRS_VAL], 0);
    if (rc)
        return otlp_nomem(rs);
    d->b->nrows++;
    rs->ctx->rows_added++;
    return 0;
}

static const otlp_signal_desc_t logs_signal = {
    "logs", "resourceLogs", "scopeLogs", "logRecords", "records", decode_record,
};

int otlp_logs_decode_pb(const uint8_t *data, size_t len, table_batch_t *logs, otlp_decode_ctx_t *ctx,
                        err_t *err)
{
    if (!logs || logs->schema != &table_logs || table_logs.nleaves != LOGS_NLEAVES || !ctx)
        return err_set(err, ERR_INTERNAL, "otlp_logs_decode_pb: not a logs batch (tables_init?)");
    logs_dec_t d;
    memset(&d, 0, sizeof d);
    otlp_rs_init(&d.rs, &logs_signal, ctx, len, err);
    d.b = logs;
    d.now_us = otlp_floor_div_1000(ctx->now_ns);
    attrs_init(&d.rec);
    int rc = otlp_rs_walk(&d.rs, data, len);
    otlp_rs_free(&d.rs);
    attrs_free(&d.rec);
    buf_free(&d.body);
    return rc;
}
