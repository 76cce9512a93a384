/*
 * test_notify.c — ackalert / disablealert decisions and mon's "test
 * alert" selection (scheduler/notify.c), rule by rule against mon 1.3's
 * do_alert() and client_command().
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
#include "notify.h"
#include "period.h"
#include "xalloc.h"

#define T0 1700000000000LL      /* a wall-clock origin, ms */

/* ---- building a service by hand ---------------------------------------- */

static struct period_def *
add_period(struct service *svc, const char *label, const char *spec)
{
    struct period_def *pd;

    svc->periods = xrealloc(svc->periods,
                            (svc->nperiods + 1) * sizeof(*svc->periods));
    pd = &svc->periods[svc->nperiods++];
    memset(pd, 0, sizeof(*pd));
    pd->label = label != NULL ? xstrdup(label) : NULL;
    if (spec != NULL) {
        int col;
        const char *msg;

        pd->spec = xstrdup(spec);
        pd->compiled = period_compile(spec, &col, &msg);
        assert_non_null(pd->compiled);
    }
    return pd;
}

static void
add_line(struct alert_def **v, size_t *n, enum alert_kind kind,
         const char *prog)
{
    struct alert_def *a;

    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    a = &(*v)[(*n)++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->argv = xcalloc(2, sizeof(*a->argv));
    a->argv[0] = xstrdup(prog);
    a->argc = 1;
}

static void
free_lines(struct alert_def *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].argv[0]);
        free(v[i].argv);
    }
    free(v);
}

static void
svc_free(struct service *svc)
{
    for (size_t i = 0; i < svc->nperiods; i++) {
        struct period_def *pd = &svc->periods[i];

        free_lines(pd->alerts, pd->nalerts);
        free_lines(pd->ackalerts, pd->nackalerts);
        free_lines(pd->disablealerts, pd->ndisablealerts);
        free(pd->label);
        free(pd->spec);
        period_free(pd->compiled);
    }
    free(svc->periods);
    free(svc->name);
    free(svc);
}

/* One always-period: alert a, upalert u, startupalert s, ackalert k,
 * disablealert d (program names), plus a second "never" period. */
static struct service *
full_svc(void)
{
    struct service *svc = xcalloc(1, sizeof(*svc));
    struct period_def *pd;

    svc->name = xstrdup("http");
    pd = add_period(svc, NULL, "wd {Sun-Sat}");
    add_line(&pd->alerts, &pd->nalerts, ALERT_KIND_ALERT, "a");
    add_line(&pd->alerts, &pd->nalerts, ALERT_KIND_UPALERT, "u");
    add_line(&pd->alerts, &pd->nalerts, ALERT_KIND_STARTUP, "s");
    add_line(&pd->alerts, &pd->nalerts, ALERT_KIND_ALERT, "a2");
    add_line(&pd->ackalerts, &pd->nackalerts, ALERT_KIND_ALERT, "k");
    add_line(&pd->disablealerts, &pd->ndisablealerts, ALERT_KIND_ALERT, "d");
    pd = add_period(svc, "never", "none");
    add_line(&pd->ackalerts, &pd->nackalerts, ALERT_KIND_ALERT, "k-never");
    add_line(&pd->disablealerts, &pd->ndisablealerts, ALERT_KIND_ALERT,
             "d-never");
    return svc;
}

static struct decide_facts
facts(void)
{
    struct decide_facts f = { .now_wall_ms = T0, .deps_ok = true };

    return f;
}

static const char *
prog(const struct notify_list *l, size_t i)
{
    return l->v[i].alert->argv[0];
}

/* ---- the "test" word ---------------------------------------------------- */

