#include "table/tables.h"

#include <string.h>

#define COUNT(a) (int)(sizeof a / sizeof a[0])

static const schema_elem_t logs_elems[] = {
    S_TS("Timestamp", 1),
    S_TS("ObservedTimestamp", 2),
    S_STR("TraceId", 3),
    S_STR("SpanId", 4),
    S_I32("TraceFlags", 5),
    S_STR("SeverityText", 6),
    S_I32("SeverityNumber", 7),
    S_OSTR("Body", 8),
    S_STR("EventName", 9),
    S_STR("ServiceName", 10),
    S_MAP_STR("ResourceAttributes", 11, 18, 19),
    S_STR("ResourceSchemaUrl", 12),
    S_STR("ScopeName", 13),
    S_STR("ScopeVersion", 14),
    S_MAP_STR("ScopeAttributes", 15, 20, 21),
    S_STR("ScopeSchemaUrl", 16),
    S_MAP_STR("LogAttributes", 17, 22, 23),
};

static const schema_elem_t traces_elems[] = {
    S_TS("Timestamp", 1),
    S_STR("TraceId", 2),
    S_STR("SpanId", 3),
    S_STR("ParentSpanId", 4),
    S_STR("TraceState", 5),
    S_STR("SpanName", 6),
    S_STR("SpanKind", 7),
    S_STR("ServiceName", 8),
    S_MAP_STR("ResourceAttributes", 9, 20, 21),
    S_STR("ResourceSchemaUrl", 10),
    S_STR("ScopeName", 11),
    S_STR("ScopeVersion", 12),
    S_MAP_STR("ScopeAttributes", 13, 22, 23),
    S_MAP_STR("SpanAttributes", 14, 24, 25),
    S_I64("Duration", 15),
    S_STR("StatusCode", 16),
    S_STR("StatusMessage", 17),
    S_LIST("Events", 18),
    S_LIST_ELEM_STRUCT(3, 26),
    S_TS("Timestamp", 27),
    S_STR("Name", 28),
    S_MAP_STR("Attributes", 29, 30, 31),
    S_LIST("Links", 19),
    S_LIST_ELEM_STRUCT(4, 32),
    S_STR("TraceId", 33),
    S_STR("SpanId", 34),
    S_STR("TraceState", 35),
    S_MAP_STR("Attributes", 36, 37, 38),
};

/* The 14 leading fields of every metrics table; ra/sa/a are the ids of the three attribute maps'
 * key (value = key + 1), which come after the last top-level field of each table. */
#define METRIC_COMMON(ra, sa, a)                 \
    S_TS("Timestamp", 1),                        \
    S_OTS("StartTimestamp", 2),                  \
    S_STR("ServiceName", 3),                     \
    S_STR("MetricName", 4),                      \
    S_STR("MetricDescription", 5),               \
    S_STR("MetricUnit", 6),                      \
    S_MAP_STR("ResourceAttributes", 7, ra, ra + 1), \
    S_STR("ResourceSchemaUrl", 8),               \
    S_STR("ScopeName", 9),                       \
    S_STR("ScopeVersion", 10),                   \
    S_MAP_STR("ScopeAttributes", 11, sa, sa + 1), \
    S_STR("ScopeSchemaUrl", 12),                 \
    S_MAP_STR("Attributes", 13, a, a + 1),       \
    S_I32("Flags", 14)

/* list<struct<Timestamp, Value, TraceId, SpanId, FilteredAttributes>>; elem is the element id,
 * its fields follow it, then the map's key and value. */
#define EXEMPLARS(id, elem)                      \
    S_LIST("Exemplars", id),                     \
    S_LIST_ELEM_STRUCT(5, elem),                 \
    S_TS("Timestamp", elem + 1),                 \
    S_F64("Value", elem + 2),                    \
    S_STR("TraceId", elem + 3),                  \
    S_STR("SpanId", elem + 4),                   \
    S_MAP_STR("FilteredAttributes", elem + 5, elem + 6, elem + 7)

static const schema_elem_t gauge_elems[] = {
    METRIC_COMMON(17, 19, 21),
    S_F64("Value", 15),
    EXEMPLARS(16, 23),
};

