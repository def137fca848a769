/* Local filesystem backend. A key becomes a path below the root; every object is written to a
 * hidden temp file in its final folder, fsynced, renamed into place and the folder fsynced, so
 * a reader (or a crash) sees the whole file or nothing, and a put that returned 0 survives a
 * power cut. */
#include "storage/storage.h"
#include "util/file_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    storage_t base;
    char *root; /* absolute, no trailing slash (except for "/" itself) */
    /* Serialises folder creation: a thread that finds a folder already there must be able to
     * rely on its entry being durable, i.e. on its creator having fsynced the parent. */
    pthread_mutex_t mkdir_lock;
} fs_storage_t;

/* Keys are at most this long; the temp name adds a prefix and a suffix to the last segment. */
#define FS_KEY_MAX 1024
#define FS_TMP_EXTRA 32

/* Out of space is a condition clients should retry (503), not a server bug (500). */
static err_code_t io_code(int e)
{
    return (e == ENOSPC || e == EDQUOT) ? ERR_UNAVAILABLE : ERR_IO;
}

/* Keys come from our own layout code, which escapes user data; this is the last line of
 * defence that keeps any key, however built, inside the root. */
static int key_check(const char *key, err_t *err)
{
    if (!key || !*key)
        return err_set(err, ERR_INTERNAL, "storage fs: empty key");
    size_t n = strlen(key);
    if (n > FS_KEY_MAX)
        return err_set(err, ERR_INTERNAL, "storage fs: key of %zu bytes, at most %d", n, FS_KEY_MAX);
    if (key[0] == '/')
        return err_set(err, ERR_INTERNAL, "storage fs: absolute key \"%s\"", key);
    const char *seg = key;
    for (const char *p = key;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/' || c == 0) {
            size_t len = (size_t)(p - seg);
            if (len == 0)
                return err_set(err, ERR_INTERNAL, "storage fs: key \"%s\" has an empty segment", key);
            if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
                return err_set(err, ERR_INTERNAL, "storage fs: key \"%s\" has a \".\" or \"..\" segment",
                               key);
            if (len + FS_TMP_EXTRA > NAME_MAX)
                return err_set(err, ERR_INTERNAL, "storage fs: key \"%s\" has a segment of %zu bytes", key,
                               len);
            if (c == 0)
                break;
            seg = p + 1;
        } else if (c == '\\') {
            return err_set(err, ERR_INTERNAL, "storage fs: key \"%s\" contains a backslash", key);
        } else if (c < 0x20 || c == 0x7f) {
            return err_set(err, ERR_INTERNAL, "storage fs: key contains control byte 0x%02x", c);
        }
    }
    return 0;
}

/* 64 random bits for temp names: unique across threads and concurrent processes. */
static uint64_t random_u64(void)
{
    uint64_t v;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
        return v;
    /* No entropy yet (early boot): mix time, pid and a counter; O_EXCL still catches a clash. */
    static _Atomic uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40) ^
        (atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15u);
    return v;
}

static int fsync_fd(int fd) { return fsync(fd) == 0 || errno == EINVAL ? 0 : -1; }

/* Opens the folder of a key below root (dir is the key up to its last '/', len bytes, may be
 * 0), creating missing folders and fsyncing each parent that got a new entry. */
