#include "avro/avro_read.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/gzip.h"

/* ---- a bump allocator: the schema lives as long as the reader, a datum until the next ---- */

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
} chunk_t;

typedef struct {
    chunk_t *head;
} pool_t;

static void *pool_alloc(pool_t *p, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!p->head || p->head->cap - p->head->used < n) {
        size_t cap = n > 64 * 1024 ? n : 64 * 1024;
        chunk_t *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = p->head;
        c->cap = cap;
        c->used = 0;
        p->head = c;
    }
    void *r = p->head->data + p->head->used;
    p->head->used += n;
    memset(r, 0, n);
    return r;
}

static void pool_free(pool_t *p)
{
    while (p->head) {
        chunk_t *n = p->head->next;
        free(p->head);
        p->head = n;
    }
}

/* Keeps the newest chunk (the biggest, usually) for the next datum. */
static void pool_reset(pool_t *p)
{
    if (!p->head)
        return;
    chunk_t *keep = p->head;
    p->head = keep->next;
    pool_free(p);
    keep->next = NULL;
    keep->used = 0;
    p->head = keep;
}

static char *pool_strdup(pool_t *p, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = pool_alloc(p, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---- schema ---- */

typedef struct {
    const char *name;
    const avro_schema_t *schema;
} named_t;

typedef struct {
    pool_t *pool;
    const avro_limits_t *lim;
    int nodes;
    named_t *named;
    int nnamed, capnamed;
    err_t *err;
} sparse_t;

const char *avro_type_name(avro_type_t t)
{
    static const char *const names[] = {"null", "boolean", "int", "long", "float", "double", "bytes",
                                        "string", "record", "enum", "array", "map", "union", "fixed"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static int primitive_type(const char *s, avro_type_t *t)
{
    for (avro_type_t i = AVRO_NULL; i <= AVRO_STRING; i++)
        if (strcmp(s, avro_type_name(i)) == 0) {
            *t = i;
            return 1;
        }
    return 0;
}

static avro_schema_t *new_node(sparse_t *sp, avro_type_t t)
{
    if (++sp->nodes > sp->lim->max_schema_nodes) {
        err_set(sp->err, ERR_TOO_LARGE, "avro schema: more than %d types", sp->lim->max_schema_nodes);
        return NULL;
    }
    avro_schema_t *s = pool_alloc(sp->pool, sizeof *s);
    if (!s) {
        err_set(sp->err, ERR_NOMEM, "avro schema: out of memory");
        return NULL;
    }
    s->type = t;
    s->element_id = s->key_id = s->value_id = -1;
    return s;
}

static const avro_schema_t *lookup_named(const sparse_t *sp, const char *name)
{
    const char *dot = strrchr(name, '.');
    for (int i = sp->nnamed - 1; i >= 0; i--) {
        const char *n = sp->named[i].name;
        if (strcmp(n, name) == 0)
            return sp->named[i].schema;
        /* a reference may use the short name of a type declared with a namespace, or the
         * other way round; namespaces are not tracked further than that */
        const char *ndot = strrchr(n, '.');
        if ((ndot && strcmp(ndot + 1, name) == 0) || (dot && strcmp(dot + 1, n) == 0))
            return sp->named[i].schema;
    }
    return NULL;
}

static int add_named(sparse_t *sp, const char *name, const avro_schema_t *s)
{
    if (sp->nnamed == sp->capnamed) {
        int cap = sp->capnamed ? sp->capnamed * 2 : 16;
        named_t *n = realloc(sp->named, (size_t)cap * sizeof *n);
        if (!n)
            return err_set(sp->err, ERR_NOMEM, "avro schema: out of memory");
        sp->named = n;
        sp->capnamed = cap;
    }
    sp->named[sp->nnamed].name = name;
    sp->named[sp->nnamed++].schema = s;
    return 0;
}

static int32_t int_attr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i >= INT32_MIN && i <= INT32_MAX)
            return (int32_t)i;
    }
    /* some writers put ids as strings */
    if (json_is_string(v)) {
        char *end;
        long i = strtol(json_string_value(v), &end, 10);
        if (*end == 0 && end != json_string_value(v) && i >= INT32_MIN && i <= INT32_MAX)
            return (int32_t)i;
    }
    return -1;
}

static const avro_schema_t *parse_schema(sparse_t *sp, json_t *j, int depth);

static const avro_schema_t *bad(sparse_t *sp, const char *fmt, const char *what)
{
    err_set(sp->err, ERR_INVALID, fmt, what);
    return NULL;
}

static const avro_schema_t *parse_named_name(sparse_t *sp, json_t *j, const char **name)
{
    const char *n = json_string_value(json_object_get(j, "name"));
    if (!n || !*n)
        return bad(sp, "avro schema: a %s without a name", json_string_value(json_object_get(j, "type")));
    const char *ns = json_string_value(json_object_get(j, "namespace"));
    char *full;
    if (ns && *ns && !strchr(n, '.')) {
        size_t len = strlen(ns) + 1 + strlen(n) + 1;
        full = pool_alloc(sp->pool, len);
        if (full)
            snprintf(full, len, "%s.%s", ns, n);
    } else
        full = pool_strdup(sp->pool, n);
    if (!full) {
        err_set(sp->err, ERR_NOMEM, "avro schema: out of memory");
        return NULL;
    }
    *name = full;
    return (const avro_schema_t *)1; /* success marker */
}

static const avro_schema_t *parse_object(sparse_t *sp, json_t *j, int depth)
{
    json_t *tj = json_object_get(j, "type");
    if (json_is_object(tj) || json_is_array(tj))
        return parse_schema(sp, tj, depth + 1); /* {"type": {...}}: the inner schema */
    const char *t = json_string_value(tj);
    if (!t)
        return bad(sp, "avro schema: an object without a %s", "type");
    const char *logical = json_string_value(json_object_get(j, "logicalType"));
    avro_type_t pt;
    avro_schema_t *s;
    if (primitive_type(t, &pt)) {
        if (!(s = new_node(sp, pt)))
            return NULL;
    } else if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0) {
        if (!(s = new_node(sp, AVRO_RECORD)))
            return NULL;
        if (!parse_named_name(sp, j, &s->name))
            return NULL;
        if (add_named(sp, s->name, s)) /* before the fields: a field may refer to the record */
            return NULL;
        json_t *fields = json_object_get(j, "fields");
        if (!json_is_array(fields))
            return bad(sp, "avro schema: record %s has no fields array", s->name);
        size_t nf = json_array_size(fields);
        if (nf > (size_t)sp->lim->max_schema_nodes)
            return bad(sp, "avro schema: record %s has too many fields", s->name);
        avro_field_t *f = pool_alloc(sp->pool, (nf ? nf : 1) * sizeof *f);
        if (!f) {
            err_set(sp->err, ERR_NOMEM, "avro schema: out of memory");
            return NULL;
        }
        for (size_t i = 0; i < nf; i++) {
            json_t *fj = json_array_get(fields, i);
            const char *fname = json_string_value(json_object_get(fj, "name"));
            if (!json_is_object(fj) || !fname)
                return bad(sp, "avro schema: record %s has a field without a name", s->name);
            if (!(f[i].name = pool_strdup(sp->pool, fname))) {
                err_set(sp->err, ERR_NOMEM, "avro schema: out of memory");
                return NULL;
            }
            f[i].field_id = int_attr(fj, "field-id");
            json_t *ft = json_object_get(fj, "type");
            if (!ft)
                return bad(sp, "avro schema: field %s has no type", f[i].name);
            if (!(f[i].type = parse_schema(sp, ft, depth + 1))) {
                err_prefix(sp->err, "field %s", f[i].name);
                return NULL;
            }
        }
        s->fields = f;
        s->n = (int)nf;
    } else if (strcmp(t, "enum") == 0) {
        if (!(s = new_node(sp, AVRO_ENUM)))
            return NULL;
        if (!parse_named_name(sp, j, &s->name) || add_named(sp, s->name, s))
            return NULL;
        json_t *sy = json_object_get(j, "symbols");
        size_t n = json_array_size(sy);
        if (!json_is_array(sy) || n == 0 || n > (size_t)sp->lim->max_schema_nodes)
            return bad(sp, "avro schema: enum %s needs symbols", s->name);
        const char **syms = pool_alloc(sp->pool, n * sizeof *syms);
        if (!syms) {
            err_set(sp->err, ERR_NOMEM, "avro schema: out of memory");
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            const char *v = json_string_value(json_array_get(sy, i));
            if (!v || !(syms[i] = pool_strdup(sp->pool, v)))
                return bad(sp, "avro schema: enum %s has a bad symbol", s->name);
        }
        s->symbols = syms;
        s->n = (int)n;
    } else if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
        int is_array = t[0] == 'a';
        if (!(s = new_node(sp, is_array ? AVRO_ARRAY : AVRO_MAP)))
            return NULL;
        json_t *it = json_object_get(j, is_array ? "items" : "values");
        if (!it)
            return bad(sp, "avro schema: %s without its item type", t);
        if (!(s->items = parse_schema(sp, it, depth + 1)))
            return NULL;
        s->element_id = int_attr(j, "element-id");
        s->key_id = int_attr(j, "key-id");
        s->value_id = int_attr(j, "value-id");
    } else if (strcmp(t, "fixed") == 0) {
        if (!(s = new_node(sp, AVRO_FIXED)))
            return NULL;
        if (!parse_named_name(sp, j, &s->name) || add_named(sp, s->name, s))
            return NULL;
        json_t *sz = json_object_get(j, "size");
        if (!json_is_integer(sz) || json_integer_value(sz) < 0 || json_integer_value(sz) > (1 << 20))
            return bad(sp, "avro schema: fixed %s needs a size of 0..1 MiB", s->name);
        s->size = (size_t)json_integer_value(sz);
    } else {
        const avro_schema_t *ref = lookup_named(sp, t);
        if (!ref)
            return bad(sp, "avro schema: unknown type \"%.100s\"", t);
        return ref;
    }
    if (logical && !(s->logical = pool_strdup(sp->pool, logical))) {
        err_set(sp->err, ERR_NOMEM, "avro schema: out of memory");
        return NULL;
    }
    return s;
}

