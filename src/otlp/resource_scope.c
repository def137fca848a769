#include "otlp/resource_scope.h"

#include <inttypes.h>

#include "otlp/anyvalue.h"

const uint8_t otlp_no_bytes[1];

/* Real requests stay far below the cap (10,000 records under 20 resource attributes repeat
 * about 10 MiB); it grows with the request so that big honest requests still fit. */
#define RS_MAX_REPEATED_BYTES ((uint64_t)256 << 20)
#define RS_REPEATED_PER_INPUT_BYTE 16

static const char unknown_service[] = "unknown_service";

void otlp_rs_init(otlp_rs_t *rs, const otlp_signal_desc_t *sig, otlp_decode_ctx_t *ctx, size_t request_len,
                  err_t *err)
{
    memset(rs, 0, sizeof *rs);
    rs->sig = sig;
    rs->ctx = ctx;
    rs->err = err;
    rs->repeated_max = RS_MAX_REPEATED_BYTES + (uint64_t)request_len * RS_REPEATED_PER_INPUT_BYTE;
    attrs_init(&rs->res);
    attrs_init(&rs->scope);
    rs->service = rs->res_schema = OTLP_NO_BYTES;
    rs->scope_name = rs->scope_version = rs->scope_schema = OTLP_NO_BYTES;
}

void otlp_rs_free(otlp_rs_t *rs)
{
    attrs_free(&rs->res);
    attrs_free(&rs->scope);
}

int otlp_nomem(otlp_rs_t *rs)
{
    return err_set(rs->err, ERR_NOMEM, "out of memory (or a column past 4 GiB) appending to the %s batch",
                   rs->sig->table);
}

int otlp_row_room(otlp_rs_t *rs, const table_batch_t *b)
{
    if (b->nrows == UINT32_MAX)
        return err_set(rs->err, ERR_TOO_LARGE, "%s batch: too many rows", b->schema->name);
    return 0;
}

int otlp_wiretype(otlp_rs_t *rs, const char *field, size_t idx, const pb_field_t *f, uint8_t want)
{
    return pb_wiretype_fail(&rs->path, field, idx, f->wt, want, rs->err);
}

int otlp_reader_fail(otlp_rs_t *rs, const pb_reader_t *r) { return pb_reader_fail(r, &rs->path, rs->err); }

int otlp_str_field(otlp_rs_t *rs, const pb_field_t *f, const char *field, otlp_bytes_t *out)
{
    if (f->wt != PB_LEN)
        return otlp_wiretype(rs, field, PB_NOIDX, f, PB_LEN);
    if (otlp_check_utf8(f->p, f->n, &rs->path, field, rs->err))
        return -1;
    out->p = f->p;
    out->n = f->n;
    return 0;
}

int otlp_bytes_field(otlp_rs_t *rs, const pb_field_t *f, const char *field, otlp_bytes_t *out)
{
    if (f->wt != PB_LEN)
        return otlp_wiretype(rs, field, PB_NOIDX, f, PB_LEN);
    out->p = f->p;
    out->n = f->n;
    return 0;
}

int otlp_attr_field_slow(otlp_rs_t *rs, attrs_t *a, const pb_field_t *f, const char *field, size_t *idx)
{
    if (f->wt != PB_LEN)
        return otlp_wiretype(rs, field, *idx, f, PB_LEN);
    pb_path_push(&rs->path, field, *idx);
    if (attrs_add(a, f->p, f->n, &rs->path, rs->err))
        return -1;
    pb_path_pop(&rs->path);
    (*idx)++;
    return 0;
}

int otlp_check_id(otlp_rs_t *rs, otlp_bytes_t id, size_t want, const char *field)
{
    if (id.n == 0 || id.n == want)
        return 0;
    pb_path_push(&rs->path, field, PB_NOIDX);
    return pb_path_fail(&rs->path, rs->err, "%zu bytes, want %zu", id.n, want);
}

int otlp_rs_charge(otlp_rs_t *rs, uint64_t nrows, uint64_t extra, const char *rows_noun)
{
    uint64_t per_row = 64 + extra + rs->service.n + rs->res_schema.n + rs->scope_name.n + rs->scope_version.n +
                       rs->scope_schema.n + attrs_bytes(&rs->res) + attrs_bytes(&rs->scope);
    if (nrows && per_row > (rs->repeated_max - rs->repeated) / nrows)
        return err_set(rs->err, ERR_TOO_LARGE,
                       "%s repeating their resource and scope columns would take more than %" PRIu64 " MiB",
                       rows_noun, rs->repeated_max >> 20);
    rs->repeated += per_row * nrows;
    return 0;
}

int otlp_rs_put(const otlp_rs_t *rs, column_t *c, const otlp_rs_leaves_t *l)
{
    int rc = col_str(&c[l->service], rs->service.p, rs->service.n) ||
             attrs_put(&rs->res, &c[l->res_key], &c[l->res_key + 1], 0) ||
             col_str(&c[l->res_schema], rs->res_schema.p, rs->res_schema.n) ||
             col_str(&c[l->scope_name], rs->scope_name.p, rs->scope_name.n) ||
             col_str(&c[l->scope_version], rs->scope_version.p, rs->scope_version.n) ||
             attrs_put(&rs->scope, &c[l->scope_key], &c[l->scope_key + 1], 0) ||
             (l->scope_schema >= 0 && col_str(&c[l->scope_schema], rs->scope_schema.p, rs->scope_schema.n));
    return rc ? -1 : 0;
}

/* Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2;
 *            repeated EntityRef entity_refs = 3; } */
