#include "ingest/content.h"

#include <string.h>
#include <strings.h>

#include "util/gzip.h"

static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static size_t skip_ws(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && is_ws(p[i]))
        i++;
    return i;
}

content_kind_t content_sniff(const uint8_t *p, size_t n)
{
    if (gzip_is_gzip(p, n))
        return CONTENT_GZIP;
    size_t i = 0;
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    i = skip_ws(p, n, i);
    if (i == n)
        return CONTENT_EMPTY;
    if (p[i] != '{')
        return CONTENT_PROTOBUF;
    i = skip_ws(p, n, i + 1);
    if (i < n && p[i] == '}')
        return CONTENT_JSON;
    if (i == n || p[i] != '"')
        return CONTENT_PROTOBUF;
    /* the first key: printable text up to its closing quote, then ':' */
    for (i++; i < n && p[i] != '"'; i++) {
        if (p[i] < 0x20)
            return CONTENT_PROTOBUF;
        if (p[i] == '\\')
            i++;
    }
    if (i >= n)
        return CONTENT_PROTOBUF;
    i = skip_ws(p, n, i + 1);
    return i < n && p[i] == ':' ? CONTENT_JSON : CONTENT_PROTOBUF;
}

size_t content_line_of(const uint8_t *p, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++)
        line += p[i] == '\n';
    return line;
}

int json_next_object(const uint8_t *p, size_t n, size_t *pos, size_t *start, size_t *len, err_t *err)
{
    size_t i = skip_ws(p, n, *pos);
    if (i == n) {
        *pos = n;
        return 0;
    }
    if (p[i] != '{')
        return err_set(err, ERR_INVALID, "line %zu: expected a JSON object ('{'), found 0x%02x", content_line_of(p, i),
                       p[i]);
    size_t first = i;
    size_t depth = 0;
    int in_str = 0;
    for (; i < n; i++) {
        uint8_t c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            break;
    }
    if (i >= n)
        return err_set(err, ERR_INVALID, "line %zu: the JSON object starting here does not end",
                       content_line_of(p, first));
    *start = first;
    *len = i + 1 - first;
    *pos = i + 1;
    return 1;
}

static int key_signal(const uint8_t *k, size_t n)
{
    static const struct {
        const char *key;
        int sig;
    } keys[] = {
        {"resourceLogs", SIG_LOGS},       {"resource_logs", SIG_LOGS},
        {"resourceSpans", SIG_TRACES},    {"resource_spans", SIG_TRACES},
        {"resourceMetrics", SIG_METRICS}, {"resource_metrics", SIG_METRICS},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i].key) == n && memcmp(keys[i].key, k, n) == 0)
            return keys[i].sig;
    return -1;
}

int json_signal(const uint8_t *p, size_t n)
{
    /* walk the object, looking at the keys of depth 1 only: a key is a string met where a key
     * is expected (after '{' or ',' of the top-level object) */
    size_t depth = 0;
    int want_key = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"') {
            size_t s = i + 1, e = s;
            while (e < n && p[e] != '"')
                e += p[e] == '\\' ? 2 : 1;
            if (e >= n)
                return -1;
            if (depth == 1 && want_key) {
                int sig = key_signal(p + s, e - s);
                if (sig >= 0)
                    return sig;
            }
            want_key = 0;
            i = e;
        } else if (c == '{' || c == '[') {
            depth++;
            want_key = depth == 1;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return -1;
            depth--;
        } else if (c == ',' && depth == 1) {
            want_key = 1;
        }
    }
    return -1;
}

int signal_parse(const char *s)
{
    if (!strcasecmp(s, "logs"))
        return SIG_LOGS;
    if (!strcasecmp(s, "traces") || !strcasecmp(s, "spans"))
        return SIG_TRACES;
    if (!strcasecmp(s, "metrics"))
        return SIG_METRICS;
    return -1;
}

int name_signal(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int found = -1;
    static const struct {
        const char *word;
        int sig;
    } words[] = {{"logs", SIG_LOGS}, {"traces", SIG_TRACES}, {"spans", SIG_TRACES}, {"metrics", SIG_METRICS}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (!strcasestr(base, words[i].word))
            continue;
        if (found >= 0 && found != words[i].sig)
            return -2;
        found = words[i].sig;
    }
    return found;
}