static const avro_schema_t *parse_schema(sparse_t *sp, json_t *j, int depth)
{
    if (depth > sp->lim->max_schema_depth) {
        err_set(sp->err, ERR_TOO_LARGE, "avro schema: nested deeper than %d", sp->lim->max_schema_depth);
        return NULL;
    }
    if (json_is_string(j)) {
        avro_type_t t;
        const char *name = json_string_value(j);
        if (primitive_type(name, &t))
            return new_node(sp, t);
        const avro_schema_t *ref = lookup_named(sp, name);
        if (!ref)
            return bad(sp, "avro schema: unknown type \"%.100s\"", name);
        return ref;
    }
    if (json_is_array(j)) {
        size_t n = json_array_size(j);
        if (n == 0 || n > 64)
            return bad(sp, "avro schema: a union needs 1 to 64 branches%s", "");
        avro_schema_t *s = new_node(sp, AVRO_UNION);
        if (!s)
            return NULL;
        const avro_schema_t **br = pool_alloc(sp->pool, n * sizeof *br);
        if (!br) {
            err_set(sp->err, ERR_NOMEM, "avro schema: out of memory");
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            if (!(br[i] = parse_schema(sp, json_array_get(j, i), depth + 1)))
                return NULL;
            if (br[i]->type == AVRO_UNION)
                return bad(sp, "avro schema: a union directly inside a union%s", "");
        }
        s->branches = br;
        s->n = (int)n;
        return s;
    }
    if (json_is_object(j))
        return parse_object(sp, j, depth);
    return bad(sp, "avro schema: a schema must be a string, an array or an object%s", "");
}

