#include "parquet/footer.h"

#include <stdlib.h>
#include <string.h>

#include "parquet/thrift_compact.h"

/* ConvertedType numbers of parquet.thrift. */
enum { CT_UTF8 = 0, CT_MAP = 1, CT_LIST = 3, CT_TIMESTAMP_MICROS = 10, CT_INT_32 = 17, CT_INT_64 = 18 };
enum { BOUNDARY_UNORDERED = 0, BOUNDARY_ASCENDING = 1, BOUNDARY_DESCENDING = 2 };

/* Bounds of each page as written, kept to decide the boundary order on the very bytes a reader
 * sees (truncation at character boundaries is not monotonic, so exact values could mislead). */
typedef struct {
    buf_t bytes;
    size_t *at; /* 2 per page: start of min, start of max; plus a final end */
} page_bounds_t;

static int cmp_bound(int type, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    switch (type) {
    case PT_BOOLEAN:
        return (a[0] > b[0]) - (a[0] < b[0]);
    case PT_INT32: {
        int32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return (x > y) - (x < y);
    }
    case PT_INT64: {
        int64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    case PT_DOUBLE: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    default:
        return stats_str_cmp(a, an, b, bn);
    }
}

int pq_write_column_index(buf_t *out, const pq_chunk_t *ch, int type)
{
    page_bounds_t pb;
    memset(&pb, 0, sizeof pb);
    pb.at = malloc(((size_t)ch->npages * 2 + 1) * sizeof *pb.at);
    if (!pb.at)
        return -1;
    int rc = -1;
    for (uint32_t p = 0; p < ch->npages; p++) {
        const pq_page_t *pg = &ch->pages[p];
        pb.at[2 * p] = pb.bytes.len;
        if (pg->st.has && stats_min_bytes(&pg->st, type, PQ_INDEX_MAX_BOUND, &pb.bytes, NULL))
            goto done;
        pb.at[2 * p + 1] = pb.bytes.len;
        if (pg->st.has && stats_max_bytes(&pg->st, type, PQ_INDEX_MAX_BOUND, &pb.bytes, NULL))
            goto done;
    }
    pb.at[2 * ch->npages] = pb.bytes.len;

    int asc = 1, desc = 1;
    long prev = -1;
    for (uint32_t p = 0; p < ch->npages; p++) {
        if (!ch->pages[p].st.has)
            continue;
        if (prev >= 0) {
            size_t q = (size_t)prev;
            const uint8_t *b = pb.bytes.data;
            int cmin = cmp_bound(type, b + pb.at[2 * q], pb.at[2 * q + 1] - pb.at[2 * q],
                                 b + pb.at[2 * p], pb.at[2 * p + 1] - pb.at[2 * p]);
            int cmax = cmp_bound(type, b + pb.at[2 * q + 1], pb.at[2 * q + 2] - pb.at[2 * q + 1],
                                 b + pb.at[2 * p + 1], pb.at[2 * p + 2] - pb.at[2 * p + 1]);
            if (cmin > 0 || cmax > 0)
                asc = 0;
            if (cmin < 0 || cmax < 0)
                desc = 0;
        }
        prev = p;
    }
    int order = asc ? BOUNDARY_ASCENDING : desc ? BOUNDARY_DESCENDING : BOUNDARY_UNORDERED;

    tc_writer_t w;
    tc_init(&w, out);
    tc_list_begin(&w, 1, TC_BOOL_TRUE, ch->npages);
    for (uint32_t p = 0; p < ch->npages; p++)
        tc_elem_bool(&w, ch->pages[p].nvals == 0);
    tc_list_begin(&w, 2, TC_BINARY, ch->npages);
    for (uint32_t p = 0; p < ch->npages; p++)
        tc_elem_binary(&w, pb.bytes.data + pb.at[2 * p], pb.at[2 * p + 1] - pb.at[2 * p]);
    tc_list_begin(&w, 3, TC_BINARY, ch->npages);
    for (uint32_t p = 0; p < ch->npages; p++)
        tc_elem_binary(&w, pb.bytes.data + pb.at[2 * p + 1], pb.at[2 * p + 2] - pb.at[2 * p + 1]);
    tc_i32(&w, 4, order);
    tc_list_begin(&w, 5, TC_I64, ch->npages);
    for (uint32_t p = 0; p < ch->npages; p++)
        tc_elem_i64(&w, (int64_t)ch->pages[p].st.nulls);
    if (type == PT_DOUBLE) {
        tc_list_begin(&w, 8, TC_I64, ch->npages);
        for (uint32_t p = 0; p < ch->npages; p++)
            tc_elem_i64(&w, (int64_t)ch->pages[p].st.nans);
    }
    rc = tc_finish(&w);
done:
    buf_free(&pb.bytes);
    free(pb.at);
    return rc;
}

int pq_write_offset_index(buf_t *out, const pq_chunk_t *ch)
{
    tc_writer_t w;
    tc_init(&w, out);
    tc_list_begin(&w, 1, TC_STRUCT, ch->npages);
    for (uint32_t p = 0; p < ch->npages; p++) {
        const pq_page_t *pg = &ch->pages[p];
        tc_elem_struct_begin(&w);
        tc_i64(&w, 1, (int64_t)pg->offset);
        tc_i32(&w, 2, (int32_t)pg->size);
        tc_i64(&w, 3, (int64_t)pg->first_row);
        tc_struct_end(&w);
    }
    return tc_finish(&w);
}

static void empty_struct(tc_writer_t *w, int16_t id)
{
    tc_struct_begin(w, id);
    tc_struct_end(w);
}

static void schema_element(tc_writer_t *w, const schema_elem_t *e)
{
    tc_elem_struct_begin(w);
    if (e->type != PT_GROUP)
        tc_i32(w, 1, e->type);
    tc_i32(w, 3, e->rep);
    tc_string(w, 4, e->name);
    if (e->type == PT_GROUP)
        tc_i32(w, 5, e->nchildren);
    int ct = -1;
    switch (e->logical) {
    case LT_STRING: ct = CT_UTF8; break;
    case LT_TIMESTAMP_US: ct = CT_TIMESTAMP_MICROS; break;
    case LT_INT32: ct = CT_INT_32; break;
    case LT_INT64: ct = CT_INT_64; break;
    case LT_LIST: ct = CT_LIST; break;
    case LT_MAP: ct = CT_MAP; break;
    }
    if (ct >= 0)
        tc_i32(w, 6, ct);
    if (e->field_id >= 0)
        tc_i32(w, 9, e->field_id);
    if (e->logical != LT_NONE) {
        tc_struct_begin(w, 10);
        switch (e->logical) {
        case LT_STRING: empty_struct(w, 1); break;
        case LT_MAP: empty_struct(w, 2); break;
        case LT_LIST: empty_struct(w, 3); break;
        case LT_TIMESTAMP_US:
            tc_struct_begin(w, 8);
            tc_bool(w, 1, 1);          /* isAdjustedToUTC */
            tc_struct_begin(w, 2);     /* unit */
            empty_struct(w, 2);        /* MICROS */
            tc_struct_end(w);
            tc_struct_end(w);
            break;
        case LT_INT32:
        case LT_INT64:
            tc_struct_begin(w, 10);
            tc_i8(w, 1, e->logical == LT_INT32 ? 32 : 64);
            tc_bool(w, 2, 1);
            tc_struct_end(w);
            break;
        }
        tc_struct_end(w);
    }
    tc_struct_end(w);
}

static int statistics(tc_writer_t *w, const pq_stats_t *st, int type, buf_t *tmp)
{
    tc_struct_begin(w, 12);
    if (st->has && type != PT_BYTE_ARRAY) {
        /* the deprecated signed-order fields agree with the type order for numbers, and some
         * old readers look nowhere else */
        tmp->len = 0;
        if (stats_max_bytes(st, type, PQ_STATS_MAX_BOUND, tmp, NULL))
            return -1;
        size_t mid = tmp->len;
        if (stats_min_bytes(st, type, PQ_STATS_MAX_BOUND, tmp, NULL))
            return -1;
        tc_binary(w, 1, tmp->data, mid);
        tc_binary(w, 2, tmp->data + mid, tmp->len - mid);
    }
    tc_i64(w, 3, (int64_t)st->nulls);
    if (st->has) {
        int max_exact, min_exact;
        tmp->len = 0;
        if (stats_max_bytes(st, type, PQ_STATS_MAX_BOUND, tmp, &max_exact))
            return -1;
        size_t mid = tmp->len;
        if (stats_min_bytes(st, type, PQ_STATS_MAX_BOUND, tmp, &min_exact))
            return -1;
        tc_binary(w, 5, tmp->data, mid);
        tc_binary(w, 6, tmp->data + mid, tmp->len - mid);
        tc_bool(w, 7, max_exact);
        tc_bool(w, 8, min_exact);
    }
    if (type == PT_DOUBLE)
        tc_i64(w, 9, (int64_t)st->nans);
    tc_struct_end(w);
    return 0;
}

static int column_chunk(tc_writer_t *w, const schema_leaf_t *leaf, const pq_chunk_t *ch,
                        const pq_options_t *opt, buf_t *tmp)
{
    tc_elem_struct_begin(w);
    tc_i64(w, 2, 0); /* deprecated file_offset: 0, no metadata outside the footer */
    tc_struct_begin(w, 3);
    tc_i32(w, 1, leaf->type);
    int has_plain = ch->dict_offset != 0 || ch->plain_data_pages > 0;
    int nenc = has_plain + 1 + (ch->dict_data_pages > 0);
    tc_list_begin(w, 2, TC_I32, (uint32_t)nenc);
    if (has_plain)
        tc_elem_i32(w, PQ_ENC_PLAIN);
    tc_elem_i32(w, PQ_ENC_RLE);
    if (ch->dict_data_pages)
        tc_elem_i32(w, PQ_ENC_RLE_DICTIONARY);
    tc_list_begin(w, 3, TC_BINARY, (uint32_t)leaf->depth);
    for (int k = 0; k < leaf->depth; k++)
        tc_elem_binary(w, leaf->path[k], strlen(leaf->path[k]));
    tc_i32(w, 4, opt->codec);
    tc_i64(w, 5, (int64_t)ch->num_values);
    tc_i64(w, 6, (int64_t)ch->uncompressed);
    tc_i64(w, 7, (int64_t)ch->compressed);
    tc_i64(w, 9, (int64_t)ch->data_offset);
    if (ch->dict_offset)
        tc_i64(w, 11, (int64_t)ch->dict_offset);
    if (statistics(w, &ch->st, leaf->type, tmp))
        return -1;
    /* encoding_stats tell readers whether every data page uses the dictionary */
    uint32_t nes = (ch->dict_offset != 0) + (ch->dict_data_pages > 0) + (ch->plain_data_pages > 0);
    tc_list_begin(w, 13, TC_STRUCT, nes);
    if (ch->dict_offset) {
        tc_elem_struct_begin(w);
        tc_i32(w, 1, PQ_PAGE_DICTIONARY);
        tc_i32(w, 2, PQ_ENC_PLAIN);
        tc_i32(w, 3, 1);
        tc_struct_end(w);
    }
    if (ch->dict_data_pages) {
        tc_elem_struct_begin(w);
        tc_i32(w, 1, PQ_PAGE_DATA);
        tc_i32(w, 2, PQ_ENC_RLE_DICTIONARY);
        tc_i32(w, 3, (int32_t)ch->dict_data_pages);
        tc_struct_end(w);
    }
    if (ch->plain_data_pages) {
        tc_elem_struct_begin(w);
        tc_i32(w, 1, PQ_PAGE_DATA);
        tc_i32(w, 2, PQ_ENC_PLAIN);
        tc_i32(w, 3, (int32_t)ch->plain_data_pages);
        tc_struct_end(w);
    }
    tc_struct_end(w); /* meta_data */
    if (ch->offset_index_len) {
        tc_i64(w, 4, (int64_t)ch->offset_index_offset);
        tc_i32(w, 5, (int32_t)ch->offset_index_len);
    }
    if (ch->column_index_len) {
        tc_i64(w, 6, (int64_t)ch->column_index_offset);
        tc_i32(w, 7, (int32_t)ch->column_index_len);
    }
    tc_struct_end(w);
    return 0;
}

int pq_write_file_metadata(buf_t *out, const table_schema_t *s, const pq_rowgroup_t *rgs,
                           uint32_t nrg, uint64_t num_rows, const pq_options_t *opt)
{
    buf_t tmp = {0};
    tc_writer_t w;
    tc_init(&w, out);
    tc_i32(&w, 1, 1); /* version: 1, what the spec now recommends for compatibility */
    tc_list_begin(&w, 2, TC_STRUCT, (uint32_t)s->nelems + 1);
    tc_elem_struct_begin(&w); /* the root: a name and children, no repetition */
    tc_string(&w, 4, "schema");
    tc_i32(&w, 5, s->ntop);
    tc_struct_end(&w);
    for (int i = 0; i < s->nelems; i++)
        schema_element(&w, &s->elems[i]);
    tc_i64(&w, 3, (int64_t)num_rows);
    tc_list_begin(&w, 4, TC_STRUCT, nrg);
    for (uint32_t g = 0; g < nrg; g++) {
        const pq_rowgroup_t *rg = &rgs[g];
        tc_elem_struct_begin(&w);
        tc_list_begin(&w, 1, TC_STRUCT, (uint32_t)s->nleaves);
        for (int c = 0; c < s->nleaves; c++)
            if (column_chunk(&w, &s->leaves[c], &rg->cols[c], opt, &tmp)) {
                buf_free(&tmp);
                return -1;
            }
        tc_i64(&w, 2, (int64_t)rg->total_byte_size);
        tc_i64(&w, 3, (int64_t)rg->num_rows);
        tc_i64(&w, 5, (int64_t)rg->file_offset);
        tc_i64(&w, 6, (int64_t)rg->total_compressed);
        if (nrg <= 32767)
            tc_i16(&w, 7, (int16_t)g);
        tc_struct_end(&w);
    }
    if (opt->nkv > 0) {
        tc_list_begin(&w, 5, TC_STRUCT, (uint32_t)opt->nkv);
        for (int i = 0; i < opt->nkv; i++) {
            tc_elem_struct_begin(&w);
            tc_string(&w, 1, opt->kv_keys[i]);
            if (opt->kv_vals[i])
                tc_string(&w, 2, opt->kv_vals[i]);
            tc_struct_end(&w);
        }
    }
    tc_string(&w, 6, opt->created_by);
    /* TypeDefinedOrder for every leaf: without column_orders readers must distrust min/max */
    tc_list_begin(&w, 7, TC_STRUCT, (uint32_t)s->nleaves);
    for (int c = 0; c < s->nleaves; c++) {
        tc_elem_struct_begin(&w);
        empty_struct(&w, 1);
        tc_struct_end(&w);
    }
    buf_free(&tmp);
    return tc_finish(&w);
}
