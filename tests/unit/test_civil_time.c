/* Calendar helpers: days_from_civil against known dates and as the inverse of
 * civil_from_micros; ISO 8601 parsing of the Expiration times AWS endpoints send. */
#include "check.h"
#include "util/civil_time.h"

static int64_t parse(const char *s)
{
    int64_t ms = -12345;
    return civil_parse_iso8601_ms(s, strlen(s), &ms) ? -1 : ms;
}

TEST(days_known_dates)
{
    CHECK_EQ_INT(days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(days_from_civil(1969, 12, 31), -1);
    CHECK_EQ_INT(days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(days_from_civil(2026, 12, 4), 20791);
}

TEST(days_round_trip)
{
    for (int64_t d = -800000; d < 800000; d += 13) {
        civil_hour_t c = civil_from_micros(d * 86400000000LL + 3600000000LL * 5);
        CHECK_EQ_INT(days_from_civil(c.year, c.month, c.day), d);
        CHECK_EQ_INT(c.hour, 5);
    }
}

TEST(iso_forms)
{
    CHECK_EQ_INT(parse("1970-01-01T00:00:00Z"), 0);
    CHECK_EQ_INT(parse("2026-12-04T15:00:00Z"), 1796396400000LL);
    CHECK_EQ_INT(parse("2026-12-04t15:00:00z"), 1796396400000LL);
    CHECK_EQ_INT(parse("2026-12-04 15:00:00Z"), 1796396400000LL);
    CHECK_EQ_INT(parse("2026-12-04T15:00:00.5Z"), 1796396400500LL);
    CHECK_EQ_INT(parse("2026-12-04T15:00:00.123456789Z"), 1796396400123LL);
    CHECK_EQ_INT(parse("2026-12-04T17:30:00+02:30"), 1796396400000LL);
    CHECK_EQ_INT(parse("2026-12-04T14:00:00-01:00"), 1796396400000LL);
    CHECK_EQ_INT(parse("2024-02-29T00:00:00Z"), 1709164800000LL);
}

TEST(iso_rejects)
{
    static const char *const bad[] = {
        "", "2026-12-04", "2026-12-04T15:00:00", "2026-12-04T15:00Z", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-12-32T00:00:00Z", "2026-12-04T24:00:00Z", "2026-12-04T15:60:00Z",
        "2026-12-04T15:00:00.Z", "2026-12-04T15:00:00Zjunk", "2026-12-04T15:00:00+0200",
        "26-12-04T15:00:00Z", "2026/12/04T15:00:00Z", " 2026-12-04T15:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i]) != -1)
            printf("    accepted: \"%s\"\n", bad[i]);
        CHECK_EQ_INT(parse(bad[i]), -1);
    }
}

RUN_TESTS(T(days_known_dates), T(days_round_trip), T(iso_forms), T(iso_rejects))
