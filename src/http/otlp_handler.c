/* OTLP/HTTP requests independent of the transport: see otlp_handler.h. */
#include "http/otlp_handler.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/otlp_response.h"
#include "util/gzip.h"
#include "util/log.h"

/* Header value without surrounding whitespace, up to the first ';' (media type parameters). */
static size_t token(const char *v, const char **start)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strcspn(v, ";");
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    *start = v;
    return n;
}

static int token_is(const char *p, size_t n, const char *want)
{
    return n == strlen(want) && strncasecmp(p, want, n) == 0;
}

int otlp_parse_content_type(const char *v, otlp_encoding_t *enc)
{
    if (!v)
        return -1;
    const char *p;
    size_t n = token(v, &p);
    if (token_is(p, n, "application/x-protobuf"))
        *enc = ENC_PROTOBUF;
    else if (token_is(p, n, "application/json"))
        *enc = ENC_JSON;
    else if (token_is(p, n, "application/x-ndjson"))
        *enc = ENC_NDJSON;
    else
        return -1;
    return 0;
}

int otlp_parse_content_encoding(const char *v)
{
    if (!v)
        return 0;
    const char *p;
    size_t n = token(v, &p);
    if (n == 0 || token_is(p, n, "identity"))
        return 0;
    if (token_is(p, n, "gzip") || token_is(p, n, "x-gzip")) /* x-gzip: RFC 9110 §8.4.1.3 */
        return 1;
    return -1;
}

