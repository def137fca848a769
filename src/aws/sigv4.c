/* AWS Signature Version 4 over OpenSSL. The rules follow botocore (1.44) exactly, since that is
 * the reference the end-to-end test compares with byte for byte:
 *   - canonical URI: the path is percent-encoded once ('/' kept) to give the path sent on the wire;
 *     S3 signs that as is; other services first remove empty and dot segments from it and then
 *     percent-encode it a second time (so "%1F" in the wire path becomes "%251F").
 *   - canonical query: names and values percent-encoded (only A-Z a-z 0-9 - _ . ~ kept), pairs
 *     sorted by encoded name, then encoded value, joined with '&'.
 *   - canonical headers: lowercase names, values trimmed with inner whitespace runs collapsed to
 *     one space, repeated names joined with ',' in the order given, names sorted.
 * Inputs are validated first, so that nothing odd (CR/LF in a header, a '/' in the access key,
 * a huge list) can change what is signed without us noticing. */
#include "aws/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/hex.h"

/* Headers botocore never signs, because proxies and HTTP stacks may change or add them. Given
 * to us, they are skipped (the caller still sends them), just as botocore does. */
static const char *const unsigned_headers[] = {
    "baggage", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "traceparent", "tracestate", "trailer", "transfer-encoding", "upgrade", "user-agent",
    "x-amzn-trace-id",
};

/* Headers the signer owns: a caller's copy would contradict (or, for Date, change) what is
 * signed. */
static const char *const signer_headers[] = {
    "authorization", "date", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token",
};

/* ---- small helpers ---- */

static int terminate(buf_t *b)
{
    if (buf_reserve(b, 1))
        return -1;
    b->data[b->len] = 0;
    return 0;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* RFC 9110 token characters, the only ones a header name may have. */
static int is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* EVP_Digest only fails when memory runs out inside OpenSSL; an all-zero digest then makes
     * the signature wrong (the server rejects it) rather than undefined */
    if (!EVP_Digest(data ? data : "", len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        memset(md, 0, 32);
    hex_encode(out, md, 32);
    out[64] = 0;
}

int sigv4_uri_encode(buf_t *b, const char *s, size_t len, int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF"; /* uppercase, as SigV4 requires */
    /* worst case every byte becomes %XX: reserve once */
    if (len > (SIZE_MAX - 1) / 3 || buf_reserve(b, 3 * len + 1))
        return -1;
    char *o = (char *)b->data + b->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = digits[c >> 4];
            *o++ = digits[c & 15];
        }
    }
    b->len = (size_t)(o - (char *)b->data);
    b->data[b->len] = 0;
    return 0;
}

void sigv4_amz_date_now(char out[17])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void sigv4_result_free(sigv4_result_t *out)
{
    buf_free(&out->canonical_request);
    buf_free(&out->string_to_sign);
    memset(out, 0, sizeof *out);
}

/* ---- validation ---- */

static int check_str(const char *what, const char *s, size_t max, err_t *err)
{
    if (!s || !*s)
        return err_set(err, ERR_INVALID, "sigv4: %s is missing", what);
    if (strnlen(s, max + 1) > max)
        return err_set(err, ERR_INVALID, "sigv4: %s is longer than %zu bytes", what, max);
    return 0;
}

/* Region and service end up in the credential scope, between '/': lowercase letters, digits
 * and '-' only (every AWS region and signing name fits). */
static int check_scope_part(const char *what, const char *s, err_t *err)
{
    if (check_str(what, s, 64, err))
        return -1;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return err_set(err, ERR_INVALID, "sigv4: %s \"%s\": only a-z, 0-9 and '-' allowed", what, s);
    return 0;
}

static int check_amz_date(const char *d, err_t *err)
{
    if (check_str("amz_date", d, 16, err))
        return -1;
    int ok = strlen(d) == 16 && d[8] == 'T' && d[15] == 'Z';
    for (int i = 0; ok && i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)d[i]))
            ok = 0;
    if (ok) {
        int mon = (d[4] - '0') * 10 + d[5] - '0', day = (d[6] - '0') * 10 + d[7] - '0';
        int hh = (d[9] - '0') * 10 + d[10] - '0', mm = (d[11] - '0') * 10 + d[12] - '0';
        int ss = (d[13] - '0') * 10 + d[14] - '0';
        ok = mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hh < 24 && mm < 60 && ss < 61;
    }
    if (!ok)
        return err_set(err, ERR_INVALID, "sigv4: amz_date \"%.32s\" is not YYYYMMDDTHHMMSSZ", d);
    return 0;
}

