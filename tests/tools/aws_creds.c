/* aws_creds: the AWS credential chain from this process's environment, for the end-to-end tests
 * (tests/e2e/test_aws_credentials.py). Each call of aws_cred_get prints one JSON line:
 *   {"call":N,"source":"...","access_key":"...","secret_key":"...","session_token":"...","expires_ms":N}
 * (a test tool: it prints the secrets so the test can compare them). An error goes to stderr as
 * "aws_creds: CODE: message" and the exit status is 1.
 *   --relative-base URL     base of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *   --refresh-before-ms N   refresh this long before expiry
 *   --repeat N              call aws_cred_get N times (default 1)
 *   --interval-ms M         sleep between calls
 *   --invalidate            aws_cred_invalidate before every call after the first
 *   --threads T             T threads each make the --repeat calls at once (lines interleave;
 *                           "call" counts per thread)
 *   --log-level L           debug, info, warn, error (logs go to stderr) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/credentials.h"
#include "net/http_client.h"
#include "util/buf.h"
#include "util/json_text.h"
#include "util/log.h"

static const char *code_name(err_code_t c)
{
    switch (c) {
    case ERR_CONFIG:
        return "config";
    case ERR_UNAVAILABLE:
        return "unavailable";
    case ERR_INVALID:
        return "invalid";
    case ERR_NOMEM:
        return "nomem";
    default:
        return "other";
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: aws_creds [--relative-base URL] [--refresh-before-ms N] [--repeat N] "
                    "[--interval-ms M] [--invalidate] [--threads T] [--log-level L]\n");
    return 2;
}

static void put_field(buf_t *b, const char *key, const char *v)
{
    buf_printf(b, ",\"%s\":", key);
    json_put_string(b, v, strlen(v));
}

typedef struct {
    aws_cred_provider_t *p;
    long repeat, interval_ms;
    int invalidate;
    int rc;
} run_t;

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void *calls(void *arg)
{
    run_t *r = arg;
    err_t err = {0};
    for (long n = 0; n < r->repeat; n++) {
        if (n > 0 && r->interval_ms > 0) {
            struct timespec ts = {r->interval_ms / 1000, (r->interval_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (n > 0 && r->invalidate)
            aws_cred_invalidate(r->p);
        aws_credentials_t c;
        if (aws_cred_get(r->p, &c, &err)) {
            fprintf(stderr, "aws_creds: %s: %s\n", code_name(err.code), err.msg);
            r->rc = 1;
            break;
        }
        buf_t b = {0};
        buf_printf(&b, "{\"call\":%ld", n + 1);
        put_field(&b, "source", aws_cred_source(r->p));
        put_field(&b, "access_key", c.access_key);
        put_field(&b, "secret_key", c.secret_key);
        put_field(&b, "session_token", c.session_token);
        buf_printf(&b, ",\"expires_ms\":%lld}\n", (long long)c.expires_ms);
        pthread_mutex_lock(&out_mu);
        fwrite(b.data, 1, b.len, stdout);
        fflush(stdout);
        pthread_mutex_unlock(&out_mu);
        buf_free(&b);
    }
    http_client_thread_cleanup();
    return NULL;
}

int main(int argc, char **argv)
{
    aws_cred_options_t opts = {0};
    long repeat = 1, interval_ms = 0, threads = 1;
    int invalidate = 0, level = LOG_INFO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--invalidate") == 0) {
            invalidate = 1;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (strcmp(a, "--relative-base") == 0)
            opts.container_relative_base = v;
        else if (strcmp(a, "--refresh-before-ms") == 0)
            opts.refresh_before_ms = strtoll(v, NULL, 10);
        else if (strcmp(a, "--repeat") == 0)
            repeat = strtol(v, NULL, 10);
        else if (strcmp(a, "--interval-ms") == 0)
            interval_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--threads") == 0)
            threads = strtol(v, NULL, 10);
        else if (strcmp(a, "--log-level") == 0 && log_level_parse(v) >= 0)
            level = log_level_parse(v);
        else
            return usage();
    }
    log_setup(level, 0);
    err_t err = {0};
    if (http_client_global_init(&err)) {
        fprintf(stderr, "aws_creds: %s: %s\n", code_name(err.code), err.msg);
        return 1;
    }
    int rc = 0;
    aws_cred_provider_t *p = aws_cred_chain_new(&opts, &err);
    if (!p) {
        fprintf(stderr, "aws_creds: %s: %s\n", code_name(err.code), err.msg);
        rc = 1;
        goto out;
    }
    if (threads < 1 || threads > 64)
        return usage();
    run_t runs[64];
    pthread_t th[64];
    for (long t = 0; t < threads; t++) {
        runs[t] = (run_t){.p = p, .repeat = repeat, .interval_ms = interval_ms, .invalidate = invalidate};
        if (threads == 1)
            calls(&runs[t]);
        else
            pthread_create(&th[t], NULL, calls, &runs[t]);
    }
    for (long t = 0; t < threads; t++) {
        if (threads > 1)
            pthread_join(th[t], NULL);
        rc |= runs[t].rc;
    }
    aws_cred_free(p);
out:
    http_client_global_cleanup();
    return rc;
}
