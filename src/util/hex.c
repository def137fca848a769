#include "util/hex.h"

#include <stdint.h>

void hex_encode(char *out, const void *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(void *out, const char *in, size_t n)
{
    if (n % 2)
        return -1;
    uint8_t *o = out;
    for (size_t i = 0; i < n; i += 2) {
        int hi = nibble(in[i]), lo = nibble(in[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        o[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