/* ---- decoding ---- */

typedef struct {
    const uint8_t *p, *end;
} cur_t;

struct avro_reader {
    const avro_limits_t *lim;
    avro_limits_t lim_copy;
    pool_t spool, vpool;
    const avro_schema_t *schema;
    int nmeta;
    avro_bytes_t *meta_keys, *meta_vals;
    int deflate;
    uint8_t sync[16];
    cur_t file;     /* what follows the header or the last block */
    cur_t block;    /* datums left in the current block */
    int64_t left;   /* datums left in the current block */
    int64_t count;  /* datums in the current block */
    int64_t block_no;
    buf_t zbuf;     /* decompressed block */
    size_t values;  /* values of the datum being decoded */
};

void avro_limits_default(avro_limits_t *l)
{
    l->max_schema_bytes = 1 << 20;
    l->max_schema_depth = 32;
    l->max_schema_nodes = 10000;
    l->max_meta_entries = 1024;
    l->max_block_bytes = 64 << 20;
    l->max_block_records = 1 << 20;
    l->max_record_values = 1 << 20;
    l->max_value_depth = 64;
}

static int get_long(cur_t *c, int64_t *v, err_t *err, const char *what)
{
    uint64_t z = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (c->p >= c->end)
            return err_set(err, ERR_INVALID, "avro: %s: truncated varint", what);
        uint8_t b = *c->p++;
        if (shift == 63 && (b & 0x7e))
            return err_set(err, ERR_INVALID, "avro: %s: varint longer than 64 bits", what);
        z |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            return 0;
        }
    }
    return err_set(err, ERR_INVALID, "avro: %s: varint longer than 10 bytes", what);
}

