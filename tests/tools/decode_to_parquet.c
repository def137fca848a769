/* decode_to_parquet SIGNAL FILE DIR [--page-bytes N] [--row-group-bytes N]: decodes FILE, an
 * Export{Logs,Trace,Metrics}ServiceRequest in protobuf (SIGNAL is logs, traces or metrics), with
 * the decoders of src/otlp, and writes each table that got rows to DIR/<table>.parquet with the
 * Parquet writer (pq_write, default options unless overridden: small pages spread nested lists
 * over many pages). The end-to-end tests (tests/e2e/test_signals_parquet.py) read those files
 * back with pyarrow and DuckDB, so the decoders and the writer are checked against independent
 * readers until `convert` takes these signals.
 *
 * Prints one JSON object on stdout: {"rows": N, "rejected": N, "reject_msg": "...",
 * "tables": {"<table>": rows, ...}}. A request the decoder refuses: its message on stderr,
 * exit status 2. Other failures (usage, I/O, writer): exit status 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/content.h"
#include "ingest/signals.h"
#include "otlp/decode.h"
#include "parquet/writer.h"
#include "table/tables.h"
#include "util/buf.h"
#include "util/file_read.h"
#include "util/json_text.h"

_Noreturn static void die(const char *what, const char *detail)
{
    fprintf(stderr, "decode_to_parquet: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void read_file(const char *path, buf_t *out)
{
    err_t err;
    if (file_read_bounded(path, (size_t)1 << 31, out, &err))
        die(path, err.msg);
}

static void write_table(const table_batch_t *b, const char *dir, const pq_options_t *opt)
{
    buf_t file = {0};
    err_t err;
    if (pq_write(b, NULL, b->nrows, opt, &file, NULL, &err))
        die("pq_write", err.msg);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.parquet", dir, b->schema->name);
    FILE *f = fopen(path, "wb");
    if (!f)
        die(path, strerror(errno));
    if (fwrite(file.data, 1, file.len, f) != file.len || fclose(f) != 0)
        die(path, strerror(errno));
    buf_free(&file);
}

static size_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == 0 || *end != 0 || v == 0)
        die("not a positive number", s);
    return (size_t)v;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: decode_to_parquet logs|traces|metrics FILE DIR [--page-bytes N] "
                        "[--row-group-bytes N]\n");
        return 1;
    }
    const char *signal = argv[1], *in = argv[2], *dir = argv[3];
    pq_options_t opt;
    pq_options_default(&opt);
    for (int i = 4; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--page-bytes") == 0)
            opt.page_bytes = parse_size(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--row-group-bytes") == 0)
            opt.row_group_bytes = parse_size(argv[++i]);
        else
            die("unknown option", argv[i]);
    }
    if (tables_init() != 0)
        die("tables_init failed", NULL);

    buf_t req = {0};
    read_file(in, &req);
    /* the pipeline's own signal table: the decoder and the tables each signal fills */
    int sig = signal_parse(signal);
    if (sig < 0)
        die("unknown signal", signal);
    const signal_desc_t *d = signal_desc((otlp_signal_t)sig);
    table_batch_t batches[SIGNAL_MAX_TABLES];
    table_batch_t *out[SIGNAL_MAX_TABLES];
    int nb = d->ntables;
    for (int i = 0; i < nb; i++) {
        batch_init(&batches[i], d->tables[i]);
        out[i] = &batches[i];
    }
    otlp_decode_ctx_t ctx = {.now_ns = 1700000000000000000LL};
    err_t err;
    if (signal_decode((otlp_signal_t)sig, ENC_PROTOBUF, req.data ? req.data : (const uint8_t *)"", req.len, out, &ctx,
                      &err)) {
        fprintf(stderr, "%s\n", err.msg); /* "{signal} request: ..." */
        return 2;
    }

    buf_t js = {0};
    int bad = buf_printf(&js, "{\"rows\": %llu, \"rejected\": %llu, \"reject_msg\": ",
                         (unsigned long long)ctx.rows_added, (unsigned long long)ctx.rejected) ||
              json_put_string(&js, ctx.reject_msg, strlen(ctx.reject_msg)) || buf_append_str(&js, ", \"tables\": {");
    int first = 1;
    for (int i = 0; i < nb; i++) {
        if (batches[i].nrows == 0)
            continue;
        write_table(&batches[i], dir, &opt);
        bad = bad || buf_printf(&js, "%s\"%s\": %u", first ? "" : ", ", batches[i].schema->name, batches[i].nrows);
        first = 0;
    }
    bad = bad || buf_append_str(&js, "}}\n");
    if (bad)
        die("out of memory", NULL);
    fwrite(js.data, 1, js.len, stdout);
    buf_free(&js);
    for (int i = 0; i < nb; i++)
        batch_free(&batches[i]);
    buf_free(&req);
    return 0;
}
