/* The REST client's parse of a LoadTableResult (rest_table_parse_json): the table's snapshots
 * for ancestry checks, and hostile metadata rejected with the field named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "iceberg/rest.h"

#define HEAD                                                                                               \
    "{\"metadata-location\":\"s3://b/t/metadata/00002.metadata.json\",\"metadata\":{\"format-version\":2," \
    "\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\",\"location\":\"s3://b/t\","                 \
    "\"last-sequence-number\":2,\"last-column-id\":20,\"current-schema-id\":0,\"default-spec-id\":0,"     \
    "\"partition-specs\":[{\"spec-id\":0,\"fields\":[{\"name\":\"Timestamp_day\",\"transform\":\"day\","   \
    "\"source-id\":1,\"field-id\":1000}]}],\"default-sort-order-id\":1,"

static int parse(const char *json, rest_table_t *t, err_t *err) { return rest_table_parse_json(json, strlen(json), t, err); }

TEST(snapshots_parsed)
{
    const char *json = HEAD "\"current-snapshot-id\":7,\"refs\":{\"main\":{\"snapshot-id\":7,\"type\":\"branch\"}},"
                            "\"snapshots\":[{\"snapshot-id\":5,\"sequence-number\":1,\"timestamp-ms\":1764806400000,"
                            "\"manifest-list\":\"s3://b/t/metadata/snap-5.avro\",\"summary\":{\"operation\":\"append\"}},"
                            "{\"snapshot-id\":7,\"parent-snapshot-id\":5,\"sequence-number\":2,\"timestamp-ms\":1764806460000,"
                            "\"manifest-list\":\"s3://b/t/metadata/snap-7.avro\",\"summary\":{\"operation\":\"append\","
                            "\"total-records\":\"42\"},\"schema-id\":0},"
                            "{\"snapshot-id\":9,\"parent-snapshot-id\":null,\"timestamp-ms\":-1,\"manifest-list\":\"\"}]}}";
    rest_table_t t = {0};
    err_t err = {0};
    rest_table_free(&t); /* a zeroed table is fine to free */
    CHECK_EQ_INT(parse(json, &t, &err), 0);
    CHECK_EQ_INT(t.nsnapshots, 3);
    CHECK_EQ_INT(t.current_snapshot_id, 7);
    CHECK_EQ_INT(t.main_snapshot_id, 7);
    CHECK_EQ_STR(t.manifest_list, "s3://b/t/metadata/snap-7.avro");
    CHECK_EQ_INT(t.total_records, 42);
    const rest_snapshot_t *s = rest_table_snapshot(&t, 7);
    CHECK(s != NULL);
    CHECK_EQ_INT(s->parent_id, 5);
    CHECK_EQ_INT(s->sequence_number, 2);
    CHECK_EQ_INT(s->timestamp_ms, 1764806460000LL);
    CHECK_EQ_STR(s->manifest_list, "s3://b/t/metadata/snap-7.avro");
    s = rest_table_snapshot(&t, s->parent_id);
    CHECK(s != NULL && s == &t.snapshots[0]);
    CHECK_EQ_INT(s->parent_id, -1);
    CHECK_EQ_INT(s->sequence_number, 1);
    CHECK_EQ_STR(s->manifest_list, "s3://b/t/metadata/snap-5.avro");
    s = rest_table_snapshot(&t, 9);
    CHECK(s != NULL);
    CHECK_EQ_INT(s->parent_id, -1);
    CHECK_EQ_INT(s->sequence_number, 0); /* absent (format 1) */
    CHECK_EQ_STR(s->manifest_list, "");
    CHECK(rest_table_snapshot(&t, 6) == NULL);
    CHECK(rest_table_snapshot(&t, -1) == NULL);

    /* parsed again into the same table: the old snapshots are freed, none now */
    CHECK_EQ_INT(parse(HEAD "\"current-snapshot-id\":-1,\"snapshots\":[]}}", &t, &err), 0);
    CHECK_EQ_INT(t.nsnapshots, 0);
    CHECK(t.snapshots == NULL);
    CHECK(rest_table_snapshot(&t, 7) == NULL);
    CHECK_EQ_INT(parse(HEAD "\"snapshots\":null}}", &t, &err), 0);
    CHECK_EQ_INT(parse(HEAD "\"refs\":{}}}", &t, &err), 0);
    CHECK_EQ_INT(t.nsnapshots, 0);
    CHECK_EQ_INT(t.main_snapshot_id, -1);
    rest_table_free(&t);
    rest_table_free(&t); /* twice is fine */
}

/* One hostile snapshots array: -1, ERR_UNAVAILABLE, the message holding want. */
static int rejects(const char *snapshots, const char *want)
{
    char json[8192];
    snprintf(json, sizeof json, HEAD "\"snapshots\":%s}}", snapshots);
    rest_table_t t = {0};
    err_t err = {0};
    int rc = parse(json, &t, &err);
    int ok = rc == -1 && err.code == ERR_UNAVAILABLE && strstr(err.msg, want) != NULL;
    if (!ok)
        printf("    %s -> %d \"%s\", want \"%s\"\n", snapshots, rc, err.msg, want);
    rest_table_free(&t);
    return ok;
}

