#include "otlp/desc.h"

#include <string.h>

#include "otlp/pb.h"

/* Field entries; sizeof gives the name lengths at compile time. */
#define F(json, proto, num, kind, flags) {json, proto, sizeof json - 1, sizeof proto - 1, kind, flags, num, NULL, NULL}
#define FM(json, proto, num, flags, m) {json, proto, sizeof json - 1, sizeof proto - 1, OD_MESSAGE, flags, num, &m, NULL}
#define FE(json, proto, num, e) {json, proto, sizeof json - 1, sizeof proto - 1, OD_ENUM, 0, num, NULL, &e}
#define MSG(var, name, oneof, fields) \
    static const od_msg_t var = {name, oneof, fields, sizeof fields / sizeof fields[0]}

enum { R = OD_REPEATED, P = OD_PRESENCE, O = OD_ONEOF };

/* ---- enums ---- */

static const char *const severity_names[] = {
    "SEVERITY_NUMBER_UNSPECIFIED",
    "SEVERITY_NUMBER_TRACE", "SEVERITY_NUMBER_TRACE2", "SEVERITY_NUMBER_TRACE3", "SEVERITY_NUMBER_TRACE4",
    "SEVERITY_NUMBER_DEBUG", "SEVERITY_NUMBER_DEBUG2", "SEVERITY_NUMBER_DEBUG3", "SEVERITY_NUMBER_DEBUG4",
    "SEVERITY_NUMBER_INFO", "SEVERITY_NUMBER_INFO2", "SEVERITY_NUMBER_INFO3", "SEVERITY_NUMBER_INFO4",
    "SEVERITY_NUMBER_WARN", "SEVERITY_NUMBER_WARN2", "SEVERITY_NUMBER_WARN3", "SEVERITY_NUMBER_WARN4",
    "SEVERITY_NUMBER_ERROR", "SEVERITY_NUMBER_ERROR2", "SEVERITY_NUMBER_ERROR3", "SEVERITY_NUMBER_ERROR4",
    "SEVERITY_NUMBER_FATAL", "SEVERITY_NUMBER_FATAL2", "SEVERITY_NUMBER_FATAL3", "SEVERITY_NUMBER_FATAL4",
};
static const od_enum_t e_severity = {"SeverityNumber", severity_names, sizeof severity_names / sizeof severity_names[0]};

static const char *const span_kind_names[] = {
    "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER",
};
static const od_enum_t e_span_kind = {"Span.SpanKind", span_kind_names, sizeof span_kind_names / sizeof span_kind_names[0]};

static const char *const status_code_names[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};
static const od_enum_t e_status_code = {"Status.StatusCode", status_code_names, sizeof status_code_names / sizeof status_code_names[0]};

static const char *const temporality_names[] = {
    "AGGREGATION_TEMPORALITY_UNSPECIFIED", "AGGREGATION_TEMPORALITY_DELTA", "AGGREGATION_TEMPORALITY_CUMULATIVE",
};
static const od_enum_t e_temporality = {"AggregationTemporality", temporality_names, sizeof temporality_names / sizeof temporality_names[0]};

/* ---- common/v1, resource/v1 ---- */

/* AnyValue, ArrayValue, KeyValueList and KeyValue refer to one another: declared first
 * (tentative definitions), defined below. */
static const od_msg_t m_any_value;
static const od_msg_t m_key_value;

static const od_field_t array_value_fields[] = {
    FM("values", "values", 1, R, m_any_value),
};
MSG(m_array_value, "ArrayValue", NULL, array_value_fields);

static const od_field_t kvlist_fields[] = {
    FM("values", "values", 1, R, m_key_value),
};
MSG(m_kvlist, "KeyValueList", NULL, kvlist_fields);

