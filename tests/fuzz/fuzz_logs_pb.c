/* libFuzzer target: arbitrary bytes into otlp_logs_decode_pb. Besides the sanitizers' checks
 * it asserts what the decoder promises: on success every leaf holds exactly one entry per row
 * (maps: one start per row), the row count matches rows_added, and every string value in the
 * batch is valid UTF-8; on failure the error is ERR_INVALID (or ERR_NOMEM) with a message, and
 * rolling back restores the batch exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/decode.h"
#include "table/tables.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

/* UBSan findings stop the run even when started by hand without UBSAN_OPTIONS (the fuzz build
 * lets undefined-behaviour checks recover, so they would otherwise only be printed). */
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static void check_batch(const table_batch_t *b)
{
    for (int l = 0; l < b->schema->nleaves; l++) {
        const column_t *c = &b->cols[l];
        uint32_t starts = 0, present = 0;
        for (uint32_t i = 0; i < c->nlevels; i++) {
            starts += c->leaf->max_rep == 0 || c->rep.data[i] == 0;
            present += c->leaf->max_def == 0 || c->def.data[i] == c->leaf->max_def;
        }
        check(starts == b->nrows, "one entry (or map start) per row");
        check(present == c->nvals, "values match definition levels");
        if (c->leaf->type == PT_BYTE_ARRAY && c->nvals) {
            const uint32_t *o = (const uint32_t *)c->offs.data;
            check(o[c->nvals] == c->vals.len, "offsets end at the value bytes");
            check(utf8_valid(c->vals.data, c->vals.len), "strings are UTF-8");
        }
    }
}

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
        check(rc == -1, "-1 on error");
        check(err.code == ERR_INVALID || err.code == ERR_NOMEM, "error code");
        check(err.msg[0] != 0, "error message");
        check(utf8_valid(err.msg, strlen(err.msg)), "error message is UTF-8");
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
