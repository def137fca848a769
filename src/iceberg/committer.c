#include "iceberg/committer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "iceberg/pending_record.h"
#include "iceberg/rest.h"
#include "iceberg/table_io.h"
#include "table/tables.h"
#include "util/log.h"
#include "util/uuid.h"

/* Bounds of the retry loop: conflicts are cheap to retry (another writer won the race), unknown
 * outcomes and local failures are not; the whole loop stops after COMMIT_DEADLINE_MS. */
#define MAX_CONFLICTS 60
#define MAX_FAILURES 4
#define COMMIT_DEADLINE_MS 30000
#define BACKOFF_BASE_MS 50
#define BACKOFF_CAP_MS 2000
/* pending files are tried again after this, doubling up to the cap */
#define PENDING_RETRY_FIRST_MS 1000
#define PENDING_RETRY_CAP_MS 60000
#define MAX_METADATA_BYTES ((size_t)256 << 20) /* a manifest or manifest list we read back */
#define MAX_RECORD_BYTES ((size_t)1 << 20)
#define MAX_RECOVERED 100000
#define MAX_TRIED 8
#define PENDING_PREFIX "data/_pending/"

typedef struct {
    ice_data_file_t df;
    int pending;      /* 1: left over from an earlier failed commit (maybe committed after all) */
    int64_t seq_floor; /* pending: snapshots with a higher sequence number may already hold it */
    int64_t tried[MAX_TRIED];
    size_t ntried;
    char record_key[512]; /* its pending record, "" when none is stored */
} entry_t;

struct ice_table {
    ice_committer_t *c;
    const table_schema_t *schema;
    pthread_mutex_t mu; /* everything below; held through a commit */
    /* set once (under mu) when the table is open; from then on io, spec, sort_order_id and
     * schema_json never change, so targets are computed without mu, which a commit holds for
     * as long as it takes */
    atomic_int opened;
    rest_table_t meta;
    table_io_t *io;
    ice_partition_spec_t spec;
    int32_t sort_order_id;
    buf_t schema_json;
    entry_t *pending;
    size_t npending, cap;
    int64_t retry_at_ms, retry_gap_ms;
    pthread_mutex_t staged_mu; /* staged files: stored, waiting for the next commit */
    entry_t *staged;
    size_t nstaged, staged_cap;
    int no_probe;        /* the timer found no such table: it is created on first use */
    int64_t probe_at_ms; /* the timer's next look for an existing table while not opened */
};

struct ice_committer {
    const config_t *cfg;
    aws_cred_provider_t *creds;
    rest_catalog_t *cat;
    rest_ns_t ns;
    ice_table_t tables[TABLE_COUNT];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t random_u64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        v = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec;
    }
    return v;
}

/* A random positive 63-bit snapshot id, as the spec asks. */
static int64_t new_snapshot_id(void)
{
    int64_t id;
    do
        id = (int64_t)(random_u64() & INT64_MAX);
    while (id == 0);
    return id;
}

