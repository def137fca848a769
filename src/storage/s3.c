/* S3 backend: every request signed with SigV4 (payload hash included, which strict servers
 * check), credentials fetched per request because temporary ones rotate. An object appears
 * whole or not at all: one PUT up to the multipart threshold, above it a multipart upload that
 * is completed only when every part arrived and aborted on any failure. Retries are few and
 * short (the ingest layer retries whole buffers for much longer); answers are bounded and
 * parsed defensively. */
#include "storage/storage.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "net/http_client.h"
#include "storage/s3_util.h"
#include "util/log.h"

#define DEFAULT_THRESHOLD ((size_t)16 << 20)
#define DEFAULT_PART_SIZE ((size_t)8 << 20)
#define MIN_PART_SIZE ((size_t)5 << 20)
#define MAX_PARTS 10000

/* Per operation: attempts, and the full-jitter backoff between them. */
#define ATTEMPTS 4
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 5000

/* Answers we read: errors and listings are small; nothing we ask for is large. */
#define MAX_RESPONSE ((size_t)256 << 10)

/* The SHA-256 of no bytes, for requests without a body. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
    storage_t base;
    char *bucket, *prefix, *region;
    s3_target_t target;
    size_t threshold, part_size;
    aws_cred_provider_t *creds;
    /* ready() logs when the answer changes, not on every probe */
    atomic_int not_ready;
} s3_storage_t;

/* One request as the operations describe it. */
typedef struct {
    const char *method;
    const char *objkey; /* full key (prefix included); NULL = the bucket */
    const sigv4_param_t *params;
    size_t nparams;
    const char *content_type; /* NULL = none */
    const uint8_t *body;
    size_t len;
    const char *sha256; /* hex of body */
    int error_in_200;   /* a 200 may carry an <Error> (CompleteMultipartUpload) */
    int attempts;       /* 0 = ATTEMPTS */
    long timeout_ms;
    size_t max_response; /* 0 = MAX_RESPONSE */
} s3_call_t;

/* What went wrong with an answer, for retry decisions and messages. */
typedef struct {
    char code[128];
    char message[512];
} s3_error_t;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)], so clients that failed together do
 * not come back together. */
static long backoff_ms(int attempt)
{
    long ceil_ms = BACKOFF_BASE_MS;
    for (int i = 0; i < attempt && ceil_ms < BACKOFF_CAP_MS; i++)
        ceil_ms *= 2;
    if (ceil_ms > BACKOFF_CAP_MS)
        ceil_ms = BACKOFF_CAP_MS;
    uint32_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint32_t)time(NULL) * 2654435761u;
    return (long)(r % (uint32_t)(ceil_ms + 1));
}

static void parse_error(http_response_t *resp, s3_error_t *e)
{
    e->code[0] = e->message[0] = 0;
    const char *xml = (const char *)resp->body.data;
    size_t n = resp->body.len;
    if (!xml || !n)
        return;
    /* only within an <Error> element: a listing could hold a key named "<Code>" otherwise */
    const char *err = memmem(xml, n, "<Error>", 7);
    if (!err)
        return;
    n -= (size_t)(err - xml);
    if (s3_xml_text(err, n, "Code", e->code, sizeof e->code) < 0)
        e->code[0] = 0;
    if (s3_xml_text(err, n, "Message", e->message, sizeof e->message) < 0)
        e->message[0] = 0;
}

/* "s3://bucket/key" of a full key (or of the bucket and prefix when objkey is NULL). */
static void where(const s3_storage_t *s, const char *objkey, char *out, size_t outlen)
{
    if (objkey)
        snprintf(out, outlen, "s3://%s/%s", s->bucket, objkey);
    else
        snprintf(out, outlen, "s3://%s%s%s", s->bucket, s->prefix[0] ? "/" : "", s->prefix);
}

