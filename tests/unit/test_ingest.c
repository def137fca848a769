/* The ingest pipeline against an in-memory storage that can be told to fail: partition buffers
 * (row limit, partitions, the cap, a request too big to buffer), flush failures that keep the
 * rows and are retried exactly once, the timer (age flush, retry with backoff), storage probes,
 * immediate mode, many threads at once; plus the sort of flush.c and content detection. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ingest/content.h"
#include "ingest/flush.h"
#include "ingest/ingest.h"
#include "otlp/pb.h"
#include "table/tables.h"
#include "util/log.h"

/* --- an in-memory storage ------------------------------------------------------------------ */

#define MAX_OBJECTS 4096

typedef struct {
    storage_t base;
    pthread_mutex_t mu;
    int fail_put;   /* puts fail (ERR_UNAVAILABLE) while set */
    int fail_ready; /* ready fails while set */
    int lose_answer; /* puts store the object, then report a failure (the answer was lost) */
    int puts, failed_puts, dels, readies;
    int nobj;
    char keys[MAX_OBJECTS][160];
    size_t sizes[MAX_OBJECTS];
} mem_t;

static int mem_put(storage_t *s, const char *key, const uint8_t *d, size_t n, err_t *e)
{
    (void)d;
    mem_t *m = (mem_t *)s;
    pthread_mutex_lock(&m->mu);
    int rc = 0;
    m->puts++;
    int have = -1; /* a put to an existing key replaces the object, as S3 and rename do */
    for (int i = 0; i < m->nobj; i++)
        if (!strcmp(m->keys[i], key))
            have = i;
    if (m->fail_put || (have < 0 && m->nobj == MAX_OBJECTS)) {
        m->failed_puts++;
        rc = err_set(e, ERR_UNAVAILABLE, "mem: put %s refused", key);
    } else {
        if (have < 0) {
            have = m->nobj++;
            snprintf(m->keys[have], sizeof m->keys[0], "%s", key);
        }
        m->sizes[have] = n;
        if (m->lose_answer) {
            m->failed_puts++;
            rc = err_set(e, ERR_UNAVAILABLE, "mem: put %s: connection reset", key);
        }
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int mem_del(storage_t *s, const char *key, err_t *e)
{
    (void)e;
    mem_t *m = (mem_t *)s;
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->nobj; i++)
        if (!strcmp(m->keys[i], key)) {
            memmove(m->keys[i], m->keys[i + 1], (size_t)(m->nobj - i - 1) * sizeof m->keys[0]);
            memmove(&m->sizes[i], &m->sizes[i + 1], (size_t)(m->nobj - i - 1) * sizeof m->sizes[0]);
            m->nobj--;
            m->dels++;
            break;
        }
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static int mem_ready(storage_t *s, err_t *e)
{
    mem_t *m = (mem_t *)s;
    pthread_mutex_lock(&m->mu);
    int f = m->fail_ready;
    m->readies++;
    pthread_mutex_unlock(&m->mu);
    return f ? err_set(e, ERR_UNAVAILABLE, "mem: not ready") : 0;
}

static void mem_describe(storage_t *s, const char *key, char *out, size_t n)
{
    (void)s;
    snprintf(out, n, "mem:%s", key);
}

static void mem_destroy(storage_t *s) { (void)s; }

static const storage_ops_t mem_ops = {
    .put = mem_put, .del = mem_del, .ready = mem_ready, .describe = mem_describe, .destroy = mem_destroy};

static mem_t *mem_new(void)
{
    mem_t *m = calloc(1, sizeof *m);
    m->base.ops = &mem_ops;
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

static void mem_set(mem_t *m, int *field, int v)
{
    pthread_mutex_lock(&m->mu);
    *field = v;
    pthread_mutex_unlock(&m->mu);
}

static int mem_get(mem_t *m, const int *field)
{
    pthread_mutex_lock(&m->mu);
    int v = *field;
    pthread_mutex_unlock(&m->mu);
    return v;
}

static void mem_free(mem_t *m)
{
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* Objects whose key contains s. */
static int mem_count(mem_t *m, const char *s)
{
    pthread_mutex_lock(&m->mu);
    int n = 0;
    for (int i = 0; i < m->nobj; i++)
        n += strstr(m->keys[i], s) != NULL;
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* --- requests ------------------------------------------------------------------------------ */

static void w_varint(buf_t *b, uint64_t v)
{
    while (v >= 0x80) {
        buf_put_u8(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    buf_put_u8(b, (uint8_t)v);
}
static void w_len(buf_t *b, uint32_t num, const void *p, size_t n)
{
    w_varint(b, (uint64_t)num << 3 | PB_LEN);
    w_varint(b, n);
    buf_append(b, p, n);
}
static void w_str(buf_t *b, uint32_t num, const char *s) { w_len(b, num, s, strlen(s)); }
static void w_fixed64(buf_t *b, uint32_t num, uint64_t v)
{
    w_varint(b, (uint64_t)num << 3 | PB_I64);
    buf_put_u64le(b, v);
}
static void w_msg(buf_t *b, uint32_t num, buf_t *m)
{
    w_len(b, num, m->data ? m->data : (const uint8_t *)"", m->len);
    buf_free(m);
}

#define HOUR_NS 3600000000000ULL
#define BASE_NS 1796076000000000000ULL /* 2026-11-30T22:00:00Z */

/* ExportLogsServiceRequest: one resource (service.name = svc), n records at t0_ns + i µs. */
static void logs_request(buf_t *out, const char *svc, int n, uint64_t t0_ns, const char *tag)
{
    buf_t rl = {0}, res = {0}, kv = {0}, av = {0}, sl = {0};
    w_str(&av, 1, svc);
    w_str(&kv, 1, "service.name");
    w_msg(&kv, 2, &av);
    w_msg(&res, 1, &kv);
    w_msg(&rl, 1, &res);
    for (int i = 0; i < n; i++) {
        buf_t rec = {0}, body = {0};
        char text[64];
        snprintf(text, sizeof text, "%s-%05d", tag, i);
        w_fixed64(&rec, 1, t0_ns + (uint64_t)i * 1000);
        w_str(&body, 1, text);
        w_msg(&rec, 5, &body);
        w_msg(&sl, 2, &rec);
    }
    w_msg(&rl, 2, &sl);
    buf_clear(out);
    w_msg(out, 1, &rl);
}

static ingest_t *make(mem_t *m, ingest_mode_t mode, uint64_t max_rows, size_t max_bytes, uint32_t age,
                      size_t cap)
{
    ingest_config_t c;
    ingest_config_default(&c);
    c.storage = &m->base;
    c.parquet.codec = PQ_UNCOMPRESSED; /* fast; the encoder is tested elsewhere */
    c.mode = mode;
    c.batch_max_rows = max_rows;
    c.batch_max_bytes = max_bytes;
    c.batch_max_age_secs = age;
    c.max_buffered_bytes = cap;
    err_t err;
    ingest_t *ing = ingest_new(&c, &err);
    if (!ing)
        printf("    ingest_new: %s\n", err.msg);
    return ing;
}

static int post(ingest_t *ing, const char *svc, int n, uint64_t t0, const char *tag, err_t *err)
{
    buf_t b = {0};
    logs_request(&b, svc, n, t0, tag);
    ingest_result_t res;
    err_clear(err);
    int rc = ingest_request(ing, SIG_LOGS, ENC_PROTOBUF, b.data, b.len, &res, err);
    buf_free(&b);
    if (rc == 0 && res.rows != (uint64_t)n)
        return -2;
    return rc;
}

static ingest_stats_t stats(ingest_t *ing)
{
    ingest_stats_t s;
    ingest_stats(ing, &s);
    return s;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* --- buffers ------------------------------------------------------------------------------- */

TEST(row_limit_cuts_files_at_exactly_max_rows)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_BATCHED, 100, (size_t)64 << 20, 3600, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    /* 25 requests of 12 rows: buffers fill at 100 and are written by the request that filled
     * them; 300 rows in all make exactly 3 full files, the last written by the flush */
    for (int i = 0; i < 25; i++) {
        CHECK_EQ_INT(post(ing, "svc0", 12, BASE_NS + (uint64_t)i * 1000000, "r", &err), 0);
        ingest_stats_t s = stats(ing);
        CHECK_EQ_INT(s.files_written, (uint64_t)(i + 1) * 12 / 100);
        CHECK_EQ_INT(s.rows_written, (uint64_t)(i + 1) * 12 / 100 * 100);
        CHECK_EQ_INT(s.rows_buffered, (uint64_t)(i + 1) * 12 % 100);
    }
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    ingest_stats_t s = stats(ing);
    CHECK_EQ_INT(s.files_written, 3);
    CHECK_EQ_INT(s.rows_written, 300);
    CHECK_EQ_INT(s.rows_buffered, 0);
    CHECK_EQ_INT(s.bytes_buffered, 0);
    CHECK_EQ_INT(s.buffers, 0);
    CHECK_EQ_INT(mem_count(m, "logs/service=svc0/year=2026/month=11/day=30/hour=22/"), 3);
    /* one request larger than the limit is cut the same way */
    CHECK_EQ_INT(post(ing, "big", 250, BASE_NS, "b", &err), 0);
    CHECK_EQ_INT(stats(ing).files_written, 5);
    CHECK_EQ_INT(stats(ing).rows_buffered, 50);
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    CHECK_EQ_INT(mem_count(m, "service=big/"), 3);
    CHECK_EQ_INT(stats(ing).rows_written, 550);
    ingest_free(ing);
    mem_free(m);
}

TEST(one_file_per_table_service_and_hour)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 3600, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    const char *svcs[] = {"a", "b", "c"};
    for (int i = 0; i < 60; i++) /* two hours; a request straddling both is split */
        CHECK_EQ_INT(post(ing, svcs[i % 3], 10, BASE_NS + (uint64_t)(i % 2) * HOUR_NS + HOUR_NS - 5000, "p", &err), 0);
    CHECK_EQ_INT(stats(ing).files_written, 0);
    CHECK_EQ_INT(stats(ing).rows_buffered, 600);
    CHECK_EQ_INT(stats(ing).buffers, 9); /* hours 22, 23 and 00 (from the straddling ones) */
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    CHECK_EQ_INT(stats(ing).files_written, 9);
    CHECK_EQ_INT(stats(ing).rows_written, 600);
    CHECK_EQ_INT(mem_count(m, "service=a/year=2026/month=11/day=30/hour=22/"), 1);
    CHECK_EQ_INT(mem_count(m, "service=b/year=2026/month=11/day=30/hour=23/"), 1);
    CHECK_EQ_INT(mem_count(m, "service=c/year=2026/month=12/day=01/hour=00/"), 1);
    ingest_free(ing);
    mem_free(m);
}

TEST(failed_flush_keeps_rows_and_writes_them_once)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 3600, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    CHECK_EQ_INT(post(ing, "x", 40, BASE_NS, "f", &err), 0);
    CHECK_EQ_INT(post(ing, "y", 60, BASE_NS, "f", &err), 0);
    mem_set(m, &m->fail_put, 1);
    CHECK_EQ_INT(ingest_flush(ing, &err), -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "100 rows in 2 buffers"));
    CHECK(strstr(err.msg, "refused"));
    ingest_stats_t s = stats(ing);
    CHECK_EQ_INT(s.rows_buffered, 100);
    CHECK_EQ_INT(s.buffers_retrying, 2);
    CHECK_EQ_INT(s.storage_down, 1);
    CHECK_EQ_INT(mem_get(m, &m->failed_puts), 10); /* 5 attempts each */
    /* while the storage is down, requests are still taken (up to the cap) */
    CHECK_EQ_INT(post(ing, "x", 5, BASE_NS, "late", &err), 0);
    CHECK_EQ_INT(stats(ing).rows_buffered, 105);
    mem_set(m, &m->fail_put, 0);
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    s = stats(ing);
    CHECK_EQ_INT(s.rows_written, 105);
    CHECK_EQ_INT(s.files_written, 3);
    CHECK_EQ_INT(m->nobj, 3);
    CHECK_EQ_INT(s.storage_down, 0);
    CHECK_EQ_INT(post(ing, "x", 5, BASE_NS, "after", &err), 0);
    ingest_free(ing); /* 5 rows never flushed: logged as lost, freed */
    mem_free(m);
}

TEST(cap_refuses_whole_requests_and_counts_memory)
{
    mem_t *m = mem_new();
    size_t cap = 256 << 10;
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 3600, cap);
    CHECK(ing);
    err_t err;
    int accepted = 0, refused = 0;
    for (int i = 0; i < 200 && refused < 5; i++) {
        char svc[16];
        snprintf(svc, sizeof svc, "s%d", i % 4);
        int rc = post(ing, svc, 50, BASE_NS + (uint64_t)i * 1000000, "c", &err);
        if (rc == 0) {
            accepted++;
        } else {
            CHECK_EQ_INT(rc, -1);
            CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
            CHECK(strstr(err.msg, "buffers full"));
            refused++;
        }
        ingest_stats_t s = stats(ing);
        CHECK(s.bytes_buffered <= cap + (cap / 2)); /* a buffer's last doubling is the slack */
        CHECK_EQ_INT(s.rows_buffered, (uint64_t)accepted * 50); /* a refused request left nothing */
    }
    CHECK(accepted > 10);
    CHECK(refused == 5);
    CHECK_EQ_INT(stats(ing).files_written, 0); /* no timer: nothing was written early */
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    CHECK_EQ_INT(stats(ing).rows_written, (uint64_t)accepted * 50);
    CHECK_EQ_INT(stats(ing).bytes_buffered, 0);
    /* room again */
    CHECK_EQ_INT(post(ing, "s0", 50, BASE_NS, "again", &err), 0);
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    ingest_free(ing);
    mem_free(m);
}

TEST(cap_makes_the_timer_write_early)
{
    mem_t *m = mem_new();
    size_t cap = 128 << 10;
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 3600, cap);
    CHECK(ing);
    err_t err;
    CHECK_EQ_INT(ingest_start(ing, &err), 0);
    int refused = 0;
    uint64_t accepted = 0;
    for (int i = 0; i < 400 && !refused; i++) {
        int rc = post(ing, i % 2 ? "p" : "q", 50, BASE_NS, "e", &err);
        if (rc == 0)
            accepted += 50;
        refused = rc != 0;
    }
    CHECK(refused);
    /* the refusal woke the timer, which writes the largest buffers although they are young */
    double t0 = now_s();
    while (stats(ing).files_written == 0 && now_s() - t0 < 5)
        sleep_ms(10);
    CHECK(stats(ing).files_written >= 1);
    CHECK(stats(ing).bytes_buffered <= cap / 2 + 4096);
    CHECK_EQ_INT(post(ing, "p", 50, BASE_NS, "e2", &err), 0);
    accepted += 50;
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    CHECK_EQ_INT(stats(ing).rows_written, accepted);
    ingest_free(ing);
    mem_free(m);
}

TEST(request_larger_than_the_cap_is_written_at_once)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 3600, 4096);
    CHECK(ing);
    err_t err;
    CHECK_EQ_INT(post(ing, "huge", 2000, BASE_NS, "h", &err), 0);
    ingest_stats_t s = stats(ing);
    CHECK_EQ_INT(s.files_written, 1);
    CHECK_EQ_INT(s.rows_written, 2000);
    CHECK_EQ_INT(s.rows_buffered, 0);
    /* and refused when it cannot be written */
    mem_set(m, &m->fail_put, 1);
    CHECK_EQ_INT(post(ing, "huge", 2000, BASE_NS, "h2", &err), -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "logs request"));
    CHECK_EQ_INT(stats(ing).storage_down, 1);
    mem_set(m, &m->fail_put, 0);
    ingest_free(ing);
    mem_free(m);
}

