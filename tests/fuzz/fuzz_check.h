/* What every OTLP decoder fuzz target asserts of a batch, besides the sanitizers' checks:
 *   - every leaf starts exactly one entry per row at repetition level 0;
 *   - levels stay within the leaf's maxima, and a repeated entry (rep r > 0) is at least as
 *     defined as the list it repeats (def >= r);
 *   - the number of values matches the entries defined to the leaf's maximum;
 *   - leaves under the same top-level field agree on the shape they share: projected onto
 *     their deepest common list (level r, entries with rep <= r, def capped at r), their level
 *     sequences are identical (every event has a Timestamp, a Name and a map; a map's key and
 *     value leaves have the same entries);
 *   - string values are valid UTF-8 and their offsets end at the value bytes;
 *   - id columns (TraceId, SpanId, ParentSpanId) hold lowercase hex of 0 or 32 / 16 digits.
 * Each check stops the run (abort) with what was broken. */
#ifndef OTLP2PARQUET_FUZZ_CHECK_H
#define OTLP2PARQUET_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/column.h"
#include "util/err.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

/* UBSan findings stop the run even when started by hand without UBSAN_OPTIONS (the fuzz build
 * lets undefined-behaviour checks recover, so they would otherwise only be printed). */
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }

static inline void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static inline uint8_t fc_rep(const column_t *c, uint32_t i) { return c->leaf->max_rep ? c->rep.data[i] : 0; }
static inline uint8_t fc_def(const column_t *c, uint32_t i) { return c->leaf->max_def ? c->def.data[i] : 0; }

/* The two leaves' level sequences projected onto their deepest common list level r. */
static inline void check_same_shape(const column_t *a, const column_t *b)
{
    uint8_t r = a->leaf->max_rep < b->leaf->max_rep ? a->leaf->max_rep : b->leaf->max_rep;
    uint32_t i = 0, j = 0;
    for (;;) {
        while (i < a->nlevels && fc_rep(a, i) > r)
            i++;
        while (j < b->nlevels && fc_rep(b, j) > r)
            j++;
        if (i == a->nlevels || j == b->nlevels) {
            check(i == a->nlevels && j == b->nlevels, "sibling leaves have as many entries");
            return;
        }
        uint8_t da = fc_def(a, i) < r ? fc_def(a, i) : r, db = fc_def(b, j) < r ? fc_def(b, j) : r;
        check(fc_rep(a, i) == fc_rep(b, j) && da == db, "sibling leaves have the same shape");
        i++;
        j++;
    }
}

static inline int fc_is_id(const schema_leaf_t *l, size_t *want)
{
    const char *name = l->path[l->depth - 1];
    if (l->type != PT_BYTE_ARRAY)
        return 0;
    if (strcmp(name, "TraceId") == 0)
        *want = 32;
    else if (strcmp(name, "SpanId") == 0 || strcmp(name, "ParentSpanId") == 0)
        *want = 16;
    else
        return 0;
    return 1;
}

static inline void check_batch(const table_batch_t *b)
{
    const table_schema_t *s = b->schema;
    for (int l = 0; l < s->nleaves; l++) {
        const column_t *c = &b->cols[l];
        uint32_t starts = 0, present = 0;
        for (uint32_t i = 0; i < c->nlevels; i++) {
            uint8_t rep = fc_rep(c, i), def = fc_def(c, i);
            check(rep <= c->leaf->max_rep && def <= c->leaf->max_def, "levels within the maxima");
            check(rep == 0 || def >= rep, "a repeated entry is defined as deep as its list");
            starts += rep == 0;
            present += def == c->leaf->max_def;
        }
        check(starts == b->nrows, "one entry (or list/map start) per row");
        check(present == c->nvals, "values match definition levels");
        if (c->leaf->type == PT_BYTE_ARRAY && c->nvals) {
            const uint32_t *o = (const uint32_t *)c->offs.data;
            check(o[c->nvals] == c->vals.len, "offsets end at the value bytes");
            check(utf8_valid(c->vals.data, c->vals.len), "strings are UTF-8");
            size_t want;
            if (fc_is_id(c->leaf, &want))
                for (uint32_t v = 0; v < c->nvals; v++) {
                    uint32_t n = o[v + 1] - o[v];
                    check(n == 0 || n == want, "ids have 0 or the full number of hex digits");
                    for (uint32_t k = o[v]; k < o[v + 1]; k++) {
                        uint8_t ch = c->vals.data[k];
                        check((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'), "ids are lowercase hex");
                    }
                }
        }
        for (int m = l + 1; m < s->nleaves; m++)
            if (s->leaves[m].path[0] == c->leaf->path[0])
                check_same_shape(c, &b->cols[m]);
    }
}

/* Each value of a string leaf is one of the allowed texts. */
static inline void check_vocabulary(const column_t *c, const char *const *allowed, size_t nallowed, const char *what)
{
    const uint32_t *o = (const uint32_t *)c->offs.data;
    for (uint32_t v = 0; v < c->nvals; v++) {
        size_t n = o[v + 1] - o[v];
        int found = 0;
        for (size_t k = 0; k < nallowed && !found; k++)
            found = strlen(allowed[k]) == n && memcmp(allowed[k], c->vals.data + o[v], n) == 0;
        check(found, what);
    }
}

/* The checks of a failed decode: an error code the caller maps to 400/413/503, a UTF-8 message. */
static inline void check_error(int rc, const err_t *err)
{
    check(rc == -1, "-1 on error");
    check(err->code == ERR_INVALID || err->code == ERR_NOMEM || err->code == ERR_TOO_LARGE, "error code");
    check(err->msg[0] != 0, "error message");
    check(utf8_valid(err->msg, strlen(err->msg)), "error message is UTF-8");
}

#endif