/* One exchange: fresh credentials, signature, send. 0 when an answer arrived (any status). */
static int exchange(s3_storage_t *s, const s3_call_t *c, const char *path, const char *url, http_response_t *resp,
                    err_t *err)
{
    aws_credentials_t cr;
    if (aws_cred_get(s->creds, &cr, err)) {
        /* no credentials now may be an endpoint that is down (retry) or none configured */
        err->code = err->code == ERR_UNAVAILABLE ? ERR_UNAVAILABLE : ERR_IO;
        return err_prefix(err, "credentials");
    }
    char date[17];
    sigv4_amz_date_now(date);
    sigv4_header_t sh[1];
    size_t nsh = 0;
    if (c->content_type)
        sh[nsh++] = (sigv4_header_t){"content-type", c->content_type};
    sigv4_request_t rq = {
        .method = c->method,
        .host = s->target.host,
        .path = path,
        .params = c->params,
        .nparams = c->nparams,
        .headers = sh,
        .nheaders = nsh,
        .payload_sha256_hex = c->sha256,
        .amz_date = date,
        .region = s->region,
        .service = "s3",
        .add_content_sha256_header = 1,
    };
    sigv4_credentials_t sc = {cr.access_key, cr.secret_key, cr.session_token[0] ? cr.session_token : NULL};
    sigv4_result_t sr;
    memset(&sr, 0, sizeof sr);
    int rc = sigv4_sign(&rq, &sc, &sr, err);
    if (rc == 0) {
        http_header_t h[8];
        size_t nh = 0;
        h[nh++] = (http_header_t){"Host", s->target.host};
        if (c->content_type)
            h[nh++] = (http_header_t){"Content-Type", c->content_type};
        for (size_t i = 0; i < sr.nadd && i < 3; i++)
            h[nh++] = (http_header_t){sr.add[i].name, sr.add[i].value};
        h[nh++] = (http_header_t){"Authorization", sr.authorization};
        http_request_t hr = {
            .method = c->method,
            .url = url,
            .headers = h,
            .nheaders = nh,
            .body = c->body,
            .body_len = c->len,
            .timeout_ms = c->timeout_ms,
            .max_response = c->max_response ? c->max_response : MAX_RESPONSE,
        };
        rc = http_request(&hr, resp, err);
        explicit_bzero(sr.authorization, sizeof sr.authorization);
    }
    sigv4_result_free(&sr);
    explicit_bzero(&cr, sizeof cr);
    return rc;
}

/* A request with its retries. 0 on a 2xx answer (resp holds it); -1 with err set otherwise:
 * "s3 PUT s3://bucket/key: HTTP 403 SignatureDoesNotMatch: message", ERR_UNAVAILABLE for
 * what may pass (5xx, 429, throttling, no answer), ERR_IO for the rest. ok404: a 404 counts
 * as success (deletes). */
static int call(s3_storage_t *s, const s3_call_t *c, const char *what, int ok404, http_response_t *resp,
                s3_error_t *se, err_t *err)
{
    char loc[S3_KEY_MAX + 600];
    where(s, c->objkey, loc, sizeof loc);
    buf_t path = {0}, url = {0};
    if (s3_path(&path, &s->target, c->objkey) ||
        s3_url(&url, &s->target, (const char *)path.data, c->params, c->nparams)) {
        buf_free(&path);
        buf_free(&url);
        return err_set(err, ERR_NOMEM, "s3 %s %s: out of memory", what, loc);
    }
    int attempts = c->attempts ? c->attempts : ATTEMPTS;
    int token_retry = 1;
    int rc = -1;
    se->code[0] = se->message[0] = 0;
    for (int attempt = 0; attempt < attempts; attempt++) {
        err_t e;
        err_clear(&e);
        int retry = 0;
        if (exchange(s, c, (const char *)path.data, (const char *)url.data, resp, &e)) {
            /* no answer (or no credentials): retry those that may pass */
            retry = e.code == ERR_UNAVAILABLE;
            err_set(err, e.code == ERR_UNAVAILABLE ? ERR_UNAVAILABLE : ERR_IO, "s3 %s %s: %s", what, loc, e.msg);
        } else {
            long st = resp->status;
            parse_error(resp, se);
            if (st >= 200 && st < 300 && !(c->error_in_200 && se->code[0])) {
                rc = 0;
                break;
            }
            if (ok404 && st == 404) {
                rc = 0;
                break;
            }
            if (st == 403 && s3_token_error(se->code) && token_retry) {
                /* the service says our temporary credentials are stale: fetch new ones now */
                aws_cred_invalidate(s->creds);
                token_retry = 0;
                attempt--;
                continue;
            }
            /* a 200 with an <Error> inside: the operation failed after its headers went out */
            long shown = st >= 200 && st < 300 ? 500 : st;
            retry = s3_retryable(shown, se->code);
            err_set(err, retry || shown >= 500 ? ERR_UNAVAILABLE : ERR_IO, "s3 %s %s: HTTP %ld%s%s%s%s", what, loc,
                    st, se->code[0] ? " " : "", se->code, se->message[0] ? ": " : "", se->message);
        }
        if (!retry)
            break;
        if (attempt + 1 < attempts) {
            long ms = backoff_ms(attempt);
            log_msg(LOG_WARN, "%s; retrying in %ld ms (attempt %d of %d)", err->msg, ms, attempt + 2, attempts);
            sleep_ms(ms);
        }
    }
    buf_free(&path);
    buf_free(&url);
    return rc;
}

