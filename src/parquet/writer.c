#include "parquet/writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/chunk.h"
#include "parquet/footer.h"
#include "parquet/rle.h"
#include "util/version.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet writer copies batch values in host order: little-endian hosts only"
#endif


#define DEFAULT_ROW_GROUP_BYTES ((size_t)128 << 20)
#define DEFAULT_PAGE_BYTES ((size_t)1 << 20)
#define DEFAULT_DICT_BYTES ((size_t)1 << 20)


void pq_options_default(pq_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->codec = PQ_ZSTD;
    o->zstd_level = 3;
    o->row_group_bytes = DEFAULT_ROW_GROUP_BYTES;
    o->page_bytes = DEFAULT_PAGE_BYTES;
    o->dict_max_bytes = DEFAULT_DICT_BYTES;
    o->created_by = otlp2parquet_created_by;
}

void pq_file_stats_free(pq_file_stats_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < SCHEMA_MAX_LEAVES; i++) {
        buf_free(&s->cols[i].min);
        buf_free(&s->cols[i].max);
    }
    free(s->row_group_offsets);
    memset(s, 0, sizeof *s);
}


/* The checks below stream through whole columns: GCC vectorises them only when asked (-O2
 * keeps to its very-cheap cost model); clang does at -O2 anyway. */
#if defined(__GNUC__) && !defined(__clang__)
#define PQ_VECTORISE __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define PQ_VECTORISE
#endif

PQ_VECTORISE static uint8_t max_u8(const uint8_t *p, uint32_t n)
{
    uint8_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        m = p[i] > m ? p[i] : m;
    return m;
}

PQ_VECTORISE static uint32_t count_zero_u8(const uint8_t *p, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += p[i] == 0;
    return c;
}

PQ_VECTORISE static uint32_t count_eq_u8(const uint8_t *p, uint32_t n, uint8_t v)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += p[i] == v;
    return c;
}

/* Whether o[i + 1] < o[i] for some i below n. */
PQ_VECTORISE static int offsets_fall(const uint32_t *o, uint32_t n)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++)
        bad |= o[i + 1] < o[i];
    return bad != 0;
}

static size_t value_width(int type)
{
    switch (type) {
    case PT_BOOLEAN: return 1;
    case PT_INT32: return 4;
    case PT_INT64:
    case PT_DOUBLE: return 8;
    default: return 0;
    }
}

/* Checks that a column is what its leaf says (so no later step can read out of bounds) and
 * derives where each row starts, in one pass over the levels. */
/* Level entries per block of the sparse row index (see index_column). */
#define IX_BLOCK 256u

static inline void sel_span(const uint32_t *rows, uint32_t nrows, uint32_t *i, uint32_t *b0, uint32_t *b1);

/* Fills lvl and val for batch rows b0..b1 (b1 included: where the stretch ends) from the block
 * counts: starts[k] rows and vals[k] values begin before entry k * IX_BLOCK. */
static void index_stretch(const column_t *c, const schema_leaf_t *leaf, uint32_t nrows, const uint32_t *starts,
                          const uint32_t *vals, uint32_t nblocks, uint32_t b0, uint32_t b1, uint32_t *lvl,
                          uint32_t *val)
{
    const uint8_t *def = c->def.data, *rep = c->rep.data;
    uint8_t max_def = leaf->max_def;
    uint32_t n = c->nlevels;
    if (!leaf->max_rep) { /* entry r is row r */
        uint32_t k = b0 / IX_BLOCK, nv = vals[k];
        for (uint32_t i = k * IX_BLOCK; i < b0; i++)
            nv += def[i] == max_def;
        for (uint32_t r = b0; r <= b1; r++) {
            val[r] = nv;
            if (r < n)
                nv += def[r] == max_def;
        }
        return;
    }
    /* the block holding row b0's start: the last one with no more than b0 rows before it */
    uint32_t lo = 0, hi = nblocks - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (starts[mid] <= b0)
            lo = mid;
        else
            hi = mid - 1;
    }
    uint32_t row = starts[lo], nv = vals[lo], i;
    for (i = lo * IX_BLOCK; i < n; i++) {
        if (rep[i] == 0) {
            if (row >= b0) {
                lvl[row] = i;
                val[row] = nv;
                if (row == b1)
                    break;
            }
            row++;
        }
        nv += max_def ? def[i] == max_def : 1;
    }
    if (i == n) { /* b1 == nrows */
        lvl[nrows] = n;
        val[nrows] = nv;
    }
}

