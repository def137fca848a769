/* What every OTLP protobuf decoder (logs, traces, metrics) shares: the walk from the export
 * request through ResourceX and ScopeX down to the signal's items (log records, spans,
 * metrics), the Resource and InstrumentationScope columns every row repeats, the field helpers
 * and error paths, and the cap on how much a request may make its rows repeat.
 *
 * All three signals nest the same way (opentelemetry-proto, field numbers checked against the
 * published descriptors):
 *   Export*ServiceRequest { repeated ResourceX resource_x = 1; }
 *   ResourceX { Resource resource = 1; repeated ScopeX scope_x = 2; string schema_url = 3; }
 *   ScopeX    { InstrumentationScope scope = 1; repeated Item items = 2; string schema_url = 3; }
 * Protobuf does not fix the order of fields, and a row needs its resource and scope columns
 * whichever side of the items they are, so ResourceX and ScopeX are each read twice: first for
 * everything but the nested lists (cheap: a nested message is skipped by its length), then for
 * the lists. Resource and scope attribute lists are converted and deduplicated once, then
 * appended to every row they belong to.
 *
 * A signal's decoder state embeds otlp_rs_t as its first member, so the item callback can get
 * back to it with a plain cast. */
#ifndef OTLP2PARQUET_OTLP_RESOURCE_SCOPE_H
#define OTLP2PARQUET_OTLP_RESOURCE_SCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "otlp/attrs.h"
#include "otlp/decode.h"
#include "otlp/pb.h"
#include "table/column.h"
#include "util/err.h"

/* Bytes inside the request. Absent strings point at otlp_no_bytes, never NULL: the column
 * builders memcpy from them. */
typedef struct {
    const uint8_t *p;
    size_t n;
} otlp_bytes_t;

extern const uint8_t otlp_no_bytes[1];
#define OTLP_NO_BYTES ((otlp_bytes_t){otlp_no_bytes, 0})

typedef struct otlp_rs otlp_rs_t;

/* Decodes one item (a LogRecord, a Span, a Metric) at rs->path; 0 or -1 with rs->err set. */
typedef int (*otlp_item_fn)(otlp_rs_t *rs, const uint8_t *msg, size_t len);

/* How a signal's request is laid out and named. */
typedef struct {
    const char *table;     /* names the batch in out-of-memory errors: "logs" */
    const char *resources; /* path names of the three lists: "resourceLogs", */
    const char *scopes;    /*   "scopeLogs", */
    const char *items;     /*   "logRecords" */
    /* Each item is one row: the walk charges the repetition cap for a scope's items up front,
     * naming them so ("records"). NULL: items make a varying number of rows (a metric has
     * data points) and the item callback charges with otlp_rs_charge itself. */
    const char *rows_noun;
    otlp_item_fn item;
} otlp_signal_desc_t;

struct otlp_rs {
    const otlp_signal_desc_t *sig;
    otlp_decode_ctx_t *ctx;
    err_t *err;
    attrs_t res, scope; /* attribute lists, reused from one resource / scope to the next */
    otlp_bytes_t service, res_schema;
    otlp_bytes_t scope_name, scope_version, scope_schema;
    uint64_t repeated, repeated_max; /* bytes of repeated columns so far, and the cap */
    pb_path_t path;
};

void otlp_rs_init(otlp_rs_t *rs, const otlp_signal_desc_t *sig, otlp_decode_ctx_t *ctx, size_t request_len,
                  err_t *err);
void otlp_rs_free(otlp_rs_t *rs);

/* Walks the request, calling sig->item for every item with the path at it and the resource
 * and scope of the item in rs. 0, or -1 with rs->err set. An empty request (len 0, data may be
 * NULL) is valid and has no items. */
int otlp_rs_walk(otlp_rs_t *rs, const uint8_t *data, size_t len);

/* The repetition cap. Every row repeats its resource and scope columns, so a small request can
 * ask for far more memory than its own size (thousands of resource attributes over a million
 * empty records of two bytes each). What a request may add that way is capped; past it the
 * request is refused as too large rather than left to exhaust memory. nrows rows are about to
 * be added, each repeating extra bytes on top of the resource and scope (a metric's name, for
 * instance). -1 with ERR_TOO_LARGE: "<rows_noun> repeating their resource and scope columns
 * would take more than N MiB". */
