#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parquet/writer.h"
#include "util/log.h"

#define PREFIX "OTLP2PARQUET_"

typedef enum { K_STR, K_SIZE, K_U64, K_U32, K_INT, K_BOOL, K_BACKEND, K_CODEC, K_LEVEL, K_FORMAT, K_TRISTATE } kind_t;

typedef struct {
    const char *name; /* without the prefix */
    kind_t kind;
    size_t off;       /* offset of the field in config_t */
    size_t size;      /* K_STR: size of the char array */
    const char *help;
    int64_t min, max; /* numeric kinds */
} config_key_t;

#define F(field) offsetof(config_t, field), sizeof(((config_t *)0)->field)

static const config_key_t keys[] = {
    {"STORAGE_BACKEND", K_BACKEND, F(storage_backend), "fs | s3 (default fs, s3 in Lambda)", 0, 0},
    {"STORAGE_PATH", K_STR, F(storage_path), "root folder of the fs backend (default ./data)", 0, 0},
    {"S3_BUCKET", K_STR, F(s3_bucket), "bucket of the s3 backend", 0, 0},
    {"S3_PREFIX", K_STR, F(s3_prefix), "key prefix inside the bucket", 0, 0},
    {"S3_REGION", K_STR, F(s3_region), "region (default AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1)", 0, 0},
    {"S3_ENDPOINT", K_STR, F(s3_endpoint), "endpoint URL of an S3-compatible store", 0, 0},
    {"S3_PATH_STYLE", K_TRISTATE, F(s3_path_style), "true | false (default: path style when an endpoint is given)", 0, 0},
    {"S3_MULTIPART_THRESHOLD", K_SIZE, F(s3_multipart_threshold), "objects larger than this go by multipart upload (default 16 MiB, at least 5 MiB)", (int64_t)5 << 20, (int64_t)5 << 30},
    {"S3_PART_SIZE", K_SIZE, F(s3_part_size), "part size of multipart uploads (default 8 MiB, at least 5 MiB)", (int64_t)5 << 20, (int64_t)5 << 30},
    {"LISTEN_ADDR", K_STR, F(listen_addr), "host:port of the OTLP/HTTP server (default 0.0.0.0:4318)", 0, 0},
    {"MAX_PAYLOAD_BYTES", K_SIZE, F(max_payload_bytes), "largest request body, compressed and decompressed (default 8 MiB, 6 MiB in Lambda)", 1024, (int64_t)1 << 31},
    {"BATCH_MAX_ROWS", K_U64, F(batch_max_rows), "rows buffered per file before a flush (default 200000)", 1, 100000000},
    {"BATCH_MAX_BYTES", K_SIZE, F(batch_max_bytes), "bytes buffered per file before a flush (default 128 MiB)", 1024, (int64_t)1 << 34},
    {"BATCH_MAX_AGE_SECS", K_U32, F(batch_max_age_secs), "seconds a buffer may wait before a flush (default 10)", 0, 86400},
    {"MAX_BUFFERED_BYTES", K_SIZE, F(max_buffered_bytes), "memory of all batching buffers together; past it requests get 503 (default 4 x BATCH_MAX_BYTES)", 1024, (int64_t)1 << 40},
    {"PARQUET_COMPRESSION", K_CODEC, F(parquet_codec), "zstd | snappy | none (default zstd)", 0, 0},
    {"PARQUET_ZSTD_LEVEL", K_INT, F(parquet_zstd_level), "1..22 (default 3)", 1, 22},
    {"LOG_LEVEL", K_LEVEL, F(log_level), "debug | info | warn | error (default info)", 0, 0},
    {"LOG_FORMAT", K_FORMAT, F(log_json), "text | json (default text, json in Lambda)", 0, 0},
    {"ICEBERG_ENABLED", K_BOOL, F(iceberg_enabled), "commit files to Iceberg tables (default: true when ICEBERG_REST_URI is set)", 0, 0},
    {"ICEBERG_REST_URI", K_STR, F(iceberg_rest_uri), "Iceberg REST catalog URI", 0, 0},
    {"ICEBERG_WAREHOUSE", K_STR, F(iceberg_warehouse), "warehouse passed to the catalog", 0, 0},
    {"ICEBERG_NAMESPACE", K_STR, F(iceberg_namespace), "namespace of the tables (default otel)", 0, 0},
    {"ICEBERG_SIGNING_NAME", K_STR, F(iceberg_signing_name), "SigV4 service name (default by host: glue, s3tables, none)", 0, 0},
    {"ICEBERG_SIGNING_REGION", K_STR, F(iceberg_signing_region), "SigV4 region (default AWS_REGION)", 0, 0},
    {"ICEBERG_TOKEN", K_STR, F(iceberg_token), "bearer token for the catalog", 0, 0},
    {"ICEBERG_CREDENTIAL", K_STR, F(iceberg_credential), "OAuth2 client credentials id:secret", 0, 0},
    {"ICEBERG_SCOPE", K_STR, F(iceberg_scope), "OAuth2 scope", 0, 0},
    {"ICEBERG_PARTITION", K_STR, F(iceberg_partition), "partition spec (default day(Timestamp))", 0, 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Unprefixed names of the S3 Tables design, accepted when the prefixed one is not set. */
static const char *const aliases[] = {"ICEBERG_ENABLED", "ICEBERG_REST_URI", "ICEBERG_WAREHOUSE", "ICEBERG_NAMESPACE"};

static const config_key_t *find_key(const char *name, size_t n)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strlen(keys[i].name) == n && strncmp(keys[i].name, name, n) == 0)
            return &keys[i];
    return NULL;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        return *out = true, 0;
    if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
        return *out = false, 0;
    return -1;
}

