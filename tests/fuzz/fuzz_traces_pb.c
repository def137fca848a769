/* libFuzzer target: arbitrary bytes into otlp_traces_decode_pb. Besides the sanitizers' checks
 * it asserts what the decoder promises (fuzz_check.h): on success every leaf has one entry per
 * row at rep 0, the Events and Links leaves agree on each list's shape, values match levels,
 * strings are UTF-8, ids are hex of the right length, SpanKind and StatusCode stay within their
 * names, durations are never negative, and rows_added counts the rows; on failure the error has
 * a code and a message, and rolling back restores the batch exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "otlp/decode.h"
#include "table/tables.h"

static const char *const kinds[] = {"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"};
static const char *const codes[] = {"Unset", "Ok", "Error"};

static void check_traces(const table_batch_t *b)
{
    check_batch(b);
    check_vocabulary(&b->cols[TRACES_SPAN_KIND], kinds, 6, "SpanKind is one of its names");
    check_vocabulary(&b->cols[TRACES_STATUS_CODE], codes, 3, "StatusCode is one of its names");
    const column_t *d = &b->cols[TRACES_DURATION];
    for (uint32_t i = 0; i < d->nvals; i++)
        check(col_i64_val(d, i) >= 0, "durations are not negative");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static table_batch_t batch;
    if (!ready) {
        if (tables_init() != 0)
            abort();
        batch_init(&batch, &table_traces);
        ready = 1;
    }
    /* one span from before, with an event, so a rollback has lists to restore to:
     * resourceSpans { scopeSpans { spans { name "s"; events { name "e" } } } } */
    batch_reset(&batch);
    otlp_decode_ctx_t ctx = {.now_ns = 1700000000000000000LL};
    err_t err;
    err_clear(&err);
    static const uint8_t one_row[] = {0x0a, 0x0c, 0x12, 0x0a, 0x12, 0x08, 0x2a,
                                      0x01, 's',  0x5a, 0x03, 0x12, 0x01, 'e'};
    check(otlp_traces_decode_pb(one_row, sizeof one_row, &batch, &ctx, &err) == 0, "seed row");
    check(batch.nrows == 1, "seed row count");
    batch_mark_t mark;
    batch_mark(&batch, &mark);
    size_t bytes = batch_bytes(&batch);

    ctx.rows_added = 0;
    int rc = otlp_traces_decode_pb(data, size, &batch, &ctx, &err);
    if (rc == 0) {
        check(batch.nrows == 1 + ctx.rows_added, "rows_added counts the rows");
        check(ctx.rejected == 0, "spans are never rejected");
        check_traces(&batch);
    } else {
        check_error(rc, &err);
        batch_rollback(&batch, &mark);
        check(batch.nrows == 1 && batch_bytes(&batch) == bytes, "rollback");
        check_traces(&batch);
    }
    static unsigned runs;
    if (++runs % 1024 == 0)
        batch_free(&batch);
    return 0;
}
