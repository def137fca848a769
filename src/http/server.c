/* OTLP/HTTP over libmicrohttpd. MHD runs a small pool of worker threads (epoll); each request's
 * body is collected in a buf_t and handed to ingest_request on the worker thread. In the batching
 * mode a 200 means "accepted into the buffers" (as with the OpenTelemetry Collector); the
 * buffers are written on shutdown (http_serve_until_signal calls ingest_flush after the drain),
 * so nothing answered 200 is lost on SIGTERM.
 *
 * Shutdown: we count connections that have not started a request yet ("fresh": accepted, the
 * request still in the socket) and requests not yet answered; stop quiesces the listener and
 * waits until both reach zero, so nothing that already reached the server is cut off. */
#include "http/server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/otlp_handler.h"
#include "http/otlp_response.h"
#include "util/buf.h"
#include "util/gzip.h"
#include "util/log.h"

#define DEFAULT_MAX_BODY ((size_t)8 << 20)
#define DEFAULT_THREADS 4
#define DEFAULT_MAX_CONNECTIONS 1024
#define DEFAULT_TIMEOUT_SECS 30
#define DEFAULT_DRAIN_SECS 30
#define FRESH_GRACE_SECS 2

struct http_server {
    http_server_config_t cfg; /* defaults filled in */
    struct MHD_Daemon *daemon;
    int listen_fd;
    int port;
    _Atomic int starting; /* MHD messages while starting are errors; later they are about clients */

    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when a request ends or a connection closes */
    unsigned active;     /* requests seen and not yet completed */
    unsigned fresh;      /* connections that have not started their first request */
    unsigned adopting;   /* taken from the backlog on stop, not yet seen by MHD's workers */
    size_t inflight;     /* body bytes reserved by requests in flight */
    int draining;
};

/* Per connection (MHD socket context): has it started a request yet? */
typedef struct {
    int fresh;
} conn_t;

typedef struct {
    http_server_t *srv;
    otlp_route_t rt;
    int answered;    /* a response is queued */
    int fail_status; /* the body is being discarded; this status is sent at the end */
    char fail_msg[200];
    size_t reserved; /* bytes of srv->inflight held by this request */
    size_t discarded;
    buf_t body;
} req_t;

/* --- small helpers ------------------------------------------------------------------------- */

static void lock(http_server_t *s) { pthread_mutex_lock(&s->mu); }
static void unlock(http_server_t *s) { pthread_mutex_unlock(&s->mu); }

/* Takes n bytes of the in-flight budget; 0 when they fit. */
static int budget_take(http_server_t *s, req_t *r, size_t n)
{
    int ok;
    lock(s);
    ok = n <= s->cfg.max_inflight_bytes - s->inflight;
    if (ok) {
        s->inflight += n;
        r->reserved += n;
    }
    unlock(s);
    return ok ? 0 : -1;
}

static void budget_release(http_server_t *s, req_t *r)
{
    if (!r->reserved)
        return;
    lock(s);
    s->inflight -= r->reserved;
    unlock(s);
    r->reserved = 0;
}

/* The request's client as text, for log lines. */
static void client_addr(struct MHD_Connection *c, char *out, size_t outlen)
{
    snprintf(out, outlen, "?");
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    getnameinfo(ci->client_addr, len, out, (socklen_t)outlen, NULL, 0, NI_NUMERICHOST);
}

/* --- responses ----------------------------------------------------------------------------- */

static int queue(struct MHD_Connection *c, req_t *r, unsigned status, const void *body, size_t len,
                 const char *content_type, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)(len ? body : ""),
                                                                MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return -1;
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == 503 || status == 429)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, OTLP_RETRY_AFTER_SECS);
    lock(r->srv);
    int draining = r->srv->draining;
    unlock(r->srv);
    if (draining) /* the client must not reuse a connection that is about to close */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    if (ok != MHD_YES)
        return -1;
    r->answered = 1;
    return 0;
}

/* Logs a reply to a request and queues it. */
static enum MHD_Result send_reply(struct MHD_Connection *c, req_t *r, const char *method, const char *url,
                                  otlp_reply_t *rep)
{
    if (rep->status != 200) {
        char who[64], shown[300], path[128], meth[16];
        client_addr(c, who, sizeof who);
        /* method, path and message may quote client bytes: keep log lines whole */
        otlp_printable(rep->msg, shown, sizeof shown);
        otlp_printable(url, path, sizeof path);
        otlp_printable(method, meth, sizeof meth);
        log_msg(otlp_log_level_for(rep->status), "http: %s %s from %s: %d: %s", meth, path, who, rep->status, shown);
    }
    int rc = queue(c, r, (unsigned)rep->status, rep->body.data, rep->body.len, rep->content_type, rep->allow);
    otlp_reply_free(rep);
    return rc ? MHD_NO : MHD_YES;
}

