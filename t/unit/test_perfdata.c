/*
 * test_perfdata.c — Nagios perfdata: items parsed, and stripped from the
 * summary and detail that alert decisions compare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "perfdata.h"

struct split {
    char *summary, *detail;
    struct perf_set ps;
};

static void
split(struct split *s, const char *out)
{
    perf_set_init(&s->ps);
    perfdata_split_output(out, strlen(out), &s->summary, &s->detail, &s->ps);
}

static void
split_free(struct split *s)
{
    free(s->summary);
    free(s->detail);
    perf_set_fini(&s->ps);
}

static void
test_full_item(void **state)
{
    (void)state;
    struct perf_set ps;
    perf_set_init(&ps);
    assert_int_equal(perfdata_parse("time=0.25s;1;2.5;0;10", &ps), 1);
    const struct perf_item *it = &ps.items[0];
    assert_string_equal(it->label, "time");
    assert_float_equal(it->value, 0.25, 1e-9);
    assert_string_equal(it->unit, "s");
    assert_true(it->has_warn && it->has_crit && it->has_min && it->has_max);
    assert_float_equal(it->warn, 1, 1e-9);
    assert_float_equal(it->crit, 2.5, 1e-9);
    assert_float_equal(it->min, 0, 1e-9);
    assert_float_equal(it->max, 10, 1e-9);
    perf_set_fini(&ps);
}

static void
test_optional_fields_and_units(void **state)
{
    (void)state;
    struct perf_set ps;
    perf_set_init(&ps);
    assert_int_equal(perfdata_parse("a=5 b=12ms;;;0 c=99.5% d=1024KB "
                                    "e=7c f=-3.5e2", &ps), 6);
    assert_string_equal(ps.items[0].unit, "");
    assert_false(ps.items[0].has_warn || ps.items[0].has_crit ||
                 ps.items[0].has_min || ps.items[0].has_max);
    assert_string_equal(ps.items[1].unit, "ms");
    assert_false(ps.items[1].has_warn || ps.items[1].has_crit);
    assert_true(ps.items[1].has_min);
    assert_false(ps.items[1].has_max);
    assert_string_equal(ps.items[2].unit, "%");
    assert_float_equal(ps.items[2].value, 99.5, 1e-9);
    assert_string_equal(ps.items[3].unit, "KB");
    assert_string_equal(ps.items[4].unit, "c");
    assert_string_equal(ps.items[5].unit, "");
    assert_float_equal(ps.items[5].value, -350, 1e-9);
    perf_set_fini(&ps);
}

static void
test_ranges_are_not_stored(void **state)
{
    (void)state;
    struct perf_set ps;
    perf_set_init(&ps);
    assert_int_equal(perfdata_parse("load=3;10:20;@5:8;0;~", &ps), 1);
    assert_false(ps.items[0].has_warn);
    assert_false(ps.items[0].has_crit);
    assert_true(ps.items[0].has_min);
    assert_false(ps.items[0].has_max);
    perf_set_fini(&ps);
}

static void
test_quoted_labels(void **state)
{
    (void)state;
    struct perf_set ps;
    perf_set_init(&ps);
    assert_int_equal(perfdata_parse("'disk /var'=55% 'it''s'=1 "
                                    "'a|b=c'=2", &ps), 3);
    assert_string_equal(ps.items[0].label, "disk /var");
    assert_string_equal(ps.items[1].label, "it's");
    assert_string_equal(ps.items[2].label, "a|b=c");
    assert_float_equal(ps.items[2].value, 2, 1e-9);
    perf_set_fini(&ps);
}

static void
test_malformed_items_skipped(void **state)
{
    (void)state;
    struct perf_set ps;
    perf_set_init(&ps);
    /* no '=', no value, value "U", bad number, empty label, unit too
     * long, unterminated quote; the good ones survive. */
    assert_int_equal(perfdata_parse("junk x= good=1 u=U n=1.2.3 =4 "
                                    "w=1verylongunit ok=2 'open=3", &ps), 2);
    assert_string_equal(ps.items[0].label, "good");
    assert_string_equal(ps.items[1].label, "ok");
    perf_set_fini(&ps);
}