TEST(timer_writes_an_old_buffer_without_more_traffic)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 1, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    CHECK_EQ_INT(ingest_start(ing, &err), 0);
    double t0 = now_s();
    CHECK_EQ_INT(post(ing, "old", 30, BASE_NS, "t", &err), 0);
    sleep_ms(300);
    CHECK_EQ_INT(stats(ing).files_written, 0); /* not before its age */
    while (stats(ing).files_written == 0 && now_s() - t0 < 5)
        sleep_ms(10);
    double took = now_s() - t0;
    CHECK_EQ_INT(stats(ing).files_written, 1);
    CHECK_EQ_INT(stats(ing).rows_written, 30);
    CHECK(took >= 0.9 && took < 2.0);
    ingest_stop(ing);
    ingest_stop(ing); /* idempotent */
    ingest_free(ing);
    mem_free(m);
}

TEST(timer_retries_with_backoff_until_the_storage_is_back)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 0, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    /* an outage: writes and probes fail alike */
    mem_set(m, &m->fail_put, 1);
    mem_set(m, &m->fail_ready, 1);
    CHECK_EQ_INT(ingest_start(ing, &err), 0);
    CHECK_EQ_INT(post(ing, "r", 20, BASE_NS, "r", &err), 0);
    double t0 = now_s();
    while (mem_get(m, &m->failed_puts) < 1 && now_s() - t0 < 5)
        sleep_ms(10);
    while (mem_get(m, &m->readies) < 1 && now_s() - t0 < 5)
        sleep_ms(10);
    double probe = now_s() - t0;
    CHECK(probe >= 0.9); /* the first probe waits a second, not a busy loop */
    sleep_ms(300);
    /* while down, the timer sends probes only, no writes that would fail anyway */
    CHECK_EQ_INT(mem_get(m, &m->failed_puts), 1);
    CHECK_EQ_INT(stats(ing).storage_down, 1);
    CHECK_EQ_INT(stats(ing).rows_buffered, 20);
    /* and requests are still taken: the outage is ridden out in memory */
    CHECK_EQ_INT(post(ing, "r", 1, BASE_NS, "taken", &err), 0);
    mem_set(m, &m->fail_put, 0);
    mem_set(m, &m->fail_ready, 0);
    while (stats(ing).rows_written < 21 && now_s() - t0 < 20)
        sleep_ms(10);
    CHECK_EQ_INT(stats(ing).files_written, 2);
    CHECK_EQ_INT(stats(ing).rows_written, 21);
    CHECK_EQ_INT(stats(ing).storage_down, 0);
    CHECK_EQ_INT(m->nobj, 2);
    ingest_free(ing);
    mem_free(m);
}

