/* libFuzzer target: arbitrary bytes as a Lambda invocation event. The event parser, the router
 * (no ingest behind it: an export that passes the checks is answered 503) and the response
 * shaping. Besides the sanitizers' checks: a parsed event keeps within its bounds (headers,
 * names lowercased, decoded body), a failure always says why, and every response is valid
 * JSON with statusCode, body and isBase64Encoded. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/otlp_handler.h"
#include "lambda/event.h"
#include "lambda/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }

#define MAX_BODY 4096

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_lambda_event: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lambda_event_t ev;
    int too_large = 0;
    char msg[300];
    otlp_reply_t rep;
    memset(&rep, 0, sizeof rep);
    otlp_route_t rt;
    memset(&rt, 0, sizeof rt);
    if (lambda_event_parse((const char *)data, size, MAX_BODY, &ev, &too_large, msg, sizeof msg)) {
        if (!msg[0])
            fail("a failure without a message");
        if (ev.family == LAMBDA_EV_NONE) {
            lambda_event_free(&ev);
            return 0;
        }
        if (otlp_error_reply(&rep, &rt, too_large ? 413 : 400, NULL, msg))
            fail("out of memory");
    } else {
        if (ev.nheaders > LAMBDA_MAX_HEADERS || ev.body.len > MAX_BODY || !ev.method[0] || ev.path[0] != '/')
            fail("a parsed event beyond its bounds");
        for (size_t i = 0; i < ev.nheaders; i++) {
            for (const char *p = ev.headers[i].name; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    fail("a header name not lowercased");
            if (strlen(ev.headers[i].value) > LAMBDA_MAX_HEADER_VALUE)
                fail("a header value over the limit");
        }
        int st = otlp_route(ev.method, ev.path, lambda_event_header(&ev, "content-type"),
                            lambda_event_header(&ev, "content-encoding"), &rt, &rep);
        if (st < 0)
            fail("out of memory");
        if (st == 0 && rt.route == OTLP_ROUTE_HEALTH && otlp_health_reply(&rep))
            fail("out of memory");
        if (st == 0 && rt.route != OTLP_ROUTE_HEALTH && otlp_error_reply(&rep, &rt, 503, NULL, "no ingest (fuzz)"))
            fail("out of memory");
    }
    buf_t out = {0};
    if (lambda_response_json(ev.family, ev.multi_value, &rep, &out))
        fail("response shaping failed");
    json_t *j = json_loadb((const char *)out.data, out.len, 0, NULL);
    if (!j || !json_is_integer(json_object_get(j, "statusCode")) || !json_is_string(json_object_get(j, "body")) ||
        !json_is_boolean(json_object_get(j, "isBase64Encoded")))
        fail("a response that is not the expected JSON");
    json_decref(j);
    buf_free(&out);
    otlp_reply_free(&rep);
    lambda_event_free(&ev);
    return 0;
}
