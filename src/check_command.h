/* `otlp2parquet check`: tries the configured storage (and, once Iceberg lands, the catalog) the
 * way the server will use it, and prints each step with the exact error and a hint at the
 * likely cause, so that a deployment problem is found before data is sent. */
#ifndef OTLP2PARQUET_CHECK_COMMAND_H
#define OTLP2PARQUET_CHECK_COMMAND_H

#include <stdio.h>

#include "config.h"
#include "storage/storage.h"

/* Writes a probe object, reads it back, deletes it; prints to out. 0 when every step passed. */
int check_storage(const config_t *cfg, storage_t *s, FILE *out);

/* The hint for an error message of a storage step ("" when there is none). */
const char *check_storage_hint(const config_t *cfg, const char *step, const char *msg);

#endif
