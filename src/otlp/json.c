/* OTLP/JSON -> OTLP protobuf, in one pass over the tokens, driven by the descriptor tables of
 * otlp/desc.c. Nothing recurses: open JSON objects and arrays the transcoder understands are
 * frames on a fixed stack (no deeper than the reader's JSON_MAX_DEPTH); values of unknown keys
 * are skipped by the reader.
 *
 * Lengths. A nested message's length prefix comes before its body, whose size is known only at
 * its end. Each length-delimited field the transcoder opens (messages and packed arrays) gets a
 * 5-byte placeholder, enough for any length below 2^32 (more is refused), whose offset is
 * recorded; on close the body's final length (its padded size less what its own placeholders
 * will shrink by) is stored in it. One last forward pass over the output then writes each
 * length as a minimal varint and closes the gaps. Linear time, and the output is what a
 * protobuf encoder would write. */
#include "otlp/json.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "otlp/desc.h"
#include "otlp/pb.h"
#include "util/base64.h"
#include "util/hex.h"
#include "util/json_reader.h"

#define PH 5 /* placeholder bytes: a varint of up to 35 bits */

enum { FR_MSG, FR_ARR };

typedef struct {
    uint8_t kind;
    bool has_ph;   /* owns a placeholder (messages; packed arrays) */
    bool path_seg; /* pushed a path segment, popped with the frame */
    const od_msg_t *msg;         /* FR_MSG: the message being filled */
    const od_field_t *field;     /* FR_ARR: the repeated field */
    const od_field_t *oneof_set; /* FR_MSG: the member of the message's oneof seen so far */
    size_t body;  /* has_ph: offset in out->data where the body begins */
    size_t saved; /* bytes the final pass will remove inside this frame */
    size_t idx;   /* FR_ARR: index of the next element */
} frame_t;

typedef struct {
    json_reader_t rd;
    buf_t *out;
    size_t base; /* out->len on entry */
    buf_t recs;  /* uint32 offsets (from base) of the placeholders, in increasing order */
    err_t *err;
    pb_path_t path;
    uint32_t sp;
    frame_t st[JSON_MAX_DEPTH + 1];
} tc_t;

/* ---- errors ---- */

static int nomem(tc_t *t)
{
    return err_set(t->err, ERR_NOMEM, "out of memory transcoding OTLP/JSON to protobuf");
}

/* The reader's error, at the current path. */
static int syntax(tc_t *t)
{
    if (t->rd.err_code == ERR_NOMEM)
        return nomem(t);
    char what[200];
    json_reader_errstr(&t->rd, what, sizeof what);
    return pb_path_fail(&t->path, t->err, "%s", what);
}

/* A short description of a token for messages: its text for numbers and strings (cut short,
 * and kept valid UTF-8 and free of control characters), what it is otherwise. */
static const char *tok_desc(const json_token_t *k, char *out, size_t cap)
{
    const size_t max = 40;
    switch (k->type) {
    case JSON_OBJ_BEGIN: return "an object";
    case JSON_ARR_BEGIN: return "an array";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    case JSON_NUMBER:
        snprintf(out, cap, "%.*s%s", (int)(k->n < max ? k->n : max), (const char *)k->s, k->n > max ? "..." : "");
        return out;
    case JSON_STRING: {
        /* room kept for the longest item (\u00XX) plus the tail (..." and the NUL) */
        const size_t item = 6, tail = 5;
        size_t o = 0, i = 0;
        out[o++] = '"';
        while (i < k->n && i < max && o + item + tail <= cap) {
            uint8_t c = k->s[i];
            if (c >= 0x80) {
                /* the reader checked the UTF-8: copy a whole character or stop */
                size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
                if (i + len > k->n)
                    break;
                memcpy(out + o, k->s + i, len);
                o += len, i += len;
                continue;
            }
            if (c < 0x20 || c == 0x7F)
                o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
            else if (c == '"' || c == '\\')
                out[o++] = '\\', out[o++] = (char)c;
            else
                out[o++] = (char)c;
            i++;
        }
        if (i < k->n)
            memcpy(out + o, "...", 3), o += 3;
        out[o++] = '"';
        out[o] = 0;
        return out;
    }
    default:
        return "something else";
    }
}

static int type_error(tc_t *t, const char *want, const json_token_t *k)
{
    char d[200];
    return pb_path_fail(&t->path, t->err, "expected %s, got %s", want, tok_desc(k, d, sizeof d));
}

/* ---- output ---- */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80)
        v >>= 7, n++;
    return n;
}

