/*
 * test_decide.c — mon's ALERT DECISION LOGIC, one test per rule.
 *
 * Each test builds a service by hand (periods, alert lines), feeds a
 * sequence of monitor results at chosen wall-clock times and asserts
 * which alerts decide_*() asks for.  Periods: a NULL compiled period is
 * "always" (decide.h); period_compile("none") is "never".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "period.h"
#include "xalloc.h"

#define T0 1700000000000LL      /* a wall-clock origin, ms */
#define S(n) ((int64_t)(n) * 1000)
#define M(n) ((int64_t)(n) * 60000)

/* ---- building services by hand ---------------------------------------- */

static struct service *
svc_new(void)
{
    struct service *svc = xcalloc(1, sizeof(*svc));
    svc->name = xstrdup("http");
    svc->interval_ms = M(1);
    return svc;
}

/* Add a period; spec NULL = always (compiled NULL), else compiled. */
static struct period_def *
add_period(struct service *svc, const char *spec)
{
    svc->periods = xrealloc(svc->periods,
                            (svc->nperiods + 1) * sizeof(*svc->periods));
    struct period_def *pd = &svc->periods[svc->nperiods++];
    memset(pd, 0, sizeof(*pd));
    if (spec != NULL) {
        int col;
        const char *msg;
        pd->spec = xstrdup(spec);
        pd->compiled = period_compile(spec, &col, &msg);
        assert_non_null(pd->compiled);
    }
    return pd;
}

static struct alert_def *
add_alert(struct period_def *pd, enum alert_kind kind, const char *prog)
{
    pd->alerts = xrealloc(pd->alerts, (pd->nalerts + 1) * sizeof(*pd->alerts));
    struct alert_def *a = &pd->alerts[pd->nalerts++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->argv = xcalloc(2, sizeof(*a->argv));
    a->argv[0] = xstrdup(prog);
    a->argc = 1;
    return a;
}

static void
svc_free(struct service *svc)
{
    for (size_t i = 0; i < svc->nperiods; i++) {
        struct period_def *pd = &svc->periods[i];
        for (size_t j = 0; j < pd->nalerts; j++) {
            free(pd->alerts[j].argv[0]);
            free(pd->alerts[j].argv);
        }
        free(pd->alerts);
        free(pd->label);
        free(pd->spec);
        period_free(pd->compiled);
    }
    free(svc->periods);
    if (svc->redistribute_argv != NULL) {
        free(svc->redistribute_argv[0]);
        free(svc->redistribute_argv);
    }
    free(svc->name);
    free(svc);
}

/* A service with one always-period holding "alert mail.alert" and
 * "upalert mail.alert". */
static struct service *
simple_svc(struct period_def **pdp)
{
    struct service *svc = svc_new();
    struct period_def *pd = add_period(svc, NULL);
    add_alert(pd, ALERT_KIND_ALERT, "mail.alert");
    add_alert(pd, ALERT_KIND_UPALERT, "mail.alert");
    if (pdp != NULL)
        *pdp = pd;
    return svc;
}

/* ---- running events ---------------------------------------------------- */

struct run {
    struct decision d;
};

static struct decide_facts
facts(int64_t now)
{
    struct decide_facts f = { .now_wall_ms = now, .deps_ok = true };
    return f;
}

/* One monitor result at time now; returns the decision (caller fini). */
static struct decision
result_f(const struct service *svc, struct svc_state *st,
         const struct decide_facts *f, int exit_status, const char *summary,
         const char *detail, bool is_trap)
{
    struct check_result r = {
        .exit_status = exit_status,
        .summary = summary,
        .detail = detail,
        .output = summary,
    };
    struct decision d;
    decision_init(&d);
    decide_result(svc, st, &r, f, is_trap, &d);
    return d;
}

static struct decision
result(const struct service *svc, struct svc_state *st, int64_t now,
       int exit_status, const char *summary)
{
    struct decide_facts f = facts(now);
    return result_f(svc, st, &f, exit_status, summary, "", false);
}

/* Number of period alerts (not redistribute) of type t in d. */
static size_t
count(const struct decision *d, enum alert_type t)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (!d->actions[i].redistribute && d->actions[i].type == t)
            n++;
    return n;
}