/* Builds the row index of a column for the selection rows[0..nsel) (NULL: every row) made of
 * spans stretches. A selection of few long stretches gets a sparse index: per-block counts of
 * row starts and values (vectorised passes), then only the selected rows' slots, so a flush that
 * writes many files of one batch does not walk every entry of the batch for each. */
static int index_column(const column_t *c, const schema_leaf_t *leaf, uint32_t nrows, const uint32_t *rows,
                        uint32_t nsel, uint64_t spans, pq_colidx_t *ix, uint32_t **own_lvl, uint32_t **own_val,
                        err_t *err)
{
    char name[256];
    schema_leaf_dotted(leaf, name, sizeof name);
    ix->lvl = ix->val = NULL;
    if (c->leaf != leaf)
        return err_set(err, ERR_INTERNAL, "parquet: column %s: the batch column belongs to another schema", name);
    if (leaf->max_def && c->def.len != c->nlevels)
        return err_set(err, ERR_INTERNAL, "parquet: column %s: %zu definition levels for %u entries", name,
                       c->def.len, c->nlevels);
    if (leaf->max_rep && c->rep.len != c->nlevels)
        return err_set(err, ERR_INTERNAL, "parquet: column %s: %zu repetition levels for %u entries", name,
                       c->rep.len, c->nlevels);
    if (!leaf->max_rep && c->nlevels != nrows)
        return err_set(err, ERR_INTERNAL, "parquet: column %s: %u entries for %u rows", name, c->nlevels, nrows);
    if (!leaf->max_def && c->nvals != c->nlevels)
        return err_set(err, ERR_INTERNAL, "parquet: column %s: %u values for %u entries of a required column",
                       name, c->nvals, c->nlevels);
    if (c->nvals > c->nlevels)
        return err_set(err, ERR_INTERNAL, "parquet: column %s: %u values for %u entries", name, c->nvals, c->nlevels);
    size_t w = value_width(leaf->type);
    if (leaf->type == PT_BYTE_ARRAY) {
        if (c->nvals == 0 ? c->offs.len > 4 : c->offs.len != ((size_t)c->nvals + 1) * 4)
            return err_set(err, ERR_INTERNAL, "parquet: column %s: %zu offset bytes for %u values", name,
                           c->offs.len, c->nvals);
        /* each value is checked where the selection reads it (check_selection) */
        const uint32_t *o = (const uint32_t *)c->offs.data;
        if (c->nvals && o[c->nvals] > c->vals.len)
            return err_set(err, ERR_INTERNAL, "parquet: column %s: offsets run past the %zu value bytes", name,
                           c->vals.len);
    } else if (w == 0 || c->vals.len != (size_t)c->nvals * w)
        return err_set(err, ERR_INTERNAL, "parquet: column %s: %zu value bytes for %u values of type %d", name,
                       c->vals.len, c->nvals, leaf->type);
    if (!leaf->max_def && !leaf->max_rep)
        return 0;

    uint32_t *val = malloc(((size_t)nrows + 1) * sizeof *val);
    uint32_t *lvl = leaf->max_rep ? malloc(((size_t)nrows + 1) * sizeof *lvl) : NULL;
    if (!val || (leaf->max_rep && !lvl)) {
        free(val);
        free(lvl);
        return err_set(err, ERR_NOMEM, "parquet: column %s: out of memory indexing %u rows", name, nrows);
    }
    *own_val = val;
    *own_lvl = lvl;
    ix->val = val;
    ix->lvl = lvl;
    const uint8_t *def = c->def.data, *rep = c->rep.data;
    uint8_t max_def = leaf->max_def, max_rep = leaf->max_rep;
    uint32_t n = c->nlevels;
    uint32_t nblocks = n / IX_BLOCK + 1;
    if (rows && spans * IX_BLOCK * 2 < n) {
        uint32_t *bs = malloc((size_t)nblocks * 2 * sizeof *bs);
        if (!bs)
            return err_set(err, ERR_NOMEM, "parquet: column %s: out of memory indexing %u rows", name, nrows);
        uint32_t *bv = bs + nblocks, starts = 0, nv = 0;
        for (uint32_t k = 0; k < nblocks; k++) {
            uint32_t at = k * IX_BLOCK, len = n - at < IX_BLOCK ? n - at : IX_BLOCK;
            bs[k] = starts;
            bv[k] = nv;
            if (max_rep)
                starts += count_zero_u8(rep + at, len);
            nv += max_def ? count_eq_u8(def + at, len, max_def) : len;
        }
        int bad = max_rep && ((n && rep[0] != 0) || starts != nrows);
        if (!bad && nv == c->nvals)
            for (uint32_t i = 0; i < nsel;) {
                uint32_t b0, b1;
                sel_span(rows, nsel, &i, &b0, &b1);
                index_stretch(c, leaf, nrows, bs, bv, nblocks, b0, b1, lvl, val);
            }
        free(bs);
        if (bad && n && rep[0] != 0)
            return err_set(err, ERR_INTERNAL, "parquet: column %s: the first entry continues a row", name);
        if (bad)
            return err_set(err, ERR_INTERNAL, "parquet: column %s: %u rows, the batch has %u", name, starts, nrows);
        if (nv != c->nvals)
            return err_set(err, ERR_INTERNAL, "parquet: column %s: levels define %u values, the column holds %u",
                           name, nv, c->nvals);
        return 0;
    }
    /* Branch-free passes; levels out of range are caught where the selection reads them. */
    uint32_t nv = 0;
    if (!max_rep) {
        /* one entry per row: val is the running count of defined entries */
        for (uint32_t i = 0; i < n; i++) {
            val[i] = nv;
            nv += def[i] == max_def;
        }
    } else {
        if (n && rep[0] != 0)
            return err_set(err, ERR_INTERNAL, "parquet: column %s: the first entry continues a row", name);
        uint32_t starts = count_zero_u8(rep, n);
        if (starts != nrows)
            return err_set(err, ERR_INTERNAL, "parquet: column %s: %u rows, the batch has %u", name, starts, nrows);
        /* Every entry writes slot row and a row start then moves on to the next slot, so the
         * entries after a start write the slot the next start overwrites: each slot ends up
         * with its row's start. nrows starts keep row <= nrows, inside the nrows + 1 slots. */
        uint32_t row = 0;
        if (max_def)
            for (uint32_t i = 0; i < n; i++) {
                lvl[row] = i;
                val[row] = nv;
                row += rep[i] == 0;
                nv += def[i] == max_def;
            }
        else
            for (uint32_t i = 0; i < n; i++) {
                lvl[row] = i;
                val[row] = i;
                row += rep[i] == 0;
            }
        nv = max_def ? nv : n;
        lvl[nrows] = n;
    }
    val[nrows] = nv;
    if (nv != c->nvals)
        return err_set(err, ERR_INTERNAL, "parquet: column %s: levels define %u values, the column holds %u", name,
                       nv, c->nvals);
    return 0;
}

