/* Errors: every function that can fail fills an err_t and returns -1.
 * The code decides the HTTP status; the message names the input and the field. */
#ifndef OTLP2PARQUET_UTIL_ERR_H
#define OTLP2PARQUET_UTIL_ERR_H

typedef enum {
    ERR_NONE = 0,
    ERR_INVALID,     /* malformed input: 400 */
    ERR_TOO_LARGE,   /* over a size limit: 413 */
    ERR_UNSUPPORTED, /* content type or encoding we do not take: 415 */
    ERR_NOMEM,       /* out of memory: 503 */
    ERR_UNAVAILABLE, /* storage or catalog down, over capacity: 503 */
    ERR_IO,          /* local I/O failure: 500 */
    ERR_CONFIG,      /* bad configuration: start-up stops */
    ERR_INTERNAL,    /* a bug: 500 */
} err_code_t;

typedef struct {
    err_code_t code;
    char msg[1024];
} err_t;

/* Sets code and message, returns -1 so callers can `return err_set(...)`. */
int err_set(err_t *e, err_code_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Puts "prefix: " in front of the message already there (adds context on the way up). */
int err_prefix(err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void err_clear(err_t *e) { e->code = ERR_NONE; e->msg[0] = 0; }

#endif
