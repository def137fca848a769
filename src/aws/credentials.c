/* The credential chain: which source applies is decided once, from the environment, in the
 * standard order (environment, profile, container, instance metadata); credentials from the
 * two HTTP sources are cached and fetched again shortly before they expire. One mutex guards
 * the cache and is held across a fetch, so concurrent callers wait for one fetch rather than
 * start several. */
#include "aws/credentials.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/cred_sources.h"
#include "net/http_client.h"
#include "util/log.h"

#define DEFAULT_REFRESH_BEFORE_MS (5 * 60 * 1000)
/* After a failed refresh with cached credentials still valid, callers are served from the
 * cache for this long before the next attempt (no fetch, with its timeouts, on every call). */
#define RETRY_AFTER_FAILURE_MS 5000

typedef enum { SRC_NONE, SRC_STATIC, SRC_CONTAINER, SRC_IMDS } src_kind_t;

struct aws_cred_provider {
    pthread_mutex_t mu;
    int64_t refresh_before_ms;
    src_kind_t kind;
    /* SRC_STATIC */
    aws_credentials_t fixed;
    char fixed_source[160];
    /* SRC_CONTAINER */
    char container_url[2048];
    char container_token[4096];
    char container_token_file[1024];
    /* SRC_IMDS */
    cred_imds_t imds;
    /* why there is no source, for the error of aws_cred_get */
    char none_reason[512];
    /* the cache */
    int have;
    aws_credentials_t cached;
    int64_t retry_after_ms;
    /* "none", "container", "imds" or fixed_source (written once, in aws_cred_chain_new): a
     * pointer swapped atomically, so aws_cred_source needs no lock */
    const char *source;
};

/* ---- field checks (shared by the sources) ---- */

int cred_copy_field(const char *source, const char *field, const char *v, size_t n, char *out,
                    size_t cap, int optional, err_t *err)
{
    if (n == 0) {
        out[0] = 0;
        return optional ? 0 : err_set(err, ERR_INVALID, "%s: %s is empty", source, field);
    }
    if (n >= cap)
        return err_set(err, ERR_INVALID, "%s: %s is too long (%zu bytes, at most %zu)", source, field, n,
                       cap - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] > 0x7e)
            return err_set(err, ERR_INVALID, "%s: %s is not printable ASCII", source, field);
    memcpy(out, v, n);
    out[n] = 0;
    return 0;
}

int cred_check_field(const char *source, const char *field, const char *v, size_t cap, int optional,
                     err_t *err)
{
    size_t n = strnlen(v, cap);
    for (size_t i = 0; i < n && i < cap; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] > 0x7e)
            return err_set(err, ERR_INVALID, "%s: %s is not printable ASCII", source, field);
    if (n == 0 && !optional)
        return err_set(err, ERR_INVALID, "%s: %s is empty", source, field);
    if (n >= cap)
        return err_set(err, ERR_INVALID, "%s: %s is too long (at most %zu bytes)", source, field, cap - 1);
    return 0;
}

/* ---- reading the environment ---- */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

