#include "util/version.h"

/* The Makefile passes these to this file only. */
#ifndef OTLP2PARQUET_VERSION
#define OTLP2PARQUET_VERSION "unknown"
#endif
#ifndef OTLP2PARQUET_BUILD
#define OTLP2PARQUET_BUILD "unknown"
#endif

const char otlp2parquet_version[] = OTLP2PARQUET_VERSION;
const char otlp2parquet_build[] = OTLP2PARQUET_BUILD;
const char otlp2parquet_created_by[] = "otlp2parquet version " OTLP2PARQUET_VERSION " (build " OTLP2PARQUET_BUILD ")";
