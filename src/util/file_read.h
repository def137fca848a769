/* Reading a whole small file (settings, tokens) with a size bound, so a wrong path (a device,
 * a huge log) cannot make us read without limit. */
#ifndef OTLP2PARQUET_UTIL_FILE_READ_H
#define OTLP2PARQUET_UTIL_FILE_READ_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Appends the file's bytes to out. 0 when read; 1 when it does not exist (ENOENT or ENOTDIR);
 * -1 (ERR_CONFIG naming the path) when it cannot be read, is not a regular file, or holds more
 * than max bytes; ERR_NOMEM when memory runs out. */
int file_read_bounded(const char *path, size_t max, buf_t *out, err_t *err);

#endif
