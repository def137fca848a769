/* The two HTTP credential endpoints: the container endpoint (ECS, EKS Pod Identity, Lambda's
 * own, any FULL_URI) and EC2 instance metadata v2. Both answer with the same JSON document. */
#include "aws/cred_sources.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/http_client.h"
#include "util/buf.h"
#include "util/civil_time.h"
#include "util/file_read.h"
#include "util/json_reader.h"

#define MAX_DOC_BYTES ((size_t)64 << 10)
#define MAX_TOKEN_FILE_BYTES ((size_t)16 << 10)
#define IMDS_TOKEN_TTL_S 21600

int64_t cred_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the JSON document ---- */

static int key_is(const json_token_t *k, const char *name)
{
    size_t n = strlen(name);
    return k->n == n && memcmp(k->s, name, n) == 0;
}

int cred_parse_json(const char *source, const char *text, size_t len, aws_credentials_t *out,
                    err_t *err)
{
    memset(out, 0, sizeof *out);
    json_reader_t r;
    json_reader_init(&r, text, len);
    json_token_t t, v;
    int have_id = 0, have_secret = 0, rc = -1;
    if (json_next(&r, &t))
        goto bad_json;
    if (t.type != JSON_OBJ_BEGIN) {
        err_set(err, ERR_INVALID, "%s: the answer is not a JSON object", source);
        goto done;
    }
    for (;;) {
        if (json_next(&r, &t))
            goto bad_json;
        if (t.type == JSON_OBJ_END)
            break;
        /* the key is only valid until the next call: decide what it is now */
        enum { OTHER, ID, SECRET, TOKEN, EXPIRATION, CODE } which = OTHER;
        const char *field = NULL;
        if (key_is(&t, "AccessKeyId"))
            which = ID, field = "AccessKeyId";
        else if (key_is(&t, "SecretAccessKey"))
            which = SECRET, field = "SecretAccessKey";
        else if (key_is(&t, "Token"))
            which = TOKEN, field = "Token";
        else if (key_is(&t, "Expiration"))
            which = EXPIRATION, field = "Expiration";
        else if (key_is(&t, "Code"))
            which = CODE, field = "Code";
        if (json_next(&r, &v))
            goto bad_json;
        if (which == OTHER) {
            if (json_skip(&r, &v))
                goto bad_json;
            continue;
        }
        if (v.type == JSON_NULL && (which == TOKEN || which == EXPIRATION))
            continue;
        if (v.type != JSON_STRING) {
            err_set(err, ERR_INVALID, "%s: %s is not a string", source, field);
            goto done;
        }
        const char *s = (const char *)v.s;
        switch (which) {
        case ID:
            if (cred_copy_field(source, field, s, v.n, out->access_key, sizeof out->access_key, 0, err))
                goto done;
            have_id = 1;
            break;
        case SECRET:
            if (cred_copy_field(source, field, s, v.n, out->secret_key, sizeof out->secret_key, 0, err))
                goto done;
            have_secret = 1;
            break;
        case TOKEN:
            if (cred_copy_field(source, field, s, v.n, out->session_token, sizeof out->session_token,
                                1, err))
                goto done;
            break;
        case EXPIRATION:
            if (civil_parse_iso8601_ms(s, v.n, &out->expires_ms) || out->expires_ms <= 0) {
                err_set(err, ERR_INVALID, "%s: Expiration is not an ISO 8601 time", source);
                goto done;
            }
            break;
        case CODE:
            if (!(v.n == 7 && memcmp(s, "Success", 7) == 0)) {
                err_set(err, ERR_UNAVAILABLE, "%s: Code is not \"Success\"", source);
                goto done;
            }
            break;
        default:
            break;
        }
    }
    if (json_next(&r, &t) || t.type != JSON_EOF)
        goto bad_json;
    if (!have_id || !have_secret) {
        err_set(err, ERR_INVALID, "%s: %s is missing", source, have_id ? "SecretAccessKey" : "AccessKeyId");
        goto done;
    }
    rc = 0;
    goto done;
bad_json:;
    char where[160];
    json_reader_errstr(&r, where, sizeof where);
    err_set(err, ERR_INVALID, "%s: the answer is not valid JSON (%s)", source, where);
done:
    if (rc)
        explicit_bzero(out, sizeof *out);
    if (r.scratch.data) /* unescaped strings may have been secrets */
        explicit_bzero(r.scratch.data, r.scratch.cap);
    json_reader_free(&r);
    return rc;
}