TEST(storage_down_takes_requests_until_the_cap_then_refuses_them)
{
    mem_t *m = mem_new();
    size_t cap = 256 << 10;
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 3600, cap);
    CHECK(ing);
    err_t err;
    mem_set(m, &m->fail_ready, 1);
    mem_set(m, &m->fail_put, 1);
    CHECK_EQ_INT(ingest_check_storage(ing, &err), -1);
    CHECK_EQ_INT(stats(ing).storage_down, 1);
    int taken = 0, rc;
    while ((rc = post(ing, "x", 20, BASE_NS, "p", &err)) == 0 && taken < 10000)
        taken++;
    CHECK(taken > 5);
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "buffers full"));
    CHECK(strstr(err.msg, "storage unavailable: mem: not ready"));
    /* one buffer took every row: its last doubling may reach the cap once more */
    CHECK(stats(ing).bytes_buffered <= 2 * cap);
    CHECK_EQ_INT(mem_get(m, &m->failed_puts), 0); /* nothing was tried while it was down */
    mem_set(m, &m->fail_ready, 0);
    mem_set(m, &m->fail_put, 0);
    CHECK_EQ_INT(ingest_check_storage(ing, &err), 0);
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    CHECK_EQ_INT(stats(ing).rows_written, (uint64_t)taken * 20);
    CHECK_EQ_INT(post(ing, "x", 3, BASE_NS, "p", &err), 0);
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    ingest_free(ing);
    mem_free(m);
}

