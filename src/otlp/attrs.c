#include "otlp/attrs.h"

#include <stdlib.h>

#include "otlp/anyvalue.h"
#include "util/utf8.h"

typedef struct {
    size_t idx; /* entry */
    size_t off; /* its text in a->text */
} attrs_fix_t;

void attrs_clear(attrs_t *a)
{
    a->kv.len = a->text.len = a->fix.len = 0;
    a->n = 0;
    a->bytes = 0;
    a->finished = false;
}

void attrs_free(attrs_t *a)
{
    buf_free(&a->kv);
    buf_free(&a->text);
    buf_free(&a->fix);
    buf_free(&a->tmp);
    attrs_init(a);
}

static int nomem(err_t *err) { return err_set(err, ERR_NOMEM, "out of memory decoding attributes"); }

int attrs_add(attrs_t *a, const uint8_t *msg, size_t len, pb_path_t *path, err_t *err)
{
    if (a->finished)
        return err_set(err, ERR_INTERNAL, "attrs_add after attrs_finish");
    const uint8_t *key, *val;
    size_t klen, vlen;
    /* The usual KeyValue: a key, then a value holding just a string, both shorter than 128
     * bytes: read at a glance, checked as otlp_keyvalue_scan and anyvalue_text would. */
    if (len >= 6 && msg[0] == 0x0A && msg[1] < 0x80 && (klen = msg[1]) + 6 <= len && msg[2 + klen] == 0x12 &&
        msg[3 + klen] < 0x80 && msg[3 + klen] == len - 4 - klen && msg[4 + klen] == 0x0A &&
        msg[5 + klen] == len - 6 - klen) {
        key = msg + 2;
        const uint8_t *s = msg + 6 + klen;
        size_t n = len - 6 - klen;
        /* the framing bytes are ASCII too: one look at the whole message settles both texts */
        if (!utf8_is_ascii(msg, len)) {
            if (otlp_check_utf8(key, klen, path, "key", err))
                return -1;
            pb_path_push(path, "value", PB_NOIDX);
            if (otlp_check_utf8(s, n, path, "stringValue", err))
                return -1;
            pb_path_pop(path);
        }
        kv_t e = {(const char *)key, (uint32_t)klen, (const char *)s, (uint32_t)n};
        if (buf_append(&a->kv, &e, sizeof e))
            return nomem(err);
        a->n++;
        return 0;
    }
    if (otlp_keyvalue_scan(msg, len, &key, &klen, &val, &vlen, path, err))
        return -1;
    if (klen > UINT32_MAX)
        return pb_path_fail(path, err, "key longer than 4 GiB");
    kv_t e = {(const char *)key, (uint32_t)klen, NULL, 0};
    if (val) {
        av_text_t t;
        pb_path_push(path, "value", PB_NOIDX);
        if (anyvalue_text(val, vlen, &a->text, &t, path, err))
            return -1;
        pb_path_pop(path);
        if (t.len > UINT32_MAX)
            return pb_path_fail(path, err, "value longer than 4 GiB");
        e.val_len = (uint32_t)t.len;
        if (t.kind == AV_STRING)
            e.val = (const char *)t.str;
        else if (t.kind != AV_EMPTY) {
            /* the text buffer may still move: remember the offset, point at it when finished */
            attrs_fix_t fx = {a->n, t.off};
            if (buf_append(&a->fix, &fx, sizeof fx))
                return nomem(err);
            e.val = "";
        }
    }
    if (buf_append(&a->kv, &e, sizeof e))
        return nomem(err);
    a->n++;
    return 0;
}

int attrs_finish(attrs_t *a)
{
    if (a->finished)
        return 0;
    kv_t *kv = (kv_t *)a->kv.data;
    const attrs_fix_t *fx = (const attrs_fix_t *)a->fix.data;
    size_t nfix = a->fix.len / sizeof *fx;
    /* text stays unallocated when every text is empty (empty bytes values) */
    for (size_t i = 0; i < nfix; i++)
        kv[fx[i].idx].val = a->text.data ? (const char *)a->text.data + fx[i].off : "";
    size_t n = kv_dedup(kv, a->n, &a->tmp);
    if (n == SIZE_MAX)
        return -1;
    a->n = n;
    a->kv.len = n * sizeof(kv_t);
    a->bytes = 2;
    for (size_t i = 0; i < n; i++)
        a->bytes += (uint64_t)kv[i].key_len + kv[i].val_len + 12; /* 2 offsets, 4 levels */
    a->finished = true;
    return 0;
}

const kv_t *attrs_find(const attrs_t *a, const char *key, size_t klen)
{
    const kv_t *kv = attrs_kv(a);
    for (size_t i = 0; i < a->n; i++)
        if (kv[i].key_len == klen && memcmp(kv[i].key, key, klen) == 0)
            return &kv[i];
    return NULL;
}

int attrs_put(const attrs_t *a, column_t *key, column_t *val, uint8_t rep0)
{
    return col_map_put_unique(key, val, rep0, attrs_kv(a), a->n);
}
