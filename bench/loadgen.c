/* loadgen: posts pre-built OTLP/HTTP request bodies to a server over loopback, for `make bench`.
 *
 *   loadgen -u HOST:PORT -p /v1/logs -t CONTENT-TYPE [-e gzip] [-c CONNS] [-n REPEAT] BODIES
 *
 * BODIES holds the request bodies, each framed as a 4-byte little-endian length then the bytes
 * (bench/gen_workload.py writes them). Every body is sent once (REPEAT times with -n), spread
 * over CONNS keep-alive HTTP/1.1 connections (one thread each, taking the next body from a
 * shared counter). A 503 or 429 answer is retried after 50 ms; any other non-2xx answer counts as
 * an error. Prints one JSON object: requests, errors, retries, bytes sent, wall seconds.
 * Raw sockets, no libraries: the client should cost little next to the server it measures. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const unsigned char *data;
    size_t len;
} body_t;

static body_t *bodies;
static size_t nbodies, total;
static atomic_size_t next_i;
static atomic_long n_ok, n_err, n_retry, n_bytes;
static const char *host = "127.0.0.1", *port = "4318", *path = "/v1/logs", *ctype = "application/x-protobuf",
                  *cenc;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one response; returns its status, or -1 when the connection failed. *close_after is set
 * when the server said Connection: close. Handles Content-Length and chunked bodies. */
typedef struct {
    char buf[65536];
    size_t len;
} rbuf_t;