static const od_field_t any_value_fields[] = {
    F("stringValue", "string_value", 1, OD_STRING, P | O),
    F("boolValue", "bool_value", 2, OD_BOOL, P | O),
    F("intValue", "int_value", 3, OD_INT64, P | O),
    F("doubleValue", "double_value", 4, OD_DOUBLE, P | O),
    FM("arrayValue", "array_value", 5, O, m_array_value),
    FM("kvlistValue", "kvlist_value", 6, O, m_kvlist),
    F("bytesValue", "bytes_value", 7, OD_BYTES, P | O),
    F("stringValueStrindex", "string_value_strindex", 8, OD_INT32, P | O),
};
static const od_msg_t m_any_value = {"AnyValue", "value", any_value_fields,
                                     sizeof any_value_fields / sizeof any_value_fields[0]};

static const od_field_t key_value_fields[] = {
    F("key", "key", 1, OD_STRING, 0),
    FM("value", "value", 2, 0, m_any_value),
    F("keyStrindex", "key_strindex", 3, OD_INT32, 0),
};
static const od_msg_t m_key_value = {"KeyValue", NULL, key_value_fields,
                                     sizeof key_value_fields / sizeof key_value_fields[0]};

static const od_field_t entity_ref_fields[] = {
    F("schemaUrl", "schema_url", 1, OD_STRING, 0),
    F("type", "type", 2, OD_STRING, 0),
    F("idKeys", "id_keys", 3, OD_STRING, R),
    F("descriptionKeys", "description_keys", 4, OD_STRING, R),
};
MSG(m_entity_ref, "EntityRef", NULL, entity_ref_fields);

static const od_field_t resource_fields[] = {
    FM("attributes", "attributes", 1, R, m_key_value),
    F("droppedAttributesCount", "dropped_attributes_count", 2, OD_UINT32, 0),
    FM("entityRefs", "entity_refs", 3, R, m_entity_ref),
};
MSG(m_resource, "Resource", NULL, resource_fields);

static const od_field_t scope_fields[] = {
    F("name", "name", 1, OD_STRING, 0),
    F("version", "version", 2, OD_STRING, 0),
    FM("attributes", "attributes", 3, R, m_key_value),
    F("droppedAttributesCount", "dropped_attributes_count", 4, OD_UINT32, 0),
};
MSG(m_scope, "InstrumentationScope", NULL, scope_fields);

/* ---- logs/v1 ---- */

static const od_field_t log_record_fields[] = {
    F("timeUnixNano", "time_unix_nano", 1, OD_FIXED64, 0),
    F("observedTimeUnixNano", "observed_time_unix_nano", 11, OD_FIXED64, 0),
    FE("severityNumber", "severity_number", 2, e_severity),
    F("severityText", "severity_text", 3, OD_STRING, 0),
    FM("body", "body", 5, 0, m_any_value),
    FM("attributes", "attributes", 6, R, m_key_value),
    F("droppedAttributesCount", "dropped_attributes_count", 7, OD_UINT32, 0),
    F("flags", "flags", 8, OD_FIXED32, 0),
    F("traceId", "trace_id", 9, OD_TRACE_ID, 0),
    F("spanId", "span_id", 10, OD_SPAN_ID, 0),
    F("eventName", "event_name", 12, OD_STRING, 0),
};
MSG(m_log_record, "LogRecord", NULL, log_record_fields);

static const od_field_t scope_logs_fields[] = {
    FM("scope", "scope", 1, 0, m_scope),
    FM("logRecords", "log_records", 2, R, m_log_record),
    F("schemaUrl", "schema_url", 3, OD_STRING, 0),
};
MSG(m_scope_logs, "ScopeLogs", NULL, scope_logs_fields);

static const od_field_t resource_logs_fields[] = {
    FM("resource", "resource", 1, 0, m_resource),
    FM("scopeLogs", "scope_logs", 2, R, m_scope_logs),
    F("schemaUrl", "schema_url", 3, OD_STRING, 0),
};
MSG(m_resource_logs, "ResourceLogs", NULL, resource_logs_fields);

static const od_field_t logs_request_fields[] = {
    FM("resourceLogs", "resource_logs", 1, R, m_resource_logs),
};
MSG(m_logs_request, "ExportLogsServiceRequest", NULL, logs_request_fields);

/* ---- trace/v1 ---- */

