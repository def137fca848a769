/* Storage for an Iceberg table's files: its data and metadata live under the table's own
 * `location`, an absolute URI (`s3://bucket/path`, `file:/path` or a plain absolute path) that
 * the catalog chose, not under our storage root. S3 settings come from the table's `config`
 * in loadTable (credentials the catalog vends, its endpoint and region) and otherwise from ours
 * (S3_ENDPOINT, S3_REGION, S3_PATH_STYLE, the standard credential chain). */
#ifndef OTLP2PARQUET_ICEBERG_TABLE_IO_H
#define OTLP2PARQUET_ICEBERG_TABLE_IO_H

#include "aws/credentials.h"
#include "config.h"
#include "iceberg/rest.h"
#include "storage/storage.h"
#include "util/err.h"

typedef struct table_io table_io_t;

/* Opens a storage rooted at location. default_creds (may be NULL: no AWS credentials configured;
 * borrowed) is used for s3 locations unless props vend s3.access-key-id / s3.secret-access-key.
 * what names the table in errors and log lines. */
table_io_t *table_io_open(const char *location, const config_t *cfg, const rest_props_t *props,
                          aws_cred_provider_t *default_creds, const char *what, err_t *err);
void table_io_close(table_io_t *io);

storage_t *table_io_storage(table_io_t *io);

/* The key under the location of an absolute URI, or NULL when uri lies elsewhere. */
const char *table_io_key(const table_io_t *io, const char *uri);

/* location + "/" + key into out (at least 4096 bytes); -1 when it does not fit. */
int table_io_uri(const table_io_t *io, const char *key, char *out, size_t cap);

/* Reads an object by absolute URI, also one outside the location (a manifest list another
 * writer put elsewhere): 0 read, 1 missing, -1 error or more than max bytes. */
int table_io_get_uri(table_io_t *io, const char *uri, size_t max, buf_t *out, err_t *err);

#endif
