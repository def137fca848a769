#include "storage/s3_util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Bucket names are DNS labels in practice; anything else would need escaping in a Host header
 * or a path, and is far more likely a typo than a real bucket. */
static int bucket_check(const char *b, err_t *err)
{
    size_t n = b ? strlen(b) : 0;
    if (n == 0)
        return err_set(err, ERR_CONFIG, "s3: empty bucket name");
    if (n > 255)
        return err_set(err, ERR_CONFIG, "s3: bucket name of %zu bytes", n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_')
            return err_set(err, ERR_CONFIG, "s3: bucket name \"%.255s\" contains '%c'", b, isprint(c) ? c : '?');
    }
    return 0;
}

int s3_target_init(s3_target_t *t, const char *bucket, const char *region, const char *endpoint, int path_style,
                   err_t *err)
{
    memset(t, 0, sizeof *t);
    if (bucket_check(bucket, err))
        return -1;
    int has_endpoint = endpoint && *endpoint;
    if (!has_endpoint) {
        if (!region || !*region)
            return err_set(err, ERR_CONFIG, "s3: no region");
        for (const char *p = region; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '-')
                return err_set(err, ERR_CONFIG, "s3: region \"%.64s\" is not a region name", region);
        int ps = path_style < 0 ? strchr(bucket, '.') != NULL : path_style;
        snprintf(t->scheme, sizeof t->scheme, "https");
        int n = ps ? snprintf(t->host, sizeof t->host, "s3.%s.amazonaws.com", region)
                   : snprintf(t->host, sizeof t->host, "%s.s3.%s.amazonaws.com", bucket, region);
        if (n < 0 || (size_t)n >= sizeof t->host)
            return err_set(err, ERR_CONFIG, "s3: host name too long");
        if (ps)
            snprintf(t->base_path, sizeof t->base_path, "/%s", bucket);
        t->path_style = ps;
        return 0;
    }

    const char *p = endpoint;
    if (!strncasecmp(p, "https://", 8)) {
        snprintf(t->scheme, sizeof t->scheme, "https");
        p += 8;
    } else if (!strncasecmp(p, "http://", 7)) {
        snprintf(t->scheme, sizeof t->scheme, "http");
        p += 7;
    } else if (strstr(p, "://")) {
        return err_set(err, ERR_CONFIG, "s3: endpoint \"%.200s\": want http:// or https://", endpoint);
    } else {
        snprintf(t->scheme, sizeof t->scheme, "https"); /* a bare host: TLS, as on AWS */
    }
    size_t alen = strcspn(p, "/?#");
    if (alen == 0)
        return err_set(err, ERR_CONFIG, "s3: endpoint \"%.200s\" has no host", endpoint);
    if (p[alen] == '?' || p[alen] == '#' || memchr(p, '@', alen))
        return err_set(err, ERR_CONFIG, "s3: endpoint \"%.200s\": only scheme, host, port and path", endpoint);
    for (size_t i = 0; i < alen; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f)
            return err_set(err, ERR_CONFIG, "s3: endpoint \"%.200s\": bad byte in the host", endpoint);
    }
    /* The Host header curl sends leaves out a default port; the signature must cover the
     * same text. */
    size_t hlen = alen;
    const char *close = memchr(p, ']', alen);
    const char *colon = NULL;
    for (const char *q = close ? close : p; q < p + alen; q++)
        if (*q == ':')
            colon = q;
    if (colon) {
        const char *port = colon + 1;
        size_t plen = (size_t)(p + alen - port);
        if (plen == 0 || strspn(port, "0123456789") < plen)
            return err_set(err, ERR_CONFIG, "s3: endpoint \"%.200s\": bad port", endpoint);
        int dflt = !strcmp(t->scheme, "https") ? 443 : 80;
        char pb[8];
        snprintf(pb, sizeof pb, "%d", dflt);
        if (plen == strlen(pb) && !memcmp(port, pb, plen))
            hlen = (size_t)(colon - p);
    }
    int ps = path_style < 0 ? 1 : path_style;
    int n = ps ? snprintf(t->host, sizeof t->host, "%.*s", (int)hlen, p)
               : snprintf(t->host, sizeof t->host, "%s.%.*s", bucket, (int)hlen, p);
    if (n < 0 || (size_t)n >= sizeof t->host)
        return err_set(err, ERR_CONFIG, "s3: endpoint host too long");
    /* A base path (a gateway mounted below "/") goes in front of everything. */
    const char *path = p + alen;
    size_t plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    n = ps ? snprintf(t->base_path, sizeof t->base_path, "%.*s/%s", (int)plen, path, bucket)
           : snprintf(t->base_path, sizeof t->base_path, "%.*s", (int)plen, path);
    if (n < 0 || (size_t)n >= sizeof t->base_path)
        return err_set(err, ERR_CONFIG, "s3: endpoint path too long");
    t->path_style = ps;
    return 0;
}