static const od_field_t event_fields[] = {
    F("timeUnixNano", "time_unix_nano", 1, OD_FIXED64, 0),
    F("name", "name", 2, OD_STRING, 0),
    FM("attributes", "attributes", 3, R, m_key_value),
    F("droppedAttributesCount", "dropped_attributes_count", 4, OD_UINT32, 0),
};
MSG(m_event, "Span.Event", NULL, event_fields);

static const od_field_t link_fields[] = {
    F("traceId", "trace_id", 1, OD_TRACE_ID, 0),
    F("spanId", "span_id", 2, OD_SPAN_ID, 0),
    F("traceState", "trace_state", 3, OD_STRING, 0),
    FM("attributes", "attributes", 4, R, m_key_value),
    F("droppedAttributesCount", "dropped_attributes_count", 5, OD_UINT32, 0),
    F("flags", "flags", 6, OD_FIXED32, 0),
};
MSG(m_link, "Span.Link", NULL, link_fields);

static const od_field_t status_fields[] = {
    F("message", "message", 2, OD_STRING, 0),
    FE("code", "code", 3, e_status_code),
};
MSG(m_status, "Status", NULL, status_fields);

static const od_field_t span_fields[] = {
    F("traceId", "trace_id", 1, OD_TRACE_ID, 0),
    F("spanId", "span_id", 2, OD_SPAN_ID, 0),
    F("traceState", "trace_state", 3, OD_STRING, 0),
    F("parentSpanId", "parent_span_id", 4, OD_SPAN_ID, 0),
    F("flags", "flags", 16, OD_FIXED32, 0),
    F("name", "name", 5, OD_STRING, 0),
    FE("kind", "kind", 6, e_span_kind),
    F("startTimeUnixNano", "start_time_unix_nano", 7, OD_FIXED64, 0),
    F("endTimeUnixNano", "end_time_unix_nano", 8, OD_FIXED64, 0),
    FM("attributes", "attributes", 9, R, m_key_value),
    F("droppedAttributesCount", "dropped_attributes_count", 10, OD_UINT32, 0),
    FM("events", "events", 11, R, m_event),
    F("droppedEventsCount", "dropped_events_count", 12, OD_UINT32, 0),
    FM("links", "links", 13, R, m_link),
    F("droppedLinksCount", "dropped_links_count", 14, OD_UINT32, 0),
    FM("status", "status", 15, 0, m_status),
};
MSG(m_span, "Span", NULL, span_fields);

static const od_field_t scope_spans_fields[] = {
    FM("scope", "scope", 1, 0, m_scope),
    FM("spans", "spans", 2, R, m_span),
    F("schemaUrl", "schema_url", 3, OD_STRING, 0),
};
MSG(m_scope_spans, "ScopeSpans", NULL, scope_spans_fields);

static const od_field_t resource_spans_fields[] = {
    FM("resource", "resource", 1, 0, m_resource),
    FM("scopeSpans", "scope_spans", 2, R, m_scope_spans),
    F("schemaUrl", "schema_url", 3, OD_STRING, 0),
};
MSG(m_resource_spans, "ResourceSpans", NULL, resource_spans_fields);

static const od_field_t trace_request_fields[] = {
    FM("resourceSpans", "resource_spans", 1, R, m_resource_spans),
};
MSG(m_trace_request, "ExportTraceServiceRequest", NULL, trace_request_fields);

/* ---- metrics/v1 ---- */

static const od_field_t exemplar_fields[] = {
    FM("filteredAttributes", "filtered_attributes", 7, R, m_key_value),
    F("timeUnixNano", "time_unix_nano", 2, OD_FIXED64, 0),
    F("asDouble", "as_double", 3, OD_DOUBLE, P | O),
    F("asInt", "as_int", 6, OD_SFIXED64, P | O),
    F("spanId", "span_id", 4, OD_SPAN_ID, 0),
    F("traceId", "trace_id", 5, OD_TRACE_ID, 0),
};
MSG(m_exemplar, "Exemplar", "value", exemplar_fields);

