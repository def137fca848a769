#include "iceberg/rest_auth.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"

struct rest_auth {
    rest_auth_mode_t mode;
    char describe[160];
    char service[64], region[64];
    aws_cred_provider_t *creds;
    char token[4096];
    char client_id[512], client_secret[512], scope[256];
    char token_url[2048];
    pthread_mutex_t mu;
    char cached[4096]; /* OAuth2 access token */
    int64_t refresh_at_ms;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "glue.us-east-1.amazonaws.com" -> service glue, region us-east-1. */
static void derive_aws(const char *host, char *service, size_t sl, char *region, size_t rl)
{
    static const char *const svcs[] = {"glue.", "s3tables."};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(svcs[i]);
        if (strncmp(host, svcs[i], n) != 0)
            continue;
        snprintf(service, sl, "%.*s", (int)n - 1, svcs[i]);
        const char *r = host + n, *dot = strchr(r, '.');
        if (dot && !region[0] && (size_t)(dot - r) < rl)
            snprintf(region, rl, "%.*s", (int)(dot - r), r);
        return;
    }
}

rest_auth_t *rest_auth_new(const config_t *cfg, const char *host, const char *base_uri, err_t *err)
{
    rest_auth_t *a = calloc(1, sizeof *a);
    if (!a) {
        err_set(err, ERR_NOMEM, "iceberg auth: out of memory");
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    snprintf(a->region, sizeof a->region, "%s", cfg->iceberg_signing_region);
    char dsvc[64] = "";
    derive_aws(host, dsvc, sizeof dsvc, a->region, sizeof a->region);
    if (!a->region[0]) /* the host named none: the environment's */
        snprintf(a->region, sizeof a->region, "%s", cfg->aws_region);
    const char *svc = cfg->iceberg_signing_name[0] ? cfg->iceberg_signing_name : NULL;
    if (svc && strcmp(svc, "none") == 0)
        svc = NULL, dsvc[0] = 0;
    if (svc || (!cfg->iceberg_token[0] && !cfg->iceberg_credential[0] && dsvc[0])) {
        a->mode = REST_AUTH_SIGV4;
        snprintf(a->service, sizeof a->service, "%s", svc ? svc : dsvc);
        if (!a->region[0]) {
            err_set(err, ERR_CONFIG, "iceberg: SigV4 signing for %s needs a region (ICEBERG_SIGNING_REGION or AWS_REGION)",
                    a->service);
            goto fail;
        }
        a->creds = aws_cred_chain_new(NULL, err);
        if (!a->creds)
            goto fail;
        snprintf(a->describe, sizeof a->describe, "sigv4 %s %s", a->service, a->region);
    } else if (cfg->iceberg_token[0]) {
        a->mode = REST_AUTH_BEARER;
        snprintf(a->token, sizeof a->token, "%s", cfg->iceberg_token);
        snprintf(a->describe, sizeof a->describe, "bearer");
    } else if (cfg->iceberg_credential[0]) {
        a->mode = REST_AUTH_OAUTH2;
        const char *colon = strchr(cfg->iceberg_credential, ':');
        if (!colon || colon == cfg->iceberg_credential || (size_t)(colon - cfg->iceberg_credential) >= sizeof a->client_id ||
            strlen(colon + 1) >= sizeof a->client_secret) {
            err_set(err, ERR_CONFIG, "ICEBERG_CREDENTIAL: want client_id:client_secret");
            goto fail;
        }
        snprintf(a->client_id, sizeof a->client_id, "%.*s", (int)(colon - cfg->iceberg_credential), cfg->iceberg_credential);
        snprintf(a->client_secret, sizeof a->client_secret, "%s", colon + 1);
        snprintf(a->scope, sizeof a->scope, "%s", cfg->iceberg_scope[0] ? cfg->iceberg_scope : "catalog");
        snprintf(a->token_url, sizeof a->token_url, "%s/v1/oauth/tokens", base_uri);
        snprintf(a->describe, sizeof a->describe, "oauth2");
    } else {
        snprintf(a->describe, sizeof a->describe, "none");
    }
    return a;
fail:
    rest_auth_free(a);
    return NULL;
}

void rest_auth_free(rest_auth_t *a)
{
    if (!a)
        return;
    if (a->creds)
        aws_cred_free(a->creds);
    pthread_mutex_destroy(&a->mu);
    explicit_bzero(a, sizeof *a);
    free(a);
}

rest_auth_mode_t rest_auth_mode(const rest_auth_t *a) { return a->mode; }
const char *rest_auth_describe(const rest_auth_t *a) { return a->describe; }

int rest_auth_set_token_endpoint(rest_auth_t *a, const char *uri, err_t *err)
{
    if (a->mode != REST_AUTH_OAUTH2 || !uri || !*uri)
        return 0;
    char url[2048];
    if (strstr(uri, "://")) {
        snprintf(url, sizeof url, "%s", uri);
    } else {
        /* relative to the catalog uri, as the Java client resolves it */
        const char *base = a->token_url;
        size_t bl = strlen(base) - strlen("/v1/oauth/tokens");
        snprintf(url, sizeof url, "%.*s/%s", (int)bl, base, uri[0] == '/' ? uri + 1 : uri);
    }
    pthread_mutex_lock(&a->mu);
    if (strcmp(url, a->token_url) != 0) {
        snprintf(a->token_url, sizeof a->token_url, "%s", url);
        a->cached[0] = 0;
    }
    pthread_mutex_unlock(&a->mu);
    (void)err;
    return 0;
}

void rest_auth_invalidate(rest_auth_t *a)
{
    pthread_mutex_lock(&a->mu);
    explicit_bzero(a->cached, sizeof a->cached);
    pthread_mutex_unlock(&a->mu);
}

static int form_put(buf_t *b, const char *k, const char *v)
{
    return (b->len ? buf_append_str(b, "&") : 0) | buf_append_str(b, k) | buf_append_str(b, "=") |
           sigv4_uri_encode(b, v, strlen(v), 0);
}

/* The client-credentials exchange (RFC 6749 §4.4), with the lock held. */
static int fetch_token(rest_auth_t *a, err_t *err)
{
    buf_t form = {0};
    char host[256];
    http_url_host(a->token_url, host, sizeof host);
    if (form_put(&form, "grant_type", "client_credentials") || form_put(&form, "client_id", a->client_id) ||
        form_put(&form, "client_secret", a->client_secret) || form_put(&form, "scope", a->scope)) {
        explicit_bzero(form.data, form.len);
        buf_free(&form);
        return err_set(err, ERR_NOMEM, "iceberg OAuth2: out of memory");
    }
    http_header_t h[] = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    http_request_t rq = {.method = "POST", .url = a->token_url, .headers = h, .nheaders = 2, .body = form.data,
                         .body_len = form.len, .max_response = 64 * 1024};
    http_response_t resp = {0};
    int rc = http_request(&rq, &resp, err);
    explicit_bzero(form.data, form.len);
    buf_free(&form);
    if (rc) {
        http_response_free(&resp);
        return err_prefix(err, "iceberg OAuth2 token from %s", host);
    }
    const char *text = http_response_text(&resp);
    json_error_t je;
    json_t *j = text ? json_loadb(text, resp.body.len, 0, &je) : NULL;
    rc = -1;
    if (resp.status != 200) {
        const char *d = NULL;
        if (j && json_is_object(j))
            d = json_string_value(json_object_get(j, "error_description")), d = d ? d : json_string_value(json_object_get(j, "error"));
        err_set(err, resp.status >= 500 ? ERR_UNAVAILABLE : ERR_CONFIG, "iceberg OAuth2 token from %s: HTTP %ld%s%.200s", host,
                resp.status, d ? ": " : "", d ? d : "");
    } else if (!j || !json_is_object(j)) {
        err_set(err, ERR_UNAVAILABLE, "iceberg OAuth2 token from %s: the answer is not a JSON object", host);
    } else {
        const char *tok = json_string_value(json_object_get(j, "access_token"));
        json_t *exp = json_object_get(j, "expires_in");
        if (!tok || !*tok || strlen(tok) >= sizeof a->cached) {
            err_set(err, ERR_UNAVAILABLE, "iceberg OAuth2 token from %s: no usable access_token", host);
        } else if (exp && !json_is_integer(exp)) {
            err_set(err, ERR_UNAVAILABLE, "iceberg OAuth2 token from %s: expires_in is not an integer", host);
        } else {
            snprintf(a->cached, sizeof a->cached, "%s", tok);
            int64_t secs = exp ? (int64_t)json_integer_value(exp) : 3600;
            if (secs < 1)
                secs = 1;
            /* refresh when 10% of the lifetime (at most 5 minutes) is left */
            int64_t margin = secs * 100;
            if (margin > 300000)
                margin = 300000;
            a->refresh_at_ms = now_ms() + secs * 1000 - margin;
            rc = 0;
        }
    }
    json_decref(j);
    explicit_bzero(resp.body.data, resp.body.len);
    http_response_free(&resp);
    return rc;
}

int rest_auth_apply(rest_auth_t *a, const rest_wire_t *w, rest_auth_headers_t *o, err_t *err)
{
    memset(o, 0, sizeof *o);
    switch (a->mode) {
    case REST_AUTH_NONE:
        return 0;
    case REST_AUTH_BEARER:
        snprintf(o->bearer, sizeof o->bearer, "Bearer %s", a->token);
        o->h[o->n++] = (http_header_t){"Authorization", o->bearer};
        return 0;
    case REST_AUTH_OAUTH2: {
        pthread_mutex_lock(&a->mu);
        int rc = 0;
        if (!a->cached[0] || now_ms() >= a->refresh_at_ms)
            rc = fetch_token(a, err);
        if (rc == 0)
            snprintf(o->bearer, sizeof o->bearer, "Bearer %s", a->cached);
        pthread_mutex_unlock(&a->mu);
        if (rc)
            return -1;
        o->h[o->n++] = (http_header_t){"Authorization", o->bearer};
        return 0;
    }
    case REST_AUTH_SIGV4:
        break;
    }
    if (aws_cred_get(a->creds, &o->cr, err))
        return err_prefix(err, "iceberg SigV4 credentials");
    sigv4_amz_date_now(o->date);
    sigv4_sha256_hex(w->body ? (const void *)w->body : "", w->body_len, o->sha);
    sigv4_header_t sh[1];
    size_t nsh = 0;
    if (w->content_type)
        sh[nsh++] = (sigv4_header_t){"content-type", w->content_type};
    sigv4_request_t rq = {
        .method = w->method, .host = w->host, .path = w->path, .params = w->params, .nparams = w->nparams,
        .headers = sh, .nheaders = nsh, .payload_sha256_hex = o->sha, .amz_date = o->date, .region = a->region,
        .service = a->service, .add_content_sha256_header = 0, .path_is_encoded = 1,
    };
    sigv4_credentials_t sc = {o->cr.access_key, o->cr.secret_key, o->cr.session_token[0] ? o->cr.session_token : NULL};
    if (sigv4_sign(&rq, &sc, &o->sr, err))
        return err_prefix(err, "iceberg SigV4");
    for (size_t i = 0; i < o->sr.nadd && o->n < 5; i++)
        o->h[o->n++] = (http_header_t){o->sr.add[i].name, o->sr.add[i].value};
    o->h[o->n++] = (http_header_t){"Authorization", o->sr.authorization};
    return 0;
}

void rest_auth_headers_free(rest_auth_headers_t *h)
{
    sigv4_result_free(&h->sr);
    explicit_bzero(h, sizeof *h);
}
