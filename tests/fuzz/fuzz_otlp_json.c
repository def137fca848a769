/* libFuzzer target: the first byte picks the signal (byte % 3: 0 logs, 1 traces, 2 metrics;
 * the seeds start with '0', '1' or '2'), the rest is OTLP/JSON for otlp_json_to_pb. Besides the
 * sanitizers' checks it asserts what the transcoder promises: on failure -1, ERR_INVALID (or
 * ERR_NOMEM / ERR_TOO_LARGE) with a UTF-8 message, and the output buffer as it was; on
 * success output appended after what was there, which pb_walk.h finds well-formed against
 * the descriptors (lengths consistent, wire types right, minimal, canonical), and for logs
 * that otlp_logs_decode_pb turns into rows without an error other than ERR_INVALID or
 * ERR_TOO_LARGE. The same input transcodes the same way twice. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/decode.h"
#include "otlp/desc.h"
#include "otlp/json.h"
#include "pb_walk.h"
#include "table/tables.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    /* one batch per table: [0] logs, [1] traces, [2 + MT_*] the metrics tables */
    static table_batch_t batches[TABLE_COUNT];
    if (!ready) {
        if (tables_init() != 0)
            abort();
        for (int t = 0; t < TABLE_COUNT; t++)
            batch_init(&batches[t], tables_all[t]);
        ready = 1;
    }
    if (size == 0)
        return 0;
    int signal = data[0] % 3;
    const uint8_t *json = data + 1;
    size_t len = size - 1;

    /* something already in the buffer: the transcoder appends, and restores it on failure */
    static const uint8_t prefix[] = {0x0a, 0x00};
    buf_t out = {0};
    check(buf_append(&out, prefix, sizeof prefix) == 0, "prefix");
    err_t err;
    err_clear(&err);
    int rc = otlp_json_to_pb(signal, json, len, &out, &err);
    check(out.len >= sizeof prefix && memcmp(out.data, prefix, sizeof prefix) == 0, "prefix kept");
    if (rc != 0) {
        check(rc == -1, "-1 on error");
        check(err.code == ERR_INVALID || err.code == ERR_NOMEM || err.code == ERR_TOO_LARGE, "error code");
        check(err.msg[0] != 0, "error message");
        check(utf8_valid(err.msg, strlen(err.msg)), "error message is UTF-8");
        check(out.len == sizeof prefix, "output restored on error");
        buf_free(&out);
        return 0;
    }
    const uint8_t *pb = out.data + sizeof prefix;
    size_t pblen = out.len - sizeof prefix;
    char why[256];
    if (pbw_check(od_request(signal), pb, pblen, 0, why, sizeof why)) {
        fprintf(stderr, "malformed output: %s\n", why);
        abort();
    }

    buf_t again = {0};
    check(otlp_json_to_pb(signal, json, len, &again, &err) == 0, "second run succeeds");
    check(again.len == pblen && (pblen == 0 || memcmp(again.data, pb, pblen) == 0), "deterministic");
    buf_free(&again);

    /* the transcoded request must decode into rows (or fail only as bad input) */
    table_batch_t *mt[MT_COUNT];
    for (int k = 0; k < MT_COUNT; k++)
        mt[k] = &batches[2 + k];
    otlp_decode_ctx_t ctx = {.now_ns = 1700000000000000000LL};
    int drc = signal == 0   ? otlp_logs_decode_pb(pb, pblen, &batches[0], &ctx, &err)
              : signal == 1 ? otlp_traces_decode_pb(pb, pblen, &batches[1], &ctx, &err)
                            : otlp_metrics_decode_pb(pb, pblen, mt, &ctx, &err);
    if (drc != 0)
        check(err.code == ERR_INVALID || err.code == ERR_TOO_LARGE, "decode error code");
    else if (signal != 2)
        check(batches[signal].nrows == ctx.rows_added, "rows_added counts the rows");
    static unsigned runs;
    for (int t = 0; t < TABLE_COUNT; t++) {
        if (++runs % 4096 == 0)
            batch_free(&batches[t]);
        else
            batch_reset(&batches[t]);
    }
    buf_free(&out);
    return 0;
}
