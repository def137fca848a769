#include "convert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/log.h"

/* Offline inputs can be far larger than an HTTP body, but a file must still fit in memory. */
#define CONVERT_MAX_FILE ((size_t)1 << 31)

static int read_all(const char *path, buf_t *out, err_t *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
    int rc = 0;
    for (;;) {
        if (buf_reserve(out, 1 << 16)) {
            rc = err_set(err, ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        size_t n = fread(out->data + out->len, 1, out->cap - out->len, f);
        out->len += n;
        if (out->len > CONVERT_MAX_FILE) {
            rc = err_set(err, ERR_TOO_LARGE, "%s: larger than %zu bytes", path, CONVERT_MAX_FILE);
            break;
        }
        if (n == 0) {
            if (ferror(f))
                rc = err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    return rc;
}

int convert_files(ingest_t *ing, char *const *files, int nfiles, int quiet)
{
    int failed = 0;
    uint64_t rows = 0;
    buf_t data = {0};
    for (int i = 0; i < nfiles; i++) {
        err_t err;
        err_clear(&err);
        buf_clear(&data);
        ingest_result_t res;
        if (read_all(files[i], &data, &err) ||
            ingest_request(ing, SIG_LOGS, ENC_PROTOBUF, data.data, data.len, &res, &err)) {
            fprintf(stderr, "otlp2parquet convert: %s: %s\n", files[i], err.msg);
            failed++;
            continue;
        }
        rows += res.rows;
        if (res.rejected)
            fprintf(stderr, "otlp2parquet convert: %s: %llu records rejected: %s\n", files[i],
                    (unsigned long long)res.rejected, res.message);
    }
    buf_free(&data);
    if (!quiet)
        fprintf(stderr, "otlp2parquet convert: %llu records from %d of %d files\n", (unsigned long long)rows,
                nfiles - failed, nfiles);
    return failed;
}