static void
test_test_kind_like_mons_regex(void **state)
{
    static const struct {
        const char *word;
        bool match;
        enum notify_kind kind;
    } rows[] = {
        { "alert", true, NOTIFY_ALERT },
        { "upalert", true, NOTIFY_UPALERT },
        { "startupalert", true, NOTIFY_STARTUP },
        { "ackalert", true, NOTIFY_ACK },
        { "disablealert", true, NOTIFY_DISABLE },
        /* the anchors bind to the first and last alternative only */
        { "alerts", true, NOTIFY_NONE },
        { "xupalertx", true, NOTIFY_NONE },
        { "xackalertx", true, NOTIFY_NONE },
        { "xdisablealert", true, NOTIFY_NONE },
        { "xalert", false, NOTIFY_NONE },
        { "disablealerts", false, NOTIFY_NONE },
        { "monitor", false, NOTIFY_NONE },
        { "", false, NOTIFY_NONE },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum notify_kind k = NOTIFY_ALERT;

        assert_int_equal(notify_test_kind(rows[i].word, &k), rows[i].match);
        if (rows[i].match)
            assert_int_equal(k, rows[i].kind);
    }
}

static void
test_find_period_by_label_or_spec(void **state)
{
    struct service *svc = full_svc();

    (void)state;
    assert_int_equal(notify_find_period(svc, "wd {Sun-Sat}"), 0);
    assert_int_equal(notify_find_period(svc, "never"), 1);
    /* a labelled period is known by its label only */
    assert_int_equal(notify_find_period(svc, "none"), -1);
    assert_int_equal(notify_find_period(svc, "wd {Mon-Fri}"), -1);
    svc_free(svc);
}

static void
test_test_picks_one_kind_ignoring_exit_ranges(void **state)
{
    struct service *svc = full_svc();
    struct notify_list l;

    (void)state;
    svc->periods[0].alerts[3].has_exit_range = true;
    svc->periods[0].alerts[3].exit_min = 5;
    svc->periods[0].alerts[3].exit_max = 9;
    notify_list_init(&l);
    notify_test_picks(svc, 0, NOTIFY_ALERT, &l);
    assert_int_equal(l.n, 2);
    assert_string_equal(prog(&l, 0), "a");
    assert_string_equal(prog(&l, 1), "a2");
    l.n = 0;
    notify_test_picks(svc, 0, NOTIFY_UPALERT, &l);
    assert_int_equal(l.n, 1);
    assert_string_equal(prog(&l, 0), "u");
    l.n = 0;
    notify_test_picks(svc, 0, NOTIFY_STARTUP, &l);
    assert_int_equal(l.n, 1);
    assert_string_equal(prog(&l, 0), "s");
    l.n = 0;
    /* a test runs outside the period too */
    notify_test_picks(svc, 1, NOTIFY_DISABLE, &l);
    assert_int_equal(l.n, 1);
    assert_string_equal(prog(&l, 0), "d-never");
    l.n = 0;
    notify_test_picks(svc, 0, NOTIFY_NONE, &l);
    notify_test_picks(svc, 7, NOTIFY_ALERT, &l);
    assert_int_equal(l.n, 0);
    notify_list_fini(&l);
    svc_free(svc);
}

/* ---- ackalert / disablealert ------------------------------------------- */

