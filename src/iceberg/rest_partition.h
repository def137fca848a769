/* The REST client's own parse of ICEBERG_PARTITION (part_spec_t), for table creation. It came
 * in parallel with partition.c (ice_partition_spec_t, used by the manifest writer); the two are
 * to become one. */
/* The Iceberg partition spec of a table, from ICEBERG_PARTITION (DESIGN §5): a comma-separated
 * list of `day(Timestamp)`, `hour(Timestamp)`, `month(Timestamp)`, `year(Timestamp)`,
 * `identity(Timestamp)` or `Timestamp`, `identity(ServiceName)` or `ServiceName`; `none` for an
 * unpartitioned table. Partition field ids start at 1000 as Iceberg assigns them, names are
 * Iceberg's defaults (`Timestamp_day`; the source name for identity), so the spec a catalog
 * stores is the very one we send and the manifests write. */
#ifndef OTLP2PARQUET_ICEBERG_PARTITION_H
#define OTLP2PARQUET_ICEBERG_PARTITION_H

#include <stdint.h>

#include "table/schema.h"
#include "util/err.h"

typedef enum { PART_IDENTITY, PART_YEAR, PART_MONTH, PART_DAY, PART_HOUR } part_transform_t;

#define PART_MAX_FIELDS 4
#define PART_FIRST_FIELD_ID 1000

typedef struct {
    part_transform_t transform;
    int32_t source_id;       /* the field id of the source column */
    int32_t field_id;        /* 1000, 1001, ... */
    const char *source_name; /* "Timestamp", "ServiceName" (points into the table schema) */
    char name[64];           /* "Timestamp_day", "ServiceName" */
} part_field_t;

typedef struct {
    int nfields;
    part_field_t fields[PART_MAX_FIELDS];
} part_spec_t;

/* Parses text (NULL or "" = the default day(Timestamp)) for table s. ERR_CONFIG naming the item
 * for an unknown transform or column, a transform the column's type does not take, or the same
 * column partitioned twice by time. */
int part_spec_parse(part_spec_t *out, const table_schema_t *s, const char *text, err_t *err);

/* "identity", "year", "month", "day", "hour": the transform as Iceberg writes it. */
const char *part_transform_name(part_transform_t t);

/* The field id of the top-level column called name, or -1. */
int32_t schema_top_field_id(const table_schema_t *s, const char *name);

#endif
