#include "util/gzip.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

int gzip_is_gzip(const uint8_t *data, size_t len) { return len >= 2 && data[0] == 0x1f && data[1] == 0x8b; }

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

int gzip_inflate(const uint8_t *in, size_t len, size_t max_out, buf_t *out, err_t *err)
{
    const size_t start = out->len;
    if (len == 0)
        return err_set(err, ERR_INVALID, "gzip: empty input");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 16 + window bits: gzip framing only (a zlib or raw deflate stream is not Content-Encoding
     * gzip); zlib checks the CRC-32 and length of every member. */
    int zrc = inflateInit2(&zs, 16 + MAX_WBITS);
    if (zrc != Z_OK)
        return err_set(err, zrc == Z_MEM_ERROR ? ERR_NOMEM : ERR_INTERNAL, "gzip: inflateInit2 failed (%d)", zrc);

    const uint8_t *next = in;
    size_t left = len;  /* input not yet handed to zlib */
    size_t produced = 0;
    int members = 0;
    int rc = 0;
    for (;;) {
        if (zs.avail_in == 0 && left > 0) {
            size_t chunk = min_size(left, UINT_MAX); /* zlib counts in uInt */
            zs.next_in = (Bytef *)(uintptr_t)next;
            zs.avail_in = (uInt)chunk;
            next += chunk;
            left -= chunk;
        }
        /* Room for one byte past the cap, so that reaching it proves the stream is too large
         * without ever inflating more. */
        size_t room = max_out - produced == SIZE_MAX ? SIZE_MAX : max_out - produced + 1;
        if (out->cap == out->len) {
            size_t grow = out->len - start;
            if (grow < 64 * 1024)
                grow = 64 * 1024;
            if (grow < len && len < SIZE_MAX / 4)
                grow = len * 4; /* typical ratio for telemetry, fewer reallocations */
            if (buf_reserve(out, min_size(grow, room))) {
                rc = err_set(err, ERR_NOMEM, "gzip: out of memory after %zu decompressed bytes", produced);
                break;
            }
        }
        size_t avail = min_size(min_size(out->cap - out->len, room), UINT_MAX);
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)avail;
        zrc = inflate(&zs, Z_NO_FLUSH);
        size_t got = avail - zs.avail_out;
        out->len += got;
        produced += got;
        if (produced > max_out) {
            rc = err_set(err, ERR_TOO_LARGE, "gzip: decompressed body exceeds the limit of %zu bytes", max_out);
            break;
        }
        size_t consumed = len - left - zs.avail_in;
        if (zrc == Z_STREAM_END) {
            members++;
            if (zs.avail_in == 0 && left == 0)
                break;
            /* another member follows (concatenated gzip files are one valid stream) */
            inflateReset(&zs);
            continue;
        }
        if (zrc == Z_OK)
            continue;
        if (zrc == Z_BUF_ERROR && zs.avail_out > 0 && zs.avail_in == 0 && left == 0) {
            rc = err_set(err, ERR_INVALID, "gzip: truncated: the input ends after %zu bytes, inside the compressed stream",
                         len);
            break;
        }
        if (zrc == Z_BUF_ERROR)
            continue; /* output full: grow and go on */
        if (zrc == Z_MEM_ERROR) {
            rc = err_set(err, ERR_NOMEM, "gzip: out of memory");
            break;
        }
        if (members > 0)
            rc = err_set(err, ERR_INVALID, "gzip: bad data at byte %zu, after the end of member %d: %s", consumed,
                         members, zs.msg ? zs.msg : "corrupt stream");
        else
            rc = err_set(err, ERR_INVALID, "gzip: bad data at byte %zu: %s", consumed,
                         zs.msg ? zs.msg : "corrupt stream");
        break;
    }
    inflateEnd(&zs);
    if (rc)
        out->len = start;
    return rc;
}
