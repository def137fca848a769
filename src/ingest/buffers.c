#include "ingest/buffers.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iceberg/committer.h"
#include "ingest/layout.h"
#include "ingest/signals.h"
#include "util/civil_time.h"
#include "util/log.h"
#include "util/uuid.h"

#define NBUCKETS 1024
/* Retries of a failed write, and probes of a storage that is down: 1 s, 2 s, 4 s, ... at most
 * 15 s apart, so an outage of minutes is noticed to be over within seconds without hammering
 * the storage meanwhile. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 15000
/* The timer looks at least this often, whatever the deadlines say. */
#define TICK_MAX_MS 1000
/* buffers_flush_all (shutdown, end of convert): attempts per buffer before it gives up, with
 * pauses of 250 ms, 500 ms, 1 s, 2 s in between: a short storage hiccup at shutdown costs no
 * data, a real outage does not hold the exit for long (supervisors allow some 30 s). */
#define FINAL_ATTEMPTS 5
#define FINAL_PAUSE_MS 250

typedef struct part {
    struct part *next; /* in its bucket, the retry list, or a list being written */
    const table_schema_t *schema;
    uint64_t hash;
    int64_t hour; /* hours since the epoch */
    uint8_t *svc;
    uint32_t svc_len;
    table_batch_t batch;
    size_t acct;       /* bytes of this part counted in buffers.buffered */
    int64_t born_ms;   /* monotonic time of its first row: the age flush counts from here */
    unsigned failures; /* failed writes so far */
    int64_t retry_ms;  /* retry list: next attempt */
    int sealed;        /* full: takes no more rows; written when the request that filled it ends */
    char file_id[37];  /* the UUID of its file, the same at every attempt (flush_write_id) */
} part_t;