TEST(a_retry_after_a_lost_answer_stores_the_file_once)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 3600, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    CHECK_EQ_INT(post(ing, "once", 30, BASE_NS, "o", &err), 0);
    /* the storage keeps the object but the answer never arrives */
    mem_set(m, &m->lose_answer, 1);
    CHECK_EQ_INT(ingest_flush(ing, &err), -1);
    CHECK_EQ_INT(m->nobj, 1);
    mem_set(m, &m->lose_answer, 0);
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    CHECK_EQ_INT(m->nobj, 1); /* the retry replaced it under the same name */
    CHECK_EQ_INT(stats(ing).rows_written, 30);
    ingest_free(ing);
    mem_free(m);
}

TEST(immediate_mode_writes_before_returning)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_IMMEDIATE, 200000, (size_t)64 << 20, 10, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    CHECK_EQ_INT(post(ing, "now", 7, BASE_NS + HOUR_NS - 3000, "i", &err), 0); /* two hours */
    CHECK_EQ_INT(stats(ing).files_written, 2);
    CHECK_EQ_INT(stats(ing).rows_written, 7);
    /* all or nothing: when the second file fails, the first is deleted again */
    mem_set(m, &m->fail_put, 0);
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    mem_set(m, &m->fail_put, 1);
    CHECK_EQ_INT(post(ing, "now", 7, BASE_NS, "j", &err), -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    mem_set(m, &m->fail_put, 0);
    CHECK_EQ_INT(m->nobj, 2);
    ingest_free(ing);
    mem_free(m);
}