static void
test_stripped_from_summary(void **state)
{
    (void)state;
    struct split s;
    split(&s, "HTTP OK: 200 in 0.1s |time=0.1s;1;2 size=512B\n");
    assert_string_equal(s.summary, "HTTP OK: 200 in 0.1s");
    assert_string_equal(s.detail, "");
    assert_int_equal(s.ps.n, 2);
    assert_string_equal(s.ps.items[1].label, "size");
    split_free(&s);
}

static void
test_multiple_lines(void **state)
{
    (void)state;
    struct split s;
    split(&s, "DISK WARNING | root=80%\r\n"
              "/ 80% used | 'root fs'=80%;70;90\n"
              "/var 10% used\n"
              "/tmp 1% used  |  tmp=1%\n");
    assert_string_equal(s.summary, "DISK WARNING");
    assert_string_equal(s.detail, "/ 80% used\n/var 10% used\n/tmp 1% used\n");
    assert_int_equal(s.ps.n, 3);
    assert_string_equal(s.ps.items[0].label, "root");
    assert_string_equal(s.ps.items[1].label, "root fs");
    assert_float_equal(s.ps.items[1].warn, 70, 1e-9);
    assert_string_equal(s.ps.items[2].label, "tmp");
    split_free(&s);
}

static void
test_empty_perfdata(void **state)
{
    (void)state;
    struct split s;
    split(&s, "all ok |   \nmore |");
    assert_string_equal(s.summary, "all ok");
    assert_string_equal(s.detail, "more");
    assert_int_equal(s.ps.n, 0);
    split_free(&s);

    split(&s, "");
    assert_string_equal(s.summary, "");
    assert_string_equal(s.detail, "");
    assert_int_equal(s.ps.n, 0);
    split_free(&s);
}

static void
test_bar_that_is_not_perfdata_is_kept(void **state)
{
    (void)state;
    struct split s;
    /* A mon monitor's own use of "|": nothing after it parses. */
    split(&s, "raid sda | sdb failed\nport 1 | port 2\n");
    assert_string_equal(s.summary, "raid sda | sdb failed");
    assert_string_equal(s.detail, "port 1 | port 2\n");
    assert_int_equal(s.ps.n, 0);
    split_free(&s);
}

static void
test_bar_inside_quotes(void **state)
{
    (void)state;
    struct split s;
    /* A quoted word hides its '|'; an apostrophe inside a word does not
     * open a quote. */
    split(&s, "match 'a|b' can't | hits=3 'x|y'=4\n");
    assert_string_equal(s.summary, "match 'a|b' can't");
    assert_int_equal(s.ps.n, 2);
    assert_string_equal(s.ps.items[0].label, "hits");
    assert_string_equal(s.ps.items[1].label, "x|y");
    split_free(&s);

    /* An unmatched quote at a word start is plain text. */
    split(&s, "it 'broke | t=1");
    assert_string_equal(s.summary, "it 'broke");
    assert_int_equal(s.ps.n, 1);
    split_free(&s);
}

static void
test_output_not_nul_terminated(void **state)
{
    (void)state;
    const char buf[] = { 'o', 'k', '|', 'a', '=', '1', '\n', 'd', 'X' };
    struct split s;
    perf_set_init(&s.ps);
    perfdata_split_output(buf, 8, &s.summary, &s.detail, &s.ps);
    assert_string_equal(s.summary, "ok");
    assert_string_equal(s.detail, "d");
    assert_int_equal(s.ps.n, 1);
    split_free(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_item),
        cmocka_unit_test(test_optional_fields_and_units),
        cmocka_unit_test(test_ranges_are_not_stored),
        cmocka_unit_test(test_quoted_labels),
        cmocka_unit_test(test_malformed_items_skipped),
        cmocka_unit_test(test_stripped_from_summary),
        cmocka_unit_test(test_multiple_lines),
        cmocka_unit_test(test_empty_perfdata),
        cmocka_unit_test(test_bar_that_is_not_perfdata_is_kept),
        cmocka_unit_test(test_bar_inside_quotes),
        cmocka_unit_test(test_output_not_nul_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