static inline uint32_t ix_lvl(const pq_colidx_t *ix, uint32_t r) { return ix->lvl ? ix->lvl[r] : r; }
static inline uint32_t ix_val(const pq_colidx_t *ix, uint32_t r) { return ix->val ? ix->val[r] : r; }

/* The stretch of consecutive batch rows [*b0, *b1) that starts at output row *i; advances *i. */
static inline void sel_span(const uint32_t *rows, uint32_t nrows, uint32_t *i, uint32_t *b0, uint32_t *b1)
{
    if (!rows) {
        *b0 = *i;
        *b1 = *i = nrows;
        return;
    }
    uint32_t r = rows[(*i)++];
    *b0 = r++;
    while (*i < nrows && rows[*i] == r) {
        r++;
        (*i)++;
    }
    *b1 = r;
}

/* What the selection reads of a column, checked once per pq_write: its levels in range and
 * its strings of non-negative length within the value bytes.
 * Branch-free passes over each stretch; the culprit is looked for only on failure. */
static int check_selection(const column_t *c, const schema_leaf_t *leaf, const pq_colidx_t *x,
                           const uint32_t *rows, uint32_t nrows, err_t *err)
{
    uint8_t max_def = leaf->max_def, max_rep = leaf->max_rep;
    const uint8_t *def = c->def.data, *rep = c->rep.data;
    const uint32_t *o = leaf->type == PT_BYTE_ARRAY ? (const uint32_t *)c->offs.data : NULL;
    if (!max_def && !max_rep && !o)
        return 0;
    for (uint32_t i = 0; i < nrows;) {
        uint32_t b0, b1;
        sel_span(rows, nrows, &i, &b0, &b1);
        uint32_t l0 = ix_lvl(x, b0), l1 = ix_lvl(x, b1), v0 = ix_val(x, b0), v1 = ix_val(x, b1);
        uint8_t top_def = max_def ? max_u8(def + l0, l1 - l0) : 0;
        uint8_t top_rep = max_rep ? max_u8(rep + l0, l1 - l0) : 0;
        int bad = o && v1 > v0 && (o[v1] > c->vals.len || offsets_fall(o + v0, v1 - v0));
        if (top_def <= max_def && top_rep <= max_rep && !bad)
            continue;
        char name[256];
        schema_leaf_dotted(leaf, name, sizeof name);
        for (uint32_t k = l0; k < l1; k++) {
            if (max_rep && rep[k] > max_rep)
                return err_set(err, ERR_INTERNAL, "parquet: column %s: entry %u: repetition level %u above %u",
                               name, k, rep[k], max_rep);
            if (max_def && def[k] > max_def)
                return err_set(err, ERR_INTERNAL, "parquet: column %s: entry %u: definition level %u above %u",
                               name, k, def[k], max_def);
        }
        for (uint32_t k = v0; k < v1; k++)
            if (o[k + 1] < o[k])
                return err_set(err, ERR_INTERNAL, "parquet: column %s: value %u has a negative length", name, k);
        return err_set(err, ERR_INTERNAL, "parquet: column %s: offsets run past the %zu value bytes", name,
                       c->vals.len);
    }
    return 0;
}