/* Prefix + key into out (a full object key). */
static int full_key(const s3_storage_t *s, const char *key, char *out, size_t outlen, err_t *err)
{
    if (s3_key_check(key, err))
        return -1;
    int n = snprintf(out, outlen, "%s%s%s", s->prefix, s->prefix[0] ? "/" : "", key);
    if (n < 0 || (size_t)n >= outlen || (size_t)n > S3_KEY_MAX)
        return err_set(err, ERR_INTERNAL, "storage s3: key \"%s\" too long with the prefix", key);
    return 0;
}

/* Enough for a body of len bytes at 1 MiB/s, and never less than 30 s. */
static long body_timeout_ms(size_t len)
{
    long ms = 30000 + (long)(len >> 10);
    return ms > 15 * 60 * 1000 ? 15 * 60 * 1000 : ms;
}

static int put_single(s3_storage_t *s, const char *objkey, const uint8_t *data, size_t len, err_t *err)
{
    char sha[65];
    sigv4_sha256_hex(data, len, sha);
    s3_call_t c = {
        .method = "PUT",
        .objkey = objkey,
        .content_type = "application/octet-stream",
        .body = data,
        .len = len,
        .sha256 = sha,
        .timeout_ms = body_timeout_ms(len),
    };
    http_response_t resp = {0};
    s3_error_t se;
    int rc = call(s, &c, "PUT", 0, &resp, &se, err);
    http_response_free(&resp);
    return rc;
}

static void abort_upload(s3_storage_t *s, const char *objkey, const char *upload_id)
{
    sigv4_param_t p[] = {{"uploadId", upload_id}};
    s3_call_t c = {.method = "DELETE", .objkey = objkey, .params = p, .nparams = 1, .sha256 = EMPTY_SHA256};
    http_response_t resp = {0};
    s3_error_t se;
    err_t e;
    err_clear(&e);
    /* a 404 means there is nothing left to abort */
    if (call(s, &c, "AbortMultipartUpload", 1, &resp, &se, &e))
        log_msg(LOG_WARN, "%s (the parts stay until a lifecycle rule removes them)", e.msg);
    http_response_free(&resp);
}

/* Is objkey there with exactly len bytes (HEAD)? */
static int object_has_size(s3_storage_t *s, const char *objkey, size_t len)
{
    s3_call_t c = {.method = "HEAD", .objkey = objkey, .sha256 = EMPTY_SHA256};
    http_response_t resp = {0};
    s3_error_t se;
    err_t e;
    err_clear(&e);
    char cl[32];
    int ok = call(s, &c, "HEAD", 0, &resp, &se, &e) == 0 &&
             http_response_header(&resp, "Content-Length", cl, sizeof cl) == 0 &&
             strspn(cl, "0123456789") == strlen(cl) && cl[0] && strtoull(cl, NULL, 10) == (unsigned long long)len;
    http_response_free(&resp);
    if (ok)
        log_msg(LOG_INFO, "s3: s3://%s/%s was completed by an earlier try of CompleteMultipartUpload", s->bucket,
                objkey);
    return ok;
}

