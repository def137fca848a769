#include "check_command.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg/rest.h"
#include "iceberg/rest_auth.h"
#include "table/tables.h"
#include "util/buf.h"
#include "util/uuid.h"

/* S3 error codes (and transport failures) and what usually causes them. For AWS, the IAM
 * permission a step needs; a denied read or delete matters less than a denied write. */
typedef struct {
    const char *needle, *step, *hint;
} hint_t;

#define NO_CREDENTIALS_HINT \
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a role (container, instance)"

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
    {"no AWS credentials", NULL, NO_CREDENTIALS_HINT},
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

/* "  ok   what" or "  FAIL what: msg" and the hint under it. */
static void print_step(FILE *out, int ok, const char *what, const char *msg, const char *hint)
{
    fprintf(out, "  %-4s %s%s%s\n", ok ? "ok" : "FAIL", what, ok ? "" : ": ", ok ? "" : msg);
    if (!ok && *hint)
        fprintf(out, "       hint: %s\n", hint);
}

static void report(FILE *out, const config_t *cfg, int ok, const char *step, const char *what, const char *msg)
{
    print_step(out, ok, what, msg, ok ? "" : check_storage_hint(cfg, step, msg));
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

/* ---- the catalog ---- */

/* What the catalog hints need to know of the setup. */
typedef struct {
    const config_t *cfg;
    const char *auth;            /* rest_auth_describe: "none", "bearer", "oauth2", "sigv4 glue us-east-1" */
    char service[32], region[64]; /* SigV4 only */
    char host_region[64];         /* R of a glue.R.* or s3tables.R.* host */
    char account[64], bucket[128]; /* from an AWS-shaped warehouse; placeholders otherwise */
    int warehouse_ok;             /* the warehouse has the form the service wants */
} cat_ctx_t;

static void cat_ctx_init(cat_ctx_t *x, const config_t *cfg, const char *auth)
{
    memset(x, 0, sizeof *x);
    x->cfg = cfg;
    x->auth = auth;
    if (sscanf(auth, "sigv4 %31s %63s", x->service, x->region) < 1)
        x->service[0] = 0;
    const char *h = strstr(cfg->iceberg_rest_uri, "://");
    h = h ? h + 3 : cfg->iceberg_rest_uri;
    static const char *const svcs[] = {"glue.", "s3tables."};
    for (size_t i = 0; i < 2; i++)
        if (!strncasecmp(h, svcs[i], strlen(svcs[i])))
            sscanf(h + strlen(svcs[i]), "%63[a-z0-9-]", x->host_region);
    const char *w = cfg->iceberg_warehouse;
    char rest[8];
    if (!strcmp(x->service, "s3tables"))
        x->warehouse_ok = sscanf(w, "arn:%*[^:]:s3tables:%*[^:]:%63[0-9]:bucket/%127[^/]%7s", x->account, x->bucket,
                                 rest) == 2;
    else
        x->warehouse_ok = sscanf(w, "%63[0-9]:s3tablescatalog/%127[^/]%7s", x->account, x->bucket, rest) == 2 &&
                          strlen(x->account) == 12;
    if (!x->warehouse_ok) {
        snprintf(x->account, sizeof x->account, "ACCOUNT");
        snprintf(x->bucket, sizeof x->bucket, "BUCKET");
    }
}

/* The HTTP status an error message names ("...: HTTP 403 AccessDeniedException..."), else 0. */
static long msg_status(const char *msg)
{
    for (const char *p = msg; (p = strstr(p, "HTTP ")) != NULL; p += 5)
        if (p[5] >= '1' && p[5] <= '5' && isdigit((unsigned char)p[6]) && isdigit((unsigned char)p[7]) &&
            !isdigit((unsigned char)p[8]))
            return strtol(p + 5, NULL, 10);
    return 0;
}

static const char *say(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static const char *say(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return buf;
}

/* Glue (IAM and Lake Formation) and S3 Tables: what a denied step needs. */
static const char *aws_denied_hint(const cat_ctx_t *x, const char *step, const char *msg, char *buf, size_t cap)
{
    const char *r = x->region[0] ? x->region : "REGION", *a = x->account, *b = x->bucket;
    const char *ns = x->cfg->iceberg_namespace;
    const char *act = strstr(msg, "not authorized to perform: ");
    if (act) {
        act += strlen("not authorized to perform: ");
        return say(buf, cap, "the principal's IAM policy does not allow %.*s: add it (docs/iceberg.md has the whole policy)",
                   (int)strcspn(act, " "), act);
    }
    if (!strcmp(x->service, "s3tables")) {
        if (!strcmp(step, "config"))
            return say(buf, cap, "allow s3tables:GetTableBucket on arn:aws:s3tables:%s:%s:bucket/%s", r, a, b);
        if (!strcmp(step, "namespace"))
            return say(buf, cap, "allow s3tables:GetNamespace and s3tables:CreateNamespace on arn:aws:s3tables:%s:%s:bucket/%s",
                       r, a, b);
        return say(buf, cap,
                   "allow s3tables:GetTable, s3tables:GetTableMetadataLocation, s3tables:CreateTable, "
                   "s3tables:UpdateTableMetadataLocation, s3tables:GetTableData and s3tables:PutTableData on "
                   "arn:aws:s3tables:%s:%s:bucket/%s/table/*",
                   r, a, b);
    }
    int lf = strstr(msg, "Lake Formation") != NULL;
    if (!strcmp(step, "config"))
        return say(buf, cap,
                   "%sallow glue:GetCatalog on arn:aws:glue:%s:%s:catalog, arn:aws:glue:%s:%s:catalog/s3tablescatalog and "
                   "arn:aws:glue:%s:%s:catalog/s3tablescatalog/%s; the table bucket must be integrated with the Glue Data "
                   "Catalog (S3 Tables integration with AWS analytics services)",
                   lf ? "Lake Formation denies it: " : "", r, a, r, a, r, a, b);
    if (!strcmp(step, "namespace"))
        return say(buf, cap,
                   "%sallow glue:GetDatabase and glue:CreateDatabase on arn:aws:glue:%s:%s:database/s3tablescatalog/%s/%s; "
                   "in Lake Formation grant DESCRIBE and CREATE_TABLE on the database %s",
                   lf ? "Lake Formation denies it: " : "", r, a, b, ns, ns);
    return say(buf, cap,
               "%sallow glue:GetTable, glue:CreateTable and glue:UpdateTable on "
               "arn:aws:glue:%s:%s:table/s3tablescatalog/%s/%s/* and lakeformation:GetDataAccess on *; in Lake Formation "
               "grant SELECT, INSERT, ALTER and DESCRIBE on the tables of %s",
               lf ? "Lake Formation denies it: " : "", r, a, b, ns, ns);
}

static const char *aws_hint(const cat_ctx_t *x, const char *step, const char *msg, long st, char *buf, size_t cap)
{
    if (strstr(msg, "no AWS credentials"))
        return NO_CREDENTIALS_HINT;
    if (x->host_region[0] && x->region[0] && strcmp(x->host_region, x->region) && (st == 400 || st == 401 || st == 403))
        return say(buf, cap, "the endpoint is in %s but the requests are signed for %s: set OTLP2PARQUET_ICEBERG_SIGNING_REGION=%s",
                   x->host_region, x->region, x->host_region);
    if (strstr(msg, "ExpiredToken") || strstr(msg, "expired"))
        return "the AWS session token has expired: refresh the temporary credentials";
    if (strstr(msg, "Missing Authentication Token"))
        return "AWS answers this for a path it does not serve (or an unsigned request): the URI is "
               "https://glue.<region>.amazonaws.com/iceberg for Glue, https://s3tables.<region>.amazonaws.com/iceberg "
               "for S3 Tables";
    if (strstr(msg, "ignature"))
        return "the signature does not match: the secret key does not belong to the access key "
               "(AWS_SECRET_ACCESS_KEY or the profile), or the clock is off";
    if (strstr(msg, "UnrecognizedClient") || strstr(msg, "InvalidClientTokenId") || strstr(msg, "security token"))
        return "AWS does not know the access key or the session token (of another account or partition? a stale "
               "AWS_SESSION_TOKEN?)";
    if (st == 403 || strstr(msg, "AccessDenied") || strstr(msg, "Lake Formation"))
        return aws_denied_hint(x, step, msg, buf, cap);
    if (!strcmp(step, "config") && (st == 400 || st == 404) && !x->warehouse_ok)
        return !strcmp(x->service, "s3tables")
                   ? "for S3 Tables, OTLP2PARQUET_ICEBERG_WAREHOUSE is the table bucket's ARN, "
                     "arn:aws:s3tables:<region>:<account-id>:bucket/<table-bucket>"
                   : "for Glue, OTLP2PARQUET_ICEBERG_WAREHOUSE is <account-id>:s3tablescatalog/<table-bucket>";
    if (!strcmp(step, "config") && (st == 400 || st == 404))
        return say(buf, cap, "does table bucket %s exist in %s (account %s), integrated with the Glue Data Catalog?", x->bucket,
                   x->region[0] ? x->region : "the region", x->account);
    return "";
}

const char *check_catalog_hint(const config_t *cfg, const char *auth, const char *step, const char *msg, char *buf,
                               size_t cap)
{
    cat_ctx_t x;
    cat_ctx_init(&x, cfg, auth);
    long st = msg_status(msg);
    buf[0] = 0;
    /* no answer at all (curl's words), or no request sent */
    if (st == 0 && (strstr(msg, "Couldn't connect") || strstr(msg, "Connection refused")))
        return say(buf, cap, "nothing answers at %s: OTLP2PARQUET_ICEBERG_REST_URI is wrong or the catalog is down",
                   cfg->iceberg_rest_uri);
    if (st == 0 && strstr(msg, "resolve host"))
        return "the catalog's host name does not resolve: check OTLP2PARQUET_ICEBERG_REST_URI";
    if (st == 0 && (strstr(msg, "imeout") || strstr(msg, "timed out")))
        return "the catalog did not answer in time: check OTLP2PARQUET_ICEBERG_REST_URI, the network, a firewall or proxy";
    if (st == 0 && (strstr(msg, "SSL") || strstr(msg, "certificate")))
        return "TLS failed: the URI's scheme (http or https) or the certificate (a proxy's CA?) is wrong";
    if (st == 0 && strstr(msg, "needs a region"))
        return "set OTLP2PARQUET_ICEBERG_SIGNING_REGION (or AWS_REGION) to the catalog's region";
    const char *h = "";
    if (x.service[0])
        h = aws_hint(&x, step, msg, st, buf, cap);
    else if (!strcmp(auth, "bearer") && st == 401)
        h = "the catalog rejected the token: OTLP2PARQUET_ICEBERG_TOKEN is invalid or has expired";
    else if (!strcmp(auth, "oauth2") && strstr(msg, "OAuth2 token from") && (st == 400 || st == 401))
        h = "the token endpoint rejected the client: check OTLP2PARQUET_ICEBERG_CREDENTIAL (client_id:client_secret) "
            "and OTLP2PARQUET_ICEBERG_SCOPE";
    else if (!strcmp(auth, "oauth2") && st == 401)
        h = "the catalog rejected a fresh OAuth2 token: the client is not accepted by this catalog";
    else if ((!strcmp(auth, "bearer") || !strcmp(auth, "oauth2")) && st == 403)
        h = say(buf, cap, "the token is valid but its principal lacks privileges on %s: grant them in the catalog%s",
                !strcmp(step, "config")  ? "the catalog (or the warehouse)"
                : !strcmp(step, "table") ? "the tables (load, create, commit)"
                                         : "the namespace (read it, create tables in it)",
                !strcmp(auth, "oauth2") ? " (OTLP2PARQUET_ICEBERG_SCOPE picks the roles, e.g. PRINCIPAL_ROLE:ALL)" : "");
    else if (!strcmp(auth, "none") && (st == 401 || st == 403))
        h = "the catalog wants credentials: set OTLP2PARQUET_ICEBERG_TOKEN or OTLP2PARQUET_ICEBERG_CREDENTIAL (or "
            "OTLP2PARQUET_ICEBERG_SIGNING_NAME for an AWS endpoint)";
    if (*h)
        return h;
    if (!strcmp(step, "config") && st == 404)
        return "no /v1/config under OTLP2PARQUET_ICEBERG_REST_URI: give the catalog's base URI (for Glue "
               "https://glue.<region>.amazonaws.com/iceberg)";
    if (!strcmp(step, "config") && (strstr(msg, "not JSON") || strstr(msg, "not a JSON object") || strstr(msg, "no Iceberg error")))
        return "what answers at OTLP2PARQUET_ICEBERG_REST_URI is not an Iceberg REST catalog";
    if (!strcmp(step, "config") && st == 400)
        return "the catalog refused the configuration request: check OTLP2PARQUET_ICEBERG_WAREHOUSE";
    if (st >= 500)
        return "the catalog failed: try again; if it lasts, see the catalog's logs";
    return "";
}

/* The auth mode the catalog client will pick for this configuration ("?" when it cannot). */
static void auth_mode(const config_t *cfg, char *out, size_t cap)
{
    char host[512];
    const char *h = strstr(cfg->iceberg_rest_uri, "://");
    h = h ? h + 3 : cfg->iceberg_rest_uri;
    snprintf(host, sizeof host, "%.*s", (int)strcspn(h, "/"), h);
    for (char *q = host; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    err_t e;
    err_clear(&e);
    rest_auth_t *a = rest_auth_new(cfg, host, cfg->iceberg_rest_uri, &e);
    snprintf(out, cap, "%s", a ? rest_auth_describe(a) : "?");
    rest_auth_free(a);
}

int check_catalog(const config_t *cfg, FILE *out)
{
    char auth[128], what[2600], hint[1200];
    auth_mode(cfg, auth, sizeof auth);
    fprintf(out, "catalog %s\n", cfg->iceberg_rest_uri);
    err_t err;
    err_clear(&err);
    char wh[600] = "";
    if (cfg->iceberg_warehouse[0])
        snprintf(wh, sizeof wh, ", warehouse %s", cfg->iceberg_warehouse);
    rest_catalog_t *c = rest_catalog_open(cfg, &err);
    if (!c) {
        snprintf(what, sizeof what, "config (GET /v1/config%s, auth %s)", wh, auth);
        print_step(out, 0, what, err.msg, check_catalog_hint(cfg, auth, "config", err.msg, hint, sizeof hint));
        return -1;
    }
    snprintf(auth, sizeof auth, "%s", rest_catalog_auth(c));
    const char *prefix = rest_catalog_prefix(c);
    snprintf(what, sizeof what, "config (GET /v1/config%s): auth %s, prefix %s", wh, auth, *prefix ? prefix : "(none)");
    print_step(out, 1, what, "", "");

    const char *nsname = cfg->iceberg_namespace;
    rest_ns_t ns;
    int exists = rest_ns_from_dotted(&ns, nsname, &err) ? -1 : rest_namespace_exists(c, &ns, &err);
    if (exists < 0) {
        snprintf(what, sizeof what, "namespace %s", nsname);
        print_step(out, 0, what, err.msg, check_catalog_hint(cfg, auth, "namespace", err.msg, hint, sizeof hint));
        rest_catalog_close(c);
        return -1;
    }
    snprintf(what, sizeof what, "namespace %s %s", nsname, exists ? "exists" : "is not there yet: created on first use");
    print_step(out, 1, what, "", "");

    int failed = 0;
    char last_hint[sizeof hint] = "";
    for (int i = 0; i < TABLE_COUNT; i++) {
        const char *name = tables_all[i]->name;
        rest_table_t t;
        memset(&t, 0, sizeof t);
        err_clear(&err);
        int rc = exists ? rest_load_table(c, &ns, name, &t, &err) : 1;
        if (rc == 0) {
            char snap[32] = "none";
            if (t.current_snapshot_id >= 0)
                snprintf(snap, sizeof snap, "%lld", (long long)t.current_snapshot_id);
            snprintf(what, sizeof what, "table %s: format %d, current snapshot %s, location %s", name, t.format_version,
                     snap, t.location);
            print_step(out, 1, what, "", "");
        } else if (rc == 1 || msg_status(err.msg) == 404) {
            snprintf(what, sizeof what, "table %s is not there yet: created on first use", name);
            print_step(out, 1, what, "", "");
        } else {
            /* a hint once, not again under every table it applies to */
            const char *h = check_catalog_hint(cfg, auth, "table", err.msg, hint, sizeof hint);
            snprintf(what, sizeof what, "table %s", name);
            print_step(out, 0, what, err.msg, strcmp(h, last_hint) ? h : "");
            snprintf(last_hint, sizeof last_hint, "%s", h);
            failed = 1;
        }
        rest_table_free(&t);
    }
    rest_catalog_close(c);
    return failed ? -1 : 0;
}
