#include "otlp/anyvalue.h"

#include "otlp/decode.h"
#include "util/base64.h"
#include "util/json_text.h"
#include "util/numfmt.h"
#include "util/utf8.h"

/* AnyValue field numbers (common.proto) */
enum {
    AVF_STRING = 1,
    AVF_BOOL = 2,
    AVF_INT = 3,
    AVF_DOUBLE = 4,
    AVF_ARRAY = 5,
    AVF_KVLIST = 6,
    AVF_BYTES = 7,
    AVF_STRINDEX = 8,
};

static const struct {
    const char *name;
    uint8_t wt;
    av_kind_t kind;
} av_fields[] = {
    [AVF_STRING] = {"stringValue", PB_LEN, AV_STRING},
    [AVF_BOOL] = {"boolValue", PB_VARINT, AV_BOOL},
    [AVF_INT] = {"intValue", PB_VARINT, AV_INT},
    [AVF_DOUBLE] = {"doubleValue", PB_I64, AV_DOUBLE},
    [AVF_ARRAY] = {"arrayValue", PB_LEN, AV_ARRAY},
    [AVF_KVLIST] = {"kvlistValue", PB_LEN, AV_KVLIST},
    [AVF_BYTES] = {"bytesValue", PB_LEN, AV_BYTES},
    [AVF_STRINDEX] = {"stringValueStrindex", PB_VARINT, AV_EMPTY},
};

int otlp_utf8_fail(size_t ok, pb_path_t *path, const char *field, err_t *err)
{
    if (field)
        pb_path_push(path, field, PB_NOIDX);
    pb_path_fail(path, err, "invalid UTF-8 at byte %zu", ok);
    if (field)
        pb_path_pop(path);
    return -1;
}

/* Reads an AnyValue's fields: the last value field wins (oneof). */
static int av_scan(const uint8_t *msg, size_t len, av_kind_t *kind, pb_field_t *val,
                   pb_path_t *path, err_t *err)
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    *kind = AV_EMPTY;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num >= sizeof av_fields / sizeof av_fields[0] || !av_fields[f.num].name)
            continue; /* unknown field */
        if (f.wt != av_fields[f.num].wt)
            return pb_wiretype_fail(path, av_fields[f.num].name, PB_NOIDX, f.wt,
                                    av_fields[f.num].wt, err);
        /* every string on the wire must be UTF-8, the overwritten ones too (proto3) */
        if (f.num == AVF_STRING && otlp_check_utf8(f.p, f.n, path, "stringValue", err))
            return -1;
        *kind = av_fields[f.num].kind;
        *val = f;
    }
    if (rc < 0)
        return pb_reader_fail(&r, path, err);
    return 0;
}

static int nomem(err_t *err) { return err_set(err, ERR_NOMEM, "out of memory converting an AnyValue"); }

static int put_f64_json(buf_t *out, uint64_t bits)
{
    double d;
    memcpy(&d, &bits, 8);
    char tmp[FMT_DOUBLE_MAX];
    size_t n = fmt_double(tmp, d);
    /* non-finite doubles are not JSON numbers: spell them as strings */
    bool finite = tmp[0] == '-' ? tmp[1] != 'I' : tmp[0] != 'N' && tmp[0] != 'I';
    if (!finite)
        return json_put_string(out, tmp, n);
    return buf_append(out, tmp, n);
}

static int put_i64(buf_t *out, uint64_t u)
{
    char tmp[FMT_INT_MAX];
    size_t n = fmt_i64(tmp, pb_int64(u));
    return buf_append(out, tmp, n);
}

static int json_array(const uint8_t *msg, size_t len, buf_t *out, int depth, pb_path_t *path,
                      err_t *err);
static int json_kvlist(const uint8_t *msg, size_t len, buf_t *out, int depth, pb_path_t *path,
                       err_t *err);

/* The JSON of a scanned value. */
static int json_scanned(av_kind_t kind, const pb_field_t *f, buf_t *out, int depth,
                        pb_path_t *path, err_t *err)
{
    int rc = 0;
    switch (kind) {
    case AV_EMPTY:
        rc = buf_append(out, "null", 4);
        break;
    case AV_STRING:
        rc = json_put_string(out, f->p, f->n);
        break;
    case AV_BOOL:
        rc = f->u ? buf_append(out, "true", 4) : buf_append(out, "false", 5);
        break;
    case AV_INT:
        rc = put_i64(out, f->u);
        break;
    case AV_DOUBLE:
        rc = put_f64_json(out, f->u);
        break;
    case AV_BYTES:
        rc = buf_put_u8(out, '"') || buf_put_base64(out, f->p, f->n) || buf_put_u8(out, '"');
        break;
    case AV_ARRAY:
    case AV_KVLIST:
        pb_path_push(path, kind == AV_ARRAY ? "arrayValue" : "kvlistValue", PB_NOIDX);
        if (kind == AV_ARRAY ? json_array(f->p, f->n, out, depth + 1, path, err)
                             : json_kvlist(f->p, f->n, out, depth + 1, path, err))
            return -1; /* err set; the path stays as it was at the error */
        pb_path_pop(path);
        return 0;
    }
    return rc ? nomem(err) : 0;
}

int anyvalue_json(const uint8_t *msg, size_t len, buf_t *out, int depth, pb_path_t *path,
                  err_t *err)
{
    av_kind_t kind;
    pb_field_t f;
    if (av_scan(msg, len, &kind, &f, path, err))
        return -1;
    return json_scanned(kind, &f, out, depth, path, err);
}

