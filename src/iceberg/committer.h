/* The Iceberg commit loop (DESIGN §7): each flush's data files become one snapshot of their
 * table. Tables are created (or found) on first use; data files go under the table's location
 * at data/{partition path}/{uuid7}.parquet. A commit writes one manifest of the new files and a
 * manifest list carrying every manifest of the parent snapshot forward, then asks the catalog to
 * move `main` from the parent to it. 409: reload, rebuild on the new parent, retry with jittered
 * backoff. 5xx or no answer: the outcome is learnt by reloading. A commit that finally fails
 * leaves its files pending (in memory and as a record under data/_pending/) and a later commit
 * includes them; before that, snapshots added since are searched for the files, so a file is
 * never committed twice, even when another process recovered its record first. The caller's
 * request still succeeds: a failed commit is a warning, never lost data.
 *
 * Thread-safe: commits of one table are serialised in this process (other writers are handled
 * by the catalog's assert-ref-snapshot-id). */
#ifndef OTLP2PARQUET_ICEBERG_COMMITTER_H
#define OTLP2PARQUET_ICEBERG_COMMITTER_H

#include <stddef.h>
#include <stdint.h>

#include "aws/credentials.h"
#include "config.h"
#include "iceberg/manifest.h"
#include "parquet/writer.h"
#include "storage/storage.h"
#include "table/schema.h"
#include "util/err.h"

typedef struct ice_committer ice_committer_t;
typedef struct ice_table ice_table_t;

/* Opens the catalog (GET /v1/config) and ensures the namespace. creds: the AWS credential chain
 * for S3 table locations without vended credentials (borrowed; may be NULL). */
ice_committer_t *ice_committer_open(const config_t *cfg, aws_cred_provider_t *creds, err_t *err);
/* Tries the pending files once more, then frees (their records stay for a later run). */
void ice_committer_close(ice_committer_t *c);

/* Where a new data file goes. */
typedef struct {
    ice_table_t *table;
    storage_t *storage; /* the table location's storage (valid until ice_committer_close) */
    char key[1024];     /* data/{partition path}/{id}.parquet */
    char uri[4096];     /* its absolute URI, as the manifest records it */
    int npvals;
    ice_partition_value_t pvals[ICE_MAX_PARTITION_FIELDS];
} ice_target_t;

/* The target of a file of schema whose rows have service svc and (first) timestamp ts; id is the
 * file's UUID (NULL: a new one). Opens (creates) the table on first use: ERR_UNAVAILABLE when
 * the catalog cannot be reached, so the caller keeps the rows and retries. svc must outlive the
 * target. */
int ice_committer_target(ice_committer_t *c, const table_schema_t *schema, const uint8_t *svc, size_t svc_len,
                         int64_t ts, const char *id, ice_target_t *out, err_t *err);

/* Do timestamps a and b fall into the same partition of the target's table (services equal)? */
int ice_target_same_partition(const ice_target_t *t, int64_t a, int64_t b);

/* One stored data file waiting for its commit. */
typedef struct {
    ice_table_t *table;
    ice_data_file_t df;
} ice_new_file_t;

/* Fills f for the file stored at target t, from the writer's statistics. */
int ice_target_file(const ice_target_t *t, const pq_file_stats_t *st, ice_new_file_t *f, err_t *err);

/* Adds files[0..n) (stored, any tables) to what the next commit takes; owns every df after. */
void ice_committer_stage(ice_committer_t *c, ice_new_file_t *files, size_t n);

/* Stages files[0..n) (n may be 0), then commits everything staged, one snapshot per table,
 * together with the table's pending files. 0 when all were committed; 1 when some are pending
 * (warned in the log). */
int ice_committer_commit(ice_committer_t *c, ice_new_file_t *files, size_t n);

/* Retries pending files of tables whose backoff has passed (the server's timer calls this). */
void ice_committer_tick(ice_committer_t *c);

/* Commits the pending files of every opened table now, whatever their backoff says (Lambda:
 * each invocation, since no timer runs between them). 0 when nothing is left pending, 1 when
 * some still are (warned in the log). */
int ice_committer_retry_pending(ice_committer_t *c);

/* Files pending over all tables. */
size_t ice_committer_pending(ice_committer_t *c);

#endif
