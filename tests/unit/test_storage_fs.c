/* The filesystem backend: keys map to files below the root, whole and exact, nothing else is
 * left behind, and no key can reach outside the root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "storage/storage.h"

static char base_dir[256];

/* A fresh folder per test under one mkdtemp folder (removed at the end). */
static const char *fresh_dir(const char *name)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", base_dir, name);
    return path;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1024, n = 0;
    uint8_t *p = malloc(cap);
    for (;;) {
        if (n == cap)
            p = realloc(p, cap *= 2);
        size_t r = fread(p + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    *out = p;
    *len = n;
    return 0;
}

/* Counts entries below dir (recursively) and those whose name starts with '.'. */
static void count_tree(const char *dir, int *files, int *hidden)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (e->d_name[0] == '.')
            (*hidden)++;
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            count_tree(sub, files, hidden);
        else
            (*files)++;
    }
    closedir(d);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        unlink(dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(dir);
}

TEST(open_creates_missing_root)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/a/b/c", fresh_dir("open"));
    err_t err;
    err_clear(&err);
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s != NULL);
    struct stat st;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(storage_ready(s, &err) == 0);
    storage_destroy(s);
}

TEST(describe_is_absolute)
{
    const char *dir = fresh_dir("describe");
    err_t err;
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s != NULL);
    char out[PATH_MAX + 64], want[PATH_MAX + 64];
    s->ops->describe(s, "logs/x.parquet", out, sizeof out);
    CHECK(out[0] == '/');
    char *real = realpath(dir, NULL);
    snprintf(want, sizeof want, "%s/logs/x.parquet", real);
    free(real);
    CHECK_EQ_STR(out, want);
    storage_destroy(s);

    /* a relative root is made absolute */
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(base_dir) == 0);
    s = storage_fs_open("describe", &err);
    int rc = chdir(cwd);
    CHECK(rc == 0);
    CHECK(s != NULL);
    s->ops->describe(s, "", out, sizeof out);
    CHECK(out[0] == '/');
    CHECK(strstr(out, "/describe") != NULL);
    storage_destroy(s);
}

TEST(put_nested_exact_content)
{
    const char *dir = fresh_dir("nested");
    err_t err;
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s != NULL);
    /* binary content, zero bytes and all byte values included, and larger than one page */
    size_t n = 3 * 1024 * 1024 + 17;
    uint8_t *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 11));
    const char *key = "logs/service=my%2Fsvc/year=2026/month=01/day=02/hour=03/0190-abc.parquet";
    CHECK(storage_put(s, key, data, n, &err) == 0);
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", dir, key);
    uint8_t *got;
    size_t glen;
    CHECK(read_file(path, &got, &glen) == 0);
    CHECK_EQ_MEM(got, glen, data, n);
    free(got);

    /* a second object in the same (now existing) folder, and an empty object */
    const char *key2 = "logs/service=my%2Fsvc/year=2026/month=01/day=02/hour=03/second.parquet";
    CHECK(storage_put(s, key2, (const uint8_t *)"", 0, &err) == 0);
    snprintf(path, sizeof path, "%s/%s", dir, key2);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 0);

    /* a key at the root, and overwriting replaces the content whole */
    CHECK(storage_put(s, "top.bin", (const uint8_t *)"first", 5, &err) == 0);
    CHECK(storage_put(s, "top.bin", (const uint8_t *)"2nd", 3, &err) == 0);
    snprintf(path, sizeof path, "%s/top.bin", dir);
    CHECK(read_file(path, &got, &glen) == 0);
    CHECK_EQ_MEM(got, glen, "2nd", 3);
    free(got);

    /* nothing else is there: no temp file, no probe */
    int files = 0, hidden = 0;
    count_tree(dir, &files, &hidden);
    CHECK_EQ_INT(files, 3);
    CHECK_EQ_INT(hidden, 0);
    free(data);
    storage_destroy(s);
}

TEST(bad_keys_rejected)
{
    const char *dir = fresh_dir("badkeys");
    err_t err;
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s != NULL);
    static const char *const bad[] = {
        "", "/etc/passwd", "..", "../x", "a/../../x", "a/..", "./x", "a/./b", ".", "a//b",
        "a/", "/", "a\\b", "..\\x", "a/b\nc", "a\tb", "a/\x1b[0m", "a\x7f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_clear(&err);
        if (storage_put(s, bad[i], (const uint8_t *)"x", 1, &err) != -1) {
            printf("    key #%zu \"%s\" was accepted\n", i, bad[i]);
            CHECK(0);
        }
        CHECK(err.code != ERR_NONE);
        CHECK(strstr(err.msg, "key") != NULL);
    }
    err_clear(&err);
    CHECK(storage_put(s, NULL, (const uint8_t *)"x", 1, &err) == -1);
    /* a very long segment */
    char longkey[400];
    memset(longkey, 'a', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = 0;
    CHECK(storage_put(s, longkey, (const uint8_t *)"x", 1, &err) == -1);

    /* nothing was created, in the root or beside it */
    int files = 0, hidden = 0;
    count_tree(dir, &files, &hidden);
    CHECK_EQ_INT(files, 0);
    CHECK_EQ_INT(hidden, 0);
    char outside[PATH_MAX];
    snprintf(outside, sizeof outside, "%s/x", base_dir);
    CHECK(access(outside, F_OK) != 0);

    /* dots inside a segment are fine: only whole "." and ".." segments are paths */
    CHECK(storage_put(s, "a..b/.hidden-ok/x.y", (const uint8_t *)"x", 1, &err) == 0);
    storage_destroy(s);
}

