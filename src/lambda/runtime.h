/* The AWS Lambda Runtime API client (a custom runtime, provided.al2023): the loop of
 * GET /2018-06-01/runtime/invocation/next (a long poll, no timeout), the handler, and
 * POST .../invocation/{id}/response (or /error when nothing can be answered); and
 * POST .../runtime/init/error when start-up fails. api is AWS_LAMBDA_RUNTIME_API ("host:port"). */
#ifndef OTLP2PARQUET_LAMBDA_RUNTIME_H
#define OTLP2PARQUET_LAMBDA_RUNTIME_H

#include <stddef.h>

#include "lambda/handler.h"

/* Reports a failed initialisation (errorType e.g. "Runtime.ConfigError"). The caller exits
 * non-zero after it. */
void lambda_init_error(const char *api, const char *error_type, const char *message);

/* Serves invocations until the Runtime API fails (-1, logged); events longer than max_event
 * bytes are answered with /error. */
int lambda_run(const char *api, const lambda_handler_t *h, size_t max_event);

/* The largest event worth reading for bodies of max_body bytes: base64 of max_body plus 1 MiB
 * of headers and request context. */
size_t lambda_max_event(size_t max_body);

#endif