static int check_payload_hash(const char *h, err_t *err)
{
    if (check_str("payload_sha256_hex", h, 64, err))
        return -1;
    if (strcmp(h, "UNSIGNED-PAYLOAD") == 0 || strcmp(h, "STREAMING-UNSIGNED-PAYLOAD-TRAILER") == 0)
        return 0;
    int ok = strlen(h) == 64;
    for (size_t i = 0; ok && i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            ok = 0;
    if (!ok)
        return err_set(err, ERR_INVALID,
                       "sigv4: payload_sha256_hex \"%.70s\" is neither 64 lowercase hex digits nor "
                       "UNSIGNED-PAYLOAD", h);
    return 0;
}

/* The host is signed as the Host header the HTTP client sends: lowercase (botocore lowercases
 * it from the URL; a mixed-case one would be signed differently from what is sent), no spaces. */
static int check_host(const char *h, err_t *err)
{
    if (check_str("host", h, 255, err))
        return -1;
    for (const char *p = h; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._:[]", c)))
            return err_set(err, ERR_INVALID,
                           "sigv4: host \"%.64s\": byte 0x%02x at %zu not allowed (lowercase "
                           "letters, digits, - . _ : [ ] only)", h, c, (size_t)(p - h));
    }
    return 0;
}

static int check_method(const char *m, err_t *err)
{
    if (check_str("method", m, 16, err))
        return -1;
    for (const char *p = m; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return err_set(err, ERR_INVALID, "sigv4: method \"%.16s\": uppercase letters only", m);
    return 0;
}

/* Header values: printable ASCII and tabs. CR/LF would split the header on the wire; other
 * control bytes and non-ASCII bytes are out because botocore's whitespace rule (Python's
 * str.split) would treat some of them as spaces and we would sign something else. */
static int check_header_value(const char *what, const char *name, const char *v, err_t *err)
{
    if (!v)
        return err_set(err, ERR_INVALID, "sigv4: %s %s: value is missing", what, name);
    size_t n = strnlen(v, SIGV4_MAX_HEADER_VALUE + 1);
    if (n > SIGV4_MAX_HEADER_VALUE)
        return err_set(err, ERR_INVALID, "sigv4: %s %s: value longer than %d bytes", what, name,
                       SIGV4_MAX_HEADER_VALUE);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '\r' || c == '\n')
            return err_set(err, ERR_INVALID, "sigv4: %s %s: value has CR or LF at byte %zu", what, name, i);
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            return err_set(err, ERR_INVALID,
                           "sigv4: %s %s: value has byte 0x%02x at %zu (printable ASCII and tab only)",
                           what, name, c, i);
    }
    return 0;
}

static int check_credentials(const sigv4_credentials_t *c, err_t *err)
{
    if (!c)
        return err_set(err, ERR_INVALID, "sigv4: no credentials");
    if (check_str("access key", c->access_key, 128, err))
        return -1;
    for (const char *p = c->access_key; *p; p++)
        if (!isalnum((unsigned char)*p))
            return err_set(err, ERR_INVALID, "sigv4: access key: letters and digits only");
    /* the secret is only length-checked and never quoted */
    if (!c->secret_key || !*c->secret_key)
        return err_set(err, ERR_INVALID, "sigv4: secret key is missing");
    if (strnlen(c->secret_key, SIGV4_MAX_SECRET + 1) > SIGV4_MAX_SECRET)
        return err_set(err, ERR_INVALID, "sigv4: secret key is longer than %d bytes", SIGV4_MAX_SECRET);
    if (c->session_token && *c->session_token) {
        size_t n = strnlen(c->session_token, SIGV4_MAX_TOKEN + 1);
        if (n > SIGV4_MAX_TOKEN)
            return err_set(err, ERR_INVALID, "sigv4: session token is longer than %d bytes", SIGV4_MAX_TOKEN);
        /* sent as is and signed trimmed: no whitespace, so both are the same */
        for (size_t i = 0; i < n; i++) {
            unsigned char c8 = (unsigned char)c->session_token[i];
            if (c8 <= 0x20 || c8 >= 0x7f)
                return err_set(err, ERR_INVALID, "sigv4: session token has byte 0x%02x at %zu "
                               "(printable ASCII without spaces only)", c8, i);
        }
    }
    return 0;
}

