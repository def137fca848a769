#include "check_command.h"

#include <string.h>

#include "util/buf.h"
#include "util/uuid.h"

/* S3 error codes (and transport failures) and what usually causes them. For AWS, the IAM
 * permission a step needs; a denied read or delete matters less than a denied write. */
typedef struct {
    const char *needle, *step, *hint;
} hint_t;

static const hint_t hints[] = {
    {"SignatureDoesNotMatch", NULL,
     "the secret key does not belong to the access key (AWS_SECRET_ACCESS_KEY or the profile), or a proxy "
     "changed the request"},
    {"InvalidAccessKeyId", NULL, "the access key is unknown to this endpoint (a key of another account or store?)"},
    {"ExpiredToken", NULL, "the session token has expired: refresh the temporary credentials"},
    {"InvalidToken", NULL, "the session token is malformed or belongs to other keys (AWS_SESSION_TOKEN)"},
    {"NoSuchBucket", NULL, "the bucket does not exist: check OTLP2PARQUET_S3_BUCKET (and the endpoint)"},
    {"PermanentRedirect", NULL, "the bucket is in another region: set OTLP2PARQUET_S3_REGION to the bucket's region"},
    {"AuthorizationHeaderMalformed", NULL,
     "the signing region is wrong: set OTLP2PARQUET_S3_REGION to the bucket's region"},
    {"AccessDenied", "write",
     "the credentials may not write here: grant s3:PutObject (and s3:AbortMultipartUpload) on "
     "arn:aws:s3:::BUCKET/PREFIX/*; a bucket policy or KMS key policy can deny it too"},
    {"AccessDenied", "read", "grant s3:GetObject on arn:aws:s3:::BUCKET/PREFIX/* (Iceberg reads its metadata back)"},
    {"AccessDenied", "delete",
     "grant s3:DeleteObject on arn:aws:s3:::BUCKET/PREFIX/* (used to undo a request that failed half way)"},
    {"no AWS credentials", NULL,
     "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a role (container, instance)"},
    {"Couldn't connect", NULL, "nothing answers at the endpoint: check OTLP2PARQUET_S3_ENDPOINT and the network"},
    {"resolve", NULL, "the host name does not resolve: check OTLP2PARQUET_S3_ENDPOINT (or the region)"},
    {"Permission denied", NULL, "the process may not write into OTLP2PARQUET_STORAGE_PATH"},
    {"No such file", NULL, "OTLP2PARQUET_STORAGE_PATH does not exist or is not a folder"},
    {"No space", NULL, "the disk is full"},
};

const char *check_storage_hint(const config_t *cfg, const char *step, const char *msg)
{
    (void)cfg;
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (strstr(msg, hints[i].needle) && (!hints[i].step || !strcmp(hints[i].step, step)))
            return hints[i].hint;
    return "";
}

static void report(FILE *out, const config_t *cfg, int ok, const char *step, const char *what, const char *msg)
{
    fprintf(out, "  %-4s %s%s%s\n", ok ? "ok" : "FAIL", what, ok ? "" : ": ", ok ? "" : msg);
    const char *hint = ok ? "" : check_storage_hint(cfg, step, msg);
    if (*hint)
        fprintf(out, "       hint: %s\n", hint);
}

int check_storage(const config_t *cfg, storage_t *s, FILE *out)
{
    char where[2048];
    storage_describe(s, NULL, where, sizeof where);
    fprintf(out, "storage %s\n", where);

    /* a name no table uses, under the prefix, unique to this run */
    char id[37], key[64], what[2200];
    uuid7_string(id);
    snprintf(key, sizeof key, "_otlp2parquet_check_%s", id);
    char probe[128];
    int plen = snprintf(probe, sizeof probe, "otlp2parquet check %s\n", id);

    err_t err;
    err_clear(&err);
    char shown[2048];
    storage_describe(s, key, shown, sizeof shown);
    snprintf(what, sizeof what, "write %s (%d bytes)", shown, plen);
    if (storage_put(s, key, (const uint8_t *)probe, (size_t)plen, &err)) {
        report(out, cfg, 0, "write", what, err.msg);
        return -1;
    }
    report(out, cfg, 1, "write", what, "");

    int failed = 0;
    buf_t back = {0};
    err_clear(&err);
    int rc = storage_get(s, key, 4096, &back, &err);
    if (rc == 1)
        snprintf(err.msg, sizeof err.msg, "the object just written is not there (an eventually consistent store?)");
    else if (rc == 0 && (back.len != (size_t)plen || memcmp(back.data, probe, (size_t)plen)))
        snprintf(err.msg, sizeof err.msg, "read %zu bytes that differ from the %d written", back.len, plen);
    int ok = rc == 0 && back.len == (size_t)plen && !memcmp(back.data, probe, (size_t)plen);
    report(out, cfg, ok, "read", "read it back", err.msg);
    failed |= !ok;
    buf_free(&back);

    err_clear(&err);
    ok = storage_del(s, key, &err) == 0;
    report(out, cfg, ok, "delete", "delete it", err.msg);
    failed |= !ok;

    err_clear(&err);
    ok = storage_ready(s, &err) == 0;
    report(out, cfg, ok, "ready", "readiness probe (GET /ready)", err.msg);
    failed |= !ok;
    return failed ? -1 : 0;
}
