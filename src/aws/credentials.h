/* AWS credentials from the standard chain, in its order: the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), a profile (AWS_PROFILE, default "default", from
 * AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials and AWS_CONFIG_FILE or ~/.aws/config),
 * container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI, with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE; ECS, EKS Pod Identity, Lambda's own are in the
 * environment), EC2 instance metadata v2 (AWS_EC2_METADATA_SERVICE_ENDPOINT, default
 * http://169.254.169.254; AWS_EC2_METADATA_DISABLED=true skips it). Temporary credentials are
 * cached and fetched again before they expire. Secrets are never logged. */
#ifndef OTLP2PARQUET_AWS_CREDENTIALS_H
#define OTLP2PARQUET_AWS_CREDENTIALS_H

#include <stdint.h>

#include "util/err.h"

typedef struct {
    char access_key[256];
    char secret_key[256];
    char session_token[4096]; /* "" when not temporary */
    int64_t expires_ms;       /* Unix ms; 0 = does not expire */
} aws_credentials_t;

typedef struct aws_cred_provider aws_cred_provider_t;

typedef struct {
    /* Base URL for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; NULL = "http://169.254.170.2". Tests
     * point it at a loopback stand-in. */
    const char *container_relative_base;
    /* Refresh temporary credentials this long before they expire; 0 = 5 minutes. */
    int64_t refresh_before_ms;
} aws_cred_options_t;

/* Reads the environment once; opts may be NULL. Fails (ERR_CONFIG) only for a malformed setting,
 * e.g. a profile named by AWS_PROFILE that does not exist. */
aws_cred_provider_t *aws_cred_chain_new(const aws_cred_options_t *opts, err_t *err);

/* Fixed credentials (e.g. those an Iceberg catalog vends for a table's files); source names them
 * in logs ("vended by the catalog for logs"). The session token may be NULL or "". */
aws_cred_provider_t *aws_cred_static_new(const char *source, const char *access_key, const char *secret_key,
                                         const char *session_token, err_t *err);

/* Current credentials (thread-safe). Fetches them on first use and again when they are within
 * refresh_before_ms of their expiry; an endpoint that fails while cached credentials are still
 * valid keeps those. err names the source that failed and why (ERR_UNAVAILABLE when the endpoint
 * is unreachable, ERR_CONFIG when no source has credentials). */
int aws_cred_get(aws_cred_provider_t *p, aws_credentials_t *out, err_t *err);

/* Forgets cached credentials (after the service said they are expired or invalid). */
void aws_cred_invalidate(aws_cred_provider_t *p);

/* Where the last credentials came from: "environment", "profile NAME", "container", "imds";
 * "none" before the first success. */
const char *aws_cred_source(const aws_cred_provider_t *p);

void aws_cred_free(aws_cred_provider_t *p);

#endif