static int get_bytes(cur_t *c, avro_bytes_t *b, err_t *err, const char *what)
{
    int64_t n;
    if (get_long(c, &n, err, what))
        return -1;
    if (n < 0 || (uint64_t)n > (uint64_t)(c->end - c->p))
        return err_set(err, ERR_INVALID, "avro: %s: length %lld past the end of the data", what, (long long)n);
    b->p = c->p;
    b->n = (size_t)n;
    c->p += n;
    return 0;
}

typedef struct {
    avro_value_t *v;
    avro_bytes_t *k;
    size_t n, cap;
} vec_t;

static int decode(avro_reader_t *r, cur_t *c, const avro_schema_t *s, avro_value_t *v, int depth, err_t *err);

static int vec_push(vec_t *vec, int with_keys)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 8;
        avro_value_t *nv = realloc(vec->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        vec->v = nv;
        if (with_keys) {
            avro_bytes_t *nk = realloc(vec->k, cap * sizeof *nk);
            if (!nk)
                return -1;
            vec->k = nk;
        }
        vec->cap = cap;
    }
    vec->n++;
    return 0;
}

static int count_value(avro_reader_t *r, err_t *err)
{
    if (++r->values > r->lim->max_record_values)
        return err_set(err, ERR_TOO_LARGE, "avro: a datum with more than %zu values", r->lim->max_record_values);
    return 0;
}

/* Arrays and maps: blocks of items until a zero count; a negative count is followed by the
 * block's size in bytes (which we need not use). */
static int decode_blocks(avro_reader_t *r, cur_t *c, const avro_schema_t *s, avro_value_t *v, int depth, err_t *err)
{
    int is_map = s->type == AVRO_MAP;
    vec_t vec = {0};
    int rc = 0;
    for (;;) {
        int64_t count;
        if ((rc = get_long(c, &count, err, is_map ? "map block count" : "array block count")))
            break;
        if (count == 0)
            break;
        if (count < 0) {
            int64_t size;
            if (count == INT64_MIN) {
                rc = err_set(err, ERR_INVALID, "avro: bad block count");
                break;
            }
            count = -count;
            if ((rc = get_long(c, &size, err, "block size")))
                break;
        }
        if ((uint64_t)count > r->lim->max_record_values - (r->values < r->lim->max_record_values ? r->values : r->lim->max_record_values)) {
            rc = err_set(err, ERR_TOO_LARGE, "avro: a block of %lld items, more than a datum may hold", (long long)count);
            break;
        }
        for (int64_t i = 0; i < count && !rc; i++) {
            if (vec_push(&vec, is_map)) {
                rc = err_set(err, ERR_NOMEM, "avro: out of memory");
                break;
            }
            if (is_map && (rc = get_bytes(c, &vec.k[vec.n - 1], err, "map key")))
                break;
            rc = decode(r, c, s->items, &vec.v[vec.n - 1], depth + 1, err);
        }
        if (rc)
            break;
    }
    if (!rc && vec.n) {
        v->items = pool_alloc(&r->vpool, vec.n * sizeof *v->items);
        if (is_map && v->items)
            v->keys = pool_alloc(&r->vpool, vec.n * sizeof *v->keys);
        if (!v->items || (is_map && !v->keys))
            rc = err_set(err, ERR_NOMEM, "avro: out of memory");
        else {
            memcpy(v->items, vec.v, vec.n * sizeof *v->items);
            if (is_map)
                memcpy(v->keys, vec.k, vec.n * sizeof *v->keys);
            v->n = vec.n;
        }
    }
    free(vec.v);
    free(vec.k);
    return rc;
}

