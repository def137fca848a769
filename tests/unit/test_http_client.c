/* The HTTP client against a loopback server run by a thread of this test: what goes on the wire
 * (method, Content-Length, no Expect, the caller's headers), what comes back (body, the final
 * header block, case-insensitive lookup), the limits (body, headers, timeout) and the errors
 * (refused connection names the host, never the query). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net/http_client.h"

/* ---- a tiny server: serves `nreq` requests with one canned answer, keeps connections open ---- */

typedef struct {
    int lfd, port;
    const char *answer; /* NULL: read the request, then wait silently until the client gives up */
    int nreq;
    int connections;
    buf_t seen; /* every request as received, one after another */
    pthread_t th;
} srv_t;

/* Reads one request (headers, then Content-Length bytes) into s->seen; 0, or -1 on EOF. */
static int read_request(srv_t *s, int fd)
{
    size_t start = s->seen.len;
    char c[4096];
    for (;;) {
        const char *hdr_end = NULL;
        if (s->seen.len > start)
            hdr_end = memmem(s->seen.data + start, s->seen.len - start, "\r\n\r\n", 4);
        if (hdr_end) {
            size_t hlen = (size_t)(hdr_end + 4 - (const char *)s->seen.data) - start;
            size_t clen = 0;
            const char *cl = memmem(s->seen.data + start, hlen, "Content-Length:", 15);
            if (cl)
                clen = strtoul(cl + 15, NULL, 10);
            while (s->seen.len - start < hlen + clen) {
                ssize_t n = read(fd, c, sizeof c);
                if (n <= 0)
                    return -1;
                buf_append(&s->seen, c, (size_t)n);
            }
            return 0;
        }
        ssize_t n = read(fd, c, sizeof c);
        if (n <= 0)
            return -1;
        buf_append(&s->seen, c, (size_t)n);
    }
}

static void *serve(void *arg)
{
    srv_t *s = arg;
    int served = 0;
    while (served < s->nreq) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            break;
        s->connections++;
        while (served < s->nreq && read_request(s, fd) == 0) {
            served++;
            if (!s->answer) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                poll(&p, 1, 5000); /* until the client closes */
                break;
            }
            size_t len = strlen(s->answer), off = 0;
            while (off < len) {
                ssize_t n = write(fd, s->answer + off, len - off);
                if (n <= 0)
                    break;
                off += (size_t)n;
            }
        }
        close(fd);
    }
    return NULL;
}

static void srv_start(srv_t *s, const char *answer, int nreq)
{
    memset(s, 0, sizeof *s);
    s->answer = answer;
    s->nreq = nreq;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s->lfd, (struct sockaddr *)&a, sizeof a);
    listen(s->lfd, 8);
    socklen_t alen = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &alen);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->th, NULL, serve, s);
}

static void srv_stop(srv_t *s)
{
    shutdown(s->lfd, SHUT_RDWR); /* wakes accept() when fewer requests came than expected */
    pthread_join(s->th, NULL);
    close(s->lfd);
    buf_free(&s->seen);
}

static void url_of(char *out, size_t cap, const srv_t *s, const char *path)
{
    snprintf(out, cap, "http://127.0.0.1:%d%s", s->port, path);
}

/* ---- tests ---- */

TEST(get_body_and_headers)
{
    srv_t s;
    srv_start(&s,
              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing:   first  \r\nx-thing: \t last value \r\n"
              "X-Empty:\r\n\r\nhello",
              1);
    char url[128];
    url_of(url, sizeof url, &s, "/a/b?x=1");
    http_header_t hs[] = {{"X-Custom", "abc"}};
    http_request_t req = {.method = "GET", .url = url, .headers = hs, .nheaders = 1};
    http_response_t resp = {0};
    err_t err = {0};
    int rc = http_request(&req, &resp, &err);
    srv_stop(&s);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(http_response_text(&resp), "hello");
    CHECK_EQ_INT(resp.body.len, 5);
    char v[64];
    CHECK_EQ_INT(http_response_header(&resp, "X-THING", v, sizeof v), 0);
    CHECK_EQ_STR(v, "last value");
    CHECK_EQ_INT(http_response_header(&resp, "content-length", v, sizeof v), 0);
    CHECK_EQ_STR(v, "5");
    CHECK_EQ_INT(http_response_header(&resp, "x-empty", v, sizeof v), 0);
    CHECK_EQ_STR(v, "");
    CHECK_EQ_INT(http_response_header(&resp, "X-Thin", v, sizeof v), -1);
    CHECK_EQ_INT(http_response_header(&resp, "X-Missing", v, sizeof v), -1);
    /* too small for "last value" + NUL */
    CHECK_EQ_INT(http_response_header(&resp, "x-thing", v, 10), -1);
    CHECK_EQ_INT(http_response_header(&resp, "x-thing", v, 11), 0);
    http_response_free(&resp);
}