/* An error answered with a google.rpc.Status in the request's encoding (JSON when unknown). */
static enum MHD_Result send_error(struct MHD_Connection *c, req_t *r, const char *method, const char *url,
                                  unsigned status, const char *allow, const char *msg)
{
    otlp_reply_t rep;
    memset(&rep, 0, sizeof rep);
    if (otlp_error_reply(&rep, &r->rt, (int)status, allow, msg)) {
        otlp_reply_free(&rep);
        return MHD_NO;
    }
    return send_reply(c, r, method, url, &rep);
}

/* --- the request handler ------------------------------------------------------------------- */

static void request_begin(http_server_t *s, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_t *conn = ci ? (conn_t *)ci->socket_context : NULL;
    lock(s);
    s->active++;
    if (conn && conn->fresh) {
        conn->fresh = 0;
        s->fresh--;
    }
    unlock(s);
}

/* First call for a request: headers are in, the body (if any) is not. Everything that can be
 * refused without reading the body is refused here. */
static enum MHD_Result on_headers(struct MHD_Connection *c, req_t *r, const char *url, const char *method)
{
    http_server_t *s = r->srv;
    const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *cenc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    char msg[300];
    otlp_reply_t rep;
    memset(&rep, 0, sizeof rep);
    int st = otlp_route(method, url, ctype, cenc, &r->rt, &rep);
    if (st < 0) {
        otlp_reply_free(&rep);
        return MHD_NO;
    }
    if (st)
        return send_reply(c, r, method, url, &rep);
    /* GET /health and /ready are answered when the (empty) body is in, so a stray body does
     * not confuse MHD */
    if (r->rt.route != OTLP_ROUTE_EXPORT)
        return MHD_YES;
    const char *clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = 0;
    if (clen) {
        errno = 0;
        char *end;
        declared = strtoull(clen, &end, 10);
        if (errno == ERANGE)
            declared = ULLONG_MAX;
    }
    if (declared > s->cfg.max_body) {
        snprintf(msg, sizeof msg, "request body of %llu bytes exceeds the limit of %zu bytes", declared,
                 s->cfg.max_body);
        return send_error(c, r, method, url, 413, NULL, msg);
    }
    if (declared > 0) {
        if (budget_take(s, r, (size_t)declared)) {
            snprintf(msg, sizeof msg, "server busy: %zu bytes of request bodies already in flight",
                     s->cfg.max_inflight_bytes);
            return send_error(c, r, method, url, 503, NULL, msg);
        }
        /* one allocation for the usual case; the claim is within max_body and the budget */
        if (buf_reserve(&r->body, (size_t)declared))
            return send_error(c, r, method, url, 503, NULL, "out of memory for the request body");
    }
    return MHD_YES;
}

/* A piece of the body. MHD cannot send a response in the middle of an upload, so a body that
 * turns out too large is discarded from here on and answered when it ends. */
static enum MHD_Result on_body(req_t *r, const char *data, size_t n)
{
    http_server_t *s = r->srv;
    if (r->rt.route != OTLP_ROUTE_EXPORT)
        return MHD_YES; /* a body sent with GET /health means nothing */
    if (r->fail_status) {
        r->discarded += n;
        /* a client that keeps streaming long past the limit is cut off */
        return r->discarded > s->cfg.max_body + ((size_t)64 << 20) ? MHD_NO : MHD_YES;
    }
    if (n > s->cfg.max_body - r->body.len) {
        r->fail_status = 413;
        snprintf(r->fail_msg, sizeof r->fail_msg, "request body exceeds the limit of %zu bytes", s->cfg.max_body);
    } else if (r->body.len + n > r->reserved && budget_take(s, r, r->body.len + n - r->reserved)) {
        r->fail_status = 503;
        snprintf(r->fail_msg, sizeof r->fail_msg, "server busy: %zu bytes of request bodies already in flight",
                 s->cfg.max_inflight_bytes);
    } else if (buf_append(&r->body, data, n)) {
        r->fail_status = 503;
        snprintf(r->fail_msg, sizeof r->fail_msg, "out of memory for the request body");
    }
    if (r->fail_status) {
        buf_free(&r->body);
        budget_release(s, r);
        r->discarded = n;
    }
    return MHD_YES;
}