static int open_dir(fs_storage_t *fs, const char *key, size_t len, int *out, err_t *err)
{
    int dfd = open(fs->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int e = errno;
        /* A vanished root usually means an unmounted volume: never recreate it (we would write
         * into the mount point), and let clients retry. */
        return err_set(err, e == ENOENT ? ERR_UNAVAILABLE : ERR_IO, "storage fs: open %s: %s", fs->root,
                       strerror(e));
    }
    if (len == 0) {
        *out = dfd;
        return 0;
    }
    pthread_mutex_lock(&fs->mkdir_lock);
    size_t pos = 0;
    while (pos < len) {
        const char *seg = key + pos;
        size_t n = 0;
        while (pos + n < len && seg[n] != '/')
            n++;
        char name[NAME_MAX + 1];
        memcpy(name, seg, n);
        name[n] = 0;
        if (mkdirat(dfd, name, 0755) == 0) {
            if (fsync_fd(dfd)) {
                int e = errno;
                pthread_mutex_unlock(&fs->mkdir_lock);
                close(dfd);
                return err_set(err, io_code(e), "storage fs: fsync the parent of %s/%.*s: %s", fs->root,
                               (int)(pos + n), key, strerror(e));
            }
        } else if (errno != EEXIST) {
            int e = errno;
            pthread_mutex_unlock(&fs->mkdir_lock);
            close(dfd);
            return err_set(err, io_code(e), "storage fs: mkdir %s/%.*s: %s", fs->root, (int)(pos + n), key,
                           strerror(e));
        }
        int nfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (nfd < 0) {
            int e = errno;
            pthread_mutex_unlock(&fs->mkdir_lock);
            close(dfd);
            return err_set(err, ERR_IO, "storage fs: open %s/%.*s: %s", fs->root, (int)(pos + n), key,
                           strerror(e));
        }
        close(dfd);
        dfd = nfd;
        pos += n + 1;
    }
    pthread_mutex_unlock(&fs->mkdir_lock);
    *out = dfd;
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t chunk = n > (size_t)1 << 30 ? (size_t)1 << 30 : n;
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) { /* cannot happen for a regular file; do not spin if it does */
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fs_put(storage_t *s, const char *key, const uint8_t *data, size_t len, err_t *err)
{
    fs_storage_t *fs = (fs_storage_t *)s;
    if (key_check(key, err))
        return -1;
    const char *slash = strrchr(key, '/');
    size_t dirlen = slash ? (size_t)(slash - key) : 0;
    const char *name = slash ? slash + 1 : key;

    int dfd = -1;
    if (open_dir(fs, key, dirlen, &dfd, err))
        return -1;

    /* Hidden and not ending in .parquet: globbing readers never pick up a half-written file. */
    char tmp[NAME_MAX + 1];
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
        snprintf(tmp, sizeof tmp, ".%s.tmp-%016llx", name, (unsigned long long)random_u64());
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        close(dfd);
        return err_set(err, io_code(e), "storage fs: create %s/%.*s%s%s: %s", fs->root, (int)dirlen, key,
                       dirlen ? "/" : "", tmp, strerror(e));
    }

    const char *step = "write";
    int rc = write_all(fd, data, len);
    if (rc == 0) {
        step = "fsync";
        rc = fsync_fd(fd);
    }
    int e = rc ? errno : 0;
    if (close(fd) && rc == 0) { /* NFS and friends may report a failed write only here */
        step = "close";
        rc = -1;
        e = errno;
    }
    if (rc == 0) {
        step = "rename";
        if (renameat(dfd, tmp, dfd, name)) {
            rc = -1;
            e = errno;
        }
    }
    if (rc) {
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return err_set(err, io_code(e), "storage fs: %s %s/%.*s%s%s: %s", step, fs->root, (int)dirlen, key,
                       dirlen ? "/" : "", tmp, strerror(e));
    }
    /* The rename is durable only once the folder is; without it the caller must not report
     * success, and a file it reports as failed must not stay behind (the client retries). */
    if (fsync_fd(dfd)) {
        e = errno;
        unlinkat(dfd, name, 0);
        close(dfd);
        return err_set(err, io_code(e), "storage fs: fsync the folder of %s/%s: %s", fs->root, key,
                       strerror(e));
    }
    close(dfd);
    return 0;
}

static int fs_del(storage_t *s, const char *key, err_t *err)
{
    fs_storage_t *fs = (fs_storage_t *)s;
    if (key_check(key, err))
        return -1;
    const char *slash = strrchr(key, '/');
    size_t dirlen = slash ? (size_t)(slash - key) : 0;
    int dfd = -1;
    if (open_dir(fs, key, dirlen, &dfd, err))
        return -1;
    const char *name = slash ? slash + 1 : key;
    if (unlinkat(dfd, name, 0) && errno != ENOENT) {
        int e = errno;
        close(dfd);
        return err_set(err, io_code(e), "storage fs: remove %s/%s: %s", fs->root, key, strerror(e));
    }
    int rc = fsync_fd(dfd);
    close(dfd);
    return rc ? err_set(err, ERR_IO, "storage fs: fsync the folder of %s/%s", fs->root, key) : 0;
}