static uint64_t value_bits(int type)
{
    return type == PT_BOOLEAN ? 1 : type == PT_INT32 || type == PT_BYTE_ARRAY ? 32 : 64;
}

/* Splits the output rows into row groups of at most row_group_bytes, measured as PLAIN values
 * plus levels at their bit widths (what the pages hold before dictionaries and compression,
 * so the bound holds for the encoded data too, give or take the dictionary pages). */
static int plan_row_groups(const table_batch_t *b, const pq_colidx_t *ix, const uint32_t *rows,
                           uint32_t nrows, size_t limit, uint32_t **starts_out, uint32_t *nrg_out,
                           err_t *err)
{
    const table_schema_t *s = b->schema;
    uint64_t limit_bits = (uint64_t)limit * 8;
    uint32_t *starts = NULL;
    *nrg_out = 0;
    if (nrows == 0) {
        *starts_out = NULL;
        return 0;
    }
    /* The cost of the selection, a column at a time over its stretches of consecutive batch
     * rows, whose levels and values are contiguous: O(stretches) per column, not O(rows). */
    uint64_t total = 0;
    for (int c = 0; c < s->nleaves; c++) {
        const schema_leaf_t *l = &s->leaves[c];
        const column_t *col = &b->cols[c];
        const pq_colidx_t *x = &ix[c];
        uint64_t lb = (uint64_t)(rle_bit_width(l->max_def) + rle_bit_width(l->max_rep));
        uint64_t vb = value_bits(l->type);
        const uint32_t *offs = l->type == PT_BYTE_ARRAY ? (const uint32_t *)col->offs.data : NULL;
        for (uint32_t i = 0; i < nrows;) {
            uint32_t b0, b1;
            sel_span(rows, nrows, &i, &b0, &b1);
            uint32_t v0 = ix_val(x, b0), v1 = ix_val(x, b1);
            total += (uint64_t)(ix_lvl(x, b1) - ix_lvl(x, b0)) * lb + (uint64_t)(v1 - v0) * vb;
            if (offs && v1 > v0)
                total += 8 * (uint64_t)(offs[v1] - offs[v0]);
        }
    }
    if (total <= limit_bits) {
        starts = malloc(2 * sizeof *starts);
        if (!starts)
            return err_set(err, ERR_NOMEM, "parquet: out of memory");
        starts[0] = 0;
        starts[1] = nrows;
        *starts_out = starts;
        *nrg_out = 1;
        return 0;
    }

    uint64_t *cost = calloc((size_t)nrows + 1, sizeof *cost); /* per output row */
    if (!cost)
        return err_set(err, ERR_NOMEM, "parquet: out of memory planning row groups for %u rows", nrows);
    uint64_t fixed = 0; /* per-row cost of required top-level fixed-width columns */
    for (int c = 0; c < s->nleaves; c++) {
        const schema_leaf_t *l = &s->leaves[c];
        const column_t *col = &b->cols[c];
        const pq_colidx_t *x = &ix[c];
        uint64_t lb = (uint64_t)(rle_bit_width(l->max_def) + rle_bit_width(l->max_rep));
        uint64_t vb = value_bits(l->type);
        int strings = l->type == PT_BYTE_ARRAY;
        if (!x->lvl && !x->val && !strings) {
            fixed += vb;
            continue;
        }
        const uint32_t *offs = (const uint32_t *)col->offs.data;
        for (uint32_t i = 0; i < nrows; i++) { /* the index holds only the selected rows */
            uint32_t r = rows ? rows[i] : i;
            uint32_t nl = ix_lvl(x, r + 1) - ix_lvl(x, r);
            uint32_t v0 = ix_val(x, r), v1 = ix_val(x, r + 1);
            uint64_t bits = nl * lb + (uint64_t)(v1 - v0) * vb;
            if (strings && v1 > v0)
                bits += 8 * (uint64_t)(offs[v1] - offs[v0]);
            cost[i] += bits;
        }
    }
    uint32_t cap = 16, n = 0;
    starts = malloc(cap * sizeof *starts);
    if (!starts) {
        free(cost);
        return err_set(err, ERR_NOMEM, "parquet: out of memory");
    }
    starts[n++] = 0;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < nrows; i++) {
        uint64_t c = cost[i] + fixed;
        if (acc > 0 && acc + c > limit_bits) {
            if (n + 1 >= cap) {
                uint32_t *p = realloc(starts, (size_t)cap * 2 * sizeof *p);
                if (!p) {
                    free(cost);
                    free(starts);
                    return err_set(err, ERR_NOMEM, "parquet: out of memory");
                }
                starts = p;
                cap *= 2;
            }
            starts[n++] = i;
            acc = 0;
        }
        acc += c;
    }
    starts[n] = nrows;
    free(cost);
    *starts_out = starts;
    *nrg_out = n;
    return 0;
}