/* Result -> number of failure alerts, decision discarded. */
static size_t
fail_alerts(const struct service *svc, struct svc_state *st, int64_t now,
            int exit_status, const char *summary)
{
    struct decision d = result(svc, st, now, exit_status, summary);
    size_t n = count(&d, ALERT_TYPE_FAILURE);
    decision_fini(&d);
    return n;
}

static size_t
up_alerts(const struct service *svc, struct svc_state *st, int64_t now)
{
    struct decision d = result(svc, st, now, 0, "ok");
    size_t n = count(&d, ALERT_TYPE_UP);
    decision_fini(&d);
    return n;
}

/* ---- the rules --------------------------------------------------------- */

static void
test_failure_updates_state(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(st.opstatus, OPSTATUS_UNTESTED);

    struct decision d = result(svc, &st, T0, 2, "down");
    assert_true(d.state_changed);
    assert_false(d.suppressed);
    decision_fini(&d);
    d = result(svc, &st, T0 + M(1), 2, "down");
    assert_false(d.state_changed);
    decision_fini(&d);

    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    assert_int_equal(st.consecutive_failures, 2);
    assert_int_equal(st.first_failure_wall_ms, T0);
    assert_int_equal(st.last_failure_wall_ms, T0 + M(1));
    assert_int_equal(st.last_retval, 2);
    assert_string_equal(st.last_summary, "down");
    assert_int_equal(st.failure_count, 2);

    d = result(svc, &st, T0 + M(2), 0, "fine");
    assert_true(d.state_changed);
    decision_fini(&d);
    assert_int_equal(st.opstatus, OPSTATUS_OK);
    assert_int_equal(st.consecutive_failures, 0);
    assert_int_equal(st.first_failure_wall_ms, 0);
    assert_int_equal(st.last_failure_start_wall_ms, T0);
    assert_int_equal(st.last_success_wall_ms, T0 + M(2));
    assert_string_equal(st.last_summary, "fine");
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_alert_on_every_failure_without_alertevery(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    struct svc_state st;
    svc_state_init(&st, svc);
    for (int i = 0; i < 4; i++)
        assert_int_equal(fail_alerts(svc, &st, T0 + M(i), 1, "down"), 1);
    assert_int_equal(st.alert_count, 4);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_timed_out_monitor_is_failure(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    struct svc_state st;
    svc_state_init(&st, svc);
    struct check_result r = { .exit_status = 0, .timed_out = true,
                              .summary = "timed out after 5s", .detail = "" };
    struct decide_facts f = facts(T0);
    struct decision d;
    decision_init(&d);
    decide_result(svc, &st, &r, &f, false, &d);
    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 1);
    assert_string_equal(st.last_summary, "timed out after 5s");
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_blank_summary_is_no_summary(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "  "), 1);
    assert_string_equal(st.last_summary, "(NO SUMMARY)");
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_alertevery_suppresses_same_summary(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertevery_ms = M(60);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "a b"), 1);
    struct decision d = result(svc, &st, T0 + M(1), 1, "a b");
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 0);
    assert_true(d.suppressed);
    assert_string_equal(d.why, "alertevery: alerted recently, same output");
    decision_fini(&d);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(59), 1, "a b"), 0);
    /* The timer has run out. */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(60), 1, "a b"), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(61), 1, "a b"), 0);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_alertevery_summary_change_realerts(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertevery_ms = M(60);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "a"), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(1), 1, "a b"), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(2), 1, "a b"), 0);
    /* Compared with the previous failure, not the last alert: back to
     * "a" is a change again. */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(3), 1, "a"), 1);
    /* Only the summary counts by default, not the detail. */
    struct decide_facts f = facts(T0 + M(4));
    struct decision d = result_f(svc, &st, &f, 1, "a", "new detail", false);
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 0);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_observe_detail(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertevery_ms = M(60);
    pd->alertevery_mode = ALERTEVERY_OBSERVE_DETAIL;
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decide_facts f = facts(T0);
    struct decision d = result_f(svc, &st, &f, 1, "s", "d1", false);
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 1);
    decision_fini(&d);
    f = facts(T0 + M(1));
    d = result_f(svc, &st, &f, 1, "s", "d1", false);
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 0);
    decision_fini(&d);
    f = facts(T0 + M(2));
    d = result_f(svc, &st, &f, 1, "s", "d2", false);
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 1);
    decision_fini(&d);
    f = facts(T0 + M(3));
    d = result_f(svc, &st, &f, 1, "s2", "d2", false);
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 1);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_strict_ignores_summary_and_recovery(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertevery_ms = M(60);
    pd->alertevery_mode = ALERTEVERY_STRICT;
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "a"), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(1), 1, "b"), 0);
    /* Recovery (with its upalert) does not reset the strict timer. */
    assert_int_equal(up_alerts(svc, &st, T0 + M(2)), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(3), 1, "c"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(60), 1, "c"), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_alertevery_reset_by_success(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertevery_ms = M(60);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "a"), 1);
    assert_int_equal(up_alerts(svc, &st, T0 + M(1)), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(2), 1, "a"), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_alertafter_consecutive(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertafter_count = 3;
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decision d = result(svc, &st, T0, 1, "x");
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 0);
    assert_string_equal(d.why, "alertafter not reached");
    decision_fini(&d);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(1), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(2), 1, "x"), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(3), 1, "x"), 1);
    /* A success in between starts the count again. */
    assert_int_equal(up_alerts(svc, &st, T0 + M(4)), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(5), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(6), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(7), 1, "x"), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_alertafter_n_within_t(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertafter_count = 3;
    pd->alertafter_within_ms = M(30);
    struct svc_state st;
    svc_state_init(&st, svc);
    /* Failures 20 and 15 minutes apart: never 3 within 30 minutes. */
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(20), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(40), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(55), 1, "x"), 0);
    /* 40, 55, 60: three within 30 minutes. */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(60), 1, "x"), 1);
    /* The window slides: still at least three in the last 30 minutes. */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(65), 1, "x"), 1);
    /* A success forgets the failures counted so far (as mon). */
    assert_int_equal(up_alerts(svc, &st, T0 + M(66)), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(67), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(68), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(69), 1, "x"), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_alertafter_time(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertafter_within_ms = M(10);       /* alertafter 10m */
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(5), 1, "x"), 0);
    /* Exactly 10 minutes is not "longer than". */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(10), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(10) + 1, 1, "x"), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_numalerts(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->numalerts = 2;
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "a"), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(1), 1, "b"), 1);
    struct decision d = result(svc, &st, T0 + M(2), 1, "c");
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 0);
    assert_string_equal(d.why, "numalerts reached");
    decision_fini(&d);
    /* Reset by a success. */
    assert_int_equal(up_alerts(svc, &st, T0 + M(3)), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(4), 1, "a"), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_upalert_only_after_down_alert(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertafter_count = 2;
    struct svc_state st;
    svc_state_init(&st, svc);
    /* First result ok: no failure before it, no upalert. */
    assert_int_equal(up_alerts(svc, &st, T0), 0);
    /* A failure that sent no alert: its recovery sends no upalert. */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(1), 1, "x"), 0);
    assert_int_equal(up_alerts(svc, &st, T0 + M(2)), 0);
    /* A failure that alerted: one upalert, then no more on later oks. */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(3), 1, "x"), 0);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(4), 1, "x"), 1);
    struct decision d = result(svc, &st, T0 + M(5), 0, "ok");
    assert_int_equal(count(&d, ALERT_TYPE_UP), 1);
    assert_true(d.actions[0].upalert);
    assert_false(d.actions[0].trap);
    assert_int_equal(d.actions[0].alert, 1);     /* the upalert line */
    decision_fini(&d);
    assert_int_equal(up_alerts(svc, &st, T0 + M(6)), 0);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_no_comp_alerts(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertafter_count = 5;
    pd->no_comp_alerts = true;
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "x"), 0);
    assert_int_equal(up_alerts(svc, &st, T0 + M(1)), 1);
    /* Still only on a failure -> success change. */
    assert_int_equal(up_alerts(svc, &st, T0 + M(2)), 0);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_upalertafter(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->upalertafter_ms = M(5);
    struct svc_state st;
    svc_state_init(&st, svc);
    /* Down for 4 minutes: a blip, no upalert. */
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "x"), 1);
    assert_int_equal(up_alerts(svc, &st, T0 + M(4)), 0);
    /* Down for exactly 5 minutes: upalert (>=). */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(10), 1, "x"), 1);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(12), 1, "x"), 1);
    assert_int_equal(up_alerts(svc, &st, T0 + M(15)), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_exit_range(void **state)
{
    (void)state;
    struct service *svc = svc_new();
    struct period_def *pd = add_period(svc, NULL);
    add_alert(pd, ALERT_KIND_ALERT, "any.alert");               /* 0 */
    struct alert_def *a = add_alert(pd, ALERT_KIND_ALERT, "warn.alert");
    a->has_exit_range = true;                                   /* 1 */
    a->exit_min = a->exit_max = 1;
    a = add_alert(pd, ALERT_KIND_ALERT, "crit.alert");          /* 2 */
    a->has_exit_range = true;
    a->exit_min = 2;
    a->exit_max = 3;
    struct svc_state st;
    svc_state_init(&st, svc);

    struct decision d = result(svc, &st, T0, 1, "w");
    assert_int_equal(d.n, 2);
    assert_int_equal(d.actions[0].alert, 0);
    assert_int_equal(d.actions[1].alert, 1);
    decision_fini(&d);
    d = result(svc, &st, T0 + M(1), 3, "c");
    assert_int_equal(d.n, 2);
    assert_int_equal(d.actions[0].alert, 0);
    assert_int_equal(d.actions[1].alert, 2);
    decision_fini(&d);
    d = result(svc, &st, T0 + M(2), 4, "x");
    assert_int_equal(d.n, 1);
    assert_int_equal(d.actions[0].alert, 0);
    decision_fini(&d);

    /* Only ranged alerts, none covering the status: nothing, and said. */
    pd->alerts[0].has_exit_range = true;
    pd->alerts[0].exit_min = pd->alerts[0].exit_max = 9;
    d = result(svc, &st, T0 + M(3), 4, "x");
    assert_int_equal(d.n, 0);
    assert_true(d.suppressed);
    assert_string_equal(d.why, "no alert line covers this exit status");
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_minus_l_is_alertevery_seconds(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertevery_ms = M(90);
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decision d = result(svc, &st, T0, 1, "x");
    assert_int_equal(d.n, 1);
    assert_int_equal(d.actions[0].alertevery_s, 5400);
    assert_int_equal(d.actions[0].period, 0);
    assert_int_equal(d.actions[0].alert, 0);
    assert_int_equal(d.actions[0].type, ALERT_TYPE_FAILURE);
    assert_false(d.actions[0].upalert || d.actions[0].trap ||
                 d.actions[0].traptimeout || d.actions[0].redistribute);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_ack_suppresses_failure_alerts_not_upalerts(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "x"), 1);
    decide_ack(&st, "working on it");
    assert_true(st.acked);
    assert_string_equal(st.ack_comment, "working on it");
    struct decision d = result(svc, &st, T0 + M(1), 1, "y");
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 0);
    assert_true(d.suppressed);
    assert_string_equal(d.why, "failure acknowledged");
    decision_fini(&d);
    assert_int_equal(up_alerts(svc, &st, T0 + M(2)), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_ack_cleared_on_recovery(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "x"), 1);
    decide_ack(&st, "known");
    assert_int_equal(up_alerts(svc, &st, T0 + M(1)), 1);
    assert_false(st.acked);
    assert_null(st.ack_comment);
    assert_int_equal(fail_alerts(svc, &st, T0 + M(2), 1, "x"), 1);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_unack_summary(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    svc->unack_summary = true;
    pd->alertevery_ms = M(60);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "host1"), 1);
    decide_ack(&st, "x");
    /* Same summary but for blanks: the ack holds. */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(1), 1, " host1 "), 0);
    assert_true(st.acked);
    /* Another host fails: the ack is gone and the alert goes out even
     * inside alertevery. */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(2), 1, "host1 host2"), 1);
    assert_false(st.acked);

    /* Without unack_summary the ack survives a summary change. */
    svc->unack_summary = false;
    decide_ack(&st, "x");
    assert_int_equal(fail_alerts(svc, &st, T0 + M(3), 1, "host3"), 0);
    assert_true(st.acked);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_disabled(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    struct svc_state st;
    svc_state_init(&st, svc);
    st.disabled = true;
    struct decision d = result(svc, &st, T0, 1, "x");
    assert_int_equal(d.n, 0);
    assert_true(d.suppressed);
    assert_string_equal(d.why, "alerts disabled");
    decision_fini(&d);
    /* Still failing as far as state goes. */
    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    st.disabled = false;
    assert_int_equal(fail_alerts(svc, &st, T0 + M(1), 1, "x"), 1);
    /* Disabled at recovery: no upalert either. */
    st.disabled = true;
    assert_int_equal(up_alerts(svc, &st, T0 + M(2)), 0);
    st.disabled = false;

    /* A disabled watch works the same way. */
    struct decide_facts f = facts(T0 + M(3));
    f.watch_disabled = true;
    d = result_f(svc, &st, &f, 1, "x", "", false);
    assert_int_equal(d.n, 0);
    assert_string_equal(d.why, "alerts disabled");
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_deps_fail_suppresses(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "x"), 1);
    struct decide_facts f = facts(T0 + M(1));
    f.deps_ok = false;
    struct decision d = result_f(svc, &st, &f, 1, "y", "", false);
    assert_int_equal(count(&d, ALERT_TYPE_FAILURE), 0);
    assert_true(d.suppressed);
    assert_string_equal(d.why, "a dependency is failing");
    decision_fini(&d);
    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    /* Upalerts are not held by dependencies (mon). */
    f = facts(T0 + M(2));
    f.deps_ok = false;
    d = result_f(svc, &st, &f, 0, "ok", "", false);
    assert_int_equal(count(&d, ALERT_TYPE_UP), 1);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_dep_memory(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    svc->dep_memory_ms = M(10);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_false(decide_deps_ok(svc, &st, false, T0));
    assert_false(decide_deps_ok(svc, &st, false, T0 + M(2)));
    /* The parent is back at 3 min; remembered until 2 + 10 = 12 min. */
    assert_false(decide_deps_ok(svc, &st, true, T0 + M(3)));
    assert_false(decide_deps_ok(svc, &st, true, T0 + M(12) - 1));
    assert_true(decide_deps_ok(svc, &st, true, T0 + M(12)));
    assert_true(decide_deps_ok(svc, &st, true, T0 + M(13)));

    /* Without dep_memory the value is taken as it is. */
    svc->dep_memory_ms = 0;
    assert_false(decide_deps_ok(svc, &st, false, T0 + M(20)));
    assert_true(decide_deps_ok(svc, &st, true, T0 + M(20) + 1));
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_period_out(void **state)
{
    (void)state;
    struct service *svc = svc_new();
    struct period_def *never = add_period(svc, "none");
    add_alert(never, ALERT_KIND_ALERT, "never.alert");
    add_alert(never, ALERT_KIND_UPALERT, "never.alert");
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decision d = result(svc, &st, T0, 1, "x");
    assert_int_equal(d.n, 0);
    assert_true(d.suppressed);
    assert_string_equal(d.why, "no period matches now");
    decision_fini(&d);
    assert_int_equal(up_alerts(svc, &st, T0 + M(1)), 0);

    /* A second, blank ("always") period alerts on its own. */
    struct period_def *always = add_period(svc, "");
    add_alert(always, ALERT_KIND_ALERT, "always.alert");
    svc_state_rebind(&st, NULL, svc);
    d = result(svc, &st, T0 + M(2), 1, "x");
    assert_int_equal(d.n, 1);
    assert_int_equal(d.actions[0].period, 1);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_periods_are_independent(void **state)
{
    (void)state;
    struct service *svc = svc_new();
    struct period_def *p0 = add_period(svc, NULL);
    add_alert(p0, ALERT_KIND_ALERT, "page.alert");
    p0->alertevery_ms = M(60);
    struct period_def *p1 = add_period(svc, NULL);
    add_alert(p1, ALERT_KIND_ALERT, "log.alert");
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decision d = result(svc, &st, T0, 1, "x");
    assert_int_equal(d.n, 2);
    decision_fini(&d);
    d = result(svc, &st, T0 + M(1), 1, "x");
    assert_int_equal(d.n, 1);
    assert_int_equal(d.actions[0].period, 1);
    assert_false(d.suppressed);
    assert_null(d.why);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_trap_T(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    svc->monitor_argv = NULL;
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decide_facts f = facts(T0);
    struct decision d = result_f(svc, &st, &f, 3, "disk full", "", true);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.actions[0].type, ALERT_TYPE_TRAP);
    assert_true(d.actions[0].trap);
    assert_false(d.actions[0].upalert);
    assert_string_equal(alert_type_name(d.actions[0].type), "trap");
    decision_fini(&d);
    assert_int_equal(st.last_trap_wall_ms, T0);
    assert_int_equal(st.last_retval, 3);
    /* A trap with status 0 is the recovery: an upalert flagged trap. */
    f = facts(T0 + M(1));
    d = result_f(svc, &st, &f, 0, "fine", "", true);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.actions[0].type, ALERT_TYPE_UP);
    assert_true(d.actions[0].upalert);
    assert_true(d.actions[0].trap);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_trapduration(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    svc->trapduration_ms = M(5);
    pd->alertevery_ms = M(60);
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decide_facts f = facts(T0);
    struct decision d = result_f(svc, &st, &f, 1, "overheat", "", true);
    assert_int_equal(count(&d, ALERT_TYPE_TRAP), 1);
    decision_fini(&d);
    assert_int_equal(st.trap_fail_until_wall_ms, T0 + M(5));

    decision_init(&d);
    f = facts(T0 + M(5) - 1);
    assert_false(decide_trapduration_expired(svc, &st, &f, &d));
    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    f = facts(T0 + M(5));
    assert_true(decide_trapduration_expired(svc, &st, &f, &d));
    assert_true(d.state_changed);
    assert_int_equal(d.n, 0);               /* no upalert, as mon */
    assert_int_equal(st.opstatus, OPSTATUS_OK);
    assert_false(decide_trapduration_expired(svc, &st, &f, &d));
    decision_fini(&d);

    /* The same trap again within alertevery: held, as one failure. */
    f = facts(T0 + M(6));
    d = result_f(svc, &st, &f, 1, "overheat", "", true);
    assert_int_equal(count(&d, ALERT_TYPE_TRAP), 0);
    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_traptimeout_O(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    svc->traptimeout_ms = M(10);
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decide_facts f = facts(T0);
    struct decision d;
    decision_init(&d);
    decide_traptimeout(svc, &st, &f, &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.actions[0].type, ALERT_TYPE_TRAPTIMEOUT);
    assert_true(d.actions[0].traptimeout);
    assert_false(d.actions[0].trap);
    assert_string_equal(alert_type_name(d.actions[0].type), "traptimeout");
    decision_fini(&d);
    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    assert_string_equal(st.last_summary, "trap timeout");
    assert_string_equal(st.last_detail, "no trap received for 600 s\n");
    assert_int_equal(st.last_retval, 1);
    /* The next trap (status 0) brings it back with an upalert. */
    f = facts(T0 + M(1));
    d = result_f(svc, &st, &f, 0, "alive", "", true);
    assert_int_equal(count(&d, ALERT_TYPE_UP), 1);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_startupalert(void **state)
{
    (void)state;
    struct service *svc = svc_new();
    struct period_def *pd = add_period(svc, NULL);
    add_alert(pd, ALERT_KIND_ALERT, "mail.alert");
    struct alert_def *a = add_alert(pd, ALERT_KIND_STARTUP, "hello.alert");
    a->has_exit_range = true;               /* exit= does not apply */
    a->exit_min = a->exit_max = 7;
    struct period_def *off = add_period(svc, "none");
    add_alert(off, ALERT_KIND_STARTUP, "never.alert");
    struct svc_state st;
    svc_state_init(&st, svc);

    struct decide_facts f = facts(T0);
    struct decision d;
    decision_init(&d);
    decide_startup(svc, &st, &f, &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.actions[0].type, ALERT_TYPE_STARTUP);
    assert_int_equal(d.actions[0].period, 0);
    assert_int_equal(d.actions[0].alert, 1);
    assert_string_equal(alert_type_name(d.actions[0].type), "startup");
    decision_fini(&d);
    /* It did not start an alertevery timer or count as a down alert. */
    assert_int_equal(st.periods[0].last_alert_wall_ms, 0);
    assert_false(st.periods[0].down_alert_sent);

    /* Disabled: nothing. */
    st.disabled = true;
    decision_init(&d);
    decide_startup(svc, &st, &f, &d);
    assert_int_equal(d.n, 0);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

/* mon's do_alert returns first thing while the scheduler is stopped: no
 * alert, no redistribute, and none of their bookkeeping, so the same
 * failure alerts once the scheduler runs again (alertevery is not
 * started by an alert that was never sent). */
static void
test_stopped_scheduler_drops_alerts_without_booking_them(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertevery_ms = M(60);
    add_alert(pd, ALERT_KIND_STARTUP, "hello.alert");
    svc->redistribute_argv = xcalloc(2, sizeof(char *));
    svc->redistribute_argv[0] = xstrdup("mon.trap.alert");
    svc->redistribute_argc = 1;
    struct svc_state st;
    svc_state_init(&st, svc);
    struct decide_facts f = facts(T0);
    f.stopped = true;

    struct decision d;
    decision_init(&d);
    decide_startup(svc, &st, &f, &d);
    assert_int_equal(d.n, 0);
    assert_true(d.stopped);
    decision_fini(&d);
    assert_int_equal(st.alert_count, 0);

    d = result_f(svc, &st, &f, 1, "down", "", false);
    assert_int_equal(d.n, 0);                   /* not even redistribute */
    assert_true(d.stopped);
    assert_true(d.suppressed);
    assert_string_equal(d.why, "scheduler stopped");
    decision_fini(&d);
    /* The state changed; the alert bookkeeping did not. */
    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    assert_int_equal(st.failure_count, 1);
    assert_int_equal(st.alert_count, 0);
    assert_int_equal(st.periods[0].alerts_sent, 0);
    assert_int_equal(st.periods[0].last_alert_wall_ms, 0);
    assert_false(st.periods[0].down_alert_sent);

    /* Running again: the same failure alerts (and redistributes). */
    assert_int_equal(fail_alerts(svc, &st, T0 + M(1), 1, "down"), 1);
    assert_int_equal(st.periods[0].alerts_sent, 1);

    /* Recovery while stopped: no upalert, and not left owed either. */
    f.now_wall_ms = T0 + M(2);
    d = result_f(svc, &st, &f, 0, "ok", "", false);
    assert_int_equal(d.n, 0);
    assert_true(d.stopped);
    decision_fini(&d);
    assert_int_equal(st.opstatus, OPSTATUS_OK);
    assert_false(st.periods[0].down_alert_sent);

    /* A success while stopped that ends no failure is not a dropped
     * alert. */
    f.now_wall_ms = T0 + M(3);
    d = result_f(svc, &st, &f, 0, "ok", "", false);
    assert_false(d.stopped);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_redistribute_every_result(void **state)
{
    (void)state;
    struct period_def *pd;
    struct service *svc = simple_svc(&pd);
    pd->alertevery_ms = M(60);
    svc->redistribute_argv = xcalloc(2, sizeof(char *));
    svc->redistribute_argv[0] = xstrdup("mon.trap.alert");
    svc->redistribute_argc = 1;
    struct svc_state st;
    svc_state_init(&st, svc);

    static const struct { int exit; size_t n; enum alert_type t; } seq[] = {
        { 0, 1, ALERT_TYPE_UP },        /* ok: redistribute only */
        { 0, 1, ALERT_TYPE_UP },        /* ok again: still */
        { 1, 2, ALERT_TYPE_FAILURE },   /* failure: redistribute + alert */
        { 1, 1, ALERT_TYPE_FAILURE },   /* held by alertevery: still */
        { 0, 2, ALERT_TYPE_UP },        /* recovery: + upalert */
    };
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        struct decision d = result(svc, &st, T0 + M(i), seq[i].exit, "s");
        assert_int_equal(d.n, seq[i].n);
        assert_true(d.actions[0].redistribute);
        assert_int_equal(d.actions[0].type, seq[i].t);
        assert_int_equal(d.actions[0].upalert, seq[i].exit == 0);
        decision_fini(&d);
    }
    /* Even a disabled service redistributes (mon). */
    st.disabled = true;
    struct decision d = result(svc, &st, T0 + M(9), 1, "s");
    assert_int_equal(d.n, 1);
    assert_true(d.actions[0].redistribute);
    decision_fini(&d);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_failure_interval(void **state)
{
    (void)state;
    struct service *svc = simple_svc(NULL);
    svc->interval_ms = M(5);
    svc->failure_interval_ms = M(1);
    struct svc_state st;
    svc_state_init(&st, svc);
    assert_int_equal(decide_next_interval_ms(svc, &st), M(5));
    assert_int_equal(fail_alerts(svc, &st, T0, 1, "x"), 1);
    assert_int_equal(decide_next_interval_ms(svc, &st), M(1));
    assert_int_equal(up_alerts(svc, &st, T0 + M(1)), 1);
    assert_int_equal(decide_next_interval_ms(svc, &st), M(5));
    /* Without failure_interval the interval stays. */
    svc->failure_interval_ms = 0;
    assert_int_equal(fail_alerts(svc, &st, T0 + M(2), 1, "x"), 1);
    assert_int_equal(decide_next_interval_ms(svc, &st), M(5));
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_rebind_keeps_period_state(void **state)
{
    (void)state;
    struct service *old = svc_new();
    struct period_def *a = add_period(old, NULL);
    a->label = xstrdup("day");
    add_alert(a, ALERT_KIND_ALERT, "x");
    struct period_def *b = add_period(old, NULL);
    b->label = xstrdup("night");
    add_alert(b, ALERT_KIND_ALERT, "y");
    struct svc_state st;
    svc_state_init(&st, old);
    assert_int_equal(fail_alerts(old, &st, T0, 1, "x"), 2);
    st.periods[1].alerts_sent = 7;

    /* The new config has "night" first and a new "weekend". */
    struct service *nw = svc_new();
    struct period_def *c = add_period(nw, NULL);
    c->label = xstrdup("night");
    struct period_def *e = add_period(nw, NULL);
    e->label = xstrdup("weekend");
    svc_state_rebind(&st, old, nw);
    assert_int_equal(st.nperiods, 2);
    assert_int_equal(st.periods[0].alerts_sent, 7);
    assert_true(st.periods[0].down_alert_sent);
    assert_int_equal(st.periods[1].alerts_sent, 0);
    assert_int_equal(st.periods[1].last_alert_wall_ms, 0);
    svc_state_fini(&st);
    svc_free(old);
    svc_free(nw);
}

static void
test_opstatus_up_and_names(void **state)
{
    (void)state;
    assert_true(opstatus_is_up(OPSTATUS_OK));
    assert_true(opstatus_is_up(OPSTATUS_COLDSTART));
    assert_true(opstatus_is_up(OPSTATUS_WARMSTART));
    assert_true(opstatus_is_up(OPSTATUS_UNKNOWN));
    assert_false(opstatus_is_up(OPSTATUS_FAIL));
    assert_false(opstatus_is_up(OPSTATUS_UNTESTED));
    assert_false(opstatus_is_up(OPSTATUS_TIMEOUT));
    assert_string_equal(opstatus_name(OPSTATUS_FAIL), "fail");
    assert_string_equal(opstatus_name(OPSTATUS_UNTESTED), "untested");
    assert_string_equal(alert_type_name(ALERT_TYPE_FAILURE), "failure");
    assert_string_equal(alert_type_name(ALERT_TYPE_UP), "up");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_updates_state),
        cmocka_unit_test(test_alert_on_every_failure_without_alertevery),
        cmocka_unit_test(test_timed_out_monitor_is_failure),
        cmocka_unit_test(test_blank_summary_is_no_summary),
        cmocka_unit_test(test_alertevery_suppresses_same_summary),
        cmocka_unit_test(test_alertevery_summary_change_realerts),
        cmocka_unit_test(test_observe_detail),
        cmocka_unit_test(test_strict_ignores_summary_and_recovery),
        cmocka_unit_test(test_alertevery_reset_by_success),
        cmocka_unit_test(test_alertafter_consecutive),
        cmocka_unit_test(test_alertafter_n_within_t),
        cmocka_unit_test(test_alertafter_time),
        cmocka_unit_test(test_numalerts),
        cmocka_unit_test(test_upalert_only_after_down_alert),
        cmocka_unit_test(test_no_comp_alerts),
        cmocka_unit_test(test_upalertafter),
        cmocka_unit_test(test_exit_range),
        cmocka_unit_test(test_minus_l_is_alertevery_seconds),
        cmocka_unit_test(test_ack_suppresses_failure_alerts_not_upalerts),
        cmocka_unit_test(test_ack_cleared_on_recovery),
        cmocka_unit_test(test_unack_summary),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_deps_fail_suppresses),
        cmocka_unit_test(test_dep_memory),
        cmocka_unit_test(test_period_out),
        cmocka_unit_test(test_periods_are_independent),
        cmocka_unit_test(test_trap_T),
        cmocka_unit_test(test_trapduration),
        cmocka_unit_test(test_traptimeout_O),
        cmocka_unit_test(test_startupalert),
        cmocka_unit_test(test_stopped_scheduler_drops_alerts_without_booking_them),
        cmocka_unit_test(test_redistribute_every_result),
        cmocka_unit_test(test_failure_interval),
        cmocka_unit_test(test_rebind_keeps_period_state),
        cmocka_unit_test(test_opstatus_up_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
