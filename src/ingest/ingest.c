/* The request path: checks, decode into private batches (no lock held), then either into the
 * partition buffers (batched) or straight to files (immediate). */
#include "ingest/ingest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/buffers.h"
#include "ingest/flush.h"
#include "ingest/signals.h"
#include "util/log.h"

/* Request batches are kept for the next request of the same signal once emptied: a batch that
 * starts with the room of the last one decodes without growing (reallocating and copying) its
 * buffers and without fresh pages to fault in. A few are kept, none larger than SPARE_MAX_BYTES. */
#define SPARE_SETS 2
#define SPARE_MAX_BYTES ((size_t)32 << 20)

typedef struct {
    otlp_signal_t sig;
    table_batch_t b[SIGNAL_MAX_TABLES];
} spare_t;

struct ingest {
    ingest_config_t cfg;
    flusher_t flusher;
    buffers_t *buffers; /* batched mode only */
    pthread_mutex_t spare_mu;
    spare_t spare[SPARE_SETS];
    int nspare;
};

/* A set of empty batches for sig: a kept one, or new ones. */
static void batches_take(ingest_t *ing, otlp_signal_t sig, const signal_desc_t *d, table_batch_t *b)
{
    pthread_mutex_lock(&ing->spare_mu);
    for (int i = ing->nspare; i-- > 0;)
        if (ing->spare[i].sig == sig) {
            memcpy(b, ing->spare[i].b, sizeof ing->spare[i].b);
            ing->spare[i] = ing->spare[--ing->nspare];
            pthread_mutex_unlock(&ing->spare_mu);
            return;
        }
    pthread_mutex_unlock(&ing->spare_mu);
    for (int i = 0; i < d->ntables; i++)
        batch_init(&b[i], d->tables[i]);
}

/* Gives the set back emptied, or frees it (too many kept, or too large to keep). */
static void batches_give(ingest_t *ing, otlp_signal_t sig, const signal_desc_t *d, table_batch_t *b)
{
    size_t bytes = 0;
    for (int i = 0; i < d->ntables; i++) {
        batch_reset(&b[i]);
        bytes += batch_alloc_bytes(&b[i]);
    }
    if (bytes <= SPARE_MAX_BYTES) {
        pthread_mutex_lock(&ing->spare_mu);
        if (ing->nspare < SPARE_SETS) {
            spare_t *s = &ing->spare[ing->nspare++];
            s->sig = sig;
            memcpy(s->b, b, sizeof s->b);
            pthread_mutex_unlock(&ing->spare_mu);
            return;
        }
        pthread_mutex_unlock(&ing->spare_mu);
    }
    for (int i = 0; i < d->ntables; i++)
        batch_free(&b[i]);
}

const char *otlp_signal_name(otlp_signal_t s)
{
    static const char *const names[] = {"logs", "traces", "metrics"};
    return (unsigned)s < SIG_COUNT ? names[s] : "?";
}

void ingest_config_default(ingest_config_t *c)
{
    memset(c, 0, sizeof *c);
    pq_options_default(&c->parquet);
    c->max_payload = (size_t)8 << 20;
    c->mode = INGEST_BATCHED;
    c->batch_max_rows = 200000;
    c->batch_max_bytes = (size_t)128 << 20;
    c->batch_max_age_secs = 10;
    c->max_buffered_bytes = 4 * c->batch_max_bytes;
}

ingest_t *ingest_new(const ingest_config_t *cfg, err_t *err)
{
    if (!cfg->storage) {
        err_set(err, ERR_CONFIG, "ingest: no storage");
        return NULL;
    }
    ingest_t *ing = calloc(1, sizeof *ing);
    if (!ing) {
        err_set(err, ERR_NOMEM, "ingest: out of memory");
        return NULL;
    }
    ing->cfg = *cfg;
    pthread_mutex_init(&ing->spare_mu, NULL);
    ing->flusher.storage = cfg->storage;
    ing->flusher.parquet = cfg->parquet;
    ing->flusher.iceberg = cfg->iceberg;
    atomic_init(&ing->flusher.files, 0);
    atomic_init(&ing->flusher.rows, 0);
    atomic_init(&ing->flusher.bytes, 0);
    if (cfg->mode == INGEST_BATCHED) {
        buffers_config_t bc = {
            .flusher = &ing->flusher,
            .max_rows = cfg->batch_max_rows,
            .max_bytes = cfg->batch_max_bytes,
            .max_age_secs = cfg->batch_max_age_secs,
            .max_buffered = cfg->max_buffered_bytes,
        };
        ing->buffers = buffers_new(&bc, err);
        if (!ing->buffers) {
            pthread_mutex_destroy(&ing->spare_mu);
            free(ing);
            return NULL;
        }
    }
    return ing;
}