struct buffers {
    buffers_config_t cfg;
    pthread_mutex_t mu;
    pthread_cond_t wake; /* the timer: something changed (new buffer, failure, pressure, stop) */
    pthread_cond_t idle; /* a write ended (buffers_flush_all waits for others' writes) */
    part_t *buckets[NBUCKETS]; /* buffers taking rows */
    part_t *retry;             /* buffers whose write failed */
    size_t buffered;           /* bytes of every live part: filling, being written, retrying */
    uint64_t rows_buffered;
    uint32_t nparts, nretry;
    unsigned nflushing; /* parts taken out to be written and not back yet */
    int down;           /* the last storage write or probe failed */
    char down_msg[600];
    unsigned down_failures;
    int64_t probe_ms; /* while down: when the timer probes the storage next */
    int pressure;     /* the cap refused a request: write the largest buffers early */
    int stop;
    int timer_running;
    pthread_t timer;
};

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t backoff_ms(unsigned failures)
{
    int64_t ms = BACKOFF_FIRST_MS;
    for (unsigned i = 1; i < failures && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static uint64_t part_hash(const table_schema_t *t, const uint8_t *svc, uint32_t n, int64_t hour)
{
    uint64_t h = 1469598103934665603ULL;
    uintptr_t tp = (uintptr_t)t;
    for (size_t i = 0; i < sizeof tp; i++)
        h = (h ^ ((tp >> (8 * i)) & 0xff)) * 1099511628211ULL;
    for (int i = 0; i < 8; i++)
        h = (h ^ (((uint64_t)hour >> (8 * i)) & 0xff)) * 1099511628211ULL;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ svc[i]) * 1099511628211ULL;
    return h;
}

/* What a part holds in memory: the batch's buffers, the part and the copy of the name. */
static size_t part_cost(const part_t *p) { return sizeof *p + p->svc_len + batch_alloc_bytes(&p->batch); }

/* "logs service=checkout 2026-11-30T22h" for log lines; the name escaped as in file paths. */
static void part_describe(const part_t *p, char *out, size_t outlen)
{
    char svc[200];
    layout_escape_service(p->svc, p->svc_len, svc, sizeof svc);
    civil_hour_t c = civil_from_micros(p->hour * 3600000000LL);
    snprintf(out, outlen, "%s service=%s %04d-%02d-%02dT%02dh (%u rows)", p->schema->name, svc, c.year, c.month,
             c.day, c.hour, p->batch.nrows);
}

static part_t *part_new(const table_schema_t *t, uint64_t hash, const uint8_t *svc, uint32_t n, int64_t hour)
{
    part_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->svc = malloc(n ? n : 1);
    if (!p->svc) {
        free(p);
        return NULL;
    }
    if (n)
        memcpy(p->svc, svc, n);
    p->svc_len = n;
    p->schema = t;
    p->hash = hash;
    uuid7_string(p->file_id);
    p->hour = hour;
    batch_init(&p->batch, t);
    return p;
}

static void part_free(part_t *p)
{
    batch_free(&p->batch);
    free(p->svc);
    free(p);
}

/* The open (not sealed) buffer of a partition, or NULL. Caller holds mu. */
static part_t *find_open(buffers_t *b, const table_schema_t *t, uint64_t hash, const uint8_t *svc, uint32_t n,
                         int64_t hour)
{
    for (part_t *p = b->buckets[hash % NBUCKETS]; p; p = p->next)
        if (!p->sealed && p->hash == hash && p->schema == t && p->hour == hour && p->svc_len == n &&
            (n == 0 || memcmp(p->svc, svc, n) == 0))
            return p;
    return NULL;
}

static void unlink_part(buffers_t *b, part_t *p)
{
    part_t **pp = &b->buckets[p->hash % NBUCKETS];
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    p->next = NULL;
}

buffers_t *buffers_new(const buffers_config_t *cfg, err_t *err)
{
    if (!cfg->flusher || cfg->max_rows == 0 || cfg->max_bytes == 0 || cfg->max_buffered == 0) {
        err_set(err, ERR_CONFIG, "buffers: incomplete configuration");
        return NULL;
    }
    buffers_t *b = calloc(1, sizeof *b);
    if (!b) {
        err_set(err, ERR_NOMEM, "buffers: out of memory");
        return NULL;
    }
    b->cfg = *cfg;
    if (b->cfg.max_rows > UINT32_MAX)
        b->cfg.max_rows = UINT32_MAX; /* a batch counts its rows in 32 bits */
    pthread_mutex_init(&b->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->wake, &ca);
    pthread_cond_init(&b->idle, &ca);
    pthread_condattr_destroy(&ca);
    return b;
}

void buffers_free(buffers_t *b)
{
    if (!b)
        return;
    buffers_stop(b);
    uint64_t lost = 0;
    for (int i = 0; i < NBUCKETS; i++)
        for (part_t *p = b->buckets[i], *next; p; p = next) {
            next = p->next;
            lost += p->batch.nrows;
            part_free(p);
        }
    for (part_t *p = b->retry, *next; p; p = next) {
        next = p->next;
        lost += p->batch.nrows;
        part_free(p);
    }
    if (lost)
        log_msg(LOG_ERROR, "ingest: %llu accepted rows were never written (storage: %s)", (unsigned long long)lost,
                b->down_msg[0] ? b->down_msg : "no flush before exit");
    pthread_cond_destroy(&b->wake);
    pthread_cond_destroy(&b->idle);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* Storage is down: remembered with its message, and probed by the timer with backoff. The wait
 * grows with every failed probe and with every fall from up to down; many buffers failing at
 * once (already down) do not push the next probe out. Only a successful write starts the
 * schedule over (mark_up from_write), as a probe can succeed where writes still fail (a folder
 * below the root, a bucket policy on a prefix). Holds mu. */
static void mark_down(buffers_t *b, const char *msg, int64_t now, int probe)
{
    snprintf(b->down_msg, sizeof b->down_msg, "%s", msg);
    if (b->down && !probe)
        return;
    b->down = 1;
    b->down_failures++;
    b->probe_ms = now + backoff_ms(b->down_failures);
    pthread_cond_signal(&b->wake);
}

/* The storage works again: buffers waiting for a retry go at once rather than at the end of
 * their backoff (while it was down, the timer wrote nothing but probes). Only a real write
 * resets the probe schedule. Holds mu. */
static void mark_up(buffers_t *b, int64_t now, int from_write)
{
    if (b->down)
        log_msg(LOG_INFO, "ingest: storage works again (%s); %u buffers waiting for a retry",
                from_write ? "a write succeeded" : "probe", b->nretry);
    b->down = 0;
    if (from_write)
        b->down_failures = 0;
    int due = 0;
    for (part_t *p = b->retry; p; p = p->next)
        if (p->retry_ms > now) {
            p->retry_ms = now;
            due = 1;
        }
    if (due)
        pthread_cond_signal(&b->wake);
}

/* Writes one part taken out of the map (counted in nflushing) and settles it: freed when
 * written, onto the retry list when not. Called without mu. */
static void part_write(buffers_t *b, part_t *p)
{
    err_t err;
    err_clear(&err);
    table_batch_t *one = &p->batch;
    /* the same file name at every attempt: see flush_write_id */
    int rc = flush_write_id(b->cfg.flusher, one, p->file_id, &err);
    char what[300];
    part_describe(p, what, sizeof what);
    int64_t now = mono_ms();
    pthread_mutex_lock(&b->mu);
    b->nflushing--;
    int64_t wait_ms = 0;
    if (rc == 0) {
        b->buffered -= p->acct;
        b->rows_buffered -= p->batch.nrows;
        b->nparts--;
        mark_up(b, now, 1);
    } else {
        p->failures++;
        wait_ms = backoff_ms(p->failures);
        p->retry_ms = now + wait_ms;
        p->next = b->retry;
        b->retry = p;
        b->nretry++;
        /* only the storage failing says anything about other writes; an encoder failure
         * (memory) concerns this buffer alone */
        if (err.code == ERR_UNAVAILABLE)
            mark_down(b, err.msg, now, 0);
        pthread_cond_signal(&b->wake);
    }
    pthread_cond_broadcast(&b->idle);
    unsigned failures = p->failures;
    pthread_mutex_unlock(&b->mu);
    if (rc == 0) {
        if (failures)
            log_msg(LOG_INFO, "ingest: wrote %s after %u failed attempts", what, failures);
        part_free(p);
    } else {
        log_msg(LOG_WARN, "ingest: writing %s failed (attempt %u): %s; kept in memory, next try in %lld ms", what,
                failures, err.msg, (long long)wait_ms);
    }
}

static void write_list(buffers_t *b, part_t *list)
{
    while (list) {
        part_t *next = list->next;
        list->next = NULL;
        part_write(b, list);
        list = next;
    }
    flush_commit(b->cfg.flusher);
}

/* --- adding rows ----------------------------------------------------------------------------- */

/* One row's partition, for grouping a request's rows before the lock is taken. */
typedef struct {
    const uint8_t *svc;
    uint32_t svc_len;
    uint32_t row;
    int64_t hour;
} pkey_t;

static int pkey_cmp(const void *pa, const void *pb)
{
    const pkey_t *x = pa, *y = pb;
    uint32_t n = x->svc_len < y->svc_len ? x->svc_len : y->svc_len;
    int r = n ? memcmp(x->svc, y->svc, n) : 0;
    if (r)
        return r;
    if (x->svc_len != y->svc_len)
        return x->svc_len < y->svc_len ? -1 : 1;
    if (x->hour != y->hour)
        return x->hour < y->hour ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row); /* arrival order within a partition */
}

typedef struct {
    uint32_t start, n; /* into rows[] */
    uint64_t hash;
} group_t;

/* A request batch made ready to be copied: its rows grouped by partition, and its row index. */
typedef struct {
    const table_batch_t *src;
    batch_row_index_t ix;
    pkey_t *keys;   /* sorted; keys[g.start] names group g's partition */
    uint32_t *rows; /* rows[k] = keys[k].row */
    group_t *groups;
    uint32_t ngroups;
} prep_t;

static void prep_free(prep_t *p)
{
    batch_row_index_free(&p->ix);
    free(p->keys);
    free(p->rows);
    free(p->groups);
}

static int prep_batch(const table_batch_t *src, prep_t *p, err_t *err)
{
    memset(p, 0, sizeof *p);
    p->src = src;
    int ts_leaf, svc_leaf;
    if (table_key_leaves(src->schema, &ts_leaf, &svc_leaf))
        return err_set(err, ERR_INTERNAL, "%s: no partition key for this table", src->schema->name);
    uint32_t n = src->nrows;
    p->keys = malloc((size_t)n * sizeof *p->keys);
    p->rows = malloc((size_t)n * sizeof *p->rows);
    p->groups = malloc((size_t)n * sizeof *p->groups);
    if (!p->keys || !p->rows || !p->groups || batch_row_index_build(src, &p->ix))
        return err_set(err, ERR_NOMEM, "%s: out of memory grouping %u rows", src->schema->name, n);
    const column_t *ts = &src->cols[ts_leaf], *svc = &src->cols[svc_leaf];
    for (uint32_t r = 0; r < n; r++) {
        p->keys[r].svc = col_str_val(svc, r, &p->keys[r].svc_len);
        p->keys[r].hour = hour_of_micros(col_i64_val(ts, r));
        p->keys[r].row = r;
    }
    /* a request's rows are mostly grouped already (resource by resource, within the hour):
     * sorted keys need no qsort */
    uint32_t i = 1;
    while (i < n && pkey_cmp(&p->keys[i - 1], &p->keys[i]) < 0)
        i++;
    if (i < n)
        qsort(p->keys, n, sizeof *p->keys, pkey_cmp);
    for (uint32_t k = 0; k < n; k++) {
        p->rows[k] = p->keys[k].row;
        const pkey_t *a = &p->keys[k], *g = p->ngroups ? &p->keys[p->groups[p->ngroups - 1].start] : NULL;
        if (g && g->svc_len == a->svc_len && g->hour == a->hour && (a->svc_len == 0 || !memcmp(g->svc, a->svc, a->svc_len))) {
            p->groups[p->ngroups - 1].n++;
            continue;
        }
        p->groups[p->ngroups++] = (group_t){k, 1, part_hash(src->schema, a->svc, a->svc_len, a->hour)};
    }
    return 0;
}

/* What one copy into a part changed, to undo a request that fails half way. */
typedef struct {
    part_t *p;
    batch_mark_t mark;
    uint32_t added;
    uint8_t created, sealed;
} undo_t;

/* The cap is reached: the client is to retry later. While the storage is down, the message says
 * so, as that is why the buffers do not drain. Holds mu. */
static int full_error(const buffers_t *b, size_t need, err_t *err)
{
    char why[sizeof b->down_msg + 40] = "";
    if (b->down)
        snprintf(why, sizeof why, "; storage unavailable: %s", b->down_msg);
    if (need)
        return err_set(err, ERR_UNAVAILABLE, "buffers full (%zu of %zu bytes buffered, the request needs %zu)%s, retry later",
                       b->buffered, b->cfg.max_buffered, need, why);
    return err_set(err, ERR_UNAVAILABLE, "buffers full (%zu of %zu bytes)%s, retry later", b->buffered,
                   b->cfg.max_buffered, why);
}

int buffers_admit(buffers_t *b, err_t *err)
{
    int rc = 0;
    pthread_mutex_lock(&b->mu);
    if (b->buffered >= b->cfg.max_buffered) {
        b->pressure = 1;
        pthread_cond_signal(&b->wake);
        rc = full_error(b, 0, err);
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/* The copies, under mu; every part touched is recorded in undo[], also when it fails. */
static int add_locked(buffers_t *b, prep_t *preps, int nprep, undo_t **undo, size_t *nundo, size_t *cap,
                      int64_t now, err_t *err)
{
    for (int i = 0; i < nprep; i++) {
        prep_t *pr = &preps[i];
        const table_schema_t *t = pr->src->schema;
        for (uint32_t g = 0; g < pr->ngroups; g++) {
            const group_t *grp = &pr->groups[g];
            const pkey_t *k = &pr->keys[grp->start];
            for (uint32_t done = 0; done < grp->n;) {
                if (*nundo == *cap) {
                    size_t ncap = *cap ? *cap * 2 : 8;
                    undo_t *u = realloc(*undo, ncap * sizeof *u);
                    if (!u)
                        return err_set(err, ERR_NOMEM, "ingest: out of memory");
                    *undo = u;
                    *cap = ncap;
                }
                undo_t *u = &(*undo)[*nundo];
                memset(u, 0, sizeof *u);
                part_t *p = find_open(b, t, grp->hash, k->svc, k->svc_len, k->hour);
                if (!p) {
                    p = part_new(t, grp->hash, k->svc, k->svc_len, k->hour);
                    if (!p)
                        return err_set(err, ERR_NOMEM, "ingest: out of memory");
                    p->born_ms = now;
                    p->next = b->buckets[grp->hash % NBUCKETS];
                    b->buckets[grp->hash % NBUCKETS] = p;
                    b->nparts++;
                    u->created = 1;
                }
                u->p = p;
                (*nundo)++;
                batch_mark(&p->batch, &u->mark);
                /* an open part has fewer than max_rows rows: fill it up to there, and let the
                 * rest go to a new part, so that no file has more than BATCH_MAX_ROWS rows */
                uint64_t room = b->cfg.max_rows - p->batch.nrows;
                uint32_t take = grp->n - done < room ? grp->n - done : (uint32_t)room;
                if (batch_append_rows_ix(&p->batch, pr->src, &pr->ix, pr->rows + grp->start + done, take))
                    return err_set(err, ERR_NOMEM, "%s: out of memory (or a column past 4 GiB) buffering %u rows",
                                   t->name, take);
                u->added = take;
                done += take;
                if (p->batch.nrows >= b->cfg.max_rows || batch_bytes(&p->batch) >= b->cfg.max_bytes) {
                    p->sealed = 1;
                    u->sealed = 1;
                }
            }
        }
    }
    return 0;
}

int buffers_add(buffers_t *b, table_batch_t *const *batches, int n, err_t *err)
{
    if (n > SIGNAL_MAX_TABLES)
        return err_set(err, ERR_INTERNAL, "ingest: %d batches in one request, at most %d", n, SIGNAL_MAX_TABLES);
    size_t est = 0;
    int nonempty = 0;
    for (int i = 0; i < n; i++) {
        est += batch_bytes(batches[i]);
        nonempty += batches[i]->nrows > 0;
    }
    if (nonempty == 0)
        return 0;
    if (est > b->cfg.max_buffered)
        return BUFFERS_TOO_BIG;

    prep_t preps[SIGNAL_MAX_TABLES];
    int nprep = 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (batches[i]->nrows == 0)
            continue;
        rc = prep_batch(batches[i], &preps[nprep], err);
        nprep++;
    }
    undo_t *undo = NULL;
    size_t nundo = 0, ucap = 0;
    part_t *full = NULL;
    if (rc == 0) {
        int64_t now = mono_ms();
        pthread_mutex_lock(&b->mu);
        if (b->buffered > b->cfg.max_buffered || est > b->cfg.max_buffered - b->buffered) {
            b->pressure = 1;
            pthread_cond_signal(&b->wake);
            rc = full_error(b, est, err);
        } else {
            rc = add_locked(b, preps, nprep, &undo, &nundo, &ucap, now, err);
            int created = 0;
            if (rc) {
                /* undo in reverse: every part back to its mark, new ones gone */
                for (size_t i = nundo; i-- > 0;) {
                    undo_t *u = &undo[i];
                    batch_rollback(&u->p->batch, &u->mark);
                    if (u->sealed)
                        u->p->sealed = 0;
                    if (u->created) {
                        unlink_part(b, u->p);
                        part_free(u->p);
                        b->nparts--;
                        u->p = NULL;
                    }
                }
            }
            for (size_t i = 0; i < nundo; i++) {
                undo_t *u = &undo[i];
                if (!u->p)
                    continue;
                /* memory is counted as allocated: a rolled-back copy may still have grown a buffer */
                size_t cost = part_cost(u->p);
                b->buffered = b->buffered - u->p->acct + cost;
                u->p->acct = cost;
                if (rc)
                    continue;
                b->rows_buffered += u->added;
                created |= u->created;
                if (u->sealed) {
                    unlink_part(b, u->p);
                    if (b->down) {
                        /* a write now would only fail: it waits for the probe that finds the
                         * storage back, and the request is answered at once */
                        u->p->retry_ms = b->probe_ms;
                        u->p->next = b->retry;
                        b->retry = u->p;
                        b->nretry++;
                        continue;
                    }
                    u->p->next = full;
                    full = u->p;
                    b->nflushing++;
                }
            }
            if (created) /* a new deadline the timer does not know yet */
                pthread_cond_signal(&b->wake);
        }
        pthread_mutex_unlock(&b->mu);
    }
    free(undo);
    for (int i = 0; i < nprep; i++)
        prep_free(&preps[i]);
    /* full buffers are written by the request that filled them: the writes of many requests run
     * in parallel, and a client that fills buffers quickly is slowed down by its own writes */
    write_list(b, full);
    return rc;
}

/* --- flushing everything ------------------------------------------------------------------- */

/* Takes every part out of the map and the retry list (all counted in nflushing). Holds mu. */
static part_t *take_all(buffers_t *b)
{
    part_t *list = NULL;
    for (int i = 0; i < NBUCKETS; i++) {
        while (b->buckets[i]) {
            part_t *p = b->buckets[i];
            b->buckets[i] = p->next;
            p->next = list;
            list = p;
            b->nflushing++;
        }
    }
    while (b->retry) {
        part_t *p = b->retry;
        b->retry = p->next;
        p->next = list;
        list = p;
        b->nflushing++;
        b->nretry--;
    }
    return list;
}

int buffers_flush_all(buffers_t *b, err_t *err)
{
    for (unsigned failures = 0;;) {
        pthread_mutex_lock(&b->mu);
        /* writes other threads started finish first: a failure of theirs lands on the retry
         * list, which is taken below */
        while (b->nflushing > 0)
            pthread_cond_wait(&b->idle, &b->mu);
        part_t *list = take_all(b);
        pthread_mutex_unlock(&b->mu);
        if (!list)
            return 0;
        write_list(b, list);
        pthread_mutex_lock(&b->mu);
        int failed = b->nretry > 0;
        uint64_t rows = 0;
        for (const part_t *p = b->retry; p; p = p->next)
            rows += p->batch.nrows;
        uint32_t nretry = b->nretry;
        char msg[sizeof b->down_msg];
        snprintf(msg, sizeof msg, "%s", b->down_msg);
        pthread_mutex_unlock(&b->mu);
        if (!failed)
            continue; /* look again: requests may have added rows meanwhile */
        if (++failures >= FINAL_ATTEMPTS)
            return err_set(err, ERR_UNAVAILABLE, "%llu rows in %u buffers could not be written: %s",
                           (unsigned long long)rows, nretry, msg[0] ? msg : "see the warnings above");
        long ms = (long)FINAL_PAUSE_MS << (failures - 1);
        struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&pause, &pause) && errno == EINTR) {
        }
    }
}

