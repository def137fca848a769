/* A minimal unit-test harness: each test file defines TEST(name) functions and lists them in
 * RUN_TESTS(...). Every test prints "PASS name" or "FAIL name: file:line: what"; the binary
 * exits non-zero when any failed. scripts/run-tests.sh counts those lines. */
#ifndef OTLP2PARQUET_TESTS_CHECK_H
#define OTLP2PARQUET_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            printf("    %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
            check_failed_ = 1;                                                              \
            return;                                                                         \
        }                                                                                   \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                  \
    do {                                                                                    \
        long long a_ = (long long)(a), b_ = (long long)(b);                                 \
        if (a_ != b_) {                                                                     \
            printf("    %s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #a, a_, b_);   \
            check_failed_ = 1;                                                              \
            return;                                                                         \
        }                                                                                   \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                  \
    do {                                                                                    \
        const char *a_ = (a), *b_ = (b);                                                    \
        if (strcmp(a_, b_) != 0) {                                                          \
            printf("    %s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__, #a, a_, b_); \
            check_failed_ = 1;                                                              \
            return;                                                                         \
        }                                                                                   \
    } while (0)

#define CHECK_EQ_MEM(a, alen, b, blen)                                                      \
    do {                                                                                    \
        size_t al_ = (alen), bl_ = (blen);                                                  \
        if (al_ != bl_ || memcmp((a), (b), al_) != 0) {                                     \
            printf("    %s:%d: %s (%zu bytes) != %s (%zu bytes)\n", __FILE__, __LINE__, #a,  \
                   al_, #b, bl_);                                                           \
            check_failed_ = 1;                                                              \
            return;                                                                         \
        }                                                                                   \
    } while (0)

typedef void (*check_fn_)(void);
typedef struct { const char *name; check_fn_ fn; } check_case_;

static inline int check_run_(const check_case_ *cases, size_t n)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        check_failed_ = 0;
        cases[i].fn();
        printf("%s %s\n", check_failed_ ? "FAIL" : "PASS", cases[i].name);
        failures += check_failed_;
    }
    fflush(stdout);
    return failures ? 1 : 0;
}

#define T(fn) {#fn, fn}
#define RUN_TESTS(...)                                                                      \
    int main(void)                                                                          \
    {                                                                                       \
        static const check_case_ cases_[] = {__VA_ARGS__};                                  \
        return check_run_(cases_, sizeof cases_ / sizeof cases_[0]);                        \
    }

#endif