int otlp_rs_charge(otlp_rs_t *rs, uint64_t nrows, uint64_t extra, const char *rows_noun);

/* Leaf indexes of the resource and scope columns in a table (the value leaf of a map is the
 * key leaf + 1); scope_schema is -1 when the table has no ScopeSchemaUrl. */
typedef struct {
    int service, res_key, res_schema, scope_name, scope_version, scope_key, scope_schema;
} otlp_rs_leaves_t;

/* Appends the current resource and scope columns to one row. 0, or -1 when memory runs out. */
int otlp_rs_put(const otlp_rs_t *rs, column_t *cols, const otlp_rs_leaves_t *l);

/* ---- field helpers: every error names the path of the field ---- */

/* "<path>.<field>[idx]: wire type 0 (varint), want 2 (length-delimited)"; -1. */
int otlp_wiretype(otlp_rs_t *rs, const char *field, size_t idx, const pb_field_t *f, uint8_t want);

/* A field whose value is not used (or is read from f->u) still has to have its declared wire
 * type. */
static inline int otlp_check_wt(otlp_rs_t *rs, const pb_field_t *f, const char *field, uint8_t want)
{
    return f->wt == want ? 0 : otlp_wiretype(rs, field, PB_NOIDX, f, want);
}

/* A string field: length-delimited and UTF-8 (the last occurrence wins). */
int otlp_str_field(otlp_rs_t *rs, const pb_field_t *f, const char *field, otlp_bytes_t *out);

/* A bytes field: length-delimited. */
int otlp_bytes_field(otlp_rs_t *rs, const pb_field_t *f, const char *field, otlp_bytes_t *out);

/* One KeyValue of a repeated attribute field, appended to a; *idx counts them (for the path).
 * The usual KeyValue is taken inline (attrs_add_simple); the rest out of line. */
int otlp_attr_field_slow(otlp_rs_t *rs, attrs_t *a, const pb_field_t *f, const char *field, size_t *idx);
static inline int otlp_attr_field(otlp_rs_t *rs, attrs_t *a, const pb_field_t *f, const char *field, size_t *idx)
{
    if (f->wt == PB_LEN && attrs_add_simple(a, f->p, f->n)) {
        (*idx)++;
        return 0;
    }
    return otlp_attr_field_slow(rs, a, f, field, idx);
}

/* A trace or span id: exactly want bytes, or absent (empty); else
 * "<path>.<field>: 5 bytes, want 8" (the path is left pointing at the field). */
int otlp_check_id(otlp_rs_t *rs, otlp_bytes_t id, size_t want, const char *field);

/* The reader's error at the current path; -1. */
int otlp_reader_fail(otlp_rs_t *rs, const pb_reader_t *r);

/* ERR_NOMEM naming the table; -1. */
int otlp_nomem(otlp_rs_t *rs);

/* ERR_TOO_LARGE when the batch cannot take another row (row counts are 32-bit). */
int otlp_row_room(otlp_rs_t *rs, const table_batch_t *b);

/* Nanoseconds to microseconds, rounding toward minus infinity (as Parquet readers would). */
static inline int64_t otlp_floor_div_1000(int64_t ns)
{
    int64_t q = ns / 1000;
    return ns % 1000 < 0 ? q - 1 : q;
}
/* An unsigned OTLP time (fixed64 ns) in microseconds: always fits int64. */
static inline int64_t otlp_ns_to_us(uint64_t ns) { return (int64_t)(ns / 1000); }

/* Unsigned magnitudes (counts) into signed columns: saturate, since a count past INT64_MAX
 * cannot be stored and a negative count would be a lie (DESIGN §3: signed types only). */
static inline int64_t otlp_u64_to_i64(uint64_t u) { return u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u; }

/* A double on the wire (fixed64 bits) as a double, NaN payloads and all. */
static inline double otlp_f64(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

#endif
