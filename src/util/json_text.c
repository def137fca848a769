#include "util/json_text.h"

#include <stdint.h>

#include "util/utf8.h"

/* 0: copy as is; 1: needs an escape; 2: first byte of a multi-byte sequence (check it). */
static const uint8_t json_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

int json_put_escaped(buf_t *b, const void *sv, size_t n)
{
    const uint8_t *s = sv;
    size_t i = 0;
    if (buf_reserve(b, n)) /* the common case, nothing to escape, then needs no more */
        return -1;
    while (i < n) {
        size_t run = i;
        while (run < n && json_class[s[run]] == 0)
            run++;
        if (run > i && buf_append(b, s + i, run - i))
            return -1;
        i = run;
        if (i == n)
            break;
        uint8_t c = s[i];
        if (json_class[c] == 2) {
            uint32_t cp;
            size_t len = utf8_decode(s + i, n - i, &cp);
            if (len) {
                if (buf_append(b, s + i, len))
                    return -1;
            } else if (buf_append(b, "\xEF\xBF\xBD", 3)) /* U+FFFD for one bad byte */
                return -1;
            i += len ? len : 1;
            continue;
        }
        char esc[6] = {'\\', 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = "0123456789abcdef"[c >> 4];
            esc[5] = "0123456789abcdef"[c & 15];
            elen = 6;
        }
        if (buf_append(b, esc, elen))
            return -1;
        i++;
    }
    return 0;
}

int json_put_string(buf_t *b, const void *s, size_t n)
{
    if (buf_put_u8(b, '"') || json_put_escaped(b, s, n) || buf_put_u8(b, '"'))
        return -1;
    return 0;
}
