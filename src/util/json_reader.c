#include "util/json_reader.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/utf8.h"

/* What the grammar allows next. */
enum {
    ST_VALUE,        /* a value: at the start, after ':', after ',' in an array */
    ST_VALUE_OR_END, /* after '[': a value or ']' */
    ST_KEY_OR_END,   /* after '{': a member name or '}' */
    ST_KEY,          /* after ',' in an object: a member name */
    ST_COLON,        /* after a member name */
    ST_COMMA_OR_END, /* after a value inside a container */
    ST_DONE,         /* the top-level value is complete */
    ST_FAILED,
};

void json_reader_init(json_reader_t *r, const void *data, size_t len)
{
    r->base = data;
    r->p = r->base;
    r->end = r->base + len;
    r->scratch = (buf_t){0};
    r->depth = 0;
    r->state = ST_VALUE;
    r->err_code = ERR_NONE;
    r->err_off = 0;
    r->err_msg[0] = 0;
    /* RFC 8259 §8.1: a parser may ignore a byte order mark; files written on Windows have one */
    if (len >= 3 && r->p[0] == 0xEF && r->p[1] == 0xBB && r->p[2] == 0xBF)
        r->p += 3;
}

void json_reader_free(json_reader_t *r) { buf_free(&r->scratch); }

static int fail(json_reader_t *r, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(json_reader_t *r, size_t off, const char *fmt, ...)
{
    r->state = ST_FAILED;
    r->err_code = ERR_INVALID;
    r->err_off = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof r->err_msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_nomem(json_reader_t *r, size_t off)
{
    fail(r, off, "out of memory unescaping a string");
    r->err_code = ERR_NOMEM;
    return -1;
}

static size_t off_of(const json_reader_t *r, const uint8_t *p) { return (size_t)(p - r->base); }

/* A character of the input for a message: printable ASCII as is, anything else as its byte
 * value, so that the message stays valid UTF-8 whatever the input holds. */
static const char *char_desc(uint8_t c, char buf[16])
{
    if (c > 0x20 && c < 0x7F && c != '\'')
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

void json_position(const uint8_t *base, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (base[i] == '\n') {
            l++;
            c = 1;
        } else if ((base[i] & 0xC0) != 0x80) {
            c++; /* continuation bytes belong to the character before */
        }
    }
    *line = l;
    *col = c;
}

void json_reader_errstr(const json_reader_t *r, char *out, size_t cap)
{
    size_t line, col;
    json_position(r->base, r->err_off, &line, &col);
    snprintf(out, cap, "line %zu, column %zu (byte %zu): %s", line, col, r->err_off,
             r->err_msg[0] ? r->err_msg : "malformed JSON");
}

static inline bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int hex4(const uint8_t *p, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return -1;
        x = x << 4 | d;
    }
    *v = x;
    return 0;
}

/* Bytes that end a run of plain string characters: '"', '\\', controls, non-ASCII. */
static inline bool plain(uint8_t c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

/* The string starting at r->p (its opening quote). keep: unescape into the token (strings with
 * escapes go through the scratch buffer); otherwise only check it. */
static int scan_string(json_reader_t *r, json_token_t *t, bool keep)
{
    const uint8_t *q = r->p;       /* the opening quote */
    const uint8_t *p = q + 1, *end = r->end;
    const uint8_t *run = p;        /* start of the text not yet copied to scratch */
    bool escaped = false;
    if (keep)
        r->scratch.len = 0;
    for (;;) {
        while (p < end && plain(*p))
            p++;
        if (p == end)
            return fail(r, off_of(r, q), "unexpected end of input inside a string");
        uint8_t c = *p;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(r, off_of(r, p), "unescaped control character (byte 0x%02X) in a string", c);
        if (c >= 0x80) {
            uint32_t cp;
            size_t len = utf8_decode(p, (size_t)(end - p), &cp);
            if (len == 0)
                return fail(r, off_of(r, p), "invalid UTF-8 in a string");
            p += len;
            continue;
        }
        /* a backslash */
        const uint8_t *bs = p;
        if (end - p < 2)
            return fail(r, off_of(r, q), "unexpected end of input inside a string");
        uint8_t e = p[1], u8[4];
        size_t u8n = 1;
        p += 2;
        switch (e) {
        case '"': u8[0] = '"'; break;
        case '\\': u8[0] = '\\'; break;
        case '/': u8[0] = '/'; break;
        case 'b': u8[0] = '\b'; break;
        case 'f': u8[0] = '\f'; break;
        case 'n': u8[0] = '\n'; break;
        case 'r': u8[0] = '\r'; break;
        case 't': u8[0] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (end - p < 4 || hex4(p, &cp))
                return fail(r, off_of(r, bs), "invalid \\u escape (want 4 hex digits)");
            p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(r, off_of(r, bs), "lone surrogate \\u%04X (a low surrogate without a high one)", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* UTF-16 pair: the high half must be followed at once by an escaped low half */
                uint32_t lo;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return fail(r, off_of(r, bs), "lone surrogate \\u%04X (a high surrogate without a low one)", cp);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            u8n = utf8_encode(u8, cp);
            break;
        }
        default: {
            char cb[16];
            return fail(r, off_of(r, bs), "invalid escape: backslash and %s", char_desc(e, cb));
        }
        }
        if (keep) {
            if (buf_append(&r->scratch, run, (size_t)(bs - run)) || buf_append(&r->scratch, u8, u8n))
                return fail_nomem(r, off_of(r, bs));
        }
        escaped = true;
        run = p;
    }
    /* p is at the closing quote */
    if (keep && escaped) {
        if (buf_append(&r->scratch, run, (size_t)(p - run)))
            return fail_nomem(r, off_of(r, p));
        t->s = r->scratch.data ? r->scratch.data : q + 1; /* empty: any valid pointer */
        t->n = r->scratch.len;
    } else if (keep) {
        t->s = q + 1;
        t->n = (size_t)(p - (q + 1));
    } else {
        t->s = NULL;
        t->n = 0;
    }
    r->p = p + 1;
    return 0;
}

size_t json_number_scan(const uint8_t *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && is_digit(s[i]))
            i++;
    else
        return 0;
    size_t ok = i;
    if (i < n && s[i] == '.') {
        size_t j = i + 1;
        if (j >= n || !is_digit(s[j]))
            return ok;
        while (j < n && is_digit(s[j]))
            j++;
        ok = i = j;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j >= n || !is_digit(s[j]))
            return ok;
        while (j < n && is_digit(s[j]))
            j++;
        ok = j;
    }
    return ok;
}

