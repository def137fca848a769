#include "ingest/signals.h"

#include <stdio.h>

#include "ingest/content.h"
#include "otlp/json.h"
#include "table/tables.h"
#include "util/buf.h"

/* Adapters from each decoder's own signature to signal_decode_pb_fn. */
static int logs_pb(const uint8_t *data, size_t len, table_batch_t **out, otlp_decode_ctx_t *ctx, err_t *err)
{
    return otlp_logs_decode_pb(data, len, out[0], ctx, err);
}
static int traces_pb(const uint8_t *data, size_t len, table_batch_t **out, otlp_decode_ctx_t *ctx, err_t *err)
{
    return otlp_traces_decode_pb(data, len, out[0], ctx, err);
}
/* out[MT_*] is in the order of the metrics entry's tables */
static int metrics_pb(const uint8_t *data, size_t len, table_batch_t **out, otlp_decode_ctx_t *ctx, err_t *err)
{
    return otlp_metrics_decode_pb(data, len, out, ctx, err);
}

static const signal_desc_t signals[SIG_COUNT] = {
    [SIG_LOGS] = {"logs", 1, {&table_logs}, logs_pb},
    [SIG_TRACES] = {"traces", 1, {&table_traces}, traces_pb},
    [SIG_METRICS] = {"metrics",
                     MT_COUNT,
                     {[MT_GAUGE] = &table_metrics_gauge,
                      [MT_SUM] = &table_metrics_sum,
                      [MT_HISTOGRAM] = &table_metrics_histogram,
                      [MT_EXP_HISTOGRAM] = &table_metrics_exponential_histogram,
                      [MT_SUMMARY] = &table_metrics_summary},
                     metrics_pb},
};

/* OTLP/JSON -> protobuf, then the protobuf decoder: one JSON path for every signal. */
typedef int (*json_to_pb_fn)(int signal, const uint8_t *json, size_t len, buf_t *out, err_t *err);
static const json_to_pb_fn json_to_pb = otlp_json_to_pb;

const signal_desc_t *signal_desc(otlp_signal_t sig)
{
    return (unsigned)sig < SIG_COUNT ? &signals[sig] : NULL;
}

int signal_check(otlp_signal_t sig, otlp_encoding_t enc, err_t *err)
{
    const signal_desc_t *d = signal_desc(sig);
    if (!d)
        return err_set(err, ERR_INTERNAL, "unknown signal %d", (int)sig);
    if (!d->decode_pb)
        return err_set(err, ERR_UNSUPPORTED, "%s are not supported by this build yet", d->name);
    if (enc != ENC_PROTOBUF && !json_to_pb)
        return err_set(err, ERR_UNSUPPORTED,
                       "%s request: OTLP/JSON is not supported by this build yet; use application/x-protobuf",
                       d->name);
    return 0;
}

/* One OTLP/JSON request: transcoded into scratch, then decoded like protobuf. */
static int decode_json(const signal_desc_t *d, otlp_signal_t sig, const uint8_t *json, size_t len, buf_t *scratch,
                       table_batch_t **out, otlp_decode_ctx_t *ctx, err_t *err)
{
    buf_clear(scratch);
    if (json_to_pb((int)sig, json, len, scratch, err))
        return -1;
    return d->decode_pb(scratch->data ? scratch->data : (const uint8_t *)"", scratch->len, out, ctx, err);
}

int signal_decode(otlp_signal_t sig, otlp_encoding_t enc, const uint8_t *body, size_t len, table_batch_t **out,
                  otlp_decode_ctx_t *ctx, err_t *err)
{
    if (signal_check(sig, enc, err))
        return -1;
    const signal_desc_t *d = signal_desc(sig);
    int rc;
    if (enc == ENC_PROTOBUF) {
        rc = d->decode_pb(body, len, out, ctx, err);
        if (rc)
            err_prefix(err, "%s request", d->name);
        return rc;
    }
    buf_t pb = {0};
    if (enc == ENC_JSON) {
        rc = decode_json(d, sig, body, len, &pb, out, ctx, err);
        if (rc)
            err_prefix(err, "%s request", d->name);
    } else {
        /* NDJSON: each object its own request, all into the same batches */
        size_t pos = 0, start, n;
        rc = 0;
        while (rc == 0) {
            int more = json_next_object(body, len, &pos, &start, &n, err);
            if (more <= 0) {
                rc = more;
                if (rc)
                    err_prefix(err, "%s request", d->name);
                break;
            }
            rc = decode_json(d, sig, body + start, n, &pb, out, ctx, err);
            if (rc)
                err_prefix(err, "%s request: line %zu", d->name, content_line_of(body, start));
        }
    }
    buf_free(&pb);
    return rc;
}

int table_key_leaves(const table_schema_t *t, int *ts_leaf, int *svc_leaf)
{
    if (t == &table_logs) {
        *ts_leaf = LOGS_TIMESTAMP;
        *svc_leaf = LOGS_SERVICE_NAME;
    } else if (t == &table_traces) {
        *ts_leaf = TRACES_TIMESTAMP;
        *svc_leaf = TRACES_SERVICE_NAME;
    } else if (t == &table_metrics_gauge || t == &table_metrics_sum || t == &table_metrics_histogram ||
               t == &table_metrics_exponential_histogram || t == &table_metrics_summary) {
        *ts_leaf = METRIC_TIMESTAMP; /* the metrics tables share their leading leaves */
        *svc_leaf = METRIC_SERVICE_NAME;
    } else
        return -1;
    return 0;
}
