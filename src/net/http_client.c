/* HTTP(S) exchanges over libcurl's easy interface. One handle per thread, kept between calls and
 * only curl_easy_reset in between: the reset clears options but keeps the connection cache and
 * TLS sessions, which is what makes repeated S3 PUTs cheap. */
#include "net/http_client.h"

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_MAX_RESPONSE ((size_t)1 << 20)
/* All header blocks of one exchange together (100-continue, proxy CONNECT, the final one). */
#define MAX_HEADER_BYTES ((size_t)64 << 10)

/* ---- global and per-thread state ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;
static int global_done;

/* The key's destructor frees the handle of a thread that ended without
 * http_client_thread_cleanup; the __thread copy is the fast path. */
static pthread_key_t handle_key;
static __thread CURL *thread_handle;

static void handle_destroy(void *h)
{
    if (h)
        curl_easy_cleanup(h);
}

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (global_rc == CURLE_OK && pthread_key_create(&handle_key, handle_destroy) != 0)
        global_rc = CURLE_FAILED_INIT;
    global_done = global_rc == CURLE_OK;
}

int http_client_global_init(err_t *err)
{
    pthread_once(&global_once, global_init_once);
    if (!global_done)
        return err_set(err, ERR_INTERNAL, "HTTP client: curl_global_init failed: %s",
                       curl_easy_strerror(global_rc));
    return 0;
}

void http_client_thread_cleanup(void)
{
    if (!thread_handle)
        return;
    curl_easy_cleanup(thread_handle);
    thread_handle = NULL;
    pthread_setspecific(handle_key, NULL);
}

void http_client_global_cleanup(void)
{
    http_client_thread_cleanup();
    if (global_done) {
        curl_global_cleanup();
        pthread_key_delete(handle_key);
        global_done = 0;
    }
}

/* Lambda zip (`make lambda-zip`): the zip carries Debian's libcurl, whose built-in CA bundle path
 * (/etc/ssl/certs/ca-certificates.crt) does not exist on provided.al2023, so the zip bundles
 * ca-certificates.crt next to `bootstrap`. When that file exists next to the running binary it is
 * the CA bundle; otherwise (every other build and install) libcurl's default is left alone. */
static pthread_once_t bundled_ca_once = PTHREAD_ONCE_INIT;
static char bundled_ca[PATH_MAX];

static void bundled_ca_find(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = 0;
    int len = snprintf(bundled_ca, sizeof bundled_ca, "%s/ca-certificates.crt", exe);
    if (len < 0 || (size_t)len >= sizeof bundled_ca || access(bundled_ca, R_OK) != 0)
        bundled_ca[0] = 0;
}

static CURL *thread_curl(void)
{
    if (thread_handle)
        return thread_handle;
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    if (pthread_setspecific(handle_key, h) != 0) {
        curl_easy_cleanup(h);
        return NULL;
    }
    thread_handle = h;
    return h;
}

/* ---- callbacks ---- */

typedef struct {
    http_response_t *resp;
    size_t max_body;
    size_t header_total;
    int body_over, header_over, nomem;
} xfer_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer_t *x = ud;
    size_t len = size * n;
    if (len > x->max_body - x->resp->body.len) {
        x->body_over = 1;
        return 0; /* anything other than len aborts the transfer */
    }
    if (buf_append(&x->resp->body, p, len)) {
        x->nomem = 1;
        return 0;
    }
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    xfer_t *x = ud;
    size_t len = size * n;
    if (len > MAX_HEADER_BYTES - x->header_total) {
        x->header_over = 1;
        return 0;
    }
    x->header_total += len;
    /* a status line starts a new block: only the final response's headers are kept */
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
        buf_clear(&x->resp->header);
    if (buf_append(&x->resp->header, p, len)) {
        x->nomem = 1;
        return 0;
    }
    return len;
}

/* ---- the request ---- */

/* The URL's authority without user info: what error messages name (never the path or the query,
 * which may carry a presigned signature or other secrets). */
void http_url_host(const char *url, char *out, size_t cap)
{
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    size_t n = strcspn(s, "/?#");
    const char *at = memchr(s, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    snprintf(out, cap, "%.*s", (int)n, s);
}

static int has_crlf(const char *s) { return strpbrk(s, "\r\n") != NULL; }

static int header_given(const http_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return 1;
    return 0;
}

/* The header list: the caller's headers, then curl's defaults switched off (a header with no
 * value removes curl's own). Returns -1 on a malformed header or no memory. */
static int build_headers(const http_request_t *req, struct curl_slist **list, err_t *err,
                         const char *host)
{
    struct curl_slist *l = NULL;
    char line[8192];
    for (size_t i = 0; i < req->nheaders; i++) {
        const http_header_t *h = &req->headers[i];
        if (!h->name[0] || has_crlf(h->name) || has_crlf(h->value) || strchr(h->name, ':')) {
            curl_slist_free_all(l);
            return err_set(err, ERR_INTERNAL, "HTTP %s to %s: malformed request header %.64s",
                           req->method, host, h->name);
        }
        /* "Name;" is curl's way to send a header with an empty value */
        int n = h->value[0] ? snprintf(line, sizeof line, "%s: %s", h->name, h->value)
                            : snprintf(line, sizeof line, "%s;", h->name);
        if (n < 0 || (size_t)n >= sizeof line) {
            curl_slist_free_all(l);
            return err_set(err, ERR_INTERNAL, "HTTP %s to %s: request header %.64s too long",
                           req->method, host, h->name);
        }
        struct curl_slist *nl = curl_slist_append(l, line);
        if (!nl) {
            curl_slist_free_all(l);
            return err_set(err, ERR_NOMEM, "HTTP %s to %s: out of memory", req->method, host);
        }
        l = nl;
    }
    /* no 100-continue round trip; no form content type that POSTFIELDS would add */
    static const char *const off[] = {"Expect", "Content-Type"};
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        if (header_given(req, off[i]))
            continue;
        snprintf(line, sizeof line, "%s:", off[i]);
        struct curl_slist *nl = curl_slist_append(l, line);
        if (!nl) {
            curl_slist_free_all(l);
            return err_set(err, ERR_NOMEM, "HTTP %s to %s: out of memory", req->method, host);
        }
        l = nl;
    }
    *list = l;
    return 0;
}

