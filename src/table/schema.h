/* Table schemas: one flat, depth-first list of elements, exactly as a Parquet footer lists them
 * (a group is followed by its children), each with the Iceberg field id it carries in both the
 * Parquet file and the Iceberg table. The Parquet writer and the Iceberg schema are both built
 * from these constants, so they cannot disagree. */
#ifndef OTLP2PARQUET_TABLE_SCHEMA_H
#define OTLP2PARQUET_TABLE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

typedef enum { REP_REQUIRED = 0, REP_OPTIONAL = 1, REP_REPEATED = 2 } rep_t;

/* Parquet physical types, numbered as in parquet.thrift. */
typedef enum { PT_BOOLEAN = 0, PT_INT32 = 1, PT_INT64 = 2, PT_DOUBLE = 5, PT_BYTE_ARRAY = 6, PT_GROUP = -1 } phys_t;

typedef enum {
    LT_NONE = 0,
    LT_STRING,       /* BYTE_ARRAY, UTF-8 */
    LT_TIMESTAMP_US, /* INT64, TIMESTAMP(MICROS, isAdjustedToUTC=true) = Iceberg timestamptz */
    LT_INT32,        /* INT32, INT(32, signed) */
    LT_INT64,        /* INT64, INT(64, signed) */
    LT_LIST,         /* group annotated LIST (3-level: repeated group "list" { element }) */
    LT_MAP,          /* group annotated MAP (repeated group "key_value" { key, value }) */
} logical_t;

typedef struct {
    const char *name;
    int8_t rep;       /* rep_t */
    int8_t type;      /* phys_t; PT_GROUP for groups */
    int8_t logical;   /* logical_t */
    uint8_t nchildren; /* groups only */
    int32_t field_id; /* -1: none (the repeated middle groups of LIST and MAP have none) */
} schema_elem_t;

/* One leaf (a Parquet column) with what shredding needs, derived once from the elements. */
typedef struct {
    int elem;          /* index in elems */
    int8_t type;       /* phys_t */
    uint8_t max_def;
    uint8_t max_rep;
    int32_t field_id;
    const char *path[8]; /* names from the top-level field down to the leaf */
    int depth;
} schema_leaf_t;

#define SCHEMA_MAX_ELEMS 128
#define SCHEMA_MAX_LEAVES 64

typedef struct {
    const char *name;             /* table name: logs, traces, metrics_gauge, ... */
    const schema_elem_t *elems;   /* top-level fields and their descendants (no root element) */
    int nelems;
    int ntop;                     /* number of top-level fields */
    int last_field_id;            /* the highest id used (Iceberg's last-column-id) */
    /* filled by schema_init */
    schema_leaf_t leaves[SCHEMA_MAX_LEAVES];
    int nleaves;
} table_schema_t;

/* Derives leaves, levels and paths; returns -1 if the element list is malformed (a bug). */
int schema_init(table_schema_t *s);
/* Index of the leaf whose dotted path (e.g. "ResourceAttributes.key_value.key") matches, or -1. */
int schema_leaf_index(const table_schema_t *s, const char *dotted_path);

/* The top-level field called name (a column of the table), or NULL. */
const schema_elem_t *schema_top_elem(const table_schema_t *s, const char *name);
/* The field id of the top-level column called name, or -1. */
int32_t schema_top_field_id(const table_schema_t *s, const char *name);
/* The top-level element with this field id, or NULL. */
const schema_elem_t *schema_top_elem_by_id(const table_schema_t *s, int32_t field_id);

/* Writes the leaf's dotted path ("Events.list.element.Name") into out, cut to fit. */
void schema_leaf_dotted(const schema_leaf_t *l, char *out, size_t cap);

/* Element constructors, so schema tables read like the DESIGN. */
#define S_STR(n, id)      {n, REP_REQUIRED, PT_BYTE_ARRAY, LT_STRING, 0, id}
#define S_OSTR(n, id)     {n, REP_OPTIONAL, PT_BYTE_ARRAY, LT_STRING, 0, id}
#define S_TS(n, id)       {n, REP_REQUIRED, PT_INT64, LT_TIMESTAMP_US, 0, id}
#define S_OTS(n, id)      {n, REP_OPTIONAL, PT_INT64, LT_TIMESTAMP_US, 0, id}
#define S_I32(n, id)      {n, REP_REQUIRED, PT_INT32, LT_INT32, 0, id}
#define S_I64(n, id)      {n, REP_REQUIRED, PT_INT64, LT_INT64, 0, id}
#define S_OI64(n, id)     {n, REP_OPTIONAL, PT_INT64, LT_INT64, 0, id}
#define S_F64(n, id)      {n, REP_REQUIRED, PT_DOUBLE, LT_NONE, 0, id}
#define S_OF64(n, id)     {n, REP_OPTIONAL, PT_DOUBLE, LT_NONE, 0, id}
#define S_BOOL(n, id)     {n, REP_REQUIRED, PT_BOOLEAN, LT_NONE, 0, id}
/* map<string,string>, required (never null), values optional: 3 more elements follow. */
#define S_MAP_STR(n, id, key_id, val_id) \
    {n, REP_REQUIRED, PT_GROUP, LT_MAP, 1, id}, \
    {"key_value", REP_REPEATED, PT_GROUP, LT_NONE, 2, -1}, \
    {"key", REP_REQUIRED, PT_BYTE_ARRAY, LT_STRING, 0, key_id}, \
    {"value", REP_OPTIONAL, PT_BYTE_ARRAY, LT_STRING, 0, val_id}
/* required list of required elements: the element element follows (or, for a struct element,
 * a group "element" with its children). */
#define S_LIST(n, id) \
    {n, REP_REQUIRED, PT_GROUP, LT_LIST, 1, id}, \
    {"list", REP_REPEATED, PT_GROUP, LT_NONE, 1, -1}

/* A map<string,string> as a field of a struct inside a list: same shape, other ids. */
#define S_LIST_ELEM_I64(id)  {"element", REP_REQUIRED, PT_INT64, LT_INT64, 0, id}
#define S_LIST_ELEM_F64(id)  {"element", REP_REQUIRED, PT_DOUBLE, LT_NONE, 0, id}
#define S_LIST_ELEM_STRUCT(nfields, id) {"element", REP_REQUIRED, PT_GROUP, LT_NONE, nfields, id}

#endif
