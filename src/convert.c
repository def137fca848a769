#include "convert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest/content.h"
#include "util/buf.h"
#include "util/gzip.h"

/* Offline inputs can be far larger than an HTTP body, but a file must still fit in memory. */
#define CONVERT_MAX_FILE ((size_t)1 << 31)
/* gzip of gzip happens (a compressed export compressed again for transfer); more is a bomb */
#define MAX_GZIP_LAYERS 3
#define PROGRESS_EVERY_MS 100

static int read_all(const char *path, buf_t *out, err_t *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_IO, "%s", strerror(errno));
    int rc = 0;
    for (;;) {
        if (buf_reserve(out, 1 << 16)) {
            rc = err_set(err, ERR_NOMEM, "out of memory");
            break;
        }
        size_t n = fread(out->data + out->len, 1, out->cap - out->len, f);
        out->len += n;
        if (out->len > CONVERT_MAX_FILE) {
            rc = err_set(err, ERR_TOO_LARGE, "larger than %zu bytes", CONVERT_MAX_FILE);
            break;
        }
        if (n == 0) {
            if (ferror(f))
                rc = err_set(err, ERR_IO, "%s", strerror(errno));
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    return rc;
}

/* 1234567 -> "1.2 MB": inputs range from bytes to gigabytes */
static void human_bytes(uint64_t n, char *out, size_t outlen)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    snprintf(out, outlen, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static double now_secs(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct {
    ingest_t *ing;
    const convert_options_t *opt;
    int tty;       /* stderr is a terminal: draw the progress line */
    int drawn;     /* a progress line is on the screen */
    int nfiles, done;
    uint64_t records, rejected, bytes_in;
    double start, last_draw;
} run_t;

static void progress_clear(run_t *r)
{
    if (r->drawn) {
        fputs("\r\033[K", stderr);
        r->drawn = 0;
    }
}

static void progress_draw(run_t *r, int force)
{
    if (!r->tty || r->opt->quiet)
        return;
    double now = now_secs();
    if (!force && (now - r->last_draw) * 1000 < PROGRESS_EVERY_MS)
        return;
    r->last_draw = now;
    double secs = now - r->start;
    fprintf(stderr, "\r\033[Kotlp2parquet convert: %d/%d files, %llu records, %.1f MB/s", r->done, r->nfiles,
            (unsigned long long)r->records, secs > 0 ? (double)r->bytes_in / 1e6 / secs : 0.0);
    fflush(stderr);
    r->drawn = 1;
}

/* One request (or a run of JSON Lines) into the ingest. Buffers at their cap are written out
 * and the request tried once more: offline there is no client to retry later. */
static int submit(run_t *r, otlp_signal_t sig, otlp_encoding_t enc, const uint8_t *p, size_t n, err_t *err)
{
    ingest_result_t res;
    int rc = ingest_request(r->ing, sig, enc, p, n, &res, err);
    if (rc && err->code == ERR_UNAVAILABLE) {
        err_t ferr;
        err_clear(&ferr);
        if (ingest_flush(r->ing, &ferr)) {
            *err = ferr;
            return -1;
        }
        err_clear(err);
        rc = ingest_request(r->ing, sig, enc, p, n, &res, err);
    }
    if (rc)
        return -1;
    r->records += res.rows;
    if (res.rejected) {
        r->rejected += res.rejected;
        progress_clear(r);
        fprintf(stderr, "otlp2parquet convert: %llu records rejected: %s\n", (unsigned long long)res.rejected,
                res.message);
    }
    return 0;
}

static const char *signal_key(int sig)
{
    static const char *const k[] = {"resourceLogs", "resourceSpans", "resourceMetrics"};
    return sig >= 0 && sig < SIG_COUNT ? k[sig] : "?";
}

/* OTLP/JSON: every object a request; consecutive objects of one signal go in as one NDJSON body
 * (a file of one signal, the usual case, is then accepted or refused whole). */
static int convert_json(run_t *r, const uint8_t *p, size_t n, err_t *err)
{
    size_t pos = 0, start, len;
    size_t run_from = 0, run_to = 0, run_count = 0;
    int run_sig = -1;
    for (;;) {
        int more = json_next_object(p, n, &pos, &start, &len, err);
        if (more < 0)
            return -1;
        int sig = -1;
        if (more) {
            sig = json_signal(p + start, len);
            /* line numbers only for errors: counting them for every object made big files quadratic */
            if (sig < 0 && r->opt->signal < 0)
                return err_set(err, ERR_INVALID,
                               "line %zu: JSON without a resourceLogs, resourceSpans or resourceMetrics key at the "
                               "top level, so not an OTLP export request (for an empty request, pass --signal)",
                               content_line_of(p, start));
            if (sig < 0)
                sig = r->opt->signal;
            else if (r->opt->signal >= 0 && sig != r->opt->signal)
                return err_set(err, ERR_INVALID, "line %zu holds %s (%s), but --signal %s was given",
                               content_line_of(p, start), otlp_signal_name((otlp_signal_t)sig), signal_key(sig),
                               otlp_signal_name((otlp_signal_t)r->opt->signal));
        }
        if (run_count && (!more || sig != run_sig)) {
            if (submit(r, (otlp_signal_t)run_sig, run_count == 1 ? ENC_JSON : ENC_NDJSON, p + run_from,
                       run_to - run_from, err))
                return -1;
            run_from = run_to;
            run_count = 0;
        }
        if (!more)
            return 0;
        run_sig = sig;
        run_to = start + len;
        run_count++;
    }
}

static int convert_data(run_t *r, const char *path, const uint8_t *p, size_t n, err_t *err)
{
    buf_t inflated[2] = {{0}, {0}};
    int rc = 0, layers = 0;
    content_kind_t kind;
    while ((kind = content_sniff(p, n)) == CONTENT_GZIP) {
        if (layers == MAX_GZIP_LAYERS) {
            rc = err_set(err, ERR_INVALID, "gzip inside gzip more than %d times", MAX_GZIP_LAYERS);
            goto out;
        }
        buf_t *o = &inflated[layers % 2];
        buf_clear(o);
        if (gzip_inflate(p, n, CONVERT_MAX_FILE, o, err)) {
            rc = -1;
            goto out;
        }
        p = o->data ? o->data : (const uint8_t *)"";
        n = o->len;
        layers++;
    }
    switch (kind) {
    case CONTENT_EMPTY:
        rc = err_set(err, ERR_INVALID, "%s: no OTLP request in it", layers ? "empty after gzip" : "empty file");
        break;
    case CONTENT_JSON:
        rc = convert_json(r, p, n, err);
        break;
    default: {
        int sig = r->opt->signal >= 0 ? r->opt->signal : name_signal(path);
        if (sig == -2)
            rc = err_set(err, ERR_INVALID,
                         "protobuf input whose file name names more than one signal: pass --signal logs|traces|metrics");
        else if (sig < 0)
            rc = err_set(err, ERR_INVALID,
                         "protobuf input (neither gzip nor JSON), and its signal cannot be told from the bytes: "
                         "OTLP logs, traces and metrics requests all start with field 1. Pass --signal "
                         "logs|traces|metrics, or name the file after its signal (logs, traces or spans, metrics)");
        else
            rc = submit(r, (otlp_signal_t)sig, ENC_PROTOBUF, p, n, err);
    }
    }
out:
    buf_free(&inflated[0]);
    buf_free(&inflated[1]);
    return rc;
}

int convert_files(ingest_t *ing, char *const *files, int nfiles, const convert_options_t *opt)
{
    run_t r = {.ing = ing, .opt = opt, .tty = isatty(STDERR_FILENO), .nfiles = nfiles};
    r.start = now_secs();
    int failed = 0;
    buf_t data = {0};
    for (int i = 0; i < nfiles; i++) {
        err_t err;
        err_clear(&err);
        buf_clear(&data);
        const char *name = strcmp(files[i], "-") ? files[i] : "(stdin)";
        int rc = read_all(files[i], &data, &err);
        if (rc == 0) {
            r.bytes_in += data.len;
            rc = convert_data(&r, strcmp(files[i], "-") ? files[i] : "", data.data ? data.data : (const uint8_t *)"",
                              data.len, &err);
        }
        if (rc) {
            progress_clear(&r);
            fprintf(stderr, "otlp2parquet convert: %s: %s\n", name, err.msg);
            failed++;
        }
        r.done++;
        progress_draw(&r, i + 1 == nfiles);
    }
    buf_free(&data);
    err_t err;
    err_clear(&err);
    int flush_failed = ingest_flush(ing, &err) != 0;
    progress_clear(&r);
    if (flush_failed)
        fprintf(stderr, "otlp2parquet convert: writing the output: %s\n", err.msg);
    if (!opt->quiet) {
        ingest_stats_t st;
        ingest_stats(ing, &st);
        double secs = now_secs() - r.start;
        char rejected[64] = "", in[32];
        if (r.rejected)
            snprintf(rejected, sizeof rejected, " (%llu rejected)", (unsigned long long)r.rejected);
        human_bytes(r.bytes_in, in, sizeof in);
        fprintf(stderr,
                "otlp2parquet convert: %llu records%s from %d of %d files, %s in %.2f s (%.1f MB/s); "
                "%llu Parquet files, %llu rows written\n",
                (unsigned long long)r.records, rejected, nfiles - failed, nfiles, in, secs,
                secs > 0 ? (double)r.bytes_in / 1e6 / secs : 0.0, (unsigned long long)st.files_written,
                (unsigned long long)st.rows_written);
    }
    return failed + flush_failed;
}
