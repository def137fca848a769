#include "otlp/attrs.h"

#include <stdlib.h>

#include "otlp/anyvalue.h"

typedef struct {
    size_t idx; /* entry */
    size_t off; /* its text in a->text */
} attrs_fix_t;

void attrs_clear(attrs_t *a)
{
    a->kv.len = a->text.len = a->fix.len = 0;
    a->n = 0;
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

static inline bool key_eq(const kv_t *x, const kv_t *y)
{
    return x->key_len == y->key_len && memcmp(x->key, y->key, x->key_len) == 0;
}

typedef struct {
    const kv_t *kv;
    size_t idx;
} kv_ref_t;

static int ref_cmp(const void *pa, const void *pb)
{
    const kv_ref_t *x = pa, *y = pb;
    uint32_t n = x->kv->key_len < y->kv->key_len ? x->kv->key_len : y->kv->key_len;
    int r = n ? memcmp(x->kv->key, y->kv->key, n) : 0;
    if (r)
        return r;
    if (x->kv->key_len != y->kv->key_len)
        return x->kv->key_len < y->kv->key_len ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

size_t kv_dedup_last_wins(kv_t *kv, size_t n, buf_t *tmp)
{
    if (n < 2)
        return n;
    if (n <= 16) {
        /* few entries (the usual case): comparing all pairs beats sorting */
        size_t out = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < out && !key_eq(&kv[j], &kv[i]))
                j++;
            if (j < out) {
                kv[j].val = kv[i].val;
                kv[j].val_len = kv[i].val_len;
            } else
                kv[out++] = kv[i];
        }
        return out;
    }
    /* many: sort references by (key, position), so each key's run ends with its last value */
    tmp->len = 0;
    if (n > SIZE_MAX / (sizeof(kv_ref_t) + 1) || buf_reserve(tmp, n * (sizeof(kv_ref_t) + 1)))
        return SIZE_MAX;
    kv_ref_t *refs = (kv_ref_t *)tmp->data;
    uint8_t *drop = tmp->data + n * sizeof(kv_ref_t);
    memset(drop, 0, n);
    for (size_t i = 0; i < n; i++)
        refs[i] = (kv_ref_t){&kv[i], i};
    qsort(refs, n, sizeof *refs, ref_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && key_eq(refs[i].kv, refs[j].kv))
            j++;
        if (j - i > 1) {
            kv_t *first = &kv[refs[i].idx];
            const kv_t *last = refs[j - 1].kv;
            first->val = last->val;
            first->val_len = last->val_len;
            for (size_t k = i + 1; k < j; k++)
                drop[refs[k].idx] = 1;
        }
        i = j;
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (!drop[i])
            kv[out++] = kv[i];
    return out;
}

int attrs_finish(attrs_t *a)
{
    if (a->finished)
        return 0;
    kv_t *kv = (kv_t *)a->kv.data;
    const attrs_fix_t *fx = (const attrs_fix_t *)a->fix.data;
    size_t nfix = a->fix.len / sizeof *fx;
    for (size_t i = 0; i < nfix; i++)
        kv[fx[i].idx].val = (const char *)a->text.data + fx[i].off;
    size_t n = kv_dedup_last_wins(kv, a->n, &a->tmp);
    if (n == SIZE_MAX)
        return -1;
    a->n = n;
    a->kv.len = n * sizeof(kv_t);
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
    /* the same levels col_map_put writes (a test holds the two equal) */
    const kv_t *kv = attrs_kv(a);
    uint8_t kdef = key->leaf->max_def, vdef = val->leaf->max_def, rep_in = key->leaf->max_rep;
    if (a->n == 0) {
        uint8_t def0 = (uint8_t)(kdef - 1); /* the map is there, with no entries */
        return col_level(key, rep0, def0) || col_level(val, rep0, def0) ? -1 : 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        uint8_t rep = i == 0 ? rep0 : rep_in;
        if (otlp_col_str_at(key, rep, kdef, kv[i].key, kv[i].key_len))
            return -1;
        int r = kv[i].val ? otlp_col_str_at(val, rep, vdef, kv[i].val, kv[i].val_len)
                          : col_level(val, rep, (uint8_t)(vdef - 1));
        if (r)
            return -1;
    }
    return 0;
}