static int decode(avro_reader_t *r, cur_t *c, const avro_schema_t *s, avro_value_t *v, int depth, err_t *err)
{
    if (depth > r->lim->max_value_depth)
        return err_set(err, ERR_TOO_LARGE, "avro: a datum nested deeper than %d", r->lim->max_value_depth);
    if (count_value(r, err))
        return -1;
    v->branch = -1;
    if (s->type == AVRO_UNION) {
        int64_t b;
        if (get_long(c, &b, err, "union branch"))
            return -1;
        if (b < 0 || b >= s->n)
            return err_set(err, ERR_INVALID, "avro: union branch %lld of %d", (long long)b, s->n);
        s = s->branches[b];
        v->branch = (int)b;
    }
    v->schema = s;
    v->type = s->type;
    switch (s->type) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        if (c->p >= c->end || *c->p > 1)
            return err_set(err, ERR_INVALID, "avro: bad boolean");
        v->l = *c->p++;
        return 0;
    case AVRO_INT:
    case AVRO_LONG:
    case AVRO_ENUM:
        if (get_long(c, &v->l, err, avro_type_name(s->type)))
            return -1;
        if (s->type != AVRO_LONG && (v->l < INT32_MIN || v->l > INT32_MAX))
            return err_set(err, ERR_INVALID, "avro: %s out of range", avro_type_name(s->type));
        if (s->type == AVRO_ENUM && (v->l < 0 || v->l >= s->n))
            return err_set(err, ERR_INVALID, "avro: enum index %lld of %d", (long long)v->l, s->n);
        return 0;
    case AVRO_FLOAT: {
        if (c->end - c->p < 4)
            return err_set(err, ERR_INVALID, "avro: truncated float");
        uint32_t bits = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
        float f;
        memcpy(&f, &bits, 4);
        v->d = f;
        c->p += 4;
        return 0;
    }
    case AVRO_DOUBLE: {
        if (c->end - c->p < 8)
            return err_set(err, ERR_INVALID, "avro: truncated double");
        uint64_t bits = 0;
        for (int i = 7; i >= 0; i--)
            bits = bits << 8 | c->p[i];
        memcpy(&v->d, &bits, 8);
        c->p += 8;
        return 0;
    }
    case AVRO_BYTES:
    case AVRO_STRING:
        return get_bytes(c, &v->bytes, err, avro_type_name(s->type));
    case AVRO_FIXED:
        if ((size_t)(c->end - c->p) < s->size)
            return err_set(err, ERR_INVALID, "avro: truncated fixed %s", s->name);
        v->bytes.p = c->p;
        v->bytes.n = s->size;
        c->p += s->size;
        return 0;
    case AVRO_RECORD:
        if (s->n) {
            v->items = pool_alloc(&r->vpool, (size_t)s->n * sizeof *v->items);
            if (!v->items)
                return err_set(err, ERR_NOMEM, "avro: out of memory");
        }
        v->n = (size_t)s->n;
        for (int i = 0; i < s->n; i++)
            if (decode(r, c, s->fields[i].type, &v->items[i], depth + 1, err))
                return err_prefix(err, "%s", s->fields[i].name);
        return 0;
    case AVRO_ARRAY:
    case AVRO_MAP:
        return decode_blocks(r, c, s, v, depth, err);
    case AVRO_UNION:
        break;
    }
    return err_set(err, ERR_INTERNAL, "avro: a union inside a union");
}

/* ---- the container ---- */