static const od_field_t number_point_fields[] = {
    FM("attributes", "attributes", 7, R, m_key_value),
    F("startTimeUnixNano", "start_time_unix_nano", 2, OD_FIXED64, 0),
    F("timeUnixNano", "time_unix_nano", 3, OD_FIXED64, 0),
    F("asDouble", "as_double", 4, OD_DOUBLE, P | O),
    F("asInt", "as_int", 6, OD_SFIXED64, P | O),
    FM("exemplars", "exemplars", 5, R, m_exemplar),
    F("flags", "flags", 8, OD_UINT32, 0),
};
MSG(m_number_point, "NumberDataPoint", "value", number_point_fields);

static const od_field_t histogram_point_fields[] = {
    FM("attributes", "attributes", 9, R, m_key_value),
    F("startTimeUnixNano", "start_time_unix_nano", 2, OD_FIXED64, 0),
    F("timeUnixNano", "time_unix_nano", 3, OD_FIXED64, 0),
    F("count", "count", 4, OD_FIXED64, 0),
    F("sum", "sum", 5, OD_DOUBLE, P),
    F("bucketCounts", "bucket_counts", 6, OD_FIXED64, R),
    F("explicitBounds", "explicit_bounds", 7, OD_DOUBLE, R),
    FM("exemplars", "exemplars", 8, R, m_exemplar),
    F("flags", "flags", 10, OD_UINT32, 0),
    F("min", "min", 11, OD_DOUBLE, P),
    F("max", "max", 12, OD_DOUBLE, P),
};
MSG(m_histogram_point, "HistogramDataPoint", NULL, histogram_point_fields);

static const od_field_t buckets_fields[] = {
    F("offset", "offset", 1, OD_SINT32, 0),
    F("bucketCounts", "bucket_counts", 2, OD_UINT64, R),
};
MSG(m_buckets, "ExponentialHistogramDataPoint.Buckets", NULL, buckets_fields);

static const od_field_t exp_histogram_point_fields[] = {
    FM("attributes", "attributes", 1, R, m_key_value),
    F("startTimeUnixNano", "start_time_unix_nano", 2, OD_FIXED64, 0),
    F("timeUnixNano", "time_unix_nano", 3, OD_FIXED64, 0),
    F("count", "count", 4, OD_FIXED64, 0),
    F("sum", "sum", 5, OD_DOUBLE, P),
    F("scale", "scale", 6, OD_SINT32, 0),
    F("zeroCount", "zero_count", 7, OD_FIXED64, 0),
    FM("positive", "positive", 8, 0, m_buckets),
    FM("negative", "negative", 9, 0, m_buckets),
    F("flags", "flags", 10, OD_UINT32, 0),
    FM("exemplars", "exemplars", 11, R, m_exemplar),
    F("min", "min", 12, OD_DOUBLE, P),
    F("max", "max", 13, OD_DOUBLE, P),
    F("zeroThreshold", "zero_threshold", 14, OD_DOUBLE, 0),
};
MSG(m_exp_histogram_point, "ExponentialHistogramDataPoint", NULL, exp_histogram_point_fields);

static const od_field_t quantile_fields[] = {
    F("quantile", "quantile", 1, OD_DOUBLE, 0),
    F("value", "value", 2, OD_DOUBLE, 0),
};
MSG(m_quantile, "SummaryDataPoint.ValueAtQuantile", NULL, quantile_fields);

static const od_field_t summary_point_fields[] = {
    FM("attributes", "attributes", 7, R, m_key_value),
    F("startTimeUnixNano", "start_time_unix_nano", 2, OD_FIXED64, 0),
    F("timeUnixNano", "time_unix_nano", 3, OD_FIXED64, 0),
    F("count", "count", 4, OD_FIXED64, 0),
    F("sum", "sum", 5, OD_DOUBLE, 0),
    FM("quantileValues", "quantile_values", 6, R, m_quantile),
    F("flags", "flags", 8, OD_UINT32, 0),
};
MSG(m_summary_point, "SummaryDataPoint", NULL, summary_point_fields);

static const od_field_t gauge_fields[] = {
    FM("dataPoints", "data_points", 1, R, m_number_point),
};
MSG(m_gauge, "Gauge", NULL, gauge_fields);

