/* pq_bench REPS FILE...: decodes the ExportLogsServiceRequest protobuf FILEs once into one logs
 * batch, sorts it like a flush does (ServiceName, Timestamp) and times only the Parquet writer:
 * REPS rounds of one pq_write per ServiceName run, with the process CPU clock. Prints the best
 * and the mean CPU seconds of a round, the rows per CPU second of the best round and the bytes
 * written per round, so writer changes can be weighed apart from decoding. Environment:
 * PQ_BENCH_LEVEL (zstd level), PQ_BENCH_NONE (no compression), PQ_BENCH_SPLIT (files per run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/flush.h"
#include "ingest/signals.h"
#include "otlp/decode.h"
#include "parquet/writer.h"
#include "table/tables.h"
#include "util/buf.h"
#include "util/file_read.h"

_Noreturn static void die(const char *what, const char *detail)
{
    fprintf(stderr, "pq_bench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pq_bench REPS FILE...\n");
        return 1;
    }
    int reps = atoi(argv[1]);
    if (reps <= 0)
        die("not a positive number", argv[1]);
    if (tables_init() != 0)
        die("tables_init failed", NULL);
    table_batch_t b;
    batch_init(&b, &table_logs);
    otlp_decode_ctx_t ctx = {.now_ns = 1700000000000000000LL};
    err_t err;
    buf_t req = {0};
    for (int i = 2; i < argc; i++) {
        req.len = 0;
        int rc = file_read_bounded(argv[i], (size_t)1 << 30, &req, &err);
        if (rc)
            die(argv[i], rc > 0 ? "no such file" : err.msg);
        if (otlp_logs_decode_pb(req.data ? req.data : (const uint8_t *)"", req.len, &b, &ctx, &err))
            die(argv[i], err.msg);
    }
    buf_free(&req);
    uint32_t n = b.nrows;
    uint32_t *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (!rows || flush_sort(&b, rows, &err))
        die("sort", rows ? err.msg : "out of memory");
    int ts_leaf, svc_leaf;
    if (table_key_leaves(b.schema, &ts_leaf, &svc_leaf))
        die("no sort key", NULL);
    /* runs of one ServiceName: one file each, as a flush writes them */
    uint32_t starts[1024], nruns = 0;
    for (uint32_t r = 0; r < n && nruns < 1023; r++) {
        uint32_t la, lb;
        const uint8_t *a = r ? col_str_val(&b.cols[svc_leaf], rows[r - 1], &la) : NULL;
        const uint8_t *c = col_str_val(&b.cols[svc_leaf], rows[r], &lb);
        if (r == 0 || la != lb || memcmp(a, c, la))
            starts[nruns++] = r;
    }
    starts[nruns] = n;
    /* PQ_BENCH_SPLIT=K cuts each run into K files, as a flush of K times as many (service,
     * hour) partitions would: the cost that grows with the number of files shows */
    const char *sp = getenv("PQ_BENCH_SPLIT");
    uint32_t split = sp ? (uint32_t)atoi(sp) : 1;
    if (split > 1) {
        uint32_t cut[1024], nc = 0;
        for (uint32_t g = 0; g < nruns; g++)
            for (uint32_t j = 0; j < split && nc < 1023; j++)
                cut[nc++] = starts[g] + (uint32_t)((uint64_t)(starts[g + 1] - starts[g]) * j / split);
        cut[nc] = n;
        memcpy(starts, cut, sizeof cut);
        nruns = nc;
    }

    pq_options_t opt;
    pq_options_default(&opt);
    const char *lv = getenv("PQ_BENCH_LEVEL"); /* zstd level to try instead of the default */
    if (lv)
        opt.zstd_level = atoi(lv);
    if (getenv("PQ_BENCH_NONE")) /* no compression: the encoder's own cost */
        opt.codec = PQ_UNCOMPRESSED;
    buf_t file = {0};
    double best = 1e30, sum = 0;
    size_t bytes = 0;
    for (int k = 0; k < reps; k++) {
        bytes = 0;
        double t0 = cpu_now();
        for (uint32_t g = 0; g < nruns; g++) {
            file.len = 0;
            if (pq_write(&b, rows + starts[g], starts[g + 1] - starts[g], &opt, &file, NULL, &err))
                die("pq_write", err.msg);
            bytes += file.len;
        }
        double t = cpu_now() - t0;
        sum += t;
        if (t < best)
            best = t;
    }
    printf("rows %u files %u reps %d best %.4f s mean %.4f s  %.0f rows/s  %zu bytes\n", n, nruns, reps, best,
           sum / reps, n / best, bytes);
    buf_free(&file);
    free(rows);
    batch_free(&b);
    return 0;
}
