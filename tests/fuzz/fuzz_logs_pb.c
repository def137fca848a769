/* libFuzzer target: arbitrary bytes into otlp_logs_decode_pb. Besides the sanitizers' checks
 * it asserts what the decoder promises (fuzz_check.h): on success every leaf holds exactly one
 * entry per row (maps: one start per row), the row count matches rows_added, and every string
 * value in the batch is valid UTF-8; on failure the error has a code and a message, and rolling
 * back restores the batch exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "otlp/decode.h"
#include "table/tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static table_batch_t batch;
    if (!ready) {
        if (tables_init() != 0)
            abort();
        batch_init(&batch, &table_logs);
        ready = 1;
    }
    /* keep one row from before, so a rollback has something to restore to */
    batch_reset(&batch);
    otlp_decode_ctx_t ctx = {.now_ns = 1700000000000000000LL};
    err_t err;
    err_clear(&err);
    static const uint8_t one_row[] = {0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x2a, 0x00};
    check(otlp_logs_decode_pb(one_row, sizeof one_row, &batch, &ctx, &err) == 0, "seed row");
    check(batch.nrows == 1, "seed row count");
    batch_mark_t mark;
    batch_mark(&batch, &mark);
    size_t bytes = batch_bytes(&batch);

    ctx.rows_added = 0;
    int rc = otlp_logs_decode_pb(data, size, &batch, &ctx, &err);
    if (rc == 0) {
        check(batch.nrows == 1 + ctx.rows_added, "rows_added counts the rows");
        check_batch(&batch);
    } else {
        check_error(rc, &err);
        batch_rollback(&batch, &mark);
        check(batch.nrows == 1 && batch_bytes(&batch) == bytes, "rollback");
        check_batch(&batch);
    }
    /* memory is kept between runs (batch_reset); free it now and then so leak checks stay
     * meaningful and big inputs do not pin memory */
    static unsigned runs;
    if (++runs % 1024 == 0)
        batch_free(&batch);
    return 0;
}
