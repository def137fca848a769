#include "util/gzip.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

int gzip_is_gzip(const uint8_t *data, size_t len) { return len >= 2 && data[0] == 0x1f && data[1] == 0x8b; }

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* The one capped inflate loop behind both framings: wbits 16 + MAX_WBITS (gzip, members may
 * follow one another) or -MAX_WBITS (raw deflate, one stream, nothing after it). */
static int inflate_capped(const uint8_t *in, size_t len, size_t max_out, buf_t *out, err_t *err, int wbits,
                          const char *what)
{
    const size_t start = out->len;
    const int raw = wbits < 0;
    if (len == 0)
        return err_set(err, ERR_INVALID, "%s: empty input", what);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int zrc = inflateInit2(&zs, wbits);
    if (zrc != Z_OK)
        return err_set(err, zrc == Z_MEM_ERROR ? ERR_NOMEM : ERR_INTERNAL, "%s: inflateInit2 failed (%d)", what, zrc);

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
                rc = err_set(err, ERR_NOMEM, "%s: out of memory after %zu decompressed bytes", what, produced);
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
            rc = err_set(err, ERR_TOO_LARGE, "%s: decompressed data exceeds the limit of %zu bytes", what, max_out);
            break;
        }
        size_t consumed = len - left - zs.avail_in;
        if (zrc == Z_STREAM_END) {
            members++;
            if (zs.avail_in == 0 && left == 0)
                break;
            if (raw)
                break; /* some writers (fastavro) leave bytes after the stream; readers ignore them */
            /* another member follows (concatenated gzip files are one valid stream) */
            inflateReset(&zs);
            continue;
        }
        if (zrc == Z_OK)
            continue;
        if (zrc == Z_BUF_ERROR && zs.avail_out > 0 && zs.avail_in == 0 && left == 0) {
            rc = err_set(err, ERR_INVALID, "%s: truncated: the input ends after %zu bytes, inside the compressed stream",
                         what, len);
            break;
        }
        if (zrc == Z_BUF_ERROR)
            continue; /* output full: grow and go on */
        if (zrc == Z_MEM_ERROR) {
            rc = err_set(err, ERR_NOMEM, "%s: out of memory", what);
            break;
        }
        if (members > 0)
            rc = err_set(err, ERR_INVALID, "%s: bad data at byte %zu, after the end of member %d: %s", what, consumed,
                         members, zs.msg ? zs.msg : "corrupt stream");
        else
            rc = err_set(err, ERR_INVALID, "%s: bad data at byte %zu: %s", what, consumed,
                         zs.msg ? zs.msg : "corrupt stream");
        break;
    }
    inflateEnd(&zs);
    if (rc)
        out->len = start;
    return rc;
}

int gzip_inflate(const uint8_t *in, size_t len, size_t max_out, buf_t *out, err_t *err)
{
    /* gzip framing only (a zlib or raw deflate stream is not Content-Encoding gzip); zlib checks
     * the CRC-32 and length of every member. */
    return inflate_capped(in, len, max_out, out, err, 16 + MAX_WBITS, "gzip");
}

int deflate_raw_inflate(const uint8_t *in, size_t len, size_t max_out, buf_t *out, err_t *err)
{
    return inflate_capped(in, len, max_out, out, err, -MAX_WBITS, "deflate");
}

int deflate_raw_compress(const uint8_t *in, size_t len, int level, buf_t *out, err_t *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int zrc = deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    if (zrc != Z_OK)
        return err_set(err, zrc == Z_MEM_ERROR ? ERR_NOMEM : ERR_INTERNAL, "deflate: deflateInit2 failed (%d)", zrc);
    if (len > UINT_MAX) {
        deflateEnd(&zs);
        return err_set(err, ERR_TOO_LARGE, "deflate: %zu bytes is more than one call compresses", len);
    }
    size_t bound = deflateBound(&zs, (uLong)len) + 16;
    uint8_t *p = buf_extend(out, bound);
    if (!p) {
        deflateEnd(&zs);
        return err_set(err, ERR_NOMEM, "deflate: out of memory");
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = p;
    zs.avail_out = (uInt)bound;
    zrc = deflate(&zs, Z_FINISH);
    out->len -= zs.avail_out;
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        out->len -= bound - zs.avail_out;
        return err_set(err, ERR_INTERNAL, "deflate: deflate did not finish (%d)", zrc);
    }
    return 0;
}