int ingest_start(ingest_t *ing, err_t *err) { return ing->buffers ? buffers_start(ing->buffers, err) : 0; }

void ingest_stop(ingest_t *ing)
{
    if (ing->buffers)
        buffers_stop(ing->buffers);
}

void ingest_free(ingest_t *ing)
{
    if (!ing)
        return;
    buffers_free(ing->buffers);
    for (int i = 0; i < ing->nspare; i++)
        for (int j = 0; j < SIGNAL_MAX_TABLES; j++)
            if (ing->spare[i].b[j].schema)
                batch_free(&ing->spare[i].b[j]);
    pthread_mutex_destroy(&ing->spare_mu);
    free(ing);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int ingest_request(ingest_t *ing, otlp_signal_t sig, otlp_encoding_t enc, const uint8_t *body, size_t len,
                   ingest_result_t *res, err_t *err)
{
    memset(res, 0, sizeof *res);
    if (len > ing->cfg.max_payload)
        return err_set(err, ERR_TOO_LARGE, "%s request: %zu bytes, the limit is %zu", otlp_signal_name(sig), len,
                       ing->cfg.max_payload);
    if (signal_check(sig, enc, err))
        return -1;
    /* refused before the work of decoding when it would be refused after it anyway */
    if (ing->buffers && buffers_admit(ing->buffers, err))
        return -1;

    const signal_desc_t *d = signal_desc(sig);
    table_batch_t batches[SIGNAL_MAX_TABLES];
    table_batch_t *out[SIGNAL_MAX_TABLES];
    memset(batches, 0, sizeof batches);
    batches_take(ing, sig, d, batches);
    for (int i = 0; i < d->ntables; i++)
        out[i] = &batches[i];
    otlp_decode_ctx_t ctx = {.now_ns = now_ns()};
    int rc = signal_decode(sig, enc, body ? body : (const uint8_t *)"", len, out, &ctx, err);
    if (rc == 0 && ing->buffers)
        rc = buffers_add(ing->buffers, out, d->ntables, err);
    if (rc == BUFFERS_TOO_BIG || (rc == 0 && !ing->buffers)) {
        /* immediate mode, or a request larger than the whole buffer cap: written now, and only
         * then acknowledged */
        rc = flush_write(&ing->flusher, out, d->ntables, err);
        if (ing->buffers)
            buffers_note_write(ing->buffers, rc, err);
        if (rc)
            err_prefix(err, "%s request", d->name);
    }
    if (rc == 0) {
        res->rows = ctx.rows_added;
        res->rejected = ctx.rejected;
        memcpy(res->message, ctx.reject_msg, sizeof res->message);
    }
    batches_give(ing, sig, d, batches);
    return rc;
}

int ingest_flush(ingest_t *ing, err_t *err)
{
    return ing->buffers ? buffers_flush_all(ing->buffers, err) : 0;
}

int ingest_check_storage(ingest_t *ing, err_t *err)
{
    if (ing->buffers)
        return buffers_check_storage(ing->buffers, err);
    return storage_ready(ing->cfg.storage, err);
}

void ingest_stats(ingest_t *ing, ingest_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (ing->buffers)
        buffers_stats(ing->buffers, out);
    out->files_written = atomic_load_explicit(&ing->flusher.files, memory_order_relaxed);
    out->rows_written = atomic_load_explicit(&ing->flusher.rows, memory_order_relaxed);
    out->bytes_written = atomic_load_explicit(&ing->flusher.bytes, memory_order_relaxed);
}