/* The wire check needs the text after srv_stop freed it; so this one keeps its own copy. */
static char wire[3 << 20];
static int put_and_capture(const char *method, const uint8_t *body, size_t len,
                           const http_header_t *hs, size_t nh)
{
    srv_t s;
    srv_start(&s, "HTTP/1.1 204 No Content\r\n\r\n", 1);
    char url[128];
    url_of(url, sizeof url, &s, "/obj?secret=1");
    http_request_t req = {.method = method, .url = url, .headers = hs, .nheaders = nh, .body = body,
                          .body_len = len};
    http_response_t resp = {0};
    err_t err = {0};
    int rc = http_request(&req, &resp, &err);
    long status = resp.status;
    http_response_free(&resp);
    pthread_join(s.th, NULL);
    close(s.lfd);
    snprintf(wire, sizeof wire, "%.*s", (int)s.seen.len, s.seen.data ? (char *)s.seen.data : "");
    buf_free(&s.seen);
    return rc == 0 ? (int)status : -1;
}

TEST(put_with_body)
{
    static uint8_t body[3000];
    memset(body, 'z', sizeof body);
    body[sizeof body - 1] = '!';
    http_header_t hs[] = {{"X-Amz-Date", "20260101T000000Z"}, {"X-Blank", ""}};
    CHECK_EQ_INT(put_and_capture("PUT", body, sizeof body, hs, 2), 204);
    CHECK(strncmp(wire, "PUT /obj?secret=1 HTTP/1.1\r\n", 28) == 0);
    CHECK(strstr(wire, "\r\nContent-Length: 3000\r\n") != NULL);
    CHECK(strstr(wire, "\r\nX-Amz-Date: 20260101T000000Z\r\n") != NULL);
    CHECK(strstr(wire, "\r\nX-Blank:") != NULL);
    CHECK(strcasestr(wire, "Expect:") == NULL);
    CHECK(strcasestr(wire, "Content-Type:") == NULL);
    const char *b = strstr(wire, "\r\n\r\n");
    CHECK(b != NULL);
    CHECK_EQ_INT(strlen(b + 4), 3000);
    CHECK(b[4 + 2999] == '!');
}

TEST(big_put_has_no_expect)
{
    /* curl adds "Expect: 100-continue" to large bodies unless told not to */
    static uint8_t body[2 << 20];
    memset(body, 'q', sizeof body);
    CHECK_EQ_INT(put_and_capture("PUT", body, sizeof body, NULL, 0), 204);
    CHECK(strstr(wire, "\r\nContent-Length: 2097152\r\n") != NULL);
    const char *b = strstr(wire, "\r\n\r\n");
    CHECK(b != NULL);
    CHECK(memmem(wire, (size_t)(b - wire), "Expect", 6) == NULL);
    CHECK_EQ_INT(strlen(b + 4), sizeof body);
}

TEST(put_empty_sends_content_length_zero)
{
    http_header_t hs[] = {{"Content-Type", "application/octet-stream"}};
    CHECK_EQ_INT(put_and_capture("PUT", NULL, 0, hs, 1), 204);
    CHECK(strncmp(wire, "PUT /obj", 8) == 0);
    CHECK(strstr(wire, "\r\nContent-Length: 0\r\n") != NULL);
    CHECK(strstr(wire, "\r\nContent-Type: application/octet-stream\r\n") != NULL);
}

