#include "parquet/chunk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/rle.h"
#include "parquet/thrift_compact.h"

/* Level entries per page at most, far inside the i32 num_values of the page header. */
#define PAGE_MAX_LEVELS (1u << 30)
/* Dictionaries stay well inside the i32 page size whatever the options say. */
#define DICT_HARD_MAX ((size_t)1 << 30)

int pq_encoder_init(pq_encoder_t *e, const pq_options_t *opt, err_t *err)
{
    memset(e, 0, sizeof *e);
    e->opt = opt;
    e->page_bytes = opt->page_bytes ? opt->page_bytes : 1;
    e->dict_max_bytes = opt->dict_max_bytes < DICT_HARD_MAX ? opt->dict_max_bytes : DICT_HARD_MAX;
    dict_init(&e->dict);
    return pq_compressor_init(&e->comp, opt->codec, opt->zstd_level, err);
}

void pq_encoder_free(pq_encoder_t *e)
{
    pq_compressor_free(&e->comp);
    dict_free(&e->dict);
    buf_free(&e->body);
    buf_free(&e->zbody);
    buf_free(&e->zalt);
    buf_free(&e->hdr);
    buf_free(&e->data);
    buf_free(&e->def);
    buf_free(&e->rep);
    buf_free(&e->tmp);
    free(e->idx);
    e->idx = NULL;
    e->idxcap = 0;
}

int pq_encoder_reuse(pq_encoder_t *e, const pq_options_t *opt, err_t *err)
{
    e->opt = opt;
    e->page_bytes = opt->page_bytes ? opt->page_bytes : 1;
    e->dict_max_bytes = opt->dict_max_bytes < DICT_HARD_MAX ? opt->dict_max_bytes : DICT_HARD_MAX;
    if (e->comp.codec == opt->codec && (opt->codec != PQ_ZSTD || e->comp.level == opt->zstd_level))
        return 0;
    pq_compressor_free(&e->comp);
    if (pq_compressor_init(&e->comp, opt->codec, opt->zstd_level, err)) {
        pq_encoder_free(e);
        return -1;
    }
    return 0;
}

static void trim_buf(buf_t *b, size_t max_bytes)
{
    if (b->cap > max_bytes)
        buf_free(b);
}

void pq_encoder_trim(pq_encoder_t *e, size_t max_bytes)
{
    trim_buf(&e->body, max_bytes);
    trim_buf(&e->zbody, max_bytes);
    trim_buf(&e->zalt, max_bytes);
    trim_buf(&e->hdr, max_bytes);
    trim_buf(&e->data, max_bytes);
    trim_buf(&e->def, max_bytes);
    trim_buf(&e->rep, max_bytes);
    trim_buf(&e->tmp, max_bytes);
    if (e->idxcap * sizeof *e->idx > max_bytes) {
        free(e->idx);
        e->idx = NULL;
        e->idxcap = 0;
    }
    if (e->dict.plain.cap > max_bytes || (size_t)e->dict.ecap * sizeof(uint32_t) > max_bytes) {
        dict_free(&e->dict);
        dict_init(&e->dict);
    }
}

void pq_chunk_free(pq_chunk_t *ch)
{
    free(ch->pages);
    ch->pages = NULL;
    ch->npages = ch->pcap = 0;
}

int pq_page_header(buf_t *out, int page_type, uint32_t uncompressed, uint32_t compressed,
                   uint32_t num_values, int encoding)
{
    tc_writer_t w;
    tc_init(&w, out);
    tc_i32(&w, 1, page_type);
    tc_i32(&w, 2, (int32_t)uncompressed);
    tc_i32(&w, 3, (int32_t)compressed);
    if (page_type == PQ_PAGE_DATA) {
        tc_struct_begin(&w, 5);
        tc_i32(&w, 1, (int32_t)num_values);
        tc_i32(&w, 2, encoding);
        tc_i32(&w, 3, PQ_ENC_RLE);
        tc_i32(&w, 4, PQ_ENC_RLE);
        tc_struct_end(&w);
    } else {
        tc_struct_begin(&w, 7);
        tc_i32(&w, 1, (int32_t)num_values);
        tc_i32(&w, 2, encoding);
        tc_struct_end(&w);
    }
    return tc_finish(&w);
}