/* --- the timer ----------------------------------------------------------------------------- */

/* Under pressure: the largest open parts, until what stays is at most half the cap. Holds mu. */
static part_t *take_largest(buffers_t *b)
{
    part_t *list = NULL;
    size_t keep = b->buffered, goal = b->cfg.max_buffered / 2;
    while (keep > goal) {
        part_t *best = NULL;
        for (int i = 0; i < NBUCKETS; i++)
            for (part_t *p = b->buckets[i]; p; p = p->next)
                if (!best || p->acct > best->acct)
                    best = p;
        if (!best)
            break;
        unlink_part(b, best);
        keep -= best->acct;
        best->next = list;
        list = best;
        b->nflushing++;
    }
    return list;
}

static void *timer_main(void *arg)
{
    buffers_t *b = arg;
    int64_t age_ms = (int64_t)b->cfg.max_age_secs * 1000;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        int64_t now = mono_ms();
        int64_t next = now + TICK_MAX_MS;
        part_t *list = NULL;
        /* While the storage is down, only probes: buffers stay in memory (bounded by the cap,
         * past which requests get 503) and are written once a probe or a write finds it back. */
        for (int i = 0; i < NBUCKETS && !b->down; i++) {
            for (part_t **pp = &b->buckets[i]; *pp;) {
                part_t *p = *pp;
                if (now - p->born_ms >= age_ms) {
                    *pp = p->next;
                    p->next = list;
                    list = p;
                    b->nflushing++;
                    continue;
                }
                if (p->born_ms + age_ms < next)
                    next = p->born_ms + age_ms;
                pp = &p->next;
            }
        }
        if (b->pressure && !b->down) {
            b->pressure = 0;
            part_t *more = take_largest(b);
            while (more) {
                part_t *p = more;
                more = p->next;
                p->next = list;
                list = p;
            }
        }
        for (part_t **pp = b->down ? NULL : &b->retry; pp && *pp;) {
            part_t *p = *pp;
            if (p->retry_ms <= now) {
                *pp = p->next;
                b->nretry--;
                p->next = list;
                list = p;
                b->nflushing++;
                continue;
            }
            if (p->retry_ms < next)
                next = p->retry_ms;
            pp = &p->next;
        }
        int probe = b->down && b->probe_ms <= now;
        if (b->down && !probe && b->probe_ms < next)
            next = b->probe_ms;
        if (list || probe) {
            pthread_mutex_unlock(&b->mu);
            write_list(b, list);
            if (probe) {
                err_t perr;
                err_clear(&perr);
                buffers_check_storage(b, &perr);
            }
            pthread_mutex_lock(&b->mu);
            continue;
        }
        if (b->cfg.flusher->iceberg) {
            /* commits that failed are retried from here, on their own backoff */
            pthread_mutex_unlock(&b->mu);
            ice_committer_tick(b->cfg.flusher->iceberg);
            pthread_mutex_lock(&b->mu);
            if (b->stop)
                break;
        }
        struct timespec until = {(time_t)(next / 1000), (long)(next % 1000) * 1000000L};
        pthread_cond_timedwait(&b->wake, &b->mu, &until);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

int buffers_start(buffers_t *b, err_t *err)
{
    pthread_mutex_lock(&b->mu);
    int running = b->timer_running;
    b->stop = 0;
    pthread_mutex_unlock(&b->mu);
    if (running)
        return 0;
    int e = pthread_create(&b->timer, NULL, timer_main, b);
    if (e)
        return err_set(err, ERR_INTERNAL, "ingest: cannot start the flush timer: %s", strerror(e));
    pthread_mutex_lock(&b->mu);
    b->timer_running = 1;
    pthread_mutex_unlock(&b->mu);
    return 0;
}

void buffers_stop(buffers_t *b)
{
    pthread_mutex_lock(&b->mu);
    int running = b->timer_running;
    b->stop = 1;
    b->timer_running = 0;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->mu);
    if (running)
        pthread_join(b->timer, NULL);
}

/* --- storage health and statistics --------------------------------------------------------- */

int buffers_check_storage(buffers_t *b, err_t *err)
{
    int rc = storage_ready(b->cfg.flusher->storage, err);
    int64_t now = mono_ms();
    pthread_mutex_lock(&b->mu);
    if (rc)
        mark_down(b, err->msg, now, 1);
    else
        mark_up(b, now, 0);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

void buffers_note_write(buffers_t *b, int failed, const err_t *err)
{
    int64_t now = mono_ms();
    pthread_mutex_lock(&b->mu);
    if (!failed)
        mark_up(b, now, 1);
    else if (err->code == ERR_UNAVAILABLE)
        mark_down(b, err->msg, now, 0);
    pthread_mutex_unlock(&b->mu);
}

void buffers_stats(buffers_t *b, ingest_stats_t *out)
{
    pthread_mutex_lock(&b->mu);
    out->rows_buffered = b->rows_buffered;
    out->bytes_buffered = b->buffered;
    out->buffers = b->nparts;
    out->buffers_retrying = b->nretry;
    out->storage_down = b->down;
    pthread_mutex_unlock(&b->mu);
}