static inline size_t varint_at(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Callers reserve first: these only write. */
static inline void put_varint(buf_t *b, uint64_t v) { b->len += varint_at(b->data + b->len, v); }
static inline void put_tag(buf_t *b, uint32_t num, int wt) { put_varint(b, (uint64_t)num << 3 | (uint64_t)wt); }
static inline void put_le(buf_t *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        b->data[b->len++] = (uint8_t)(v >> (8 * i));
}

/* Opens a length-delimited field: its tag, then a placeholder for the length. */
static int ph_open(tc_t *t, frame_t *f, uint32_t num)
{
    buf_t *o = t->out;
    if (buf_reserve(o, 5 + PH))
        return nomem(t);
    put_tag(o, num, PB_LEN);
    size_t at = o->len - t->base;
    if (at > UINT32_MAX)
        return err_set(t->err, ERR_TOO_LARGE, "OTLP/JSON request too large: over 4 GiB as protobuf");
    uint32_t at32 = (uint32_t)at;
    if (buf_append(&t->recs, &at32, sizeof at32))
        return nomem(t);
    o->len += PH;
    f->has_ph = true;
    f->body = o->len;
    f->saved = 0;
    return 0;
}

/* Closes the frame's placeholder: stores the body's final length in it and tells the parent
 * how much the final pass will shrink this field. */
static int ph_close(tc_t *t, frame_t *f, frame_t *parent)
{
    buf_t *o = t->out;
    size_t padded = o->len - f->body;
    if (padded > UINT32_MAX)
        return err_set(t->err, ERR_TOO_LARGE, "OTLP/JSON request too large: a message over 4 GiB as protobuf");
    uint32_t len = (uint32_t)(padded - f->saved);
    uint8_t *p = o->data + f->body - PH;
    p[0] = (uint8_t)len, p[1] = (uint8_t)(len >> 8), p[2] = (uint8_t)(len >> 16), p[3] = (uint8_t)(len >> 24);
    parent->saved += f->saved + PH - varint_len(len);
    return 0;
}

/* The final pass: every placeholder becomes the minimal varint of the length stored in it,
 * and the bytes between placeholders move down over the slack. dst never passes src. */
static void compact(tc_t *t)
{
    size_t nrec = t->recs.len / sizeof(uint32_t);
    if (nrec == 0)
        return;
    uint8_t *d = t->out->data + t->base;
    size_t total = t->out->len - t->base, src = 0, dst = 0;
    for (size_t i = 0; i < nrec; i++) {
        uint32_t pos;
        memcpy(&pos, t->recs.data + i * sizeof pos, sizeof pos);
        size_t gap = pos - src;
        if (dst != src)
            memmove(d + dst, d + src, gap);
        dst += gap;
        uint32_t len = (uint32_t)d[pos] | (uint32_t)d[pos + 1] << 8 | (uint32_t)d[pos + 2] << 16 |
                       (uint32_t)d[pos + 3] << 24;
        dst += varint_at(d + dst, len);
        src = pos + PH;
    }
    memmove(d + dst, d + src, total - src);
    t->out->len = t->base + dst + (total - src);
}

/* ---- scalar values ---- */

static const char *int_type_name(od_kind_t k)
{
    switch (k) {
    case OD_INT32: return "int32";
    case OD_UINT32: return "uint32";
    case OD_SINT32: return "sint32";
    case OD_FIXED32: return "fixed32";
    case OD_INT64: return "int64";
    case OD_UINT64: return "uint64";
    case OD_FIXED64: return "fixed64";
    case OD_SFIXED64: return "sfixed64";
    case OD_ENUM: return "an enum (int32)";
    default: return "an integer";
    }
}

/* An integer field's value: a number, or a string holding one (the protobuf JSON mapping's
 * form for 64-bit integers, tolerated for the others); enums also take their value names.
 * The result is the value's 64-bit two's complement. */
static int int_value(tc_t *t, const od_field_t *f, const json_token_t *k, uint64_t *out)
{
    od_kind_t kind = f->kind;
    if (k->type == JSON_STRING && kind == OD_ENUM) {
        for (uint32_t v = 0; v < f->enm->n; v++) {
            const char *name = f->enm->names[v];
            if (strlen(name) == k->n && memcmp(name, k->s, k->n) == 0) {
                *out = v;
                return 0;
            }
        }
        if (json_number_scan(k->s, k->n) != k->n || k->n == 0) {
            char d[200];
            return pb_path_fail(&t->path, t->err, "unknown %s name %s", f->enm->name, tok_desc(k, d, sizeof d));
        }
    }
    if (k->type != JSON_NUMBER && k->type != JSON_STRING)
        return type_error(t, kind == OD_ENUM ? "an integer or an enum name" : "an integer", k);
    bool is_signed = kind == OD_INT32 || kind == OD_SINT32 || kind == OD_ENUM || kind == OD_INT64 || kind == OD_SFIXED64;
    json_num_rc_t rc;
    int64_t sv = 0;
    uint64_t uv = 0;
    if (is_signed) {
        rc = json_number_i64(k->s, k->n, &sv);
        if (rc == JSON_NUM_OK && (kind == OD_INT32 || kind == OD_SINT32 || kind == OD_ENUM) &&
            (sv < INT32_MIN || sv > INT32_MAX))
            rc = JSON_NUM_RANGE;
        uv = (uint64_t)sv;
    } else {
        rc = json_number_u64(k->s, k->n, &uv);
        if (rc == JSON_NUM_OK && (kind == OD_UINT32 || kind == OD_FIXED32) && uv > UINT32_MAX)
            rc = JSON_NUM_RANGE;
    }
    if (rc == JSON_NUM_RANGE) {
        char d[200];
        return pb_path_fail(&t->path, t->err, "%s is out of range for %s", tok_desc(k, d, sizeof d),
                            int_type_name(kind));
    }
    if (rc != JSON_NUM_OK)
        return type_error(t, kind == OD_ENUM ? "an integer or an enum name" : "an integer", k);
    *out = uv;
    return 0;
}

static int double_value(tc_t *t, const json_token_t *k, double *out)
{
    if (k->type == JSON_STRING) {
        /* the protobuf JSON mapping's names of the values JSON numbers cannot write */
        if (k->n == 3 && memcmp(k->s, "NaN", 3) == 0)
            return *out = NAN, 0;
        if (k->n == 8 && memcmp(k->s, "Infinity", 8) == 0)
            return *out = INFINITY, 0;
        if (k->n == 9 && memcmp(k->s, "-Infinity", 9) == 0)
            return *out = -INFINITY, 0;
    } else if (k->type != JSON_NUMBER) {
        return type_error(t, "a number", k);
    }
    switch (json_number_double(k->s, k->n, out, t->out)) {
    case JSON_NUM_OK:
        return 0;
    case JSON_NUM_RANGE: {
        char d[200];
        return pb_path_fail(&t->path, t->err, "%s is out of range for a double", tok_desc(k, d, sizeof d));
    }
    case JSON_NUM_NOMEM:
        return nomem(t);
    default:
        return type_error(t, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")", k);
    }
}

static bool is_hex(uint8_t c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

/* Writes one scalar value of field f. always: written even when it is the default (presence
 * fields, repeated elements); packed: an element of a packed array (no tag). The path ends at
 * the value already. */
static int scalar(tc_t *t, const od_field_t *f, const json_token_t *k, bool always, bool packed)
{
    buf_t *o = t->out;
    od_kind_t kind = f->kind;
    switch (kind) {
    case OD_STRING:
        if (k->type != JSON_STRING)
            return type_error(t, "a string", k);
        if (!always && k->n == 0)
            return 0;
        if (buf_reserve(o, 15 + k->n))
            return nomem(t);
        put_tag(o, f->num, PB_LEN);
        put_varint(o, k->n);
        if (k->n)
            memcpy(o->data + o->len, k->s, k->n);
        o->len += k->n;
        return 0;
    case OD_BYTES: {
        if (k->type != JSON_STRING)
            return type_error(t, "a base64 string", k);
        if (!always && k->n == 0)
            return 0;
        /* decoded in place past room for the tag and length, then moved down next to them */
        size_t max = base64_decoded_max(k->n), got;
        if (buf_reserve(o, 15 + max))
            return nomem(t);
        uint8_t *tmp = o->data + o->len + 15;
        if (base64_decode(tmp, &got, (const char *)k->s, k->n))
            return pb_path_fail(&t->path, t->err, "not base64");
        put_tag(o, f->num, PB_LEN);
        put_varint(o, got);
        memmove(o->data + o->len, tmp, got);
        o->len += got;
        return 0;
    }
    case OD_TRACE_ID:
    case OD_SPAN_ID: {
        if (k->type != JSON_STRING)
            return type_error(t, "a hex string", k);
        if (k->n == 0 && !always)
            return 0; /* "" is the absent id */
        size_t want = kind == OD_TRACE_ID ? 16 : 8;
        for (size_t i = 0; i < k->n; i++)
            if (!is_hex(k->s[i])) {
                char d[200];
                return pb_path_fail(&t->path, t->err, "not hex: %s", tok_desc(k, d, sizeof d));
            }
        if (k->n != 2 * want)
            return pb_path_fail(&t->path, t->err, "%zu hex digits, want %zu (%zu bytes)", k->n, 2 * want, want);
        uint8_t id[16];
        hex_decode(id, (const char *)k->s, k->n);
        if (buf_reserve(o, 16 + want))
            return nomem(t);
        put_tag(o, f->num, PB_LEN);
        put_varint(o, want);
        memcpy(o->data + o->len, id, want);
        o->len += want;
        return 0;
    }
    case OD_BOOL:
        if (k->type != JSON_TRUE && k->type != JSON_FALSE)
            return type_error(t, "true or false", k);
        if (!always && k->type == JSON_FALSE)
            return 0;
        if (buf_reserve(o, 6))
            return nomem(t);
        if (!packed)
            put_tag(o, f->num, PB_VARINT);
        put_varint(o, k->type == JSON_TRUE);
        return 0;
    case OD_DOUBLE: {
        double d;
        if (double_value(t, k, &d))
            return -1;
        uint64_t bits;
        memcpy(&bits, &d, 8);
        if (!always && bits == 0) /* -0.0 is not the default: protobuf compares bits */
            return 0;
        if (buf_reserve(o, 13))
            return nomem(t);
        if (!packed)
            put_tag(o, f->num, PB_I64);
        put_le(o, bits, 8);
        return 0;
    }
    default: {
        uint64_t v = 0;
        if (int_value(t, f, k, &v))
            return -1;
        if (!always && v == 0)
            return 0;
        if (buf_reserve(o, 15))
            return nomem(t);
        switch (kind) {
        case OD_FIXED32:
            if (!packed)
                put_tag(o, f->num, PB_I32);
            put_le(o, v, 4);
            break;
        case OD_FIXED64:
        case OD_SFIXED64:
            if (!packed)
                put_tag(o, f->num, PB_I64);
            put_le(o, v, 8);
            break;
        case OD_SINT32: {
            /* zigzag: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ... */
            uint32_t u = (uint32_t)v;
            uint32_t z = (u << 1) ^ (uint32_t)-(int32_t)(u >> 31);
            if (!packed)
                put_tag(o, f->num, PB_VARINT);
            put_varint(o, z);
            break;
        }
        default:
            /* int32 and enums: negative values sign-extended to 64 bits, as protobuf writes them */
            if (!packed)
                put_tag(o, f->num, PB_VARINT);
            put_varint(o, v);
            break;
        }
        return 0;
    }
    }
}

/* ---- structure ---- */

/* Frames are pushed only for an object or array the reader has just opened, so there are never
 * more than JSON_MAX_DEPTH of them. */
static frame_t *push(tc_t *t, uint8_t kind)
{
    frame_t *f = &t->st[t->sp++];
    *f = (frame_t){.kind = kind};
    return f;
}

/* Ends the top frame (not the request's own). */
static int pop(tc_t *t)
{
    frame_t *f = &t->st[t->sp - 1], *parent = &t->st[t->sp - 2];
    if (f->kind == FR_ARR && f->has_ph && f->idx == 0) {
        /* an empty packed array: no field at all, as an encoder writes it (it was the last
         * thing opened, so its tag, placeholder and record are the last ones) */
        t->out->len = f->body - PH - varint_len((uint64_t)f->field->num << 3 | PB_LEN);
        t->recs.len -= sizeof(uint32_t);
    } else if (f->has_ph) {
        if (ph_close(t, f, parent))
            return -1;
    } else {
        parent->saved += f->saved;
    }
    if (f->path_seg)
        pb_path_pop(&t->path);
    t->sp--;
    if (f->kind == FR_MSG && parent->kind == FR_ARR)
        parent->idx++;
    return 0;
}

/* Starts the message value (k: its first token) of field f; the path names it already. */
static int open_msg(tc_t *t, const od_field_t *f, const json_token_t *k)
{
    if (k->type != JSON_OBJ_BEGIN)
        return type_error(t, "an object", k);
    frame_t *m = push(t, FR_MSG);
    m->msg = f->msg;
    m->path_seg = true;
    return ph_open(t, m, f->num);
}

/* A member of the message in frame m: key k. */
static int member(tc_t *t, frame_t *m, const json_token_t *key)
{
    const od_field_t *f = od_find(m->msg, key->s, key->n);
    json_token_t v;
    if (!f) {
        /* unknown: skipped, whatever it is (newer OTLP versions add fields) */
        if (json_next(&t->rd, &v) || json_skip(&t->rd, &v))
            return syntax(t);
        return 0;
    }
    pb_path_push(&t->path, f->json, PB_NOIDX);
    if (json_next(&t->rd, &v))
        return syntax(t);
    if (v.type == JSON_NULL) {
        pb_path_pop(&t->path);
        return 0;
    }
    if (f->flags & OD_REPEATED) {
        if (v.type != JSON_ARR_BEGIN)
            return type_error(t, "an array", &v);
        pb_path_pop(&t->path); /* elements push their own, with the index */
        frame_t *a = push(t, FR_ARR);
        a->field = f;
        if (f->kind != OD_MESSAGE && od_wire_type(f->kind) != PB_LEN)
            return ph_open(t, a, f->num); /* packed */
        return 0;
    }
    if (f->flags & OD_ONEOF) {
        if (m->oneof_set && m->oneof_set != f)
            return pb_path_fail(&t->path, t->err, "%s is set already (oneof %s takes one of its members)",
                                m->oneof_set->json, m->msg->oneof);
        m->oneof_set = f;
    }
    if (f->kind == OD_MESSAGE)
        return open_msg(t, f, &v); /* the frame pops the path segment */
    if (scalar(t, f, &v, f->flags & OD_PRESENCE, false))
        return -1;
    pb_path_pop(&t->path);
    return 0;
}

/* The next element (or the end) of the array in frame a. */
static int element(tc_t *t, frame_t *a)
{
    const od_field_t *f = a->field;
    pb_path_push(&t->path, f->json, a->idx);
    json_token_t v;
    if (json_next(&t->rd, &v))
        return syntax(t);
    if (v.type == JSON_ARR_END) {
        pb_path_pop(&t->path);
        return pop(t);
    }
    if (f->kind == OD_MESSAGE)
        return open_msg(t, f, &v);
    if (scalar(t, f, &v, true, a->has_ph))
        return -1;
    pb_path_pop(&t->path);
    a->idx++;
    return 0;
}

static int run(tc_t *t, const od_msg_t *req)
{
    json_token_t k;
    if (json_next(&t->rd, &k))
        return syntax(t);
    if (k.type != JSON_OBJ_BEGIN) {
        char d[200];
        return pb_path_fail(&t->path, t->err, "expected a JSON object (%s), got %s", req->name,
                            tok_desc(&k, d, sizeof d));
    }
    frame_t *top = push(t, FR_MSG);
    top->msg = req;
    while (t->sp > 0) {
        frame_t *f = &t->st[t->sp - 1];
        if (f->kind == FR_ARR) {
            if (element(t, f))
                return -1;
            continue;
        }
        if (json_next(&t->rd, &k))
            return syntax(t);
        if (k.type == JSON_OBJ_END) {
            if (t->sp == 1) {
                t->sp = 0;
                break;
            }
            if (pop(t))
                return -1;
            continue;
        }
        /* the reader allows only a key or '}' here */
        if (member(t, f, &k))
            return -1;
    }
    if (json_next(&t->rd, &k))
        return syntax(t);
    /* not reached otherwise: after the top-level value the reader gives EOF or fails */
    return 0;
}

int otlp_json_to_pb(int signal, const uint8_t *json, size_t len, buf_t *out, err_t *err)
{
    const od_msg_t *req = od_request(signal);
    if (!req)
        return err_set(err, ERR_INTERNAL, "otlp_json_to_pb: unknown signal %d", signal);
    /* some 13 KiB: on the heap would cost a malloc per request, which is no better */
    tc_t t;
    t.out = out;
    t.base = out->len;
    t.recs = (buf_t){0};
    t.err = err;
    t.path.n = 0;
    t.sp = 0;
    json_reader_init(&t.rd, json, len);
    int rc = run(&t, req);
    if (rc == 0)
        compact(&t);
    else
        out->len = t.base;
    json_reader_free(&t.rd);
    buf_free(&t.recs);
    return rc;
}

int otlp_ndjson_next(const uint8_t *data, size_t len, size_t *pos, const uint8_t **line,
                     size_t *line_len)
{
    size_t p = *pos;
    while (p < len) {
        const uint8_t *nl = memchr(data + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - data) : len;
        size_t next = nl ? e + 1 : len;
        size_t s = p, k = e;
        while (k > s && data[k - 1] == '\r')
            k--;
        size_t i = s;
        while (i < k && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'))
            i++;
        p = next;
        if (i < k) {
            *line = data + s;
            *line_len = k - s;
            *pos = p;
            return 1;
        }
    }
    *pos = len;
    return 0;
}