TEST(every_signal_and_encoding_dispatches)
{
    mem_t *m = mem_new();
    ingest_t *ing = make(m, INGEST_BATCHED, 200000, (size_t)64 << 20, 10, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    ingest_result_t res;
    /* empty requests of every signal and encoding are valid and add nothing */
    CHECK_EQ_INT(ingest_request(ing, SIG_TRACES, ENC_PROTOBUF, (const uint8_t *)"", 0, &res, &err), 0);
    CHECK_EQ_INT(ingest_request(ing, SIG_METRICS, ENC_PROTOBUF, (const uint8_t *)"", 0, &res, &err), 0);
    CHECK_EQ_INT(ingest_request(ing, SIG_LOGS, ENC_JSON, (const uint8_t *)"{}", 2, &res, &err), 0);
    CHECK_EQ_INT(ingest_request(ing, SIG_LOGS, ENC_NDJSON, (const uint8_t *)"{}\n{}", 5, &res, &err), 0);
    CHECK_EQ_INT(res.rows, 0);
    /* JSON errors name the signal and the JSON path */
    CHECK_EQ_INT(ingest_request(ing, SIG_TRACES, ENC_JSON, (const uint8_t *)"{\"resourceSpans\":3}", 19, &res, &err),
                 -1);
    CHECK_EQ_INT(err.code, ERR_INVALID);
    CHECK(strstr(err.msg, "traces request"));
    CHECK(strstr(err.msg, "resourceSpans"));
    /* a bad request is refused as such and leaves nothing */
    CHECK_EQ_INT(ingest_request(ing, SIG_LOGS, ENC_PROTOBUF, (const uint8_t *)"\x0a\x05", 2, &res, &err), -1);
    CHECK_EQ_INT(err.code, ERR_INVALID);
    CHECK(strstr(err.msg, "logs request"));
    CHECK_EQ_INT(stats(ing).rows_buffered, 0);
    ingest_free(ing);
    mem_free(m);
}

typedef struct {
    ingest_t *ing;
    int id;
    int ok;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;
    const char *svcs[] = {"w0", "w1", "w2"};
    for (int i = 0; i < 150; i++) {
        err_t err;
        char tag[16];
        snprintf(tag, sizeof tag, "t%d", w->id);
        if (post(w->ing, svcs[(i + w->id) % 3], 9, BASE_NS + (uint64_t)i * 1000, tag, &err) == 0)
            w->ok++;
    }
    return NULL;
}

TEST(many_threads_with_the_timer_lose_and_duplicate_nothing)
{
    mem_t *m = mem_new();
    /* small limits: buffers fill and age (0 s) all the time, while four threads add rows */
    ingest_t *ing = make(m, INGEST_BATCHED, 64, (size_t)64 << 20, 0, (size_t)256 << 20);
    CHECK(ing);
    err_t err;
    CHECK_EQ_INT(ingest_start(ing, &err), 0);
    worker_t w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){ing, i, 0};
        pthread_create(&th[i], NULL, worker, &w[i]);
    }
    int ok = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].ok;
    }
    CHECK_EQ_INT(ok, 600);
    CHECK_EQ_INT(ingest_flush(ing, &err), 0);
    ingest_stats_t s = stats(ing);
    CHECK_EQ_INT(s.rows_written, 600 * 9);
    CHECK_EQ_INT(s.rows_buffered, 0);
    CHECK_EQ_INT(s.buffers, 0);
    CHECK_EQ_INT((uint64_t)m->nobj, s.files_written);
    ingest_free(ing);
    mem_free(m);
}

