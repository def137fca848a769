/* `otlp2parquet check`: tries the configured storage and, with Iceberg enabled, the catalog the
 * way the server will use them, and prints each step with the exact error and a hint at the
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

/* The catalog, read-only: GET /v1/config (auth mode, prefix), the namespace (GET; a missing one is
 * fine: created on first use), each table (loaded; a missing one is fine likewise). Creates
 * nothing. Prints to out; 0 when every step passed. */
int check_catalog(const config_t *cfg, FILE *out);

/* The hint for an error message of a catalog step ("config", "namespace" or "table") under the
 * auth mode auth (rest_catalog_auth's words); written into buf when it names values. "" when
 * there is none. */
const char *check_catalog_hint(const config_t *cfg, const char *auth, const char *step, const char *msg, char *buf,
                               size_t cap);

#endif