TEST(hostile_snapshots)
{
    CHECK(rejects("{}", "metadata.snapshots is not an array"));
    CHECK(rejects("[7]", "metadata.snapshots[0] is not an object"));
    CHECK(rejects("[{\"snapshot-id\":1,\"timestamp-ms\":1,\"manifest-list\":\"a\"},{\"timestamp-ms\":1}]",
                  "metadata.snapshots[1].snapshot-id is missing"));
    CHECK(rejects("[{\"snapshot-id\":\"1\",\"timestamp-ms\":1,\"manifest-list\":\"a\"}]",
                  "metadata.snapshots[0].snapshot-id is not an integer"));
    CHECK(rejects("[{\"snapshot-id\":1,\"manifest-list\":\"a\"}]", "metadata.snapshots[0].timestamp-ms is missing"));
    CHECK(rejects("[{\"snapshot-id\":1,\"timestamp-ms\":1.5,\"manifest-list\":\"a\"}]",
                  "metadata.snapshots[0].timestamp-ms is not an integer"));
    CHECK(rejects("[{\"snapshot-id\":1,\"timestamp-ms\":1}]", "metadata.snapshots[0].manifest-list is missing"));
    CHECK(rejects("[{\"snapshot-id\":1,\"timestamp-ms\":1,\"manifest-list\":[]}]",
                  "metadata.snapshots[0].manifest-list is not a string"));
    CHECK(rejects("[{\"snapshot-id\":1,\"timestamp-ms\":1,\"manifest-list\":\"a\",\"parent-snapshot-id\":\"0\"}]",
                  "metadata.snapshots[0].parent-snapshot-id is not an integer"));
    CHECK(rejects("[{\"snapshot-id\":1,\"timestamp-ms\":1,\"manifest-list\":\"a\",\"sequence-number\":true}]",
                  "metadata.snapshots[0].sequence-number is not an integer"));

    /* a manifest list of 4096 bytes is taken, 4097 not */
    char snaps[6000], *ml = malloc(REST_MAX_MANIFEST_LIST + 2);
    CHECK(ml != NULL);
    memset(ml, 'm', REST_MAX_MANIFEST_LIST + 1);
    ml[REST_MAX_MANIFEST_LIST + 1] = 0;
    snprintf(snaps, sizeof snaps, "[{\"snapshot-id\":1,\"timestamp-ms\":1,\"manifest-list\":\"%s\"}]", ml);
    int too_long = rejects(snaps, "metadata.snapshots[0].manifest-list is longer than 4096 bytes");
    ml[REST_MAX_MANIFEST_LIST] = 0;
    snprintf(snaps, sizeof snaps, HEAD "\"snapshots\":[{\"snapshot-id\":1,\"timestamp-ms\":1,\"manifest-list\":\"%s\"}]}}", ml);
    rest_table_t t = {0};
    err_t err = {0};
    int rc = parse(snaps, &t, &err);
    int fits = rc == 0 && t.nsnapshots == 1 && strlen(t.snapshots[0].manifest_list) == REST_MAX_MANIFEST_LIST;
    rest_table_free(&t);
    free(ml);
    CHECK(too_long);
    CHECK(fits);
}

TEST(too_many_snapshots)
{
    /* REST_MAX_SNAPSHOTS + 1 entries are refused before anything is allocated for them */
    size_t n = REST_MAX_SNAPSHOTS + 1, cap = strlen(HEAD) + 2 * n + 16;
    char *json = malloc(cap);
    CHECK(json != NULL);
    size_t at = (size_t)snprintf(json, cap, HEAD "\"snapshots\":[");
    for (size_t i = 0; i < n; i++) {
        json[at++] = '0';
        json[at++] = i + 1 < n ? ',' : ']';
    }
    memcpy(json + at, "}}", 3);
    rest_table_t t = {0};
    err_t err = {0};
    int rc = rest_table_parse_json(json, at + 2, &t, &err);
    free(json);
    CHECK_EQ_INT(rc, -1);
    CHECK(strstr(err.msg, "metadata.snapshots has 1000001 entries, more than 1000000") != NULL);
    CHECK(t.snapshots == NULL);
    rest_table_free(&t);
}

TEST(not_a_table)
{
    rest_table_t t = {0};
    err_t err = {0};
    CHECK_EQ_INT(parse("{\"metadata\":{\"format-version\":2", &t, &err), -1);
    CHECK(strstr(err.msg, "not JSON") != NULL);
    CHECK_EQ_INT(parse("[]", &t, &err), -1);
    CHECK(strstr(err.msg, "not a JSON object") != NULL);
    CHECK_EQ_INT(parse("{}", &t, &err), -1);
    CHECK(strstr(err.msg, "metadata is missing") != NULL);
    /* current-snapshot-id must be among the snapshots */
    CHECK_EQ_INT(parse(HEAD "\"current-snapshot-id\":3,\"snapshots\":[{\"snapshot-id\":1,\"timestamp-ms\":1,"
                            "\"manifest-list\":\"a\"}]}}",
                       &t, &err),
                 -1);
    CHECK(strstr(err.msg, "current snapshot 3 is not in snapshots") != NULL);
    rest_table_free(&t);
}

RUN_TESTS(T(snapshots_parsed), T(hostile_snapshots), T(too_many_snapshots), T(not_a_table))