/* --- the sort ------------------------------------------------------------------------------ */

TEST(flush_sort_by_service_then_time_ties_in_arrival_order)
{
    CHECK_EQ_INT(tables_init(), 0);
    table_batch_t b;
    batch_init(&b, &table_logs);
    static const struct {
        const char *svc;
        int64_t ts;
    } rows[] = {{"b", 5}, {"a", 9}, {"b", 1}, {"", 7}, {"a", 9}, {"ab", 0}, {"a", 2}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (int l = 0; l < table_logs.nleaves; l++) {
            column_t *c = &b.cols[l];
            if (l == LOGS_SERVICE_NAME)
                CHECK_EQ_INT(col_str(c, rows[r].svc, strlen(rows[r].svc)), 0);
            else if (l == LOGS_TIMESTAMP)
                CHECK_EQ_INT(col_i64(c, rows[r].ts), 0);
            else if (c->leaf->max_rep) /* a map, empty: key_value absent (value sits one deeper) */
                CHECK_EQ_INT(col_level(c, 0, (uint8_t)(c->leaf->max_def -
                                                     (strcmp(c->leaf->path[c->leaf->depth - 1], "value") ? 1 : 2))),
                             0);
            else if (c->leaf->type == PT_BYTE_ARRAY)
                CHECK_EQ_INT(col_str(c, "", 0), 0);
            else if (c->leaf->type == PT_INT32)
                CHECK_EQ_INT(col_i32(c, 0), 0);
            else
                CHECK_EQ_INT(col_i64(c, 0), 0);
        }
        b.nrows++;
    }
    uint32_t perm[7];
    err_t err;
    CHECK_EQ_INT(flush_sort(&b, perm, &err), 0);
    static const uint32_t want[] = {3, 6, 1, 4, 5, 2, 0};
    for (int i = 0; i < 7; i++)
        CHECK_EQ_INT(perm[i], want[i]);
    batch_free(&b);
}

