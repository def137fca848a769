/* Lambda HTTP responses: see response.h. */
#include "lambda/response.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

const char *lambda_status_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

/* Sets name to value in headers ({name: value}) or, multi, ({name: [value]}). */
static int put_header(json_t *headers, int multi, const char *name, const char *value)
{
    json_t *v = json_string(value);
    if (v && multi) {
        json_t *a = json_array();
        if (!a || json_array_append_new(a, v)) {
            json_decref(a);
            return -1;
        }
        v = a;
    }
    return v ? json_object_set_new(headers, name, v) : -1;
}

int lambda_response_json(lambda_family_t family, int multi_value, const otlp_reply_t *rep, buf_t *out)
{
    int multi = family == LAMBDA_EV_ALB && multi_value;
    json_t *root = json_object(), *headers = json_object();
    int rc = -1;
    if (!root || !headers)
        goto out;
    if (json_object_set_new(root, "statusCode", json_integer(rep->status)))
        goto out;
    if (family == LAMBDA_EV_ALB) {
        char desc[64];
        snprintf(desc, sizeof desc, "%d %s", rep->status, lambda_status_reason(rep->status));
        if (json_object_set_new(root, "statusDescription", json_string(desc)))
            goto out;
    }
    if (rep->content_type && put_header(headers, multi, "Content-Type", rep->content_type))
        goto out;
    if (rep->allow && put_header(headers, multi, "Allow", rep->allow))
        goto out;
    if ((rep->status == 503 || rep->status == 429) && put_header(headers, multi, "Retry-After", OTLP_RETRY_AFTER_SECS))
        goto out;
    if (json_object_set(root, multi ? "multiValueHeaders" : "headers", headers))
        goto out;
    const char *data = rep->body.data ? (const char *)rep->body.data : "";
    int binary = rep->content_type && strstr(rep->content_type, "protobuf") != NULL;
    json_t *text = binary ? NULL : json_stringn(data, rep->body.len); /* NULL for bytes that are not UTF-8 */
    if (text) {
        if (json_object_set_new(root, "body", text) || json_object_set_new(root, "isBase64Encoded", json_false()))
            goto out;
    } else {
        buf_t b = {0};
        if (buf_put_base64(&b, data, rep->body.len)) {
            buf_free(&b);
            goto out;
        }
        json_t *s = json_stringn(b.data ? (const char *)b.data : "", b.len);
        buf_free(&b);
        if (!s || json_object_set_new(root, "body", s) || json_object_set_new(root, "isBase64Encoded", json_true()))
            goto out;
    }
    char *dump = json_dumps(root, JSON_COMPACT);
    if (!dump)
        goto out;
    rc = buf_append(out, dump, strlen(dump)) ? -1 : 0;
    free(dump);
out:
    json_decref(headers);
    json_decref(root);
    return rc;
}
