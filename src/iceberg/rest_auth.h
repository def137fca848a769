/* Authentication of Iceberg REST requests: SigV4 (service glue / s3tables, the exact bytes sent,
 * body hash included), a bearer token, OAuth2 client credentials (token fetched from the token
 * endpoint, cached, refreshed before expires_in), or none. Secrets are never logged. */
#ifndef OTLP2PARQUET_ICEBERG_REST_AUTH_H
#define OTLP2PARQUET_ICEBERG_REST_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "config.h"
#include "net/http_client.h"
#include "util/err.h"

typedef enum { REST_AUTH_NONE, REST_AUTH_BEARER, REST_AUTH_OAUTH2, REST_AUTH_SIGV4 } rest_auth_mode_t;

typedef struct rest_auth rest_auth_t;

/* One request as it goes on the wire. */
typedef struct {
    const char *method;
    const char *host; /* Host header: host[:port] without a default port, lowercase */
    const char *path; /* percent-encoded, as sent */
    const sigv4_param_t *params; /* decoded query */
    size_t nparams;
    const char *content_type; /* NULL: none */
    const uint8_t *body;
    size_t body_len;
} rest_wire_t;

/* The headers to add; storage for their values. */
typedef struct {
    http_header_t h[6];
    size_t n;
    char bearer[4200];
    char date[17], sha[65];
    aws_credentials_t cr;
    sigv4_result_t sr;
} rest_auth_headers_t;

/* host: the catalog's host (for the SigV4 service default). base_uri for the OAuth2 default
 * token endpoint {uri}/v1/oauth/tokens. */
rest_auth_t *rest_auth_new(const config_t *cfg, const char *host, const char *base_uri, err_t *err);
void rest_auth_free(rest_auth_t *a);
rest_auth_mode_t rest_auth_mode(const rest_auth_t *a);
const char *rest_auth_describe(const rest_auth_t *a);
/* The catalog config's oauth2-server-uri (absolute, or relative to the base uri). */
int rest_auth_set_token_endpoint(rest_auth_t *a, const char *uri, err_t *err);
int rest_auth_apply(rest_auth_t *a, const rest_wire_t *w, rest_auth_headers_t *out, err_t *err);
void rest_auth_headers_free(rest_auth_headers_t *h);
/* After a 401: forget the cached token. */
void rest_auth_invalidate(rest_auth_t *a);

#endif
