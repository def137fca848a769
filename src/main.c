/* otlp2parquet: command line. Chooses the mode (server, convert; Lambda later), loads the
 * configuration and wires storage -> ingest -> front end. With AWS_LAMBDA_RUNTIME_API set (a
 * Lambda custom runtime), the default mode is the Lambda loop (src/lambda) instead of the server. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "check_command.h"
#include "config.h"
#include "convert.h"
#include "http/server.h"
#include "ingest/content.h"
#include "iceberg/committer.h"
#include "ingest/ingest.h"
#include "lambda/runtime.h"
#include "net/http_client.h"
#include "parquet/writer.h"
#include "storage/storage.h"
#include "table/tables.h"
#include "util/log.h"
#include "util/version.h"

static void usage(FILE *out)
{
    fprintf(out,
            "otlp2parquet %s: OpenTelemetry (OTLP) logs, traces and metrics to Parquet files.\n"
            "\n"
            "Usage:\n"
            "  otlp2parquet [serve] [options]          OTLP/HTTP server (POST /v1/logs, ...)\n"
            "  otlp2parquet convert [options] FILE...  convert OTLP export files offline ('-' = stdin)\n"
            "  otlp2parquet check [options]            try the configured storage (write, read back and delete\n"
            "                                          a probe object) and, with Iceberg, the catalog (config,\n"
            "                                          namespace, tables); print each step, its error and a hint\n"
            "  otlp2parquet --help | --version\n"
            "\n"
            "With AWS_LAMBDA_RUNTIME_API set (an AWS Lambda custom runtime, e.g. as `bootstrap`), serve\n"
            "answers Lambda invocations (API Gateway REST and HTTP API, Function URL and ALB events)\n"
            "through the Runtime API instead of listening; each invocation is written before it is answered.\n"
            "\n"
            "Options:\n"
            "  --config FILE         KEY=VALUE lines (OTLP2PARQUET_ prefix optional); the environment wins\n"
            "  --listen HOST:PORT    sets OTLP2PARQUET_LISTEN_ADDR\n"
            "  -o, --output DIR      sets OTLP2PARQUET_STORAGE_PATH (also --storage-path)\n"
            "  --compression C       sets OTLP2PARQUET_PARQUET_COMPRESSION (zstd, snappy, none)\n"
            "  --log-level L         sets OTLP2PARQUET_LOG_LEVEL\n"
            "  --signal S            convert: the signal of protobuf input (logs, traces, metrics); needed\n"
            "                        when a file name does not say it (JSON input names its signal itself)\n"
            "  -q, --quiet           convert: no progress line, no summary (errors only)\n"
            "\n",
            otlp2parquet_version);
    if (out == stdout)
        config_print_help();
}

typedef struct {
    const char *flag, *alt, *key;
} flag_t;

static const flag_t flags[] = {
    {"--listen", NULL, "LISTEN_ADDR"},
    {"--output", "-o", "STORAGE_PATH"},
    {"--storage-path", NULL, "STORAGE_PATH"},
    {"--compression", NULL, "PARQUET_COMPRESSION"},
    {"--log-level", NULL, "LOG_LEVEL"},
};

static int run(int argc, char **argv, char **files);

/* A start-up failure: the message on stderr and, in Lambda (api set), to the Runtime API's
 * init/error. Returns rc. */
__attribute__((format(printf, 4, 5))) static int fail_init(const char *api, int rc, const char *type,
                                                           const char *fmt, ...)
{
    char msg[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "otlp2parquet: %s\n", msg);
    if (api)
        lambda_init_error(api, type, msg);
    return rc;
}

/* The configured backend. For s3 also the HTTP client and the AWS credential chain (*creds,
 * freed by the caller after the storage): credentials are looked up once now, so the start-up
 * log can say where they come from and a missing set shows at once (as a warning: they may
 * appear later, e.g. once instance metadata answers). */
static storage_t *open_storage(const config_t *cfg, aws_cred_provider_t **creds, err_t *err)
{
    if (strcmp(cfg->storage_backend, "s3"))
        return storage_fs_open(cfg->storage_path, err);
    if (http_client_global_init(err))
        return NULL;
    *creds = aws_cred_chain_new(NULL, err);
    if (!*creds) {
        http_client_global_cleanup();
        return NULL;
    }
    storage_s3_options_t o = {
        .bucket = cfg->s3_bucket,
        .prefix = cfg->s3_prefix,
        .region = cfg->s3_region,
        .endpoint = cfg->s3_endpoint,
        .path_style = cfg->s3_path_style,
        .multipart_threshold = cfg->s3_multipart_threshold,
        .part_size = cfg->s3_part_size,
        .creds = *creds,
    };
    storage_t *s = storage_s3_open(&o, err);
    if (!s)
        return NULL;
    aws_credentials_t c;
    err_t cerr;
    err_clear(&cerr);
    if (aws_cred_get(*creds, &c, &cerr))
        log_msg(LOG_WARN, "AWS credentials: %s", cerr.msg);
    explicit_bzero(&c, sizeof c);
    return s;
}