static void after_value(json_reader_t *r) { r->state = r->depth ? ST_COMMA_OR_END : ST_DONE; }

static int open_(json_reader_t *r, json_token_t *t, size_t off, uint8_t c)
{
    if (r->depth == JSON_MAX_DEPTH)
        return fail(r, off, "nesting deeper than %d levels", JSON_MAX_DEPTH);
    r->stack[r->depth++] = c;
    r->p++;
    t->type = c == '{' ? JSON_OBJ_BEGIN : JSON_ARR_BEGIN;
    r->state = c == '{' ? ST_KEY_OR_END : ST_VALUE_OR_END;
    return 0;
}

static int close_(json_reader_t *r, json_token_t *t)
{
    t->type = r->stack[--r->depth] == '{' ? JSON_OBJ_END : JSON_ARR_END;
    r->p++;
    after_value(r);
    return 0;
}

static int literal(json_reader_t *r, json_token_t *t, size_t off, const char *word, size_t wn,
                   json_type_t type)
{
    if ((size_t)(r->end - r->p) < wn || memcmp(r->p, word, wn) != 0)
        return fail(r, off, "invalid literal (want true, false or null)");
    const uint8_t *after = r->p + wn;
    if (after < r->end && ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z') ||
                           is_digit(*after) || *after == '_'))
        return fail(r, off, "invalid literal (want true, false or null)");
    r->p = after;
    t->type = type;
    after_value(r);
    return 0;
}

