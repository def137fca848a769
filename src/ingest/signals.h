/* What each OTLP signal turns into: its decoder and the tables it fills, in one table, so that a
 * new decoder (traces, metrics) or encoding (OTLP/JSON) is plugged in with a line or two in
 * signals.c and nothing else in the pipeline changes. Also the sort/partition key leaves of
 * every table. */
#ifndef OTLP2PARQUET_INGEST_SIGNALS_H
#define OTLP2PARQUET_INGEST_SIGNALS_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"
#include "otlp/decode.h"
#include "table/column.h"
#include "util/err.h"

/* Tables one request can fill at most (metrics fans out to five). */
#define SIGNAL_MAX_TABLES MT_COUNT

/* A protobuf request -> rows appended to out[0..ntables) (each initialised with its table). */
typedef int (*signal_decode_pb_fn)(const uint8_t *data, size_t len, table_batch_t **out, otlp_decode_ctx_t *ctx,
                                   err_t *err);

typedef struct {
    const char *name; /* "logs", "traces", "metrics": error messages and convert's --signal */
    int ntables;
    const table_schema_t *tables[SIGNAL_MAX_TABLES];
    signal_decode_pb_fn decode_pb; /* NULL: this build has no decoder for the signal */
} signal_desc_t;

/* The description of a signal, NULL when out of range. */
const signal_desc_t *signal_desc(otlp_signal_t sig);

/* 0 when requests of this signal and encoding can be decoded; otherwise ERR_UNSUPPORTED with a
 * message saying what is missing (checked before any work is done on the body). */
int signal_check(otlp_signal_t sig, otlp_encoding_t enc, err_t *err);

/* Decodes one request body into out[] (initialised batches of signal_desc(sig)->tables). ENC_JSON
 * is one OTLP/JSON request, ENC_NDJSON any number of them, one per line (or just one after the
 * other); all of them land in the same batches, so a body is accepted or refused whole. Errors
 * are prefixed with "{signal} request" (and "line N" for NDJSON). On error the batches hold
 * partial rows: the caller discards them. */
int signal_decode(otlp_signal_t sig, otlp_encoding_t enc, const uint8_t *body, size_t len, table_batch_t **out,
                  otlp_decode_ctx_t *ctx, err_t *err);

/* The leaves rows are sorted and partitioned by: Timestamp and ServiceName. -1 for a schema
 * that is not one of the tables. */
int table_key_leaves(const table_schema_t *t, int *ts_leaf, int *svc_leaf);

#endif
