#include "ingest/flush.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/committer.h"
#include "ingest/layout.h"
#include "ingest/signals.h"
#include "util/civil_time.h"
#include "util/log.h"

/* Sort key of one row: (ServiceName, Timestamp), DESIGN §3. */
typedef struct {
    const uint8_t *svc;
    uint32_t svc_len;
    uint32_t row;
    int64_t ts;
} row_key_t;

static int svc_cmp(const row_key_t *a, const row_key_t *b)
{
    uint32_t n = a->svc_len < b->svc_len ? a->svc_len : b->svc_len;
    int r = n ? memcmp(a->svc, b->svc, n) : 0;
    if (r)
        return r;
    return (a->svc_len > b->svc_len) - (a->svc_len < b->svc_len);
}

static int row_key_cmp(const void *pa, const void *pb)
{
    const row_key_t *a = pa, *b = pb;
    int r = svc_cmp(a, b);
    if (r)
        return r;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row); /* stable: arrival order among equals */
}

/* Sorted keys of every row; NULL when memory runs out. */
static row_key_t *sorted_keys(const table_batch_t *b, err_t *err)
{
    int ts_leaf, svc_leaf;
    if (table_key_leaves(b->schema, &ts_leaf, &svc_leaf)) {
        err_set(err, ERR_INTERNAL, "%s: no sort key for this table", b->schema->name);
        return NULL;
    }
    row_key_t *keys = malloc((size_t)(b->nrows ? b->nrows : 1) * sizeof *keys);
    if (!keys) {
        err_set(err, ERR_NOMEM, "%s: out of memory sorting %u rows", b->schema->name, b->nrows);
        return NULL;
    }
    const column_t *ts = &b->cols[ts_leaf], *svc = &b->cols[svc_leaf];
    for (uint32_t r = 0; r < b->nrows; r++) {
        keys[r].svc = col_str_val(svc, r, &keys[r].svc_len);
        keys[r].ts = col_i64_val(ts, r);
        keys[r].row = r;
    }
    /* rows mostly arrive in order (one service, rising timestamps): then there is nothing to
     * sort, and one look at every neighbour says so */
    uint32_t i = 1;
    while (i < b->nrows && row_key_cmp(&keys[i - 1], &keys[i]) < 0)
        i++;
    if (i < b->nrows)
        qsort(keys, b->nrows, sizeof *keys, row_key_cmp);
    return keys;
}

int flush_sort(const table_batch_t *b, uint32_t *rows, err_t *err)
{
    row_key_t *keys = sorted_keys(b, err);
    if (!keys)
        return -1;
    for (uint32_t r = 0; r < b->nrows; r++)
        rows[r] = keys[r].row;
    free(keys);
    return 0;
}

/* The files a flush_write call has written: deleted again if a later one fails, committed to
 * Iceberg (in Iceberg mode) when all are stored. */
typedef struct {
    struct written_file {
        storage_t *storage;
        char key[1024];
    } *files;
    ice_new_file_t *ice; /* Iceberg mode: one per file */
    size_t n, cap;
    uint64_t rows, bytes;
} written_t;

static void undo(written_t *w)
{
    for (size_t i = 0; i < w->n; i++) {
        err_t derr;
        if (storage_del(w->files[i].storage, w->files[i].key, &derr))
            log_msg(LOG_WARN, "could not remove %s after a failed write: %s", w->files[i].key, derr.msg);
    }
}

static int grow(written_t *w, int iceberg)
{
    if (w->n < w->cap)
        return 0;
    size_t ncap = w->cap ? w->cap * 2 : 8;
    void *p = realloc(w->files, ncap * sizeof *w->files);
    if (!p)
        return -1;
    w->files = p;
    if (iceberg) {
        p = realloc(w->ice, ncap * sizeof *w->ice);
        if (!p)
            return -1;
        w->ice = p;
    }
    w->cap = ncap;
    return 0;
}

/* The UUID of the k-th file of a buffer whose file id is id: id itself for the first, then id
 * with its last hex digits mixed with k. Deterministic, so a retry overwrites rather than adds
 * (only a partition finer than an hour, identity(Timestamp), makes more than one). */
static void nth_id(const char *id, uint32_t k, char out[37])
{
    memcpy(out, id, 36);
    out[36] = 0;
    static const char hexd[] = "0123456789abcdef";
    for (int i = 0; i < 4 && k; i++, k >>= 4) {
        char *c = &out[35 - i];
        int v = *c >= 'a' ? *c - 'a' + 10 : *c >= 'A' ? *c - 'A' + 10 : *c - '0';
        *c = hexd[(v ^ (int)(k & 15)) & 15];
    }
}

/* One batch: sort, then a file per (service, hour) run, cut further at partition boundaries of
 * the Iceberg table. */
