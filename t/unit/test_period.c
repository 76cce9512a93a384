/*
 * test_period.c — the Time::Period language: every scale by long and
 * short name, value forms, wrap-around, several ranges / scales /
 * sub-periods, "none", blank, case and whitespace, Time::Period's quirks
 * kept on purpose, and the exact column and message of each error.
 * (t/integration/test_period_perl.py compares with Perl itself.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "period.h"

/* A local time from "YYYY-MM-DD HH:MM:SS", weekday and yday filled in
 * by timegm() (the fields are the same in any zone). */
static struct tm
at(const char *when)
{
    struct tm tm = { 0 };
    time_t t;

    if (sscanf(when, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        fail_msg("bad date in test: %s", when);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    if (gmtime_r(&t, &tm) == NULL)
        fail_msg("gmtime_r failed for %s", when);
    return tm;
}

static struct period *
compile_ok(const char *spec)
{
    int col = -1;
    const char *msg = "unset";
    struct period *p = period_compile(spec, &col, &msg);

    if (p == NULL)
        fail_msg("\"%s\" did not compile: col %d: %s", spec, col,
                 msg != NULL ? msg : "(no message)");
    assert_int_equal(col, 0);
    assert_null(msg);
    return p;
}

struct match_case {
    const char *spec;
    const char *when;
    bool in;
};

/* 2024-03-04 is a Monday; 2024-03-03 a Sunday; 2024 is a leap year. */
static const struct match_case match_cases[] = {
    /* blank, none */
    { "", "2024-03-04 10:00:00", true },
    { " \t\n ", "2024-03-04 10:00:00", true },
    { "none", "2024-03-04 10:00:00", false },
    { "  NoNe ", "2024-03-04 10:00:00", false },
    { ",", "2024-03-04 10:00:00", false },          /* no sub-period */
    { " , , ", "2024-03-04 10:00:00", false },
    /* year / yr: 4 digits, 2 digits in the time's century, no wrap */
    { "year {2024}", "2024-03-04 10:00:00", true },
    { "yr {2023}", "2024-03-04 10:00:00", false },
    { "yr {24}", "2024-03-04 10:00:00", true },
    { "yr {0}", "2000-06-01 00:00:00", true },
    { "yr {99}", "1999-06-01 00:00:00", true },
    { "yr {99}", "2099-06-01 00:00:00", true },
    { "yr {2030-2020}", "2024-03-04 10:00:00", true },  /* swapped */
    { "yr {30-20}", "2024-03-04 10:00:00", true },
    { "yr {1970-99}", "2024-03-04 10:00:00", true },    /* 1970-2099 */
    { "yr {1970-99}", "1985-03-04 10:00:00", true },    /* 1970-1999 */
    { "yr {2025-2030}", "2024-03-04 10:00:00", false },
    /* month / mo: numbers, names (first 3 letters count), wrap */
    { "month {3}", "2024-03-04 10:00:00", true },
    { "mo {4}", "2024-03-04 10:00:00", false },
    { "mo {mar}", "2024-03-04 10:00:00", true },
    { "mo {March}", "2024-03-04 10:00:00", true },
    { "mo {marzipan}", "2024-03-04 10:00:00", true },
    { "mo {Nov-Feb}", "2024-01-15 10:00:00", true },
    { "mo {Nov-Feb}", "2024-12-15 10:00:00", true },
    { "mo {Nov-Feb}", "2024-03-04 10:00:00", false },
    { "mo {jan-feb-mar}", "2024-03-04 10:00:00", true },  /* last '-' */
    { "mo {1-2 11-12}", "2024-11-01 00:00:00", true },
    /* week / wk: Perl's week of the month, a new week each Sunday */
    { "week {1}", "2024-03-02 10:00:00", true },        /* Fri 1, Sat 2 */
    { "wk {2}", "2024-03-03 10:00:00", true },          /* Sunday 3 */
    { "wk {1}", "2024-09-01 10:00:00", true },          /* Sunday the 1st */
    { "wk {6}", "2024-03-31 10:00:00", true },          /* 5 Sundays */
    { "wk {5-2}", "2024-03-02 10:00:00", true },
    { "wk {3-4}", "2024-03-02 10:00:00", false },
    /* yday / yd */
    { "yday {64}", "2024-03-04 10:00:00", true },       /* 31+29+4 */
    { "yd {366}", "2024-12-31 10:00:00", true },
    { "yd {360-10}", "2024-01-05 10:00:00", true },
    { "yd {360-10}", "2024-03-04 10:00:00", false },
    { "yd {64a}", "2024-03-04 10:00:00", true },        /* Perl's "--" */
    { "yd {65.0}", "2024-03-05 10:00:00", true },
    { "yd {5.000000000000001}", "2024-01-05 10:00:00", false },  /* 4.0..01 */
    { "yd {5.0000000000000001}", "2024-01-05 10:00:00", true },  /* 5.0 */
    /* mday / md */
    { "mday {4}", "2024-03-04 10:00:00", true },
    { "md {25-5}", "2024-03-04 10:00:00", true },
    { "md {5-25}", "2024-03-04 10:00:00", false },
    /* wday / wd: 1 is Sunday, names by their first 2 letters */
    { "wday {2}", "2024-03-04 10:00:00", true },
    { "wd {Mon-Fri}", "2024-03-04 10:00:00", true },
    { "wd {mo-fr}", "2024-03-03 10:00:00", false },
    { "wd {1-7}", "2024-03-03 10:00:00", true },
    { "wd {Monday}", "2024-03-04 10:00:00", true },
    { "wd {fr-mo}", "2024-03-03 10:00:00", true },      /* wraps */
    { "wd {sa su}", "2024-03-04 10:00:00", false },
    /* hour / hr: 24h, am/pm, 12am is 0, 12pm and 12noon are 12 */
    { "hour {10}", "2024-03-04 10:59:59", true },
    { "hr {9am-4pm}", "2024-03-04 16:59:59", true },
    { "hr {9am-4pm}", "2024-03-04 17:00:00", false },
    { "hr {12am}", "2024-03-04 00:30:00", true },
    { "hr {12pm}", "2024-03-04 12:30:00", true },
    { "hr {12noon}", "2024-03-04 12:30:00", true },
    { "hr {13am}", "2024-03-04 13:00:00", true },       /* Perl allows */
    { "hr {10pm-2am}", "2024-03-04 01:00:00", true },
    { "hr {10pm-2am}", "2024-03-04 03:00:00", false },
    { "hr {1 - 5}", "2024-03-04 03:00:00", true },      /* "1-5" */
    /* minute / min, second / sec */
    { "minute {0-29}", "2024-03-04 10:29:00", true },
    { "min {0-29}", "2024-03-04 10:30:00", false },
    { "min {50-10}", "2024-03-04 10:05:00", true },
    { "second {0-4 10-14}", "2024-03-04 10:00:12", true },
    { "sec {0-4 10-14}", "2024-03-04 10:00:07", false },
    { "sec {58-1}", "2024-03-04 10:00:59", true },
    /* several scales AND, same scale twice OR, sub-periods OR */
    { "wd {Mon-Fri} hr {9am-4pm}", "2024-03-04 10:00:00", true },
    { "wd {Mon-Fri} hr {9am-4pm}", "2024-03-03 10:00:00", false },
    { "mo {Jan Feb} mo {Mar}", "2024-03-04 10:00:00", true },
    { "wd {su}, hr {10}", "2024-03-04 10:00:00", true },
    { "wd {su}, hr {11}", "2024-03-04 10:00:00", false },
    { "hr{10}wd{mo}", "2024-03-04 10:00:00", true },    /* no spaces */
    { "hr {}", "2024-03-04 10:00:00", false },          /* empty list */
    { "hr {} wd {mo}", "2024-03-04 10:00:00", false },
    { "hr {}, wd {mo}", "2024-03-04 10:00:00", true },
    { "hr {10},", "2024-03-04 10:00:00", true },        /* trailing , */
    /* case and whitespace anywhere */
    { "WD {MON-FRI} HR {9AM-4PM}", "2024-03-04 10:00:00", true },
    { "\t wday\t{ mo - fr }\n,\fhour{9}\v", "2024-03-04 10:00:00", true },
    { "hr {10\nxx}", "2024-03-04 10:00:00", true },     /* (.*) stops */
};

static void
test_match_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]);
         i++) {
        const struct match_case *c = &match_cases[i];
        struct period *p = compile_ok(c->spec);
        struct tm tm = at(c->when);

        if (period_match_tm(p, &tm) != c->in)
            fail_msg("\"%s\" at %s: expected %s", c->spec, c->when,
                     c->in ? "in" : "out");
        period_free(p);
    }
}