static enum MHD_Result answer_ready(struct MHD_Connection *c, req_t *r, const char *method, const char *url)
{
    http_server_t *s = r->srv;
    lock(s);
    int draining = s->draining;
    unlock(s);
    if (draining) /* tell load balancers to go elsewhere before the listener is gone */
        return send_error(c, r, method, url, 503, NULL, "shutting down");
    otlp_reply_t rep;
    memset(&rep, 0, sizeof rep);
    if (otlp_ready_reply(s->cfg.ingest, s->cfg.storage, &r->rt, &rep)) {
        otlp_reply_free(&rep);
        return MHD_NO;
    }
    return send_reply(c, r, method, url, &rep);
}

/* The whole body is in: decompress, ingest, answer. */
static enum MHD_Result on_complete(struct MHD_Connection *c, req_t *r, const char *method, const char *url)
{
    http_server_t *s = r->srv;
    if (r->rt.route == OTLP_ROUTE_HEALTH)
        return queue(c, r, 200, "ok", 2, "text/plain; charset=utf-8", NULL) ? MHD_NO : MHD_YES;
    if (r->rt.route == OTLP_ROUTE_READY)
        return answer_ready(c, r, method, url);
    if (r->fail_status)
        return send_error(c, r, method, url, (unsigned)r->fail_status, NULL, r->fail_msg);

    otlp_reply_t rep;
    memset(&rep, 0, sizeof rep);
    int rc = otlp_handle_export(s->cfg.ingest, &r->rt, s->cfg.max_body, &r->body, &rep);
    budget_release(s, r);
    if (rc) {
        otlp_reply_free(&rep);
        return MHD_NO;
    }
    if (rep.status == 200) {
        if (rep.res.rejected) {
            char why[200];
            otlp_printable(rep.res.message, why, sizeof why);
            log_msg(LOG_WARN, "http: %s %s: %llu rows accepted, %llu rejected: %s", method, url,
                    (unsigned long long)rep.res.rows, (unsigned long long)rep.res.rejected, why);
        } else
            log_msg(LOG_DEBUG, "http: %s %s: %llu rows accepted", method, url, (unsigned long long)rep.res.rows);
    }
    return send_reply(c, r, method, url, &rep);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    http_server_t *s = cls;
    req_t *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->srv = s;
        *con_cls = r;
        request_begin(s, c);
        return on_headers(c, r, url, method);
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->answered) /* refused at the headers: drop whatever body MHD still passes on */
            return MHD_YES;
        return on_body(r, upload_data, n);
    }
    if (r->answered)
        return MHD_YES;
    return on_complete(c, r, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    http_server_t *s = cls;
    req_t *r = *con_cls;
    if (!r)
        return;
    buf_free(&r->body);
    budget_release(s, r);
    free(r);
    *con_cls = NULL;
    lock(s);
    s->active--;
    pthread_cond_broadcast(&s->idle);
    unlock(s);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    http_server_t *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_t *conn = calloc(1, sizeof *conn);
        *socket_context = conn;
        if (!conn) {
            lock(s);
            if (s->adopting)
                s->adopting--;
            unlock(s);
            return; /* counted as not fresh: the drain may then not wait for it */
        }
        lock(s);
        conn->fresh = 1;
        s->fresh++;
        if (s->adopting) /* after the listener is quiesced, new connections are adopted ones */
            s->adopting--;
        unlock(s);
        return;
    }
    conn_t *conn = *socket_context;
    if (!conn)
        return;
    lock(s);
    if (conn->fresh)
        s->fresh--;
    pthread_cond_broadcast(&s->idle);
    unlock(s);
    free(conn);
    *socket_context = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_server_t *s = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    /* after start-up, MHD's messages are about misbehaving or vanished clients */
    log_msg(s->starting ? LOG_ERROR : LOG_DEBUG, "http: libmicrohttpd: %s", line);
}

/* --- listening socket ---------------------------------------------------------------------- */

/* "host:port", "[v6]:port" or ":port" -> a bound, listening socket. We bind it ourselves (and
 * hand it to MHD) to report the exact errno and to learn the port picked for port 0. */