static int put_multipart(s3_storage_t *s, const char *objkey, const uint8_t *data, size_t len, err_t *err)
{
    size_t part = s->part_size;
    if ((len + part - 1) / part > MAX_PARTS) /* S3 takes at most 10000 parts: make them larger */
        part = (len + MAX_PARTS - 1) / MAX_PARTS;
    size_t nparts = (len + part - 1) / part;

    /* CreateMultipartUpload */
    sigv4_param_t cp[] = {{"uploads", ""}};
    s3_call_t c = {.method = "POST",
                   .objkey = objkey,
                   .params = cp,
                   .nparams = 1,
                   .content_type = "application/octet-stream",
                   .sha256 = EMPTY_SHA256};
    http_response_t resp = {0};
    s3_error_t se;
    if (call(s, &c, "CreateMultipartUpload", 0, &resp, &se, err)) {
        http_response_free(&resp);
        return -1;
    }
    char upload_id[1024];
    int got = s3_xml_text((const char *)resp.body.data, resp.body.len, "UploadId", upload_id, sizeof upload_id);
    if (got != 0 || !upload_id[0]) {
        http_response_free(&resp);
        return err_set(err, ERR_IO, "s3 CreateMultipartUpload s3://%s/%s: %s", s->bucket, objkey,
                       got > 0 ? "UploadId too long" : "no UploadId in the answer");
    }

    char (*etags)[256] = calloc(nparts, sizeof *etags);
    buf_t xml = {0};
    int rc = 0;
    if (!etags)
        rc = err_set(err, ERR_NOMEM, "s3 PUT s3://%s/%s: out of memory for %zu parts", s->bucket, objkey, nparts);

    /* UploadPart, one after the other: memory stays flat and the order is trivially right */
    for (size_t i = 0; i < nparts && rc == 0; i++) {
        size_t off = i * part, n = len - off < part ? len - off : part;
        char num[24], sha[65];
        snprintf(num, sizeof num, "%zu", i + 1);
        sigv4_sha256_hex(data + off, n, sha);
        sigv4_param_t pp[] = {{"partNumber", num}, {"uploadId", upload_id}};
        s3_call_t pc = {.method = "PUT",
                        .objkey = objkey,
                        .params = pp,
                        .nparams = 2,
                        .content_type = "application/octet-stream",
                        .body = data + off,
                        .len = n,
                        .sha256 = sha,
                        .timeout_ms = body_timeout_ms(n)};
        char what[64];
        snprintf(what, sizeof what, "UploadPart %zu of %zu", i + 1, nparts);
        rc = call(s, &pc, what, 0, &resp, &se, err);
        if (rc == 0) {
            /* the ETag goes back into the completion request: it must be present and sane */
            if (http_response_header(&resp, "ETag", etags[i], sizeof etags[i]) || !etags[i][0] ||
                strlen(etags[i]) > 200)
                rc = err_set(err, ERR_IO, "s3 %s s3://%s/%s: no usable ETag in the answer", what, s->bucket, objkey);
            for (const char *q = etags[i]; rc == 0 && *q; q++)
                if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
                    rc = err_set(err, ERR_IO, "s3 %s s3://%s/%s: ETag with a bad byte", what, s->bucket, objkey);
        }
    }

    /* CompleteMultipartUpload */
    if (rc == 0) {
        int x = buf_append_str(&xml, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
        for (size_t i = 0; i < nparts && x == 0; i++) {
            x = buf_printf(&xml, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1) || s3_xml_escape(&xml, etags[i]) ||
                buf_append_str(&xml, "</ETag></Part>");
        }
        x = x ? x : buf_append_str(&xml, "</CompleteMultipartUpload>");
        if (x) {
            rc = err_set(err, ERR_NOMEM, "s3 PUT s3://%s/%s: out of memory", s->bucket, objkey);
        } else {
            char sha[65];
            sigv4_sha256_hex(xml.data, xml.len, sha);
            sigv4_param_t up[] = {{"uploadId", upload_id}};
            s3_call_t cc = {.method = "POST",
                            .objkey = objkey,
                            .params = up,
                            .nparams = 1,
                            .content_type = "application/xml",
                            .body = xml.data,
                            .len = xml.len,
                            .sha256 = sha,
                            .error_in_200 = 1,
                            /* S3 may take minutes to assemble a large object */
                            .timeout_ms = 10 * 60 * 1000};
            rc = call(s, &cc, "CompleteMultipartUpload", 0, &resp, &se, err);
            /* A retried completion whose first try did complete (the answer was lost) finds
             * the upload gone; the object is there then, under our unique key and size. */
            if (rc && !strcmp(se.code, "NoSuchUpload") && object_has_size(s, objkey, len))
                rc = 0;
        }
    }
    if (rc)
        abort_upload(s, objkey, upload_id);
    else
        log_msg(LOG_DEBUG, "s3: s3://%s/%s stored by multipart upload (%zu parts of %zu bytes)", s->bucket, objkey,
                nparts, part);
    http_response_free(&resp);
    buf_free(&xml);
    free(etags);
    return rc;
}

static int s3_put(storage_t *st, const char *key, const uint8_t *data, size_t len, err_t *err)
{
    s3_storage_t *s = (s3_storage_t *)st;
    char objkey[S3_KEY_MAX + 1];
    if (full_key(s, key, objkey, sizeof objkey, err))
        return -1;
    if (len <= s->threshold)
        return put_single(s, objkey, data, len, err);
    return put_multipart(s, objkey, data, len, err);
}

static int s3_del(storage_t *st, const char *key, err_t *err)
{
    s3_storage_t *s = (s3_storage_t *)st;
    char objkey[S3_KEY_MAX + 1];
    if (full_key(s, key, objkey, sizeof objkey, err))
        return -1;
    s3_call_t c = {.method = "DELETE", .objkey = objkey, .sha256 = EMPTY_SHA256};
    http_response_t resp = {0};
    s3_error_t se;
    int rc = call(s, &c, "DELETE", 1, &resp, &se, err);
    http_response_free(&resp);
    return rc;
}

static int s3_get(storage_t *st, const char *key, size_t max, buf_t *out, err_t *err)
{
    s3_storage_t *s = (s3_storage_t *)st;
    char objkey[S3_KEY_MAX + 1];
    if (full_key(s, key, objkey, sizeof objkey, err))
        return -1;
    s3_call_t c = {.method = "GET", .objkey = objkey, .sha256 = EMPTY_SHA256, .max_response = max ? max : 1,
                   .timeout_ms = body_timeout_ms(max)};
    http_response_t resp = {0};
    s3_error_t se;
    int rc = call(s, &c, "GET", 1, &resp, &se, err);
    if (rc == 0 && resp.status == 404) {
        /* only a missing key is "no such object"; a missing bucket is a failure */
        if (!strcmp(se.code, "NoSuchKey") || !se.code[0])
            rc = 1;
        else
            rc = err_set(err, ERR_IO, "s3 GET s3://%s/%s: HTTP 404 %s: %s", s->bucket, objkey, se.code, se.message);
    }
    else if (rc == 0 && buf_append(out, resp.body.data, resp.body.len))
        rc = err_set(err, ERR_NOMEM, "s3 GET: out of memory");
    http_response_free(&resp);
    return rc;
}

/* ListObjectsV2 of one key under the prefix: proves the bucket exists and that we may read it
 * with these credentials, and, unlike HEAD, an error comes with its code (a wrong secret says
 * SignatureDoesNotMatch). One quick attempt: /ready must answer promptly. */
static int s3_ready(storage_t *st, err_t *err)
{
    s3_storage_t *s = (s3_storage_t *)st;
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s%s", s->prefix, s->prefix[0] ? "/" : "");
    /* sorted by name, as the canonical query wants; the signer sorts anyway */
    sigv4_param_t p[] = {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", prefix}};
    s3_call_t c = {.method = "GET",
                   .objkey = NULL,
                   .params = p,
                   .nparams = prefix[0] ? 3 : 2,
                   .sha256 = EMPTY_SHA256,
                   .attempts = 1,
                   .timeout_ms = 10000};
    http_response_t resp = {0};
    s3_error_t se;
    int rc = call(s, &c, "GET (ListObjectsV2)", 0, &resp, &se, err);
    http_response_free(&resp);
    if (rc) {
        err->code = ERR_UNAVAILABLE; /* not ready, whatever the reason */
        if (!atomic_exchange(&s->not_ready, 1))
            log_msg(LOG_WARN, "storage not ready: %s", err->msg);
    } else if (atomic_exchange(&s->not_ready, 0)) {
        log_msg(LOG_INFO, "storage s3://%s%s%s is ready again", s->bucket, s->prefix[0] ? "/" : "", s->prefix);
    }
    return rc;
}

/* Keys per ListObjectsV2 page; tests make it small to exercise continuation tokens. */
static size_t list_page_size = 1000;

void storage_s3_set_list_page_size(size_t n) { list_page_size = n < 1 ? 1 : n > 1000 ? 1000 : n; }

/* A page of up to 1000 keys of up to 1 KiB, each escaped, with its metadata. */
#define MAX_LIST_RESPONSE ((size_t)16 << 20)

/* ListObjectsV2 under the prefix, page after page (continuation tokens); keys are reported
 * relative to the storage prefix, as put and get take them. */
static int s3_list(storage_t *st, const char *prefix, size_t max_keys, storage_list_cb cb, void *ctx, err_t *err)
{
    s3_storage_t *s = (s3_storage_t *)st;
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    if (plen > S3_KEY_MAX)
        return err_set(err, ERR_INTERNAL, "storage s3: list prefix of %zu bytes, at most %d", plen, S3_KEY_MAX);
    for (const char *q = prefix; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return err_set(err, ERR_INTERNAL, "storage s3: list prefix contains control byte 0x%02x",
                           (unsigned char)*q);
    char full[S3_KEY_MAX * 2 + 2];
    snprintf(full, sizeof full, "%s%s%s", s->prefix, s->prefix[0] ? "/" : "", prefix);
    size_t strip = s->prefix[0] ? strlen(s->prefix) + 1 : 0;
    char token[2048] = "", page[16];
    char *key = malloc(S3_KEY_MAX * 2 + 2);
    if (!key)
        return err_set(err, ERR_NOMEM, "storage s3: out of memory");
    size_t reported = 0;
    int rc = 0, done = 0;
    http_response_t resp = {0};
    while (!done && rc == 0) {
        size_t want = list_page_size;
        if (max_keys && max_keys - reported < want)
            want = max_keys - reported;
        snprintf(page, sizeof page, "%zu", want);
        sigv4_param_t p[4];
        size_t np = 0;
        if (token[0])
            p[np++] = (sigv4_param_t){"continuation-token", token};
        p[np++] = (sigv4_param_t){"list-type", "2"};
        p[np++] = (sigv4_param_t){"max-keys", page};
        if (full[0])
            p[np++] = (sigv4_param_t){"prefix", full};
        s3_call_t c = {.method = "GET",
                       .objkey = NULL,
                       .params = p,
                       .nparams = np,
                       .sha256 = EMPTY_SHA256,
                       .max_response = MAX_LIST_RESPONSE,
                       .timeout_ms = 60000};
        s3_error_t se;
        http_response_free(&resp);
        memset(&resp, 0, sizeof resp);
        if (call(s, &c, "GET (ListObjectsV2)", 0, &resp, &se, err)) {
            rc = -1;
            break;
        }
        const char *xml = (const char *)resp.body.data;
        size_t len = resp.body.len;
        const char *end = xml ? xml + len : NULL;
        size_t nkeys = 0;
        for (const char *at = xml; at && !done;) {
            const char *c0 = memmem(at, (size_t)(end - at), "<Contents>", 10);
            if (!c0)
                break;
            const char *c1 = memmem(c0, (size_t)(end - c0), "</Contents>", 11);
            if (!c1) {
                rc = err_set(err, ERR_IO, "s3 ListObjectsV2 s3://%s/%s: an unterminated <Contents>", s->bucket, full);
                break;
            }
            int got = s3_xml_text(c0, (size_t)(c1 - c0), "Key", key, S3_KEY_MAX * 2 + 2);
            if (got != 0) {
                rc = err_set(err, ERR_IO, "s3 ListObjectsV2 s3://%s/%s: %s", s->bucket, full,
                             got > 0 ? "a key too long" : "an entry without a <Key>");
                break;
            }
            at = c1 + 11;
            nkeys++;
            /* S3 answers only keys under the prefix asked for; anything else is not ours */
            if (strlen(key) <= strip || strncmp(key, full, strlen(full)))
                continue;
            if (cb(ctx, key + strip) || (max_keys && ++reported >= max_keys))
                done = 1;
        }
        if (rc || done)
            break;
        char trunc[16];
        if (s3_xml_text(xml, len, "IsTruncated", trunc, sizeof trunc) != 0 || strcmp(trunc, "true"))
            break;
        int got = s3_xml_text(xml, len, "NextContinuationToken", token, sizeof token);
        if (got != 0 || !token[0]) {
            rc = err_set(err, ERR_IO, "s3 ListObjectsV2 s3://%s/%s: a truncated listing %s", s->bucket, full,
                         got > 0 ? "with a continuation token too long" : "without a continuation token");
            break;
        }
        if (nkeys == 0 && want > 0) {
            /* a truncated page with nothing in it would have us loop for ever on a broken server */
            rc = err_set(err, ERR_IO, "s3 ListObjectsV2 s3://%s/%s: an empty page marked truncated", s->bucket, full);
            break;
        }
    }
    http_response_free(&resp);
    free(key);
    return rc;
}

static void s3_describe(storage_t *st, const char *key, char *out, size_t outlen)
{
    s3_storage_t *s = (s3_storage_t *)st;
    if (!outlen)
        return;
    if (!key || !*key)
        snprintf(out, outlen, "s3://%s%s%s", s->bucket, s->prefix[0] ? "/" : "", s->prefix);
    else
        snprintf(out, outlen, "s3://%s/%s%s%s", s->bucket, s->prefix, s->prefix[0] ? "/" : "", key);
}

static void s3_destroy(storage_t *st)
{
    s3_storage_t *s = (s3_storage_t *)st;
    /* The HTTP client frees the curl handle of every other thread when it ends (a thread key
     * of its own); the thread that closes the storage may have used one too. */
    http_client_thread_cleanup();
    free(s->bucket);
    free(s->prefix);
    free(s->region);
    free(s);
}

static const storage_ops_t s3_ops = {
    .put = s3_put,
    .del = s3_del,
    .get = s3_get,
    .list = s3_list,
    .ready = s3_ready,
    .describe = s3_describe,
    .destroy = s3_destroy,
};

static char *dup_trimmed_prefix(const char *p)
{
    if (!p)
        p = "";
    while (*p == '/')
        p++;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        n--;
    return strndup(p, n);
}

storage_t *storage_s3_open(const storage_s3_options_t *o, err_t *err)
{
    if (!o->creds) {
        err_set(err, ERR_INTERNAL, "storage s3: no credential provider");
        return NULL;
    }
    const char *region = o->region && *o->region ? o->region : "us-east-1";
    s3_storage_t *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(err, ERR_NOMEM, "storage s3: out of memory");
        return NULL;
    }
    if (s3_target_init(&s->target, o->bucket, region, o->endpoint, o->path_style, err)) {
        free(s);
        return NULL;
    }
    s->base.ops = &s3_ops;
    s->bucket = strdup(o->bucket);
    s->prefix = dup_trimmed_prefix(o->prefix);
    s->region = strdup(region);
    s->creds = o->creds;
    s->threshold = o->multipart_threshold ? o->multipart_threshold : DEFAULT_THRESHOLD;
    s->part_size = o->part_size ? o->part_size : DEFAULT_PART_SIZE;
    if (s->part_size < MIN_PART_SIZE)
        s->part_size = MIN_PART_SIZE; /* S3 refuses smaller parts (but the last) */
    if (!s->bucket || !s->prefix || !s->region) {
        free(s->bucket);
        free(s->prefix);
        free(s->region);
        free(s);
        err_set(err, ERR_NOMEM, "storage s3: out of memory");
        return NULL;
    }
    if (strlen(s->prefix) > S3_KEY_MAX / 2) {
        s3_destroy(&s->base);
        err_set(err, ERR_CONFIG, "storage s3: prefix longer than %d bytes", S3_KEY_MAX / 2);
        return NULL;
    }
    return &s->base;
}
