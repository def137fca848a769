#include "http/otlp_response.h"

#include <stdint.h>
#include <string.h>

const char *otlp_response_content_type(otlp_encoding_t enc)
{
    return enc == ENC_PROTOBUF ? "application/x-protobuf" : "application/json";
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), 0 when the bytes there are not one. */
static size_t utf8_seq_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Appends s as valid UTF-8; with json set, also escaped for a JSON string (no quotes). */
static int put_text(buf_t *b, const char *s, int json)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq_len(p + i, n - i);
        if (k == 0) {
            if (buf_append(b, "\xef\xbf\xbd", 3))
                return -1;
            i++;
            continue;
        }
        uint8_t c = p[i];
        if (json && (c == '"' || c == '\\')) {
            uint8_t esc[2] = {'\\', c};
            if (buf_append(b, esc, 2))
                return -1;
        } else if (json && c < 0x20) {
            const char *short_esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
                                  : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (short_esc ? buf_append(b, short_esc, 2) : buf_printf(b, "\\u%04x", c))
                return -1;
        } else if (buf_append(b, p + i, k)) {
            return -1;
        }
        i += k;
    }
    return 0;
}

static int put_varint(buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    return buf_append(b, tmp, n);
}

/* field number and wire type 0 (varint) or 2 (length-delimited) */
static int put_tag(buf_t *b, unsigned field, unsigned wire) { return put_varint(b, (uint64_t)(field << 3 | wire)); }

static int put_bytes_field(buf_t *b, unsigned field, const uint8_t *p, size_t n)
{
    if (put_tag(b, field, 2) || put_varint(b, n))
        return -1;
    return buf_append(b, p, n);
}

/* rejected_<log_records|spans|data_points> in proto3 JSON (lowerCamelCase) */
static const char *rejected_json_name(otlp_signal_t sig)
{
    switch (sig) {
    case SIG_TRACES:
        return "rejectedSpans";
    case SIG_METRICS:
        return "rejectedDataPoints";
    default:
        return "rejectedLogRecords";
    }
}

int otlp_export_response(buf_t *out, otlp_signal_t sig, otlp_encoding_t enc, const ingest_result_t *res)
{
    int partial = res && (res->rejected > 0 || res->message[0]);
    /* int64 on the wire: a count past INT64_MAX cannot happen, but must not turn negative */
    uint64_t rejected = res ? (res->rejected > INT64_MAX ? INT64_MAX : res->rejected) : 0;
    if (enc != ENC_PROTOBUF) {
        if (!partial)
            return buf_append_str(out, "{}");
        const size_t mark = out->len;
        int rc = buf_append_str(out, "{\"partialSuccess\":{");
        int comma = 0;
        if (!rc && rejected > 0) {
            /* proto3 JSON writes int64 as a decimal string */
            rc = buf_printf(out, "\"%s\":\"%llu\"", rejected_json_name(sig), (unsigned long long)rejected);
            comma = 1;
        }
        if (!rc && res->message[0]) {
            rc = buf_append_str(out, comma ? ",\"errorMessage\":\"" : "\"errorMessage\":\"");
            rc = rc || put_text(out, res->message, 1) || buf_append_str(out, "\"");
        }
        rc = rc || buf_append_str(out, "}}");
        if (rc)
            out->len = mark;
        return rc ? -1 : 0;
    }
    if (!partial)
        return 0; /* the empty message is zero bytes */
    buf_t inner = {0};
    int rc = 0;
    if (rejected > 0)
        rc = put_tag(&inner, 1, 0) || put_varint(&inner, rejected);
    if (!rc && res->message[0]) {
        buf_t msg = {0};
        rc = put_text(&msg, res->message, 0) || put_bytes_field(&inner, 2, msg.data, msg.len);
        buf_free(&msg);
    }
    const size_t mark = out->len;
    /* partial_success is field 1 of every Export*ServiceResponse */
    rc = rc || put_bytes_field(out, 1, inner.data, inner.len);
    if (rc)
        out->len = mark;
    buf_free(&inner);
    return rc ? -1 : 0;
}

int otlp_status_response(buf_t *out, otlp_encoding_t enc, int grpc_code, const char *message)
{
    const size_t mark = out->len;
    int rc;
    if (!message)
        message = "";
    if (enc != ENC_PROTOBUF) {
        rc = buf_printf(out, "{\"code\":%d,\"message\":\"", grpc_code) || put_text(out, message, 1) ||
             buf_append_str(out, "\"}");
    } else {
        rc = 0;
        if (grpc_code != 0) /* proto3 leaves defaults out */
            rc = put_tag(out, 1, 0) || put_varint(out, (uint64_t)(int64_t)grpc_code);
        if (!rc && message[0]) {
            buf_t msg = {0};
            rc = put_text(&msg, message, 0) || put_bytes_field(out, 2, msg.data, msg.len);
            buf_free(&msg);
        }
    }
    if (rc)
        out->len = mark;
    return rc ? -1 : 0;
}

int otlp_http_status(err_code_t code)
{
    switch (code) {
    case ERR_NONE:
        return 200;
    case ERR_INVALID:
        return 400;
    case ERR_TOO_LARGE:
        return 413;
    case ERR_UNSUPPORTED:
        return 415;
    case ERR_NOMEM:
    case ERR_UNAVAILABLE:
        return 503;
    default:
        return 500;
    }
}

int otlp_grpc_code(int http_status)
{
    switch (http_status) {
    case 200:
        return GRPC_OK;
    case 400:
        return GRPC_INVALID_ARGUMENT;
    case 404:
        return GRPC_NOT_FOUND;
    case 405:
    case 415:
        return GRPC_UNIMPLEMENTED;
    case 413:
    case 429:
        return GRPC_RESOURCE_EXHAUSTED;
    case 502:
    case 503:
    case 504:
        return GRPC_UNAVAILABLE;
    default:
        return http_status >= 400 && http_status < 500 ? GRPC_INVALID_ARGUMENT : GRPC_INTERNAL;
    }
}
