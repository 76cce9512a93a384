/*
 * test_capctl.c — the overload level tuner (scheduler/capctl.c): it finds
 * the level that completes most checks on a simulated machine, prefers
 * concurrency on a tie, measures only while work waits, and starts over
 * when the backlog is gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "capctl.h"

#define MS 1000000LL

/* A machine that completes rate[level] ordinary jobs per second. */
struct sim {
    struct capctl c;
    int64_t now;
    double done;
    const double *rate;
    int at_level[CAPCTL_LEVELS + 1];    /* 10 ms steps spent per level */
};

static void
sim_run(struct sim *s, int64_t ms, bool backlog)
{
    for (int64_t t = 0; t < ms; t += 10) {
        int level = s->c.cap;

        s->now += 10 * MS;
        s->done += s->rate[level] * 0.010;
        s->at_level[level]++;
        (void)capctl_update(&s->c, s->now, (uint64_t)s->done, backlog);
    }
}

static void
sim_init(struct sim *s, int ncpu, const double *rate)
{
    *s = (struct sim){ .now = 1000 * MS, .rate = rate };
    capctl_init(&s->c, ncpu);
}

static void
test_no_backlog_keeps_the_guard(void **state)
{
    static const double rate[] = { 0, 300, 200 };
    struct sim s;

    (void)state;
    sim_init(&s, 2, rate);
    sim_run(&s, 10000, false);
    assert_int_equal(s.c.cap, 2);
    assert_false(s.c.active);
    assert_int_equal(s.c.changes, 0);
}

static void
test_finds_the_lower_level_when_it_runs_more(void **state)
{
    /* Two at a time is slower than one here (a VM where two children on
     * two CPUs each take more than twice as long). */
    static const double rate[] = { 0, 400, 300 };
    struct sim s;

    (void)state;
    sim_init(&s, 2, rate);
    sim_run(&s, 1000, true);
    /* The first window measured level 2, the second probes level 1. */
    assert_int_equal(s.c.cap, 1);
    sim_run(&s, 30000, true);
    assert_int_equal(capctl_best(&s.c), 1);
    /* Mostly at the better level: probes of level 2 are 1 window in 9. */
    assert_true(s.at_level[1] > 4 * s.at_level[2]);
    assert_true(s.at_level[2] > 0);             /* it keeps probing */
}

static void
test_a_tie_keeps_the_concurrency(void **state)
{
    static const double rate[] = { 0, 300, 300 };
    struct sim s;

    (void)state;
    sim_init(&s, 2, rate);
    sim_run(&s, 30000, true);
    assert_int_equal(capctl_best(&s.c), 2);
    assert_true(s.at_level[2] > 4 * s.at_level[1]);
}

static void
test_within_the_margin_keeps_the_concurrency(void **state)
{
    static const double rate[] = { 0, 305, 300 };    /* 1.7 % better */
    struct sim s;

    (void)state;
    sim_init(&s, 2, rate);
    sim_run(&s, 30000, true);
    assert_int_equal(capctl_best(&s.c), 2);
}

static void
test_higher_level_wins_on_a_real_multicore(void **state)
{
    static const double rate[] = { 0, 1700, 2400 };
    struct sim s;

    (void)state;
    sim_init(&s, 2, rate);
    sim_run(&s, 30000, true);
    assert_int_equal(capctl_best(&s.c), 2);
    assert_int_equal(s.c.cap == 2 || s.c.probing, true);
    assert_true(s.at_level[2] > 4 * s.at_level[1]);
}

static void
test_climbs_down_to_the_best_of_many(void **state)
{
    static const double rate[] = { 0, 100, 150, 120, 110 };
    struct sim s;

    (void)state;
    sim_init(&s, 4, rate);
    sim_run(&s, 60000, true);
    assert_int_equal(capctl_best(&s.c), 2);
    assert_true(s.at_level[2] > s.at_level[1] + s.at_level[3] + s.at_level[4]);
}

static void
test_follows_a_machine_that_changes(void **state)
{
    static const double before[] = { 0, 400, 300 };
    static const double after[] = { 0, 300, 400 };
    struct sim s;

    (void)state;
    sim_init(&s, 2, before);
    sim_run(&s, 20000, true);
    assert_int_equal(capctl_best(&s.c), 1);
    s.rate = after;
    sim_run(&s, 20000, true);
    assert_int_equal(capctl_best(&s.c), 2);
}

static void
test_backlog_gone_starts_over(void **state)
{
    static const double rate[] = { 0, 400, 300 };
    struct sim s;

    (void)state;
    sim_init(&s, 2, rate);
    sim_run(&s, 3000, true);
    assert_true(s.c.active);
    assert_true(s.c.rate[1] > 0 && s.c.rate[2] > 0);
    /* A short lull keeps what was learnt ... */
    sim_run(&s, CAPCTL_IDLE_MS - 100, false);
    assert_true(s.c.active);
    assert_true(s.c.rate[1] > 0);
    /* ... a long one forgets it and restores the plain guard. */
    sim_run(&s, 200, false);
    assert_false(s.c.active);
    assert_int_equal(s.c.cap, 2);
    assert_true(s.c.rate[1] < 0 && s.c.rate[2] < 0);
}

static void
test_measures_only_while_work_waits(void **state)
{
    static const double rate[] = { 0, 400, 300 };
    struct sim s;

    (void)state;
    sim_init(&s, 2, rate);
    /* Backlog in bursts shorter than a window: nothing is measured and
     * the level never moves (a lightly loaded machine). */
    for (int i = 0; i < 50; i++) {
        sim_run(&s, CAPCTL_WINDOW_MS - 100, true);
        sim_run(&s, 20, false);
    }
    assert_true(s.c.rate[1] < 0 && s.c.rate[2] < 0);
    assert_int_equal(s.c.cap, 2);
    assert_int_equal(s.c.changes, 0);
}

static void
test_one_cpu_has_one_level(void **state)
{
    static const double rate[] = { 0, 400 };
    struct sim s;

    (void)state;
    sim_init(&s, 1, rate);
    sim_run(&s, 20000, true);
    assert_int_equal(s.c.cap, 1);
    assert_int_equal(s.c.changes, 0);
    capctl_init(&s.c, 0);
    assert_int_equal(s.c.max, 1);
    capctl_init(&s.c, 1000);
    assert_int_equal(s.c.max, CAPCTL_LEVELS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_backlog_keeps_the_guard),
        cmocka_unit_test(test_finds_the_lower_level_when_it_runs_more),
        cmocka_unit_test(test_a_tie_keeps_the_concurrency),
        cmocka_unit_test(test_within_the_margin_keeps_the_concurrency),
        cmocka_unit_test(test_higher_level_wins_on_a_real_multicore),
        cmocka_unit_test(test_climbs_down_to_the_best_of_many),
        cmocka_unit_test(test_follows_a_machine_that_changes),
        cmocka_unit_test(test_backlog_gone_starts_over),
        cmocka_unit_test(test_measures_only_while_work_waits),
        cmocka_unit_test(test_one_cpu_has_one_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
