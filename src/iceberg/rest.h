/* An Iceberg REST catalog client (open-api/rest-catalog-open-api.yaml): GET /v1/config with the
 * warehouse (defaults < client settings < overrides, `prefix` used in every later path),
 * namespaces (parts joined by 0x1F, every segment percent-encoded), create / load / commit of
 * tables. Auth: SigV4 (glue, s3tables), bearer token, OAuth2 client credentials, or none.
 * Every response is treated as hostile: bounded, types checked, missing fields are errors.
 * Errors name the HTTP status, the catalog's error type and its message. */
#ifndef OTLP2PARQUET_ICEBERG_REST_H
#define OTLP2PARQUET_ICEBERG_REST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "iceberg/manifest.h"
#include "table/schema.h"
#include "util/err.h"

typedef struct {
    char *key, *value;
} rest_kv_t;

typedef struct {
    rest_kv_t *v;
    size_t n;
} rest_props_t;

const char *rest_props_get(const rest_props_t *p, const char *key);
void rest_props_free(rest_props_t *p);

#define REST_NS_MAX_PARTS 8

typedef struct {
    size_t nparts;
    char parts[REST_NS_MAX_PARTS][256];
} rest_ns_t;

/* "a.b" -> ["a","b"]. */
int rest_ns_from_dotted(rest_ns_t *ns, const char *dotted, err_t *err);

#define REST_MAX_PART_FIELDS 8

typedef struct {
    int64_t source_id, field_id;
    char name[128], transform[64];
} rest_part_field_t;

/* One entry of metadata.snapshots. */
typedef struct {
    int64_t snapshot_id, parent_id /* -1 none */, sequence_number, timestamp_ms;
    char *manifest_list;
} rest_snapshot_t;

#define REST_MAX_SNAPSHOTS 1000000
#define REST_MAX_MANIFEST_LIST 4096 /* bytes of a snapshot's manifest-list location */

/* What loadTable (or a commit) answered. */
typedef struct {
    char metadata_location[2048];
    int format_version;
    char table_uuid[64];
    char location[2048];
    int64_t last_sequence_number;
    int64_t last_column_id;
    int64_t current_snapshot_id; /* -1: none */
    int64_t main_snapshot_id;    /* refs.main, else current; -1: none */
    char manifest_list[2048];    /* of the current snapshot; "" when none */
    int64_t snapshot_sequence_number;
    int64_t total_data_files, total_records, total_files_size; /* current snapshot summary, 0 if absent */
    int64_t current_schema_id;
    int64_t default_spec_id;
    int npart_fields;
    rest_part_field_t part_fields[REST_MAX_PART_FIELDS];
    int64_t default_sort_order_id;
    rest_props_t config; /* loadTable's `config` plus matching storage-credentials (vended credentials) */
    rest_snapshot_t *snapshots; /* every snapshot the metadata lists, in its order (ancestry checks) */
    size_t nsnapshots;
} rest_table_t;

/* Frees what t owns and leaves it empty; t zeroed or already freed is fine. */
void rest_table_free(rest_table_t *t);

/* The snapshot with this id, or NULL when t lists none such. */
const rest_snapshot_t *rest_table_snapshot(const rest_table_t *t, int64_t snapshot_id);

/* A LoadTableResult (or CommitTableResponse) JSON text into out, as loadTable parses its answer
 * (for tests and fuzzing). out is zeroed or a table parsed before (freed first); on -1 (ERR_UNAVAILABLE
 * naming the field, ERR_NOMEM) it holds what was parsed so far, for rest_table_free. */
int rest_table_parse_json(const char *json, size_t len, rest_table_t *out, err_t *err);

typedef struct rest_catalog rest_catalog_t;

/* Opens the catalog from the configuration: picks the auth mode, GETs /v1/config. */
rest_catalog_t *rest_catalog_open(const config_t *cfg, err_t *err);
void rest_catalog_close(rest_catalog_t *c);
const char *rest_catalog_prefix(const rest_catalog_t *c);
const char *rest_catalog_auth(const rest_catalog_t *c); /* "none", "bearer", "oauth2", "sigv4 glue" ... */
const rest_props_t *rest_catalog_props(const rest_catalog_t *c);

/* Creates the namespace (and missing parents); already there is fine. */
int rest_ensure_namespace(rest_catalog_t *c, const rest_ns_t *ns, err_t *err);

/* Creates table s (schema, spec, sort order, format 2, parquet + zstd) unless it exists; loads
 * it. *created = 1 when this call created it. */
int rest_ensure_table(rest_catalog_t *c, const rest_ns_t *ns, const table_schema_t *s, const ice_partition_spec_t *spec,
                      rest_table_t *out, int *created, err_t *err);

int rest_load_table(rest_catalog_t *c, const rest_ns_t *ns, const char *name, rest_table_t *out, err_t *err);

typedef struct {
    const char *table_uuid;      /* assert-table-uuid */
    int64_t assert_snapshot_id;  /* assert-ref-snapshot-id on main; -1 = null (first commit) */
    int64_t snapshot_id, parent_snapshot_id; /* parent -1 = none */
    int64_t sequence_number, timestamp_ms, schema_id;
    const char *manifest_list;
    int64_t added_data_files, added_records, added_files_size;
    int64_t total_data_files, total_records, total_files_size;
} rest_commit_t;

typedef enum {
    REST_COMMIT_OK = 0,
    REST_COMMIT_CONFLICT, /* 409: reload, rebuild, retry */
    REST_COMMIT_UNKNOWN,  /* 5xx, timeout, no answer: reload to learn the outcome */
    REST_COMMIT_FAILED,   /* any other answer */
} rest_commit_rc_t;

/* out (may be NULL) receives the new metadata on success. */
rest_commit_rc_t rest_commit(rest_catalog_t *c, const rest_ns_t *ns, const char *table, const rest_commit_t *cm,
                             rest_table_t *out, err_t *err);

/* GET namespaces/{ns} (loadNamespaceMetadata), read-only: 1 when it exists, 0 when the catalog
 * answers 404 (err then holds its message), -1 on any other answer or none (err set).
 * Added for `otlp2parquet check`. */
int rest_namespace_exists(rest_catalog_t *c, const rest_ns_t *ns, err_t *err);

#endif