/* --- content detection --------------------------------------------------------------------- */

TEST(sniff_gzip_json_protobuf)
{
    CHECK_EQ_INT(content_sniff((const uint8_t *)"\x1f\x8b\x08", 3), CONTENT_GZIP);
    CHECK_EQ_INT(content_sniff((const uint8_t *)" \n\t", 3), CONTENT_EMPTY);
    CHECK_EQ_INT(content_sniff((const uint8_t *)"", 0), CONTENT_EMPTY);
    CHECK_EQ_INT(content_sniff((const uint8_t *)"{\"resourceLogs\":[]}", 19), CONTENT_JSON);
    CHECK_EQ_INT(content_sniff((const uint8_t *)"\xef\xbb\xbf\n  { \"a\" : 1}", 19), CONTENT_JSON);
    CHECK_EQ_INT(content_sniff((const uint8_t *)"{}", 2), CONTENT_JSON);
    CHECK_EQ_INT(content_sniff((const uint8_t *)"{ }\n{}", 6), CONTENT_JSON);
    /* protobuf: field 1 (0x0a = '\n'), length 123 ('{'), then a message with control bytes */
    CHECK_EQ_INT(content_sniff((const uint8_t *)"\x0a\x7b\x0a\x22\x0a\x0c\x0a", 7), CONTENT_PROTOBUF);
    CHECK_EQ_INT(content_sniff((const uint8_t *)"\x0a\x7b\x0a\x20", 4), CONTENT_PROTOBUF);
    CHECK_EQ_INT(content_sniff((const uint8_t *)"\x0a\x05hello", 7), CONTENT_PROTOBUF);
}