TEST(delete_has_no_body)
{
    CHECK_EQ_INT(put_and_capture("DELETE", NULL, 0, NULL, 0), 204);
    CHECK(strncmp(wire, "DELETE /obj?secret=1 HTTP/1.1\r\n", 31) == 0);
    CHECK(strcasestr(wire, "Content-Length") == NULL);
}

TEST(head_reads_no_body)
{
    srv_t s;
    srv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: \"abc\"\r\n\r\n", 1);
    char url[128];
    url_of(url, sizeof url, &s, "/k");
    http_request_t req = {.method = "HEAD", .url = url};
    http_response_t resp = {0};
    err_t err = {0};
    int rc = http_request(&req, &resp, &err);
    srv_stop(&s);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(resp.body.len, 0);
    char v[32];
    CHECK_EQ_INT(http_response_header(&resp, "etag", v, sizeof v), 0);
    CHECK_EQ_STR(v, "\"abc\"");
    http_response_free(&resp);
}

TEST(only_final_header_block_kept)
{
    srv_t s;
    srv_start(&s,
              "HTTP/1.1 100 Continue\r\nX-Step: interim\r\nX-Only-Interim: 1\r\n\r\n"
              "HTTP/1.1 404 Not Found\r\nX-Step: final\r\nContent-Length: 2\r\n\r\nno",
              1);
    char url[128];
    url_of(url, sizeof url, &s, "/");
    http_request_t req = {.method = "POST", .url = url, .body = (const uint8_t *)"x", .body_len = 1};
    http_response_t resp = {0};
    err_t err = {0};
    int rc = http_request(&req, &resp, &err);
    srv_stop(&s);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(resp.status, 404);
    char v[32];
    CHECK_EQ_INT(http_response_header(&resp, "x-step", v, sizeof v), 0);
    CHECK_EQ_STR(v, "final");
    CHECK_EQ_INT(http_response_header(&resp, "x-only-interim", v, sizeof v), -1);
    CHECK_EQ_STR(http_response_text(&resp), "no");
    http_response_free(&resp);
}

TEST(oversized_body_rejected)
{
    srv_t s;
    srv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789", 1);
    char url[128];
    url_of(url, sizeof url, &s, "/big");
    http_request_t req = {.method = "GET", .url = url, .max_response = 19};
    http_response_t resp = {0};
    err_t err = {0};
    int rc = http_request(&req, &resp, &err);
    srv_stop(&s);
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "over 19 bytes") != NULL);
    CHECK(strstr(err.msg, "127.0.0.1") != NULL);
    http_response_free(&resp);

    /* exactly the limit is fine */
    srv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789", 1);
    url_of(url, sizeof url, &s, "/big");
    req.max_response = 20;
    rc = http_request(&req, &resp, &err);
    srv_stop(&s);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(resp.body.len, 20);
    http_response_free(&resp);
}

TEST(oversized_headers_rejected)
{
    static char answer[80000];
    int n = snprintf(answer, sizeof answer, "HTTP/1.1 200 OK\r\n");
    while (n < 70000)
        n += snprintf(answer + n, sizeof answer - (size_t)n, "X-Pad: %0100d\r\n", 0);
    snprintf(answer + n, sizeof answer - (size_t)n, "Content-Length: 0\r\n\r\n");
    srv_t s;
    srv_start(&s, answer, 1);
    char url[128];
    url_of(url, sizeof url, &s, "/");
    http_request_t req = {.method = "GET", .url = url};
    http_response_t resp = {0};
    err_t err = {0};
    int rc = http_request(&req, &resp, &err);
    srv_stop(&s);
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "response headers over") != NULL);
    http_response_free(&resp);
}