/* An already encoded path: unreserved characters, '/' and %XX only. */
static int check_encoded_path(const char *p, size_t n, err_t *err)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (is_unreserved(c) || c == '/')
            continue;
        if (c == '%' && i + 2 < n && isxdigit((unsigned char)p[i + 1]) && isxdigit((unsigned char)p[i + 2])) {
            i += 2;
            continue;
        }
        return err_set(err, ERR_INVALID, "sigv4: encoded path: byte 0x%02x at %zu is neither "
                       "unreserved, '/' nor part of %%XX", c, i);
    }
    return 0;
}

static int check_path(const sigv4_request_t *r, err_t *err)
{
    if (!r->path || r->path[0] != '/')
        return err_set(err, ERR_INVALID, "sigv4: path \"%.64s\" does not start with '/'", r->path ? r->path : "");
    size_t plen = strnlen(r->path, SIGV4_MAX_PATH + 1);
    if (plen > SIGV4_MAX_PATH)
        return err_set(err, ERR_INVALID, "sigv4: path is longer than %d bytes", SIGV4_MAX_PATH);
    if (r->path_is_encoded && check_encoded_path(r->path, plen, err))
        return -1;
    return 0;
}

static int check_params(const sigv4_request_t *r, err_t *err)
{
    if (r->nparams > SIGV4_MAX_PARAMS)
        return err_set(err, ERR_INVALID, "sigv4: %zu query parameters, at most %d", r->nparams, SIGV4_MAX_PARAMS);
    if (r->nparams && !r->params)
        return err_set(err, ERR_INVALID, "sigv4: nparams is %zu but params is NULL", r->nparams);
    for (size_t i = 0; i < r->nparams; i++) {
        const sigv4_param_t *p = &r->params[i];
        if (!p->name || !*p->name)
            return err_set(err, ERR_INVALID, "sigv4: query parameter %zu has no name", i);
        if (strnlen(p->name, SIGV4_MAX_PARAM + 1) > SIGV4_MAX_PARAM ||
            (p->value && strnlen(p->value, SIGV4_MAX_PARAM + 1) > SIGV4_MAX_PARAM))
            return err_set(err, ERR_INVALID, "sigv4: query parameter %zu: name or value longer than %d bytes",
                           i, SIGV4_MAX_PARAM);
    }
    return 0;
}

/* One caller header: a token name (quoted in messages only once known to be one), not one of
 * the signer's own, and a clean value. */
static int check_header(const sigv4_header_t *h, size_t i, err_t *err)
{
    if (!h->name || !*h->name)
        return err_set(err, ERR_INVALID, "sigv4: header %zu has no name", i);
    size_t n = strnlen(h->name, SIGV4_MAX_HEADER_NAME + 1);
    if (n > SIGV4_MAX_HEADER_NAME)
        return err_set(err, ERR_INVALID, "sigv4: header %zu: name longer than %d bytes", i, SIGV4_MAX_HEADER_NAME);
    char lower[SIGV4_MAX_HEADER_NAME + 1];
    for (size_t j = 0; j < n; j++) {
        if (!is_tchar((unsigned char)h->name[j]))
            return err_set(err, ERR_INVALID, "sigv4: header %zu: name has byte 0x%02x at %zu", i,
                           (unsigned char)h->name[j], j);
        lower[j] = (char)tolower((unsigned char)h->name[j]);
    }
    lower[n] = 0;
    if (in_list(lower, signer_headers, sizeof signer_headers / sizeof signer_headers[0]))
        return err_set(err, ERR_INVALID, "sigv4: header %s is set by the signer, not the caller", lower);
    return check_header_value("header", lower, h->value, err);
}

static int check_headers(const sigv4_request_t *r, err_t *err)
{
    if (r->nheaders > SIGV4_MAX_HEADERS)
        return err_set(err, ERR_INVALID, "sigv4: %zu headers, at most %d", r->nheaders, SIGV4_MAX_HEADERS);
    if (r->nheaders && !r->headers)
        return err_set(err, ERR_INVALID, "sigv4: nheaders is %zu but headers is NULL", r->nheaders);
    for (size_t i = 0; i < r->nheaders; i++)
        if (check_header(&r->headers[i], i, err))
            return -1;
    return 0;
}