static int open_listener(const char *addr, int *fd_out, int *family_out, int *port_out, err_t *err)
{
    if (!addr || !*addr)
        return err_set(err, ERR_CONFIG, "listen address is empty");
    char host[256];
    const char *port;
    if (addr[0] == '[') {
        const char *close_br = strchr(addr, ']');
        if (!close_br || close_br[1] != ':')
            return err_set(err, ERR_CONFIG, "listen address \"%s\": want [IPv6]:port", addr);
        size_t n = (size_t)(close_br - addr - 1);
        if (n == 0 || n >= sizeof host)
            return err_set(err, ERR_CONFIG, "listen address \"%s\": bad IPv6 address", addr);
        memcpy(host, addr + 1, n);
        host[n] = 0;
        port = close_br + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon)
            return err_set(err, ERR_CONFIG, "listen address \"%s\": want host:port", addr);
        size_t n = (size_t)(colon - addr);
        if (memchr(addr, ':', n))
            return err_set(err, ERR_CONFIG, "listen address \"%s\": write IPv6 addresses in brackets, [::1]:4318",
                           addr);
        if (n >= sizeof host)
            return err_set(err, ERR_CONFIG, "listen address \"%s\": host name too long", addr);
        memcpy(host, addr, n);
        host[n] = 0;
        if (n == 0)
            strcpy(host, "0.0.0.0");
        port = colon + 1;
    }
    size_t pl = strlen(port);
    if (pl == 0 || pl > 5 || strspn(port, "0123456789") != pl || atoi(port) > 65535)
        return err_set(err, ERR_CONFIG, "listen address \"%s\": port must be 0 to 65535", addr);

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai)
        return err_set(err, ERR_CONFIG, "listen address \"%s\": %s", addr, gai_strerror(gai));
    int fd = -1, e = 0;
    const char *step = "socket";
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            step = "socket";
            continue;
        }
        int one = 1, zero = 0;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* restart without TIME_WAIT trouble */
        if (ai->ai_family == AF_INET6) {
            const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ai->ai_addr;
            /* "[::]" means every address, IPv4 ones included */
            int any = !memcmp(&a6->sin6_addr, &in6addr_any, sizeof in6addr_any);
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, any ? &zero : &one, sizeof one);
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen)) {
            e = errno;
            step = "bind";
        } else if (listen(fd, SOMAXCONN)) {
            e = errno;
            step = "listen";
        } else {
            *family_out = ai->ai_family;
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return err_set(err, ERR_IO, "listen address \"%s\": %s: %s", addr, step, strerror(e));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl)) {
        e = errno;
        close(fd);
        return err_set(err, ERR_IO, "listen address \"%s\": getsockname: %s", addr, strerror(e));
    }
    *port_out = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return 0;
}

/* --- start and stop ------------------------------------------------------------------------ */

http_server_t *http_server_start(const http_server_config_t *cfg, err_t *err)
{
    if (!cfg || !cfg->ingest) {
        err_set(err, ERR_CONFIG, "http server: no ingest pipeline");
        return NULL;
    }
    http_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(err, ERR_NOMEM, "http server: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    if (!s->cfg.max_body)
        s->cfg.max_body = DEFAULT_MAX_BODY;
    if (!s->cfg.threads)
        s->cfg.threads = DEFAULT_THREADS;
    if (!s->cfg.max_connections)
        s->cfg.max_connections = DEFAULT_MAX_CONNECTIONS;
    if (!s->cfg.timeout_secs)
        s->cfg.timeout_secs = DEFAULT_TIMEOUT_SECS;
    if (!s->cfg.drain_secs)
        s->cfg.drain_secs = DEFAULT_DRAIN_SECS;
    if (!s->cfg.max_inflight_bytes) {
        size_t four = s->cfg.max_body <= SIZE_MAX / 4 ? 4 * s->cfg.max_body : SIZE_MAX;
        s->cfg.max_inflight_bytes = four > ((size_t)256 << 20) ? four : (size_t)256 << 20;
    }
    s->listen_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->idle, &ca);
    pthread_condattr_destroy(&ca);

    int family = AF_INET;
    if (open_listener(cfg->listen_addr, &s->listen_fd, &family, &s->port, err))
        goto fail;

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC /* for MHD_quiesce_daemon */ | MHD_USE_ERROR_LOG;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->starting = 1;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, /* first, or MHD logs to stderr */
                                 MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->cfg.threads,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->cfg.max_connections,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->cfg.timeout_secs,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                 MHD_OPTION_END);
    s->starting = 0;
    if (!s->daemon) {
        err_set(err, ERR_IO, "listen address \"%s\": libmicrohttpd did not start (see the log above)",
                cfg->listen_addr);
        goto fail;
    }
    return s;
fail:
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
}

int http_server_port(const http_server_t *srv) { return srv ? srv->port : -1; }

