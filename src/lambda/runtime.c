/* The Lambda Runtime API loop: see runtime.h. */
#include "lambda/runtime.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/http_client.h"
#include "util/log.h"

#define API_PREFIX "/2018-06-01/runtime"
#define POST_TIMEOUT_MS 10000
#define MAX_NEXT_FAILURES 3

size_t lambda_max_event(size_t max_body)
{
    size_t b64 = max_body / 3 * 4 + 4;
    return b64 + ((size_t)1 << 20);
}

/* {"errorMessage": message, "errorType": type} */
static char *error_json(const char *type, const char *message)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    /* a message quoting bad bytes must not make the JSON fail */
    json_t *m = json_string(message);
    if (!m)
        m = json_string("(message not UTF-8)");
    json_object_set_new(o, "errorMessage", m);
    json_object_set_new(o, "errorType", json_string(type));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* POSTs body to http://api/2018-06-01/runtime{path}; 0 when the API accepted it (2xx). */
static int post(const char *api, const char *path, const char *body, size_t len, const char *error_type)
{
    char url[1024];
    snprintf(url, sizeof url, "http://%s" API_PREFIX "%s", api, path);
    http_header_t hdrs[2] = {{"Content-Type", "application/json"}, {"Lambda-Runtime-Function-Error-Type", error_type}};
    http_request_t req = {
        .method = "POST",
        .url = url,
        .headers = hdrs,
        .nheaders = error_type ? 2 : 1,
        .body = (const uint8_t *)body,
        .body_len = len,
        .timeout_ms = POST_TIMEOUT_MS,
    };
    http_response_t resp;
    memset(&resp, 0, sizeof resp);
    err_t err;
    err_clear(&err);
    int rc = http_request(&req, &resp, &err);
    if (rc)
        log_msg(LOG_ERROR, "lambda: POST %s: %s", path, err.msg);
    else if (resp.status < 200 || resp.status > 299) {
        const char *t = http_response_text(&resp);
        char shown[300];
        snprintf(shown, sizeof shown, "%s", t ? t : "");
        log_msg(LOG_ERROR, "lambda: POST %s: HTTP %ld: %s", path, resp.status, shown);
        rc = -1;
    }
    http_response_free(&resp);
    return rc;
}

void lambda_init_error(const char *api, const char *error_type, const char *message)
{
    log_msg(LOG_ERROR, "lambda: initialisation failed: %s", message);
    char *body = error_json(error_type, message);
    if (body)
        post(api, "/init/error", body, strlen(body), error_type);
    free(body);
}

/* A request id fit for a URL path segment. */
static int valid_request_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 256)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return 0;
    }
    return 1;
}

static void invocation_error(const char *api, const char *id, const char *type, const char *message)
{
    char path[400];
    snprintf(path, sizeof path, "/invocation/%s/error", id);
    char *body = error_json(type, message);
    if (body)
        post(api, path, body, strlen(body), type);
    free(body);
}

int lambda_run(const char *api, const lambda_handler_t *h, size_t max_event)
{
    char url[1024];
    snprintf(url, sizeof url, "http://%s" API_PREFIX "/invocation/next", api);
    http_request_t next = {
        .method = "GET",
        .url = url,
        .timeout_ms = -1, /* a long poll: the next event may be hours away */
        .max_response = max_event,
    };
    http_response_t resp;
    memset(&resp, 0, sizeof resp);
    int failures = 0;
    for (;;) {
        err_t err;
        err_clear(&err);
        if (http_request(&next, &resp, &err) || resp.status != 200) {
            /* an event over the size limit: curl gave up reading it, but its id is in the header */
            char rid[300];
            if (resp.status == 200 &&
                http_response_header(&resp, "Lambda-Runtime-Aws-Request-Id", rid, sizeof rid) == 0 &&
                valid_request_id(rid)) {
                log_msg(LOG_ERROR, "lambda: invocation %s: %s", rid, err.msg);
                invocation_error(api, rid, "Runtime.EventTooLarge", "the event exceeds the size limit");
                continue;
            }
            /* the Runtime API answering an error means this environment is done; no answer at
             * all may be a moment's trouble: a few more tries, then give up (Lambda starts a new
             * environment) */
            if (resp.status) {
                log_msg(LOG_ERROR, "lambda: GET invocation/next: HTTP %ld; exiting", resp.status);
                http_response_free(&resp);
                return -1;
            }
            log_msg(LOG_ERROR, "lambda: GET invocation/next: %s", err.msg);
            if (++failures >= MAX_NEXT_FAILURES) {
                http_response_free(&resp);
                return -1;
            }
            usleep(100000u * (unsigned)failures);
            continue;
        }
        failures = 0;
        char rid[300], trace[1024];
        if (http_response_header(&resp, "Lambda-Runtime-Aws-Request-Id", rid, sizeof rid) || !valid_request_id(rid)) {
            log_msg(LOG_ERROR, "lambda: invocation/next without a usable Lambda-Runtime-Aws-Request-Id");
            continue;
        }
        if (http_response_header(&resp, "Lambda-Runtime-Trace-Id", trace, sizeof trace) == 0)
            setenv("_X_AMZN_TRACE_ID", trace, 1);
        else
            unsetenv("_X_AMZN_TRACE_ID");
        char deadline[32];
        if (http_response_header(&resp, "Lambda-Runtime-Deadline-Ms", deadline, sizeof deadline))
            deadline[0] = 0;
        log_msg(LOG_DEBUG, "lambda: invocation %s (deadline %s)", rid, deadline[0] ? deadline : "none");

        buf_t out = {0};
        char errmsg[600];
        errmsg[0] = 0;
        const char *event = resp.body.data ? (const char *)resp.body.data : "";
        char path[400];
        if (lambda_handle_event(h, event, resp.body.len, &out, errmsg, sizeof errmsg) == 0) {
            snprintf(path, sizeof path, "/invocation/%s/response", rid);
            post(api, path, out.data ? (const char *)out.data : "", out.len, NULL);
        } else {
            invocation_error(api, rid, "Runtime.InvalidEvent", errmsg[0] ? errmsg : "the event cannot be handled");
        }
        buf_free(&out);
    }
}
