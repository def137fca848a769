/* libFuzzer target: arbitrary bytes into otlp_metrics_decode_pb and its five batches. Besides
 * the sanitizers' checks it asserts what the decoder promises (fuzz_check.h): on success every
 * leaf of every table has one entry per row at rep 0, list leaves (exemplars, bucket counts,
 * bounds, quantiles) agree on each list's shape, values match levels, strings are UTF-8, ids
 * are hex of the right length, counts are never negative, rows_added counts the rows of all
 * five tables, and a rejected point comes with a message; on failure the error has a code and
 * a message, and rolling back restores every batch exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "otlp/decode.h"
#include "table/tables.h"

static void check_nonneg(const table_batch_t *b, int leaf, const char *what)
{
    const column_t *c = &b->cols[leaf];
    for (uint32_t i = 0; i < c->nvals; i++)
        check(col_i64_val(c, i) >= 0, what);
}

static void check_metrics(table_batch_t *const out[MT_COUNT])
{
    for (int i = 0; i < MT_COUNT; i++)
        check_batch(out[i]);
    check_nonneg(out[MT_HISTOGRAM], HIST_COUNT, "histogram counts are not negative");
    check_nonneg(out[MT_HISTOGRAM], HIST_BUCKET_COUNTS, "bucket counts are not negative");
    check_nonneg(out[MT_EXP_HISTOGRAM], EXPHIST_COUNT, "counts are not negative");
    check_nonneg(out[MT_EXP_HISTOGRAM], EXPHIST_ZERO_COUNT, "zero counts are not negative");
    check_nonneg(out[MT_EXP_HISTOGRAM], EXPHIST_POSITIVE_BUCKET_COUNTS, "bucket counts are not negative");
    check_nonneg(out[MT_EXP_HISTOGRAM], EXPHIST_NEGATIVE_BUCKET_COUNTS, "bucket counts are not negative");
    check_nonneg(out[MT_SUMMARY], SUMMARY_COUNT, "summary counts are not negative");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static table_batch_t batches[MT_COUNT];
    static table_batch_t *out[MT_COUNT];
    static table_schema_t *const schemas[MT_COUNT] = {
        &table_metrics_gauge, &table_metrics_sum, &table_metrics_histogram, &table_metrics_exponential_histogram,
        &table_metrics_summary,
    };
    if (!ready) {
        if (tables_init() != 0)
            abort();
        for (int i = 0; i < MT_COUNT; i++) {
            batch_init(&batches[i], schemas[i]);
            out[i] = &batches[i];
        }
        ready = 1;
    }
    /* one gauge point from before, so a rollback has something to restore to:
     * resourceMetrics { scopeMetrics { metrics { gauge { dataPoints { asDouble 1.0 } } } } } */
    for (int i = 0; i < MT_COUNT; i++)
        batch_reset(&batches[i]);
    otlp_decode_ctx_t ctx = {.now_ns = 1700000000000000000LL};
    err_t err;
    err_clear(&err);
    static const uint8_t one_row[] = {0x0a, 0x11, 0x12, 0x0f, 0x12, 0x0d, 0x2a, 0x0b, 0x0a, 0x09,
                                      0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f};
    check(otlp_metrics_decode_pb(one_row, sizeof one_row, out, &ctx, &err) == 0, "seed row");
    check(batches[MT_GAUGE].nrows == 1, "seed row count");
    batch_mark_t marks[MT_COUNT];
    size_t bytes[MT_COUNT];
    for (int i = 0; i < MT_COUNT; i++) {
        batch_mark(&batches[i], &marks[i]);
        bytes[i] = batch_bytes(&batches[i]);
    }

    ctx.rows_added = 0;
    int rc = otlp_metrics_decode_pb(data, size, out, &ctx, &err);
    if (rc == 0) {
        uint64_t rows = 0;
        for (int i = 0; i < MT_COUNT; i++)
            rows += batches[i].nrows;
        check(rows == 1 + ctx.rows_added, "rows_added counts the rows");
        if (ctx.rejected)
            check(ctx.reject_msg[0] != 0 && utf8_valid(ctx.reject_msg, strlen(ctx.reject_msg)),
                  "a rejection says where");
        check_metrics(out);
    } else {
        check_error(rc, &err);
        for (int i = 0; i < MT_COUNT; i++) {
            batch_rollback(&batches[i], &marks[i]);
            check(batch_bytes(&batches[i]) == bytes[i], "rollback");
        }
        check(batches[MT_GAUGE].nrows == 1, "rollback rows");
        check_metrics(out);
    }
    static unsigned runs;
    if (++runs % 1024 == 0)
        for (int i = 0; i < MT_COUNT; i++)
            batch_free(&batches[i]);
    return 0;
}