static int fill_stats(pq_file_stats_t *st, const table_schema_t *s, const pq_rowgroup_t *rgs,
                      uint32_t nrg, uint64_t nrows, uint64_t file_bytes, err_t *err)
{
    st->num_rows = nrows;
    st->file_bytes = file_bytes;
    st->ncols = s->nleaves;
    st->nrow_groups = nrg;
    if (nrg) {
        st->row_group_offsets = malloc((size_t)nrg * sizeof *st->row_group_offsets);
        if (!st->row_group_offsets)
            return err_set(err, ERR_NOMEM, "parquet: out of memory");
        for (uint32_t g = 0; g < nrg; g++)
            st->row_group_offsets[g] = rgs[g].file_offset;
    }
    for (int c = 0; c < s->nleaves; c++) {
        pq_column_stats_t *cs = &st->cols[c];
        int type = s->leaves[c].type;
        cs->field_id = s->leaves[c].field_id;
        pq_stats_t all;
        stats_clear(&all);
        for (uint32_t g = 0; g < nrg; g++) {
            const pq_chunk_t *ch = &rgs[g].cols[c];
            cs->compressed_bytes += ch->compressed;
            cs->value_count += ch->num_values;
            stats_merge(&all, &ch->st, type);
        }
        cs->null_count = all.nulls;
        cs->nan_count = all.nans;
        cs->has_bounds = all.has;
        if (all.has && (stats_min_bytes(&all, type, 0, &cs->min, NULL) ||
                        stats_max_bytes(&all, type, 0, &cs->max, NULL)))
            return err_set(err, ERR_NOMEM, "parquet: out of memory");
    }
    return 0;
}

static const uint8_t magic[4] = {'P', 'A', 'R', '1'};

/* Each thread keeps the encoder of its last file: its scratch buffers and its zstd context
 * (a few MiB to set up and fault in) serve the next file instead of being freed and made
 * again. Scratch grown past KEEP_SCRATCH_BYTES is dropped after each file. */
#define KEEP_SCRATCH_BYTES ((size_t)8 << 20)

static pthread_key_t enc_key;
static pthread_once_t enc_once = PTHREAD_ONCE_INIT;
static int enc_key_ok;

static void enc_destroy(void *p)
{
    pq_encoder_free(p);
    free(p);
}

