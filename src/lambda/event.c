/* Lambda HTTP events -> method, path, headers, body: see event.h. */
#include "lambda/event.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/base64.h"

static int fail(char *msg, size_t msglen, const char *what)
{
    snprintf(msg, msglen, "malformed Lambda event: %s", what);
    return -1;
}

/* The member's string, NULL when absent or null; *bad when it is there but not a string. */
static const char *opt_str(json_t *obj, const char *key, int *bad)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

static json_t *opt_obj(json_t *obj, const char *key, int *bad)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        *bad = 1;
        return NULL;
    }
    return v;
}

/* Adds name: value, joining a repeated name's values with ", ". */
static int add_header(lambda_event_t *ev, const char *name, const char *value, char *msg, size_t msglen)
{
    size_t nl = strlen(name), vl = strlen(value);
    if (nl == 0 || nl > LAMBDA_MAX_HEADER_NAME)
        return fail(msg, msglen, "header name empty or too long");
    if (vl > LAMBDA_MAX_HEADER_VALUE)
        return fail(msg, msglen, "header value too long");
    for (size_t i = 0; i < ev->nheaders; i++) {
        if (strcasecmp(ev->headers[i].name, name))
            continue;
        lambda_header_t *h = &ev->headers[i];
        size_t ol = strlen(h->value);
        if (ol + 2 + vl > LAMBDA_MAX_HEADER_VALUE)
            return fail(msg, msglen, "header value too long");
        char *nv = realloc(h->value, ol + 2 + vl + 1);
        if (!nv)
            return fail(msg, msglen, "out of memory");
        memcpy(nv + ol, ", ", 2);
        memcpy(nv + ol + 2, value, vl + 1);
        h->value = nv;
        return 0;
    }
    if (ev->nheaders >= LAMBDA_MAX_HEADERS)
        return fail(msg, msglen, "too many headers");
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return fail(msg, msglen, "out of memory");
    }
    for (char *p = n; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ev->headers[ev->nheaders++] = (lambda_header_t){n, v};
    return 0;
}

/* headers: {name: "value"}; multiValueHeaders: {name: ["v1", "v2"]}. Values that are null are
 * skipped (API Gateway sends null for an empty map). When both are there, multiValueHeaders
 * wins for names it has. */
static int read_headers(lambda_event_t *ev, json_t *root, char *msg, size_t msglen)
{
    int bad = 0;
    json_t *multi = opt_obj(root, "multiValueHeaders", &bad);
    json_t *single = opt_obj(root, "headers", &bad);
    if (bad)
        return fail(msg, msglen, "headers is not an object");
    if (json_object_size(single) > LAMBDA_MAX_HEADERS || json_object_size(multi) > LAMBDA_MAX_HEADERS)
        return fail(msg, msglen, "too many headers");
    const char *k;
    json_t *v;
    if (multi && json_object_size(multi) > 0) {
        ev->multi_value = 1;
        json_object_foreach(multi, k, v) {
            if (json_is_null(v))
                continue;
            if (!json_is_array(v))
                return fail(msg, msglen, "a multiValueHeaders value is not an array");
            if (json_array_size(v) > LAMBDA_MAX_HEADERS)
                return fail(msg, msglen, "too many header values");
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                if (!json_is_string(e))
                    return fail(msg, msglen, "a multiValueHeaders value is not a string");
                if (add_header(ev, k, json_string_value(e), msg, msglen))
                    return -1;
            }
        }
    } else if (multi)
        ev->multi_value = 1;
    if (single) {
        json_object_foreach(single, k, v) {
            if (json_is_null(v))
                continue;
            if (!json_is_string(v))
                return fail(msg, msglen, "a header value is not a string");
            if (ev->multi_value && lambda_event_header(ev, k))
                continue;
            if (add_header(ev, k, json_string_value(v), msg, msglen))
                return -1;
        }
    }
    return 0;
}

/* path without the "/{stage}" prefix (when it has one). */
static int set_path(lambda_event_t *ev, const char *path, const char *stage, char *msg, size_t msglen)
{
    if (!path || !*path)
        path = "/";
    if (path[0] != '/')
        return fail(msg, msglen, "the path does not start with /");
    if (stage && *stage && strcmp(stage, "$default")) {
        size_t sl = strlen(stage);
        if (path[0] == '/' && !strncmp(path + 1, stage, sl) && (path[1 + sl] == '/' || path[1 + sl] == 0)) {
            path += 1 + sl;
            if (!*path)
                path = "/";
        }
    }
    if (strlen(path) >= sizeof ev->path)
        return fail(msg, msglen, "path too long");
    snprintf(ev->path, sizeof ev->path, "%s", path);
    return 0;
}

static int set_method(lambda_event_t *ev, const char *m, char *msg, size_t msglen)
{
    if (!m || !*m || strlen(m) >= sizeof ev->method)
        return fail(msg, msglen, "no HTTP method");
    for (size_t i = 0; m[i]; i++)
        ev->method[i] = (char)toupper((unsigned char)m[i]);
    return 0;
}