/* ---- container endpoint ---- */

int cred_container_host_allowed(const char *host)
{
    char h[256];
    snprintf(h, sizeof h, "%s", host);
    /* drop the port: "[v6]:port" or "v4:port" */
    if (h[0] == '[') {
        char *close = strchr(h, ']');
        if (!close)
            return 0;
        close[1] = 0;
    } else {
        char *colon = strchr(h, ':');
        if (colon)
            *colon = 0;
    }
    if (strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 || strcmp(h, "169.254.170.2") == 0 ||
        strcmp(h, "169.254.170.23") == 0 || strcasecmp(h, "[fd00:ec2::23]") == 0)
        return 1;
    /* 127.0.0.0/8, written as a dotted quad */
    unsigned a, b, c, d;
    char tail;
    if (sscanf(h, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 && c < 256 && d < 256)
        return 1;
    return 0;
}

/* The Authorization value: the token file (read at every fetch: it is rotated underneath us)
 * or the variable. 0 with *out filled ("" for none), -1 on a bad file. */
static int container_token(const cred_container_t *c, char *out, size_t cap, err_t *err)
{
    out[0] = 0;
    if (!c->auth_token_file || !c->auth_token_file[0]) {
        if (c->auth_token)
            snprintf(out, cap, "%s", c->auth_token);
        return 0;
    }
    buf_t b = {0};
    int rc = file_read_bounded(c->auth_token_file, MAX_TOKEN_FILE_BYTES, &b, err);
    if (rc != 0) {
        buf_free(&b);
        if (rc > 0)
            return err_set(err, ERR_CONFIG, "container credentials: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s does not exist",
                           c->auth_token_file);
        return err_prefix(err, "container credentials: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    }
    const char *s = (const char *)b.data, *e = s + b.len;
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    rc = 0;
    if (s == e)
        rc = err_set(err, ERR_CONFIG, "container credentials: the token file %s is empty", c->auth_token_file);
    else if ((size_t)(e - s) >= cap)
        rc = err_set(err, ERR_CONFIG, "container credentials: the token in %s is too long", c->auth_token_file);
    for (const char *p = s; rc == 0 && p < e; p++)
        if (*p == '\r' || *p == '\n')
            rc = err_set(err, ERR_CONFIG, "container credentials: the token in %s holds a line break",
                         c->auth_token_file);
        else if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            rc = err_set(err, ERR_CONFIG, "container credentials: the token in %s is not printable ASCII",
                         c->auth_token_file);
    if (rc == 0) {
        memcpy(out, s, (size_t)(e - s));
        out[e - s] = 0;
    }
    explicit_bzero(b.data, b.cap);
    buf_free(&b);
    return rc;
}

int cred_container_fetch(const cred_container_t *c, aws_credentials_t *out, err_t *err)
{
    static const char source[] = "container credentials";
    char token[4096];
    if (container_token(c, token, sizeof token, err))
        return -1;
    http_header_t h[1] = {{"Authorization", token}};
    http_request_t req = {.method = "GET", .url = c->url, .headers = h, .nheaders = token[0] ? 1 : 0,
                          .timeout_ms = 5000, .connect_timeout_ms = 2000, .max_response = MAX_DOC_BYTES};
    http_response_t resp = {0};
    int rc = http_request(&req, &resp, err);
    explicit_bzero(token, sizeof token);
    if (rc) {
        err_prefix(err, "%s", source);
    } else if (resp.status != 200) {
        char host[256];
        http_url_host(c->url, host, sizeof host);
        rc = err_set(err, ERR_UNAVAILABLE, "%s: GET %s answered HTTP %ld", source, host, resp.status);
    } else {
        rc = cred_parse_json(source, (const char *)resp.body.data, resp.body.len, out, err);
    }
    if (resp.body.data)
        explicit_bzero(resp.body.data, resp.body.cap);
    http_response_free(&resp);
    return rc;
}

/* ---- EC2 instance metadata v2 ---- */

/* One IMDS exchange. Transport failures before IMDS ever answered mean "no IMDS here". */
static int imds_call(cred_imds_t *m, const char *method, const char *path, const http_header_t *h,
                     http_response_t *resp, err_t *err)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", m->endpoint, path);
    http_request_t req = {.method = method, .url = url, .headers = h, .nheaders = 1, .timeout_ms = 3000,
                          .connect_timeout_ms = 1000, .max_response = MAX_DOC_BYTES};
    if (http_request(&req, resp, err)) {
        if (!m->ever_answered)
            err->code = ERR_CONFIG;
        return err_prefix(err, "instance metadata (IMDS)");
    }
    m->ever_answered = 1;
    return 0;
}

static void trim_span(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r' || (*e)[-1] == '\n'))
        (*e)--;
}

static int imds_token(cred_imds_t *m, http_response_t *resp, err_t *err)
{
    int64_t now = cred_now_ms();
    if (m->token[0] && now < m->token_expires_ms - 60000)
        return 0;
    m->token[0] = 0;
    http_header_t h = {"X-aws-ec2-metadata-token-ttl-seconds", "21600"};
    if (imds_call(m, "PUT", "/latest/api/token", &h, resp, err))
        return -1;
    if (resp->status != 200)
        return err_set(err, ERR_UNAVAILABLE, "instance metadata (IMDS): the token PUT answered HTTP %ld",
                       resp->status);
    const char *s = (const char *)resp->body.data, *e = s + resp->body.len;
    trim_span(&s, &e);
    if (cred_copy_field("instance metadata (IMDS)", "session token", s, (size_t)(e - s), m->token,
                        sizeof m->token, 0, err))
        return -1;
    m->token_expires_ms = now + (int64_t)IMDS_TOKEN_TTL_S * 1000;
    return 0;
}

/* Role names are [A-Za-z0-9+=,.@_-]: nothing that would change the path it goes into. */
static int role_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("+=,.@_-", c)))
            return 0;
    }
    return 1;
}