static void enc_key_init(void) { enc_key_ok = pthread_key_create(&enc_key, enc_destroy) == 0; }

/* The calling thread's encoder readied for opt; NULL with err set on failure. */
static pq_encoder_t *encoder_get(const pq_options_t *opt, err_t *err)
{
    pthread_once(&enc_once, enc_key_init);
    pq_encoder_t *e = enc_key_ok ? pthread_getspecific(enc_key) : NULL;
    if (e) {
        if (pq_encoder_reuse(e, opt, err) == 0)
            return e;
        free(e);
        pthread_setspecific(enc_key, NULL);
        return NULL;
    }
    e = malloc(sizeof *e);
    if (!e) {
        err_set(err, ERR_NOMEM, "parquet: out of memory");
        return NULL;
    }
    if (pq_encoder_init(e, opt, err)) {
        pq_encoder_free(e);
        free(e);
        return NULL;
    }
    if (enc_key_ok)
        pthread_setspecific(enc_key, e); /* if that fails, encoder_put frees it */
    return e;
}

/* Done with the file: the kept encoder sheds its big buffers, any other is freed. */
static void encoder_put(pq_encoder_t *e)
{
    if (enc_key_ok && pthread_getspecific(enc_key) == e) {
        pq_encoder_trim(e, KEEP_SCRATCH_BYTES);
        return;
    }
    pq_encoder_free(e);
    free(e);
}

