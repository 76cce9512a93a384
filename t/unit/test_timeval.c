/*
 * test_timeval.c — mon's time values: every unit, fractions, bare
 * seconds, the column of the first bad character for each kind of
 * mistake, overflow at the edge of int64, and formatting that parses
 * back to the same value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "timeval.h"

struct ok_case {
    const char *text;
    int64_t ms;
};

static const struct ok_case ok_cases[] = {
    { "30s", 30000 },
    { "5m", 300000 },
    { "1.5h", 5400000 },
    { "2d", 172800000 },
    { "250ms", 250 },
    { "10", 10000 },                    /* bare number: seconds */
    { "1.5", 1500 },
    { "0", 0 },
    { "0.001", 1 },
    { "0.25m", 15000 },
    { "007s", 7000 },
    { "5M", 300000 },                   /* suffix in any case */
    { "5MS", 5 },
    { "2D", 172800000 },
    { "1.000000000000000000000s", 1000 },  /* trailing zeros are exact */
    { "9223372036854775807ms", INT64_MAX },
    { "9223372036854775.807", INT64_MAX },
    { "106751991167d", INT64_C(9223372036828800000) },
};

static void
test_parse_ok(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        int64_t ms = -1;
        int col = -1;

        if (timeval_parse_ms(ok_cases[i].text, &ms, &col) != 0)
            fail_msg("\"%s\" refused at col %d", ok_cases[i].text, col);
        if (ms != ok_cases[i].ms)
            fail_msg("\"%s\": %" PRId64 " ms, expected %" PRId64,
                     ok_cases[i].text, ms, ok_cases[i].ms);
        assert_int_equal(col, 0);
    }
}

struct bad_case {
    const char *text;
    int col;
};

static const struct bad_case bad_cases[] = {
    { "", 1 },                          /* empty */
    { "-5s", 1 },                       /* negative */
    { "+5s", 1 },
    { " 5s", 1 },
    { "s", 1 },
    { ".5s", 1 },
    { "5x", 2 },                        /* garbage suffix */
    { "5 s", 2 },
    { "5sec", 2 },
    { "5mss", 2 },
    { "5s ", 2 },
    { "1.", 3 },
    { "1.s", 3 },
    { "1.5.5", 4 },
    { "1.0005s", 6 },                   /* finer than a millisecond */
    { "0.0001", 6 },
    { "1.5ms", 3 },
    { "9223372036854775808", 19 },      /* overflow in the digits */
    { "9223372036854775807s", 20 },     /* overflow by the unit */
    { "106751991168d", 13 },
    { "9223372036854775.808", 1 },      /* overflow, no suffix to blame */
};

static void
test_parse_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        int64_t ms = 42;
        int col = -1;

        if (timeval_parse_ms(bad_cases[i].text, &ms, &col) != -1)
            fail_msg("\"%s\" accepted as %" PRId64 " ms", bad_cases[i].text,
                     ms);
        if (col != bad_cases[i].col)
            fail_msg("\"%s\": col %d, expected %d", bad_cases[i].text, col,
                     bad_cases[i].col);
        assert_int_equal(ms, 42);       /* untouched on failure */
    }
}

static void
test_parse_null_errcol(void **state)
{
    int64_t ms;

    (void)state;
    assert_int_equal(timeval_parse_ms("5x", &ms, NULL), -1);
    assert_int_equal(timeval_parse_ms(NULL, &ms, NULL), -1);
    assert_int_equal(timeval_parse_ms("5s", &ms, NULL), 0);
    assert_int_equal(ms, 5000);
}

struct fmt_case {
    int64_t ms;
    const char *text;
};

static const struct fmt_case fmt_cases[] = {
    { 0, "0s" },
    { 1, "1ms" },
    { 250, "250ms" },                   /* not "0.25s" */
    { 1000, "1s" },
    { 1500, "1.5s" },
    { 1001, "1.001s" },
    { 60001, "60.001s" },               /* tie with "60001ms": larger unit */
    { 90000, "90s" },                   /* shorter than "1.5m" */
    { 300000, "5m" },
    { 5400000, "90m" },                 /* shorter than "1.5h" */
    { 3600000, "1h" },
    { 129600000, "36h" },
    { 86400000, "1d" },
    { 43200000, "12h" },
    { 172800000, "2d" },
    { -300000, "-5m" },
    { 20000, "20s" },                   /* not "0.333...m" */
};

static void
test_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
        char buf[48];

        timeval_format(fmt_cases[i].ms, buf, sizeof(buf));
        if (strcmp(buf, fmt_cases[i].text) != 0)
            fail_msg("%" PRId64 " ms: \"%s\", expected \"%s\"",
                     fmt_cases[i].ms, buf, fmt_cases[i].text);
    }
}

/* format() then parse() gives the value back, over a spread of values. */
static void
test_round_trip(void **state)
{
    uint64_t x = 88172645463325252ULL;  /* xorshift64 */

    (void)state;
    for (int i = 0; i < 20000; i++) {
        char buf[48];
        int64_t v, back = -1;
        int col;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = (int64_t)(x >> (1 + (unsigned)(i % 62)));   /* all magnitudes */
        if (i % 3 == 0)
            v -= v % 60000;                             /* whole minutes */
        timeval_format(v, buf, sizeof(buf));
        if (timeval_parse_ms(buf, &back, &col) != 0 || back != v)
            fail_msg("%" PRId64 " -> \"%s\" -> %" PRId64 " (col %d)", v, buf,
                     back, col);
    }
}

static void
test_format_small_buffer(void **state)
{
    char buf[4] = "xyz";

    (void)state;
    assert_ptr_equal(timeval_format(250, buf, sizeof(buf)), buf);
    assert_string_equal(buf, "250");   /* truncated, still terminated */
    assert_ptr_equal(timeval_format(250, buf, 0), buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_null_errcol),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_format_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
