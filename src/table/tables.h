/* The tables of DESIGN §3. Field ids are fixed constants, documented in docs/schema.md and never
 * reused. They are numbered the way Iceberg assigns fresh ids when a table is created (every
 * field of a struct first, in order, then the children of each, depth first), so a catalog
 * that renumbers on create ends with the very same ids. */
#ifndef OTLP2PARQUET_TABLE_TABLES_H
#define OTLP2PARQUET_TABLE_TABLES_H

#include "table/schema.h"

/* Leaf indexes of the logs table, in schema order (a map has two: key, value). */
enum {
    LOGS_TIMESTAMP,
    LOGS_OBSERVED_TIMESTAMP,
    LOGS_TRACE_ID,
    LOGS_SPAN_ID,
    LOGS_TRACE_FLAGS,
    LOGS_SEVERITY_TEXT,
    LOGS_SEVERITY_NUMBER,
    LOGS_BODY,
    LOGS_EVENT_NAME,
    LOGS_SERVICE_NAME,
    LOGS_RESOURCE_ATTRS_KEY,
    LOGS_RESOURCE_ATTRS_VAL,
    LOGS_RESOURCE_SCHEMA_URL,
    LOGS_SCOPE_NAME,
    LOGS_SCOPE_VERSION,
    LOGS_SCOPE_ATTRS_KEY,
    LOGS_SCOPE_ATTRS_VAL,
    LOGS_SCOPE_SCHEMA_URL,
    LOGS_LOG_ATTRS_KEY,
    LOGS_LOG_ATTRS_VAL,
    LOGS_NLEAVES
};

extern table_schema_t table_logs;

/* Derives the leaves of every table; call once at start-up. Returns -1 on a malformed schema. */
int tables_init(void);
/* The table with this name, or NULL. */
const table_schema_t *table_by_name(const char *name);

#endif
