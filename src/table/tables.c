#include "table/tables.h"

#include <string.h>

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

table_schema_t table_logs = {
    .name = "logs",
    .elems = logs_elems,
    .nelems = sizeof logs_elems / sizeof logs_elems[0],
    .ntop = 17,
    .last_field_id = 23,
};

static table_schema_t *const all_tables[] = {&table_logs};

int tables_init(void)
{
    for (size_t i = 0; i < sizeof all_tables / sizeof all_tables[0]; i++)
        if (schema_init(all_tables[i]))
            return -1;
    return table_logs.nleaves == LOGS_NLEAVES ? 0 : -1;
}

const table_schema_t *table_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof all_tables / sizeof all_tables[0]; i++)
        if (strcmp(all_tables[i]->name, name) == 0)
            return all_tables[i];
    return NULL;
}
