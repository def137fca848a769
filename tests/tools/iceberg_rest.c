/* iceberg_rest: runs the REST catalog client's steps for the end-to-end tests, configured like
 * the program (OTLP2PARQUET_ICEBERG_* / ICEBERG_* in the environment):
 *   iceberg_rest [--ns PART]... [--table NAME|all]... [--load-only]
 *                [--commit MANIFEST_LIST --snapshot-id N [--assert-snapshot-id N|none]
 *                 [--sequence-number N] [--table-uuid U]]
 * config, ensure the namespace (--ns parts, else ICEBERG_NAMESPACE split at '.'), ensure each
 * table (create unless there), then prints what was parsed as one JSON object on stdout.
 * --commit commits one append snapshot to the (single) table given. Exit: 0 ok, 1 error,
 * 3 commit conflict (409), 4 commit outcome unknown. Secrets from config values are masked. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "iceberg/manifest.h"
#include "iceberg/rest.h"
#include "net/http_client.h"
#include "table/tables.h"

static json_t *props_json(const rest_props_t *p)
{
    json_t *o = json_object();
    for (size_t i = 0; i < p->n; i++) {
        const char *k = p->v[i].key;
        int secret = strstr(k, "secret") || strstr(k, "token") || strstr(k, "credential");
        json_object_set_new(o, k, json_string(secret ? "***" : p->v[i].value));
    }
    return o;
}

static json_t *i64j(int64_t v) { return v < 0 ? json_null() : json_integer(v); }

static json_t *table_json(const rest_table_t *t, int created)
{
    json_t *o = json_object(), *pf = json_array();
    json_object_set_new(o, "created", json_boolean(created));
    json_object_set_new(o, "metadata-location", json_string(t->metadata_location));
    json_object_set_new(o, "format-version", json_integer(t->format_version));
    json_object_set_new(o, "table-uuid", json_string(t->table_uuid));
    json_object_set_new(o, "location", json_string(t->location));
    json_object_set_new(o, "last-sequence-number", json_integer(t->last_sequence_number));
    json_object_set_new(o, "last-column-id", json_integer(t->last_column_id));
    json_object_set_new(o, "current-snapshot-id", i64j(t->current_snapshot_id));
    json_object_set_new(o, "main-snapshot-id", i64j(t->main_snapshot_id));
    json_object_set_new(o, "manifest-list", json_string(t->manifest_list));
    json_object_set_new(o, "snapshot-sequence-number", json_integer(t->snapshot_sequence_number));
    json_object_set_new(o, "total-records", json_integer(t->total_records));
    json_object_set_new(o, "current-schema-id", json_integer(t->current_schema_id));
    json_object_set_new(o, "default-spec-id", json_integer(t->default_spec_id));
    json_object_set_new(o, "default-sort-order-id", json_integer(t->default_sort_order_id));
    for (int i = 0; i < t->npart_fields; i++) {
        json_t *f = json_object();
        json_object_set_new(f, "source-id", json_integer(t->part_fields[i].source_id));
        json_object_set_new(f, "field-id", json_integer(t->part_fields[i].field_id));
        json_object_set_new(f, "name", json_string(t->part_fields[i].name));
        json_object_set_new(f, "transform", json_string(t->part_fields[i].transform));
        json_array_append_new(pf, f);
    }
    json_object_set_new(o, "partition-fields", pf);
    json_t *snaps = json_array();
    for (size_t i = 0; i < t->nsnapshots; i++) {
        const rest_snapshot_t *sn = &t->snapshots[i];
        json_t *f = json_object();
        json_object_set_new(f, "snapshot-id", json_integer(sn->snapshot_id));
        json_object_set_new(f, "parent-snapshot-id", i64j(sn->parent_id));
        json_object_set_new(f, "sequence-number", json_integer(sn->sequence_number));
        json_object_set_new(f, "timestamp-ms", json_integer(sn->timestamp_ms));
        json_object_set_new(f, "manifest-list", json_string(sn->manifest_list));
        json_object_set_new(f, "found", json_boolean(rest_table_snapshot(t, sn->snapshot_id) == sn));
        json_array_append_new(snaps, f);
    }
    json_object_set_new(o, "snapshots", snaps);
    json_object_set_new(o, "config", props_json(&t->config));
    return o;
}

static int fail(const err_t *e)
{
    fprintf(stderr, "iceberg_rest: %s\n", e->msg);
    return 1;
}

int main(int argc, char **argv)
{
    const char *tables[TABLE_COUNT + 1];
    int ntables = 0, load_only = 0;
    rest_ns_t ns = {0};
    const char *commit_ml = NULL, *uuid = NULL;
    int64_t snap_id = 0, assert_id = -2, seq = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--load-only")) {
            load_only = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "iceberg_rest: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--ns") && ns.nparts < REST_NS_MAX_PARTS)
            snprintf(ns.parts[ns.nparts++], sizeof ns.parts[0], "%s", v);
        else if (!strcmp(a, "--table") && !strcmp(v, "all"))
            for (int t = 0; t < TABLE_COUNT && ntables < TABLE_COUNT; t++)
                tables[ntables++] = tables_all[t]->name;
        else if (!strcmp(a, "--table") && ntables < TABLE_COUNT)
            tables[ntables++] = v;
        else if (!strcmp(a, "--commit"))
            commit_ml = v;
        else if (!strcmp(a, "--snapshot-id"))
            snap_id = strtoll(v, NULL, 10);
        else if (!strcmp(a, "--assert-snapshot-id"))
            assert_id = !strcmp(v, "none") ? -1 : strtoll(v, NULL, 10);
        else if (!strcmp(a, "--sequence-number"))
            seq = strtoll(v, NULL, 10);
        else if (!strcmp(a, "--table-uuid"))
            uuid = v;
        else {
            fprintf(stderr, "iceberg_rest: unknown flag %s\n", a);
            return 2;
        }
    }
    err_t err = {0};
    config_t cfg;
    if (tables_init() || http_client_global_init(&err) || config_load(&cfg, NULL, NULL, 0, &err))
        return fail(&err);
    if (ns.nparts == 0 && rest_ns_from_dotted(&ns, cfg.iceberg_namespace, &err))
        return fail(&err);
    rest_catalog_t *c = rest_catalog_open(&cfg, &err);
    if (!c)
        return fail(&err);
    json_t *out = json_object(), *cat = json_object(), *tj = json_object();
    json_object_set_new(cat, "prefix", json_string(rest_catalog_prefix(c)));
    json_object_set_new(cat, "auth", json_string(rest_catalog_auth(c)));
    json_object_set_new(cat, "props", props_json(rest_catalog_props(c)));
    json_object_set_new(out, "catalog", cat);
    json_object_set_new(out, "tables", tj);
    int rc = 0;
    if (!load_only && rest_ensure_namespace(c, &ns, &err))
        rc = fail(&err);
    rest_table_t last = {0};
    for (int t = 0; t < ntables && rc == 0; t++) {
        const table_schema_t *s = table_by_name(tables[t]);
        ice_partition_spec_t spec;
        int created = 0;
        rest_table_t tm = {0};
        if (!s) {
            err_set(&err, ERR_CONFIG, "unknown table %s", tables[t]);
            rc = fail(&err);
        } else if (ice_partition_spec_parse(cfg.iceberg_partition, s, &spec, &err)) {
            rc = fail(&err);
        } else if (load_only ? rest_load_table(c, &ns, s->name, &tm, &err)
                             : rest_ensure_table(c, &ns, s, &spec, &tm, &created, &err)) {
            rc = fail(&err);
        } else {
            json_object_set_new(tj, s->name, table_json(&tm, created));
        }
        rest_table_free(&last);
        last = tm;
    }
    if (rc == 0 && commit_ml) {
        if (ntables != 1) {
            fprintf(stderr, "iceberg_rest: --commit needs exactly one --table\n");
            rc = 2;
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            rest_commit_t cm = {
                .table_uuid = uuid ? uuid : last.table_uuid,
                .assert_snapshot_id = assert_id == -2 ? last.main_snapshot_id : assert_id,
                .snapshot_id = snap_id,
                .parent_snapshot_id = last.current_snapshot_id,
                .sequence_number = seq >= 0 ? seq : last.last_sequence_number + 1,
                .timestamp_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                .schema_id = last.current_schema_id,
                .manifest_list = commit_ml,
            };
            rest_table_t nt = {0};
            rest_commit_rc_t cr = rest_commit(c, &ns, tables[0], &cm, &nt, &err);
            static const char *const names[] = {"ok", "conflict", "unknown", "failed"};
            json_t *cj = json_object();
            json_object_set_new(cj, "result", json_string(names[cr]));
            if (cr == REST_COMMIT_OK)
                json_object_set_new(cj, "table", table_json(&nt, 0));
            else
                json_object_set_new(cj, "error", json_string(err.msg));
            json_object_set_new(out, "commit", cj);
            if (cr != REST_COMMIT_OK)
                fprintf(stderr, "iceberg_rest: %s\n", err.msg);
            rc = cr == REST_COMMIT_OK ? 0 : cr == REST_COMMIT_CONFLICT ? 3 : cr == REST_COMMIT_UNKNOWN ? 4 : 1;
            rest_table_free(&nt);
        }
    }
    rest_table_free(&last);
    char *text = json_dumps(out, JSON_INDENT(1));
    if (text)
        puts(text);
    free(text);
    json_decref(out);
    rest_catalog_close(c);
    http_client_global_cleanup();
    return rc;
}
