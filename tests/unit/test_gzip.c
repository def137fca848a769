/* The gzip inflater: exact round trips, concatenated members, and every way a body can be bad
 * (truncated, corrupt, not gzip, trailing junk, a bomb past the cap) turned into an error. */
#include <zlib.h>

#include "check.h"
#include "util/gzip.h"

/* Compresses data into a fresh gzip member with zlib (the reference encoder). */
static void gz(const void *data, size_t len, int level, buf_t *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t bound = deflateBound(&zs, (uLong)len) + 32;
    uint8_t *p = buf_extend(out, bound);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = p;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    out->len -= zs.avail_out;
    deflateEnd(&zs);
}

TEST(is_gzip)
{
    CHECK(gzip_is_gzip((const uint8_t *)"\x1f\x8b\x08", 3));
    CHECK(!gzip_is_gzip((const uint8_t *)"\x1f", 1));
    CHECK(!gzip_is_gzip((const uint8_t *)"{}", 2));
}

TEST(round_trip)
{
    size_t n = 1000000;
    uint8_t *data = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (i % 3) ? (uint8_t)(x >> 24) : (uint8_t)'a' + (uint8_t)(i % 7); /* half compressible */
    }
    buf_t z = {0}, out = {0};
    gz(data, n, 6, &z);
    err_t err;
    err_clear(&err);
    CHECK(gzip_inflate(z.data, z.len, n, &out, &err) == 0); /* exactly at the cap is fine */
    CHECK_EQ_MEM(out.data, out.len, data, n);

    /* appends to what out already holds */
    buf_clear(&out);
    buf_append_str(&out, "head:");
    CHECK(gzip_inflate(z.data, z.len, n, &out, &err) == 0);
    CHECK_EQ_INT(out.len, n + 5);
    CHECK(memcmp(out.data, "head:", 5) == 0 && memcmp(out.data + 5, data, n) == 0);

    /* one byte under the cap is too large, and out keeps its old content */
    buf_clear(&out);
    buf_append_str(&out, "keep");
    err_clear(&err);
    CHECK(gzip_inflate(z.data, z.len, n - 1, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_TOO_LARGE);
    CHECK_EQ_MEM(out.data, out.len, "keep", 4);
    free(data);
    buf_free(&z);
    buf_free(&out);
}

TEST(empty_payload)
{
    buf_t z = {0}, out = {0};
    gz("", 0, 6, &z);
    err_t err;
    CHECK(gzip_inflate(z.data, z.len, 0, &out, &err) == 0);
    CHECK_EQ_INT(out.len, 0);
    buf_free(&z);
    buf_free(&out);
}

TEST(concatenated_members)
{
    buf_t z = {0}, out = {0};
    gz("hello, ", 7, 9, &z);
    gz("", 0, 1, &z);
    gz("world", 5, 0, &z); /* stored block */
    err_t err;
    CHECK(gzip_inflate(z.data, z.len, 100, &out, &err) == 0);
    CHECK_EQ_MEM(out.data, out.len, "hello, world", 12);
    buf_free(&z);
    buf_free(&out);
}

TEST(truncated)
{
    const char *text = "the quick brown fox jumps over the lazy dog, again and again and again";
    buf_t z = {0}, out = {0};
    gz(text, strlen(text), 6, &z);
    err_t err;
    /* every proper prefix is an error, none a success with partial data */
    for (size_t cut = 1; cut < z.len; cut++) {
        err_clear(&err);
        buf_clear(&out);
        if (gzip_inflate(z.data, cut, 1000, &out, &err) != -1) {
            printf("    prefix of %zu bytes accepted\n", cut);
            CHECK(0);
        }
        CHECK_EQ_INT(err.code, ERR_INVALID);
        CHECK_EQ_INT(out.len, 0);
    }
    err_clear(&err);
    CHECK(gzip_inflate(z.data, z.len - 1, 1000, &out, &err) == -1);
    CHECK(strstr(err.msg, "truncated") != NULL);
    err_clear(&err);
    CHECK(gzip_inflate(z.data, 0, 1000, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_INVALID);
    buf_free(&z);
    buf_free(&out);
}

TEST(corrupt)
{
    const char *text = "some telemetry some telemetry some telemetry some telemetry";
    buf_t z = {0}, out = {0};
    gz(text, strlen(text), 6, &z);
    err_t err;

    /* a flipped bit in the deflate data or the CRC-32 trailer */
    z.data[z.len - 6] ^= 0x01;
    err_clear(&err);
    CHECK(gzip_inflate(z.data, z.len, 1000, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_INVALID);
    CHECK(strstr(err.msg, "gzip") != NULL);
    z.data[z.len - 6] ^= 0x01;

    /* bad magic */
    z.data[1] = 0x8c;
    err_clear(&err);
    CHECK(gzip_inflate(z.data, z.len, 1000, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_INVALID);
    z.data[1] = 0x8b;

    /* wrong length in the trailer */
    z.data[z.len - 1] ^= 0x40;
    err_clear(&err);
    CHECK(gzip_inflate(z.data, z.len, 1000, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_INVALID);
    z.data[z.len - 1] ^= 0x40;

    /* not gzip at all: plain protobuf or JSON bytes */
    err_clear(&err);
    CHECK(gzip_inflate((const uint8_t *)"{\"resourceLogs\":[]}", 19, 1000, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_INVALID);

    /* junk after a good member */
    buf_append_str(&z, "junk");
    err_clear(&err);
    CHECK(gzip_inflate(z.data, z.len, 1000, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_INVALID);
    CHECK(strstr(err.msg, "after the end of member 1") != NULL);
    CHECK_EQ_INT(out.len, 0);

    /* the good member alone still works */
    z.len -= 4;
    CHECK(gzip_inflate(z.data, z.len, 1000, &out, &err) == 0);
    CHECK_EQ_MEM(out.data, out.len, text, strlen(text));
    buf_free(&z);
    buf_free(&out);
}

TEST(bomb_past_cap)
{
    /* 256 MiB of zeros squeeze into about 256 KiB; with a 1 MiB cap the inflater must stop
     * after the cap, not decompress (or allocate) the whole thing. */
    size_t n = (size_t)256 << 20;
    uint8_t *zeros = calloc(1, n);
    buf_t z = {0}, out = {0};
    gz(zeros, n, 9, &z);
    free(zeros);
    CHECK(z.len < n / 500);
    err_t err;
    err_clear(&err);
    size_t cap = (size_t)1 << 20;
    CHECK(gzip_inflate(z.data, z.len, cap, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_TOO_LARGE);
    CHECK(strstr(err.msg, "1048576") != NULL);
    CHECK_EQ_INT(out.len, 0);
    CHECK(out.cap <= 4 * cap); /* memory stayed near the cap */

    /* a bomb split into many members is capped the same way */
    buf_t zz = {0};
    uint8_t *mb = calloc(1, cap / 2);
    for (int i = 0; i < 3; i++)
        gz(mb, cap / 2, 9, &zz);
    free(mb);
    buf_free(&out);
    err_clear(&err);
    CHECK(gzip_inflate(zz.data, zz.len, cap, &out, &err) == -1);
    CHECK_EQ_INT(err.code, ERR_TOO_LARGE);
    buf_free(&zz);
    buf_free(&z);
    buf_free(&out);
}

RUN_TESTS(T(is_gzip), T(round_trip), T(empty_payload), T(concatenated_members), T(truncated), T(corrupt),
          T(bomb_past_cap))