static int check_request(const sigv4_request_t *r, err_t *err)
{
    if (!r)
        return err_set(err, ERR_INVALID, "sigv4: no request");
    if (check_method(r->method, err) || check_host(r->host, err) || check_amz_date(r->amz_date, err) ||
        check_payload_hash(r->payload_sha256_hex, err) || check_scope_part("region", r->region, err) ||
        check_scope_part("service", r->service, err) || check_path(r, err) || check_params(r, err) ||
        check_headers(r, err))
        return -1;
    return 0;
}

/* ---- canonical request parts ---- */

/* Removes empty and "." segments and resolves ".." (never above the root), keeping a leading
 * '/' and, when something is left, a trailing one: botocore's remove_dot_segments, which other
 * services than S3 apply to the (encoded) wire path. */
static int normalize_path(buf_t *out, const char *p, size_t n)
{
    size_t start = out->len;
    /* at most one '/' per segment more than the input: the input length + 2 is enough */
    if (buf_reserve(out, n + 2))
        return -1;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t seg = j - i;
        if (seg == 0 || (seg == 1 && p[i] == '.')) {
            /* dropped */
        } else if (seg == 2 && p[i] == '.' && p[i + 1] == '.') {
            /* pop the last segment kept (each kept one is "/seg") */
            while (out->len > start && out->data[out->len - 1] != '/')
                out->len--;
            if (out->len > start)
                out->len--;
        } else {
            out->data[out->len++] = '/';
            memcpy(out->data + out->len, p + i, seg);
            out->len += seg;
        }
        i = j + 1;
    }
    int leading = n > 0 && p[0] == '/', any = out->len > start;
    if (!leading && any) {
        /* kept segments were written as "/seg": drop the first '/' */
        memmove(out->data + start, out->data + start + 1, out->len - start - 1);
        out->len--;
    }
    if (!any && leading)
        out->data[out->len++] = '/';
    else if (any && n > 0 && p[n - 1] == '/')
        out->data[out->len++] = '/';
    out->data[out->len] = 0;
    return 0;
}

static int append_canonical_uri(buf_t *cr, const sigv4_request_t *r, int is_s3)
{
    size_t plen = strlen(r->path);
    buf_t wire = {0}, norm = {0};
    int rc = -1;
    if (r->path_is_encoded) {
        if (buf_append(&wire, r->path, plen) || terminate(&wire))
            goto out;
    } else if (sigv4_uri_encode(&wire, r->path, plen, 1)) {
        goto out;
    }
    if (is_s3) {
        rc = buf_append(cr, wire.data, wire.len);
    } else if (normalize_path(&norm, (const char *)wire.data, wire.len) == 0) {
        rc = sigv4_uri_encode(cr, (const char *)norm.data, norm.len, 1);
    }
out:
    buf_free(&wire);
    buf_free(&norm);
    return rc;
}

/* Offsets of one encoded pair inside a scratch buffer (NUL-terminated strings there). */
typedef struct {
    size_t name, value;
} enc_pair_t;

static int append_canonical_query(buf_t *cr, const sigv4_request_t *r)
{
    if (r->nparams == 0)
        return 0;
    enc_pair_t pairs[SIGV4_MAX_PARAMS];
    buf_t s = {0};
    for (size_t i = 0; i < r->nparams; i++) {
        const char *v = r->params[i].value ? r->params[i].value : "";
        pairs[i].name = s.len;
        if (sigv4_uri_encode(&s, r->params[i].name, strlen(r->params[i].name), 0))
            goto fail;
        s.len++; /* keep the NUL sigv4_uri_encode wrote */
        pairs[i].value = s.len;
        if (sigv4_uri_encode(&s, v, strlen(v), 0))
            goto fail;
        s.len++;
    }
    /* insertion sort: at most SIGV4_MAX_PARAMS entries, and byte order equals the code point
     * order botocore sorts by because encoded text is ASCII */
    const char *base = (const char *)s.data;
    for (size_t i = 1; i < r->nparams; i++) {
        enc_pair_t cur = pairs[i];
        size_t j = i;
        while (j > 0) {
            int c = strcmp(base + pairs[j - 1].name, base + cur.name);
            if (c == 0)
                c = strcmp(base + pairs[j - 1].value, base + cur.value);
            if (c <= 0)
                break;
            pairs[j] = pairs[j - 1];
            j--;
        }
        pairs[j] = cur;
    }
    for (size_t i = 0; i < r->nparams; i++)
        if ((i && buf_append(cr, "&", 1)) || buf_append_str(cr, base + pairs[i].name) ||
            buf_append(cr, "=", 1) || buf_append_str(cr, base + pairs[i].value))
            goto fail;
    buf_free(&s);
    return 0;
fail:
    buf_free(&s);
    return -1;
}

