/* Static descriptors of the OTLP messages (logs, traces, metrics and the common messages they
 * share): for each field its JSON name (lowerCamelCase), its proto name (snake_case), number,
 * kind and flags. They drive the OTLP/JSON -> protobuf transcoder (otlp/json.c) and let tests
 * walk protobuf output generically.
 *
 * Source: opentelemetry-proto (collector/{logs,trace,metrics}/v1 (the service requests),
 * logs/v1/logs.proto, trace/v1/trace.proto, metrics/v1/metrics.proto, common/v1/common.proto,
 * resource/v1/resource.proto), checked field by field against the descriptors of the Python
 * package opentelemetry-proto 1.45 (tests/e2e/test_otlp_json.py checks them again). */
#ifndef OTLP2PARQUET_OTLP_DESC_H
#define OTLP2PARQUET_OTLP_DESC_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    OD_STRING,   /* string: JSON string */
    OD_BYTES,    /* bytes: JSON string, base64 */
    OD_TRACE_ID, /* bytes: JSON string, 32 hex digits (OTLP/JSON's exception to base64) */
    OD_SPAN_ID,  /* bytes: JSON string, 16 hex digits */
    OD_BOOL,
    OD_INT32,
    OD_UINT32,
    OD_SINT32,
    OD_FIXED32,
    OD_INT64,
    OD_UINT64,
    OD_FIXED64,
    OD_SFIXED64,
    OD_DOUBLE,
    OD_ENUM,
    OD_MESSAGE,
} od_kind_t;

enum {
    OD_REPEATED = 1, /* numeric repeated fields are packed (proto3's default) */
    OD_PRESENCE = 2, /* a oneof member or proto3 `optional`: written even when zero */
    OD_ONEOF = 4,    /* a member of the message's one real oneof (at most one may be set) */
};

typedef struct {
    const char *name;         /* "SeverityNumber" */
    const char *const *names; /* names[v] is the name of value v (OTLP enums run 0..n-1) */
    uint32_t n;
} od_enum_t;

typedef struct od_msg od_msg_t;

typedef struct {
    const char *json;  /* lowerCamelCase, as OTLP/JSON writes it */
    const char *proto; /* snake_case, the .proto name (tolerated in JSON) */
    uint8_t json_len, proto_len;
    uint8_t kind;  /* od_kind_t */
    uint8_t flags; /* OD_* */
    uint32_t num;
    const od_msg_t *msg;  /* OD_MESSAGE */
    const od_enum_t *enm; /* OD_ENUM */
} od_field_t;

struct od_msg {
    const char *name;  /* "LogRecord" */
    const char *oneof; /* the name of its oneof, NULL when it has none */
    const od_field_t *fields;
    uint32_t nfields;
};

/* Export{Logs,Trace,Metrics}ServiceRequest for signal 0 (logs), 1 (traces), 2 (metrics);
 * NULL for anything else. */
const od_msg_t *od_request(int signal);

/* The field whose JSON or proto name is key[0..n), NULL when none is. */
const od_field_t *od_find(const od_msg_t *m, const uint8_t *key, size_t n);

/* The field numbered num, NULL when none is. */
const od_field_t *od_by_num(const od_msg_t *m, uint32_t num);

/* The protobuf wire type of a single value of the kind (PB_VARINT, PB_I64, PB_LEN, PB_I32). */
int od_wire_type(od_kind_t k);

#endif