TEST(connection_refused_names_host_not_query)
{
    /* a port nobody listens on: bind one, close it */
    srv_t s;
    srv_start(&s, "", 0);
    int port = s.port;
    srv_stop(&s);
    char url[160];
    snprintf(url, sizeof url, "http://user:pw@127.0.0.1:%d/path?X-Amz-Signature=deadbeef", port);
    http_request_t req = {.method = "GET", .url = url};
    http_response_t resp = {0};
    err_t err = {0};
    CHECK_EQ_INT(http_request(&req, &resp, &err), -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK_EQ_INT(resp.status, 0);
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    CHECK(strstr(err.msg, host) != NULL);
    CHECK(strstr(err.msg, "deadbeef") == NULL);
    CHECK(strstr(err.msg, "pw") == NULL);
    CHECK(strstr(err.msg, "path") == NULL);
    CHECK(strcasestr(err.msg, "connect") != NULL);
    http_response_free(&resp);
}

TEST(timeout_is_an_error)
{
    srv_t s;
    srv_start(&s, NULL, 1);
    char url[128];
    url_of(url, sizeof url, &s, "/slow");
    http_request_t req = {.method = "GET", .url = url, .timeout_ms = 300};
    http_response_t resp = {0};
    err_t err = {0};
    int rc = http_request(&req, &resp, &err);
    http_client_thread_cleanup(); /* closes the connection, so the server thread ends */
    srv_stop(&s);
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK(strcasestr(err.msg, "timeout") != NULL || strcasestr(err.msg, "timed out") != NULL);
    http_response_free(&resp);
}

TEST(connection_reused_between_calls)
{
    http_client_thread_cleanup(); /* start from a fresh handle: no connection from before */
    srv_t s;
    srv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 3);
    char url[128];
    url_of(url, sizeof url, &s, "/");
    http_response_t resp = {0};
    err_t err = {0};
    for (int i = 0; i < 3; i++) {
        http_request_t req = {.method = i == 1 ? "PUT" : "GET", .url = url,
                              .body = (const uint8_t *)"abc", .body_len = i == 1 ? 3 : 0};
        CHECK_EQ_INT(http_request(&req, &resp, &err), 0);
        CHECK_EQ_INT(resp.status, 200);
        CHECK_EQ_STR(http_response_text(&resp), "ok"); /* the buffer is reused, not appended to */
    }
    srv_stop(&s);
    CHECK_EQ_INT(s.connections, 1);
    http_response_free(&resp);
}

TEST(malformed_header_rejected)
{
    http_header_t hs[] = {{"X-Bad", "a\r\nInjected: 1"}};
    http_request_t req = {.method = "GET", .url = "http://127.0.0.1:1/", .headers = hs, .nheaders = 1};
    http_response_t resp = {0};
    err_t err = {0};
    CHECK_EQ_INT(http_request(&req, &resp, &err), -1);
    CHECK(strstr(err.msg, "malformed request header X-Bad") != NULL);
    http_response_free(&resp);
}

static void *thread_get(void *arg)
{
    const char *url = arg;
    http_request_t req = {.method = "GET", .url = url};
    http_response_t resp = {0};
    err_t err = {0};
    long rc = http_request(&req, &resp, &err) == 0 ? resp.status : -1;
    http_response_free(&resp);
    http_client_thread_cleanup();
    return (void *)rc;
}

TEST(works_from_other_threads)
{
    srv_t s;
    srv_start(&s, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 2);
    char url[128];
    url_of(url, sizeof url, &s, "/t");
    pthread_t a, b;
    pthread_create(&a, NULL, thread_get, url);
    pthread_create(&b, NULL, thread_get, url);
    void *ra, *rb;
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    srv_stop(&s);
    CHECK_EQ_INT((long)ra, 201);
    CHECK_EQ_INT((long)rb, 201);
}

static int run(void);
int main(void)
{
    err_t err = {0};
    if (http_client_global_init(&err)) {
        printf("FAIL init: %s\n", err.msg);
        return 1;
    }
    int rc = run();
    http_client_global_cleanup();
    return rc;
}

#undef RUN_TESTS
#define RUN_TESTS(...)                                                                      \
    static int run(void)                                                                    \
    {                                                                                       \
        static const check_case_ cases_[] = {__VA_ARGS__};                                  \
        return check_run_(cases_, sizeof cases_ / sizeof cases_[0]);                        \
    }

RUN_TESTS(T(get_body_and_headers), T(put_with_body), T(big_put_has_no_expect), T(put_empty_sends_content_length_zero),
          T(delete_has_no_body), T(head_reads_no_body), T(only_final_header_block_kept),
          T(oversized_body_rejected), T(oversized_headers_rejected),
          T(connection_refused_names_host_not_query), T(timeout_is_an_error),
          T(connection_reused_between_calls), T(malformed_header_rejected),
          T(works_from_other_threads))
