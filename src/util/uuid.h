/* UUID version 7 (RFC 9562): time-ordered, so object names sort by creation time. */
#ifndef OTLP2PARQUET_UTIL_UUID_H
#define OTLP2PARQUET_UTIL_UUID_H

/* Writes 36 characters and a NUL into out. Thread-safe. */
void uuid7_string(char out[37]);

#endif