static inline uint32_t row_at(const uint32_t *rows, uint32_t i) { return rows ? rows[i] : i; }
static inline uint32_t lvl_at(const pq_colidx_t *ix, uint32_t r) { return ix->lvl ? ix->lvl[r] : r; }
static inline uint32_t val_at(const pq_colidx_t *ix, uint32_t r) { return ix->val ? ix->val[r] : r; }

/* The longest stretch of output rows from *i (below end) that are consecutive batch rows,
 * as batch rows [*b0, *b1); advances *i past it. Levels and values of such a stretch are
 * contiguous in the batch, so they move with one memcpy. */
static inline void next_span(const uint32_t *rows, uint32_t *i, uint32_t end, uint32_t *b0, uint32_t *b1)
{
    uint32_t s = *i;
    if (!rows) {
        *b0 = s;
        *b1 = end;
        *i = end;
        return;
    }
    uint32_t j = s + 1;
    while (j < end && rows[j] == rows[j - 1] + 1)
        j++;
    *b0 = rows[s];
    *b1 = rows[j - 1] + 1;
    *i = j;
}


static int nomem(err_t *err, const column_t *col)
{
    char name[256];
    schema_leaf_dotted(col->leaf, name, sizeof name);
    return err_set(err, ERR_NOMEM, "parquet: column %s: out of memory", name);
}

/* Where the page that starts at output row p0 ends: about page_bytes of encoded data (levels
 * at their bit widths, values PLAIN or as dictionary indexes at the current index width), at
 * most PQ_PAGE_MAX_ROWS rows, always whole rows and at least one. */
static uint32_t page_extent(const pq_encoder_t *e, const column_t *col, const pq_colidx_t *ix,
                            const uint32_t *rows, uint32_t p0, uint32_t r1, int dict_mode,
                            int lvl_bits, uint64_t *nl_out, uint64_t *nv_out)
{
    int type = col->leaf->type;
    uint64_t limit = (uint64_t)e->page_bytes * 8, bits = 0, nl = 0, nv = 0;
    uint64_t vbits;
    if (dict_mode)
        vbits = (uint64_t)rle_bit_width(e->dict.n) + 1;
    else
        vbits = type == PT_BOOLEAN ? 1 : type == PT_INT32 || type == PT_BYTE_ARRAY ? 32 : 64;
    int strings = !dict_mode && type == PT_BYTE_ARRAY;
    const uint32_t *offs = (const uint32_t *)col->offs.data;
    uint32_t i = p0;
    do {
        uint32_t br = row_at(rows, i);
        uint32_t l0 = lvl_at(ix, br), l1 = lvl_at(ix, br + 1);
        uint32_t v0 = val_at(ix, br), v1 = val_at(ix, br + 1);
        if (i > p0 && nl + (l1 - l0) > PAGE_MAX_LEVELS)
            break;
        nl += l1 - l0;
        nv += v1 - v0;
        bits += (uint64_t)(l1 - l0) * (uint64_t)lvl_bits + (uint64_t)(v1 - v0) * vbits;
        if (strings && v1 > v0)
            bits += 8 * (uint64_t)(offs[v1] - offs[v0]);
        i++;
    } while (i < r1 && bits < limit && i - p0 < PQ_PAGE_MAX_ROWS);
    *nl_out = nl;
    *nv_out = nv;
    return i;
}

/* The page's levels, straight from the batch when its rows are contiguous there, else
 * gathered into scratch. */
static int page_levels(pq_encoder_t *e, const column_t *col, const pq_colidx_t *ix,
                       const uint32_t *rows, uint32_t p0, uint32_t p1, const uint8_t **def,
                       const uint8_t **rep)
{
    const schema_leaf_t *leaf = col->leaf;
    uint32_t i = p0, b0, b1;
    next_span(rows, &i, p1, &b0, &b1);
    if (i == p1) {
        uint32_t l0 = lvl_at(ix, b0);
        *def = leaf->max_def ? col->def.data + l0 : NULL;
        *rep = leaf->max_rep ? col->rep.data + l0 : NULL;
        return 0;
    }
    e->def.len = e->rep.len = 0;
    for (i = p0; i < p1;) {
        next_span(rows, &i, p1, &b0, &b1);
        uint32_t l0 = lvl_at(ix, b0), l1 = lvl_at(ix, b1);
        if (leaf->max_def && buf_append(&e->def, col->def.data + l0, l1 - l0))
            return -1;
        if (leaf->max_rep && buf_append(&e->rep, col->rep.data + l0, l1 - l0))
            return -1;
    }
    *def = e->def.data;
    *rep = e->rep.data;
    return 0;
}

