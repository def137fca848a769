/* The sources behind the credential chain (src/aws/credentials.c), one file each: the shared
 * config files (cred_profile.c), and the two HTTP endpoints, container and instance metadata
 * (cred_http.c). Internal to src/aws. Error messages name the source and the field, never a
 * secret value. */
#ifndef OTLP2PARQUET_AWS_CRED_SOURCES_H
#define OTLP2PARQUET_AWS_CRED_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "aws/credentials.h"
#include "util/err.h"

/* Checks one value: non-empty (unless optional), shorter than cap, printable ASCII without
 * spaces. On failure err (ERR_INVALID) reads "SOURCE: FIELD is empty|too long|not printable". */
int cred_check_field(const char *source, const char *field, const char *v, size_t cap, int optional,
                     err_t *err);
/* Copies v (n bytes) into out (cap bytes) after the same checks. */
int cred_copy_field(const char *source, const char *field, const char *v, size_t n, char *out,
                    size_t cap, int optional, err_t *err);

/* ---- profiles (cred_profile.c) ---- */

/* Reads profile `name` from the credentials file and the config file (either path may be NULL
 * or name a missing file). *found: 0 when the profile is in neither file, 1 when it is. When
 * it has aws_access_key_id and aws_secret_access_key, *has_keys = 1 and out is filled (values
 * in the credentials file win over the config file). -1 on an unreadable or oversized file,
 * a profile with half a key pair, or a malformed value (ERR_CONFIG). */
int cred_profile_load(const char *name, const char *creds_path, const char *config_path, int *found,
                      int *has_keys, aws_credentials_t *out, err_t *err);

/* ---- HTTP endpoints (cred_http.c) ---- */

/* The JSON document both endpoints answer with ({"AccessKeyId", "SecretAccessKey", "Token",
 * "Expiration", optionally "Code"}) into out. source names it in errors. */
int cred_parse_json(const char *source, const char *text, size_t len, aws_credentials_t *out,
                    err_t *err);

/* Whether an http:// container URL may be used: its host must be loopback or one of the
 * link-local container endpoints. 1 yes, 0 no. host is the authority part (no user info). */
int cred_container_host_allowed(const char *host);

typedef struct {
    const char *url;             /* full URL */
    const char *auth_token;      /* AWS_CONTAINER_AUTHORIZATION_TOKEN or NULL */
    const char *auth_token_file; /* AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or NULL (wins) */
} cred_container_t;

/* One GET of the container endpoint. ERR_UNAVAILABLE when it cannot be reached or does not
 * answer 200, ERR_CONFIG for an unreadable or malformed token file, ERR_INVALID for a bad
 * document. */
int cred_container_fetch(const cred_container_t *c, aws_credentials_t *out, err_t *err);

typedef struct {
    char endpoint[512];  /* without a trailing slash */
    char token[1024];    /* the IMDSv2 session token, "" before the first */
    int64_t token_expires_ms;
    int ever_answered;   /* IMDS answered once: later transport errors are outages */
} cred_imds_t;

/* Token, role name, role credentials. ERR_CONFIG when nothing answers at the endpoint (no
 * instance metadata here) or no role is attached, ERR_UNAVAILABLE for other failures. */
int cred_imds_fetch(cred_imds_t *m, aws_credentials_t *out, err_t *err);

int64_t cred_now_ms(void);

#endif