int s3_path(buf_t *out, const s3_target_t *t, const char *objkey)
{
    buf_clear(out);
    int rc = buf_append_str(out, t->base_path);
    if (objkey)
        rc = rc ? rc : buf_printf(out, "/%s", objkey);
    else if (!t->base_path[0])
        rc = buf_append_str(out, "/");
    /* keep a NUL after the text without counting it */
    if (rc == 0 && buf_reserve(out, 1) == 0) {
        out->data[out->len] = 0;
        return 0;
    }
    return -1;
}

int s3_url(buf_t *out, const s3_target_t *t, const char *path, const sigv4_param_t *params, size_t nparams)
{
    buf_clear(out);
    if (buf_printf(out, "%s://%s", t->scheme, t->host) || sigv4_uri_encode(out, path, strlen(path), 1))
        return -1;
    for (size_t i = 0; i < nparams; i++) {
        if (buf_append(out, i ? "&" : "?", 1) ||
            sigv4_uri_encode(out, params[i].name, strlen(params[i].name), 0) || buf_append(out, "=", 1) ||
            sigv4_uri_encode(out, params[i].value, strlen(params[i].value), 0))
            return -1;
    }
    if (buf_reserve(out, 1))
        return -1;
    out->data[out->len] = 0;
    return 0;
}

int s3_key_check(const char *key, err_t *err)
{
    if (!key || !*key)
        return err_set(err, ERR_INTERNAL, "storage s3: empty key");
    size_t n = strlen(key);
    if (n > S3_KEY_MAX)
        return err_set(err, ERR_INTERNAL, "storage s3: key of %zu bytes, at most %d", n, S3_KEY_MAX);
    const char *seg = key;
    for (const char *p = key;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/' || c == 0) {
            size_t len = (size_t)(p - seg);
            if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
                return err_set(err, ERR_INTERNAL, "storage s3: key \"%s\" has an empty, \".\" or \"..\" segment",
                               key);
            if (c == 0)
                return 0;
            seg = p + 1;
        } else if (c < 0x20 || c == 0x7f) {
            return err_set(err, ERR_INTERNAL, "storage s3: key contains control byte 0x%02x", c);
        }
    }
}

static const struct {
    const char *name;
    char c;
} entities[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};

int s3_xml_text(const char *xml, size_t len, const char *tag, char *out, size_t outlen)
{
    if (!xml || !outlen)
        return -1;
    char open[80], close[82];
    int on = snprintf(open, sizeof open, "<%s>", tag);
    int cn = snprintf(close, sizeof close, "</%s>", tag);
    if (on < 0 || (size_t)on >= sizeof open || cn < 0 || (size_t)cn >= sizeof close)
        return -1;
    const char *start = memmem(xml, len, open, (size_t)on);
    if (!start)
        return -1;
    start += on;
    const char *end = memmem(start, len - (size_t)(start - xml), close, (size_t)cn);
    if (!end)
        return -1;
    size_t o = 0;
    int cut = 0;
    for (const char *p = start; p < end;) {
        char c = *p++;
        if (c == '&') {
            size_t rest = (size_t)(end - p);
            int done = 0;
            for (size_t e = 0; e < sizeof entities / sizeof entities[0] && !done; e++) {
                size_t el = strlen(entities[e].name);
                if (rest >= el && !memcmp(p, entities[e].name, el)) {
                    c = entities[e].c;
                    p += el;
                    done = 1;
                }
            }
            if (!done && rest >= 3 && p[0] == '#') {
                /* &#NN; or &#xNN; (ASCII only: enough for what S3 sends, and never a way to
                 * smuggle a control byte in) */
                const char *q = p + 1;
                int base = 10;
                if (*q == 'x' || *q == 'X') {
                    base = 16;
                    q++;
                }
                unsigned v = 0;
                int digits = 0;
                while (q < end && digits < 6 && isxdigit((unsigned char)*q) && (base == 16 || isdigit((unsigned char)*q))) {
                    v = v * (unsigned)base + (unsigned)(isdigit((unsigned char)*q) ? *q - '0' : (tolower((unsigned char)*q) - 'a' + 10));
                    q++;
                    digits++;
                }
                if (digits && q < end && *q == ';' && v < 0x80) {
                    c = (char)v;
                    p = q + 1;
                }
            }
        }
        if ((unsigned char)c < 0x20 || c == 0x7f)
            c = ' ';
        if (o + 1 >= outlen) {
            cut = 1;
            break;
        }
        out[o++] = c;
    }
    out[o] = 0;
    return cut;
}

int s3_retryable(long status, const char *code)
{
    if (status >= 500 || status == 429)
        return 1;
    if (!code)
        return 0;
    return !strcmp(code, "SlowDown") || !strcmp(code, "RequestTimeout") || !strcmp(code, "InternalError") ||
           !strcmp(code, "ServiceUnavailable");
}

int s3_token_error(const char *code)
{
    return code && (!strcmp(code, "ExpiredToken") || !strcmp(code, "InvalidToken") ||
                    !strcmp(code, "TokenRefreshRequired"));
}

int s3_xml_escape(buf_t *b, const char *s)
{
    for (; *s; s++) {
        const char *r = NULL;
        switch (*s) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '"': r = "&quot;"; break;
        case '\'': r = "&apos;"; break;
        }
        if (r ? buf_append_str(b, r) : buf_append(b, s, 1))
            return -1;
    }
    return 0;
}