static int fs_ready(storage_t *s, err_t *err)
{
    fs_storage_t *fs = (fs_storage_t *)s;
    int dfd = open(fs->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return err_set(err, ERR_UNAVAILABLE, "storage fs: open %s: %s", fs->root, strerror(errno));
    char probe[64];
    snprintf(probe, sizeof probe, ".ready-probe-%016llx", (unsigned long long)random_u64());
    int fd = openat(dfd, probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        close(dfd);
        return err_set(err, ERR_UNAVAILABLE, "storage fs: cannot create a file in %s: %s", fs->root,
                       strerror(e));
    }
    /* A byte written and synced proves more than an empty inode (a full disk still allows that
     * on some filesystems). */
    int rc = write_all(fd, (const uint8_t *)"1", 1) || fsync_fd(fd) ? -1 : 0;
    int e = rc ? errno : 0;
    if (close(fd) && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (unlinkat(dfd, probe, 0) && rc == 0) {
        rc = -1;
        e = errno;
    }
    close(dfd);
    if (rc)
        return err_set(err, ERR_UNAVAILABLE, "storage fs: cannot write to %s: %s", fs->root, strerror(e));
    return 0;
}

static int fs_get(storage_t *s, const char *key, size_t max, buf_t *out, err_t *err)
{
    fs_storage_t *fs = (fs_storage_t *)s;
    if (key_check(key, err))
        return -1;
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s%s%s", fs->root, strcmp(fs->root, "/") ? "/" : "", key);
    if (n < 0 || (size_t)n >= sizeof path)
        return err_set(err, ERR_INTERNAL, "storage fs: path of \"%s\" too long", key);
    int rc = file_read_bounded(path, max, out, err);
    if (rc < 0 && err->code == ERR_CONFIG)
        err->code = ERR_IO;
    return rc;
}

/* A name the backend itself leaves behind for a moment: a put's temp file
 * (".<name>.tmp-<16 hex>") or a ready() probe (".ready-probe-<16 hex>"). */
static int is_own_temp(const char *name)
{
    if (name[0] != '.')
        return 0;
    if (!strncmp(name, ".ready-probe-", 13))
        return 1;
    size_t n = strlen(name);
    if (n < 1 + 5 + 16)
        return 0;
    const char *t = name + n - 16 - 5;
    if (memcmp(t, ".tmp-", 5))
        return 0;
    return strspn(t + 5, "0123456789abcdef") == 16;
}

typedef struct {
    fs_storage_t *fs;
    const char *prefix; /* the whole prefix: keys must start with it */
    size_t max_keys, reported;
    storage_list_cb cb;
    void *ctx;
    int stop;
    char key[FS_KEY_MAX + NAME_MAX + 2];
} fs_list_t;

/* Lists the folder dfd (taken: closed here) whose key is l->key[0..klen) ("" or ending in
 * '/'). Symbolic links are never followed: a link inside the root cannot lead the walk out. */
static int list_dir(fs_list_t *l, int dfd, size_t klen, err_t *err)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return err_set(err, io_code(e), "storage fs: list %s/%.*s: %s", l->fs->root, (int)klen, l->key, strerror(e));
    }
    int rc = 0;
    size_t plen = strlen(l->prefix);
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                rc = err_set(err, io_code(errno), "storage fs: list %s/%.*s: %s", l->fs->root, (int)klen, l->key,
                             strerror(errno));
            break;
        }
        const char *name = de->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..") || is_own_temp(name))
            continue;
        size_t nlen = strlen(name);
        if (klen + nlen + 1 > FS_KEY_MAX) /* no key of ours is that long: not ours */
            continue;
        memcpy(l->key + klen, name, nlen + 1);
        /* below the prefix's folder, only what can still match the prefix */
        size_t cmp = klen + nlen < plen ? klen + nlen : plen;
        if (memcmp(l->key, l->prefix, cmp))
            continue;
        unsigned char type = de->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW))
                continue; /* gone meanwhile */
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
        }
        if (type == DT_DIR) {
            int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                if (errno == ENOENT)
                    continue;
                rc = err_set(err, io_code(errno), "storage fs: open %s/%s: %s", l->fs->root, l->key, strerror(errno));
                break;
            }
            l->key[klen + nlen] = '/';
            l->key[klen + nlen + 1] = 0;
            rc = list_dir(l, sub, klen + nlen + 1, err);
            if (rc || l->stop)
                break;
        } else if (type == DT_REG && klen + nlen >= plen) {
            if (l->cb(l->ctx, l->key) || (l->max_keys && ++l->reported >= l->max_keys)) {
                l->stop = 1;
                break;
            }
        }
    }
    closedir(d);
    return rc;
}

