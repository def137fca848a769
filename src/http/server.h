/* The OTLP/HTTP server (DESIGN §6) over libmicrohttpd: POST /v1/{logs,traces,metrics} into the
 * ingest pipeline, GET /health and /ready, and a graceful stop that answers every request in
 * flight before it returns. */
#ifndef OTLP2PARQUET_HTTP_SERVER_H
#define OTLP2PARQUET_HTTP_SERVER_H

#include <stddef.h>

#include "ingest/ingest.h"
#include "storage/storage.h"
#include "util/err.h"

typedef struct {
    const char *listen_addr; /* "host:port", "[ipv6]:port" or ":port" (all IPv4 addresses);
                                port 0 picks a free one (see http_server_port) */
    size_t max_body;         /* bytes, compressed and decompressed alike; 0: 8 MiB */
    ingest_t *ingest;        /* not owned */
    storage_t *storage;      /* not owned; GET /ready asks it (through ingest_check_storage) */
    /* Tuning; 0 picks the default shown. */
    unsigned threads;         /* worker threads: 4 */
    unsigned max_connections; /* open connections at once: 1024 */
    unsigned timeout_secs;    /* an idle or stalled connection is closed after: 30 */
    unsigned drain_secs;      /* longest wait for requests in flight on stop: 30 */
    size_t max_inflight_bytes; /* request bodies buffered at once, all connections together;
                                  past it new requests get 503: max(256 MiB, 4 x max_body) */
} http_server_config_t;

typedef struct http_server http_server_t;

/* Binds, listens and starts the worker threads. NULL on error (ERR_CONFIG for a bad address,
 * ERR_IO when the address cannot be bound). cfg is copied; its pointers must outlive the server. */
http_server_t *http_server_start(const http_server_config_t *cfg, err_t *err);

/* The bound port (useful with port 0). */
int http_server_port(const http_server_t *srv);

/* Stops accepting connections, waits (at most drain_secs) until every request that reached
 * the server has been answered, closes what is left and frees the server. Requests that
 * arrive on open connections meanwhile are still served, with Connection: close. */
void http_server_stop(http_server_t *srv);

/* Runs the server until SIGTERM or SIGINT, then stops it as above and calls ingest_flush.
 * Returns 0 after a clean shutdown, -1 (err set) when it could not start or the flush failed.
 * Signals go through handlers of its own (a self-pipe read by the calling thread), so other
 * threads need not block them. Once a signal arrived, a second SIGINT ends the process at once
 * (SIG_DFL) and further SIGTERMs are ignored, also after the return: the caller is expected to
 * clean up and exit. */
int http_serve_until_signal(const http_server_config_t *cfg, err_t *err);

#endif