static int plain_values(pq_encoder_t *e, const column_t *col, const pq_colidx_t *ix,
                        const uint32_t *rows, uint32_t p0, uint32_t p1, pq_stats_t *st)
{
    int type = col->leaf->type;
    const uint8_t *vals = col->vals.data;
    const uint32_t *offs = (const uint32_t *)col->offs.data;
    buf_t *b = &e->body;
    e->tmp.len = 0;
    for (uint32_t i = p0; i < p1;) {
        uint32_t b0, b1;
        next_span(rows, &i, p1, &b0, &b1);
        uint32_t v0 = val_at(ix, b0), v1 = val_at(ix, b1);
        if (v1 == v0)
            continue;
        size_t n = v1 - v0;
        switch (type) {
        case PT_BOOLEAN:
            if (buf_append(&e->tmp, vals + v0, n))
                return -1;
            for (size_t k = 0; k < n; k++)
                stats_int(st, vals[v0 + k] != 0);
            break;
        case PT_INT32:
            if (buf_append(b, vals + (size_t)v0 * 4, n * 4))
                return -1;
            for (size_t k = 0; k < n; k++)
                stats_int(st, (int32_t)pq_ld32(vals + (v0 + k) * 4));
            break;
        case PT_INT64:
            if (buf_append(b, vals + (size_t)v0 * 8, n * 8))
                return -1;
            for (size_t k = 0; k < n; k++)
                stats_int(st, (int64_t)pq_ld64(vals + (v0 + k) * 8));
            break;
        case PT_DOUBLE:
            if (buf_append(b, vals + (size_t)v0 * 8, n * 8))
                return -1;
            for (size_t k = 0; k < n; k++) {
                double d;
                memcpy(&d, vals + (v0 + k) * 8, 8);
                stats_f64(st, d);
            }
            break;
        case PT_BYTE_ARRAY: {
            size_t bytes = n * 4 + (offs[v1] - offs[v0]);
            if (buf_reserve(b, bytes))
                return -1;
            uint8_t *q = b->data + b->len;
            for (uint32_t k = v0; k < v1; k++) {
                uint32_t len = offs[k + 1] - offs[k];
                const uint8_t *p = vals + offs[k];
                memcpy(q, &len, 4); /* little-endian hosts only, like the rest of the writer */
                if (len)
                    memcpy(q + 4, p, len);
                q += 4 + (size_t)len;
                stats_str(st, p, len);
            }
            b->len += bytes;
            break;
        }
        }
    }
    if (type == PT_BOOLEAN)
        return bitpack_bools(b, e->tmp.data, e->tmp.len);
    return 0;
}

/* Values of a chunk's first page after which, all of them distinct, the dictionary is given
 * up (ids, timestamps, free text) without hashing the rest of the page. */
#define DICT_SAMPLE 1024u

/* Dictionary indexes of the page into e->idx. Statistics look at each distinct entry once per
 * page (the stamp), except NaN counts, which are per value. Returns DICT_OK, DICT_FULL (the
 * caller rolls back and re-encodes the page PLAIN; also when sample is set and the first
 * DICT_SAMPLE values of the page are all distinct) or DICT_NOMEM. */