static int fs_list(storage_t *s, const char *prefix, size_t max_keys, storage_list_cb cb, void *ctx, err_t *err)
{
    fs_storage_t *fs = (fs_storage_t *)s;
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    /* the folder part (up to the last '/') must be a valid key; the rest only filters names */
    const char *slash = strrchr(prefix, '/');
    size_t dirlen = slash ? (size_t)(slash - prefix) : 0;
    if (plen > FS_KEY_MAX)
        return err_set(err, ERR_INTERNAL, "storage fs: list prefix of %zu bytes, at most %d", plen, FS_KEY_MAX);
    if (prefix[0] == '/')
        return err_set(err, ERR_INTERNAL, "storage fs: absolute list prefix \"%s\"", prefix);
    char dir[FS_KEY_MAX + 1];
    memcpy(dir, prefix, dirlen);
    dir[dirlen] = 0;
    if (dirlen && key_check(dir, err))
        return err_prefix(err, "list");
    const char *rest = slash ? slash + 1 : prefix;
    if (!strcmp(rest, ".") || !strcmp(rest, "..") || strchr(rest, '\\'))
        return err_set(err, ERR_INTERNAL, "storage fs: list prefix \"%s\" has a \".\" or \"..\" segment", prefix);

    fs_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return err_set(err, ERR_NOMEM, "storage fs: out of memory");
    *l = (fs_list_t){.fs = fs, .prefix = prefix, .max_keys = max_keys, .cb = cb, .ctx = ctx};
    int dfd = open(fs->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int e = errno;
        free(l);
        return err_set(err, e == ENOENT ? ERR_UNAVAILABLE : ERR_IO, "storage fs: open %s: %s", fs->root,
                       strerror(e));
    }
    if (dirlen) {
        int sub = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int e = errno;
        close(dfd);
        if (sub < 0) {
            free(l);
            if (e == ENOENT || e == ENOTDIR)
                return 0; /* nothing stored there yet */
            return err_set(err, io_code(e), "storage fs: open %s/%s: %s", fs->root, dir, strerror(e));
        }
        dfd = sub;
        memcpy(l->key, dir, dirlen);
        l->key[dirlen] = '/';
        dirlen++;
    }
    l->key[dirlen] = 0;
    int rc = list_dir(l, dfd, dirlen, err);
    free(l);
    return rc;
}

static void fs_describe(storage_t *s, const char *key, char *out, size_t outlen)
{
    fs_storage_t *fs = (fs_storage_t *)s;
    if (!outlen)
        return;
    if (!key || !*key)
        snprintf(out, outlen, "%s", fs->root);
    else
        snprintf(out, outlen, "%s%s%s", fs->root, strcmp(fs->root, "/") ? "/" : "", key);
}

static void fs_destroy(storage_t *s)
{
    fs_storage_t *fs = (fs_storage_t *)s;
    pthread_mutex_destroy(&fs->mkdir_lock);
    free(fs->root);
    free(fs);
}

static const storage_ops_t fs_ops = {
    .put = fs_put,
    .del = fs_del,
    .get = fs_get,
    .list = fs_list,
    .ready = fs_ready,
    .describe = fs_describe,
    .destroy = fs_destroy,
};

/* mkdir -p for the root, fsyncing the parent of every folder it creates. */
static int mkdir_p(const char *dir, err_t *err)
{
    size_t n = strlen(dir);
    char *path = malloc(n + 1);
    if (!path)
        return err_set(err, ERR_NOMEM, "storage fs: out of memory");
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        if (path[i - 1] == '/') /* repeated slashes */
            continue;
        char saved = path[i];
        path[i] = 0;
        if (mkdir(path, 0755) == 0) {
            /* the parent got a new entry: make it durable */
            char *cut = strrchr(path, '/');
            int pfd;
            if (!cut)
                pfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            else if (cut == path)
                pfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            else {
                *cut = 0;
                pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                *cut = '/';
            }
            if (pfd >= 0) {
                fsync_fd(pfd);
                close(pfd);
            }
        } else if (errno != EEXIST) {
            int e = errno;
            err_set(err, ERR_IO, "storage fs: mkdir %s: %s", path, strerror(e));
            free(path);
            return -1;
        }
        path[i] = saved;
    }
    free(path);
    return 0;
}

storage_t *storage_fs_open(const char *dir, err_t *err)
{
    if (!dir || !*dir) {
        err_set(err, ERR_CONFIG, "storage fs: empty storage path");
        return NULL;
    }
    if (mkdir_p(dir, err))
        return NULL;
    /* Resolved once, so the location does not change with the working directory and logs name
     * the real folder. */
    char *root = realpath(dir, NULL);
    if (!root) {
        err_set(err, ERR_IO, "storage fs: %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (stat(root, &st) || !S_ISDIR(st.st_mode)) {
        err_set(err, ERR_IO, "storage fs: %s is not a folder", root);
        free(root);
        return NULL;
    }
    fs_storage_t *fs = calloc(1, sizeof *fs);
    if (!fs) {
        free(root);
        err_set(err, ERR_NOMEM, "storage fs: out of memory");
        return NULL;
    }
    fs->base.ops = &fs_ops;
    fs->root = root;
    pthread_mutex_init(&fs->mkdir_lock, NULL);
    return &fs->base;
}
