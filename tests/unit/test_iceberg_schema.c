/* ICEBERG_PARTITION parsing and the Iceberg JSON of schemas, specs and the sort order. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "iceberg/manifest.h"
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
    ice_partition_spec_t p;
    err_t e = {0};
    CHECK_EQ_INT(tables_init(), 0);
    CHECK_EQ_INT(ice_partition_spec_parse(NULL, &table_logs, &p, &e), 0);
    CHECK_EQ_INT(p.nfields, 1);
    CHECK_EQ_STR(p.fields[0].name, "Timestamp_day");
    CHECK_EQ_INT(p.fields[0].field_id, 1000);
    CHECK_EQ_INT(ice_partition_spec_parse(" hour( Timestamp ),ServiceName", &table_traces, &p, &e), 0);
    CHECK_EQ_INT(p.nfields, 2);
    CHECK_EQ_STR(p.fields[1].name, "ServiceName");
    CHECK_EQ_INT(p.fields[1].source_id, 8);
    CHECK_EQ_INT(p.fields[1].field_id, 1001);
    CHECK_EQ_INT(ice_partition_spec_parse("identity(Timestamp)", &table_logs, &p, &e), 0);
    CHECK_EQ_STR(p.fields[0].name, "Timestamp");
    CHECK_EQ_INT(ice_partition_spec_parse("none", &table_logs, &p, &e), 0);
    CHECK_EQ_INT(p.nfields, 0);
    CHECK_EQ_INT(ice_partition_spec_parse("day(Timestamp),hour(Timestamp)", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "repeats") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("day(ServiceName)", &table_logs, &p, &e), -1);
    CHECK_EQ_INT(ice_partition_spec_parse("bucket(Timestamp)", &table_logs, &p, &e), -1);
    CHECK_EQ_INT(ice_partition_spec_parse("day(Body)", &table_logs, &p, &e), -1);
    CHECK_EQ_INT(ice_partition_spec_parse("day(Timestamp", &table_logs, &p, &e), -1);
}

/* What the two parsers that were merged took besides: empty text, case, white space, bare names,
 * `unpartitioned`; and errors that name the item. */
TEST(partition_union_and_errors)
{
    ice_partition_spec_t p;
    err_t e = {0};
    CHECK_EQ_INT(tables_init(), 0);
    CHECK_EQ_INT(ice_partition_spec_parse("", &table_logs, &p, &e), 0);
    CHECK_EQ_INT(p.nfields, 1);
    CHECK_EQ_STR(p.fields[0].name, "Timestamp_day");
    CHECK_EQ_INT(p.fields[0].transform, ICE_DAY);
    CHECK_EQ_INT(p.fields[0].source_type, PT_INT64);
    CHECK_EQ_INT(p.spec_id, 0);
    CHECK_EQ_INT(ice_partition_spec_parse("Year ( Timestamp ) , , ServiceName, identity(Timestamp)", &table_logs, &p, &e), 0);
    CHECK_EQ_INT(p.nfields, 3);
    CHECK_EQ_STR(p.fields[0].name, "Timestamp_year");
    CHECK_EQ_INT(p.fields[1].transform, ICE_IDENTITY);
    CHECK_EQ_INT(p.fields[1].source_type, PT_BYTE_ARRAY);
    CHECK_EQ_STR(p.fields[2].name, "Timestamp");
    CHECK_EQ_INT(p.fields[2].field_id, 1002);
    CHECK_EQ_INT(ice_partition_spec_parse(" UNPARTITIONED ", &table_traces, &p, &e), 0);
    CHECK_EQ_INT(p.nfields, 0);
    CHECK_EQ_INT(ice_partition_spec_parse("week(Timestamp)", &table_logs, &p, &e), -1);
    CHECK_EQ_INT(e.code, ERR_CONFIG);
    CHECK(strstr(e.msg, "unknown transform 'week' in 'week(Timestamp)'") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("day(Body)", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "'day(Body)'") != NULL && strstr(e.msg, "column 'Body'") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("Body", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "column 'Body'") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("hour(ServiceName)", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "'hour(ServiceName)'") != NULL && strstr(e.msg, "not a timestamp") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("ServiceName, month(Timestamp), year(Timestamp)", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "'year(Timestamp)' repeats a partition of Timestamp") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("ServiceName,identity(ServiceName)", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "repeats") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("day(Timestamp", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "unbalanced parentheses in 'day(Timestamp'") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("day(Timestamp))", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "unbalanced") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("day)Timestamp(", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "cannot read 'day)Timestamp('") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse("day()", &table_logs, &p, &e), -1);
    CHECK_EQ_INT(ice_partition_spec_parse("(Timestamp)", &table_logs, &p, &e), -1);
    CHECK_EQ_INT(ice_partition_spec_parse("none,day(Timestamp)", &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "'none' cannot be combined") != NULL);
    CHECK_EQ_INT(ice_partition_spec_parse(" , ", &table_logs, &p, &e), -1);
    CHECK_EQ_INT(ice_partition_spec_parse("Timestamp,ServiceName,hour(Timestamp),"
                                          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                          &table_logs, &p, &e), -1);
    CHECK(strstr(e.msg, "longer than") != NULL);
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
    ice_partition_spec_t p;
    err_t e = {0};
    CHECK_EQ_INT(ice_partition_spec_parse("month(Timestamp),ServiceName", &table_logs, &p, &e), 0);
    char *s = text(iceberg_partition_spec_json(&p));
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
RUN_TESTS(T(partition_default_and_combos), T(partition_union_and_errors), T(schema_json_of_summary), T(spec_and_sort_order_json))
