/* storage_list: storage_list() of either backend, for tests/e2e/test_storage_list.py.
 *
 *   storage_list fs DIR PREFIX [options]
 *   storage_list s3 PREFIX [options]
 *     (s3: bucket, prefix, endpoint and region from OTLP2PARQUET_S3_BUCKET, _PREFIX, _ENDPOINT,
 *     _REGION; credentials from the AWS chain)
 *   options: --max-keys N (0 = all), --page-size N (s3 ListObjectsV2 page), --stop-after N (the
 *     callback asks to stop after N keys), --get (each key listed is read back with get, which
 *     must find it)
 * Prints every key listed, one a line, then "listed N". Exit 1 with the error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "net/http_client.h"
#include "storage/storage.h"

typedef struct {
    storage_t *st;
    size_t n, stop_after;
    int get;
    int failed;
} list_ctx_t;

static int on_key(void *vctx, const char *key)
{
    list_ctx_t *c = vctx;
    printf("%s\n", key);
    c->n++;
    if (c->get) {
        buf_t b = {0};
        err_t e;
        err_clear(&e);
        int rc = storage_get(c->st, key, (size_t)64 << 20, &b, &e);
        buf_free(&b);
        if (rc != 0) {
            fprintf(stderr, "storage_list: get \"%s\": %s\n", key, rc > 0 ? "no such object" : e.msg);
            c->failed = 1;
            return 1;
        }
    }
    return c->stop_after && c->n >= c->stop_after;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v ? v : "";
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "fs") && strcmp(argv[1], "s3")) || (!strcmp(argv[1], "fs") && argc < 4)) {
        fprintf(stderr, "usage: storage_list fs DIR PREFIX [options] | storage_list s3 PREFIX [options]\n");
        return 2;
    }
    int is_s3 = !strcmp(argv[1], "s3");
    const char *prefix = argv[is_s3 ? 2 : 3];
    size_t max_keys = 0;
    list_ctx_t c = {0};
    for (int i = is_s3 ? 3 : 4; i < argc; i++) {
        if (!strcmp(argv[i], "--max-keys") && i + 1 < argc)
            max_keys = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--page-size") && i + 1 < argc)
            storage_s3_set_list_page_size(strtoull(argv[++i], NULL, 10));
        else if (!strcmp(argv[i], "--stop-after") && i + 1 < argc)
            c.stop_after = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--get"))
            c.get = 1;
        else {
            fprintf(stderr, "storage_list: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    err_t err;
    err_clear(&err);
    aws_cred_provider_t *creds = NULL;
    if (is_s3) {
        if (http_client_global_init(&err) || !(creds = aws_cred_chain_new(NULL, &err))) {
            fprintf(stderr, "storage_list: %s\n", err.msg);
            return 1;
        }
        storage_s3_options_t o = {
            .bucket = env("OTLP2PARQUET_S3_BUCKET"),
            .prefix = env("OTLP2PARQUET_S3_PREFIX"),
            .region = env("OTLP2PARQUET_S3_REGION"),
            .endpoint = env("OTLP2PARQUET_S3_ENDPOINT"),
            .path_style = -1,
            .creds = creds,
        };
        c.st = storage_s3_open(&o, &err);
    } else {
        c.st = storage_fs_open(argv[2], &err);
    }
    int rc = 1;
    if (c.st && storage_list(c.st, prefix, max_keys, on_key, &c, &err) == 0 && !c.failed) {
        printf("listed %zu\n", c.n);
        rc = 0;
    } else if (!c.failed) {
        fprintf(stderr, "storage_list: %s\n", err.msg);
    }
    storage_destroy(c.st);
    if (is_s3) {
        aws_cred_free(creds);
        http_client_global_cleanup();
    }
    return rc;
}