static int set_method(CURL *h, const http_request_t *req)
{
    const char *m = req->method ? req->method : "GET";
    int rc = 0;
    if (strcmp(m, "HEAD") == 0) {
        rc |= curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(m, "GET") == 0 && !req->body_len) {
        rc |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (req->body_len || strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0) {
        /* POSTFIELDS sends the bytes with a Content-Length, also "Content-Length: 0" for an
         * empty PUT or POST (S3 and the IMDS token endpoint want one); CUSTOMREQUEST names the
         * method. The body is not copied: the caller keeps it alive for the call. */
        rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
        rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        rc |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
    } else {
        rc |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
    }
    return rc;
}

int http_request(const http_request_t *req, http_response_t *resp, err_t *err)
{
    char host[256];
    http_url_host(req->url, host, sizeof host);
    const char *method = req->method ? req->method : "GET";
    buf_clear(&resp->body);
    buf_clear(&resp->header);
    resp->status = 0;

    if (http_client_global_init(err))
        return -1;
    CURL *h = thread_curl();
    if (!h)
        return err_set(err, ERR_NOMEM, "HTTP %s to %s: cannot create a curl handle", method, host);
    curl_easy_reset(h);

    struct curl_slist *headers = NULL;
    if (build_headers(req, &headers, err, host))
        return -1;

    xfer_t x = {.resp = resp, .max_body = req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE};
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = 0;
    int rc = 0;
    rc |= curl_easy_setopt(h, CURLOPT_URL, req->url);
    rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for DNS timeouts in threads */
    rc |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                           req->timeout_ms > 0 ? req->timeout_ms : req->timeout_ms < 0 ? 0L : DEFAULT_TIMEOUT_MS);
    rc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                           req->connect_timeout_ms > 0 ? req->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS);
    rc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    rc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    rc |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    rc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    pthread_once(&bundled_ca_once, bundled_ca_find);
    if (bundled_ca[0])
        rc |= curl_easy_setopt(h, CURLOPT_CAINFO, bundled_ca);
    rc |= set_method(h, req);
    if (rc != CURLE_OK) {
        curl_slist_free_all(headers);
        return err_set(err, ERR_INTERNAL, "HTTP %s to %s: curl rejected an option", method, host);
    }

    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    /* the handle must not keep pointers into this call's stack and header list */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    resp->status = status;

    if (x.body_over)
        return err_set(err, ERR_UNAVAILABLE, "HTTP %s to %s: response body over %zu bytes", method,
                       host, x.max_body);
    if (x.header_over)
        return err_set(err, ERR_UNAVAILABLE, "HTTP %s to %s: response headers over %zu bytes",
                       method, host, MAX_HEADER_BYTES);
    if (x.nomem)
        return err_set(err, ERR_NOMEM, "HTTP %s to %s: out of memory for the response", method, host);
    if (cc != CURLE_OK)
        return err_set(err, ERR_UNAVAILABLE, "HTTP %s to %s: %s%s%s", method, host,
                       curl_easy_strerror(cc), errbuf[0] ? ": " : "", errbuf);
    return 0;
}

/* ---- the response ---- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int http_response_header(const http_response_t *resp, const char *name, char *out, size_t outlen)
{
    const char *p = (const char *)resp->header.data, *end = p + resp->header.len;
    size_t nlen = strlen(name);
    const char *found = NULL;
    size_t found_len = 0;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        const char *colon = memchr(p, ':', (size_t)(next - p));
        if (colon && !(next - p >= 5 && memcmp(p, "HTTP/", 5) == 0)) {
            const char *ne = colon;
            while (ne > p && is_space(ne[-1]))
                ne--;
            if ((size_t)(ne - p) == nlen && strncasecmp(p, name, nlen) == 0) {
                const char *v = colon + 1, *ve = next;
                while (v < ve && is_space(*v))
                    v++;
                while (ve > v && is_space(ve[-1]))
                    ve--;
                found = v; /* the last occurrence wins */
                found_len = (size_t)(ve - v);
            }
        }
        p = next;
    }
    if (!found || outlen == 0 || found_len > outlen - 1)
        return -1;
    memcpy(out, found, found_len);
    out[found_len] = 0;
    return 0;
}

const char *http_response_text(http_response_t *resp)
{
    if (buf_reserve(&resp->body, 1))
        return NULL;
    resp->body.data[resp->body.len] = 0;
    return (const char *)resp->body.data;
}

void http_response_free(http_response_t *resp)
{
    buf_free(&resp->body);
    buf_free(&resp->header);
    resp->status = 0;
}