static int value_(json_reader_t *r, json_token_t *t, size_t off, bool keep)
{
    uint8_t c = *r->p;
    switch (c) {
    case '{':
    case '[':
        return open_(r, t, off, c);
    case '"':
        if (scan_string(r, t, keep))
            return -1;
        t->type = JSON_STRING;
        after_value(r);
        return 0;
    case 't':
        return literal(r, t, off, "true", 4, JSON_TRUE);
    case 'f':
        return literal(r, t, off, "false", 5, JSON_FALSE);
    case 'n':
        return literal(r, t, off, "null", 4, JSON_NULL);
    default:
        break;
    }
    if (c == '-' || is_digit(c)) {
        size_t len = json_number_scan(r->p, (size_t)(r->end - r->p));
        const uint8_t *after = r->p + len;
        /* the grammar stops at the longest number; what follows must not continue it
         * ("01", "1.", "1e", "-") */
        if (len == 0 || (after < r->end && (is_digit(*after) || *after == '.' || *after == 'e' ||
                                            *after == 'E' || *after == '+' || *after == '-')))
            return fail(r, off, "invalid number");
        t->type = JSON_NUMBER;
        t->s = r->p;
        t->n = len;
        r->p = after;
        after_value(r);
        return 0;
    }
    if (c == ']' || c == '}')
        return fail(r, off, "expected a value, got '%c'", c);
    char cb[16];
    return fail(r, off, "expected a value, got %s", char_desc(c, cb));
}