int avro_reader_open(avro_reader_t **out, const uint8_t *data, size_t len, const avro_limits_t *lim, err_t *err)
{
    *out = NULL;
    avro_reader_t *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(err, ERR_NOMEM, "avro: out of memory");
    if (lim)
        r->lim_copy = *lim;
    else
        avro_limits_default(&r->lim_copy);
    r->lim = &r->lim_copy;
    cur_t c = {data, data + len};
    int rc = 0;
    if (len < 4 || memcmp(data, "Obj\x01", 4) != 0) {
        rc = err_set(err, ERR_INVALID, "avro: not an object container file (no Obj\\x01 magic)");
        goto out;
    }
    c.p += 4;
    /* the metadata map: blocks of (string key, bytes value) */
    vec_t keys = {0}, vals = {0};
    for (;;) {
        int64_t count;
        if ((rc = get_long(&c, &count, err, "header metadata count")))
            break;
        if (count == 0)
            break;
        if (count < 0) {
            int64_t size;
            if (count == INT64_MIN || (rc = get_long(&c, &size, err, "header metadata size"))) {
                rc = rc ? rc : err_set(err, ERR_INVALID, "avro: bad header metadata count");
                break;
            }
            count = -count;
        }
        if (count > r->lim->max_meta_entries - (int64_t)keys.n) {
            rc = err_set(err, ERR_TOO_LARGE, "avro: more than %d header metadata entries", r->lim->max_meta_entries);
            break;
        }
        for (int64_t i = 0; i < count && !rc; i++) {
            if (vec_push(&keys, 1) || vec_push(&vals, 1)) {
                rc = err_set(err, ERR_NOMEM, "avro: out of memory");
                break;
            }
            rc = get_bytes(&c, &keys.k[keys.n - 1], err, "header metadata key") ||
                 get_bytes(&c, &vals.k[vals.n - 1], err, "header metadata value");
        }
        if (rc)
            break;
    }
    r->nmeta = (int)keys.n;
    r->meta_keys = keys.k;
    r->meta_vals = vals.k;
    free(keys.v);
    free(vals.v);
    if (rc)
        goto out;
    if (c.end - c.p < 16) {
        rc = err_set(err, ERR_INVALID, "avro: header ends before the sync marker");
        goto out;
    }
    memcpy(r->sync, c.p, 16);
    c.p += 16;
    r->file = c;

    size_t n;
    const uint8_t *codec = avro_reader_meta(r, "avro.codec", &n);
    if (!codec || (n == 4 && memcmp(codec, "null", 4) == 0))
        r->deflate = 0;
    else if (n == 7 && memcmp(codec, "deflate", 7) == 0)
        r->deflate = 1;
    else {
        rc = err_set(err, ERR_UNSUPPORTED, "avro: codec \"%.*s\" is not supported (null and deflate are)",
                     (int)(n > 32 ? 32 : n), (const char *)codec);
        goto out;
    }
    const uint8_t *sj = avro_reader_meta(r, "avro.schema", &n);
    if (!sj) {
        rc = err_set(err, ERR_INVALID, "avro: no avro.schema in the header");
        goto out;
    }
    if (n > r->lim->max_schema_bytes) {
        rc = err_set(err, ERR_TOO_LARGE, "avro: schema of %zu bytes, more than %zu", n, r->lim->max_schema_bytes);
        goto out;
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)sj, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        rc = err_set(err, ERR_INVALID, "avro: schema is not JSON: %s at byte %d", jerr.text, jerr.position);
        goto out;
    }
    sparse_t sp = {.pool = &r->spool, .lim = r->lim, .err = err};
    r->schema = parse_schema(&sp, j, 0);
    free(sp.named);
    json_decref(j);
    if (!r->schema)
        rc = -1;