static int parse_int(const char *v, int64_t min, int64_t max, int64_t *out)
{
    if (!*v)
        return -1;
    errno = 0;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}

/* Parses one value into its field; where says where it came from, for the message. */
static int set_value(config_t *c, const config_key_t *k, const char *v, const char *where, err_t *err)
{
    char *field = (char *)c + k->off;
    int64_t n;
    bool b;
    switch (k->kind) {
    case K_STR:
        if (strlen(v) >= k->size)
            return err_set(err, ERR_CONFIG, "%s%s (%s): value longer than %zu bytes", PREFIX, k->name, where, k->size - 1);
        memcpy(field, v, strlen(v) + 1);
        return 0;
    case K_SIZE:
    case K_U64:
    case K_U32:
    case K_INT:
        if (parse_int(v, k->min, k->max, &n))
            return err_set(err, ERR_CONFIG, "%s%s (%s): \"%s\" is not an integer in %lld..%lld", PREFIX, k->name,
                           where, v, (long long)k->min, (long long)k->max);
        if (k->kind == K_SIZE)
            *(size_t *)field = (size_t)n;
        else if (k->kind == K_U64)
            *(uint64_t *)field = (uint64_t)n;
        else if (k->kind == K_U32)
            *(uint32_t *)field = (uint32_t)n;
        else
            *(int *)field = (int)n;
        return 0;
    case K_BOOL:
        if (parse_bool(v, &b))
            return err_set(err, ERR_CONFIG, "%s%s (%s): \"%s\" is not true or false", PREFIX, k->name, where, v);
        *(bool *)field = b;
        return 0;
    case K_TRISTATE:
        if (parse_bool(v, &b))
            return err_set(err, ERR_CONFIG, "%s%s (%s): \"%s\" is not true or false", PREFIX, k->name, where, v);
        *(int *)field = b;
        return 0;
    case K_BACKEND:
        if (strcmp(v, "fs") && strcmp(v, "s3"))
            return err_set(err, ERR_CONFIG, "%s%s (%s): \"%s\" is not fs or s3", PREFIX, k->name, where, v);
        snprintf(field, k->size, "%s", v);
        return 0;
    case K_CODEC:
        if (!strcasecmp(v, "zstd"))
            *(int *)field = PQ_ZSTD;
        else if (!strcasecmp(v, "snappy"))
            *(int *)field = PQ_SNAPPY;
        else if (!strcasecmp(v, "none") || !strcasecmp(v, "uncompressed"))
            *(int *)field = PQ_UNCOMPRESSED;
        else
            return err_set(err, ERR_CONFIG, "%s%s (%s): \"%s\" is not zstd, snappy or none", PREFIX, k->name, where, v);
        return 0;
    case K_LEVEL:
        n = log_level_parse(v);
        if (n < 0)
            return err_set(err, ERR_CONFIG, "%s%s (%s): \"%s\" is not debug, info, warn or error", PREFIX, k->name, where, v);
        *(int *)field = (int)n;
        return 0;
    case K_FORMAT:
        if (strcasecmp(v, "text") && strcasecmp(v, "json"))
            return err_set(err, ERR_CONFIG, "%s%s (%s): \"%s\" is not text or json", PREFIX, k->name, where, v);
        *(bool *)field = strcasecmp(v, "json") == 0;
        return 0;
    }
    return err_set(err, ERR_INTERNAL, "config: unhandled kind");
}