static int fill(int fd, rbuf_t *rb)
{
    if (rb->len == sizeof rb->buf)
        return -1;
    ssize_t r;
    do
        r = recv(fd, rb->buf + rb->len, sizeof rb->buf - rb->len, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return -1;
    rb->len += (size_t)r;
    return 0;
}

static void consume(rbuf_t *rb, size_t n)
{
    memmove(rb->buf, rb->buf + n, rb->len - n);
    rb->len -= n;
}

static char *find_crlf(rbuf_t *rb, size_t from)
{
    for (size_t i = from; i + 1 < rb->len; i++)
        if (rb->buf[i] == '\r' && rb->buf[i + 1] == '\n')
            return rb->buf + i;
    return NULL;
}

static int read_response(int fd, rbuf_t *rb, int *close_after)
{
    char *end;
    for (;;) {
        end = memmem(rb->buf, rb->len, "\r\n\r\n", 4);
        if (end)
            break;
        if (fill(fd, rb))
            return -1;
    }
    size_t hlen = (size_t)(end - rb->buf) + 4;
    int status = 0;
    if (sscanf(rb->buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    long clen = -1;
    int chunked = 0;
    *close_after = 0;
    for (char *line = strstr(rb->buf, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "content-length:", 15) == 0)
            clen = strtol(line + 15, NULL, 10);
        else if (strncasecmp(line, "transfer-encoding:", 18) == 0 && strcasestr(line, "chunked") &&
                 strcasestr(line, "chunked") < strstr(line, "\r\n"))
            chunked = 1;
        else if (strncasecmp(line, "connection:", 11) == 0 && strcasestr(line, "close") &&
                 strcasestr(line, "close") < strstr(line, "\r\n"))
            *close_after = 1;
    }
    consume(rb, hlen);
    if (chunked) {
        for (;;) {
            char *e;
            while (!(e = find_crlf(rb, 0)))
                if (fill(fd, rb))
                    return -1;
            size_t sz = strtoul(rb->buf, NULL, 16);
            size_t need = (size_t)(e - rb->buf) + 2 + sz + 2;
            while (rb->len < need)
                if (fill(fd, rb))
                    return -1;
            consume(rb, need);
            if (sz == 0)
                break;
        }
    } else if (clen > 0) {
        size_t left = (size_t)clen;
        while (left) {
            if (rb->len == 0 && fill(fd, rb))
                return -1;
            size_t take = rb->len < left ? rb->len : left;
            consume(rb, take);
            left -= take;
        }
    } else if (clen < 0 && status != 204 && status != 304) {
        *close_after = 1; /* body until close: not expected from either server */
    }
    return status;
}

static void *worker(void *arg)
{
    (void)arg;
    static __thread rbuf_t rb;
    int fd = -1;
    char head[512];
    for (;;) {
        size_t i = atomic_fetch_add(&next_i, 1);
        if (i >= total)
            break;
        const body_t *b = &bodies[i % nbodies];
        for (int attempt = 0;; attempt++) {
            if (fd < 0) {
                fd = dial();
                rb.len = 0;
                if (fd < 0) {
                    if (attempt > 100) {
                        atomic_fetch_add(&n_err, 1);
                        break;
                    }
                    usleep(50000);
                    continue;
                }
            }
            int hn = snprintf(head, sizeof head,
                              "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: %s\r\n%s%s%sContent-Length: %zu\r\n\r\n",
                              path, host, port, ctype, cenc ? "Content-Encoding: " : "", cenc ? cenc : "",
                              cenc ? "\r\n" : "", b->len);
            int cl = 0, st = -1;
            if (send_all(fd, head, (size_t)hn) == 0 && send_all(fd, b->data, b->len) == 0)
                st = read_response(fd, &rb, &cl);
            if (st < 0 || cl) {
                close(fd);
                fd = -1;
            }
            if (st >= 200 && st < 300) {
                atomic_fetch_add(&n_ok, 1);
                atomic_fetch_add(&n_bytes, (long)b->len);
                break;
            }
            if ((st == 503 || st == 429 || st < 0) && attempt < 200) {
                atomic_fetch_add(&n_retry, 1);
                usleep(50000);
                continue;
            }
            fprintf(stderr, "loadgen: request %zu: HTTP %d\n", i, st);
            atomic_fetch_add(&n_err, 1);
            break;
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    int conns = 4, repeat = 1, opt;
    static char hostbuf[256];
    while ((opt = getopt(argc, argv, "u:p:t:e:c:n:")) != -1) {
        switch (opt) {
        case 'u': {
            snprintf(hostbuf, sizeof hostbuf, "%s", optarg);
            char *colon = strrchr(hostbuf, ':');
            if (colon) {
                *colon = 0;
                port = colon + 1;
            }
            host = hostbuf;
            break;
        }
        case 'p': path = optarg; break;
        case 't': ctype = optarg; break;
        case 'e': cenc = optarg; break;
        case 'c': conns = atoi(optarg); break;
        case 'n': repeat = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: loadgen -u HOST:PORT -p PATH -t CONTENT-TYPE [-e gzip] [-c CONNS] [-n REPEAT] BODIES\n");
            return 2;
        }
    }
    if (optind != argc - 1 || conns < 1 || conns > 256 || repeat < 1) {
        fprintf(stderr, "loadgen: one BODIES file, 1..256 connections\n");
        return 2;
    }
    FILE *f = fopen(argv[optind], "rb");
    if (!f) {
        perror(argv[optind]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *all = malloc((size_t)sz + 1);
    if (!all || fread(all, 1, (size_t)sz, f) != (size_t)sz) {
        fprintf(stderr, "loadgen: cannot read %s\n", argv[optind]);
        return 2;
    }
    fclose(f);
    size_t cap = 0;
    for (size_t off = 0; off + 4 <= (size_t)sz;) {
        uint32_t n = (uint32_t)all[off] | (uint32_t)all[off + 1] << 8 | (uint32_t)all[off + 2] << 16 |
                     (uint32_t)all[off + 3] << 24;
        if (off + 4 + n > (size_t)sz) {
            fprintf(stderr, "loadgen: %s: truncated frame\n", argv[optind]);
            return 2;
        }
        if (nbodies == cap) {
            cap = cap ? cap * 2 : 256;
            bodies = realloc(bodies, cap * sizeof *bodies);
        }
        bodies[nbodies++] = (body_t){all + off + 4, n};
        off += 4 + n;
    }
    if (!nbodies) {
        fprintf(stderr, "loadgen: %s: no bodies\n", argv[optind]);
        return 2;
    }
    total = nbodies * (size_t)repeat;
    pthread_t th[256];
    double t0 = now();
    for (int i = 0; i < conns; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < conns; i++)
        pthread_join(th[i], NULL);
    double wall = now() - t0;
    printf("{\"requests\": %ld, \"errors\": %ld, \"retries\": %ld, \"bytes\": %ld, \"wall_s\": %.6f}\n",
           atomic_load(&n_ok), atomic_load(&n_err), atomic_load(&n_retry), atomic_load(&n_bytes), wall);
    return atomic_load(&n_err) ? 1 : 0;
}
