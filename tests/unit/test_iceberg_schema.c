/* ICEBERG_PARTITION parsing and the Iceberg JSON of schemas, specs and the sort order. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "iceberg/rest_partition.h"
#include "iceberg/rest_schema_json.h"
#include "table/tables.h"

static char *text(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    return s;
}

TEST(partition_default_and_combos)
{
    part_spec_t p;
    err_t e = {0};
    CHECK_EQ_INT(tables_init(), 0);
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, NULL, &e), 0);
    CHECK_EQ_INT(p.nfields, 1);
    CHECK_EQ_STR(p.fields[0].name, "Timestamp_day");
    CHECK_EQ_INT(p.fields[0].field_id, 1000);
    CHECK_EQ_INT(part_spec_parse(&p, &table_traces, " hour( Timestamp ),ServiceName", &e), 0);
    CHECK_EQ_INT(p.nfields, 2);
    CHECK_EQ_STR(p.fields[1].name, "ServiceName");
    CHECK_EQ_INT(p.fields[1].source_id, 8);
    CHECK_EQ_INT(p.fields[1].field_id, 1001);
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, "identity(Timestamp)", &e), 0);
    CHECK_EQ_STR(p.fields[0].name, "Timestamp");
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, "none", &e), 0);
    CHECK_EQ_INT(p.nfields, 0);
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, "day(Timestamp),hour(Timestamp)", &e), -1);
    CHECK(strstr(e.msg, "repeats") != NULL);
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, "day(ServiceName)", &e), -1);
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, "bucket(Timestamp)", &e), -1);
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, "day(Body)", &e), -1);
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, "day(Timestamp", &e), -1);
}

TEST(schema_json_of_summary)
{
    char *s = text(iceberg_schema_json(&table_metrics_summary, 0));
    CHECK(s != NULL);
    CHECK(strstr(s, "{\"id\":1,\"name\":\"Timestamp\",\"required\":true,\"type\":\"timestamptz\"}") != NULL);
    CHECK(strstr(s, "{\"id\":2,\"name\":\"StartTimestamp\",\"required\":false,\"type\":\"timestamptz\"}") != NULL);
    CHECK(strstr(s, "\"type\":{\"type\":\"map\",\"key-id\":18,\"key\":\"string\",\"value-id\":19,\"value\":\"string\","
                    "\"value-required\":false}") != NULL);
    CHECK(strstr(s, "{\"id\":17,\"name\":\"ValueAtQuantiles\",\"required\":true,\"type\":{\"type\":\"list\",\"element-id\":24,"
                    "\"element\":{\"type\":\"struct\",\"fields\":[{\"id\":25,\"name\":\"Quantile\",\"required\":true,"
                    "\"type\":\"double\"},{\"id\":26,\"name\":\"Value\",\"required\":true,\"type\":\"double\"}]},"
                    "\"element-required\":true}}") != NULL);
    CHECK(strstr(s, "\"schema-id\":0") != NULL);
    free(s);
    for (int t = 0; t < TABLE_COUNT; t++) {
        json_t *j = iceberg_schema_json(tables_all[t], 0);
        CHECK(j != NULL);
        CHECK_EQ_INT((int)json_array_size(json_object_get(j, "fields")), tables_all[t]->ntop);
        json_decref(j);
    }
}

TEST(spec_and_sort_order_json)
{
    part_spec_t p;
    err_t e = {0};
    CHECK_EQ_INT(part_spec_parse(&p, &table_logs, "month(Timestamp),ServiceName", &e), 0);
    char *s = text(iceberg_partition_spec_json(&p, 0));
    CHECK_EQ_STR(s, "{\"spec-id\":0,\"fields\":[{\"name\":\"Timestamp_month\",\"transform\":\"month\",\"source-id\":1,"
                    "\"field-id\":1000},{\"name\":\"ServiceName\",\"transform\":\"identity\",\"source-id\":10,"
                    "\"field-id\":1001}]}");
    free(s);
    s = text(iceberg_sort_order_json(&table_logs));
    CHECK_EQ_STR(s, "{\"order-id\":1,\"fields\":[{\"transform\":\"identity\",\"source-id\":10,\"direction\":\"asc\","
                    "\"null-order\":\"nulls-first\"},{\"transform\":\"identity\",\"source-id\":1,\"direction\":\"asc\","
                    "\"null-order\":\"nulls-first\"}]}");
    free(s);
}
RUN_TESTS(T(partition_default_and_combos), T(schema_json_of_summary), T(spec_and_sort_order_json))
