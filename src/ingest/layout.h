/* Object keys of plain Parquet output (DESIGN §4):
 * {table}/service={service}/year=YYYY/month=MM/day=DD/hour=HH/{uuidv7}.parquet */
#ifndef OTLP2PARQUET_INGEST_LAYOUT_H
#define OTLP2PARQUET_INGEST_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* Escapes a service name into one safe folder-name component: bytes other than [A-Za-z0-9._-]
 * become %XX (so '/', '%', control bytes and non-ASCII cannot leave or confuse the folder), a
 * name of only dots is escaped whole, and an over-long name is cut and suffixed with a hash so
 * that distinct services stay distinct. Writes at most outlen-1 bytes and a NUL. */
void layout_escape_service(const uint8_t *name, size_t len, char *out, size_t outlen);

/* The full key of a file; out needs at least 512 bytes. id is the file's UUID (36 characters),
 * or NULL for a new one. */
void layout_data_key(const char *table, const uint8_t *service, size_t service_len, int64_t ts_micros,
                     const char *id, char *out, size_t outlen);

#endif
