#include "ingest/ingest.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/layout.h"
#include "otlp/decode.h"
#include "table/tables.h"
#include "util/civil_time.h"
#include "util/log.h"

struct ingest {
    ingest_config_t cfg;
};

const char *otlp_signal_name(otlp_signal_t s)
{
    static const char *const names[] = {"logs", "traces", "metrics"};
    return s < SIG_COUNT ? names[s] : "?";
}

ingest_t *ingest_new(const ingest_config_t *cfg, err_t *err)
{
    ingest_t *ing = calloc(1, sizeof *ing);
    if (!ing) {
        err_set(err, ERR_NOMEM, "ingest: out of memory");
        return NULL;
    }
    ing->cfg = *cfg;
    return ing;
}

void ingest_free(ingest_t *ing) { free(ing); }

/* Sort key of one row: (ServiceName, Timestamp), DESIGN §3. */
typedef struct {
    const uint8_t *svc;
    uint32_t svc_len;
    uint32_t row;
    int64_t ts;
} row_key_t;

static int row_key_cmp(const void *pa, const void *pb)
{
    const row_key_t *a = pa, *b = pb;
    uint32_t n = a->svc_len < b->svc_len ? a->svc_len : b->svc_len;
    int r = memcmp(a->svc, b->svc, n);
    if (r)
        return r;
    if (a->svc_len != b->svc_len)
        return a->svc_len < b->svc_len ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row); /* stable: arrival order among equals */
}

/* Writes one file per (service, UTC hour) run of the sorted rows. */
static int write_batch(ingest_t *ing, const table_batch_t *b, int ts_leaf, int svc_leaf, err_t *err)
{
    uint32_t n = b->nrows;
    if (n == 0)
        return 0;
    row_key_t *keys = malloc((size_t)n * sizeof *keys);
    uint32_t *rows = malloc((size_t)n * sizeof *rows);
    if (!keys || !rows) {
        free(keys);
        free(rows);
        return err_set(err, ERR_NOMEM, "%s: out of memory sorting %u rows", b->schema->name, n);
    }
    const column_t *ts = &b->cols[ts_leaf], *svc = &b->cols[svc_leaf];
    for (uint32_t r = 0; r < n; r++) {
        keys[r].svc = col_str_val(svc, r, &keys[r].svc_len);
        keys[r].ts = col_i64_val(ts, r);
        keys[r].row = r;
    }
    qsort(keys, n, sizeof *keys, row_key_cmp);
    for (uint32_t r = 0; r < n; r++)
        rows[r] = keys[r].row;

    int rc = 0;
    buf_t file = {0};
    /* keys written so far, removed again if a later file of the same request fails, so that a
     * request is stored whole or not at all and the client's retry does not duplicate rows */
    char (*written)[1024] = NULL;
    size_t nwritten = 0, cap = 0;
    for (uint32_t start = 0; start < n && rc == 0;) {
        int64_t hour = hour_of_micros(keys[start].ts);
        uint32_t end = start + 1;
        while (end < n && keys[end].svc_len == keys[start].svc_len &&
               memcmp(keys[end].svc, keys[start].svc, keys[start].svc_len) == 0 &&
               hour_of_micros(keys[end].ts) == hour)
            end++;
        char key[1024];
        layout_data_key(b->schema->name, keys[start].svc, keys[start].svc_len, keys[start].ts, key, sizeof key);
        buf_clear(&file);
        rc = pq_write(b, rows + start, end - start, &ing->cfg.parquet, &file, NULL, err);
        if (rc == 0 && storage_put(ing->cfg.storage, key, file.data, file.len, err)) {
            /* storage trouble is the client's cue to retry later, not a bad request */
            err->code = ERR_UNAVAILABLE;
            rc = -1;
        }
        if (rc == 0) {
            log_msg(LOG_DEBUG, "wrote %s (%u rows, %zu bytes)", key, end - start, file.len);
            if (nwritten == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                void *p = realloc(written, ncap * sizeof *written);
                if (!p) {
                    rc = err_set(err, ERR_NOMEM, "%s: out of memory", b->schema->name);
                    err_t derr;
                    storage_del(ing->cfg.storage, key, &derr);
                    break;
                }
                written = p;
                cap = ncap;
            }
            memcpy(written[nwritten++], key, sizeof key);
        }
        start = end;
    }
    if (rc) {
        for (size_t i = 0; i < nwritten; i++) {
            err_t derr;
            if (storage_del(ing->cfg.storage, written[i], &derr))
                log_msg(LOG_WARN, "could not undo %s after a failed request: %s", written[i], derr.msg);
        }
    }
    free(written);
    buf_free(&file);
    free(keys);
    free(rows);
    return rc;
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
    if (sig != SIG_LOGS)
        return err_set(err, ERR_UNSUPPORTED, "%s are not supported yet", otlp_signal_name(sig));
    if (enc != ENC_PROTOBUF)
        return err_set(err, ERR_UNSUPPORTED, "%s request: only application/x-protobuf is supported yet",
                       otlp_signal_name(sig));

    table_batch_t batch;
    batch_init(&batch, &table_logs);
    otlp_decode_ctx_t ctx = {.now_ns = now_ns()};
    int rc = otlp_logs_decode_pb(body, len, &batch, &ctx, err);
    if (rc)
        err_prefix(err, "logs request");
    if (rc == 0)
        rc = write_batch(ing, &batch, LOGS_TIMESTAMP, LOGS_SERVICE_NAME, err);
    if (rc == 0) {
        res->rows = ctx.rows_added;
        res->rejected = ctx.rejected;
        memcpy(res->message, ctx.reject_msg, sizeof res->message);
    }
    batch_free(&batch);
    return rc;
}

int ingest_flush(ingest_t *ing, err_t *err)
{
    (void)ing;
    (void)err;
    return 0;
}
