/* sigv4_sign: signs requests read from stdin, one JSON object per line, with src/aws/sigv4.c and
 * prints one JSON object per line, so tests/e2e/test_sigv4_botocore.py can compare thousands of
 * requests with botocore in one process. JSON strings carry any byte but NUL (\u0000 is refused,
 * as C strings cannot hold it).
 *
 * In:  {"method": "PUT", "host": "b.s3.amazonaws.com", "path": "/a b", "path_is_encoded": false,
 *       "params": [["name", "value" or null], ...], "headers": [["Name", "value"], ...],
 *       "payload_sha256": "<hex>|UNSIGNED-PAYLOAD" or "body_hex": "<hex of the body>",
 *       "amz_date": "20130524T000000Z", "region": "us-east-1", "service": "s3",
 *       "add_content_sha256_header": false, "access_key": "...", "secret_key": "...",
 *       "session_token": "..." or null}
 * Out: {"canonical_request": "...", "string_to_sign": "...", "signature": "...",
 *       "authorization": "...", "payload_sha256": "...", "add": [["name", "value"], ...]}
 *   or {"error": "...", "code": N} (N the err_code_t) when the signer (or the line) is refused.
 * Exit status: 0 when every line was read (refused requests included), 2 on I/O errors. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/json_reader.h"
#include "util/json_text.h"

#define MAX_LINE ((size_t)64 << 20)
#define MAX_STRINGS 1024

/* One parsed line: the strings are NUL-terminated copies owned by strs. */
typedef struct {
    char *strs[MAX_STRINGS];
    size_t nstrs;
    sigv4_request_t req;
    sigv4_credentials_t creds;
    sigv4_param_t params[SIGV4_MAX_PARAMS + 1];
    sigv4_header_t headers[SIGV4_MAX_HEADERS + 1];
    const char *body_hex;
    char payload[65];
} line_t;

static void line_free(line_t *l)
{
    for (size_t i = 0; i < l->nstrs; i++)
        free(l->strs[i]);
    l->nstrs = 0;
}

static int fail(err_t *err, json_reader_t *r, const char *what)
{
    if (r->err_code != ERR_NONE) {
        char pos[256];
        json_reader_errstr(r, pos, sizeof pos);
        return err_set(err, ERR_INVALID, "input: %s", pos);
    }
    return err_set(err, ERR_INVALID, "input: %s", what);
}

/* The next token as a string copy (NULL for JSON null when nullable). */
static int take_string(line_t *l, json_reader_t *r, bool nullable, const char **out, err_t *err)
{
    json_token_t t;
    if (json_next(r, &t))
        return fail(err, r, "bad JSON");
    if (nullable && t.type == JSON_NULL) {
        *out = NULL;
        return 0;
    }
    if (t.type != JSON_STRING)
        return fail(err, r, "a string expected");
    if (memchr(t.s, 0, t.n))
        return fail(err, r, "a string holds NUL");
    if (l->nstrs == MAX_STRINGS)
        return fail(err, r, "too many strings");
    char *s = malloc(t.n + 1);
    if (!s)
        return err_set(err, ERR_NOMEM, "out of memory");
    memcpy(s, t.s, t.n);
    s[t.n] = 0;
    l->strs[l->nstrs++] = s;
    *out = s;
    return 0;
}

static int take_bool(json_reader_t *r, int *out, err_t *err)
{
    json_token_t t;
    if (json_next(r, &t) || (t.type != JSON_TRUE && t.type != JSON_FALSE))
        return fail(err, r, "true or false expected");
    *out = t.type == JSON_TRUE;
    return 0;
}

/* [["a", "b"], ...] into pairs (cap entries at most; one more is kept so the signer sees the
 * count go over its limit and says so). */
static int take_pairs(line_t *l, json_reader_t *r, const char **names, const char **values, size_t stride,
                      size_t cap, size_t *n, bool null_values, err_t *err)
{
    json_token_t t;
    if (json_next(r, &t) || t.type != JSON_ARR_BEGIN)
        return fail(err, r, "an array of pairs expected");
    *n = 0;
    for (;;) {
        if (json_next(r, &t))
            return fail(err, r, "bad JSON");
        if (t.type == JSON_ARR_END)
            return 0;
        if (t.type != JSON_ARR_BEGIN || *n == cap)
            return fail(err, r, "a [name, value] pair expected (or too many)");
        const char **nm = (const char **)((char *)names + *n * stride);
        const char **vl = (const char **)((char *)values + *n * stride);
        if (take_string(l, r, false, nm, err) || take_string(l, r, null_values, vl, err))
            return -1;
        if (json_next(r, &t) || t.type != JSON_ARR_END)
            return fail(err, r, "a pair has two elements");
        (*n)++;
    }
}