static const od_field_t sum_fields[] = {
    FM("dataPoints", "data_points", 1, R, m_number_point),
    FE("aggregationTemporality", "aggregation_temporality", 2, e_temporality),
    F("isMonotonic", "is_monotonic", 3, OD_BOOL, 0),
};
MSG(m_sum, "Sum", NULL, sum_fields);

static const od_field_t histogram_fields[] = {
    FM("dataPoints", "data_points", 1, R, m_histogram_point),
    FE("aggregationTemporality", "aggregation_temporality", 2, e_temporality),
};
MSG(m_histogram, "Histogram", NULL, histogram_fields);

static const od_field_t exp_histogram_fields[] = {
    FM("dataPoints", "data_points", 1, R, m_exp_histogram_point),
    FE("aggregationTemporality", "aggregation_temporality", 2, e_temporality),
};
MSG(m_exp_histogram, "ExponentialHistogram", NULL, exp_histogram_fields);

static const od_field_t summary_fields[] = {
    FM("dataPoints", "data_points", 1, R, m_summary_point),
};
MSG(m_summary, "Summary", NULL, summary_fields);

static const od_field_t metric_fields[] = {
    F("name", "name", 1, OD_STRING, 0),
    F("description", "description", 2, OD_STRING, 0),
    F("unit", "unit", 3, OD_STRING, 0),
    FM("gauge", "gauge", 5, O, m_gauge),
    FM("sum", "sum", 7, O, m_sum),
    FM("histogram", "histogram", 9, O, m_histogram),
    FM("exponentialHistogram", "exponential_histogram", 10, O, m_exp_histogram),
    FM("summary", "summary", 11, O, m_summary),
    FM("metadata", "metadata", 12, R, m_key_value),
};
MSG(m_metric, "Metric", "data", metric_fields);

static const od_field_t scope_metrics_fields[] = {
    FM("scope", "scope", 1, 0, m_scope),
    FM("metrics", "metrics", 2, R, m_metric),
    F("schemaUrl", "schema_url", 3, OD_STRING, 0),
};
MSG(m_scope_metrics, "ScopeMetrics", NULL, scope_metrics_fields);

static const od_field_t resource_metrics_fields[] = {
    FM("resource", "resource", 1, 0, m_resource),
    FM("scopeMetrics", "scope_metrics", 2, R, m_scope_metrics),
    F("schemaUrl", "schema_url", 3, OD_STRING, 0),
};
MSG(m_resource_metrics, "ResourceMetrics", NULL, resource_metrics_fields);

static const od_field_t metrics_request_fields[] = {
    FM("resourceMetrics", "resource_metrics", 1, R, m_resource_metrics),
};
MSG(m_metrics_request, "ExportMetricsServiceRequest", NULL, metrics_request_fields);

/* ---- lookups ---- */

const od_msg_t *od_request(int signal)
{
    switch (signal) {
    case 0: return &m_logs_request;
    case 1: return &m_trace_request;
    case 2: return &m_metrics_request;
    default: return NULL;
    }
}

const od_field_t *od_find(const od_msg_t *m, const uint8_t *key, size_t n)
{
    /* at most 16 fields: a linear scan, lengths compared first, beats any hashing here */
    for (uint32_t i = 0; i < m->nfields; i++) {
        const od_field_t *f = &m->fields[i];
        if ((n == f->json_len && memcmp(key, f->json, n) == 0) ||
            (n == f->proto_len && memcmp(key, f->proto, n) == 0))
            return f;
    }
    return NULL;
}

const od_field_t *od_by_num(const od_msg_t *m, uint32_t num)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].num == num)
            return &m->fields[i];
    return NULL;
}

int od_wire_type(od_kind_t k)
{
    switch (k) {
    case OD_STRING:
    case OD_BYTES:
    case OD_TRACE_ID:
    case OD_SPAN_ID:
    case OD_MESSAGE:
        return PB_LEN;
    case OD_FIXED64:
    case OD_SFIXED64:
    case OD_DOUBLE:
        return PB_I64;
    case OD_FIXED32:
        return PB_I32;
    default:
        return PB_VARINT;
    }
}