static int from_environment(aws_cred_provider_t *p, int *found, err_t *err)
{
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    const char *token = env("AWS_SESSION_TOKEN");
    *found = 0;
    if (!id && !secret)
        return 0;
    if (!id || !secret)
        return err_set(err, ERR_CONFIG, "environment: %s is set but %s is not",
                       id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                       id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    aws_credentials_t *c = &p->fixed;
    if (cred_copy_field("environment", "AWS_ACCESS_KEY_ID", id, strlen(id), c->access_key, sizeof c->access_key,
                        0, err) ||
        cred_copy_field("environment", "AWS_SECRET_ACCESS_KEY", secret, strlen(secret), c->secret_key,
                        sizeof c->secret_key, 0, err) ||
        cred_copy_field("environment", "AWS_SESSION_TOKEN", token ? token : "", token ? strlen(token) : 0,
                        c->session_token, sizeof c->session_token, 1, err)) {
        err->code = ERR_CONFIG;
        return -1;
    }
    c->expires_ms = 0;
    snprintf(p->fixed_source, sizeof p->fixed_source, "environment");
    *found = 1;
    return 0;
}

/* A shared-file path: the variable (with a leading "~/" meaning HOME) or HOME/.aws/leaf; NULL
 * when neither can be had. */
static const char *shared_path(const char *var, const char *leaf, char *out, size_t cap)
{
    const char *v = env(var), *home = env("HOME");
    if (v && v[0] == '~' && v[1] == '/') {
        if (!home)
            return NULL;
        snprintf(out, cap, "%s%s", home, v + 1);
    } else if (v) {
        snprintf(out, cap, "%s", v);
    } else if (home) {
        snprintf(out, cap, "%s/.aws/%s", home, leaf);
    } else {
        return NULL;
    }
    return out;
}

static int from_profile(aws_cred_provider_t *p, int skip_unless_named, int *found, err_t *err)
{
    *found = 0;
    const char *named = env("AWS_PROFILE");
    if (!named && skip_unless_named)
        return 0;
    const char *name = named ? named : "default";
    if (strlen(name) > 128 || cred_check_field("AWS_PROFILE", "the profile name", name, 129, 0, err))
        return err_set(err, ERR_CONFIG, "AWS_PROFILE is not a valid profile name");
    char cpath[1024], fpath[1024];
    const char *creds = shared_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", cpath, sizeof cpath);
    const char *config = shared_path("AWS_CONFIG_FILE", "config", fpath, sizeof fpath);
    int exists = 0, has_keys = 0;
    aws_credentials_t c;
    if (cred_profile_load(name, creds, config, &exists, &has_keys, &c, err))
        return -1;
    if (named && !exists)
        return err_set(err, ERR_CONFIG, "AWS_PROFILE names profile \"%s\", which is in neither %s nor %s", name,
                       creds ? creds : "the credentials file (no HOME)", config ? config : "the config file (no HOME)");
    if (!has_keys && named && !skip_unless_named)
        log_msg(LOG_WARN, "AWS_PROFILE %s has no aws_access_key_id and aws_secret_access_key (assuming a role, "
                          "SSO and credential_process are not supported); trying the next sources",
                name);
    if (!has_keys || skip_unless_named)
        return 0;
    p->fixed = c;
    explicit_bzero(&c, sizeof c);
    snprintf(p->fixed_source, sizeof p->fixed_source, "profile %s", name);
    *found = 1;
    return 0;
}

static int url_text_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static int from_container(aws_cred_provider_t *p, const aws_cred_options_t *opts, int *found, err_t *err)
{
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    *found = 0;
    if (rel) {
        const char *base = opts && opts->container_relative_base ? opts->container_relative_base : "http://169.254.170.2";
        size_t bn = strlen(base);
        while (bn && base[bn - 1] == '/')
            bn--;
        if (rel[0] != '/' || !url_text_ok(rel))
            return err_set(err, ERR_CONFIG, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with /");
        if ((size_t)snprintf(p->container_url, sizeof p->container_url, "%.*s%s", (int)bn, base, rel) >=
            sizeof p->container_url)
            return err_set(err, ERR_CONFIG, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is too long");
    } else if (full) {
        if (!url_text_ok(full) || strlen(full) >= sizeof p->container_url)
            return err_set(err, ERR_CONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a valid URL");
        char host[256];
        http_url_host(full, host, sizeof host);
        if (strncasecmp(full, "http://", 7) == 0) {
            /* plain http would send the token and the answer in the clear: only to this host
             * or to the link-local container agents */
            if (!cred_container_host_allowed(host))
                return err_set(err, ERR_CONFIG,
                               "AWS_CONTAINER_CREDENTIALS_FULL_URI: http:// is allowed only for loopback and "
                               "the container endpoints, not for %s (use https://)",
                               host);
        } else if (strncasecmp(full, "https://", 8) != 0) {
            return err_set(err, ERR_CONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http:// or https:// URL");
        }
        if (!host[0])
            return err_set(err, ERR_CONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI has no host");
        snprintf(p->container_url, sizeof p->container_url, "%s", full);
    } else {
        return 0;
    }
    const char *token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (token) {
        if (strlen(token) >= sizeof p->container_token)
            return err_set(err, ERR_CONFIG, "AWS_CONTAINER_AUTHORIZATION_TOKEN is too long");
        for (const char *c = token; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                return err_set(err, ERR_CONFIG, "AWS_CONTAINER_AUTHORIZATION_TOKEN holds a line break or a control character");
        snprintf(p->container_token, sizeof p->container_token, "%s", token);
    }
    if (file && (size_t)snprintf(p->container_token_file, sizeof p->container_token_file, "%s", file) >=
                    sizeof p->container_token_file)
        return err_set(err, ERR_CONFIG, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is too long");
    *found = 1;
    return 0;
}

static int from_imds(aws_cred_provider_t *p, int *found, err_t *err)
{
    *found = 0;
    const char *off = env("AWS_EC2_METADATA_DISABLED");
    if (off && strcasecmp(off, "true") == 0)
        return 0;
    const char *ep = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!ep)
        ep = "http://169.254.169.254";
    size_t n = strlen(ep);
    while (n && ep[n - 1] == '/')
        n--;
    if ((strncasecmp(ep, "http://", 7) != 0 && strncasecmp(ep, "https://", 8) != 0) || !url_text_ok(ep) ||
        n >= sizeof p->imds.endpoint)
        return err_set(err, ERR_CONFIG, "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http:// or https:// URL");
    memcpy(p->imds.endpoint, ep, n);
    p->imds.endpoint[n] = 0;
    *found = 1;
    return 0;
}

aws_cred_provider_t *aws_cred_chain_new(const aws_cred_options_t *opts, err_t *err)
{
    aws_cred_provider_t *p = calloc(1, sizeof *p);
    if (!p) {
        err_set(err, ERR_NOMEM, "AWS credentials: out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->refresh_before_ms = opts && opts->refresh_before_ms > 0 ? opts->refresh_before_ms : DEFAULT_REFRESH_BEFORE_MS;
    p->source = "none";
    int found = 0;
    if (from_environment(p, &found, err))
        goto fail;
    if (found) {
        p->kind = SRC_STATIC;
        /* the profile is not used, but one named by AWS_PROFILE must exist */
        if (from_profile(p, 1, &found, err))
            goto fail;
    } else {
        if (from_profile(p, 0, &found, err))
            goto fail;
        if (found)
            p->kind = SRC_STATIC;
        else if (from_container(p, opts, &found, err))
            goto fail;
        else if (found)
            p->kind = SRC_CONTAINER;
        else if (from_imds(p, &found, err))
            goto fail;
        else if (found)
            p->kind = SRC_IMDS;
    }
    if (p->kind == SRC_NONE) {
        const char *named = env("AWS_PROFILE");
        snprintf(p->none_reason, sizeof p->none_reason,
                 "no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID), none in profile %s, no "
                 "container credentials URI, and instance metadata is disabled (AWS_EC2_METADATA_DISABLED)",
                 named ? named : "default");
    }
    return p;
fail:
    aws_cred_free(p);
    return NULL;
}

aws_cred_provider_t *aws_cred_static_new(const char *source, const char *access_key, const char *secret_key,
                                         const char *session_token, err_t *err)
{
    aws_cred_provider_t *p = calloc(1, sizeof *p);
    if (!p) {
        err_set(err, ERR_NOMEM, "AWS credentials: out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->refresh_before_ms = DEFAULT_REFRESH_BEFORE_MS;
    snprintf(p->fixed_source, sizeof p->fixed_source, "%s", source);
    if (cred_copy_field(source, "access key id", access_key, strlen(access_key), p->fixed.access_key,
                        sizeof p->fixed.access_key, 0, err) ||
        cred_copy_field(source, "secret access key", secret_key, strlen(secret_key), p->fixed.secret_key,
                        sizeof p->fixed.secret_key, 0, err) ||
        cred_copy_field(source, "session token", session_token ? session_token : "",
                        session_token ? strlen(session_token) : 0, p->fixed.session_token,
                        sizeof p->fixed.session_token, 1, err)) {
        aws_cred_free(p);
        return NULL;
    }
    p->kind = SRC_STATIC;
    p->source = p->fixed_source;
    return p;
}

/* ---- getting credentials ---- */

static int fetch(aws_cred_provider_t *p, aws_credentials_t *out, const char **source, err_t *err)
{
    int rc;
    switch (p->kind) {
    case SRC_STATIC:
        *out = p->fixed;
        *source = p->fixed_source;
        return 0;
    case SRC_CONTAINER: {
        cred_container_t c = {.url = p->container_url,
                              .auth_token = p->container_token[0] ? p->container_token : NULL,
                              .auth_token_file = p->container_token_file[0] ? p->container_token_file : NULL};
        *source = "container";
        rc = cred_container_fetch(&c, out, err);
        break;
    }
    case SRC_IMDS:
        *source = "imds";
        rc = cred_imds_fetch(&p->imds, out, err);
        if (rc && err->code == ERR_CONFIG && !p->have)
            err_prefix(err, "no AWS credentials: none in the environment or the profile, no container "
                            "credentials URI, and no instance role");
        break;
    default:
        return err_set(err, ERR_CONFIG, "%s", p->none_reason);
    }
    /* a malformed answer is the endpoint's fault, like an outage: the caller may retry */
    if (rc && err->code == ERR_INVALID)
        err->code = ERR_UNAVAILABLE;
    return rc;
}

static int usable(const aws_credentials_t *c, int64_t now, int64_t margin)
{
    return c->expires_ms == 0 || now < c->expires_ms - margin;
}

static void log_new(const aws_cred_provider_t *p, const aws_credentials_t *c, int64_t now, int refreshed)
{
    /* the first four characters say which key (AKIA long-term, ASIA temporary), nothing more */
    if (c->expires_ms)
        log_msg(refreshed ? LOG_DEBUG : LOG_INFO, "AWS credentials %s from %s (access key %.4s...), expire in %lld s",
                refreshed ? "refreshed" : "loaded", p->source, c->access_key,
                (long long)((c->expires_ms - now) / 1000));
    else
        log_msg(LOG_INFO, "AWS credentials loaded from %s (access key %.4s...)", p->source, c->access_key);
}

int aws_cred_get(aws_cred_provider_t *p, aws_credentials_t *out, err_t *err)
{
    pthread_mutex_lock(&p->mu);
    int64_t now = cred_now_ms();
    if (p->have && (usable(&p->cached, now, p->refresh_before_ms) ||
                    (now < p->retry_after_ms && usable(&p->cached, now, 0)))) {
        *out = p->cached;
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    aws_credentials_t fresh;
    const char *source = "none";
    err_t ferr = {0};
    if (fetch(p, &fresh, &source, &ferr) == 0) {
        int refreshed = p->have;
        p->cached = fresh;
        p->have = 1;
        p->retry_after_ms = 0;
        __atomic_store_n(&p->source, source, __ATOMIC_RELEASE);
        *out = fresh;
        explicit_bzero(&fresh, sizeof fresh);
        log_new(p, out, now, refreshed);
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    if (p->have && usable(&p->cached, now, 0)) {
        log_msg(LOG_WARN, "AWS credentials: refreshing from %s failed (%s); keeping the cached ones, which expire in %lld s",
                source, ferr.msg, (long long)((p->cached.expires_ms - now) / 1000));
        p->retry_after_ms = now + RETRY_AFTER_FAILURE_MS;
        *out = p->cached;
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    pthread_mutex_unlock(&p->mu);
    if (err)
        *err = ferr;
    return -1;
}

void aws_cred_invalidate(aws_cred_provider_t *p)
{
    pthread_mutex_lock(&p->mu);
    explicit_bzero(&p->cached, sizeof p->cached);
    p->have = 0;
    p->retry_after_ms = 0;
    pthread_mutex_unlock(&p->mu);
}

const char *aws_cred_source(const aws_cred_provider_t *p)
{
    return __atomic_load_n(&p->source, __ATOMIC_ACQUIRE);
}

void aws_cred_free(aws_cred_provider_t *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->mu);
    explicit_bzero(p, sizeof *p);
    free(p);
}
