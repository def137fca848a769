#include "util/file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_bounded(const char *path, size_t max, buf_t *out, err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        return err_set(err, ERR_CONFIG, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(err, ERR_CONFIG, "%s is not a regular file", path);
    }
    size_t start = out->len;
    for (;;) {
        /* one byte past the bound tells "exactly max" from "more" */
        if (buf_reserve(out, 4096)) {
            close(fd);
            out->len = start;
            return err_set(err, ERR_NOMEM, "out of memory reading %s", path);
        }
        size_t room = out->cap - out->len;
        if (room > max + 1 - (out->len - start))
            room = max + 1 - (out->len - start);
        ssize_t n = read(fd, out->data + out->len, room);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            out->len = start;
            return err_set(err, ERR_CONFIG, "cannot read %s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        if (out->len - start > max) {
            close(fd);
            out->len = start;
            return err_set(err, ERR_CONFIG, "%s is over %zu bytes", path, max);
        }
    }
    close(fd);
    return 0;
}
