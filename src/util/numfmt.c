#include "util/numfmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t fmt_u64(char *out, uint64_t v)
{
    char tmp[FMT_INT_MAX];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}

size_t fmt_i64(char *out, int64_t v)
{
    if (v >= 0)
        return fmt_u64(out, (uint64_t)v);
    out[0] = '-';
    /* the magnitude in unsigned arithmetic, so INT64_MIN needs no special case */
    return 1 + fmt_u64(out + 1, 0 - (uint64_t)v);
}

/* Formats |v| with `prec` significant digits and checks that it reads back as v. On success the
 * digits (trailing zeros dropped) and the decimal exponent of the first digit are returned. */
static int try_digits(double v, int prec, char *digits, int *ndigits, int *exp10)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    if (strtod(tmp, NULL) != v)
        return 0;
    /* tmp is "d[.ddd]e[+-]XX" (v > 0): pick the digits, skipping the decimal point */
    const char *p = tmp;
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    *ndigits = nd;
    *exp10 = *p == 'e' ? atoi(p + 1) : 0;
    return 1;
}

size_t fmt_double(char *out, double v)
{
    const char *special = NULL;
    if (isnan(v))
        special = "NaN";
    else if (isinf(v))
        special = v > 0 ? "Infinity" : "-Infinity";
    else if (v == 0)
        special = signbit(v) ? "-0" : "0";
    if (special) {
        size_t n = strlen(special);
        memcpy(out, special, n + 1);
        return n;
    }
    size_t o = 0;
    if (v < 0) {
        out[o++] = '-';
        v = -v;
    }
    char d[24];
    int nd = 0, x = 0;
    if (v >= DBL_MIN) {
        /* For a normal double, half an ulp is smaller than half a step of the 15-digit decimal
         * grid, so whenever some string of 15 or fewer digits reads back as v, the correctly
         * rounded 15-digit one is that string padded with zeros. Trying 15, 16, 17 therefore
         * finds the same shortest digits as trying 1..17, in at most three conversions. */
        if (!try_digits(v, 15, d, &nd, &x) && !try_digits(v, 16, d, &nd, &x))
            try_digits(v, 17, d, &nd, &x); /* 17 digits always read back */
    } else {
        /* subnormals have fewer significant bits: the short cut above does not hold */
        for (int prec = 1; prec <= 17; prec++)
            if (try_digits(v, prec, d, &nd, &x))
                break;
    }
    if (x >= -4 && x < 16) {
        if (x < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -x - 1; i++)
                out[o++] = '0';
            for (int i = 0; i < nd; i++)
                out[o++] = d[i];
        } else {
            for (int i = 0; i <= x; i++)
                out[o++] = i < nd ? d[i] : '0';
            if (nd > x + 1) {
                out[o++] = '.';
                for (int i = x + 1; i < nd; i++)
                    out[o++] = d[i];
            }
        }
    } else {
        out[o++] = d[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++)
                out[o++] = d[i];
        }
        out[o++] = 'e';
        out[o++] = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax < 10)
            out[o++] = '0'; /* two exponent digits at least, as printf writes them */
        char e[8];
        size_t en = fmt_u64(e, (uint64_t)ax);
        memcpy(out + o, e, en);
        o += en;
    }
    out[o] = 0;
    return o;
}
