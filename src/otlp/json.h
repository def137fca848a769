/* OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) in.
 *
 * JSON is not decoded into rows by decoders of its own: otlp_json_to_pb transcodes a request
 * into the equivalent OTLP protobuf bytes, which the protobuf decoders (otlp/decode.h) turn
 * into rows. One row-building path per signal, so both encodings give identical rows.
 *
 * The mapping is protobuf's JSON mapping with OTLP's exceptions: trace and span ids are hex
 * (either case; "" = absent); other bytes (AnyValue.bytesValue) base64, standard or URL-safe,
 * padding optional; 64-bit integers a string or a number; 32-bit integers numbers (strings
 * tolerated); integer fields take only integral values ("1e3" and "10.0" are fine, 1.5 and
 * out-of-range values are errors); enums an integer or the value's name ("SPAN_KIND_SERVER");
 * doubles a number or "NaN", "Infinity", "-Infinity" (numeric strings tolerated); null for any
 * field = absent; keys lowerCamelCase, the .proto's snake_case tolerated; unknown keys skipped
 * whatever their value. Two members of one oneof (AnyValue's stringValue and intValue, say)
 * are an error; a repeated field given twice gets both lists, a singular field given twice the
 * last value, as protobuf's merge semantics say.
 *
 * The output is canonical protobuf: fields in input order, lengths minimal, implicit-presence
 * fields at their default omitted, numeric repeated fields packed. */
#ifndef OTLP2PARQUET_OTLP_JSON_H
#define OTLP2PARQUET_OTLP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* signal: 0 logs, 1 traces, 2 metrics (the order of otlp_signal_t). Appends the
 * Export{Logs,Trace,Metrics}ServiceRequest to out. 0, or -1 with err set and out as it was:
 * ERR_INVALID with the JSON path of the bad value, e.g.
 * "resourceSpans[0].scopeSpans[1].spans[7].traceId: not hex", or for malformed JSON the place
 * too ("resourceLogs[0]: line 1, column 57 (byte 56): expected ',' or '}'"); ERR_NOMEM;
 * ERR_TOO_LARGE past 4 GiB of output. Linear time; memory is out plus a few scratch buffers. */
int otlp_json_to_pb(int signal, const uint8_t *json, size_t len, buf_t *out, err_t *err);

/* NDJSON (application/x-ndjson): one request per line. Sets *line and *line_len to the next
 * line at or after *pos that is not blank (blank: nothing but spaces, tabs and \r), without its
 * "\n" and trailing "\r", advances *pos past it and returns 1; returns 0 when no line is left. */
int otlp_ndjson_next(const uint8_t *data, size_t len, size_t *pos, const uint8_t **line,
                     size_t *line_len);

#endif
