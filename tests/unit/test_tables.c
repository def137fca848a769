/* The table schemas: leaf counts, levels, and field ids that are unique, dense and numbered the
 * way Iceberg numbers a new table (top-level fields 1..n, then nested ones depth first). */
#include "check.h"
#include "table/tables.h"

TEST(init_succeeds)
{
    CHECK_EQ_INT(tables_init(), 0);
    CHECK_EQ_INT(tables_init(), 0); /* twice is harmless */
    CHECK(table_by_name("metrics_summary") == &table_metrics_summary);
    CHECK(table_by_name("nope") == NULL);
}

/* Iceberg's order: every field of a struct first, then the children of each field in order. */
static int expect_ids(const table_schema_t *s, int first, int count, int *next, int *ok)
{
    /* elements [first, first+count) are siblings; returns the index after the last subtree */
    int idx = first;
    int sib[64], nsib = 0;
    for (int c = 0; c < count; c++) {
        sib[nsib++] = idx;
        /* skip the subtree */
        int pending = 1;
        while (pending) {
            pending += s->elems[idx].nchildren - 1;
            idx++;
        }
    }
    for (int c = 0; c < nsib; c++) {
        const schema_elem_t *e = &s->elems[sib[c]];
        if (e->field_id != (*next)++)
            *ok = 0;
    }
    for (int c = 0; c < nsib; c++) {
        const schema_elem_t *e = &s->elems[sib[c]];
        if (e->type != PT_GROUP)
            continue;
        int child = sib[c] + 1;
        if (e->logical == LT_LIST) {
            /* repeated group "list" (no id) -> element */
            const schema_elem_t *el = &s->elems[child + 1];
            if (s->elems[child].field_id != -1 || el->field_id != (*next)++)
                *ok = 0;
            if (el->type == PT_GROUP)
                expect_ids(s, child + 2, el->nchildren, next, ok);
        } else if (e->logical == LT_MAP) {
            if (s->elems[child].field_id != -1 || s->elems[child + 1].field_id != (*next)++ ||
                s->elems[child + 2].field_id != (*next)++)
                *ok = 0;
        } else
            expect_ids(s, child, e->nchildren, next, ok);
    }
    return idx;
}

TEST(field_ids_follow_iceberg_order)
{
    CHECK_EQ_INT(tables_init(), 0);
    for (int t = 0; t < TABLE_COUNT; t++) {
        const table_schema_t *s = tables_all[t];
        int next = 1, ok = 1;
        expect_ids(s, 0, s->ntop, &next, &ok);
        if (!ok || next - 1 != s->last_field_id)
            printf("    table %s: ids out of order (next %d, last %d)\n", s->name, next, s->last_field_id);
        CHECK(ok);
        CHECK_EQ_INT(next - 1, s->last_field_id);
    }
}

TEST(levels_of_nested_leaves)
{
    CHECK_EQ_INT(tables_init(), 0);
    const schema_leaf_t *l = &table_traces.leaves[TRACES_EVENTS_ATTRS_VAL];
    CHECK_EQ_STR(l->path[0], "Events");
    CHECK_EQ_STR(l->path[l->depth - 1], "value");
    CHECK_EQ_INT(l->max_rep, 2);
    CHECK_EQ_INT(l->max_def, 3); /* list entry, key_value entry, value present */
    l = &table_logs.leaves[LOGS_BODY];
    CHECK_EQ_INT(l->max_def, 1);
    CHECK_EQ_INT(l->max_rep, 0);
    l = &table_metrics_histogram.leaves[HIST_BUCKET_COUNTS];
    CHECK_EQ_STR(l->path[0], "BucketCounts");
    CHECK_EQ_INT(l->max_def, 1);
    CHECK_EQ_INT(l->max_rep, 1);
    CHECK_EQ_INT(schema_leaf_index(&table_metrics_gauge, "Exemplars.list.element.FilteredAttributes.key_value.key"),
                 GAUGE_EXEMPLARS + EXEMPLAR_ATTRS_KEY);
    CHECK_EQ_INT(schema_leaf_index(&table_metrics_summary, "ValueAtQuantiles.list.element.Value"),
                 SUMMARY_QUANTILES_VALUE);
    CHECK_EQ_INT(schema_leaf_index(&table_logs, "Body"), LOGS_BODY);
    CHECK_EQ_INT(schema_leaf_index(&table_logs, "Bod"), -1);
}

TEST(common_metric_leaves_line_up)
{
    CHECK_EQ_INT(tables_init(), 0);
    for (int t = 2; t < TABLE_COUNT; t++) {
        const table_schema_t *s = tables_all[t];
        CHECK_EQ_STR(s->leaves[METRIC_FLAGS].path[0], "Flags");
        CHECK_EQ_STR(s->leaves[METRIC_ATTRS_VAL].path[0], "Attributes");
        CHECK_EQ_STR(s->leaves[METRIC_SERVICE_NAME].path[0], "ServiceName");
    }
    CHECK_EQ_STR(table_metrics_exponential_histogram.leaves[EXPHIST_NEGATIVE_BUCKET_COUNTS].path[0],
                 "NegativeBucketCounts");
    CHECK_EQ_STR(table_metrics_sum.leaves[SUM_EXEMPLARS + EXEMPLAR_SPAN_ID].path[3], "SpanId");
}

RUN_TESTS(T(init_succeeds), T(field_ids_follow_iceberg_order), T(levels_of_nested_leaves), T(common_metric_leaves_line_up))
