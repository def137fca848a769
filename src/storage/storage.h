/* Storage backends behind one small interface: a key (a relative path with '/' separators) gets
 * the whole object or nothing. */
#ifndef OTLP2PARQUET_STORAGE_STORAGE_H
#define OTLP2PARQUET_STORAGE_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct storage storage_t;

/* Called by list() with each key found; returns nonzero to stop the listing early. */
typedef int (*storage_list_cb)(void *ctx, const char *key);

typedef struct {
    /* Stores data under key atomically: a reader sees the whole object or none. */
    int (*put)(storage_t *s, const char *key, const uint8_t *data, size_t len, err_t *err);
    /* Removes an object this process stored (undoing part of a request that failed later);
     * a missing object is not an error. */
    int (*del)(storage_t *s, const char *key, err_t *err);
    /* Appends the whole object to out (Iceberg reads back the metadata it wrote): 0 when read,
     * 1 when there is no such object, -1 on failure or when it holds more than max bytes. */
    int (*get)(storage_t *s, const char *key, size_t max, buf_t *out, err_t *err);
    /* Calls cb for every key under prefix (a key prefix relative to the root, e.g.
     * "data/_pending/"; "" = every key), in no particular order; cb returns nonzero to stop
     * early (list then returns 0). At most max_keys keys are reported (0 = no limit). -1 on
     * failure. */
    int (*list)(storage_t *s, const char *prefix, size_t max_keys, storage_list_cb cb, void *ctx, err_t *err);
    /* Is the storage reachable and writable? */
    int (*ready)(storage_t *s, err_t *err);
    /* Human-readable location of a key (for logs), written into out. */
    void (*describe)(storage_t *s, const char *key, char *out, size_t outlen);
    void (*destroy)(storage_t *s);
} storage_ops_t;

struct storage {
    const storage_ops_t *ops;
};

/* Local filesystem rooted at dir (created when missing). */
storage_t *storage_fs_open(const char *dir, err_t *err);

struct aws_cred_provider;

/* An S3 bucket (AWS or any S3-compatible store), objects under prefix. */
typedef struct {
    const char *bucket;
    const char *prefix;   /* "" or "a/b" (no leading or trailing '/') */
    const char *region;   /* signing region, e.g. "us-east-1" */
    const char *endpoint; /* NULL/"" = AWS (https://s3.<region>.amazonaws.com); else a base URL */
    int path_style;       /* -1 auto (path style when an endpoint is given), 0 virtual-hosted, 1 path */
    size_t multipart_threshold; /* objects above this go by multipart upload; 0 = 16 MiB */
    size_t part_size;           /* multipart part size, at least 5 MiB; 0 = 8 MiB */
    struct aws_cred_provider *creds; /* borrowed; outlives the storage */
} storage_s3_options_t;

/* Opens without network traffic (ready() checks the bucket). */
storage_t *storage_s3_open(const storage_s3_options_t *o, err_t *err);

/* Keys asked for per ListObjectsV2 page (1..1000; S3's maximum and the default is 1000). For
 * tests, which want continuation tokens without thousands of objects; not thread-safe. */
void storage_s3_set_list_page_size(size_t n);

static inline int storage_put(storage_t *s, const char *key, const uint8_t *d, size_t n, err_t *e)
{
    return s->ops->put(s, key, d, n, e);
}
static inline int storage_del(storage_t *s, const char *key, err_t *e) { return s->ops->del(s, key, e); }
static inline int storage_ready(storage_t *s, err_t *e) { return s->ops->ready(s, e); }
static inline int storage_get(storage_t *s, const char *key, size_t max, buf_t *out, err_t *e)
{
    return s->ops->get(s, key, max, out, e);
}
static inline int storage_list(storage_t *s, const char *prefix, size_t max_keys, storage_list_cb cb, void *ctx,
                               err_t *e)
{
    return s->ops->list(s, prefix, max_keys, cb, ctx, e);
}
static inline void storage_describe(storage_t *s, const char *key, char *out, size_t n)
{
    s->ops->describe(s, key, out, n);
}
static inline void storage_destroy(storage_t *s)
{
    if (s)
        s->ops->destroy(s);
}

#endif