static int decode_resource(otlp_rs_t *rs, const uint8_t *msg, size_t len)
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t i = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (otlp_attr_field(rs, &rs->res, &f, "attributes", &i))
                return -1;
            break;
        case 2:
            if (otlp_check_wt(rs, &f, "droppedAttributesCount", PB_VARINT))
                return -1;
            break;
        case 3:
            if (otlp_check_wt(rs, &f, "entityRefs", PB_LEN))
                return -1;
            break;
        default:
            break;
        }
    }
    return rc < 0 ? otlp_reader_fail(rs, &r) : 0;
}

/* InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3;
 *                        uint32 dropped_attributes_count = 4; } */
static int decode_scope(otlp_rs_t *rs, const uint8_t *msg, size_t len)
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t i = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (otlp_str_field(rs, &f, "name", &rs->scope_name))
                return -1;
            break;
        case 2:
            if (otlp_str_field(rs, &f, "version", &rs->scope_version))
                return -1;
            break;
        case 3:
            if (otlp_attr_field(rs, &rs->scope, &f, "attributes", &i))
                return -1;
            break;
        case 4:
            if (otlp_check_wt(rs, &f, "droppedAttributesCount", PB_VARINT))
                return -1;
            break;
        default:
            break;
        }
    }
    return rc < 0 ? otlp_reader_fail(rs, &r) : 0;
}

/* The first pass over a ResourceX or ScopeX: the message at field 1 (through `head`), the
 * schema url at field 3, and the count of list entries at field 2 (whose wire type it checks,
 * so the second pass can trust the wire format). */
static int first_pass(otlp_rs_t *rs, const uint8_t *msg, size_t len, const char *head_name,
                      int (*head)(otlp_rs_t *, const uint8_t *, size_t), const char *list_name,
                      otlp_bytes_t *schema, size_t *count)
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    int rc;
    size_t k = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (otlp_check_wt(rs, &f, head_name, PB_LEN))
                return -1;
            /* several occurrences merge, as protobuf merges a repeated message field */
            pb_path_push(&rs->path, head_name, PB_NOIDX);
            if (head(rs, f.p, f.n))
                return -1;
            pb_path_pop(&rs->path);
            break;
        case 2:
            if (f.wt != PB_LEN)
                return otlp_wiretype(rs, list_name, k, &f, PB_LEN);
            k++;
            break;
        case 3:
            if (otlp_str_field(rs, &f, "schemaUrl", schema))
                return -1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return otlp_reader_fail(rs, &r);
    *count = k;
    return 0;
}

/* Calls fn on every field 2 of msg, whose wire format the first pass checked. */
static int each_child(otlp_rs_t *rs, const uint8_t *msg, size_t len, const char *name,
                      int (*fn)(otlp_rs_t *, const uint8_t *, size_t))
{
    pb_reader_t r;
    pb_reader_init(&r, msg, len);
    pb_field_t f;
    size_t k = 0;
    while (pb_next(&r, &f) > 0) {
        if (f.num != 2)
            continue;
        pb_path_push(&rs->path, name, k);
        if (fn(rs, f.p, f.n))
            return -1;
        pb_path_pop(&rs->path);
        k++;
    }
    return 0;
}

static int decode_scope_x(otlp_rs_t *rs, const uint8_t *msg, size_t len)
{
    attrs_clear(&rs->scope);
    rs->scope_name = rs->scope_version = rs->scope_schema = OTLP_NO_BYTES;
    size_t k;
    if (first_pass(rs, msg, len, "scope", decode_scope, rs->sig->items, &rs->scope_schema, &k))
        return -1;
    if (attrs_finish(&rs->scope))
        return otlp_nomem(rs);
    if (rs->sig->rows_noun && otlp_rs_charge(rs, k, 0, rs->sig->rows_noun))
        return -1;
    return each_child(rs, msg, len, rs->sig->items, rs->sig->item);
}

static int decode_resource_x(otlp_rs_t *rs, const uint8_t *msg, size_t len)
{
    attrs_clear(&rs->res);
    rs->res_schema = OTLP_NO_BYTES;
    size_t k;
    if (first_pass(rs, msg, len, "resource", decode_resource, rs->sig->scopes, &rs->res_schema, &k))
        return -1;
    if (attrs_finish(&rs->res))
        return otlp_nomem(rs);
    /* ServiceName: the text of service.name whatever its kind; unknown_service when it is
     * missing or has no value */
    const kv_t *svc = attrs_find(&rs->res, "service.name", 12);
    if (svc && svc->val)
        rs->service = (otlp_bytes_t){(const uint8_t *)svc->val, svc->val_len};
    else
        rs->service = (otlp_bytes_t){(const uint8_t *)unknown_service, sizeof unknown_service - 1};
    return each_child(rs, msg, len, rs->sig->scopes, decode_scope_x);
}

int otlp_rs_walk(otlp_rs_t *rs, const uint8_t *data, size_t len)
{
    if (len == 0)
        data = otlp_no_bytes;
    pb_reader_t r;
    pb_reader_init(&r, data, len);
    pb_field_t f;
    int rc;
    size_t i = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num != 1)
            continue;
        if (f.wt != PB_LEN)
            return otlp_wiretype(rs, rs->sig->resources, i, &f, PB_LEN);
        pb_path_push(&rs->path, rs->sig->resources, i);
        if (decode_resource_x(rs, f.p, f.n))
            return -1;
        pb_path_pop(&rs->path);
        i++;
    }
    return rc < 0 ? otlp_reader_fail(rs, &r) : 0;
}
