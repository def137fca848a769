/* schema_dump: prints every table schema of src/table/tables.c, one element per line, for the
 * end-to-end test that checks docs/schema.md against the code (tests/e2e/test_docs_schema.py):
 *   TABLE <tab> NAME <tab> REPETITION <tab> TYPE <tab> NCHILDREN <tab> FIELD_ID
 * REPETITION is required|optional|repeated; TYPE is the Iceberg-style name of the element
 * (timestamptz, string, int, long, double, boolean, list, map, struct, or "group" for the
 * repeated middle group of a list or map); FIELD_ID is -1 when the element has none.
 * Elements come depth first, as in a Parquet footer. */
#include <stdio.h>

#include "iceberg/manifest.h"
#include "table/tables.h"

static const char *type_name(const schema_elem_t *e)
{
    if (e->type == PT_GROUP) {
        if (e->logical == LT_LIST)
            return "list";
        if (e->logical == LT_MAP)
            return "map";
        return e->field_id < 0 ? "group" : "struct";
    }
    return ice_primitive_type(e); /* the Iceberg schema's own names */
}

static const char *rep_name(int rep)
{
    return rep == REP_REQUIRED ? "required" : rep == REP_OPTIONAL ? "optional" : "repeated";
}

int main(void)
{
    if (tables_init()) {
        fprintf(stderr, "schema_dump: tables_init failed\n");
        return 1;
    }
    for (int t = 0; t < TABLE_COUNT; t++) {
        const table_schema_t *s = tables_all[t];
        for (int i = 0; i < s->nelems; i++) {
            const schema_elem_t *e = &s->elems[i];
            printf("%s\t%s\t%s\t%s\t%d\t%d\n", s->name, e->name, rep_name(e->rep), type_name(e), e->nchildren,
                   (int)e->field_id);
        }
    }
    return 0;
}
