/* The logger: one line per event, text ("2026-01-02T03:04:05.678Z INFO message") or JSON
 * ({"time":...,"level":"INFO","message":...}) for CloudWatch. Never pass secrets. */
#ifndef OTLP2PARQUET_UTIL_LOG_H
#define OTLP2PARQUET_UTIL_LOG_H

enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* Set once at start-up, before threads start. */
void log_setup(int min_level, int json);
/* "debug", "info", "warn"/"warning", "error" -> level; -1 when unknown. */
int log_level_parse(const char *s);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