static int write_one(flusher_t *f, const table_batch_t *b, const char *id, written_t *w, buf_t *file, err_t *err)
{
    uint32_t n = b->nrows;
    row_key_t *keys = sorted_keys(b, err);
    uint32_t *rows = keys ? malloc((size_t)n * sizeof *rows) : NULL;
    if (!rows) {
        if (keys)
            err_set(err, ERR_NOMEM, "%s: out of memory sorting %u rows", b->schema->name, n);
        free(keys);
        return -1;
    }
    for (uint32_t r = 0; r < n; r++)
        rows[r] = keys[r].row;
    int rc = 0;
    uint32_t nth = 0;
    ice_target_t *target = f->iceberg ? malloc(sizeof *target) : NULL;
    if (f->iceberg && !target)
        rc = err_set(err, ERR_NOMEM, "%s: out of memory", b->schema->name);
    for (uint32_t start = 0; start < n && rc == 0; nth++) {
        if (grow(w, f->iceberg != NULL)) {
            rc = err_set(err, ERR_NOMEM, "%s: out of memory", b->schema->name);
            break;
        }
        char idbuf[37];
        const char *fid = id ? (nth_id(id, nth, idbuf), idbuf) : NULL;
        struct written_file *wf = &w->files[w->n];
        if (target) {
            rc = ice_committer_target(f->iceberg, b->schema, keys[start].svc, keys[start].svc_len, keys[start].ts, fid,
                                      target, err);
            if (rc)
                break;
            wf->storage = target->storage;
            snprintf(wf->key, sizeof wf->key, "%s", target->key);
        } else {
            wf->storage = f->storage;
            layout_data_key(b->schema->name, keys[start].svc, keys[start].svc_len, keys[start].ts, fid, wf->key,
                            sizeof wf->key);
        }
        int64_t hour = hour_of_micros(keys[start].ts);
        uint32_t end = start + 1;
        while (end < n && svc_cmp(&keys[end], &keys[start]) == 0 && hour_of_micros(keys[end].ts) == hour &&
               (!target || ice_target_same_partition(target, keys[start].ts, keys[end].ts)))
            end++;
        buf_clear(file);
        pq_file_stats_t st;
        memset(&st, 0, sizeof st);
        rc = pq_write(b, rows + start, end - start, &f->parquet, file, target ? &st : NULL, err);
        if (rc == 0 && storage_put(wf->storage, wf->key, file->data, file->len, err)) {
            /* storage trouble is the client's cue to retry later, not a bad request */
            err->code = ERR_UNAVAILABLE;
            rc = -1;
        }
        if (rc == 0 && target && ice_target_file(target, &st, &w->ice[w->n], err)) {
            err_t derr;
            storage_del(wf->storage, wf->key, &derr);
            rc = -1;
        }
        if (target)
            pq_file_stats_free(&st);
        if (rc == 0) {
            w->n++;
            w->rows += end - start;
            w->bytes += file->len;
            log_msg(LOG_DEBUG, "wrote %s (%u rows, %zu bytes)", target ? target->uri : wf->key, end - start,
                    file->len);
        }
        start = end;
    }
    free(target);
    free(keys);
    free(rows);
    return rc;
}

static int write_all(flusher_t *f, table_batch_t *const *batches, int n, const char *id, err_t *err)
{
    written_t w = {0};
    buf_t file = {0};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        if (batches[i]->nrows)
            rc = write_one(f, batches[i], id, &w, &file, err);
    if (rc) {
        undo(&w);
        for (size_t i = 0; f->iceberg && i < w.n; i++)
            ice_data_file_free(&w.ice[i].df);
    } else {
        atomic_fetch_add_explicit(&f->files, w.n, memory_order_relaxed);
        atomic_fetch_add_explicit(&f->rows, w.rows, memory_order_relaxed);
        atomic_fetch_add_explicit(&f->bytes, w.bytes, memory_order_relaxed);
        /* the files are durable: a commit that fails leaves them pending, never lost, so the
         * request has succeeded either way (warn and succeed) */
        if (f->iceberg && w.n && id)
            ice_committer_stage(f->iceberg, w.ice, w.n); /* flush_commit follows */
        else if (f->iceberg && w.n)
            ice_committer_commit(f->iceberg, w.ice, w.n);
    }
    free(w.files);
    free(w.ice);
    buf_free(&file);
    return rc;
}

int flush_write(flusher_t *f, table_batch_t *const *batches, int n, err_t *err)
{
    return write_all(f, batches, n, NULL, err);
}

int flush_write_id(flusher_t *f, table_batch_t *batch, const char *id, err_t *err)
{
    return write_all(f, &batch, 1, id, err);
}

void flush_commit(flusher_t *f)
{
    if (f->iceberg)
        ice_committer_commit(f->iceberg, NULL, 0);
}
