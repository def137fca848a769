/* libFuzzer target: arbitrary bytes into the pending record decoder. Besides the sanitizers'
 * checks: every failure carries a code and a message, the counts of a decoded record stay
 * within their bounds, and a decoded record encodes and decodes again to the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/pending_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_pending_record: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ice_data_file_t df, again;
    int64_t floor, floor2, tried[8], tried2[8];
    size_t ntried, ntried2;
    err_t err;
    err_clear(&err);
    if (ice_pending_decode(data, size, &df, &floor, tried, 8, &ntried, &err) == 0) {
        if (df.npartition > ICE_MAX_PARTITION_FIELDS || df.ncols > SCHEMA_MAX_LEAVES ||
            df.nsplit_offsets > ICE_PENDING_MAX_SPLIT_OFFSETS || ntried > 8 || !df.file_path)
            fail("a decoded record beyond its bounds");
        buf_t a = {0}, b = {0};
        /* a string partition value that is not UTF-8 cannot come out of JSON text */
        if (ice_pending_encode(&df, floor, tried, ntried, &a))
            fail("a decoded record that does not encode");
        err_clear(&err);
        if (ice_pending_decode(a.data, a.len, &again, &floor2, tried2, 8, &ntried2, &err))
            fail("an encoded record that does not decode");
        if (ice_pending_encode(&again, floor2, tried2, ntried2, &b) || a.len != b.len || memcmp(a.data, b.data, a.len))
            fail("a record that changes when encoded again");
        ice_data_file_free(&again);
        buf_free(&a);
        buf_free(&b);
    } else if (err.code == ERR_NONE || !err.msg[0]) {
        fail("an error without a code or message");
    }
    ice_data_file_free(&df);
    return 0;
}
