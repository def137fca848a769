#include "util/civil_time.h"

/* Days since 1970-01-01 -> proleptic Gregorian date (Howard Hinnant's civil_from_days method). */
civil_hour_t civil_from_micros(int64_t us)
{
    int64_t h = hour_of_micros(us);
    int64_t days = h >= 0 ? h / 24 : -((-h + 23) / 24);
    civil_hour_t c;
    c.hour = (int)(h - days * 24);
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