static int dict_values(pq_encoder_t *e, const column_t *col, const pq_colidx_t *ix,
                       const uint32_t *rows, uint32_t p0, uint32_t p1, uint64_t nv, int sample,
                       pq_stats_t *st, uint64_t *plain_bytes)
{
    pq_dict_t *d = &e->dict;
    int type = col->leaf->type;
    const uint8_t *vals = col->vals.data;
    const uint32_t *offs = (const uint32_t *)col->offs.data;
    size_t maxb = e->dict_max_bytes;
    if (nv > e->idxcap) {
        uint32_t *p = realloc(e->idx, (size_t)nv * sizeof *p);
        if (!p)
            return DICT_NOMEM;
        e->idx = p;
        e->idxcap = (size_t)nv;
    }
    uint32_t stamp = ++e->stamp;
    if (stamp == 0) { /* wrapped: old stamps could collide, clear them */
        if (d->stamp)
            memset(d->stamp, 0, (size_t)d->ecap * sizeof *d->stamp);
        stamp = e->stamp = 1;
    }
    uint32_t *out = e->idx;
    size_t n = 0;
    *plain_bytes = 0;
    /* Sorted batches repeat values in runs (a resource's attributes, the service name); a
     * repeat of the previous value skips the hash and the probe. */
    uint64_t prev = 0;
    const uint8_t *prev_p = NULL;
    uint32_t prev_len = UINT32_MAX, prev_id = 0;
    int have_prev = 0;
    for (uint32_t i = p0; i < p1;) {
        uint32_t b0, b1;
        next_span(rows, &i, p1, &b0, &b1);
        uint32_t v0 = val_at(ix, b0), v1 = val_at(ix, b1);
        if (v1 > v0)
            *plain_bytes += type == PT_INT32 ? 4 * (uint64_t)(v1 - v0)
                          : type == PT_BYTE_ARRAY ? 4 * (uint64_t)(v1 - v0) + (offs[v1] - offs[v0])
                          : 8 * (uint64_t)(v1 - v0);
        for (uint32_t k = v0; k < v1; k++) {
            uint32_t id;
            int r;
            switch (type) {
            case PT_INT32: {
                uint32_t x = pq_ld32(vals + (size_t)k * 4);
                if (have_prev && x == (uint32_t)prev) {
                    out[n++] = prev_id;
                    continue;
                }
                if ((r = dict_put_i32(d, x, maxb, &id)) != DICT_OK)
                    return r;
                if (d->stamp[id] != stamp) {
                    d->stamp[id] = stamp;
                    stats_int(st, (int32_t)x);
                }
                prev = x;
                break;
            }
            case PT_INT64: {
                uint64_t x = pq_ld64(vals + (size_t)k * 8);
                if (have_prev && x == prev) {
                    out[n++] = prev_id;
                    continue;
                }
                if ((r = dict_put_i64(d, x, maxb, &id)) != DICT_OK)
                    return r;
                if (d->stamp[id] != stamp) {
                    d->stamp[id] = stamp;
                    stats_int(st, (int64_t)x);
                }
                prev = x;
                break;
            }
            case PT_DOUBLE: {
                uint64_t x = pq_ld64(vals + (size_t)k * 8);
                double v;
                memcpy(&v, &x, 8);
                if (isnan(v))
                    st->nans++; /* counted per value, so before the run shortcut */
                if (have_prev && x == prev) {
                    out[n++] = prev_id;
                    continue;
                }
                if ((r = dict_put_i64(d, x, maxb, &id)) != DICT_OK)
                    return r;
                if (!isnan(v) && d->stamp[id] != stamp) {
                    d->stamp[id] = stamp;
                    stats_f64(st, v);
                }
                prev = x;
                break;
            }
            default: {
                uint32_t len = offs[k + 1] - offs[k];
                const uint8_t *p = vals + offs[k];
                if (len == prev_len && pq_bytes_eq(p, prev_p, len)) {
                    out[n++] = prev_id;
                    continue;
                }
                if ((r = dict_put_str(d, p, len, maxb, &id)) != DICT_OK)
                    return r;
                if (d->stamp[id] != stamp) {
                    d->stamp[id] = stamp;
                    stats_str(st, p, len);
                }
                prev_p = p;
                prev_len = len;
                break;
            }
            }
            have_prev = 1;
            prev_id = id;
            out[n++] = id;
            if (sample && n == DICT_SAMPLE && d->n == DICT_SAMPLE && nv > DICT_SAMPLE)
                return DICT_FULL;
        }
    }
    return DICT_OK;
}

