/* `otlp2parquet convert`: OTLP export requests stored in files -> Parquet, offline. */
#ifndef OTLP2PARQUET_CONVERT_H
#define OTLP2PARQUET_CONVERT_H

#include "ingest/ingest.h"

/* Converts each file; returns the number of files that failed (each reported on stderr). */
int convert_files(ingest_t *ing, char *const *files, int nfiles, int quiet);

#endif