static void
test_ackalert_needs_a_down_alert(void **state)
{
    struct service *svc = full_svc();
    struct svc_state st;
    struct decide_facts f = facts();
    struct notify_list l;

    (void)state;
    svc_state_init(&st, svc);
    notify_list_init(&l);
    /* no down alert went out in this failure: nothing */
    notify_decide(svc, &st, NOTIFY_ACK, &f, &l);
    assert_int_equal(l.n, 0);
    assert_int_equal(st.alert_count, 0);
    /* after one: the period's ackalerts, counted as mon counts them */
    st.periods[0].alerts_sent = 1;
    notify_decide(svc, &st, NOTIFY_ACK, &f, &l);
    assert_int_equal(l.n, 1);
    assert_string_equal(prog(&l, 0), "k");
    assert_int_equal(l.v[0].period, 0);
    assert_int_equal(st.periods[0].alerts_sent, 2);
    assert_int_equal(st.periods[0].last_alert_wall_ms, T0);
    assert_int_equal(st.alert_count, 1);
    /* no_comp_alerts: without a down alert too */
    l.n = 0;
    st.periods[0].alerts_sent = 0;
    svc->periods[0].no_comp_alerts = true;
    notify_decide(svc, &st, NOTIFY_ACK, &f, &l);
    assert_int_equal(l.n, 1);
    notify_list_fini(&l);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_disablealert_needs_no_down_alert(void **state)
{
    struct service *svc = full_svc();
    struct svc_state st;
    struct decide_facts f = facts();
    struct notify_list l;

    (void)state;
    svc_state_init(&st, svc);
    st.disabled = true;         /* it has just been disabled */
    notify_list_init(&l);
    notify_decide(svc, &st, NOTIFY_DISABLE, &f, &l);
    assert_int_equal(l.n, 1);
    assert_string_equal(prog(&l, 0), "d");
    notify_list_fini(&l);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_held_back_like_do_alert(void **state)
{
    struct service *svc = full_svc();
    struct svc_state st;
    struct decide_facts f = facts();
    struct notify_list l;

    (void)state;
    svc_state_init(&st, svc);
    st.periods[0].alerts_sent = 1;
    notify_list_init(&l);
    /* a disabled watch: nothing */
    f.watch_disabled = true;
    notify_decide(svc, &st, NOTIFY_ACK, &f, &l);
    notify_decide(svc, &st, NOTIFY_DISABLE, &f, &l);
    assert_int_equal(l.n, 0);
    /* failing alert dependencies: nothing */
    f = facts();
    f.deps_ok = false;
    notify_decide(svc, &st, NOTIFY_ACK, &f, &l);
    notify_decide(svc, &st, NOTIFY_DISABLE, &f, &l);
    assert_int_equal(l.n, 0);
    /* a disabled service gets no ackalert */
    f = facts();
    st.disabled = true;
    notify_decide(svc, &st, NOTIFY_ACK, &f, &l);
    assert_int_equal(l.n, 0);
    /* kinds other than ack and disable are decide.c's */
    st.disabled = false;
    notify_decide(svc, &st, NOTIFY_ALERT, &f, &l);
    notify_decide(svc, &st, NOTIFY_UPALERT, &f, &l);
    assert_int_equal(l.n, 0);
    /* an exit= range is matched against 0 (mon passes no retval) */
    svc->periods[0].ackalerts[0].has_exit_range = true;
    svc->periods[0].ackalerts[0].exit_min = 1;
    svc->periods[0].ackalerts[0].exit_max = 3;
    notify_decide(svc, &st, NOTIFY_ACK, &f, &l);
    assert_int_equal(l.n, 0);
    assert_int_equal(st.periods[0].alerts_sent, 1);
    svc->periods[0].ackalerts[0].exit_min = 0;
    notify_decide(svc, &st, NOTIFY_ACK, &f, &l);
    assert_int_equal(l.n, 1);
    notify_list_fini(&l);
    svc_state_fini(&st);
    svc_free(svc);
}

static void
test_names_and_flags(void **state)
{
    (void)state;
    assert_string_equal(notify_type_name(NOTIFY_ALERT, true), "test");
    assert_string_equal(notify_type_name(NOTIFY_ALERT, false), "failure");
    assert_string_equal(notify_type_name(NOTIFY_UPALERT, true), "up");
    assert_string_equal(notify_type_name(NOTIFY_STARTUP, true), "startup");
    assert_string_equal(notify_type_name(NOTIFY_ACK, false), "ack");
    assert_string_equal(notify_type_name(NOTIFY_DISABLE, false), "disable");
    assert_null(notify_flag(NOTIFY_ALERT));
    assert_null(notify_flag(NOTIFY_STARTUP));
    assert_string_equal(notify_flag(NOTIFY_UPALERT), "-u");
    assert_string_equal(notify_flag(NOTIFY_ACK), "-a");
    assert_string_equal(notify_flag(NOTIFY_DISABLE), "-D");
    assert_string_equal(notify_history_type(NOTIFY_ALERT, true), "testalert");
    assert_string_equal(notify_history_type(NOTIFY_ACK, false), "ackalert");
    assert_string_equal(notify_history_type(NOTIFY_DISABLE, false),
                        "disablealert");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_test_kind_like_mons_regex),
        cmocka_unit_test(test_find_period_by_label_or_spec),
        cmocka_unit_test(test_test_picks_one_kind_ignoring_exit_ranges),
        cmocka_unit_test(test_ackalert_needs_a_down_alert),
        cmocka_unit_test(test_disablealert_needs_no_down_alert),
        cmocka_unit_test(test_held_back_like_do_alert),
        cmocka_unit_test(test_names_and_flags),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