static int depth_check(int depth, pb_path_t *path, err_t *err)
{
    if (depth > OTLP_MAX_DEPTH)
        return pb_path_fail(path, err, "arrays and kvlists nested deeper than %d levels",
                            OTLP_MAX_DEPTH);
    return 0;
}

/* ArrayValue { repeated AnyValue values = 1; } */
static int json_array(const uint8_t *msg, size_t len, buf_t *out, int depth, pb_path_t *path,
                      err_t *err)
{
    if (depth_check(depth, path, err))
        return -1;
    if (buf_put_u8(out, '['))
        return nomem(err);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t i = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num != 1)
            continue;
        if (f.wt != PB_LEN)
            return pb_wiretype_fail(path, "values", i, f.wt, PB_LEN, err);
        if (i > 0 && buf_put_u8(out, ','))
            return nomem(err);
        pb_path_push(path, "values", i);
        if (anyvalue_json(f.p, f.n, out, depth, path, err))
            return -1;
        pb_path_pop(path);
        i++;
    }
    if (rc < 0)
        return pb_reader_fail(&r, path, err);
    return buf_put_u8(out, ']') ? nomem(err) : 0;
}

int otlp_keyvalue_scan(const uint8_t *msg, size_t len, const uint8_t **key, size_t *klen,
                       const uint8_t **val, size_t *vlen, pb_path_t *path, err_t *err)
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    *key = msg;
    *klen = 0;
    *val = NULL;
    *vlen = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (f.wt != PB_LEN)
                return pb_wiretype_fail(path, "key", PB_NOIDX, f.wt, PB_LEN, err);
            if (otlp_check_utf8(f.p, f.n, path, "key", err))
                return -1;
            *key = f.p;
            *klen = f.n;
            break;
        case 2:
            if (f.wt != PB_LEN)
                return pb_wiretype_fail(path, "value", PB_NOIDX, f.wt, PB_LEN, err);
            *val = f.p;
            *vlen = f.n;
            break;
        case 3: /* key_strindex: profiles only; ignored like an unknown field */
            if (f.wt != PB_VARINT)
                return pb_wiretype_fail(path, "keyStrindex", PB_NOIDX, f.wt, PB_VARINT, err);
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return pb_reader_fail(&r, path, err);
    return 0;
}

/* KeyValueList { repeated KeyValue values = 1; } */
static int json_kvlist(const uint8_t *msg, size_t len, buf_t *out, int depth, pb_path_t *path,
                       err_t *err)
{
    if (depth_check(depth, path, err))
        return -1;
    if (buf_put_u8(out, '{'))
        return nomem(err);
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t i = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num != 1)
            continue;
        if (f.wt != PB_LEN)
            return pb_wiretype_fail(path, "values", i, f.wt, PB_LEN, err);
        pb_path_push(path, "values", i);
        const uint8_t *key, *val;
        size_t klen, vlen;
        if (otlp_keyvalue_scan(f.p, f.n, &key, &klen, &val, &vlen, path, err))
            return -1;
        if ((i > 0 && buf_put_u8(out, ',')) || json_put_string(out, key, klen) ||
            buf_put_u8(out, ':'))
            return nomem(err);
        if (!val) {
            if (buf_append(out, "null", 4))
                return nomem(err);
        } else {
            pb_path_push(path, "value", PB_NOIDX);
            if (anyvalue_json(val, vlen, out, depth, path, err))
                return -1;
            pb_path_pop(path);
        }
        pb_path_pop(path);
        i++;
    }
    if (rc < 0)
        return pb_reader_fail(&r, path, err);
    return buf_put_u8(out, '}') ? nomem(err) : 0;
}

int anyvalue_text(const uint8_t *msg, size_t len, buf_t *text, av_text_t *out, pb_path_t *path,
                  err_t *err)
{
    /* The usual AnyValue: one string_value field with a length of one or two bytes that spans
     * the message; checked as av_scan would, without the field loop. */
    if (len >= 2 && msg[0] == 0x0A) {
        size_t hl = 0, n = 0;
        if (msg[1] < 0x80)
            hl = 2, n = msg[1];
        else if (len >= 3 && msg[2] < 0x80)
            hl = 3, n = (size_t)(msg[1] & 0x7F) | (size_t)msg[2] << 7;
        if (hl && hl + n == len) {
            if (otlp_check_utf8(msg + hl, n, path, "stringValue", err))
                return -1;
            *out = (av_text_t){AV_STRING, msg + hl, text->len, n};
            return 0;
        }
    }
    av_kind_t kind;
    pb_field_t f;
    if (av_scan(msg, len, &kind, &f, path, err))
        return -1;
    out->kind = kind;
    out->str = NULL;
    out->off = text->len;
    out->len = 0;
    int rc = 0;
    switch (kind) {
    case AV_EMPTY:
        return 0;
    case AV_STRING:
        out->str = f.p;
        out->len = f.n;
        return 0;
    case AV_BOOL:
        rc = f.u ? buf_append(text, "true", 4) : buf_append(text, "false", 5);
        break;
    case AV_INT:
        rc = put_i64(text, f.u);
        break;
    case AV_DOUBLE: {
        double d;
        memcpy(&d, &f.u, 8);
        char tmp[FMT_DOUBLE_MAX];
        size_t n = fmt_double(tmp, d);
        rc = buf_append(text, tmp, n);
        break;
    }
    case AV_BYTES:
        rc = buf_put_base64(text, f.p, f.n);
        break;
    case AV_ARRAY:
    case AV_KVLIST:
        if (json_scanned(kind, &f, text, 0, path, err))
            return -1;
        break;
    }
    if (rc)
        return nomem(err);
    out->len = text->len - out->off;
    return 0;
}