typedef struct {
    const char *name;  /* lowercase, NUL-terminated (in a scratch buffer or a literal) */
    const char *value; /* as given; trimmed when written */
} hdr_t;

/* Appends v without leading and trailing spaces and tabs, every inner run of them made one
 * space (the values were checked: no other whitespace can occur). */
static int append_trimmed(buf_t *b, const char *v)
{
    size_t n = strlen(v);
    if (buf_reserve(b, n))
        return -1;
    int gap = 0, started = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == ' ' || c == '\t') {
            gap = started;
            continue;
        }
        if (gap)
            b->data[b->len++] = ' ';
        gap = 0;
        started = 1;
        b->data[b->len++] = (uint8_t)c;
    }
    return 0;
}

/* Collects the headers to sign: the caller's (lowercased, unsigned ones skipped) and ours, in
 * a stable order by name so repeated names keep the caller's order. Returns how many. */
static size_t collect_headers(const sigv4_request_t *r, const sigv4_credentials_t *c, int with_sha,
                              char names[][SIGV4_MAX_HEADER_NAME + 1], hdr_t *h)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *src = r->headers[i].name;
        size_t k = 0;
        for (; src[k]; k++)
            names[i][k] = (char)tolower((unsigned char)src[k]);
        names[i][k] = 0;
        if (in_list(names[i], unsigned_headers, sizeof unsigned_headers / sizeof unsigned_headers[0]))
            continue;
        h[n++] = (hdr_t){names[i], r->headers[i].value};
    }
    h[n++] = (hdr_t){"host", r->host};
    h[n++] = (hdr_t){"x-amz-date", r->amz_date};
    if (with_sha)
        h[n++] = (hdr_t){"x-amz-content-sha256", r->payload_sha256_hex};
    if (c->session_token && *c->session_token)
        h[n++] = (hdr_t){"x-amz-security-token", c->session_token};
    for (size_t i = 1; i < n; i++) {
        hdr_t cur = h[i];
        size_t j = i;
        while (j > 0 && strcmp(h[j - 1].name, cur.name) > 0) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = cur;
    }
    return n;
}

/* "name:v1,v2\n" per distinct name into cr, and "name;name2" into signed_names. */
static int append_canonical_headers(buf_t *cr, buf_t *signed_names, const hdr_t *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int same = i > 0 && strcmp(h[i - 1].name, h[i].name) == 0;
        if (same) {
            if (buf_append(cr, ",", 1))
                return -1;
        } else {
            if ((i && buf_append(cr, "\n", 1)) || buf_append_str(cr, h[i].name) || buf_append(cr, ":", 1))
                return -1;
            if ((signed_names->len && buf_append(signed_names, ";", 1)) ||
                buf_append_str(signed_names, h[i].name))
                return -1;
        }
        if (append_trimmed(cr, h[i].value))
            return -1;
    }
    if (buf_append(cr, "\n", 1) || terminate(signed_names))
        return -1;
    return 0;
}

/* ---- signature ---- */

static int hmac256(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[32])
{
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) || len != 32)
        return -1;
    return 0;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
 * then the signature is HMAC(kSigning, string to sign) in hex. Key material is wiped. */
static int compute_signature(const char *secret, const char *date8, const char *region, const char *service,
                             const buf_t *sts, char sig[65])
{
    char k0[4 + SIGV4_MAX_SECRET + 1];
    size_t slen = strlen(secret);
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen);
    /* two buffers in turn: OpenSSL does not promise that the key may alias the output */
    unsigned char ka[32], kb[32], mac[32];
    int rc = -1;
    if (hmac256(k0, 4 + slen, date8, 8, ka) == 0 && hmac256(ka, 32, region, strlen(region), kb) == 0 &&
        hmac256(kb, 32, service, strlen(service), ka) == 0 && hmac256(ka, 32, "aws4_request", 12, kb) == 0 &&
        hmac256(kb, 32, sts->data, sts->len, mac) == 0) {
        hex_encode(sig, mac, 32);
        sig[64] = 0;
        rc = 0;
    }
    OPENSSL_cleanse(k0, sizeof k0);
    OPENSSL_cleanse(ka, sizeof ka);
    OPENSSL_cleanse(kb, sizeof kb);
    return rc;
}

