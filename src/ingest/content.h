/* What an OTLP payload is, told from its bytes (and, for protobuf, from a file name): gzip,
 * OTLP/JSON (one request or several, one per line), or protobuf; and which signal a JSON request
 * carries. `convert` uses all of it; the NDJSON decoder splits bodies with json_next_object. */
#ifndef OTLP2PARQUET_INGEST_CONTENT_H
#define OTLP2PARQUET_INGEST_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"
#include "util/err.h"

typedef enum { CONTENT_EMPTY, CONTENT_GZIP, CONTENT_JSON, CONTENT_PROTOBUF } content_kind_t;

/* gzip magic -> GZIP; nothing but whitespace -> EMPTY; an opening '{' after optional whitespace
 * (and a UTF-8 BOM), followed by a JSON string key or '}' -> JSON; anything else -> PROTOBUF.
 * The look past the brace matters: '\n' is also the tag byte of field 1 of every OTLP request
 * and the next byte a length, which can be '{' (123); a JSON key never holds a control byte,
 * while a protobuf message soon does. */
content_kind_t content_sniff(const uint8_t *p, size_t n);

/* The next top-level JSON object at or after *pos, skipping whitespace (lines of NDJSON, or
 * objects simply one after another): 1 and [*start, *start + *len) when there is one (then *pos
 * is past it), 0 at the end, -1 when something other than an object comes or an object does not
 * end (ERR_INVALID naming the line). Strings and escapes are respected; nothing else is checked
 * (that is the JSON decoder's job). */
int json_next_object(const uint8_t *p, size_t n, size_t *pos, size_t *start, size_t *len, err_t *err);

/* 1-based line number of byte offset off. */
size_t content_line_of(const uint8_t *p, size_t off);

/* The signal of one OTLP/JSON request from its top-level keys (resourceLogs / resource_logs,
 * resourceSpans / resource_spans, resourceMetrics / resource_metrics), or -1 when it has none
 * of them. */
int json_signal(const uint8_t *obj, size_t n);

/* The signal a file name states: "logs", "traces" or "spans", "metrics" in its last component
 * (any case). -1 when it says none, -2 when it names more than one. */
int name_signal(const char *path);

/* otlp_signal_t from "logs", "traces", "metrics" (also "spans"); -1 otherwise. */
int signal_parse(const char *s);

#endif