struct error_case {
    const char *spec;
    int col;
    const char *msg;
};

#define SCALES_MSG "year month week yday mday wday hour minute second, " \
    "or yr mo wk yd md wd hr min sec"

static const struct error_case error_cases[] = {
    { "hr 9", 4, "expected '{' after the scale name" },
    { "hr {9", 6, "expected '}' to close the range list" },
    { "hr {9, wd {1}", 6, "expected '}' to close the range list" },
    { "hr {9}}", 7, "unexpected '}'" },
    { "hr {9 {10}}", 7, "unexpected '{' in a range list; expected '}'" },
    { "{9}", 1, "expected a scale name: " SCALES_MSG },
    { "hr {9} 5", 8, "expected a scale name: " SCALES_MSG },
    { "mon {1}", 1, "unknown scale; expected " SCALES_MSG },
    { "  h {1}", 3, "unknown scale; expected " SCALES_MSG },
    { "hours {1}", 1, "unknown scale; expected " SCALES_MSG },
    { ",hr {1}", 1, "expected a sub-period (scale {ranges}) before ','" },
    { "hr {1} ,  , hr {2}", 11,
      "expected a sub-period (scale {ranges}) before ','" },
    { "hr {1}, none", 9, "unknown scale; expected " SCALES_MSG },
    { "hr {1-}", 6, "expected a value after '-'" },
    { "hr {-1}", 5, "expected a value before '-'" },
    { "hr {1 - - 5}", 7, "expected a value before '-'" },
    { "yr {1969}", 5, "expected a year: 0-99 (this century) or 1970 and "
      "later" },
    { "yr {100-2000}", 5, "expected a year: 0-99 (this century) or 1970 "
      "and later" },
    { "mo {13}", 5, "expected a month: 1-12 or jan-dec" },
    { "mo {ja}", 5, "expected a month: 1-12 or jan-dec" },
    { "mo {jan-1x}", 9, "expected a month: 1-12 or jan-dec" },
    { "wk {7}", 5, "expected a week of the month: 1-6" },
    { "yd {367}", 5, "expected a day of the year: 1-366" },
    { "yd {1.5}", 5, "expected a day of the year: 1-366" },
    { "yd {5a-6}", 5, "expected a day of the year: 1-366" },
    { "md {0}", 5, "expected a day of the month: 1-31" },
    { "md {1st}", 5, "expected a day of the month: 1-31" },
    { "wd {8}", 5, "expected a weekday: 1-7 (1 is Sunday) or su-sa" },
    { "wd {m}", 5, "expected a weekday: 1-7 (1 is Sunday) or su-sa" },
    { "hr {noon}", 5, "expected an hour: 0-23, 12am, 1am-11am, 12noon, "
      "12pm, 1pm-11pm" },
    { "hr {11noon}", 5, "expected an hour: 0-23, 12am, 1am-11am, 12noon, "
      "12pm, 1pm-11pm" },
    { "hr {9-24}", 7, "expected an hour: 0-23, 12am, 1am-11am, 12noon, "
      "12pm, 1pm-11pm" },
    { "hr {1 pm}", 7, "expected an hour: 0-23, 12am, 1am-11am, 12noon, "
      "12pm, 1pm-11pm" },
    { "min {60}", 6, "expected a minute: 0-59" },
    { "sec {0-4 5x}", 10, "expected a second: 0-59" },
    /* a later malformed sub-period is an error even when an earlier one
     * would always match (Perl would never look at it) */
    { "hr {0-23}, garbage", 12, "unknown scale; expected " SCALES_MSG },
    { "hr {0-23}, hr {0-23} hr 5", 25, "expected '{' after the scale name" },
    /* the first error wins */
    { "mo {13} hr {25}", 5, "expected a month: 1-12 or jan-dec" },
};