static int parse_line(line_t *l, const char *text, size_t len, err_t *err)
{
    json_reader_t r;
    json_reader_init(&r, text, len);
    json_token_t t;
    int rc = -1;
    sigv4_request_t *q = &l->req;
    if (json_next(&r, &t) || t.type != JSON_OBJ_BEGIN) {
        fail(err, &r, "an object expected");
        goto out;
    }
    for (;;) {
        if (json_next(&r, &t)) {
            fail(err, &r, "bad JSON");
            goto out;
        }
        if (t.type == JSON_OBJ_END)
            break;
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(t.n < 63 ? t.n : 63), (const char *)t.s);
        int bad = 0;
        if (!strcmp(key, "method"))
            bad = take_string(l, &r, false, &q->method, err);
        else if (!strcmp(key, "host"))
            bad = take_string(l, &r, false, &q->host, err);
        else if (!strcmp(key, "path"))
            bad = take_string(l, &r, false, &q->path, err);
        else if (!strcmp(key, "path_is_encoded"))
            bad = take_bool(&r, &q->path_is_encoded, err);
        else if (!strcmp(key, "params")) {
            bad = take_pairs(l, &r, &l->params[0].name, &l->params[0].value, sizeof l->params[0],
                             SIGV4_MAX_PARAMS + 1, &q->nparams, true, err);
            q->params = l->params;
        } else if (!strcmp(key, "headers")) {
            bad = take_pairs(l, &r, &l->headers[0].name, &l->headers[0].value, sizeof l->headers[0],
                             SIGV4_MAX_HEADERS + 1, &q->nheaders, false, err);
            q->headers = l->headers;
        } else if (!strcmp(key, "payload_sha256"))
            bad = take_string(l, &r, false, &q->payload_sha256_hex, err);
        else if (!strcmp(key, "body_hex"))
            bad = take_string(l, &r, false, &l->body_hex, err);
        else if (!strcmp(key, "amz_date"))
            bad = take_string(l, &r, false, &q->amz_date, err);
        else if (!strcmp(key, "region"))
            bad = take_string(l, &r, false, &q->region, err);
        else if (!strcmp(key, "service"))
            bad = take_string(l, &r, false, &q->service, err);
        else if (!strcmp(key, "add_content_sha256_header"))
            bad = take_bool(&r, &q->add_content_sha256_header, err);
        else if (!strcmp(key, "access_key"))
            bad = take_string(l, &r, false, &l->creds.access_key, err);
        else if (!strcmp(key, "secret_key"))
            bad = take_string(l, &r, false, &l->creds.secret_key, err);
        else if (!strcmp(key, "session_token"))
            bad = take_string(l, &r, true, &l->creds.session_token, err);
        else {
            err_set(err, ERR_INVALID, "input: unknown key \"%s\"", key);
            goto out;
        }
        if (bad)
            goto out;
    }
    if (json_next(&r, &t) || t.type != JSON_EOF) {
        fail(err, &r, "one object per line");
        goto out;
    }
    rc = 0;
out:
    json_reader_free(&r);
    return rc;
}

/* The body's hash when the line gave the body itself: exercises sigv4_sha256_hex. */
static int hash_body(line_t *l, err_t *err)
{
    if (!l->body_hex)
        return 0;
    size_t n = strlen(l->body_hex);
    uint8_t *body = malloc(n / 2 + 1);
    if (!body)
        return err_set(err, ERR_NOMEM, "out of memory");
    if (hex_decode(body, l->body_hex, n)) {
        free(body);
        return err_set(err, ERR_INVALID, "input: body_hex is not hex");
    }
    sigv4_sha256_hex(body, n / 2, l->payload);
    free(body);
    l->req.payload_sha256_hex = l->payload;
    return 0;
}

static void put_key_string(buf_t *o, const char *key, const void *s, size_t n, bool comma)
{
    buf_printf(o, "%s\"%s\": ", comma ? ", " : "", key);
    json_put_string(o, s, n);
}

static void print_result(buf_t *o, const sigv4_request_t *q, const sigv4_result_t *res)
{
    put_key_string(o, "canonical_request", res->canonical_request.data, res->canonical_request.len, false);
    put_key_string(o, "string_to_sign", res->string_to_sign.data, res->string_to_sign.len, true);
    put_key_string(o, "signature", res->signature, strlen(res->signature), true);
    put_key_string(o, "authorization", res->authorization, strlen(res->authorization), true);
    put_key_string(o, "payload_sha256", q->payload_sha256_hex, strlen(q->payload_sha256_hex), true);
    buf_append_str(o, ", \"add\": [");
    for (size_t i = 0; i < res->nadd; i++) {
        buf_append_str(o, i ? ", [" : "[");
        json_put_string(o, res->add[i].name, strlen(res->add[i].name));
        buf_append_str(o, ", ");
        json_put_string(o, res->add[i].value, strlen(res->add[i].value));
        buf_append_str(o, "]");
    }
    buf_append_str(o, "]");
}

int main(void)
{
    char *text = NULL;
    size_t cap = 0;
    ssize_t len;
    buf_t o = {0};
    sigv4_result_t res = {0};
    static line_t l;
    while ((len = getline(&text, &cap, stdin)) >= 0) {
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        memset(&l, 0, sizeof l);
        err_t err;
        err_clear(&err);
        buf_clear(&o);
        buf_append_str(&o, "{");
        if ((size_t)len > MAX_LINE)
            err_set(&err, ERR_TOO_LARGE, "input: line longer than %zu bytes", MAX_LINE);
        if (err.code == ERR_NONE && parse_line(&l, text, (size_t)len, &err) == 0 && hash_body(&l, &err) == 0 &&
            sigv4_sign(&l.req, &l.creds, &res, &err) == 0) {
            print_result(&o, &l.req, &res);
        } else {
            put_key_string(&o, "error", err.msg, strlen(err.msg), false);
            buf_printf(&o, ", \"code\": %d", (int)err.code);
        }
        buf_append_str(&o, "}\n");
        line_free(&l);
        if (fwrite(o.data, 1, o.len, stdout) != o.len) {
            perror("sigv4_sign: stdout");
            return 2;
        }
    }
    free(text);
    buf_free(&o);
    sigv4_result_free(&res);
    if (ferror(stdin)) {
        perror("sigv4_sign: stdin");
        return 2;
    }
    return fflush(stdout) ? 2 : 0;
}