static int next_(json_reader_t *r, json_token_t *t, bool keep)
{
    if (r->state == ST_FAILED)
        return -1;
    t->s = NULL;
    t->n = 0;
    for (;;) {
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
            r->p++;
        size_t off = off_of(r, r->p);
        t->off = off;
        if (r->p == r->end) {
            if (r->state == ST_DONE) {
                t->type = JSON_EOF;
                return 0;
            }
            return fail(r, off, r->base == r->end || (r->depth == 0 && r->state == ST_VALUE)
                                    ? "no JSON value (empty input)"
                                    : "unexpected end of input");
        }
        uint8_t c = *r->p;
        char cb[16];
        switch (r->state) {
        case ST_DONE:
            return fail(r, off, "unexpected %s after the JSON value", char_desc(c, cb));
        case ST_COLON:
            if (c != ':')
                return fail(r, off, "expected ':' after the member name");
            r->p++;
            r->state = ST_VALUE;
            continue;
        case ST_COMMA_OR_END: {
            uint8_t top = r->stack[r->depth - 1];
            if (c == ',') {
                r->p++;
                r->state = top == '{' ? ST_KEY : ST_VALUE;
                continue;
            }
            if (c == (top == '{' ? '}' : ']'))
                return close_(r, t);
            return fail(r, off, top == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
        case ST_KEY_OR_END:
            if (c == '}')
                return close_(r, t);
            /* fall through */
        case ST_KEY:
            if (c != '"')
                return fail(r, off, r->state == ST_KEY ? "expected a member name (a string)"
                                                       : "expected a member name (a string) or '}'");
            if (scan_string(r, t, keep))
                return -1;
            t->type = JSON_KEY;
            r->state = ST_COLON;
            return 0;
        case ST_VALUE_OR_END:
            if (c == ']')
                return close_(r, t);
            /* fall through */
        default:
            return value_(r, t, off, keep);
        }
    }
}

int json_next(json_reader_t *r, json_token_t *t) { return next_(r, t, true); }

int json_skip(json_reader_t *r, const json_token_t *first)
{
    if (first->type != JSON_OBJ_BEGIN && first->type != JSON_ARR_BEGIN)
        return 0;
    uint32_t target = r->depth - 1;
    json_token_t t;
    do {
        if (next_(r, &t, false))
            return -1;
    } while (r->depth > target);
    return 0;
}

/* ---- numbers ---- */

/* The exact integer of a JSON number: sign and magnitude. The value is the digit string
 * D = int digits + fraction digits, scaled: the digit at index k of D has the place value
 * 10^(il - 1 - k + exp). It is an integer when the lowest non-zero digit's place is >= 0, and
 * fits 64 bits only when the highest one's is < 20, so at most 20 digits are ever multiplied. */
static json_num_rc_t number_int(const uint8_t *s, size_t n, bool *neg, uint64_t *mag)
{
    if (n == 0 || json_number_scan(s, n) != n)
        return JSON_NUM_SYNTAX;
    size_t i = 0;
    *neg = s[0] == '-';
    if (*neg)
        i++;
    const uint8_t *ip = s + i;
    size_t il = 0;
    while (i < n && is_digit(s[i]))
        i++, il++;
    const uint8_t *fp = s + i;
    size_t fl = 0;
    if (i < n && s[i] == '.') {
        i++;
        fp = s + i;
        while (i < n && is_digit(s[i]))
            i++, fl++;
    }
    int64_t e = 0;
    if (i < n) { /* 'e' or 'E' */
        i++;
        bool eneg = false;
        if (s[i] == '+' || s[i] == '-')
            eneg = s[i++] == '-';
        for (; i < n; i++)
            if (e < 1000000000000LL) /* saturate: far past any place that matters */
                e = e * 10 + (s[i] - '0');
        if (eneg)
            e = -e;
    }
    size_t len = il + fl;
#define DIGIT(k) ((k) < il ? ip[(k)] : fp[(k) - il])
    size_t first = 0;
    while (first < len && DIGIT(first) == '0')
        first++;
    *mag = 0;
    if (first == len)
        return JSON_NUM_OK; /* zero, however written */
    size_t last = len - 1;
    while (DIGIT(last) == '0')
        last--;
    int64_t low_place = (int64_t)il - 1 - (int64_t)last + e;
    int64_t high_place = (int64_t)il - 1 - (int64_t)first + e;
    if (low_place < 0)
        return JSON_NUM_FRACTION;
    if (high_place >= 20)
        return JSON_NUM_RANGE;
    uint64_t m = 0;
    for (size_t k = first; k <= last; k++) {
        unsigned d = (unsigned)(DIGIT(k) - '0');
        if (m > (UINT64_MAX - d) / 10)
            return JSON_NUM_RANGE;
        m = m * 10 + d;
    }
#undef DIGIT
    for (int64_t k = 0; k < low_place; k++) {
        if (m > UINT64_MAX / 10)
            return JSON_NUM_RANGE;
        m *= 10;
    }
    *mag = m;
    return JSON_NUM_OK;
}

json_num_rc_t json_number_i64(const uint8_t *s, size_t n, int64_t *v)
{
    bool neg;
    uint64_t mag;
    json_num_rc_t rc = number_int(s, n, &neg, &mag);
    if (rc != JSON_NUM_OK)
        return rc;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return JSON_NUM_RANGE;
        /* -(mag) without overflowing: INT64_MIN has no positive counterpart */
        *v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return JSON_NUM_RANGE;
        *v = (int64_t)mag;
    }
    return JSON_NUM_OK;
}

json_num_rc_t json_number_u64(const uint8_t *s, size_t n, uint64_t *v)
{
    bool neg;
    uint64_t mag;
    json_num_rc_t rc = number_int(s, n, &neg, &mag);
    if (rc != JSON_NUM_OK)
        return rc;
    if (neg && mag != 0)
        return JSON_NUM_RANGE;
    *v = mag;
    return JSON_NUM_OK;
}

json_num_rc_t json_number_double(const uint8_t *s, size_t n, double *v, buf_t *tmp)
{
    if (n == 0 || json_number_scan(s, n) != n)
        return JSON_NUM_SYNTAX;
    /* strtod needs a terminated string, and the input is not one; correct rounding of a long
     * number needs every digit, so a long one is copied whole rather than cut */
    char small[64];
    char *c = small;
    if (n >= sizeof small) {
        if (buf_reserve(tmp, n + 1))
            return JSON_NUM_NOMEM;
        c = (char *)tmp->data + tmp->len;
    }
    memcpy(c, s, n);
    c[n] = 0;
    char *endp;
    errno = 0;
    double d = strtod(c, &endp);
    if (endp != c + n)
        return JSON_NUM_SYNTAX; /* not reached: the grammar was checked */
    if (isinf(d))
        return JSON_NUM_RANGE;
    *v = d;
    return JSON_NUM_OK;
}