TEST(put_fails_cleanly_when_a_folder_is_a_file)
{
    const char *dir = fresh_dir("blocked");
    err_t err;
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s != NULL);
    CHECK(storage_put(s, "logs", (const uint8_t *)"file", 4, &err) == 0);
    err_clear(&err);
    CHECK(storage_put(s, "logs/x.parquet", (const uint8_t *)"x", 1, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_IO);
    CHECK(strstr(err.msg, "/logs") != NULL);
    CHECK(strstr(err.msg, strerror(ENOTDIR)) != NULL);
    /* the final name is taken by a folder: rename fails, and the temp file is removed */
    CHECK(storage_put(s, "d/x.parquet", (const uint8_t *)"x", 1, &err) == 0);
    err_clear(&err);
    CHECK(storage_put(s, "d", (const uint8_t *)"y", 1, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_IO);
    CHECK(strstr(err.msg, "rename") != NULL);
    int files = 0, hidden = 0;
    count_tree(dir, &files, &hidden);
    CHECK_EQ_INT(files, 2);
    CHECK_EQ_INT(hidden, 0);
    storage_destroy(s);
}

TEST(ready_fails_when_root_missing)
{
    const char *dir = fresh_dir("vanish");
    err_t err;
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s != NULL);
    CHECK(storage_ready(s, &err) == 0);
    CHECK(rmdir(dir) == 0);
    err_clear(&err);
    CHECK(storage_ready(s, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK(strstr(err.msg, "vanish") != NULL);
    /* put does not recreate a vanished root (it may be an unmounted volume) */
    err_clear(&err);
    CHECK(storage_put(s, "logs/x.parquet", (const uint8_t *)"x", 1, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_UNAVAILABLE);
    CHECK(access(dir, F_OK) != 0);
    storage_destroy(s);
}

TEST(ready_fails_when_root_unusable)
{
    /* Tests run as root, which ignores permission bits: make the root unusable by putting a
     * regular file where the folder was, and by pointing below a regular file. */
    const char *dir = fresh_dir("replaced");
    err_t err;
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s != NULL);
    CHECK(rmdir(dir) == 0);
    FILE *f = fopen(dir, "w");
    CHECK(f != NULL);
    fclose(f);
    err_clear(&err);
    CHECK(storage_ready(s, &err) == -1);
    CHECK(err.code != ERR_NONE);
    CHECK(strstr(err.msg, "replaced") != NULL);
    storage_destroy(s);

    char under[PATH_MAX];
    snprintf(under, sizeof under, "%s/sub", dir);
    err_clear(&err);
    s = storage_fs_open(under, &err);
    CHECK(s == NULL);
    CHECK_EQ_INT(err.code, ERR_IO);
    CHECK(strstr(err.msg, strerror(ENOTDIR)) != NULL);

    err_clear(&err);
    CHECK(storage_fs_open("", &err) == NULL);
    CHECK(err.code != ERR_NONE);
}

TEST(ready_leaves_nothing)
{
    const char *dir = fresh_dir("probe");
    err_t err;
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s != NULL);
    for (int i = 0; i < 3; i++)
        CHECK(storage_ready(s, &err) == 0);
    int files = 0, hidden = 0;
    count_tree(dir, &files, &hidden);
    CHECK_EQ_INT(files, 0);
    CHECK_EQ_INT(hidden, 0);
    storage_destroy(s);
}

static void teardown(void) { remove_tree(base_dir); }

TEST(get_reads_back_exactly_and_bounded)
{
    err_t err;
    storage_t *s = storage_fs_open(fresh_dir("get"), &err);
    CHECK(s);
    const uint8_t data[] = "metadata\0with a NUL";
    CHECK_EQ_INT(storage_put(s, "t/metadata/snap-1.avro", data, sizeof data, &err), 0);
    buf_t b = {0};
    CHECK_EQ_INT(storage_get(s, "t/metadata/snap-1.avro", 1024, &b, &err), 0);
    CHECK_EQ_INT(b.len, sizeof data);
    CHECK(memcmp(b.data, data, sizeof data) == 0);
    buf_clear(&b);
    CHECK_EQ_INT(storage_get(s, "t/metadata/missing.avro", 1024, &b, &err), 1);
    CHECK_EQ_INT(storage_get(s, "t/nofolder/missing.avro", 1024, &b, &err), 1);
    CHECK_EQ_INT(b.len, 0);
    /* larger than the caller allows: an error, not a partial read */
    CHECK_EQ_INT(storage_get(s, "t/metadata/snap-1.avro", 4, &b, &err), -1);
    CHECK_EQ_INT(b.len, 0);
    /* no key leaves the root */
    CHECK_EQ_INT(storage_get(s, "../get/t/metadata/snap-1.avro", 1024, &b, &err), -1);
    CHECK_EQ_INT(storage_get(s, "/etc/passwd", 1024, &b, &err), -1);
    buf_free(&b);
    storage_destroy(s);
}

/* Collects listed keys (sorted afterwards), stopping after stop_after when set. */
typedef struct {
    char keys[64][128];
    size_t n, stop_after;
} listed_t;

static int collect(void *ctx, const char *key)
{
    listed_t *l = ctx;
    if (l->n < 64)
        snprintf(l->keys[l->n++], sizeof l->keys[0], "%s", key);
    return l->stop_after && l->n >= l->stop_after;
}

static int cmp_key(const void *a, const void *b) { return strcmp(a, b); }

static void sort_listed(listed_t *l) { qsort(l->keys, l->n, sizeof l->keys[0], cmp_key); }

TEST(list_walks_the_prefix_recursively)
{
    err_t err;
    err_clear(&err);
    const char *dir = fresh_dir("list");
    storage_t *s = storage_fs_open(dir, &err);
    CHECK(s);
    const char *keys[] = {"data/_pending/a.json", "data/_pending/sub/b c ü.json", "data/_pending/sub/deep/c",
                          "data/_pendingx/no", "data/other", "top"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        CHECK_EQ_INT(storage_put(s, keys[i], (const uint8_t *)"x", 1, &err), 0);
    /* what a put in progress and a ready() probe leave for a moment, a symbolic link, an empty folder */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/data/_pending/.a.json.tmp-0123456789abcdef", dir);
    FILE *f = fopen(path, "w");
    CHECK(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/data/_pending/.ready-probe-0123456789abcdef", dir);
    CHECK((f = fopen(path, "w")) != NULL);
    fclose(f);
    snprintf(path, sizeof path, "%s/data/_pending/link", dir);
    CHECK_EQ_INT(symlink("/etc", path), 0);
    snprintf(path, sizeof path, "%s/data/_pending/empty", dir);
    CHECK_EQ_INT(mkdir(path, 0755), 0);

    listed_t l = {0};
    CHECK_EQ_INT(storage_list(s, "data/_pending/", 0, collect, &l, &err), 0);
    sort_listed(&l);
    CHECK_EQ_INT(l.n, 3);
    CHECK_EQ_STR(l.keys[0], "data/_pending/a.json");
    CHECK_EQ_STR(l.keys[1], "data/_pending/sub/b c ü.json");
    CHECK_EQ_STR(l.keys[2], "data/_pending/sub/deep/c");

    /* a prefix that is not a folder filters names */
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(storage_list(s, "data/_pending", 0, collect, &l, &err), 0);
    CHECK_EQ_INT(l.n, 4);
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(storage_list(s, "", 0, collect, &l, &err), 0);
    CHECK_EQ_INT(l.n, 6);

    /* max_keys and a callback that stops */
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(storage_list(s, "", 2, collect, &l, &err), 0);
    CHECK_EQ_INT(l.n, 2);
    memset(&l, 0, sizeof l);
    l.stop_after = 1;
    CHECK_EQ_INT(storage_list(s, "data/", 0, collect, &l, &err), 0);
    CHECK_EQ_INT(l.n, 1);

    /* nothing stored under a prefix yet: an empty listing */
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(storage_list(s, "nothing/here/", 0, collect, &l, &err), 0);
    CHECK_EQ_INT(storage_list(s, "top/", 0, collect, &l, &err), 0);
    CHECK_EQ_INT(l.n, 0);

    /* no prefix leads out of the root */
    const char *bad[] = {"../", "data/../../", "data/..", "/etc/", "data//", "./data/", "a\\b/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_clear(&err);
        CHECK_EQ_INT(storage_list(s, bad[i], 0, collect, &l, &err), -1);
        CHECK(err.msg[0]);
    }
    CHECK_EQ_INT(l.n, 0);
    storage_destroy(s);
}

/* Runs before main (RUN_TESTS defines main): one scratch folder for all tests, removed at exit. */
__attribute__((constructor)) static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(base_dir, sizeof base_dir, "%s/otlp2parquet-fs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(base_dir)) {
        perror("mkdtemp");
        exit(2);
    }
    atexit(teardown);
}

RUN_TESTS(T(open_creates_missing_root), T(describe_is_absolute), T(put_nested_exact_content),
          T(bad_keys_rejected), T(put_fails_cleanly_when_a_folder_is_a_file), T(ready_fails_when_root_missing),
          T(ready_fails_when_root_unusable), T(ready_leaves_nothing), T(get_reads_back_exactly_and_bounded),
          T(list_walks_the_prefix_recursively))
