/* Iceberg v2 manifests and manifest lists (Iceberg table spec, "Manifests" and "Manifest
 * Lists"): Avro container files whose schemas carry the spec's field ids. A commit turns the
 * pq_file_stats_t of its data files into ice_data_file_t entries, writes one manifest of them,
 * then a manifest list of that manifest plus every manifest of the parent snapshot (read back
 * with ice_manifest_list_read and carried forward unchanged). */
#ifndef OTLP2PARQUET_ICEBERG_MANIFEST_H
#define OTLP2PARQUET_ICEBERG_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "parquet/writer.h"
#include "table/schema.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- partition specs ---- */

typedef enum { ICE_IDENTITY, ICE_HOUR, ICE_DAY, ICE_MONTH, ICE_YEAR } ice_transform_t;

#define ICE_MAX_PARTITION_FIELDS 4
#define ICE_FIRST_PARTITION_FIELD_ID 1000 /* partition field ids start here, as Iceberg assigns them */

typedef struct {
    ice_transform_t transform;
    int32_t source_id;  /* field id of the source column (a top-level timestamptz or string) */
    int8_t source_type; /* phys_t of the source: PT_INT64 (timestamp µs) or PT_BYTE_ARRAY */
    int32_t field_id;   /* 1000, 1001, ... */
    char name[80];      /* "Timestamp_day", "ServiceName", ... as Iceberg names them */
} ice_partition_field_t;

typedef struct {
    int spec_id;
    int nfields;
    ice_partition_field_t fields[ICE_MAX_PARTITION_FIELDS];
} ice_partition_spec_t;

#define ICE_DEFAULT_PARTITION "day(Timestamp)"
#define ICE_PARTITION_ITEM_MAX 128 /* one item of the text, white space taken out, with its NUL */

/* Parses ICEBERG_PARTITION (DESIGN §5) for one table: NULL or "" is the default day(Timestamp);
 * `none` (or `unpartitioned`) an unpartitioned table (0 fields); else a comma-separated list of
 * hour/day/month/year/identity of Timestamp and identity of ServiceName, a bare column name
 * being identity (transforms case-insensitive, white space allowed). Field ids from 1000,
 * Iceberg's default names (`Timestamp_day`; the source name for identity), spec_id 0. 0, or -1
 * with ERR_CONFIG naming the item: an unknown transform or column, a transform the column's
 * type does not take, the same column partitioned twice by time (or twice the same way),
 * unbalanced parentheses, more than ICE_MAX_PARTITION_FIELDS fields. */
int ice_partition_spec_parse(const char *text, const table_schema_t *schema, ice_partition_spec_t *spec, err_t *err);
/* The spec's fields as JSON (Appendix C): [{"name":..,"transform":..,"source-id":..,"field-id":..}] */
int ice_partition_spec_fields_json(const ice_partition_spec_t *spec, buf_t *out);

/* One partition value: an int (hour/day/month/year: hours, days, months, years since 1970), a
 * long (identity of a timestamp: µs) or a string (identity of a string). */
typedef struct {
    int is_null;
    int64_t l;
    const char *s; /* string values (n bytes); in a data file, points at owned */
    size_t n;
    char *owned;   /* a data file's own copy of s (NUL-terminated), freed by ice_data_file_free;
                    * NULL in the values a caller passes in */
} ice_partition_value_t;

/* Appends the partition's path as Iceberg's PartitionSpec.partitionToPath makes it (the folder
 * a data file of these values goes in): `name=value` per field joined by '/', each value its
 * transform's human string (day 2026-12-04, hour 2026-12-04-10, month 2026-12, year 2026, a
 * timestamp 2026-12-04T10:11:12.123456Z, a string itself, null `null`), names and values
 * URL-encoded as java.net.URLEncoder does (space '+', [A-Za-z0-9.*_-] kept, else %XX). vals has
 * spec->nfields values. 0, or -1 when memory runs out. */
int ice_partition_path(const ice_partition_spec_t *spec, const ice_partition_value_t *vals, buf_t *out);

/* The transform of a timestamp (µs since the epoch, UTC); floors for times before 1970. */
int64_t ice_transform_timestamp(ice_transform_t t, int64_t us);

/* ---- data files ---- */

typedef struct {
    int32_t field_id;
    uint64_t column_size, value_count, null_count;
    int has_nan_count; /* floating point columns only */
    uint64_t nan_count;
    int has_lower, has_upper;
    buf_t lower, upper; /* single-value serialization (Appendix D), strings truncated */
} ice_column_metrics_t;

typedef struct {
    char *file_path;     /* absolute URI */
    uint64_t file_size_in_bytes, record_count;
    int npartition;
    ice_partition_value_t partition[ICE_MAX_PARTITION_FIELDS];
    int ncols;
    ice_column_metrics_t cols[SCHEMA_MAX_LEAVES];
    uint32_t nsplit_offsets;
    int64_t *split_offsets;
    int32_t sort_order_id; /* -1: none */
} ice_data_file_t;

