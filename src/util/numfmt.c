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

/* Formats v (> 0) with `prec` significant digits and checks that it reads back as v. On success
 * the digits (trailing zeros dropped) and the decimal exponent of the first digit are returned. */
static int try_digits(double v, int prec, char *digits, int *ndigits, int *exp10)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    if (strtod(tmp, NULL) != v)
        return 0;
    /* tmp is "d[.ddd]e[+-]XX": pick the digits, skipping the decimal point */
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

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Short decimals (100, 0.1, 12.25, 1e-07 and the like: most doubles in telemetry) without
 * printf. m * 10^-k reads back as v exactly when m / 10^k == v: m < 2^53 and 10^k <= 10^22 are
 * exact doubles, and IEEE division rounds the quotient to nearest just as strtod rounds the
 * decimal. Trying k upwards finds the fewest digits; any result has at most 15, and a
 * round-tripping string of at most 15 digits is unique (see fmt_double), so it is the
 * shortest. Needs arithmetic in double precision, not x87 extended. */
static int short_decimal(double v, char *digits, int *ndigits, int *exp10)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    for (int k = 0; k <= 22; k++) {
        double s = v * pow10_exact[k];
        if (s >= 1e15)
            break;
        double m = (double)(uint64_t)(s + 0.5); /* nearest integer (s < 1e15): a candidate */
        /* the division only when s is an integer up to rounding error (a few ulps) */
        if (m > 0 && fabs(s - m) <= s * 0x1p-50 && m / pow10_exact[k] == v) {
            char tmp[FMT_INT_MAX];
            int nd = (int)fmt_u64(tmp, (uint64_t)m);
            *exp10 = nd - 1 - k;
            while (nd > 1 && tmp[nd - 1] == '0')
                nd--;
            memcpy(digits, tmp, (size_t)nd);
            *ndigits = nd;
            return 1;
        }
    }
#else
    (void)v, (void)digits, (void)ndigits, (void)exp10;
#endif
    return 0;
}

/* The correctly rounded n-digit (15 or 16) form of v from its correctly rounded 17 digits d17,
 * when that is decidable from them (v lies within half a unit of the 17th digit of d17, so only
 * a tail of exactly "5" / "50" leaves the rounding direction open); 0 when it is not. */
static int round_from_17(const char *d17, int x17, int n, char *out, int *x)
{
    int tail = n == 16 ? (d17[16] - '0') * 10 : (d17[15] - '0') * 10 + (d17[16] - '0');
    if (tail == 50)
        return 0;
    memcpy(out, d17, (size_t)n);
    *x = x17;
    if (tail > 50) {
        int i = n - 1;
        while (i >= 0 && out[i] == '9')
            out[i--] = '0';
        if (i >= 0)
            out[i]++;
        else {
            out[0] = '1'; /* 99..9 rounded up: 10..0, one decade up */
            (*x)++;
        }
    }
    return 1;
}

/* Does the n-digit candidate read back as v? */
static int reads_back(double v, const char *d, int n, int x)
{
    char tmp[48];
    int o = 0;
    tmp[o++] = d[0];
    tmp[o++] = '.';
    memcpy(tmp + o, d + 1, (size_t)(n - 1));
    o += n - 1;
    tmp[o++] = 'e';
    fmt_i64(tmp + o, x);
    return strtod(tmp, NULL) == v;
}

/* The shortest digits of a normal double v > 0. For a normal double, half an ulp is smaller
 * than half a step of the 15-digit decimal grid, so whenever some string of 15 or fewer digits
 * reads back as v, the correctly rounded 15-digit one is that string padded with zeros.
 * Checking 15, 16, then 17 digits therefore finds the same shortest digits as trying 1..17. */
static void shortest_normal(double v, char *d, int *nd, int *x)
{
    if (short_decimal(v, d, nd, x))
        return;
    char tmp[48], d17[17];
    snprintf(tmp, sizeof tmp, "%.16e", v); /* 17 digits always read back */
    const char *p = tmp;
    int n = 0;
    for (; *p && *p != 'e' && n < 17; p++)
        if (*p >= '0' && *p <= '9')
            d17[n++] = *p;
    while (*p && *p != 'e')
        p++;
    int x17 = *p == 'e' ? atoi(p + 1) : 0;
    for (int prec = 15; prec <= 16; prec++) {
        char c[17];
        int xc;
        int ok = round_from_17(d17, x17, prec, c, &xc) ? reads_back(v, c, prec, xc)
                                                       : try_digits(v, prec, d, nd, x);
        if (!ok)
            continue;
        if (round_from_17(d17, x17, prec, c, &xc)) {
            memcpy(d, c, (size_t)prec);
            *nd = prec;
            *x = xc;
            while (*nd > 1 && d[*nd - 1] == '0')
                (*nd)--;
        }
        return;
    }
    memcpy(d, d17, 17);
    *nd = 17;
    *x = x17;
    while (*nd > 1 && d[*nd - 1] == '0')
        (*nd)--;
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
    if (v >= DBL_MIN)
        shortest_normal(v, d, &nd, &x);
    else {
        /* subnormals have fewer significant bits: the 15-digit argument does not hold */
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
