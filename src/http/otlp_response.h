/* OTLP/HTTP response bodies, shared by the HTTP server and the Lambda handler: the
 * Export*ServiceResponse of a success and the google.rpc.Status of a failure, in protobuf or
 * JSON to match the request, plus the mapping from our error codes to HTTP and gRPC codes. */
#ifndef OTLP2PARQUET_HTTP_OTLP_RESPONSE_H
#define OTLP2PARQUET_HTTP_OTLP_RESPONSE_H

#include "ingest/ingest.h"
#include "util/buf.h"
#include "util/err.h"

/* gRPC status codes used in google.rpc.Status.code. */
enum {
    GRPC_OK = 0,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_NOT_FOUND = 5,
    GRPC_RESOURCE_EXHAUSTED = 8,
    GRPC_UNIMPLEMENTED = 12,
    GRPC_INTERNAL = 13,
    GRPC_UNAVAILABLE = 14,
};

/* "application/x-protobuf" for ENC_PROTOBUF, "application/json" for JSON and NDJSON (one
 * response answers the whole request). */
const char *otlp_response_content_type(otlp_encoding_t enc);

/* Appends the Export{Logs,Trace,Metrics}ServiceResponse for a request that succeeded: empty
 * (protobuf: zero bytes, JSON: {}) or with partial_success when res->rejected > 0 or
 * res->message is set. Returns -1 when memory runs out. */
int otlp_export_response(buf_t *out, otlp_signal_t sig, otlp_encoding_t enc, const ingest_result_t *res);

/* Appends a google.rpc.Status {code, message}. The message is made valid UTF-8 (invalid bytes
 * become U+FFFD), as both proto3 strings and JSON require. Returns -1 when memory runs out. */
int otlp_status_response(buf_t *out, otlp_encoding_t enc, int grpc_code, const char *message);

/* The HTTP status of an error code: 400, 413, 415, 503 (ERR_NOMEM, ERR_UNAVAILABLE), else 500. */
int otlp_http_status(err_code_t code);

/* The gRPC code that goes with an HTTP error status (400 -> 3, 404 -> 5, 413 -> 8, ...). */
int otlp_grpc_code(int http_status);

#endif
