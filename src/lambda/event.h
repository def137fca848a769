/* Lambda invocation events of the HTTP families (DESIGN §8): API Gateway REST (payload 1.0),
 * HTTP API and Function URLs (payload 2.0), and Application Load Balancer targets. Parses an
 * event into method, path (stage prefix stripped), headers (names lowercased, so lookups are
 * case-insensitive) and the body (base64 decoded when isBase64Encoded). Every size is bounded. */
#ifndef OTLP2PARQUET_LAMBDA_EVENT_H
#define OTLP2PARQUET_LAMBDA_EVENT_H

#include <stddef.h>

#include "util/buf.h"

#define LAMBDA_MAX_HEADERS 256
#define LAMBDA_MAX_HEADER_NAME 256
#define LAMBDA_MAX_HEADER_VALUE 8192
#define LAMBDA_MAX_PATH 4096

typedef enum { LAMBDA_EV_NONE = 0, LAMBDA_EV_APIGW_V1, LAMBDA_EV_HTTP_V2, LAMBDA_EV_ALB } lambda_family_t;

typedef struct {
    char *name;  /* lowercased */
    char *value; /* repeated headers joined with ", " */
} lambda_header_t;

typedef struct {
    lambda_family_t family;
    int multi_value; /* the request used multiValueHeaders: an ALB answers in kind */
    char method[16];
    char path[LAMBDA_MAX_PATH];
    lambda_header_t headers[LAMBDA_MAX_HEADERS];
    size_t nheaders;
    buf_t body; /* decoded */
} lambda_event_t;

/* Parses event[0..len). Returns 0 when it is a well-formed HTTP event. Otherwise ev->family
 * tells whether it is still an HTTP event (answered with a 400 in the family's shape: msg says
 * why) or LAMBDA_EV_NONE (not JSON, or no known shape: a runtime error). max_body bounds the
 * decoded body; a longer one sets *too_large (413) instead. ev is zeroed first; free it with
 * lambda_event_free in every case. */
int lambda_event_parse(const char *event, size_t len, size_t max_body, lambda_event_t *ev, int *too_large,
                       char *msg, size_t msglen);

/* The header's value (name in any case), NULL when absent. */
const char *lambda_event_header(const lambda_event_t *ev, const char *name);

void lambda_event_free(lambda_event_t *ev);

#endif