/* Fills df from the writer's statistics of a file of this schema: every leaf's metrics keyed
 * by its field id, bounds converted and truncated (strings to 16 bytes as Iceberg's default
 * truncate(16) does; an upper bound that cannot be truncated is dropped). pvals: one value per
 * field of spec (copied; string values into df's own memory, so pvals need not outlive df). */
int ice_data_file_from_stats(ice_data_file_t *df, const table_schema_t *schema, const pq_file_stats_t *st,
                             const char *file_path, const ice_partition_spec_t *spec,
                             const ice_partition_value_t *pvals, int32_t sort_order_id, err_t *err);
void ice_data_file_free(ice_data_file_t *df);

/* Bound truncation, exposed for tests: append to out the lower / upper bound of a string
 * value cut to at most 16 bytes on a UTF-8 boundary. The upper bound's last character is
 * incremented; 0, 1 when no upper bound exists (nothing appended), -1 out of memory. */
int ice_bound_string_lower(const uint8_t *p, size_t n, buf_t *out);
int ice_bound_string_upper(const uint8_t *p, size_t n, buf_t *out);

/* ---- manifest lists' records ---- */

typedef struct {
    int contains_null;
    int contains_nan; /* -1: absent */
    int has_lower, has_upper;
    buf_t lower, upper;
} ice_field_summary_t;

#define ICE_UNASSIGNED_SEQ (-1) /* a new manifest's sequence numbers: the list writer assigns */

typedef struct {
    char *manifest_path;
    int64_t manifest_length;
    int32_t partition_spec_id;
    int32_t content;            /* 0 data, 1 deletes */
    int64_t sequence_number, min_sequence_number;
    int64_t added_snapshot_id;
    int64_t added_files_count, existing_files_count, deleted_files_count; /* -1: absent (v1) */
    int64_t added_rows_count, existing_rows_count, deleted_rows_count;
    int has_partitions;
    int npartitions;
    ice_field_summary_t *partitions;
    int has_key_metadata;
    buf_t key_metadata;
} ice_manifest_file_t;

void ice_manifest_file_free(ice_manifest_file_t *m);
void ice_manifest_files_free(ice_manifest_file_t *m, size_t n);

/* ---- writing a manifest ---- */

typedef struct {
    int64_t snapshot_id;         /* the snapshot that adds the files */
    const char *schema_json;     /* the table schema as JSON (the table metadata's) */
    int schema_id;
    const ice_partition_spec_t *spec;
    const char *manifest_path;   /* where the manifest will be stored (goes into *mf) */
} ice_manifest_opts_t;

/* Writes a v2 data manifest of nfiles ADDED entries (sequence numbers null: inherited) to out,
 * and fills *mf, its record for the manifest list (sequence numbers ICE_UNASSIGNED_SEQ,
 * partition summaries, counts). */
int ice_manifest_write(const ice_manifest_opts_t *o, const ice_data_file_t *files, size_t nfiles, buf_t *out,
                       ice_manifest_file_t *mf, err_t *err);

/* ---- manifest lists ---- */

/* Writes a v2 manifest list of snapshot snapshot_id (parent -1: none). Manifests whose
 * sequence numbers are ICE_UNASSIGNED_SEQ get sequence_number; every other field of every
 * manifest is written as it is. */
int ice_manifest_list_write(int64_t snapshot_id, int64_t parent_snapshot_id, int64_t sequence_number,
                            const ice_manifest_file_t *m, size_t n, buf_t *out, err_t *err);

/* Reads a v1 or v2 manifest list (ours or any other writer's): fields are found by field id,
 * else by name. v1 lists lack content and sequence numbers: 0, as the spec's inheritance rules
 * say. *out is an array of *n records for ice_manifest_files_free. */
int ice_manifest_list_read(const uint8_t *data, size_t len, ice_manifest_file_t **out, size_t *n, err_t *err);

/* The table schema as Iceberg JSON ({"type":"struct","schema-id":..,"fields":[...]}) with the
 * field ids of the table's constants. */
int ice_schema_json(const table_schema_t *schema, int schema_id, buf_t *out);

/* The Iceberg type of a leaf element: boolean, int, long, timestamptz, double, string, binary. */
const char *ice_primitive_type(const schema_elem_t *e);

/* ---- owned partition values ---- */

/* Makes v own its string: s[0..n) copied to v->owned (NUL-terminated) and s pointed at it;
 * nothing for null and non-string values. 0, or -1 when memory runs out (v unchanged). */
int ice_partition_value_own(ice_partition_value_t *v);

/* ---- reading a manifest ---- */

/* Reads an Iceberg v1 or v2 data manifest (Avro OCF) and calls cb with every entry's
 * data_file.file_path (path_len bytes, not NUL-terminated, valid during the call) and status
 * (0 EXISTING, 1 ADDED, 2 DELETED); cb returns nonzero to stop (then 0 is returned). Fields
 * found by field id (status 0, data_file 2, file_path 100), else by name. -1 on bad input
 * (ERR_INVALID, or the Avro reader's code) naming the entry. */
int ice_manifest_read_paths(const uint8_t *data, size_t len,
                            int (*cb)(void *ctx, const char *path, size_t path_len, int status), void *ctx,
                            err_t *err);

#endif
