#include "util/civil_time.h"

civil_hour_t civil_from_micros(int64_t us)
{
    int64_t h = hour_of_micros(us);
    int64_t days = h >= 0 ? h / 24 : -((-h + 23) / 24);
    civil_hour_t c = civil_from_days(days);
    c.hour = (int)(h - days * 24);
    return c;
}

/* Days since 1970-01-01 -> proleptic Gregorian date (Howard Hinnant's civil_from_days method). */
civil_hour_t civil_from_days(int64_t days)
{
    civil_hour_t c;
    c.hour = 0;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c.year = (int)(y + (c.month <= 2));
    return c;
}

/* Hinnant's days_from_civil. */
int64_t days_from_civil(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s[*i] as a number; -1 when they are not all digits. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
    if (*i + (size_t)n > len)
        return -1;
    int v = 0;
    for (int k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    return v;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

int civil_parse_iso8601_ms(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0;
    int y = digits(s, n, &i, 4);
    if (y < 0 || expect(s, n, &i, '-'))
        return -1;
    int mo = digits(s, n, &i, 2);
    if (mo < 1 || mo > 12 || expect(s, n, &i, '-'))
        return -1;
    int d = digits(s, n, &i, 2);
    if (d < 1 || d > days_in_month(y, mo))
        return -1;
    if (i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return -1;
    i++;
    int h = digits(s, n, &i, 2);
    if (h < 0 || h > 23 || expect(s, n, &i, ':'))
        return -1;
    int mi = digits(s, n, &i, 2);
    if (mi < 0 || mi > 59 || expect(s, n, &i, ':'))
        return -1;
    int sec = digits(s, n, &i, 2);
    if (sec < 0 || sec > 60) /* 60: a leap second, counted as the next one */
        return -1;
    int64_t frac_ms = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        int64_t scale = 100;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac_ms += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return -1;
    }
    int64_t offset_min = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        int oh = digits(s, n, &i, 2);
        if (oh < 0 || oh > 23 || expect(s, n, &i, ':'))
            return -1;
        int om = digits(s, n, &i, 2);
        if (om < 0 || om > 59)
            return -1;
        offset_min = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (i != n)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    *ms = secs * 1000 + frac_ms;
    return 0;
}