static const schema_elem_t sum_elems[] = {
    METRIC_COMMON(19, 21, 23),
    S_F64("Value", 15),
    S_I32("AggregationTemporality", 16),
    S_BOOL("IsMonotonic", 17),
    EXEMPLARS(18, 25),
};

static const schema_elem_t histogram_elems[] = {
    METRIC_COMMON(23, 25, 27),
    S_I64("Count", 15),
    S_OF64("Sum", 16),
    S_LIST("BucketCounts", 17),
    S_LIST_ELEM_I64(29),
    S_LIST("ExplicitBounds", 18),
    S_LIST_ELEM_F64(30),
    S_OF64("Min", 19),
    S_OF64("Max", 20),
    S_I32("AggregationTemporality", 21),
    EXEMPLARS(22, 31),
};

static const schema_elem_t exp_histogram_elems[] = {
    METRIC_COMMON(28, 30, 32),
    S_I64("Count", 15),
    S_OF64("Sum", 16),
    S_I32("Scale", 17),
    S_I64("ZeroCount", 18),
    S_F64("ZeroThreshold", 19),
    S_I32("PositiveOffset", 20),
    S_LIST("PositiveBucketCounts", 21),
    S_LIST_ELEM_I64(34),
    S_I32("NegativeOffset", 22),
    S_LIST("NegativeBucketCounts", 23),
    S_LIST_ELEM_I64(35),
    S_OF64("Min", 24),
    S_OF64("Max", 25),
    S_I32("AggregationTemporality", 26),
    EXEMPLARS(27, 36),
};

static const schema_elem_t summary_elems[] = {
    METRIC_COMMON(18, 20, 22),
    S_I64("Count", 15),
    S_F64("Sum", 16),
    S_LIST("ValueAtQuantiles", 17),
    S_LIST_ELEM_STRUCT(2, 24),
    S_F64("Quantile", 25),
    S_F64("Value", 26),
};

table_schema_t table_logs = {"logs", logs_elems, COUNT(logs_elems), 17, 23, {{0}}, 0};
table_schema_t table_traces = {"traces", traces_elems, COUNT(traces_elems), 19, 38, {{0}}, 0};
table_schema_t table_metrics_gauge = {"metrics_gauge", gauge_elems, COUNT(gauge_elems), 16, 30, {{0}}, 0};
table_schema_t table_metrics_sum = {"metrics_sum", sum_elems, COUNT(sum_elems), 18, 32, {{0}}, 0};
table_schema_t table_metrics_histogram = {"metrics_histogram", histogram_elems, COUNT(histogram_elems), 22, 38,
                                          {{0}}, 0};
table_schema_t table_metrics_exponential_histogram = {"metrics_exponential_histogram", exp_histogram_elems,
                                                      COUNT(exp_histogram_elems), 27, 43, {{0}}, 0};
table_schema_t table_metrics_summary = {"metrics_summary", summary_elems, COUNT(summary_elems), 17, 26, {{0}}, 0};

table_schema_t *const tables_all[TABLE_COUNT] = {
    &table_logs, &table_traces, &table_metrics_gauge, &table_metrics_sum, &table_metrics_histogram,
    &table_metrics_exponential_histogram, &table_metrics_summary,
};

int tables_init(void)
{
    static const int want_leaves[TABLE_COUNT] = {LOGS_NLEAVES, TRACES_NLEAVES, GAUGE_NLEAVES, SUM_NLEAVES,
                                                 HIST_NLEAVES, EXPHIST_NLEAVES, SUMMARY_NLEAVES};
    for (int i = 0; i < TABLE_COUNT; i++) {
        if (tables_all[i]->nleaves) /* already done */
            continue;
        if (schema_init(tables_all[i]) || tables_all[i]->nleaves != want_leaves[i])
            return -1;
    }
    return 0;
}

const table_schema_t *table_by_name(const char *name)
{
    for (int i = 0; i < TABLE_COUNT; i++)
        if (strcmp(tables_all[i]->name, name) == 0)
            return tables_all[i];
    return NULL;
}