static int read_body(lambda_event_t *ev, json_t *root, size_t max_body, int *too_large, char *msg, size_t msglen)
{
    int bad = 0;
    json_t *b64 = json_object_get(root, "isBase64Encoded");
    if (b64 && !json_is_boolean(b64) && !json_is_null(b64))
        return fail(msg, msglen, "isBase64Encoded is not a boolean");
    const char *body = opt_str(root, "body", &bad);
    if (bad)
        return fail(msg, msglen, "body is not a string");
    if (!body)
        return 0;
    size_t n = json_string_length(json_object_get(root, "body"));
    if (json_is_true(b64)) {
        size_t max = base64_decoded_max(n);
        if (max > max_body + 2) {
            *too_large = 1;
            snprintf(msg, msglen, "request body exceeds the limit of %zu bytes", max_body);
            return -1;
        }
        if (buf_reserve(&ev->body, max + 1))
            return fail(msg, msglen, "out of memory");
        size_t out = 0;
        if (base64_decode(ev->body.data, &out, body, n))
            return fail(msg, msglen, "body is not valid base64");
        ev->body.len = out;
    } else {
        if (buf_append(&ev->body, body, n))
            return fail(msg, msglen, "out of memory");
    }
    if (ev->body.len > max_body) {
        *too_large = 1;
        snprintf(msg, msglen, "request body of %zu bytes exceeds the limit of %zu bytes", ev->body.len, max_body);
        return -1;
    }
    return 0;
}

int lambda_event_parse(const char *event, size_t len, size_t max_body, lambda_event_t *ev, int *too_large,
                       char *msg, size_t msglen)
{
    memset(ev, 0, sizeof *ev);
    *too_large = 0;
    msg[0] = 0;
    json_error_t je;
    json_t *root = json_loadb(event, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return fail(msg, msglen, "not JSON");
    int rc = -1, bad = 0;
    if (!json_is_object(root)) {
        fail(msg, msglen, "not a JSON object");
        goto out;
    }
    json_t *rc_obj = opt_obj(root, "requestContext", &bad);
    const char *version = opt_str(root, "version", &bad);
    bad = 0;
    if (rc_obj && json_object_get(rc_obj, "elb"))
        ev->family = LAMBDA_EV_ALB;
    else if (version && !strcmp(version, "2.0"))
        ev->family = LAMBDA_EV_HTTP_V2;
    else if (json_object_get(root, "httpMethod") || (version && !strcmp(version, "1.0")))
        ev->family = LAMBDA_EV_APIGW_V1;
    else {
        fail(msg, msglen, "not an API Gateway, Function URL or ALB event");
        goto out;
    }
    if (json_object_get(root, "requestContext") && !json_is_object(json_object_get(root, "requestContext")) &&
        !json_is_null(json_object_get(root, "requestContext"))) {
        fail(msg, msglen, "requestContext is not an object");
        goto out;
    }
    const char *stage = rc_obj ? opt_str(rc_obj, "stage", &bad) : NULL;
    if (bad) {
        fail(msg, msglen, "requestContext.stage is not a string");
        goto out;
    }
    if (ev->family == LAMBDA_EV_HTTP_V2) {
        json_t *http = rc_obj ? opt_obj(rc_obj, "http", &bad) : NULL;
        const char *m = http ? opt_str(http, "method", &bad) : NULL;
        const char *path = opt_str(root, "rawPath", &bad);
        if (!path && http)
            path = opt_str(http, "path", &bad);
        if (bad || !http) {
            fail(msg, msglen, "requestContext.http.method or rawPath missing or not a string");
            goto out;
        }
        if (set_method(ev, m, msg, msglen) || set_path(ev, path, stage, msg, msglen))
            goto out;
        json_t *cookies = json_object_get(root, "cookies");
        if (cookies && !json_is_array(cookies) && !json_is_null(cookies)) {
            fail(msg, msglen, "cookies is not an array");
            goto out;
        }
    } else {
        const char *m = opt_str(root, "httpMethod", &bad);
        const char *path = opt_str(root, "path", &bad);
        if (bad) {
            fail(msg, msglen, "httpMethod or path is not a string");
            goto out;
        }
        if (set_method(ev, m, msg, msglen) ||
            set_path(ev, path, ev->family == LAMBDA_EV_APIGW_V1 ? stage : NULL, msg, msglen))
            goto out;
    }
    if (read_headers(ev, root, msg, msglen) || read_body(ev, root, max_body, too_large, msg, msglen))
        goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

const char *lambda_event_header(const lambda_event_t *ev, const char *name)
{
    for (size_t i = 0; i < ev->nheaders; i++)
        if (!strcasecmp(ev->headers[i].name, name))
            return ev->headers[i].value;
    return NULL;
}

void lambda_event_free(lambda_event_t *ev)
{
    for (size_t i = 0; i < ev->nheaders; i++) {
        free(ev->headers[i].name);
        free(ev->headers[i].value);
    }
    ev->nheaders = 0;
    buf_free(&ev->body);
}
