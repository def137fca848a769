/* Reading a data manifest (any writer's, v1 or v2) for the paths of its data files: what a
 * commit needs to tell whether a pending data file is already in the table. */
#include "avro/avro_read.h"
#include "iceberg/manifest.h"

int ice_manifest_read_paths(const uint8_t *data, size_t len,
                            int (*cb)(void *ctx, const char *path, size_t path_len, int status), void *ctx,
                            err_t *err)
{
    avro_reader_t *r;
    if (avro_reader_open(&r, data, len, NULL, err))
        return err_prefix(err, "manifest");
    int rc;
    size_t i = 0;
    const avro_value_t *e;
    while ((rc = avro_reader_next(r, &e, err)) == 1) {
        const avro_value_t *st = avro_field_iceberg(e, 0, "status", NULL);
        const avro_value_t *df = avro_field_iceberg(e, 2, "data_file", NULL);
        const avro_value_t *path = avro_field_iceberg(df, 100, "file_path", NULL);
        if (e->type != AVRO_RECORD || !st || (st->type != AVRO_INT && st->type != AVRO_LONG) || st->l < 0 ||
            st->l > 2) {
            rc = err_set(err, ERR_INVALID, "manifest: entry %zu: no status 0, 1 or 2", i);
            break;
        }
        if (!df || df->type != AVRO_RECORD || !path || path->type != AVRO_STRING) {
            rc = err_set(err, ERR_INVALID, "manifest: entry %zu: no data_file.file_path", i);
            break;
        }
        i++;
        if (cb(ctx, (const char *)path->bytes.p, path->bytes.n, (int)st->l))
            break;
    }
    avro_reader_close(r);
    return rc < 0 ? -1 : 0;
}
