/* libFuzzer target: arbitrary bytes into the Avro OCF reader, the manifest list reader and the
 * manifest path reader.
 * Besides the sanitizers' checks: every failure carries a code and a message, and every datum
 * decoded is a value of its schema's type. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "avro/avro_read.h"
#include "iceberg/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every status reported is one of 0, 1, 2; every path byte is readable (ASan checks). */
static int on_path(void *ctx, const char *path, size_t n, int status)
{
    unsigned *sum = ctx;
    for (size_t i = 0; i < n; i++)
        *sum += (unsigned char)path[i];
    if (status < 0 || status > 2)
        abort();
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_avro_read: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avro_limits_t lim;
    avro_limits_default(&lim);
    lim.max_block_bytes = 1 << 20; /* keep a run cheap */
    lim.max_record_values = 1 << 16;
    avro_reader_t *r;
    err_t err;
    err_clear(&err);
    if (avro_reader_open(&r, data, size, &lim, &err) == 0) {
        const avro_value_t *v;
        int rc, n = 0;
        while ((rc = avro_reader_next(r, &v, &err)) == 1 && n++ < 100000)
            if (v->type == AVRO_UNION || v->type != v->schema->type)
                fail("a datum whose type is not its schema's");
        if (rc < 0 && (err.code == ERR_NONE || !err.msg[0]))
            fail("an error without a code or message");
        avro_reader_close(r);
    } else if (err.code == ERR_NONE || !err.msg[0])
        fail("an open error without a code or message");
    ice_manifest_file_t *m;
    size_t n;
    err_clear(&err);
    if (ice_manifest_list_read(data, size, &m, &n, &err) == 0)
        ice_manifest_files_free(m, n);
    else if (err.code == ERR_NONE || !err.msg[0])
        fail("a manifest list error without a code or message");
    err_clear(&err);
    unsigned sum = 0;
    if (ice_manifest_read_paths(data, size, on_path, &sum, &err) && (err.code == ERR_NONE || !err.msg[0]))
        fail("a manifest error without a code or message");
    return 0;
}