static void
test_error_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]);
         i++) {
        const struct error_case *c = &error_cases[i];
        int col = -1;
        const char *msg = NULL;
        struct period *p = period_compile(c->spec, &col, &msg);

        if (p != NULL)
            fail_msg("\"%s\" compiled; expected col %d: %s", c->spec,
                     c->col, c->msg);
        if (col != c->col || msg == NULL || strcmp(msg, c->msg) != 0)
            fail_msg("\"%s\": got col %d: %s; expected col %d: %s", c->spec,
                     col, msg ? msg : "(null)", c->col, c->msg);
    }
}

/* Every scale by its long name and its code compiles to the same thing. */
static void
test_long_and_short_names(void **state)
{
    static const char *const names[][3] = {
        { "year", "yr", "2024" }, { "month", "mo", "3" },
        { "week", "wk", "2" }, { "yday", "yd", "64" },
        { "mday", "md", "4" }, { "wday", "wd", "2" },
        { "hour", "hr", "10" }, { "minute", "min", "20" },
        { "second", "sec", "30" },
    };
    struct tm in = at("2024-03-04 10:20:30"), out = at("2025-04-13 11:21:31");

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        for (int k = 0; k < 2; k++) {
            char spec[64];
            struct period *p;

            snprintf(spec, sizeof(spec), "%s {%s}", names[i][k],
                     names[i][2]);
            p = compile_ok(spec);
            if (!period_match_tm(p, &in) || period_match_tm(p, &out))
                fail_msg("\"%s\" does not pick its own field", spec);
            period_free(p);
        }
}

