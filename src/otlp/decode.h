/* OTLP decoders: request bytes straight into table batches, one pass, no object tree.
 * Rows of a request that fails to decode must be rolled back by the caller (batch_rollback);
 * the error message names the path of the bad field, e.g.
 * "resourceLogs[0].scopeLogs[1].logRecords[7].traceId: 15 bytes, want 16". */
#ifndef OTLP2PARQUET_OTLP_DECODE_H
#define OTLP2PARQUET_OTLP_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "table/column.h"
#include "util/err.h"

/* AnyValue kvlists and arrays nest at most this deep (deeper input is rejected as invalid). */
#define OTLP_MAX_DEPTH 64

typedef struct {
    int64_t now_ns;       /* receive time, used as ObservedTimestamp when a record has none */
    uint64_t rows_added;  /* out: rows appended */
    uint64_t rejected;    /* out: records dropped (reported through partialSuccess) */
    char reject_msg[256]; /* out: why, when rejected > 0 */
} otlp_decode_ctx_t;

/* ExportLogsServiceRequest (protobuf) -> rows of the logs table. */
int otlp_logs_decode_pb(const uint8_t *data, size_t len, table_batch_t *logs, otlp_decode_ctx_t *ctx,
                        err_t *err);

/* ExportTraceServiceRequest (protobuf) -> rows of the traces table. */
int otlp_traces_decode_pb(const uint8_t *data, size_t len, table_batch_t *traces, otlp_decode_ctx_t *ctx,
                          err_t *err);

/* The five metrics tables, in this order, for otlp_metrics_decode_pb. */
enum { MT_GAUGE, MT_SUM, MT_HISTOGRAM, MT_EXP_HISTOGRAM, MT_SUMMARY, MT_COUNT };

/* ExportMetricsServiceRequest (protobuf) -> rows of up to five tables (out[MT_*], each
 * initialised with its schema). A data point without a value is dropped and counted in
 * ctx->rejected (with ctx->reject_msg); the rest of the request is kept. */
int otlp_metrics_decode_pb(const uint8_t *data, size_t len, table_batch_t *out[MT_COUNT], otlp_decode_ctx_t *ctx,
                           err_t *err);

#endif