/* One pass: token, role, credentials. *expired_token = 1 when a GET said 401 (the token went
 * stale, e.g. IMDS restarted): the caller drops it and tries once more. */
static int imds_once(cred_imds_t *m, http_response_t *resp, aws_credentials_t *out, int *expired_token,
                     err_t *err)
{
    static const char source[] = "instance metadata (IMDS)";
    static const char roles[] = "/latest/meta-data/iam/security-credentials/";
    *expired_token = 0;
    if (imds_token(m, resp, err))
        return -1;
    http_header_t h = {"X-aws-ec2-metadata-token", m->token};
    if (imds_call(m, "GET", roles, &h, resp, err))
        return -1;
    if (resp->status == 401) {
        *expired_token = 1;
        return err_set(err, ERR_UNAVAILABLE, "%s: the role list answered HTTP 401", source);
    }
    if (resp->status == 404)
        return err_set(err, ERR_CONFIG, "%s: no IAM role is attached to this instance", source);
    if (resp->status != 200)
        return err_set(err, ERR_UNAVAILABLE, "%s: the role list answered HTTP %ld", source, resp->status);
    const char *s = (const char *)resp->body.data, *e = s + resp->body.len;
    trim_span(&s, &e);
    const char *nl = memchr(s, '\n', (size_t)(e - s));
    if (nl)
        e = nl;
    trim_span(&s, &e);
    if (s == e)
        return err_set(err, ERR_CONFIG, "%s: no IAM role is attached to this instance", source);
    if (!role_name_ok(s, (size_t)(e - s)))
        return err_set(err, ERR_INVALID, "%s: the role name is malformed", source);
    char path[256];
    snprintf(path, sizeof path, "%s%.*s", roles, (int)(e - s), s);
    char role[160];
    snprintf(role, sizeof role, "%.*s", (int)(e - s), s);
    if (imds_call(m, "GET", path, &h, resp, err))
        return -1;
    if (resp->status == 401) {
        *expired_token = 1;
        return err_set(err, ERR_UNAVAILABLE, "%s: the credentials of role %s answered HTTP 401", source, role);
    }
    if (resp->status != 200)
        return err_set(err, ERR_UNAVAILABLE, "%s: the credentials of role %s answered HTTP %ld", source, role,
                       resp->status);
    return cred_parse_json(source, (const char *)resp->body.data, resp->body.len, out, err);
}

int cred_imds_fetch(cred_imds_t *m, aws_credentials_t *out, err_t *err)
{
    http_response_t resp = {0};
    int expired = 0;
    int rc = imds_once(m, &resp, out, &expired, err);
    if (rc && expired) {
        m->token[0] = 0;
        rc = imds_once(m, &resp, out, &expired, err);
    }
    if (resp.body.data)
        explicit_bzero(resp.body.data, resp.body.cap);
    http_response_free(&resp);
    return rc;
}