static void defaults(config_t *c)
{
    memset(c, 0, sizeof *c);
    const char *lambda = getenv("AWS_LAMBDA_RUNTIME_API");
    c->lambda = lambda && *lambda;
    snprintf(c->storage_backend, sizeof c->storage_backend, "%s", c->lambda ? "s3" : "fs");
    snprintf(c->storage_path, sizeof c->storage_path, "./data");
    const char *region = getenv("AWS_REGION");
    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    if (region && strlen(region) < sizeof c->s3_region) {
        snprintf(c->s3_region, sizeof c->s3_region, "%s", region);
        /* the catalog's signing region: ICEBERG_SIGNING_REGION, else the region in a
         * glue.<region>/s3tables.<region> host, else this (rest_auth.c) */
        snprintf(c->aws_region, sizeof c->aws_region, "%s", region);
    }
    c->s3_path_style = -1;
    c->s3_multipart_threshold = (size_t)16 << 20;
    c->s3_part_size = (size_t)8 << 20;
    snprintf(c->listen_addr, sizeof c->listen_addr, "0.0.0.0:4318");
    c->max_payload_bytes = c->lambda ? 6u << 20 : 8u << 20;
    c->batch_max_rows = 200000;
    c->batch_max_bytes = (size_t)128 << 20;
    c->batch_max_age_secs = 10;
    c->parquet_codec = PQ_ZSTD;
    c->parquet_zstd_level = 3;
    c->log_level = LOG_INFO;
    c->log_json = c->lambda;
    snprintf(c->iceberg_namespace, sizeof c->iceberg_namespace, "otel");
    snprintf(c->iceberg_partition, sizeof c->iceberg_partition, "day(Timestamp)");
}

/* Values gathered from every source before parsing, so precedence is decided in one place. */
typedef struct {
    const char *value;
    char where[300];
} raw_t;

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

static int read_file(const char *path, raw_t *raw, char **storage, err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(err, ERR_CONFIG, "--config %s: %s", path, strerror(errno));
    size_t cap = 0, len = 0;
    char *all = NULL;
    char line[8192];
    int lineno = 0;
    int rc = 0;
    /* first pass: copy the lines into one block that outlives this function */
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *p = realloc(all, cap);
            if (!p) {
                free(all);
                fclose(f);
                return err_set(err, ERR_NOMEM, "--config %s: out of memory", path);
            }
            all = p;
        }
        memcpy(all + len, line, n + 1);
        len += n + 1;
    }
    fclose(f);
    *storage = all;
    for (size_t pos = 0; pos < len && rc == 0;) {
        char *l = all + pos;
        pos += strlen(l) + 1;
        lineno++;
        char *s = trim(l);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = err_set(err, ERR_CONFIG, "--config %s:%d: expected KEY=VALUE", path, lineno);
            break;
        }
        *eq = 0;
        char *k = trim(s), *v = trim(eq + 1);
        size_t vl = strlen(v);
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v[vl - 1] = 0;
            v++;
        }
        if (strncmp(k, PREFIX, strlen(PREFIX)) == 0)
            k += strlen(PREFIX);
        const config_key_t *key = find_key(k, strlen(k));
        if (!key) {
            rc = err_set(err, ERR_CONFIG, "--config %s:%d: unknown variable %s%s", path, lineno, PREFIX, k);
            break;
        }
        raw[key - keys].value = v;
        snprintf(raw[key - keys].where, sizeof raw[0].where, "from %.200s:%d", path, lineno);
    }
    return rc;
}

