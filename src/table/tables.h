/* The tables of DESIGN §3. Field ids are fixed constants, documented in docs/schema.md and never
 * reused. They are numbered the way Iceberg assigns fresh ids when a table is created (every
 * field of a struct first, in order, then the children of each, depth first), so a catalog
 * that renumbers on create ends with the very same ids. */
#ifndef OTLP2PARQUET_TABLE_TABLES_H
#define OTLP2PARQUET_TABLE_TABLES_H

#include "table/schema.h"

/* Leaf indexes, in schema order (a map has two leaves: key, value; a list of structs one per
 * struct field, maps inside it two). */
enum {
    LOGS_TIMESTAMP,
    LOGS_OBSERVED_TIMESTAMP,
    LOGS_TRACE_ID,
    LOGS_SPAN_ID,
    LOGS_TRACE_FLAGS,
    LOGS_SEVERITY_TEXT,
    LOGS_SEVERITY_NUMBER,
    LOGS_BODY,
    LOGS_EVENT_NAME,
    LOGS_SERVICE_NAME,
    LOGS_RESOURCE_ATTRS_KEY,
    LOGS_RESOURCE_ATTRS_VAL,
    LOGS_RESOURCE_SCHEMA_URL,
    LOGS_SCOPE_NAME,
    LOGS_SCOPE_VERSION,
    LOGS_SCOPE_ATTRS_KEY,
    LOGS_SCOPE_ATTRS_VAL,
    LOGS_SCOPE_SCHEMA_URL,
    LOGS_LOG_ATTRS_KEY,
    LOGS_LOG_ATTRS_VAL,
    LOGS_NLEAVES
};

enum {
    TRACES_TIMESTAMP,
    TRACES_TRACE_ID,
    TRACES_SPAN_ID,
    TRACES_PARENT_SPAN_ID,
    TRACES_TRACE_STATE,
    TRACES_SPAN_NAME,
    TRACES_SPAN_KIND,
    TRACES_SERVICE_NAME,
    TRACES_RESOURCE_ATTRS_KEY,
    TRACES_RESOURCE_ATTRS_VAL,
    TRACES_RESOURCE_SCHEMA_URL,
    TRACES_SCOPE_NAME,
    TRACES_SCOPE_VERSION,
    TRACES_SCOPE_ATTRS_KEY,
    TRACES_SCOPE_ATTRS_VAL,
    TRACES_SPAN_ATTRS_KEY,
    TRACES_SPAN_ATTRS_VAL,
    TRACES_DURATION,
    TRACES_STATUS_CODE,
    TRACES_STATUS_MESSAGE,
    TRACES_EVENTS_TIMESTAMP,
    TRACES_EVENTS_NAME,
    TRACES_EVENTS_ATTRS_KEY,
    TRACES_EVENTS_ATTRS_VAL,
    TRACES_LINKS_TRACE_ID,
    TRACES_LINKS_SPAN_ID,
    TRACES_LINKS_TRACE_STATE,
    TRACES_LINKS_ATTRS_KEY,
    TRACES_LINKS_ATTRS_VAL,
    TRACES_NLEAVES
};

/* The first leaves of every metrics table are the same. */
enum {
    METRIC_TIMESTAMP,
    METRIC_START_TIMESTAMP,
    METRIC_SERVICE_NAME,
    METRIC_NAME,
    METRIC_DESCRIPTION,
    METRIC_UNIT,
    METRIC_RESOURCE_ATTRS_KEY,
    METRIC_RESOURCE_ATTRS_VAL,
    METRIC_RESOURCE_SCHEMA_URL,
    METRIC_SCOPE_NAME,
    METRIC_SCOPE_VERSION,
    METRIC_SCOPE_ATTRS_KEY,
    METRIC_SCOPE_ATTRS_VAL,
    METRIC_SCOPE_SCHEMA_URL,
    METRIC_ATTRS_KEY,
    METRIC_ATTRS_VAL,
    METRIC_FLAGS,
    METRIC_NCOMMON
};

/* The exemplar leaves, which end every metrics table but summary: first + offset. */
enum {
    EXEMPLAR_TIMESTAMP,
    EXEMPLAR_VALUE,
    EXEMPLAR_TRACE_ID,
    EXEMPLAR_SPAN_ID,
    EXEMPLAR_ATTRS_KEY,
    EXEMPLAR_ATTRS_VAL,
    EXEMPLAR_NLEAVES
};

enum {
    GAUGE_VALUE = METRIC_NCOMMON,
    GAUGE_EXEMPLARS, /* first exemplar leaf */
    GAUGE_NLEAVES = GAUGE_EXEMPLARS + EXEMPLAR_NLEAVES
};

enum {
    SUM_VALUE = METRIC_NCOMMON,
    SUM_AGGREGATION_TEMPORALITY,
    SUM_IS_MONOTONIC,
    SUM_EXEMPLARS,
    SUM_NLEAVES = SUM_EXEMPLARS + EXEMPLAR_NLEAVES
};

enum {
    HIST_COUNT = METRIC_NCOMMON,
    HIST_SUM,
    HIST_BUCKET_COUNTS,
    HIST_EXPLICIT_BOUNDS,
    HIST_MIN,
    HIST_MAX,
    HIST_AGGREGATION_TEMPORALITY,
    HIST_EXEMPLARS,
    HIST_NLEAVES = HIST_EXEMPLARS + EXEMPLAR_NLEAVES
};

enum {
    EXPHIST_COUNT = METRIC_NCOMMON,
    EXPHIST_SUM,
    EXPHIST_SCALE,
    EXPHIST_ZERO_COUNT,
    EXPHIST_ZERO_THRESHOLD,
    EXPHIST_POSITIVE_OFFSET,
    EXPHIST_POSITIVE_BUCKET_COUNTS,
    EXPHIST_NEGATIVE_OFFSET,
    EXPHIST_NEGATIVE_BUCKET_COUNTS,
    EXPHIST_MIN,
    EXPHIST_MAX,
    EXPHIST_AGGREGATION_TEMPORALITY,
    EXPHIST_EXEMPLARS,
    EXPHIST_NLEAVES = EXPHIST_EXEMPLARS + EXEMPLAR_NLEAVES
};

enum {
    SUMMARY_COUNT = METRIC_NCOMMON,
    SUMMARY_SUM,
    SUMMARY_QUANTILES_QUANTILE,
    SUMMARY_QUANTILES_VALUE,
    SUMMARY_NLEAVES
};

extern table_schema_t table_logs;
extern table_schema_t table_traces;
extern table_schema_t table_metrics_gauge;
extern table_schema_t table_metrics_sum;
extern table_schema_t table_metrics_histogram;
extern table_schema_t table_metrics_exponential_histogram;
extern table_schema_t table_metrics_summary;

/* Every table, in the order of DESIGN §3. */
#define TABLE_COUNT 7
extern table_schema_t *const tables_all[TABLE_COUNT];

/* Derives the leaves of every table; call once at start-up. Returns -1 on a malformed schema. */
int tables_init(void);
/* The table with this name, or NULL. */
const table_schema_t *table_by_name(const char *name);

#endif
