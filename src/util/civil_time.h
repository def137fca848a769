/* UTC calendar fields from epoch microseconds, without the locale or the TZ machinery. */
#ifndef OTLP2PARQUET_UTIL_CIVIL_TIME_H
#define OTLP2PARQUET_UTIL_CIVIL_TIME_H

#include <stdint.h>

typedef struct {
    int year, month, day, hour;
} civil_hour_t;

civil_hour_t civil_from_micros(int64_t us);
/* Hours since the epoch (floor), the key that groups rows of one UTC hour. */
static inline int64_t hour_of_micros(int64_t us)
{
    int64_t h = us / 3600000000LL;
    return (us % 3600000000LL < 0) ? h - 1 : h;
}

#endif
