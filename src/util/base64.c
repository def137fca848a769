#include "util/base64.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(char *out, const void *in, size_t n)
{
    const uint8_t *p = in;
    size_t i = 0, o = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64_std[v >> 18];
        out[o++] = b64_std[(v >> 12) & 63];
        out[o++] = b64_std[(v >> 6) & 63];
        out[o++] = b64_std[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = b64_std[v >> 18];
        out[o++] = b64_std[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = b64_std[v >> 18];
        out[o++] = b64_std[(v >> 12) & 63];
        out[o++] = b64_std[(v >> 6) & 63];
        out[o++] = '=';
    }
}

int buf_put_base64(buf_t *b, const void *in, size_t n)
{
    if (n == 0)
        return 0; /* b->data may still be NULL: no pointer arithmetic on it */
    if (n > SIZE_MAX / 4 * 3 - 3)
        return -1;
    size_t m = base64_encoded_len(n);
    if (buf_reserve(b, m))
        return -1;
    base64_encode((char *)b->data + b->len, in, n);
    b->len += m;
    return 0;
}

/* The value (0..63) of a character of either alphabet, -1 for anything else; *alphabet
 * remembers which alphabet the input uses (1 standard, 2 URL-safe) once a character says so. */
static int b64_val(unsigned char c, int *alphabet)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    int which = 0, v = -1;
    if (c == '+' || c == '/')
        which = 1, v = c == '+' ? 62 : 63;
    else if (c == '-' || c == '_')
        which = 2, v = c == '-' ? 62 : 63;
    else
        return -1;
    if (*alphabet && *alphabet != which)
        return -1; /* one input, one alphabet */
    *alphabet = which;
    return v;
}

int base64_decode(uint8_t *out, size_t *outlen, const char *in, size_t n)
{
    size_t pad = 0;
    if (n % 4 == 0 && n >= 1 && in[n - 1] == '=') {
        pad = 1;
        if (in[n - 2] == '=')
            pad = 2;
    }
    size_t m = n - pad; /* significant characters */
    if (m % 4 == 1)
        return -1;
    int alphabet = 0;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < m; i++) {
        int v = b64_val((unsigned char)in[i], &alphabet);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* leftover bits (fewer than 8) are the encoder's zero fill; they are not checked, as other
     * decoders do not check them either */
    *outlen = o;
    return 0;
}