void otlp_printable(const char *v, char *out, size_t outlen)
{
    size_t j = 0;
    for (size_t i = 0; v && v[i] && j + 1 < outlen; i++) {
        unsigned char c = (unsigned char)v[i];
        out[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[j] = 0;
    if (v && strlen(v) >= outlen && outlen > 4)
        memcpy(out + outlen - 4, "...", 4);
}

int otlp_log_level_for(int status)
{
    if (status == 404 || status == 405)
        return LOG_DEBUG; /* scanners and typos; not worth a line each */
    if (status >= 500 && status != 503)
        return LOG_ERROR;
    return LOG_WARN;
}

int otlp_error_reply(otlp_reply_t *rep, const otlp_route_t *rt, int status, const char *allow, const char *msg)
{
    otlp_encoding_t enc = rt && rt->enc_known ? rt->enc : ENC_JSON;
    rep->status = status;
    rep->allow = allow;
    rep->content_type = otlp_response_content_type(enc);
    if (msg != rep->msg)
        snprintf(rep->msg, sizeof rep->msg, "%s", msg);
    rep->body.len = 0;
    return otlp_status_response(&rep->body, enc, otlp_grpc_code(status), msg) ? -1 : 0;
}

static int text_reply(otlp_reply_t *rep, int status, const char *text)
{
    rep->status = status;
    rep->allow = NULL;
    rep->content_type = "text/plain; charset=utf-8";
    rep->body.len = 0;
    return buf_append(&rep->body, text, strlen(text)) ? -1 : 0;
}

int otlp_health_reply(otlp_reply_t *rep) { return text_reply(rep, 200, "ok"); }

int otlp_ready_reply(ingest_t *ing, storage_t *storage, const otlp_route_t *rt, otlp_reply_t *rep)
{
    if (!storage)
        return otlp_error_reply(rep, rt, 503, NULL, "no storage configured");
    err_t err;
    err_clear(&err);
    /* through the ingest, which remembers the answer: exports get 503 while storage is down */
    if (ingest_check_storage(ing, &err)) {
        snprintf(rep->msg, sizeof rep->msg, "storage not ready: %s", err.msg);
        return otlp_error_reply(rep, rt, 503, NULL, rep->msg);
    }
    return text_reply(rep, 200, "ok");
}

int otlp_route(const char *method, const char *path, const char *ctype, const char *cenc, otlp_route_t *rt,
               otlp_reply_t *rep)
{
    memset(rt, 0, sizeof *rt);
    rt->enc_known = otlp_parse_content_type(ctype, &rt->enc) == 0;
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    char msg[300];

    if (!strcmp(path, "/health") || !strcmp(path, "/ready")) {
        rt->route = path[1] == 'h' ? OTLP_ROUTE_HEALTH : OTLP_ROUTE_READY;
        if (!is_get)
            return otlp_error_reply(rep, rt, 405, "GET, HEAD", "method not allowed: use GET") ? -1 : 405;
        return 0;
    }
    if (!strcmp(path, "/v1/logs"))
        rt->sig = SIG_LOGS;
    else if (!strcmp(path, "/v1/traces"))
        rt->sig = SIG_TRACES;
    else if (!strcmp(path, "/v1/metrics"))
        rt->sig = SIG_METRICS;
    else {
        char shown[128];
        otlp_printable(path, shown, sizeof shown);
        snprintf(msg, sizeof msg, "no such path: %s (OTLP paths are /v1/logs, /v1/traces, /v1/metrics)", shown);
        return otlp_error_reply(rep, rt, 404, NULL, msg) ? -1 : 404;
    }
    rt->route = OTLP_ROUTE_EXPORT;
    if (strcmp(method, "POST"))
        return otlp_error_reply(rep, rt, 405, "POST", "method not allowed: use POST") ? -1 : 405;
    if (!rt->enc_known) {
        char shown[100];
        otlp_printable(ctype ? ctype : "(none)", shown, sizeof shown);
        snprintf(msg, sizeof msg,
                 "unsupported Content-Type %s: use application/x-protobuf, application/json or "
                 "application/x-ndjson",
                 shown);
        return otlp_error_reply(rep, rt, 415, NULL, msg) ? -1 : 415;
    }
    int ce = otlp_parse_content_encoding(cenc);
    if (ce < 0) {
        char shown[100];
        otlp_printable(cenc, shown, sizeof shown);
        snprintf(msg, sizeof msg, "unsupported Content-Encoding %s: use gzip or identity", shown);
        return otlp_error_reply(rep, rt, 415, NULL, msg) ? -1 : 415;
    }
    rt->gzip = ce;
    return 0;
}

int otlp_handle_export(ingest_t *ing, const otlp_route_t *rt, size_t max_body, buf_t *body, otlp_reply_t *rep)
{
    err_t err;
    err_clear(&err);
    if (body->len > max_body) {
        snprintf(rep->msg, sizeof rep->msg, "request body of %zu bytes exceeds the limit of %zu bytes", body->len,
                 max_body);
        buf_free(body);
        return otlp_error_reply(rep, rt, 413, NULL, rep->msg);
    }
    const uint8_t *data = body->data ? body->data : (const uint8_t *)"";
    size_t len = body->len;
    buf_t plain = {0};
    if (rt->gzip) {
        if (gzip_inflate(data, len, max_body, &plain, &err)) {
            buf_free(&plain);
            buf_free(body);
            return otlp_error_reply(rep, rt, otlp_http_status(err.code), NULL, err.msg);
        }
        /* the compressed copy is no longer needed: give its memory back before ingesting */
        buf_free(body);
        data = plain.data ? plain.data : (const uint8_t *)"";
        len = plain.len;
    }
    memset(&rep->res, 0, sizeof rep->res);
    int rc = ingest_request(ing, rt->sig, rt->enc, data, len, &rep->res, &err);
    buf_free(&plain);
    buf_free(body);
    if (rc) {
        if (err.code == ERR_NONE)
            err.code = ERR_INTERNAL;
        return otlp_error_reply(rep, rt, otlp_http_status(err.code), NULL, err.msg[0] ? err.msg : "ingest failed");
    }
    rep->status = 200;
    rep->allow = NULL;
    rep->msg[0] = 0;
    rep->content_type = otlp_response_content_type(rt->enc);
    rep->body.len = 0;
    return otlp_export_response(&rep->body, rt->sig, rt->enc, &rep->res) ? -1 : 0;
}

int otlp_handle(ingest_t *ing, storage_t *storage, size_t max_body, const char *method, const char *path,
                const char *ctype, const char *cenc, buf_t *body, otlp_reply_t *rep)
{
    otlp_route_t rt;
    int st = otlp_route(method, path, ctype, cenc, &rt, rep);
    if (st) {
        buf_free(body);
        return st;
    }
    int rc;
    if (rt.route == OTLP_ROUTE_HEALTH)
        rc = otlp_health_reply(rep);
    else if (rt.route == OTLP_ROUTE_READY)
        rc = otlp_ready_reply(ing, storage, &rt, rep);
    else
        rc = otlp_handle_export(ing, &rt, max_body, body, rep);
    buf_free(body);
    return rc ? -1 : rep->status;
}

void otlp_reply_free(otlp_reply_t *rep) { buf_free(&rep->body); }
