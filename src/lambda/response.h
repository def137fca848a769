/* The response of an invocation in the shape its event family expects (DESIGN §8): payload 1.0
 * (API Gateway REST), 2.0 (HTTP API, Function URL) or an ALB target's, with statusDescription
 * and headers or multiValueHeaders as the request had them. Protobuf bodies travel as base64
 * (isBase64Encoded true), text and JSON as they are. */
#ifndef OTLP2PARQUET_LAMBDA_RESPONSE_H
#define OTLP2PARQUET_LAMBDA_RESPONSE_H

#include "http/otlp_handler.h"
#include "lambda/event.h"
#include "util/buf.h"

/* Appends the response JSON for rep to out (rep->body is not consumed). -1 when memory runs
 * out. LAMBDA_EV_NONE is answered in the 2.0 shape. */
int lambda_response_json(lambda_family_t family, int multi_value, const otlp_reply_t *rep, buf_t *out);

/* The reason phrase of an HTTP status ("OK", "Bad Request", ...; "Unknown" otherwise). */
const char *lambda_status_reason(int status);

#endif