void http_server_stop(http_server_t *s)
{
    if (!s)
        return;
    lock(s);
    s->draining = 1;
    unlock(s);
    MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
    /* Connections the kernel completed before we stopped listening belong to clients that have
     * sent (or are sending) a request already; MHD would leave them in the backlog to be reset
     * when the socket closes. Take them over and serve them like the others. */
    unsigned adopted = 0;
    while (lfd != MHD_INVALID_SOCKET) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int cfd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break; /* EAGAIN: the backlog is empty */
        }
        /* MHD hands the socket to a worker, which reports it (NOTIFY_CONNECTION) a little later;
         * until then it counts as "adopting", so the wait below cannot miss it */
        lock(s);
        s->adopting++;
        unlock(s);
        if (MHD_add_connection(s->daemon, cfd, (struct sockaddr *)&ss, sl) == MHD_YES) { /* closes cfd on failure */
            adopted++;
        } else {
            lock(s);
            s->adopting--;
            unlock(s);
        }
    }
    lock(s);
    log_msg(LOG_INFO, "http: stopped listening; waiting for %u requests in flight (%u connections yet to send one)",
            s->active, s->fresh + s->adopting);
    unlock(s);
    if (adopted)
        log_msg(LOG_DEBUG, "http: took over %u connections from the listen backlog", adopted);

    struct timespec deadline, now;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)s->cfg.drain_secs;
    lock(s);
    int idle = 0;          /* were the workers seen with nothing to do, and since when */
    time_t idle_since = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))
            break;
        if (s->active > 0) {
            idle = 0;
        } else if (s->fresh == 0 && s->adopting == 0) {
            break;
        } else {
            /* Fresh connections while no request runs: with the workers idle, a request already
             * in such a socket starts within milliseconds, so one that stays silent for a grace
             * period is an idle client and need not hold up the shutdown. */
            if (!idle) {
                idle = 1;
                idle_since = now.tv_sec;
            }
            else if (now.tv_sec - idle_since >= FRESH_GRACE_SECS)
                break;
        }
        struct timespec until = now;
        until.tv_sec += 1;
        if (until.tv_sec > deadline.tv_sec)
            until = deadline;
        pthread_cond_timedwait(&s->idle, &s->mu, &until);
    }
    unsigned active = s->active, fresh = s->fresh;
    unlock(s);
    if (active)
        log_msg(LOG_WARN, "http: %u requests still in flight after %u s; closing their connections", active,
                s->cfg.drain_secs);
    else if (fresh)
        log_msg(LOG_INFO, "http: closing %u idle connections that sent no request", fresh);

    MHD_stop_daemon(s->daemon); /* joins the workers: any request still in ingest finishes first */
    /* MHD gives a quiesced socket back to us, and only after the stop may it be closed */
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* --- run until a signal -------------------------------------------------------------------- */

/* The write end of the self-pipe. A signal handler can reach nothing else, so this is the one
 * piece of global state here; it is set only while http_serve_until_signal runs. */
static volatile sig_atomic_t signal_pipe_fd = -1;

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    int fd = signal_pipe_fd;
    if (fd >= 0 && write(fd, &b, 1) < 0) {
        /* pipe full: a signal is pending already, which is all we need */
    }
    errno = saved;
}

int http_serve_until_signal(const http_server_config_t *cfg, err_t *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
        return err_set(err, ERR_IO, "http server: pipe: %s", strerror(errno));
    signal_pipe_fd = p[1];
    struct sigaction sa, old_term, old_int;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    /* handlers before the threads start, so no signal finds the default action (death) */
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);

    int rc = 0;
    http_server_t *srv = http_server_start(cfg, err);
    if (!srv) {
        rc = -1;
        goto out;
    }
    log_msg(LOG_INFO, "http: serving OTLP/HTTP on %s (port %d)", cfg->listen_addr, http_server_port(srv));

    unsigned char sig = 0;
    for (;;) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        int n = poll(&pfd, 1, -1);
        if (n < 0 && errno != EINTR) {
            log_msg(LOG_ERROR, "http: poll on the signal pipe: %s; shutting down", strerror(errno));
            break;
        }
        if (n > 0 && read(p[0], &sig, 1) == 1)
            break;
    }
    /* A second Ctrl-C while draining means "now": SIGINT gets its default action back. A
     * repeated SIGTERM (supervisors may send several) must not cut the drain or the exit
     * short, so from here on it is ignored, also after we return: the process is ending. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGINT, &dfl, NULL);
    old_int = dfl;
    dfl.sa_handler = SIG_IGN;
    old_term = dfl;
    log_msg(LOG_INFO, "http: %s received: finishing the requests in flight",
            sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal");
    http_server_stop(srv);
    if (ingest_flush(cfg->ingest, err)) {
        err_prefix(err, "flush on shutdown");
        rc = -1;
    } else {
        log_msg(LOG_INFO, "http: stopped");
    }
out:
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    signal_pipe_fd = -1;
    close(p[0]);
    close(p[1]);
    return rc;
}