/* period_match() evaluates in the local zone (TZ). */
static void
test_local_time(void **state)
{
    struct period *p = compile_ok("hr {9}");

    (void)state;
    setenv("TZ", "JST-9", 1);           /* POSIX form: no tzdata needed */
    tzset();
    assert_true(period_match(p, 0));    /* 1970-01-01 09:00 in Tokyo */
    setenv("TZ", "UTC0", 1);
    tzset();
    assert_false(period_match(p, 0));   /* 00:00 in UTC */
    assert_true(period_match(p, 9 * 3600));
    period_free(p);
}

static void
test_null_long_and_free(void **state)
{
    char *big = malloc(9000);
    int col = -1;
    const char *msg = NULL;
    struct period *p;

    (void)state;
    p = compile_ok(NULL);               /* no spec: always */
    assert_true(period_match(p, 12345));
    period_free(p);
    period_free(NULL);

    assert_non_null(big);
    memset(big, ' ', 8999);
    big[8999] = '\0';
    assert_null(period_compile(big, &col, &msg));
    assert_int_equal(col, 8193);
    assert_string_equal(msg, "period longer than 8192 characters");
    big[8192] = '\0';                   /* 8192 spaces: blank, always */
    p = compile_ok(big);
    assert_true(period_match(p, 0));
    period_free(p);
    free(big);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_long_and_short_names),
        cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_null_long_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