static int add_page(pq_chunk_t *ch, const pq_page_t *pg)
{
    if (ch->npages == ch->pcap) {
        uint32_t cap = ch->pcap ? ch->pcap * 2 : 16;
        pq_page_t *p = realloc(ch->pages, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        ch->pages = p;
        ch->pcap = cap;
    }
    ch->pages[ch->npages++] = *pg;
    return 0;
}

/* Data pages from this size on decide the zstd level of their chunk, on a sample of that size
 * from their start. */
#define ZSTD_PROBE_BYTES ((size_t)64 << 10)

/* Compresses e->body and appends header and payload to dst. At zstd levels above 1, the first
 * data page of ZSTD_PROBE_BYTES or more of a chunk decides the level of the chunk's data
 * pages: its first ZSTD_PROBE_BYTES are compressed at the level asked for and at level 1, and
 * level 1 is kept when it came out no larger. Random ids (TraceId, SpanId as hex) come out
 * smaller and about twice as fast at level 1, where the longer match search only finds matches
 * not worth their cost; text keeps the level asked for. */
static int emit_page(pq_encoder_t *e, const column_t *col, buf_t *dst, int page_type,
                     uint32_t num_values, int encoding, uint64_t *hdr_plus_payload, err_t *err)
{
    char name[256];
    const uint8_t *payload = e->body.data;
    size_t plen = e->body.len;
    if (e->comp.codec != PQ_UNCOMPRESSED) {
        int data = page_type == PQ_PAGE_DATA;
        int rc = 0;
        if (data && e->zlevel == 0 && e->comp.codec == PQ_ZSTD && e->comp.level > 1 &&
            e->body.len >= ZSTD_PROBE_BYTES) {
            e->zalt.len = 0;
            rc = pq_compress_at(&e->comp, e->comp.level, e->body.data, ZSTD_PROBE_BYTES, &e->zalt, err);
            size_t asked = e->zalt.len;
            if (!rc)
                rc = pq_compress_at(&e->comp, 1, e->body.data, ZSTD_PROBE_BYTES, &e->zalt, err);
            e->zlevel = e->zalt.len - asked <= asked ? 1 : e->comp.level;
        }
        e->zbody.len = 0;
        if (rc || pq_compress_at(&e->comp, data && e->zlevel ? e->zlevel : e->comp.level, e->body.data,
                                 e->body.len, &e->zbody, err)) {
            schema_leaf_dotted(col->leaf, name, sizeof name);
            return err_prefix(err, "parquet: column %s", name);
        }
        payload = e->zbody.data;
        plen = e->zbody.len;
    }
    /* the offset index stores header plus payload in an i32: leave room for the header */
    if (e->body.len > INT32_MAX - 4096 || plen > INT32_MAX - 4096) {
        schema_leaf_dotted(col->leaf, name, sizeof name);
        return err_set(err, ERR_TOO_LARGE, "parquet: column %s: a page of %zu bytes passes the 2 GiB page limit",
                       name, e->body.len);
    }
    e->hdr.len = 0;
    if (pq_page_header(&e->hdr, page_type, (uint32_t)e->body.len, (uint32_t)plen, num_values, encoding) ||
        buf_reserve(dst, e->hdr.len + plen))
        return nomem(err, col);
    buf_append(dst, e->hdr.data, e->hdr.len);
    buf_append(dst, payload, plen);
    *hdr_plus_payload = e->hdr.len + plen;
    return 0;
}

int pq_chunk_write(pq_encoder_t *e, const column_t *col, const pq_colidx_t *ix,
                   const uint32_t *rows, uint32_t r0, uint32_t r1, buf_t *out, size_t file_base,
                   pq_chunk_t *ch, err_t *err)
{
    const schema_leaf_t *leaf = col->leaf;
    int type = leaf->type;
    memset(ch, 0, sizeof *ch);
    ch->column_index_ok = 1;
    e->zlevel = 0;
    int dict_mode = type != PT_BOOLEAN;
    int judged = 0; /* whether the dictionary has been weighed against PLAIN yet */
    int direct = 0; /* pages go straight into out: no dictionary page will precede them */
    dict_reset(&e->dict, type);
    e->data.len = 0;
    int bw_def = rle_bit_width(leaf->max_def), bw_rep = rle_bit_width(leaf->max_rep);
    int lvl_bits = bw_def + bw_rep;

    for (uint32_t p0 = r0; p0 < r1;) {
        uint64_t nl, nv;
        uint32_t p1 = page_extent(e, col, ix, rows, p0, r1, dict_mode, lvl_bits, &nl, &nv);
        if (nl > PAGE_MAX_LEVELS) {
            char name[256];
            schema_leaf_dotted(leaf, name, sizeof name);
            return err_set(err, ERR_TOO_LARGE, "parquet: column %s: one row holds %llu entries, more than a page takes",
                           name, (unsigned long long)nl);
        }
        pq_page_t pg;
        memset(&pg, 0, sizeof pg);
        pg.first_row = p0 - r0;
        pg.nvals = (uint32_t)nv;
        pg.st.nulls = nl - nv;
        e->body.len = 0;
        const uint8_t *def = NULL, *rep = NULL;
        if (page_levels(e, col, ix, rows, p0, p1, &def, &rep))
            return nomem(err, col);
        if (leaf->max_rep && rle_encode_levels(&e->body, rep, (size_t)nl, bw_rep))
            return nomem(err, col);
        if (leaf->max_def && rle_encode_levels(&e->body, def, (size_t)nl, bw_def))
            return nomem(err, col);
        int enc = PQ_ENC_PLAIN;
        if (dict_mode) {
            uint32_t n0 = e->dict.n;
            size_t plain0 = e->dict.plain.len;
            uint64_t plain_bytes;
            int r = dict_values(e, col, ix, rows, p0, p1, nv, !judged, &pg.st, &plain_bytes);
            if (r == DICT_NOMEM)
                return nomem(err, col);
            int bw = e->dict.n > 1 ? rle_bit_width(e->dict.n - 1) : 1; /* width 0 is legal, not safe */
            if (r == DICT_OK && !judged && nv > 0) {
                /* The first page with values decides, as PLAIN pages usually compress better
                 * than a dictionary of mostly unique values plus its indexes. No earlier page
                 * refers to the dictionary, so dropping it is free. */
                judged = 1;
                if (e->dict.plain.len + (nv * (uint64_t)bw + 7) / 8 >= plain_bytes)
                    r = DICT_FULL;
            }
            if (r == DICT_FULL) {
                /* Pages already written keep their indexes into the entries before this
                 * page; this page and the rest of the chunk go PLAIN. */
                dict_truncate(&e->dict, n0, plain0);
                dict_mode = 0;
                continue;
            }
            if (e->dict.n > 0) {
                if (buf_put_u8(&e->body, (uint8_t)bw) || rle_encode_u32(&e->body, e->idx, (size_t)nv, bw))
                    return nomem(err, col);
                enc = PQ_ENC_RLE_DICTIONARY;
            }
        } else if (plain_values(e, col, ix, rows, p0, p1, &pg.st))
            return nomem(err, col);

        if (!dict_mode && e->dict.n == 0 && e->data.len == 0)
            direct = 1; /* saves copying the chunk: big chunks are the PLAIN ones */
        buf_t *dst = direct ? out : &e->data;
        uint64_t size;
        pg.offset = direct ? out->len - file_base : e->data.len;
        uint64_t body_len = e->body.len;
        if (emit_page(e, col, dst, PQ_PAGE_DATA, (uint32_t)nl, enc, &size, err))
            return -1;
        pg.size = (uint32_t)size;
        ch->uncompressed += e->hdr.len + body_len;
        ch->compressed += size;
        ch->num_values += nl;
        if (enc == PQ_ENC_RLE_DICTIONARY)
            ch->dict_data_pages++;
        else
            ch->plain_data_pages++;
        if (nv > 0 && !pg.st.has)
            ch->column_index_ok = 0;
        stats_merge(&ch->st, &pg.st, type);
        if (add_page(ch, &pg))
            return nomem(err, col);
        p0 = p1;
    }
    if (direct) {
        ch->data_offset = ch->npages ? ch->pages[0].offset : out->len - file_base;
        return 0;
    }

    if (e->dict.n > 0) {
        /* the dictionary page body is the PLAIN encoding of the entries, built as they came */
        buf_t saved = e->body;
        e->body = e->dict.plain;
        uint64_t size;
        size_t at = out->len;
        int r = emit_page(e, col, out, PQ_PAGE_DICTIONARY, e->dict.n, PQ_ENC_PLAIN, &size, err);
        uint64_t body_len = e->body.len;
        e->dict.plain = e->body;
        e->body = saved;
        if (r)
            return -1;
        ch->dict_offset = at - file_base;
        ch->dict_entries = e->dict.n;
        ch->uncompressed += e->hdr.len + body_len;
        ch->compressed += size;
    }
    ch->data_offset = out->len - file_base;
    for (uint32_t p = 0; p < ch->npages; p++)
        ch->pages[p].offset += ch->data_offset;
    if (buf_append(out, e->data.data, e->data.len))
        return nomem(err, col);
    return 0;
}
