/* ExportLogsServiceRequest (protobuf) -> logs table rows, straight into the column builders
 * with no object tree in between.
 *
 * Protobuf does not fix the order of fields, and a row needs its resource and scope columns
 * whichever side of the records they are, so ResourceLogs and ScopeLogs are each read twice:
 * first for everything but the records/scopes (cheap: a nested message is skipped by its
 * length), then for the rows. A LogRecord's own fields are gathered into locals (pointers into
 * the request) before its row is appended. Resource and scope attribute lists are converted and
 * deduplicated once, then appended to every row they belong to.
 *
 * Field numbers: opentelemetry-proto collector/logs/v1/logs_service.proto, logs/v1/logs.proto,
 * common/v1/common.proto, resource/v1/resource.proto. */
#include "otlp/decode.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "otlp/anyvalue.h"
#include "otlp/attrs.h"
#include "otlp/pb.h"
#include "table/tables.h"
#include "util/hex.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} span_t;

typedef struct {
    table_batch_t *b;
    otlp_decode_ctx_t *ctx;
    err_t *err;
    int64_t now_us;
    attrs_t res, scope, rec; /* attribute lists, reused from one message to the next */
    buf_t body;              /* text of a non-string body */
    span_t res_schema, service;
    span_t scope_name, scope_version, scope_schema;
    uint64_t repeated, repeated_max; /* bytes of repeated resource/scope columns so far, cap */
    pb_path_t path;
} logs_dec_t;

/* Every row repeats its resource and scope columns, so a small request can ask for far more
 * memory than its own size: thousands of resource attributes over a million empty records (two
 * bytes each). What a request may add that way is capped; past it the request is refused as too
 * large rather than left to exhaust memory. Real requests stay far below (10,000 records under
 * 20 resource attributes repeat about 10 MiB). */
#define LOGS_MAX_REPEATED_BYTES ((uint64_t)256 << 20)
#define LOGS_REPEATED_PER_INPUT_BYTE 16

static const char unknown_service[] = "unknown_service";
/* absent strings point here, never NULL: the column builders memcpy from them */
static const uint8_t no_bytes[1];
#define NO_SPAN ((span_t){no_bytes, 0})

static int nomem(logs_dec_t *d)
{
    return err_set(d->err, ERR_NOMEM, "out of memory (or a column past 4 GiB) appending to the logs batch");
}

static int wiretype(logs_dec_t *d, const char *field, size_t idx, const pb_field_t *f, uint8_t want)
{
    return pb_wiretype_fail(&d->path, field, idx, f->wt, want, d->err);
}

/* A string field: length-delimited and UTF-8. */
static int str_field(logs_dec_t *d, const pb_field_t *f, const char *field, span_t *out)
{
    if (f->wt != PB_LEN)
        return wiretype(d, field, PB_NOIDX, f, PB_LEN);
    if (otlp_check_utf8(f->p, f->n, &d->path, field, d->err))
        return -1;
    out->p = f->p;
    out->n = f->n;
    return 0;
}

/* A field whose value is not used still has to have its declared wire type. */
static int check_wt(logs_dec_t *d, const pb_field_t *f, const char *field, uint8_t want)
{
    return f->wt == want ? 0 : wiretype(d, field, PB_NOIDX, f, want);
}

static int64_t floor_div_1000(int64_t ns)
{
    int64_t q = ns / 1000;
    return ns % 1000 < 0 ? q - 1 : q;
}

/* Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2;
 *            repeated EntityRef entity_refs = 3; } */
static int decode_resource(logs_dec_t *d, const uint8_t *msg, size_t len)
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t i = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (f.wt != PB_LEN)
                return wiretype(d, "attributes", i, &f, PB_LEN);
            pb_path_push(&d->path, "attributes", i);
            if (attrs_add(&d->res, f.p, f.n, &d->path, d->err))
                return -1;
            pb_path_pop(&d->path);
            i++;
            break;
        case 2:
            if (check_wt(d, &f, "droppedAttributesCount", PB_VARINT))
                return -1;
            break;
        case 3:
            if (check_wt(d, &f, "entityRefs", PB_LEN))
                return -1;
            break;
        default:
            break;
        }
    }
    return rc < 0 ? pb_reader_fail(&r, &d->path, d->err) : 0;
}

/* InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3;
 *                        uint32 dropped_attributes_count = 4; } */
static int decode_scope(logs_dec_t *d, const uint8_t *msg, size_t len)
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t i = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (str_field(d, &f, "name", &d->scope_name))
                return -1;
            break;
        case 2:
            if (str_field(d, &f, "version", &d->scope_version))
                return -1;
            break;
        case 3:
            if (f.wt != PB_LEN)
                return wiretype(d, "attributes", i, &f, PB_LEN);
            pb_path_push(&d->path, "attributes", i);
            if (attrs_add(&d->scope, f.p, f.n, &d->path, d->err))
                return -1;
            pb_path_pop(&d->path);
            i++;
            break;
        case 4:
            if (check_wt(d, &f, "droppedAttributesCount", PB_VARINT))
                return -1;
            break;
        default:
            break;
        }
    }
    return rc < 0 ? pb_reader_fail(&r, &d->path, d->err) : 0;
}

/* LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2;
 *   string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6;
 *   uint32 dropped_attributes_count = 7; fixed32 flags = 8; bytes trace_id = 9;
 *   bytes span_id = 10; fixed64 observed_time_unix_nano = 11; string event_name = 12; } */
static int decode_record(logs_dec_t *d, const uint8_t *msg, size_t len)
{
    uint64_t t = 0, obs = 0;
    int32_t sevnum = 0, flags = 0;
    span_t sevtext = NO_SPAN, trace = NO_SPAN, span = NO_SPAN, event = NO_SPAN, body = NO_SPAN;
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
            if (check_wt(d, &f, "timeUnixNano", PB_I64))
                return -1;
            t = f.u;
            break;
        case 2:
            if (check_wt(d, &f, "severityNumber", PB_VARINT))
                return -1;
            sevnum = pb_int32(f.u);
            break;
        case 3:
            if (str_field(d, &f, "severityText", &sevtext))
                return -1;
            break;
        case 5:
            if (check_wt(d, &f, "body", PB_LEN))
                return -1;
            body = (span_t){f.p, f.n}; /* the last one wins */
            has_body = true;
            break;
        case 6:
            if (f.wt != PB_LEN)
                return wiretype(d, "attributes", nattr, &f, PB_LEN);
            pb_path_push(&d->path, "attributes", nattr);
            if (attrs_add(&d->rec, f.p, f.n, &d->path, d->err))
                return -1;
            pb_path_pop(&d->path);
            nattr++;
            break;
        case 7:
            if (check_wt(d, &f, "droppedAttributesCount", PB_VARINT))
                return -1;
            break;
        case 8:
            if (check_wt(d, &f, "flags", PB_I32))
                return -1;
            flags = pb_int32(f.u);
            break;
        case 9:
            if (check_wt(d, &f, "traceId", PB_LEN))
                return -1;
            trace = (span_t){f.p, f.n};
            break;
        case 10:
            if (check_wt(d, &f, "spanId", PB_LEN))
                return -1;
            span = (span_t){f.p, f.n};
            break;
        case 11:
            if (check_wt(d, &f, "observedTimeUnixNano", PB_I64))
                return -1;
            obs = f.u;
            break;
        case 12:
            if (str_field(d, &f, "eventName", &event))
                return -1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return pb_reader_fail(&r, &d->path, d->err);

    /* ids: exactly 16 / 8 bytes, or absent (empty) */
    if (trace.n != 0 && trace.n != 16) {
        pb_path_push(&d->path, "traceId", PB_NOIDX);
        return pb_path_fail(&d->path, d->err, "%zu bytes, want 16", trace.n);
    }
    if (span.n != 0 && span.n != 8) {
        pb_path_push(&d->path, "spanId", PB_NOIDX);
        return pb_path_fail(&d->path, d->err, "%zu bytes, want 8", span.n);
    }
    av_text_t bt = {AV_EMPTY, NULL, 0, 0};
    if (has_body) {
        d->body.len = 0;
        pb_path_push(&d->path, "body", PB_NOIDX);
        if (anyvalue_text(body.p, body.n, &d->body, &bt, &d->path, d->err))
            return -1;
        pb_path_pop(&d->path);
    }
    if (attrs_finish(&d->rec))
        return nomem(d);

    /* the row: every leaf gets its entry */
    column_t *c = d->b->cols;
    int64_t obs_us = obs ? (int64_t)(obs / 1000) : d->now_us;
    int64_t ts_us = t ? (int64_t)(t / 1000) : obs_us; /* else observed time, else receive time */
    char tid[32], sid[16];
    hex_encode(tid, trace.p, trace.n);
    hex_encode(sid, span.p, span.n);
    const void *btext = bt.kind == AV_STRING ? (const void *)bt.str
                        : bt.kind == AV_EMPTY   ? NULL
                        : bt.len == 0           ? (const void *)no_bytes /* body may be unallocated */
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
         col_str(&c[LOGS_SERVICE_NAME], d->service.p, d->service.n) ||
         attrs_put(&d->res, &c[LOGS_RESOURCE_ATTRS_KEY], &c[LOGS_RESOURCE_ATTRS_VAL], 0) ||
         col_str(&c[LOGS_RESOURCE_SCHEMA_URL], d->res_schema.p, d->res_schema.n) ||
         col_str(&c[LOGS_SCOPE_NAME], d->scope_name.p, d->scope_name.n) ||
         col_str(&c[LOGS_SCOPE_VERSION], d->scope_version.p, d->scope_version.n) ||
         attrs_put(&d->scope, &c[LOGS_SCOPE_ATTRS_KEY], &c[LOGS_SCOPE_ATTRS_VAL], 0) ||
         col_str(&c[LOGS_SCOPE_SCHEMA_URL], d->scope_schema.p, d->scope_schema.n) ||
         attrs_put(&d->rec, &c[LOGS_LOG_ATTRS_KEY], &c[LOGS_LOG_ATTRS_VAL], 0);
    if (rc)
        return nomem(d);
    d->b->nrows++;
    d->ctx->rows_added++;
    return 0;
}

/* ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2;
 *             string schema_url = 3; } */
static int decode_scope_logs(logs_dec_t *d, const uint8_t *msg, size_t len)
{
    attrs_clear(&d->scope);
    d->scope_name = d->scope_version = d->scope_schema = NO_SPAN;
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t k = 0;
    /* first pass: the scope and the schema url, wherever they are */
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (check_wt(d, &f, "scope", PB_LEN))
                return -1;
            /* several occurrences merge, as protobuf merges a repeated message field */
            pb_path_push(&d->path, "scope", PB_NOIDX);
            if (decode_scope(d, f.p, f.n))
                return -1;
            pb_path_pop(&d->path);
            break;
        case 2:
            if (f.wt != PB_LEN)
                return wiretype(d, "logRecords", k, &f, PB_LEN);
            k++;
            break;
        case 3:
            if (str_field(d, &f, "schemaUrl", &d->scope_schema))
                return -1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return pb_reader_fail(&r, &d->path, d->err);
    if (attrs_finish(&d->scope))
        return nomem(d);
    uint64_t per_row = 64 + d->service.n + d->res_schema.n + d->scope_name.n + d->scope_version.n +
                       d->scope_schema.n + attrs_bytes(&d->res) + attrs_bytes(&d->scope);
    if (k && per_row > (d->repeated_max - d->repeated) / k)
        return err_set(d->err, ERR_TOO_LARGE,
                       "records repeating their resource and scope columns would take more than "
                       "%" PRIu64 " MiB",
                       d->repeated_max >> 20);
    d->repeated += per_row * k;
    /* second pass: the records (the wire format was checked above) */
    pb_reader_init(&r, msg, len);
    k = 0;
    while (pb_next(&r, &f) > 0) {
        if (f.num != 2)
            continue;
        if (d->b->nrows == UINT32_MAX)
            return err_set(d->err, ERR_TOO_LARGE, "logs batch: too many rows");
        pb_path_push(&d->path, "logRecords", k);
        if (decode_record(d, f.p, f.n))
            return -1;
        pb_path_pop(&d->path);
        k++;
    }
    return 0;
}

/* ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; } */
static int decode_resource_logs(logs_dec_t *d, const uint8_t *msg, size_t len)
{
    attrs_clear(&d->res);
    d->res_schema = NO_SPAN;
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t j = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (check_wt(d, &f, "resource", PB_LEN))
                return -1;
            pb_path_push(&d->path, "resource", PB_NOIDX);
            if (decode_resource(d, f.p, f.n))
                return -1;
            pb_path_pop(&d->path);
            break;
        case 2:
            if (f.wt != PB_LEN)
                return wiretype(d, "scopeLogs", j, &f, PB_LEN);
            j++;
            break;
        case 3:
            if (str_field(d, &f, "schemaUrl", &d->res_schema))
                return -1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return pb_reader_fail(&r, &d->path, d->err);
    if (attrs_finish(&d->res))
        return nomem(d);
    /* ServiceName: the text of service.name whatever its kind; unknown_service when it is
     * missing or has no value */
    const kv_t *svc = attrs_find(&d->res, "service.name", 12);
    if (svc && svc->val)
        d->service = (span_t){(const uint8_t *)svc->val, svc->val_len};
    else
        d->service = (span_t){(const uint8_t *)unknown_service, sizeof unknown_service - 1};

    pb_reader_init(&r, msg, len);
    j = 0;
    while (pb_next(&r, &f) > 0) {
        if (f.num != 2)
            continue;
        pb_path_push(&d->path, "scopeLogs", j);
        if (decode_scope_logs(d, f.p, f.n))
            return -1;
        pb_path_pop(&d->path);
        j++;
    }
    return 0;
}

int otlp_logs_decode_pb(const uint8_t *data, size_t len, table_batch_t *logs, otlp_decode_ctx_t *ctx,
                        err_t *err)
{
    if (!logs || logs->schema != &table_logs || table_logs.nleaves != LOGS_NLEAVES || !ctx)
        return err_set(err, ERR_INTERNAL, "otlp_logs_decode_pb: not a logs batch (tables_init?)");
    logs_dec_t dec;
    memset(&dec, 0, sizeof dec);
    logs_dec_t *d = &dec;
    d->b = logs;
    d->ctx = ctx;
    d->err = err;
    d->now_us = floor_div_1000(ctx->now_ns);
    d->repeated_max = LOGS_MAX_REPEATED_BYTES + (uint64_t)len * LOGS_REPEATED_PER_INPUT_BYTE;
    attrs_init(&d->res);
    attrs_init(&d->scope);
    attrs_init(&d->rec);

    if (len == 0)
        data = no_bytes; /* an empty request is valid: no rows */
    pb_reader_t r;
    pb_reader_init(&r, data, len);
    pb_field_t f;
    int rc;
    size_t i = 0;
    /* ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; } */
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num != 1)
            continue;
        if (f.wt != PB_LEN) {
            rc = wiretype(d, "resourceLogs", i, &f, PB_LEN);
            break;
        }
        pb_path_push(&d->path, "resourceLogs", i);
        if (decode_resource_logs(d, f.p, f.n)) {
            rc = -1;
            break;
        }
        pb_path_pop(&d->path);
        i++;
    }
    if (rc < 0 && r.err != PB_OK)
        pb_reader_fail(&r, &d->path, err);

    attrs_free(&d->res);
    attrs_free(&d->scope);
    attrs_free(&d->rec);
    buf_free(&d->body);
    return rc < 0 ? -1 : 0;
}