TEST(json_objects_and_their_signal)
{
    const char *text = "{\"resourceLogs\":[{\"x\":\"}{\\\"\"}]}\n\n{\"resource_spans\":[]}  {\"a\":{\"resourceMetrics\":1},"
                       "\"resourceMetrics\":[]}\n";
    const uint8_t *p = (const uint8_t *)text;
    size_t n = strlen(text), pos = 0, start, len;
    err_t err;
    int sigs[3], k = 0, r;
    size_t lines[3];
    while ((r = json_next_object(p, n, &pos, &start, &len, &err)) == 1) {
        CHECK(k < 3);
        CHECK_EQ_INT(p[start], '{');
        CHECK_EQ_INT(p[start + len - 1], '}');
        lines[k] = content_line_of(p, start);
        sigs[k++] = json_signal(p + start, len);
    }
    CHECK_EQ_INT(r, 0);
    CHECK_EQ_INT(k, 3);
    CHECK_EQ_INT(sigs[0], SIG_LOGS);
    CHECK_EQ_INT(sigs[1], SIG_TRACES);
    CHECK_EQ_INT(sigs[2], SIG_METRICS); /* the nested key does not count, the top-level one does */
    CHECK_EQ_INT(lines[1], 3);
    CHECK_EQ_INT(json_signal((const uint8_t *)"{\"a\":{\"resourceLogs\":[]}}", 25), -1);
    CHECK_EQ_INT(json_signal((const uint8_t *)"{}", 2), -1);
    pos = 0;
    CHECK_EQ_INT(json_next_object((const uint8_t *)"{\"a\":[1,2}", 10, &pos, &start, &len, &err), -1);
    CHECK(strstr(err.msg, "line 1"));
    pos = 0;
    CHECK_EQ_INT(json_next_object((const uint8_t *)"{}\n[1]", 6, &pos, &start, &len, &err), 1);
    CHECK_EQ_INT(json_next_object((const uint8_t *)"{}\n[1]", 6, &pos, &start, &len, &err), -1);
    CHECK(strstr(err.msg, "line 2"));
}

TEST(signal_from_file_names)
{
    CHECK_EQ_INT(name_signal("/tmp/x/logs-0001.pb"), SIG_LOGS);
    CHECK_EQ_INT(name_signal("Traces.bin"), SIG_TRACES);
    CHECK_EQ_INT(name_signal("export.spans.pb.gz"), SIG_TRACES);
    CHECK_EQ_INT(name_signal("my_metrics"), SIG_METRICS);
    CHECK_EQ_INT(name_signal("/data/logs/request.pb"), -1); /* only the last component counts */
    CHECK_EQ_INT(name_signal("logs-and-metrics.pb"), -2);
    CHECK_EQ_INT(name_signal(""), -1);
    CHECK_EQ_INT(signal_parse("metrics"), SIG_METRICS);
    CHECK_EQ_INT(signal_parse("LOGS"), SIG_LOGS);
    CHECK_EQ_INT(signal_parse("profiles"), -1);
}

int main(void)
{
    log_setup(LOG_ERROR + 1, 0); /* the failures these tests cause are expected */
    if (tables_init())
        return 1;
    static const check_case_ cases[] = {
        T(row_limit_cuts_files_at_exactly_max_rows),
        T(one_file_per_table_service_and_hour),
        T(failed_flush_keeps_rows_and_writes_them_once),
        T(cap_refuses_whole_requests_and_counts_memory),
        T(cap_makes_the_timer_write_early),
        T(request_larger_than_the_cap_is_written_at_once),
        T(timer_writes_an_old_buffer_without_more_traffic),
        T(timer_retries_with_backoff_until_the_storage_is_back),
        T(storage_down_takes_requests_until_the_cap_then_refuses_them),
        T(a_retry_after_a_lost_answer_stores_the_file_once),
        T(immediate_mode_writes_before_returning),
        T(every_signal_and_encoding_dispatches),
        T(many_threads_with_the_timer_lose_and_duplicate_nothing),
        T(flush_sort_by_service_then_time_ties_in_arrival_order),
        T(sniff_gzip_json_protobuf),
        T(json_objects_and_their_signal),
        T(signal_from_file_names),
    };
    return check_run_(cases, sizeof cases / sizeof cases[0]);
}
