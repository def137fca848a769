/* libFuzzer target: arbitrary bytes as a LoadTableResult into the REST client's table parse
 * (rest_table_parse_json), twice into one table as a reload does. Besides the sanitizers'
 * checks: every failure carries a code and a message, and a parsed table keeps the bounds
 * rest.h promises (snapshot count, manifest-list lengths, lookups that find each snapshot). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/rest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_rest_table: %s\n", what);
    abort();
}

static void check(const rest_table_t *t, int rc, const err_t *err)
{
    if (rc) {
        if (err->code == ERR_NONE || !err->msg[0])
            fail("an error without a code or message");
        return;
    }
    if (t->nsnapshots > REST_MAX_SNAPSHOTS || (t->nsnapshots && !t->snapshots))
        fail("a snapshot count out of bounds");
    for (size_t i = 0; i < t->nsnapshots; i++) {
        const rest_snapshot_t *s = &t->snapshots[i], *found = rest_table_snapshot(t, s->snapshot_id);
        if (!s->manifest_list || strlen(s->manifest_list) > REST_MAX_MANIFEST_LIST)
            fail("a manifest list missing or too long");
        if (!found || found > s || found->snapshot_id != s->snapshot_id)
            fail("a snapshot its id does not find");
    }
    if (t->current_snapshot_id >= 0 && !rest_table_snapshot(t, t->current_snapshot_id))
        fail("a current snapshot that is not listed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rest_table_t t = {0};
    err_t err;
    for (int pass = 0; pass < 2; pass++) {
        err_clear(&err);
        int rc = rest_table_parse_json((const char *)data, size, &t, &err);
        check(&t, rc, &err);
    }
    rest_table_free(&t);
    if (t.snapshots || t.nsnapshots)
        fail("a freed table that still lists snapshots");
    return 0;
}