int main(int argc, char **argv)
{
    /* every input file name fits: at most argc of them */
    char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files)
        return 1;
    int rc = run(argc, argv, files);
    free(files);
    return rc;
}

static int run(int argc, char **argv, char **files)
{
    const char *mode = "serve";
    const char *lambda_api = NULL; /* Lambda mode: the Runtime API's host:port */
    const char *config_file = NULL;
    config_override_t ov[16];
    size_t nov = 0;
    int nfiles = 0, quiet = 0;
    const char *signal_flag = NULL;

    int i = 1;
    if (i < argc && argv[i][0] != '-') {
        mode = argv[i++];
        if (strcmp(mode, "serve") && strcmp(mode, "convert") && strcmp(mode, "check")) {
            fprintf(stderr, "otlp2parquet: unknown command '%s' (try --help)\n", mode);
            return 2;
        }
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--version")) {
            printf("otlp2parquet version %s (build %s)\n", otlp2parquet_version, otlp2parquet_build);
            return 0;
        }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(a, "--signal")) {
            if (++i >= argc) {
                fprintf(stderr, "otlp2parquet: --signal needs logs, traces or metrics\n");
                return 2;
            }
            signal_flag = argv[i];
            continue;
        }
        if (!strcmp(a, "--config")) {
            if (++i >= argc) {
                fprintf(stderr, "otlp2parquet: --config needs a file\n");
                return 2;
            }
            config_file = argv[i];
            continue;
        }
        const flag_t *f = NULL;
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
            if (!strcmp(a, flags[k].flag) || (flags[k].alt && !strcmp(a, flags[k].alt)))
                f = &flags[k];
        if (f) {
            if (++i >= argc || nov >= sizeof ov / sizeof ov[0]) {
                fprintf(stderr, "otlp2parquet: %s needs a value\n", a);
                return 2;
            }
            ov[nov++] = (config_override_t){f->key, argv[i]};
            continue;
        }
        if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "otlp2parquet: unknown option '%s' (try --help)\n", a);
            return 2;
        }
        if (strcmp(mode, "convert")) {
            fprintf(stderr, "otlp2parquet: unexpected argument '%s' (try --help)\n", a);
            return 2;
        }
        files[nfiles++] = argv[i];
    }

    err_t err;
    err_clear(&err);
    if (!strcmp(mode, "serve")) {
        const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
        if (api && *api)
            lambda_api = api;
    }
    config_t cfg;
    if (config_load(&cfg, config_file, ov, nov, &err))
        return fail_init(lambda_api, 2, "Runtime.ConfigError", "configuration: %s", err.msg);
    log_setup(cfg.log_level, cfg.log_json);
    if (tables_init())
        return fail_init(lambda_api, 1, "Runtime.InternalError", "internal error: malformed table schema");
    if (!strcmp(mode, "convert") && nfiles == 0) {
        fprintf(stderr, "otlp2parquet convert: no input files (try --help)\n");
        return 2;
    }
    convert_options_t copt = {.signal = -1, .quiet = quiet};
    if (signal_flag) {
        if (strcmp(mode, "convert")) {
            fprintf(stderr, "otlp2parquet: --signal is an option of convert\n");
            return 2;
        }
        copt.signal = signal_parse(signal_flag);
        if (copt.signal < 0) {
            fprintf(stderr, "otlp2parquet convert: --signal %s: want logs, traces or metrics\n", signal_flag);
            return 2;
        }
    }

    aws_cred_provider_t *creds = NULL;
    storage_t *storage = open_storage(&cfg, &creds, &err);
    if (!storage) {
        int src = fail_init(lambda_api, err.code == ERR_CONFIG ? 2 : 1, "Runtime.StorageError", "storage: %s",
                            err.msg);
        aws_cred_free(creds);
        if (creds)
            http_client_global_cleanup();
        return src;
    }
    char where[2048];
    storage_describe(storage, NULL, where, sizeof where);
    if (!strcmp(mode, "check")) {
        int crc = check_storage(&cfg, storage, stdout) ? 1 : 0;
        storage_destroy(storage);
        if (cfg.iceberg_enabled && check_catalog(&cfg, stdout))
            crc = 1;
        aws_cred_free(creds);
        if (creds || cfg.iceberg_enabled)
            http_client_global_cleanup();
        return crc;
    }
    ice_committer_t *ice = NULL;
    if (cfg.iceberg_enabled) {
        if (!creds && http_client_global_init(&err) == 0)
            creds = aws_cred_chain_new(NULL, &err); /* for s3:// table locations without vended credentials */
        ice = creds ? ice_committer_open(&cfg, creds, &err) : NULL;
        if (!ice) {
            int irc = fail_init(lambda_api, err.code == ERR_CONFIG ? 2 : 1, "Runtime.CatalogError",
                                "Iceberg catalog %s: %s", cfg.iceberg_rest_uri, err.msg);
            storage_destroy(storage);
            aws_cred_free(creds);
            if (creds)
                http_client_global_cleanup();
            return irc;
        }
        snprintf(where, sizeof where, "Iceberg tables in namespace %s of %s", cfg.iceberg_namespace,
                 cfg.iceberg_rest_uri);
    }
    ingest_config_t icfg;
    ingest_config_default(&icfg);
    icfg.storage = storage;
    icfg.iceberg = ice;
    icfg.max_payload = cfg.max_payload_bytes;
    icfg.parquet.codec = (pq_codec_t)cfg.parquet_codec;
    icfg.parquet.zstd_level = cfg.parquet_zstd_level;
    static const char *const kv_keys[] = {"otlp2parquet.schema_version"};
    static const char *const kv_vals[] = {"1"};
    icfg.parquet.nkv = 1;
    icfg.parquet.kv_keys = kv_keys;
    icfg.parquet.kv_vals = kv_vals;
    /* the server and convert batch; Lambda writes (and commits) each invocation before answering */
    icfg.mode = lambda_api ? INGEST_IMMEDIATE : INGEST_BATCHED;
    icfg.batch_max_rows = cfg.batch_max_rows;
    icfg.batch_max_bytes = cfg.batch_max_bytes;
    icfg.batch_max_age_secs = cfg.batch_max_age_secs;
    icfg.max_buffered_bytes = cfg.max_buffered_bytes;
    if (!strcmp(mode, "convert"))
        icfg.max_payload = (size_t)1 << 31;

    ingest_t *ing = ingest_new(&icfg, &err);
    int rc = 0;
    if (!ing) {
        rc = fail_init(lambda_api, 1, "Runtime.InitError", "%s", err.msg);
    } else if (lambda_api) {
        lambda_handler_t lh = {.ingest = ing, .storage = storage, .iceberg = ice, .max_body = cfg.max_payload_bytes};
        log_msg(LOG_INFO, "otlp2parquet %s in AWS Lambda (Runtime API %s), writing Parquet to %s", otlp2parquet_version,
                lambda_api, where);
        rc = lambda_run(lambda_api, &lh, lambda_max_event(cfg.max_payload_bytes)) ? 1 : 0;
    } else if (!strcmp(mode, "convert")) {
        /* no timer: an offline run flushes when buffers are full and at the end, so the age
         * of a buffer never cuts a file short */
        rc = convert_files(ing, files, nfiles, &copt) ? 1 : 0;
    } else if (ingest_start(ing, &err)) {
        fprintf(stderr, "otlp2parquet: %s\n", err.msg);
        rc = 1;
    } else {
        http_server_config_t hcfg = {
            .listen_addr = cfg.listen_addr,
            .max_body = cfg.max_payload_bytes,
            .ingest = ing,
            .storage = storage,
        };
        const char *src = creds ? aws_cred_source(creds) : NULL;
        int none = src && !strcmp(src, "none");
        log_msg(LOG_INFO,
                "otlp2parquet %s listening on %s, writing Parquet to %s%s%s (files of at most %llu rows / %zu bytes, "
                "after %u s; %zu bytes buffered at most)",
                otlp2parquet_version, cfg.listen_addr, where,
                !src ? "" : none ? ", no AWS credentials yet" : ", AWS credentials from ", src && !none ? src : "",
                (unsigned long long)cfg.batch_max_rows, cfg.batch_max_bytes, cfg.batch_max_age_secs,
                cfg.max_buffered_bytes);
        if (http_serve_until_signal(&hcfg, &err)) {
            log_msg(LOG_ERROR, "server: %s", err.msg);
            rc = 1;
        }
    }
    ingest_free(ing);
    ice_committer_close(ice); /* after the last flush: retries what is pending once more */
    storage_destroy(storage);
    if (creds) {
        aws_cred_free(creds);
        http_client_global_cleanup(); /* every other thread has ended */
    } else if (lambda_api) {
        http_client_global_cleanup(); /* the Runtime API client's handle */
    }
    return rc;
}
