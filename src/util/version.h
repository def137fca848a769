/* Version and build id, kept in one object so that a new commit recompiles one file. */
#ifndef OTLP2PARQUET_UTIL_VERSION_H
#define OTLP2PARQUET_UTIL_VERSION_H

extern const char otlp2parquet_version[];    /* "0.1.0" */
extern const char otlp2parquet_build[];      /* git commit, or "unknown" */
extern const char otlp2parquet_created_by[]; /* Parquet created_by: "otlp2parquet version X (build Y)" */

#endif