out:
    if (rc) {
        avro_reader_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

const avro_schema_t *avro_reader_schema(const avro_reader_t *r) { return r->schema; }

const uint8_t *avro_reader_meta(const avro_reader_t *r, const char *key, size_t *len)
{
    size_t kl = strlen(key);
    for (int i = 0; i < r->nmeta; i++)
        if (r->meta_keys[i].n == kl && memcmp(r->meta_keys[i].p, key, kl) == 0) {
            if (len)
                *len = r->meta_vals[i].n;
            return r->meta_vals[i].p;
        }
    return NULL;
}

static int next_block(avro_reader_t *r, err_t *err)
{
    int64_t count, size;
    r->block_no++;
    if (get_long(&r->file, &count, err, "block count") || get_long(&r->file, &size, err, "block size"))
        return err_prefix(err, "block %lld", (long long)r->block_no);
    if (count < 0 || count > r->lim->max_block_records)
        return err_set(err, ERR_INVALID, "avro: block %lld: %lld datums (0..%lld allowed)", (long long)r->block_no,
                       (long long)count, (long long)r->lim->max_block_records);
    if (size < 0 || (uint64_t)size > (uint64_t)(r->file.end - r->file.p) ||
        (uint64_t)(r->file.end - r->file.p) - (uint64_t)size < 16)
        return err_set(err, ERR_INVALID, "avro: block %lld: %lld bytes run past the end of the file",
                       (long long)r->block_no, (long long)size);
    const uint8_t *data = r->file.p;
    r->file.p += size;
    if (memcmp(r->file.p, r->sync, 16) != 0)
        return err_set(err, ERR_INVALID, "avro: block %lld does not end with the sync marker", (long long)r->block_no);
    r->file.p += 16;
    if (r->deflate) {
        buf_clear(&r->zbuf);
        if (size == 0 && count == 0) {
            r->block.p = r->block.end = NULL;
        } else {
            if (deflate_raw_inflate(data, (size_t)size, r->lim->max_block_bytes, &r->zbuf, err))
                return err_prefix(err, "avro: block %lld", (long long)r->block_no);
            r->block.p = r->zbuf.data;
            r->block.end = r->zbuf.data + r->zbuf.len;
        }
    } else {
        if ((uint64_t)size > r->lim->max_block_bytes)
            return err_set(err, ERR_TOO_LARGE, "avro: block %lld of %lld bytes", (long long)r->block_no, (long long)size);
        r->block.p = data;
        r->block.end = data + size;
    }
    r->left = r->count = count;
    return 0;
}

int avro_reader_next(avro_reader_t *r, const avro_value_t **v, err_t *err)
{
    while (r->left == 0) {
        if (r->block.p != r->block.end)
            return err_set(err, ERR_INVALID, "avro: block %lld has %zu bytes after its last datum",
                           (long long)r->block_no, (size_t)(r->block.end - r->block.p));
        if (r->file.p == r->file.end)
            return 0;
        if (next_block(r, err))
            return -1;
    }
    pool_reset(&r->vpool);
    r->values = 0;
    avro_value_t *val = pool_alloc(&r->vpool, sizeof *val);
    if (!val)
        return err_set(err, ERR_NOMEM, "avro: out of memory");
    if (decode(r, &r->block, r->schema, val, 0, err))
        return err_prefix(err, "avro: block %lld, datum %lld", (long long)r->block_no, (long long)(r->count - r->left));
    r->left--;
    *v = val;
    return 1;
}

void avro_reader_close(avro_reader_t *r)
{
    if (!r)
        return;
    pool_free(&r->spool);
    pool_free(&r->vpool);
    free(r->meta_keys);
    free(r->meta_vals);
    buf_free(&r->zbuf);
    free(r);
}

const avro_value_t *avro_field(const avro_value_t *v, const char *name)
{
    if (!v || v->type != AVRO_RECORD)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->schema->fields[i].name, name) == 0)
            return &v->items[i];
    return NULL;
}

const avro_value_t *avro_field_by_id(const avro_value_t *v, int32_t field_id)
{
    if (!v || v->type != AVRO_RECORD || field_id < 0)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (v->schema->fields[i].field_id == field_id)
            return &v->items[i];
    return NULL;
}

const avro_value_t *avro_field_iceberg(const avro_value_t *v, int32_t field_id, const char *name, const char *alt)
{
    const avro_value_t *f = avro_field_by_id(v, field_id);
    if (!f)
        f = avro_field(v, name);
    if (!f && alt)
        f = avro_field(v, alt);
    return f && f->type != AVRO_NULL ? f : NULL;
}
