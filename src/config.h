/* Configuration (DESIGN §5): OTLP2PARQUET_* environment variables, optionally a --config file of
 * KEY=VALUE lines, and command-line flags; flags win over the environment, which wins over the
 * file. Unknown OTLP2PARQUET_* names and bad values stop start-up with a message naming them. */
#ifndef OTLP2PARQUET_CONFIG_H
#define OTLP2PARQUET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct {
    char storage_backend[8]; /* "fs" or "s3" */
    char storage_path[4096];
    char s3_bucket[256], s3_prefix[1024], s3_region[64], s3_endpoint[1024];
    int s3_path_style; /* -1 auto, 0 no, 1 yes */
    size_t s3_multipart_threshold, s3_part_size;
    char listen_addr[300];
    size_t max_payload_bytes;
    uint64_t batch_max_rows;
    size_t batch_max_bytes;
    uint32_t batch_max_age_secs;
    size_t max_buffered_bytes; /* all batching buffers together; 0 until loaded: 4 x batch_max_bytes */
    int parquet_codec; /* pq_codec_t */
    int parquet_zstd_level;
    int log_level;
    bool log_json;
    bool iceberg_enabled;
    char iceberg_rest_uri[1024], iceberg_warehouse[512], iceberg_namespace[256];
    char iceberg_signing_name[64], iceberg_signing_region[64];
    char iceberg_token[4096], iceberg_credential[1024], iceberg_scope[256];
    char iceberg_partition[128];
    char aws_region[64]; /* AWS_REGION (or AWS_DEFAULT_REGION), "" when unset */
    bool lambda; /* AWS_LAMBDA_RUNTIME_API is set */
} config_t;

/* One flag given on the command line: the variable it sets (without the prefix) and its value. */
typedef struct {
    const char *key;
    const char *value;
} config_override_t;

/* Loads defaults, then the file (may be NULL), then the environment, then the overrides. */
int config_load(config_t *c, const char *file, const config_override_t *ov, size_t nov, err_t *err);

/* The list of variables with their defaults, for --help. */
void config_print_help(void);

#endif
