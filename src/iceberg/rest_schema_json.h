/* The Iceberg JSON forms (table spec, "Appendix C: JSON serialization") of our table schemas,
 * partition specs and sort order, built from the same constants as the Parquet field ids
 * (src/table/tables.c): what createTable sends, and what manifests carry in their metadata. */
#ifndef OTLP2PARQUET_ICEBERG_SCHEMA_JSON_H
#define OTLP2PARQUET_ICEBERG_SCHEMA_JSON_H

#include <jansson.h>

#include "iceberg/manifest.h"
#include "table/schema.h"
#include "util/buf.h"

/* {"type":"struct","schema-id":N,"fields":[...]}: every field with its id, name, required and
 * type (timestamptz, string, int, long, double, boolean; list with element-id and
 * element-required; map with key-id, value-id and value-required; struct). NULL when memory runs
 * out or the element list is malformed. The caller owns the result (json_decref). */
json_t *iceberg_schema_json(const table_schema_t *s, int schema_id);

/* {"spec-id":p->spec_id,"fields":[{"name","transform","source-id","field-id"}...]}. */
json_t *iceberg_partition_spec_json(const ice_partition_spec_t *p);

/* {"order-id":1,"fields":[ServiceName asc nulls-first, Timestamp asc nulls-first]} (DESIGN §3:
 * rows are sorted by ServiceName, Timestamp); NULL also when s lacks either column. */
json_t *iceberg_sort_order_json(const table_schema_t *s);

/* The compact JSON text of v appended to out; 0, or -1 when memory runs out. v is not consumed. */
int iceberg_json_text(buf_t *out, const json_t *v);

#endif