int pq_write(const table_batch_t *batch, const uint32_t *rows, uint32_t nrows,
             const pq_options_t *opt_in, buf_t *out, pq_file_stats_t *stats, err_t *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!batch || !batch->schema || !out)
        return err_set(err, ERR_INTERNAL, "parquet: no batch or output buffer");
    const table_schema_t *s = batch->schema;
    if (s->nleaves <= 0 || s->nleaves > SCHEMA_MAX_LEAVES)
        return err_set(err, ERR_INTERNAL, "parquet: table %s: schema has %d leaves (schema_init not run?)",
                       s->name ? s->name : "?", s->nleaves);

    pq_options_t opt;
    if (opt_in)
        opt = *opt_in;
    else
        pq_options_default(&opt);
    if (!opt.created_by)
        opt.created_by = otlp2parquet_created_by;
    if (!opt.row_group_bytes)
        opt.row_group_bytes = DEFAULT_ROW_GROUP_BYTES;
    if (!opt.page_bytes)
        opt.page_bytes = DEFAULT_PAGE_BYTES;
    if (opt.codec != PQ_UNCOMPRESSED && opt.codec != PQ_SNAPPY && opt.codec != PQ_ZSTD)
        return err_set(err, ERR_CONFIG, "parquet: unsupported compression codec %d", (int)opt.codec);
    if (opt.nkv < 0 || (opt.nkv > 0 && (!opt.kv_keys || !opt.kv_vals)))
        return err_set(err, ERR_CONFIG, "parquet: key/value metadata: %d entries without arrays", opt.nkv);
    for (int i = 0; i < opt.nkv; i++)
        if (!opt.kv_keys[i])
            return err_set(err, ERR_CONFIG, "parquet: key/value metadata entry %d has no key", i);

    if (!rows)
        nrows = batch->nrows;
    else
        for (uint32_t i = 0; i < nrows; i++)
            if (rows[i] >= batch->nrows)
                return err_set(err, ERR_INTERNAL, "parquet: table %s: row %u of the selection is %u, the batch has %u",
                               s->name, i, rows[i], batch->nrows);

    int rc = -1;
    size_t base = out->len;
    pq_colidx_t ix[SCHEMA_MAX_LEAVES];
    uint32_t *own_lvl[SCHEMA_MAX_LEAVES] = {0}, *own_val[SCHEMA_MAX_LEAVES] = {0};
    uint32_t *starts = NULL, nrg = 0;
    pq_rowgroup_t *rgs = NULL;
    pq_encoder_t *enc = NULL;

    uint64_t spans = 0;
    for (uint32_t i = 0; rows && i < nrows; spans++) {
        uint32_t b0, b1;
        sel_span(rows, nrows, &i, &b0, &b1);
    }
    for (int c = 0; c < s->nleaves; c++)
        if (index_column(&batch->cols[c], &s->leaves[c], batch->nrows, rows, nrows, spans, &ix[c], &own_lvl[c],
                         &own_val[c], err)) {
            err_prefix(err, "table %s", s->name);
            goto done;
        }
    for (int c = 0; c < s->nleaves; c++)
        if (check_selection(&batch->cols[c], &s->leaves[c], &ix[c], rows, nrows, err)) {
            err_prefix(err, "table %s", s->name);
            goto done;
        }
    if (plan_row_groups(batch, ix, rows, nrows, opt.row_group_bytes, &starts, &nrg, err))
        goto done;
    if (!(enc = encoder_get(&opt, err)))
        goto done;
    if (nrg && !(rgs = calloc(nrg, sizeof *rgs))) {
        err_set(err, ERR_NOMEM, "parquet: out of memory");
        goto done;
    }
    for (uint32_t g = 0; g < nrg; g++)
        if (!(rgs[g].cols = calloc((size_t)s->nleaves, sizeof *rgs[g].cols))) {
            err_set(err, ERR_NOMEM, "parquet: out of memory");
            goto done;
        }

    if (buf_append(out, magic, 4)) {
        err_set(err, ERR_NOMEM, "parquet: out of memory");
        goto done;
    }
    for (uint32_t g = 0; g < nrg; g++) {
        pq_rowgroup_t *rg = &rgs[g];
        rg->num_rows = starts[g + 1] - starts[g];
        rg->file_offset = out->len - base;
        for (int c = 0; c < s->nleaves; c++) {
            pq_chunk_t *ch = &rg->cols[c];
            if (pq_chunk_write(enc, &batch->cols[c], &ix[c], rows, starts[g], starts[g + 1], out, base, ch, err))
                goto done;
            rg->total_byte_size += ch->uncompressed;
            rg->total_compressed += ch->compressed;
        }
    }
    /* Page indexes sit together between the row groups and the footer, where a reader fetches
     * them in one range: every ColumnIndex, then every OffsetIndex. */
    for (uint32_t g = 0; g < nrg; g++)
        for (int c = 0; c < s->nleaves; c++) {
            pq_chunk_t *ch = &rgs[g].cols[c];
            if (!ch->column_index_ok)
                continue; /* a page of only NaN has no bounds a column index could hold */
            size_t at = out->len;
            if (pq_write_column_index(out, ch, s->leaves[c].type)) {
                err_set(err, ERR_NOMEM, "parquet: out of memory writing a column index");
                goto done;
            }
            ch->column_index_offset = at - base;
            ch->column_index_len = (uint32_t)(out->len - at);
        }
    for (uint32_t g = 0; g < nrg; g++)
        for (int c = 0; c < s->nleaves; c++) {
            pq_chunk_t *ch = &rgs[g].cols[c];
            size_t at = out->len;
            if (pq_write_offset_index(out, ch)) {
                err_set(err, ERR_NOMEM, "parquet: out of memory writing an offset index");
                goto done;
            }
            ch->offset_index_offset = at - base;
            ch->offset_index_len = (uint32_t)(out->len - at);
        }
    size_t footer_at = out->len;
    if (pq_write_file_metadata(out, s, rgs, nrg, nrows, &opt)) {
        err_set(err, ERR_NOMEM, "parquet: out of memory writing the footer");
        goto done;
    }
    size_t footer_len = out->len - footer_at;
    if (footer_len > UINT32_MAX) {
        err_set(err, ERR_TOO_LARGE, "parquet: footer of %zu bytes", footer_len);
        goto done;
    }
    if (buf_put_u32le(out, (uint32_t)footer_len) || buf_append(out, magic, 4)) {
        err_set(err, ERR_NOMEM, "parquet: out of memory");
        goto done;
    }
    if (stats && fill_stats(stats, s, rgs, nrg, nrows, out->len - base, err))
        goto done;
    rc = 0;

done:
    if (rc) {
        out->len = base;
        if (stats)
            pq_file_stats_free(stats);
    }
    if (enc)
        encoder_put(enc);
    if (rgs) {
        for (uint32_t g = 0; g < nrg; g++)
            if (rgs[g].cols) {
                for (int c = 0; c < s->nleaves; c++)
                    pq_chunk_free(&rgs[g].cols[c]);
                free(rgs[g].cols);
            }
        free(rgs);
    }
    free(starts);
    for (int c = 0; c < s->nleaves; c++) {
        free(own_lvl[c]);
        free(own_val[c]);
    }
    return rc;
}