/* The canonical request into cr (NUL-terminated) and the signed header names, "a;b;c", into
 * signed_names. -1 only when memory runs out. */
static int canonical_request(const sigv4_request_t *r, const sigv4_credentials_t *c, int is_s3, int with_sha,
                             buf_t *cr, buf_t *signed_names)
{
    hdr_t h[SIGV4_MAX_HEADERS + 4];
    /* the lowercased names live on the heap: 64 * 129 bytes is a lot for small thread stacks */
    char (*lnames)[SIGV4_MAX_HEADER_NAME + 1] = r->nheaders ? calloc(r->nheaders, sizeof *lnames) : NULL;
    if (r->nheaders && !lnames)
        return -1;
    size_t nh = collect_headers(r, c, with_sha, lnames, h);
    int rc = buf_append_str(cr, r->method) || buf_append(cr, "\n", 1) || append_canonical_uri(cr, r, is_s3) ||
                     buf_append(cr, "\n", 1) || append_canonical_query(cr, r) || buf_append(cr, "\n", 1) ||
                     append_canonical_headers(cr, signed_names, h, nh) || buf_append(cr, "\n", 1) ||
                     buf_append(cr, signed_names->data, signed_names->len) || buf_append(cr, "\n", 1) ||
                     buf_append_str(cr, r->payload_sha256_hex) || terminate(cr)
                 ? -1
                 : 0;
    free(lnames);
    return rc;
}

/* Whether x-amz-content-sha256 is signed and sent: always for S3; for other services when asked
 * and, as botocore does, for UNSIGNED-PAYLOAD (the service could not tell otherwise). */
static int wants_sha_header(const sigv4_request_t *r, int is_s3)
{
    return is_s3 || r->add_content_sha256_header || strcmp(r->payload_sha256_hex, "UNSIGNED-PAYLOAD") == 0;
}

static int build(const sigv4_request_t *r, const sigv4_credentials_t *c, sigv4_result_t *out, err_t *err)
{
    int is_s3 = strcmp(r->service, "s3") == 0, with_sha = wants_sha_header(r, is_s3);
    buf_t signed_names = {0};
    buf_t *cr = &out->canonical_request, *sts = &out->string_to_sign;
    char cr_hash[65];

    if (canonical_request(r, c, is_s3, with_sha, cr, &signed_names))
        goto nomem;
    sigv4_sha256_hex(cr->data, cr->len, cr_hash);
    if (buf_printf(sts, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", r->amz_date, r->amz_date,
                   r->region, r->service, cr_hash) ||
        terminate(sts))
        goto nomem;
    if (compute_signature(c->secret_key, r->amz_date, r->region, r->service, sts, out->signature)) {
        err_set(err, ERR_INTERNAL, "sigv4: HMAC-SHA256 failed in OpenSSL");
        goto fail;
    }
    int n = snprintf(out->authorization, sizeof out->authorization,
                     "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                     c->access_key, r->amz_date, r->region, r->service, (const char *)signed_names.data,
                     out->signature);
    if (n < 0 || (size_t)n >= sizeof out->authorization) {
        err_set(err, ERR_INVALID, "sigv4: the Authorization header would be longer than %zu bytes "
                "(too many or too long header names)", sizeof out->authorization - 1);
        goto fail;
    }
    buf_free(&signed_names);
    out->add[out->nadd++] = (sigv4_header_t){"x-amz-date", r->amz_date};
    if (with_sha)
        out->add[out->nadd++] = (sigv4_header_t){"x-amz-content-sha256", r->payload_sha256_hex};
    if (c->session_token && *c->session_token)
        out->add[out->nadd++] = (sigv4_header_t){"x-amz-security-token", c->session_token};
    return 0;
nomem:
    err_set(err, ERR_NOMEM, "sigv4: out of memory");
fail:
    buf_free(&signed_names);
    buf_clear(cr);
    buf_clear(sts);
    out->signature[0] = out->authorization[0] = 0;
    return -1;
}

int sigv4_sign(const sigv4_request_t *req, const sigv4_credentials_t *creds, sigv4_result_t *out, err_t *err)
{
    buf_clear(&out->canonical_request);
    buf_clear(&out->string_to_sign);
    out->signature[0] = out->authorization[0] = 0;
    out->nadd = 0;
    if (check_request(req, err) || check_credentials(creds, err))
        return -1;
    return build(req, creds, out, err);
}
