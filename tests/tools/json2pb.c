/* json2pb [--ndjson] logs|traces|metrics FILE: transcodes an OTLP/JSON request (FILE, "-" for
 * stdin) with otlp_json_to_pb and writes the protobuf bytes to stdout; on error prints the
 * message to stderr and exits 1 (2 for usage and I/O errors). With --ndjson, FILE holds one
 * request per line and the output is their protobuf encodings one after the other, which
 * protobuf reads as one request with all their resources (repeated fields concatenate).
 *
 * json2pb --descriptors: prints the descriptor tables (otlp/desc.h) as one JSON object per
 * message, for tests/e2e/test_otlp_json.py to compare with opentelemetry-proto's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/desc.h"
#include "otlp/json.h"
#include "util/buf.h"
#include "util/json_text.h"

#define MAX_INPUT ((size_t)1 << 30)

static const char *const kind_names[] = {
    [OD_STRING] = "string",   [OD_BYTES] = "bytes",     [OD_TRACE_ID] = "trace_id",
    [OD_SPAN_ID] = "span_id", [OD_BOOL] = "bool",       [OD_INT32] = "int32",
    [OD_UINT32] = "uint32",   [OD_SINT32] = "sint32",   [OD_FIXED32] = "fixed32",
    [OD_INT64] = "int64",     [OD_UINT64] = "uint64",   [OD_FIXED64] = "fixed64",
    [OD_SFIXED64] = "sfixed64", [OD_DOUBLE] = "double", [OD_ENUM] = "enum",
    [OD_MESSAGE] = "message",
};

static int dump_descriptors(void)
{
    const od_msg_t *seen[64];
    size_t n = 0;
    for (int s = 0; s < 3; s++)
        seen[n++] = od_request(s);
    buf_t b = {0};
    /* breadth first over every message reachable from the three requests */
    for (size_t i = 0; i < n; i++) {
        const od_msg_t *m = seen[i];
        b.len = 0;
        buf_printf(&b, "{\"message\": \"%s\", \"oneof\": %s%s%s, \"fields\": [", m->name,
                   m->oneof ? "\"" : "", m->oneof ? m->oneof : "null", m->oneof ? "\"" : "");
        for (uint32_t j = 0; j < m->nfields; j++) {
            const od_field_t *f = &m->fields[j];
            buf_printf(&b, "%s{\"json\": \"%s\", \"proto\": \"%s\", \"number\": %u, \"kind\": \"%s\", "
                           "\"repeated\": %s, \"presence\": %s, \"oneof\": %s",
                       j ? ", " : "", f->json, f->proto, f->num, kind_names[f->kind],
                       f->flags & OD_REPEATED ? "true" : "false", f->flags & OD_PRESENCE ? "true" : "false",
                       f->flags & OD_ONEOF ? "true" : "false");
            if (f->msg) {
                buf_printf(&b, ", \"type\": \"%s\"", f->msg->name);
                size_t k = 0;
                while (k < n && seen[k] != f->msg)
                    k++;
                if (k == n && n < sizeof seen / sizeof seen[0])
                    seen[n++] = f->msg;
            }
            if (f->enm) {
                buf_printf(&b, ", \"enum\": \"%s\", \"values\": [", f->enm->name);
                for (uint32_t v = 0; v < f->enm->n; v++)
                    buf_printf(&b, "%s\"%s\"", v ? ", " : "", f->enm->names[v]);
                buf_printf(&b, "]");
            }
            buf_printf(&b, "}");
        }
        buf_printf(&b, "]}\n");
        fwrite(b.data, 1, b.len, stdout);
    }
    buf_free(&b);
    return 0;
}

static int read_all(const char *path, buf_t *b)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    for (;;) {
        if (buf_reserve(b, 65536)) {
            fprintf(stderr, "json2pb: out of memory\n");
            return -1;
        }
        size_t got = fread(b->data + b->len, 1, 65536, f);
        b->len += got;
        if (b->len > MAX_INPUT) {
            fprintf(stderr, "json2pb: %s: over %zu bytes\n", path, MAX_INPUT);
            return -1;
        }
        if (got < 65536)
            break;
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--descriptors") == 0)
        return dump_descriptors();
    int ndjson = 0, a = 1;
    if (argc > 1 && strcmp(argv[1], "--ndjson") == 0)
        ndjson = 1, a++;
    if (argc - a != 2) {
        fprintf(stderr, "usage: json2pb [--ndjson] logs|traces|metrics FILE\n       json2pb --descriptors\n");
        return 2;
    }
    int signal = strcmp(argv[a], "logs") == 0 ? 0 : strcmp(argv[a], "traces") == 0 ? 1
               : strcmp(argv[a], "metrics") == 0 ? 2 : -1;
    if (signal < 0) {
        fprintf(stderr, "json2pb: unknown signal %s\n", argv[a]);
        return 2;
    }
    buf_t in = {0}, out = {0};
    if (read_all(argv[a + 1], &in)) {
        buf_free(&in);
        return 2;
    }
    err_t err;
    err_clear(&err);
    int rc = 0;
    const uint8_t *data = in.data ? in.data : (const uint8_t *)"";
    if (ndjson) {
        size_t pos = 0, line_len, lineno = 1;
        const uint8_t *line, *counted = data;
        while (otlp_ndjson_next(data, in.len, &pos, &line, &line_len)) {
            /* the line number of this line: one more than the newlines before it (counted
             * from where the last count stopped, so many lines stay linear) */
            for (; counted < line; counted++)
                lineno += *counted == '\n';
            if (otlp_json_to_pb(signal, line, line_len, &out, &err)) {
                fprintf(stderr, "json2pb: %s: line %zu: %s\n", argv[a + 1], lineno, err.msg);
                rc = 1;
                break;
            }
        }
    } else if (otlp_json_to_pb(signal, data, in.len, &out, &err)) {
        fprintf(stderr, "json2pb: %s: %s\n", argv[a + 1], err.msg);
        rc = 1;
    }
    if (rc == 0 && out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
        perror("stdout");
        rc = 2;
    }
    buf_free(&in);
    buf_free(&out);
    return rc;
}
