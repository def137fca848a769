/* Reading Avro object container files (Avro 1.11) from untrusted bytes: manifest lists and
 * manifests written by any Iceberg implementation. The writer schema (JSON) becomes a schema
 * tree that keeps the Iceberg attributes (field-id, element-id, key-id, value-id); each datum
 * becomes a value tree whose fields a caller picks by name or by field id. Every size, count
 * and depth is bounded (avro_limits_t); bad input is an ERR_INVALID (or ERR_TOO_LARGE,
 * ERR_UNSUPPORTED for codecs we lack) naming where it went wrong, never a crash. */
#ifndef OTLP2PARQUET_AVRO_AVRO_READ_H
#define OTLP2PARQUET_AVRO_AVRO_READ_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef enum {
    AVRO_NULL, AVRO_BOOLEAN, AVRO_INT, AVRO_LONG, AVRO_FLOAT, AVRO_DOUBLE, AVRO_BYTES, AVRO_STRING,
    AVRO_RECORD, AVRO_ENUM, AVRO_ARRAY, AVRO_MAP, AVRO_UNION, AVRO_FIXED,
} avro_type_t;

typedef struct avro_schema avro_schema_t;

typedef struct {
    const char *name;
    int32_t field_id;            /* Iceberg "field-id", -1 when absent */
    const avro_schema_t *type;
} avro_field_t;

struct avro_schema {
    avro_type_t type;
    const char *name;            /* record, enum, fixed: the name as written, else NULL */
    const char *logical;         /* "logicalType", NULL when absent (decoding ignores it) */
    int n;                       /* record: fields; union: branches; enum: symbols */
    const avro_field_t *fields;  /* record */
    const avro_schema_t *const *branches; /* union */
    const char *const *symbols;  /* enum */
    const avro_schema_t *items;  /* array items, map values */
    int32_t element_id, key_id, value_id; /* Iceberg attributes of arrays and maps, -1 absent */
    size_t size;                 /* fixed */
};

typedef struct {
    const uint8_t *p;
    size_t n;
} avro_bytes_t;

/* A decoded datum. A union value is the value of the branch taken (branch says which), so an
 * optional field that is null has type AVRO_NULL. */
typedef struct avro_value avro_value_t;
struct avro_value {
    const avro_schema_t *schema; /* never a union */
    avro_type_t type;            /* schema->type */
    int branch;                  /* union branch index, -1 when not in a union */
    int64_t l;                   /* boolean (0/1), int, long, enum symbol index */
    double d;                    /* float, double */
    avro_bytes_t bytes;          /* bytes, string, fixed */
    size_t n;                    /* record: fields (schema order); array: items; map: entries */
    avro_value_t *items;         /* record fields, array items, map values */
    avro_bytes_t *keys;          /* map keys */
};

typedef struct {
    size_t max_schema_bytes;   /* 1 MiB */
    int max_schema_depth;      /* 32 nested types */
    int max_schema_nodes;      /* 10000 */
    int max_meta_entries;      /* 1024 */
    size_t max_block_bytes;    /* 64 MiB, decompressed */
    int64_t max_block_records; /* 1 Mi */
    size_t max_record_values;  /* 1 Mi values in one datum, nested ones included */
    int max_value_depth;       /* 64 (named types may recurse) */
} avro_limits_t;

void avro_limits_default(avro_limits_t *l);

typedef struct avro_reader avro_reader_t;

/* Parses the header and the schema of the OCF in data[0..len), which must outlive the reader.
 * lim NULL: the defaults. */
int avro_reader_open(avro_reader_t **r, const uint8_t *data, size_t len, const avro_limits_t *lim, err_t *err);
const avro_schema_t *avro_reader_schema(const avro_reader_t *r);
/* The value of a metadata key (avro.schema, avro.codec or a writer's own), NULL if absent. */
const uint8_t *avro_reader_meta(const avro_reader_t *r, const char *key, size_t *len);
/* The next datum: 1 and *v set, 0 at the end of the file, -1 on bad input. *v (and the memory
 * it points to) stays valid until the next call. */
int avro_reader_next(avro_reader_t *r, const avro_value_t **v, err_t *err);
void avro_reader_close(avro_reader_t *r);

/* A record's field by name or by Iceberg field id; NULL when v is not a record or has no such
 * field. */
const avro_value_t *avro_field(const avro_value_t *v, const char *name);
const avro_value_t *avro_field_by_id(const avro_value_t *v, int32_t field_id);
/* An Iceberg field: by field id, else by name, else by alt (an older name; may be NULL). NULL
 * when absent or null. */
const avro_value_t *avro_field_iceberg(const avro_value_t *v, int32_t field_id, const char *name, const char *alt);

const char *avro_type_name(avro_type_t t);

#endif