/* Full jitter: a random pause in [0, min(cap, base * 2^attempt)]. */
static void backoff(int attempt)
{
    int64_t ceiling = BACKOFF_BASE_MS << (attempt < 10 ? attempt : 10);
    if (ceiling > BACKOFF_CAP_MS)
        ceiling = BACKOFF_CAP_MS;
    int64_t ms = (int64_t)(random_u64() % (uint64_t)(ceiling + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void entry_free(entry_t *e) { ice_data_file_free(&e->df); }

/* ---- opening tables ---- */

static const char *transform_call(const char *t)
{
    static const char *const known[] = {"identity", "hour", "day", "month", "year"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(t, known[i]))
            return known[i];
    return NULL;
}

/* The spec the manifests must use: the table's default spec, which may differ from ours when the
 * table existed before. Only fields we can fill (time transforms of Timestamp, identity of
 * Timestamp or ServiceName) are accepted. */
static int spec_from_table(ice_table_t *t, err_t *err)
{
    const rest_table_t *m = &t->meta;
    const table_schema_t *s = t->schema;
    char text[512] = "";
    size_t used = 0;
    for (int i = 0; i < m->npart_fields; i++) {
        const rest_part_field_t *f = &m->part_fields[i];
        const char *tr = transform_call(f->transform);
        const schema_elem_t *src = f->source_id >= 0 && f->source_id <= INT32_MAX
                                       ? schema_top_elem_by_id(s, (int32_t)f->source_id)
                                       : NULL;
        const char *col = src ? src->name : NULL;
        if (!tr || !col || (strcmp(col, "Timestamp") && strcmp(col, "ServiceName")) ||
            (!strcmp(col, "ServiceName") && strcmp(tr, "identity")))
            return err_set(err, ERR_CONFIG,
                           "table %s: its partition field %s (%s of source %lld) is not one this writer can fill "
                           "(time transforms of Timestamp, identity of Timestamp or ServiceName)",
                           s->name, f->name, f->transform, (long long)f->source_id);
        int w = snprintf(text + used, sizeof text - used, "%s%s(%s)", i ? "," : "", tr, col);
        if (w < 0 || (size_t)w >= sizeof text - used)
            return err_set(err, ERR_CONFIG, "table %s: partition spec too long", s->name);
        used += (size_t)w;
    }
    if (m->npart_fields == 0)
        snprintf(text, sizeof text, "none");
    if (ice_partition_spec_parse(text, s, &t->spec, err))
        return err_prefix(err, "table %s", s->name);
    t->spec.spec_id = (int)m->default_spec_id;
    for (int i = 0; i < t->spec.nfields; i++) { /* the catalog's ids and names, which may be its own */
        t->spec.fields[i].field_id = (int32_t)m->part_fields[i].field_id;
        snprintf(t->spec.fields[i].name, sizeof t->spec.fields[i].name, "%s", m->part_fields[i].name);
    }
    return 0;
}

static int add_pending(ice_table_t *t, entry_t *e)
{
    if (t->npending == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        entry_t *p = realloc(t->pending, ncap * sizeof *p);
        if (!p)
            return -1;
        t->pending = p;
        t->cap = ncap;
    }
    t->pending[t->npending++] = *e;
    if (!t->retry_at_ms) {
        t->retry_gap_ms = PENDING_RETRY_FIRST_MS;
        t->retry_at_ms = now_ms() + t->retry_gap_ms;
    }
    return 0;
}

typedef struct {
    ice_table_t *t;
    size_t n;
    int failed;
} recover_ctx_t;

/* Pending records another run (or process) left behind: loaded as pending entries. */
static int recover_one(void *ctx, const char *key)
{
    recover_ctx_t *r = ctx;
    size_t kl = strlen(key);
    if (kl < 5 || strcmp(key + kl - 5, ".json") || kl >= sizeof((entry_t *)0)->record_key)
        return 0;
    if (r->n >= MAX_RECOVERED)
        return 1;
    buf_t b = {0};
    err_t err;
    err_clear(&err);
    entry_t e;
    memset(&e, 0, sizeof e);
    int rc = storage_get(table_io_storage(r->t->io), key, MAX_RECORD_BYTES, &b, &err);
    if (rc == 0 && ice_pending_decode(b.data, b.len, &e.df, &e.seq_floor, e.tried, MAX_TRIED, &e.ntried, &err) == 0) {
        e.pending = 1;
        memcpy(e.record_key, key, kl + 1);
        if (add_pending(r->t, &e))
            entry_free(&e);
        else
            r->n++;
    } else if (rc != 1) {
        log_msg(LOG_WARN, "Iceberg table '%s': pending record %s is unreadable, left alone: %s", r->t->schema->name, key,
                err.msg);
    }
    buf_free(&b);
    return 0;
}

/* Loads the table (create: creates it first when missing) and recovers its pending records. */
static int open_table(ice_table_t *t, int create, err_t *err)
{
    ice_committer_t *c = t->c;
    ice_partition_spec_t wanted;
    if (ice_partition_spec_parse(c->cfg->iceberg_partition, t->schema, &wanted, err))
        return -1;
    int created = 0;
    if (create ? rest_ensure_table(c->cat, &c->ns, t->schema, &wanted, &t->meta, &created, err)
               : rest_load_table(c->cat, &c->ns, t->schema->name, &t->meta, err))
        return err_prefix(err, "Iceberg table '%s'", t->schema->name);
    if (t->meta.format_version != 2)
        return err_set(err, ERR_CONFIG, "Iceberg table '%s' has format version %d; this writer writes version 2",
                       t->schema->name, t->meta.format_version);
    if (spec_from_table(t, err))
        return -1;
    t->sort_order_id = (int32_t)t->meta.default_sort_order_id;
    buf_clear(&t->schema_json);
    if (ice_schema_json(t->schema, (int)t->meta.current_schema_id, &t->schema_json) ||
        buf_append(&t->schema_json, "", 1))
        return err_set(err, ERR_NOMEM, "Iceberg table '%s': out of memory", t->schema->name);
    t->io = table_io_open(t->meta.location, c->cfg, &t->meta.config, c->creds, t->schema->name, err);
    if (!t->io)
        return -1;
    recover_ctx_t r = {.t = t};
    err_t lerr;
    err_clear(&lerr);
    if (storage_list(table_io_storage(t->io), PENDING_PREFIX, 0, recover_one, &r, &lerr))
        log_msg(LOG_WARN, "Iceberg table '%s': cannot list pending records: %s", t->schema->name, lerr.msg);
    atomic_store_explicit(&t->opened, 1, memory_order_release);
    log_msg(LOG_INFO, "Iceberg table '%s' %s at %s (snapshot: %lld, %zu pending file(s) found)", t->schema->name,
            created ? "created" : "loaded", t->meta.location, (long long)t->meta.main_snapshot_id, r.n);
    return 0;
}

/* ---- the committer ---- */

ice_committer_t *ice_committer_open(const config_t *cfg, aws_cred_provider_t *creds, err_t *err)
{
    ice_committer_t *c = calloc(1, sizeof *c);
    if (!c) {
        err_set(err, ERR_NOMEM, "Iceberg: out of memory");
        return NULL;
    }
    c->cfg = cfg;
    c->creds = creds;
    for (int i = 0; i < TABLE_COUNT; i++) {
        c->tables[i].c = c;
        c->tables[i].schema = tables_all[i];
        pthread_mutex_init(&c->tables[i].mu, NULL);
        pthread_mutex_init(&c->tables[i].staged_mu, NULL);
    }
    if (rest_ns_from_dotted(&c->ns, cfg->iceberg_namespace, err))
        goto fail;
    c->cat = rest_catalog_open(cfg, err);
    if (!c->cat)
        goto fail;
    if (rest_ensure_namespace(c->cat, &c->ns, err))
        goto fail;
    return c;
fail:
    ice_committer_close(c);
    return NULL;
}

static ice_table_t *table_of(ice_committer_t *c, const table_schema_t *s)
{
    for (int i = 0; i < TABLE_COUNT; i++)
        if (c->tables[i].schema == s || !strcmp(c->tables[i].schema->name, s->name))
            return &c->tables[i];
    return NULL;
}

static int commit_locked(ice_table_t *t, entry_t *fresh, size_t nfresh);

void ice_committer_close(ice_committer_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < TABLE_COUNT; i++) {
        ice_table_t *t = &c->tables[i];
        pthread_mutex_lock(&t->mu);
        if (t->opened && (t->npending || t->nstaged)) {
            commit_locked(t, t->staged, t->nstaged);
            free(t->staged);
            t->staged = NULL;
            t->nstaged = 0;
        }
        if (t->npending)
            log_msg(LOG_WARN,
                    "Iceberg table '%s': %zu data file(s) still not committed at exit; their pending records "
                    "under %s/%s are committed by the next run",
                    t->schema->name, t->npending, t->meta.location, PENDING_PREFIX);
        for (size_t k = 0; k < t->npending; k++)
            entry_free(&t->pending[k]);
        free(t->pending);
        table_io_close(t->io);
        rest_table_free(&t->meta);
        buf_free(&t->schema_json);
        pthread_mutex_unlock(&t->mu);
        pthread_mutex_destroy(&t->mu);
        pthread_mutex_destroy(&t->staged_mu);
    }
    rest_catalog_close(c->cat);
    free(c);
}

int ice_committer_target(ice_committer_t *c, const table_schema_t *schema, const uint8_t *svc, size_t svc_len,
                         int64_t ts, const char *id, ice_target_t *out, err_t *err)
{
    ice_table_t *t = table_of(c, schema);
    if (!t)
        return err_set(err, ERR_INTERNAL, "Iceberg: no table %s", schema->name);
    memset(out, 0, sizeof *out);
    if (!atomic_load_explicit(&t->opened, memory_order_acquire)) {
        pthread_mutex_lock(&t->mu);
        int orc = t->opened ? 0 : open_table(t, 1, err);
        pthread_mutex_unlock(&t->mu);
        if (orc) {
            /* not this request's fault: the rows stay buffered and are tried again */
            if (err->code != ERR_CONFIG)
                err->code = ERR_UNAVAILABLE;
            return -1;
        }
    }
    int rc;
    out->table = t;
    out->storage = table_io_storage(t->io);
    out->npvals = t->spec.nfields;
    for (int i = 0; i < t->spec.nfields; i++) {
        const ice_partition_field_t *f = &t->spec.fields[i];
        ice_partition_value_t *v = &out->pvals[i];
        if (f->source_type == PT_BYTE_ARRAY) {
            v->s = (const char *)svc;
            v->n = svc_len;
        } else {
            v->l = ice_transform_timestamp(f->transform, ts);
        }
    }
    buf_t path = {0};
    char uuid[37];
    if (!id) {
        uuid7_string(uuid);
        id = uuid;
    }
    rc = buf_append_str(&path, "data/");
    if (!rc && t->spec.nfields)
        rc = ice_partition_path(&t->spec, out->pvals, &path) || buf_append_str(&path, "/");
    if (!rc)
        rc = buf_printf(&path, "%s.parquet", id);
    if (rc || path.len >= sizeof out->key) {
        buf_free(&path);
        return err_set(err, rc ? ERR_NOMEM : ERR_INVALID, "Iceberg table '%s': data file path too long", schema->name);
    }
    memcpy(out->key, path.data, path.len);
    out->key[path.len] = 0;
    buf_free(&path);
    if (table_io_uri(t->io, out->key, out->uri, sizeof out->uri))
        return err_set(err, ERR_INVALID, "Iceberg table '%s': data file URI too long", schema->name);
    return 0;
}

int ice_target_same_partition(const ice_target_t *t, int64_t a, int64_t b)
{
    const ice_partition_spec_t *s = &t->table->spec;
    for (int i = 0; i < s->nfields; i++)
        if (s->fields[i].source_type != PT_BYTE_ARRAY &&
            ice_transform_timestamp(s->fields[i].transform, a) != ice_transform_timestamp(s->fields[i].transform, b))
            return 0;
    return 1;
}

int ice_target_file(const ice_target_t *t, const pq_file_stats_t *st, ice_new_file_t *f, err_t *err)
{
    f->table = t->table;
    return ice_data_file_from_stats(&f->df, t->table->schema, st, t->uri, &t->table->spec, t->pvals,
                                    t->table->sort_order_id, err);
}

/* ---- one commit ---- */

/* Is path in the sorted array of entry pointers? */
static int entry_path_cmp(const void *a, const void *b)
{
    return strcmp((*(entry_t *const *)a)->df.file_path, (*(entry_t *const *)b)->df.file_path);
}

typedef struct {
    entry_t **sorted;
    size_t n;
    int64_t snapshot_id;
    size_t found;
    char **found_paths;
} seek_ctx_t;

static int seek_path(void *ctx, const char *path, size_t len, int status)
{
    seek_ctx_t *s = ctx;
    if (status != 1) /* only ADDED entries say which snapshot committed a file */
        return 0;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *p = s->sorted[mid]->df.file_path;
        int r = strncmp(p, path, len);
        if (r == 0 && p[len])
            r = 1;
        if (r == 0) {
            s->sorted[mid]->seq_floor = -2; /* found: already committed */
            s->found++;
            return 0;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Pending entries may have been committed after all (an answer was lost, or another process
 * recovered their records): search the snapshots on main added since each entry's floor for
 * ADDED entries of their paths, and drop those found. Afterwards every floor is the head's. */
static int drop_committed(ice_table_t *t, entry_t **all, size_t *n, err_t *err)
{
    int64_t floor = INT64_MAX;
    size_t npend = 0;
    for (size_t i = 0; i < *n; i++)
        if (all[i]->pending) {
            npend++;
            if (all[i]->seq_floor < floor)
                floor = all[i]->seq_floor;
        }
    if (!npend)
        return 0;
    entry_t **sorted = malloc(npend * sizeof *sorted);
    if (!sorted)
        return err_set(err, ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (all[i]->pending)
            sorted[k++] = all[i];
    qsort(sorted, npend, sizeof *sorted, entry_path_cmp);
    seek_ctx_t sc = {.sorted = sorted, .n = npend};
    int rc = 0;
    const rest_snapshot_t *s = t->meta.main_snapshot_id >= 0 ? rest_table_snapshot(&t->meta, t->meta.main_snapshot_id)
                                                              : NULL;
    int64_t head_seq = s ? s->sequence_number : t->meta.last_sequence_number;
    buf_t b = {0};
    for (int guard = 0; s && s->sequence_number > floor && guard < 1000000 && rc == 0; guard++) {
        ice_manifest_file_t *mf = NULL;
        size_t nmf = 0;
        buf_clear(&b);
        int g = table_io_get_uri(t->io, s->manifest_list, MAX_METADATA_BYTES, &b, err);
        if (g) {
            rc = g > 0 ? err_set(err, ERR_UNAVAILABLE, "manifest list %s is missing", s->manifest_list) : -1;
            break;
        }
        if (ice_manifest_list_read(b.data, b.len, &mf, &nmf, err)) {
            rc = err_prefix(err, "%s", s->manifest_list);
            break;
        }
        for (size_t m = 0; m < nmf && rc == 0; m++) {
            if (mf[m].added_snapshot_id != s->snapshot_id || mf[m].content != 0 || mf[m].added_files_count == 0)
                continue;
            buf_clear(&b);
            g = table_io_get_uri(t->io, mf[m].manifest_path, MAX_METADATA_BYTES, &b, err);
            if (g)
                rc = g > 0 ? err_set(err, ERR_UNAVAILABLE, "manifest %s is missing", mf[m].manifest_path) : -1;
            else if (ice_manifest_read_paths(b.data, b.len, seek_path, &sc, err))
                rc = err_prefix(err, "%s", mf[m].manifest_path);
        }
        ice_manifest_files_free(mf, nmf);
        s = s->parent_id >= 0 ? rest_table_snapshot(&t->meta, s->parent_id) : NULL;
    }
    buf_free(&b);
    free(sorted);
    if (rc)
        return -1;
    size_t w = 0;
    for (size_t i = 0; i < *n; i++) {
        entry_t *e = all[i];
        if (e->pending && e->seq_floor == -2) {
            log_msg(LOG_INFO, "Iceberg table '%s': pending file %s was committed already", t->schema->name,
                    e->df.file_path);
            if (e->record_key[0]) {
                err_t derr;
                storage_del(table_io_storage(t->io), e->record_key, &derr);
            }
            entry_free(e);
            e->record_key[0] = 0;
            e->pending = -1; /* gone: the caller compacts its arrays */
            continue;
        }
        if (e->pending)
            e->seq_floor = head_seq;
        all[w++] = e;
    }
    *n = w;
    return 0;
}

typedef enum { TRY_OK, TRY_CONFLICT, TRY_UNKNOWN, TRY_FAILED, TRY_LOCAL } try_rc_t;

/* Writes the manifest and manifest list on the current head and asks the catalog to commit. */
static try_rc_t try_commit(ice_table_t *t, entry_t **all, size_t n, int64_t snapshot_id, char *mkey, char *lkey,
                           err_t *err)
{
    storage_t *st = table_io_storage(t->io);
    const rest_table_t *m = &t->meta;
    ice_data_file_t *dfs = malloc(n * sizeof *dfs);
    if (!dfs)
        return err_set(err, ERR_NOMEM, "out of memory"), TRY_LOCAL;
    int64_t added_records = 0, added_size = 0;
    for (size_t i = 0; i < n; i++) {
        dfs[i] = all[i]->df; /* shallow: the entries keep ownership */
        added_records += (int64_t)all[i]->df.record_count;
        added_size += (int64_t)all[i]->df.file_size_in_bytes;
    }
    char uuid[37], muri[4096], luri[4096];
    uuid7_string(uuid);
    snprintf(mkey, 512, "metadata/%s-m0.avro", uuid);
    snprintf(lkey, 512, "metadata/snap-%lld-1-%s.avro", (long long)snapshot_id, uuid);
    buf_t mbuf = {0}, lbuf = {0};
    ice_manifest_file_t *list = NULL;
    size_t nlist = 0;
    try_rc_t rc = TRY_LOCAL;
    if (table_io_uri(t->io, mkey, muri, sizeof muri) || table_io_uri(t->io, lkey, luri, sizeof luri)) {
        err_set(err, ERR_INVALID, "metadata URI too long");
        goto done;
    }
    ice_manifest_opts_t mo = {.snapshot_id = snapshot_id,
                              .schema_json = (const char *)t->schema_json.data,
                              .schema_id = (int)m->current_schema_id,
                              .spec = &t->spec,
                              .manifest_path = muri};
    ice_manifest_file_t mine;
    memset(&mine, 0, sizeof mine);
    if (ice_manifest_write(&mo, dfs, n, &mbuf, &mine, err))
        goto done;
    /* the parent's manifests, carried forward unchanged after the new one */
    const rest_snapshot_t *parent = m->main_snapshot_id >= 0 ? rest_table_snapshot(m, m->main_snapshot_id) : NULL;
    if (m->main_snapshot_id >= 0 && !parent) {
        ice_manifest_file_free(&mine);
        err_set(err, ERR_UNAVAILABLE, "snapshot %lld of main is not in the table metadata", (long long)m->main_snapshot_id);
        goto done;
    }
    if (parent) {
        int g = table_io_get_uri(t->io, parent->manifest_list, MAX_METADATA_BYTES, &lbuf, err);
        if (g || ice_manifest_list_read(lbuf.data, lbuf.len, &list, &nlist, err)) {
            if (g > 0)
                err_set(err, ERR_UNAVAILABLE, "the parent's manifest list %s is missing", parent->manifest_list);
            ice_manifest_file_free(&mine);
            err_prefix(err, "reading the parent snapshot's manifest list");
            goto done;
        }
    }
    ice_manifest_file_t *all_m = realloc(list, (nlist + 1) * sizeof *all_m);
    if (!all_m) {
        ice_manifest_file_free(&mine);
        err_set(err, ERR_NOMEM, "out of memory");
        goto done;
    }
    list = all_m;
    memmove(list + 1, list, nlist * sizeof *list);
    list[0] = mine;
    nlist++;
    int64_t seq = m->last_sequence_number + 1;
    buf_clear(&lbuf);
    if (ice_manifest_list_write(snapshot_id, parent ? parent->snapshot_id : -1, seq, list, nlist, &lbuf, err))
        goto done;
    if (storage_put(st, mkey, mbuf.data, mbuf.len, err) || storage_put(st, lkey, lbuf.data, lbuf.len, err)) {
        err_prefix(err, "storing metadata");
        goto done;
    }
    int64_t base_files = 0, base_records = 0, base_size = 0;
    if (parent && m->current_snapshot_id == m->main_snapshot_id) {
        base_files = m->total_data_files;
        base_records = m->total_records;
        base_size = m->total_files_size;
    }
    rest_commit_t cm = {
        .table_uuid = m->table_uuid,
        .assert_snapshot_id = parent ? parent->snapshot_id : -1,
        .snapshot_id = snapshot_id,
        .parent_snapshot_id = parent ? parent->snapshot_id : -1,
        .sequence_number = seq,
        .timestamp_ms = now_ms(),
        .schema_id = m->current_schema_id,
        .manifest_list = luri,
        .added_data_files = (int64_t)n,
        .added_records = added_records,
        .added_files_size = added_size,
        .total_data_files = base_files + (int64_t)n,
        .total_records = base_records + added_records,
        .total_files_size = base_size + added_size,
    };
    rest_table_t out;
    memset(&out, 0, sizeof out);
    switch (rest_commit(t->c->cat, &t->c->ns, t->schema->name, &cm, &out, err)) {
    case REST_COMMIT_OK:
        rest_table_free(&t->meta);
        t->meta = out;
        rc = TRY_OK;
        break;
    case REST_COMMIT_CONFLICT:
        rest_table_free(&out);
        rc = TRY_CONFLICT;
        break;
    case REST_COMMIT_UNKNOWN:
        rest_table_free(&out);
        rc = TRY_UNKNOWN;
        break;
    default:
        rest_table_free(&out);
        rc = TRY_FAILED;
        break;
    }
done:
    ice_manifest_files_free(list, nlist);
    buf_free(&mbuf);
    buf_free(&lbuf);
    free(dfs);
    return rc;
}

static int reload(ice_table_t *t, err_t *err)
{
    rest_table_t fresh;
    memset(&fresh, 0, sizeof fresh);
    if (rest_load_table(t->c->cat, &t->c->ns, t->schema->name, &fresh, err)) {
        rest_table_free(&fresh);
        return -1;
    }
    rest_table_free(&t->meta);
    t->meta = fresh;
    return 0;
}

static void drop_metadata(ice_table_t *t, const char *mkey, const char *lkey)
{
    err_t e;
    storage_del(table_io_storage(t->io), lkey, &e);
    storage_del(table_io_storage(t->io), mkey, &e);
}

/* Stores the pending record of e (best effort: the entry stays in memory either way). */
static void write_record(ice_table_t *t, entry_t *e)
{
    buf_t b = {0};
    const char *base = strrchr(e->df.file_path, '/');
    base = base ? base + 1 : e->df.file_path;
    snprintf(e->record_key, sizeof e->record_key, PENDING_PREFIX "%.*s.json",
             (int)(strlen(base) > 8 && !strcmp(base + strlen(base) - 8, ".parquet") ? strlen(base) - 8 : strlen(base)),
             base);
    err_t err;
    err_clear(&err);
    if (ice_pending_encode(&e->df, e->seq_floor, e->tried, e->ntried, &b) ||
        storage_put(table_io_storage(t->io), e->record_key, b.data, b.len, &err)) {
        log_msg(LOG_WARN, "Iceberg table '%s': cannot store the pending record of %s (kept in memory): %s",
                t->schema->name, e->df.file_path, err.msg[0] ? err.msg : "out of memory");
        e->record_key[0] = 0;
    }
    buf_free(&b);
}

/* Commits the fresh entries and every pending one; called with t->mu held. Fresh entries move
 * into t->pending when the commit finally fails. Returns 0 when everything is committed. */
static int commit_locked(ice_table_t *t, entry_t *fresh, size_t nfresh)
{
    size_t n = t->npending + nfresh;
    if (n == 0)
        return 0;
    entry_t **all = malloc(n * sizeof *all);
    if (!all) {
        for (size_t i = 0; i < nfresh; i++)
            if (add_pending(t, &fresh[i]))
                entry_free(&fresh[i]);
        return 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->npending; i++)
        all[k++] = &t->pending[i];
    for (size_t i = 0; i < nfresh; i++)
        all[k++] = &fresh[i];
    int64_t floor = t->meta.last_sequence_number; /* a snapshot of ours has a higher number */
    int64_t start = now_ms();
    int conflicts = 0, failures = 0, done = 0;
    int64_t snapshot_id = 0;
    err_t err;
    err_clear(&err);
    for (int attempt = 0;; attempt++) {
        if (attempt > 0 && now_ms() - start > COMMIT_DEADLINE_MS) {
            err_prefix(&err, "gave up after %d attempts in %lld ms", attempt, (long long)(now_ms() - start));
            break;
        }
        if (drop_committed(t, all, &n, &err)) {
            if (++failures > MAX_FAILURES)
                break;
            backoff(attempt);
            if (reload(t, &err) && ++failures > MAX_FAILURES)
                break;
            continue;
        }
        if (n == 0) {
            done = 1;
            break;
        }
        snapshot_id = new_snapshot_id();
        for (size_t i = 0; i < n; i++) {
            entry_t *e = all[i];
            if (e->ntried == MAX_TRIED)
                memmove(e->tried, e->tried + 1, (MAX_TRIED - 1) * sizeof e->tried[0]), e->ntried--;
            e->tried[e->ntried++] = snapshot_id;
        }
        char mkey[512], lkey[512];
        mkey[0] = lkey[0] = 0;
        try_rc_t r = try_commit(t, all, n, snapshot_id, mkey, lkey, &err);
        if (r == TRY_OK) {
            done = 1;
            break;
        }
        if (r == TRY_CONFLICT) {
            log_msg(LOG_DEBUG, "Iceberg table '%s': commit conflict (%s), retrying on the new head", t->schema->name,
                    err.msg);
            drop_metadata(t, mkey, lkey);
            if (++conflicts > MAX_CONFLICTS)
                break;
            backoff(attempt < 6 ? attempt : 6);
            if (reload(t, &err) && ++failures > MAX_FAILURES)
                break;
            continue;
        }
        if (r == TRY_UNKNOWN) {
            /* the catalog may have applied it: the reload says */
            log_msg(LOG_WARN, "Iceberg table '%s': commit outcome unknown (%s); reloading to find out",
                    t->schema->name, err.msg);
            err_t rerr;
            int reloaded = -1;
            for (int i = 0; i < 3 && reloaded; i++) {
                backoff(attempt + i);
                reloaded = reload(t, &rerr);
            }
            if (reloaded == 0 && rest_table_snapshot(&t->meta, snapshot_id)) {
                done = 1;
                break;
            }
            if (reloaded == 0)
                drop_metadata(t, mkey, lkey);
            /* the files' floor keeps them searched for if this attempt surfaces later */
            for (size_t i = 0; i < n; i++)
                if (!all[i]->pending) {
                    all[i]->pending = 1;
                    all[i]->seq_floor = floor;
                }
            if (++failures > MAX_FAILURES)
                break;
            continue;
        }
        if (mkey[0])
            drop_metadata(t, mkey, lkey);
        if (r == TRY_FAILED || ++failures > MAX_FAILURES)
            break;
        backoff(attempt);
        if (reload(t, &err) && ++failures > MAX_FAILURES)
            break;
    }
    /* the pending array is rebuilt from what is left; fresh entries join it on failure */
    size_t added_records = 0, nfiles = n;
    for (size_t i = 0; i < n; i++)
        added_records += all[i]->df.record_count;
    entry_t *keep = NULL;
    size_t nkeep = 0;
    if (done) {
        if (n)
            log_msg(LOG_INFO, "Successfully committed to catalog table '%s' (snapshot: %lld, files: %zu, records: %zu)",
                    t->schema->name, (long long)snapshot_id, nfiles, added_records);
        for (size_t i = 0; i < n; i++) {
            if (all[i]->record_key[0]) {
                err_t derr;
                storage_del(table_io_storage(t->io), all[i]->record_key, &derr);
            }
            entry_free(all[i]);
        }
        t->retry_at_ms = 0;
    } else {
        keep = malloc((n ? n : 1) * sizeof *keep);
        for (size_t i = 0; i < n; i++) {
            entry_t *e = all[i];
            if (!e->pending) {
                e->pending = 1;
                e->seq_floor = floor;
            }
            if (!e->record_key[0])
                write_record(t, e);
            if (keep)
                keep[nkeep++] = *e;
            else
                entry_free(e);
        }
        log_msg(LOG_WARN,
                "Iceberg table '%s': commit of %zu file(s) (%zu records) failed, kept as pending and retried "
                "later: %s",
                t->schema->name, nfiles, added_records, err.msg);
    }
    free(all);
    free(t->pending);
    t->pending = keep;
    t->npending = nkeep;
    t->cap = nkeep;
    if (!done) {
        t->retry_gap_ms = t->retry_gap_ms ? t->retry_gap_ms * 2 : PENDING_RETRY_FIRST_MS;
        if (t->retry_gap_ms > PENDING_RETRY_CAP_MS)
            t->retry_gap_ms = PENDING_RETRY_CAP_MS;
        t->retry_at_ms = now_ms() + t->retry_gap_ms;
    } else {
        t->retry_gap_ms = 0;
    }
    return done ? 0 : 1;
}

void ice_committer_stage(ice_committer_t *c, ice_new_file_t *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ice_table_t *t = files[i].table;
        pthread_mutex_lock(&t->staged_mu);
        if (t->nstaged == t->staged_cap) {
            size_t ncap = t->staged_cap ? t->staged_cap * 2 : 16;
            entry_t *p = realloc(t->staged, ncap * sizeof *p);
            if (!p) {
                pthread_mutex_unlock(&t->staged_mu);
                log_msg(LOG_ERROR, "Iceberg table '%s': out of memory; %s stays uncommitted", t->schema->name,
                        files[i].df.file_path);
                ice_data_file_free(&files[i].df);
                continue;
            }
            t->staged = p;
            t->staged_cap = ncap;
        }
        entry_t *e = &t->staged[t->nstaged++];
        memset(e, 0, sizeof *e);
        e->df = files[i].df;
        pthread_mutex_unlock(&t->staged_mu);
    }
    (void)c;
}

int ice_committer_commit(ice_committer_t *c, ice_new_file_t *files, size_t n)
{
    ice_committer_stage(c, files, n);
    int rc = 0;
    for (int ti = 0; ti < TABLE_COUNT; ti++) {
        ice_table_t *t = &c->tables[ti];
        pthread_mutex_lock(&t->staged_mu);
        size_t waiting = t->nstaged;
        pthread_mutex_unlock(&t->staged_mu);
        if (!waiting) /* nothing of this table: do not wait for a commit of someone else's */
            continue;
        pthread_mutex_lock(&t->mu);
        /* whatever is staged now goes into this snapshot, other threads' files too: the
         * commits of a table are one at a time, so they group themselves under load */
        pthread_mutex_lock(&t->staged_mu);
        entry_t *fresh = t->staged;
        size_t k = t->nstaged;
        t->staged = NULL;
        t->nstaged = t->staged_cap = 0;
        pthread_mutex_unlock(&t->staged_mu);
        if (k && commit_locked(t, fresh, k))
            rc = 1;
        pthread_mutex_unlock(&t->mu);
        free(fresh);
    }
    return rc;
}

void ice_committer_tick(ice_committer_t *c)
{
    int64_t now = now_ms();
    for (int ti = 0; ti < TABLE_COUNT; ti++) {
        ice_table_t *t = &c->tables[ti];
        if (pthread_mutex_trylock(&t->mu))
            continue; /* a commit is running: it takes the pending files along */
        if (!t->opened && !t->no_probe && now >= t->probe_at_ms) {
            /* an existing table may hold pending records of an earlier run, which should not
             * wait for new data to arrive; a missing one is created on first use only */
            err_t err;
            err_clear(&err);
            if (open_table(t, 0, &err)) {
                rest_table_free(&t->meta);
                memset(&t->meta, 0, sizeof t->meta);
                if (err.code == ERR_UNAVAILABLE)
                    t->probe_at_ms = now + PENDING_RETRY_CAP_MS;
                else
                    t->no_probe = 1;
                log_msg(LOG_DEBUG, "%s", err.msg);
            }
        }
        if (t->opened && t->npending && t->retry_at_ms && now >= t->retry_at_ms)
            commit_locked(t, NULL, 0);
        pthread_mutex_unlock(&t->mu);
    }
}

int ice_committer_retry_pending(ice_committer_t *c)
{
    int rc = 0;
    for (int ti = 0; ti < TABLE_COUNT; ti++) {
        ice_table_t *t = &c->tables[ti];
        pthread_mutex_lock(&t->mu);
        if (t->opened && t->npending && commit_locked(t, NULL, 0))
            rc = 1;
        pthread_mutex_unlock(&t->mu);
    }
    return rc;
}

size_t ice_committer_pending(ice_committer_t *c)
{
    size_t n = 0;
    for (int ti = 0; ti < TABLE_COUNT; ti++) {
        pthread_mutex_lock(&c->tables[ti].mu);
        n += c->tables[ti].npending;
        pthread_mutex_unlock(&c->tables[ti].mu);
    }
    return n;
}
