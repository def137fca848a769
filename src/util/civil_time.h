/* UTC calendar fields from epoch microseconds, without the locale or the TZ machinery. */
#ifndef OTLP2PARQUET_UTIL_CIVIL_TIME_H
#define OTLP2PARQUET_UTIL_CIVIL_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int year, month, day, hour;
} civil_hour_t;

civil_hour_t civil_from_micros(int64_t us);
/* The date of a day number (days since 1970-01-01, negative before), hour 0; |days| up to 10^15. */
civil_hour_t civil_from_days(int64_t days);
/* Hours since the epoch (floor), the key that groups rows of one UTC hour. */
static inline int64_t hour_of_micros(int64_t us)
{
    int64_t h = us / 3600000000LL;
    return (us % 3600000000LL < 0) ? h - 1 : h;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the inverse of the above). */
int64_t days_from_civil(int year, int month, int day);

/* An ISO 8601 / RFC 3339 timestamp "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (a space
 * for the T is accepted) as Unix milliseconds, fraction truncated; 0, or -1 when s is not one. */
int civil_parse_iso8601_ms(const char *s, size_t n, int64_t *ms);

#endif
