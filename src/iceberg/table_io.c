#include "iceberg/table_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct table_io {
    char location[2048]; /* without a trailing '/' */
    storage_t *storage;
    aws_cred_provider_t *vended; /* owned, NULL when the default chain is used */
    aws_cred_provider_t *default_creds;
    const config_t *cfg;
    /* the S3 settings chosen at open (props are not kept: a reload replaces them) */
    char region[64], endpoint[1024];
    int path_style;
    char what[128];
};

static int starts_with(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* "true"/"false" of a property; def when absent or anything else. */
static int prop_bool(const rest_props_t *p, const char *k, int def)
{
    const char *v = p ? rest_props_get(p, k) : NULL;
    if (!v)
        return def;
    if (!strcmp(v, "true"))
        return 1;
    if (!strcmp(v, "false"))
        return 0;
    return def;
}

static const char *prop(const rest_props_t *p, const char *k) { return p ? rest_props_get(p, k) : NULL; }

/* The storage for location, with settings taken from io (s3) or none (fs). */
static storage_t *open_at(table_io_t *io, const char *location, err_t *err)
{
    const char *rest;
    if (starts_with(location, "s3://"))
        rest = location + 5;
    else if (starts_with(location, "s3a://") || starts_with(location, "s3n://"))
        rest = location + 6;
    else {
        const char *path = location;
        if (starts_with(path, "file://"))
            path += 7; /* file:///abs -> /abs */
        else if (starts_with(path, "file:"))
            path += 5;
        if (path[0] != '/')
            return err_set(err, ERR_CONFIG, "%s: location %s is neither s3:// nor an absolute file path", io->what,
                           location),
                   NULL;
        return storage_fs_open(path, err);
    }
    char bucket[256];
    const char *slash = strchr(rest, '/');
    size_t bn = slash ? (size_t)(slash - rest) : strlen(rest);
    if (bn == 0 || bn >= sizeof bucket)
        return err_set(err, ERR_CONFIG, "%s: location %s has no valid bucket", io->what, location), NULL;
    memcpy(bucket, rest, bn);
    bucket[bn] = 0;
    char prefix[2048];
    snprintf(prefix, sizeof prefix, "%s", slash ? slash + 1 : "");
    size_t pn = strlen(prefix);
    while (pn && prefix[pn - 1] == '/')
        prefix[--pn] = 0;
    aws_cred_provider_t *creds = io->vended ? io->vended : io->default_creds;
    if (!creds)
        return err_set(err, ERR_CONFIG,
                       "%s: location %s is on S3 but there are no AWS credentials (the catalog vended none "
                       "and no credential chain is configured)",
                       io->what, location),
               NULL;
    storage_s3_options_t o = {
        .bucket = bucket,
        .prefix = prefix,
        .region = io->region,
        .endpoint = io->endpoint,
        .path_style = io->path_style,
        .multipart_threshold = io->cfg->s3_multipart_threshold,
        .part_size = io->cfg->s3_part_size,
        .creds = creds,
    };
    return storage_s3_open(&o, err);
}

table_io_t *table_io_open(const char *location, const config_t *cfg, const rest_props_t *props,
                          aws_cred_provider_t *default_creds, const char *what, err_t *err)
{
    table_io_t *io = calloc(1, sizeof *io);
    if (!io) {
        err_set(err, ERR_NOMEM, "%s: out of memory", what);
        return NULL;
    }
    io->cfg = cfg;
    io->default_creds = default_creds;
    snprintf(io->what, sizeof io->what, "%s", what);
    size_t n = strlen(location);
    while (n && location[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof io->location) {
        err_set(err, ERR_CONFIG, "%s: table location is empty or too long", what);
        goto fail;
    }
    memcpy(io->location, location, n);
    io->location[n] = 0;
    const char *region = prop(props, "client.region");
    if (!region)
        region = prop(props, "s3.region");
    snprintf(io->region, sizeof io->region, "%s", region ? region : cfg->s3_region[0] ? cfg->s3_region : "us-east-1");
    const char *endpoint = prop(props, "s3.endpoint");
    snprintf(io->endpoint, sizeof io->endpoint, "%s", endpoint ? endpoint : cfg->s3_endpoint);
    io->path_style = prop_bool(props, "s3.path-style-access", cfg->s3_path_style);
    const char *ak = prop(props, "s3.access-key-id"), *sk = prop(props, "s3.secret-access-key");
    if (ak && sk) {
        char src[160];
        snprintf(src, sizeof src, "vended by the catalog for %s", what);
        io->vended = aws_cred_static_new(src, ak, sk, prop(props, "s3.session-token"), err);
        if (!io->vended)
            goto fail;
    }
    io->storage = open_at(io, io->location, err);
    if (!io->storage)
        goto fail;
    return io;
fail:
    table_io_close(io);
    return NULL;
}

void table_io_close(table_io_t *io)
{
    if (!io)
        return;
    storage_destroy(io->storage);
    aws_cred_free(io->vended);
    free(io);
}

storage_t *table_io_storage(table_io_t *io) { return io->storage; }

const char *table_io_key(const table_io_t *io, const char *uri)
{
    size_t n = strlen(io->location);
    if (strncmp(uri, io->location, n) || uri[n] != '/')
        return NULL;
    const char *k = uri + n;
    while (*k == '/')
        k++;
    return *k ? k : NULL;
}

int table_io_uri(const table_io_t *io, const char *key, char *out, size_t cap)
{
    int w = snprintf(out, cap, "%s/%s", io->location, key);
    return w < 0 || (size_t)w >= cap ? -1 : 0;
}

int table_io_get_uri(table_io_t *io, const char *uri, size_t max, buf_t *out, err_t *err)
{
    const char *key = table_io_key(io, uri);
    if (key)
        return storage_get(io->storage, key, max, out, err);
    /* elsewhere: a storage on the object's folder, with the same settings */
    const char *slash = strrchr(uri, '/');
    if (!slash || !slash[1])
        return err_set(err, ERR_INVALID, "%s: %s is not a file URI", io->what, uri);
    char dir[2048];
    size_t dn = (size_t)(slash - uri);
    if (dn >= sizeof dir)
        return err_set(err, ERR_INVALID, "%s: URI too long", io->what);
    memcpy(dir, uri, dn);
    dir[dn] = 0;
    storage_t *s = open_at(io, dir, err);
    if (!s)
        return -1;
    int rc = storage_get(s, slash + 1, max, out, err);
    storage_destroy(s);
    return rc;
}
