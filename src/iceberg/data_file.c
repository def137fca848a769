/* ice_data_file_t from the Parquet writer's statistics: per-leaf metrics keyed by field id,
 * bounds in Iceberg's single-value serialization (spec Appendix D). */
#include <stdlib.h>
#include <string.h>

#include "iceberg/manifest.h"
#include "parquet/stats.h"

/* Iceberg's default metrics mode, truncate(16) */
#define ICE_TRUNCATE 16

int ice_bound_string_lower(const uint8_t *p, size_t n, buf_t *out)
{
    if (n <= ICE_TRUNCATE)
        return buf_append(out, p, n);
    if (buf_reserve(out, ICE_TRUNCATE + 4))
        return -1;
    out->len += stats_trunc_min(p, n, ICE_TRUNCATE, out->data + out->len);
    return 0;
}

int ice_bound_string_upper(const uint8_t *p, size_t n, buf_t *out)
{
    if (n <= ICE_TRUNCATE)
        return buf_append(out, p, n);
    if (buf_reserve(out, ICE_TRUNCATE + 4))
        return -1;
    size_t len = stats_trunc_max(p, n, ICE_TRUNCATE, out->data + out->len);
    out->len += len;
    return len ? 0 : 1; /* a run of U+10FFFF (or 0xFF bytes): no shorter upper bound, none at all */
}

int ice_partition_value_own(ice_partition_value_t *v)
{
    if (v->is_null || !v->s)
        return 0;
    char *c = malloc(v->n + 1);
    if (!c)
        return -1;
    memcpy(c, v->s, v->n);
    c[v->n] = 0;
    v->owned = c;
    v->s = c;
    return 0;
}

void ice_data_file_free(ice_data_file_t *df)
{
    free(df->file_path);
    free(df->split_offsets);
    for (int i = 0; i < df->npartition && i < ICE_MAX_PARTITION_FIELDS; i++)
        free(df->partition[i].owned);
    for (int i = 0; i < df->ncols; i++) {
        buf_free(&df->cols[i].lower);
        buf_free(&df->cols[i].upper);
    }
    memset(df, 0, sizeof *df);
}

int ice_data_file_from_stats(ice_data_file_t *df, const table_schema_t *schema, const pq_file_stats_t *st,
                             const char *file_path, const ice_partition_spec_t *spec,
                             const ice_partition_value_t *pvals, int32_t sort_order_id, err_t *err)
{
    memset(df, 0, sizeof *df);
    if (st->ncols != schema->nleaves)
        return err_set(err, ERR_INTERNAL, "data file %s: %d column statistics for %d leaves of %s", file_path, st->ncols,
                       schema->nleaves, schema->name);
    df->file_path = strdup(file_path);
    if (!df->file_path)
        goto nomem;
    df->file_size_in_bytes = st->file_bytes;
    df->record_count = st->num_rows;
    df->sort_order_id = sort_order_id;
    df->npartition = spec ? spec->nfields : 0;
    for (int i = 0; i < df->npartition; i++) {
        ice_partition_value_t *v = &df->partition[i];
        *v = pvals[i];
        v->owned = NULL;
        if (ice_partition_value_own(v))
            goto nomem;
    }
    if (st->nrow_groups) {
        df->split_offsets = malloc(st->nrow_groups * sizeof *df->split_offsets);
        if (!df->split_offsets)
            goto nomem;
        for (uint32_t g = 0; g < st->nrow_groups; g++)
            df->split_offsets[g] = (int64_t)st->row_group_offsets[g];
        df->nsplit_offsets = st->nrow_groups;
    }
    df->ncols = st->ncols;
    for (int c = 0; c < st->ncols; c++) {
        const pq_column_stats_t *s = &st->cols[c];
        ice_column_metrics_t *m = &df->cols[c];
        m->field_id = schema->leaves[c].field_id;
        m->column_size = s->compressed_bytes;
        m->value_count = s->value_count;
        m->null_count = s->null_count;
        if (schema->leaves[c].type == PT_DOUBLE) {
            m->has_nan_count = 1;
            m->nan_count = s->nan_count;
        }
        if (!s->has_bounds)
            continue;
        /* Our PLAIN bounds are already the single-value form for boolean (1 byte), int (4 LE),
         * long and timestamptz (8 LE), double (8 LE); strings need truncating. */
        if (schema->leaves[c].type == PT_BYTE_ARRAY) {
            if (ice_bound_string_lower(s->min.data, s->min.len, &m->lower))
                goto nomem;
            int rc = ice_bound_string_upper(s->max.data, s->max.len, &m->upper);
            if (rc < 0)
                goto nomem;
            m->has_upper = rc == 0;
        } else {
            if (buf_append(&m->lower, s->min.data, s->min.len) || buf_append(&m->upper, s->max.data, s->max.len))
                goto nomem;
            m->has_upper = 1;
        }
        m->has_lower = 1;
    }
    return 0;
nomem:
    ice_data_file_free(df);
    return err_set(err, ERR_NOMEM, "data file %s: out of memory", file_path);
}
