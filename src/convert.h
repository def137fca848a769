/* `otlp2parquet convert`: OTLP export requests stored in files -> Parquet, offline. Every file's
 * content is told from its bytes: gzip (inflated, then looked at again), OTLP/JSON (one request,
 * or JSON Lines with one request per line; the signal from the top-level key), or protobuf (the
 * signal from --signal or the file name, since the bytes cannot say it). All files go through
 * one batching ingest that is flushed at the end, so many small inputs make few large files. */
#ifndef OTLP2PARQUET_CONVERT_H
#define OTLP2PARQUET_CONVERT_H

#include "ingest/ingest.h"

typedef struct {
    int signal; /* otlp_signal_t of protobuf input (and of JSON that names none); -1: not given */
    int quiet;  /* no progress line, no summary */
} convert_options_t;

/* Converts each file and flushes; returns the number of files that failed (each reported on
 * stderr), plus one when the final flush failed. */
int convert_files(ingest_t *ing, char *const *files, int nfiles, const convert_options_t *opt);

#endif