int config_load(config_t *c, const char *file, const config_override_t *ov, size_t nov, err_t *err)
{
    defaults(c);
    raw_t raw[NKEYS];
    memset(raw, 0, sizeof raw);
    char *file_text = NULL;
    if (file && read_file(file, raw, &file_text, err)) {
        free(file_text);
        return -1;
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        const char *v = getenv(aliases[i]);
        if (v) {
            const config_key_t *k = find_key(aliases[i], strlen(aliases[i]));
            raw[k - keys].value = v;
            snprintf(raw[k - keys].where, sizeof raw[0].where, "from the environment as %s", aliases[i]);
        }
    }
    extern char **environ;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, PREFIX, strlen(PREFIX)) != 0)
            continue;
        const char *name = *e + strlen(PREFIX);
        const char *eq = strchr(name, '=');
        if (!eq)
            continue;
        const config_key_t *k = find_key(name, (size_t)(eq - name));
        if (!k) {
            free(file_text);
            return err_set(err, ERR_CONFIG, "unknown variable %.*s in the environment (see --help)",
                           (int)(eq - *e), *e);
        }
        raw[k - keys].value = eq + 1;
        snprintf(raw[k - keys].where, sizeof raw[0].where, "from the environment");
    }
    for (size_t i = 0; i < nov; i++) {
        const config_key_t *k = find_key(ov[i].key, strlen(ov[i].key));
        if (!k) {
            free(file_text);
            return err_set(err, ERR_INTERNAL, "flag for unknown variable %s", ov[i].key);
        }
        raw[k - keys].value = ov[i].value;
        snprintf(raw[k - keys].where, sizeof raw[0].where, "from the command line");
    }
    bool iceberg_set = false;
    int rc = 0;
    for (size_t i = 0; i < NKEYS && rc == 0; i++) {
        if (!raw[i].value)
            continue;
        if (keys[i].off == offsetof(config_t, iceberg_enabled))
            iceberg_set = true;
        rc = set_value(c, &keys[i], raw[i].value, raw[i].where, err);
    }
    free(file_text);
    if (rc)
        return -1;
    if (!iceberg_set)
        c->iceberg_enabled = c->iceberg_rest_uri[0] != 0;
    if (c->max_buffered_bytes == 0) /* not set: follows BATCH_MAX_BYTES, wherever that came from */
        c->max_buffered_bytes = c->batch_max_bytes <= SIZE_MAX / 4 ? 4 * c->batch_max_bytes : SIZE_MAX;
    if (c->iceberg_enabled && !c->iceberg_rest_uri[0])
        return err_set(err, ERR_CONFIG, "%sICEBERG_ENABLED is true but %sICEBERG_REST_URI is not set", PREFIX, PREFIX);
    if (!strcmp(c->storage_backend, "s3") && !c->s3_bucket[0])
        return err_set(err, ERR_CONFIG, "%sSTORAGE_BACKEND=s3 needs %sS3_BUCKET", PREFIX, PREFIX);
    if (!c->s3_region[0]) /* neither set nor in AWS_REGION / AWS_DEFAULT_REGION: what the AWS CLI assumes */
        snprintf(c->s3_region, sizeof c->s3_region, "us-east-1");
    /* "/a/b/" and "a/b" mean the same folder; keys are joined to it with one '/' */
    char *pfx = c->s3_prefix;
    size_t skip = strspn(pfx, "/");
    memmove(pfx, pfx + skip, strlen(pfx + skip) + 1);
    size_t pl = strlen(pfx);
    while (pl > 0 && pfx[pl - 1] == '/')
        pfx[--pl] = 0;
    return 0;
}

void config_print_help(void)
{
    printf("Configuration (environment variables; also KEY=VALUE lines in --config FILE):\n");
    for (size_t i = 0; i < NKEYS; i++)
        printf("  %s%-22s %s\n", PREFIX, keys[i].name, keys[i].help);
}
