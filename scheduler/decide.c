/*
 * decide.c — mon's ALERT DECISION LOGIC (`man mon`), as pure functions.
 *
 * Holds no state of its own: every call takes the service's config, its
 * runtime state (updated in place) and the facts of the moment, and
 * appends the alerts to start to a struct decision.  The order of the
 * checks is mon 1.3's do_alert(): redistribute first (always), then
 * disabled, dependencies, ack, and per period: period match, upalert
 * pairing, alertafter, numalerts, alertevery, exit ranges.
 *
 * Deliberate differences from mon 1.3.6's code, where its manual says
 * otherwise or the code is plainly a slip:
 *  - upalertafter is honoured (mon's elsif sends the upalert anyway);
 *  - "alertafter N T" counts failures in a sliding window of T (mon
 *    restarts its count when T has passed since the first counted one,
 *    so a long failure goes quiet for a while every T);
 *  - failures count for alertafter whether or not alertevery held the
 *    alert back (mon counts only those that reached that check);
 *  - startupalerts do not start the alertevery timer or numalerts count;
 *  - every alert gets -l (alertevery in seconds).
 */
#include "decide.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "period.h"
#include "xalloc.h"

static const char *const opstatus_names[] = {
    [OPSTATUS_FAIL] = "fail",
    [OPSTATUS_OK] = "ok",
    [OPSTATUS_COLDSTART] = "coldstart",
    [OPSTATUS_WARMSTART] = "warmstart",
    [OPSTATUS_LINKDOWN] = "linkdown",
    [OPSTATUS_UNKNOWN] = "unknown",
    [OPSTATUS_TIMEOUT] = "timeout",
    [OPSTATUS_UNTESTED] = "untested",
    [OPSTATUS_DEPEND] = "dependency",
    [OPSTATUS_WARN] = "warn",
};

static const char *const alert_type_names[] = {
    [ALERT_TYPE_FAILURE] = "failure",
    [ALERT_TYPE_UP] = "up",
    [ALERT_TYPE_STARTUP] = "startup",
    [ALERT_TYPE_TRAP] = "trap",
    [ALERT_TYPE_TRAPTIMEOUT] = "traptimeout",
};

/* Reasons a failure sent no alert (decision.why). */
static const char why_disabled[] = "alerts disabled";
static const char why_deps[] = "a dependency is failing";
static const char why_acked[] = "failure acknowledged";
static const char why_stopped[] = "scheduler stopped";
static const char why_no_period[] = "no period matches now";
static const char why_no_periods[] = "no period defined";
static const char why_alertafter[] = "alertafter not reached";
static const char why_numalerts[] = "numalerts reached";
static const char why_alertevery[] =
    "alertevery: alerted recently, same output";
static const char why_exit[] = "no alert line covers this exit status";

bool
opstatus_is_up(enum opstatus s)
{
    return s == OPSTATUS_OK || s == OPSTATUS_COLDSTART ||
           s == OPSTATUS_WARMSTART || s == OPSTATUS_UNKNOWN;
}

const char *
opstatus_name(enum opstatus s)
{
    if ((unsigned)s < sizeof(opstatus_names) / sizeof(opstatus_names[0]))
        return opstatus_names[s];
    return "invalid";
}

const char *
alert_type_name(enum alert_type t)
{
    if ((unsigned)t < sizeof(alert_type_names) / sizeof(alert_type_names[0]))
        return alert_type_names[t];
    return "invalid";
}

static void
period_state_fini(struct period_state *ps)
{
    free(ps->last_alert_summary);
    free(ps->last_alert_detail);
    memset(ps, 0, sizeof(*ps));
}

void
svc_state_init(struct svc_state *st, const struct service *svc)
{
    memset(st, 0, sizeof(*st));
    st->opstatus = OPSTATUS_UNTESTED;
    st->last_opstatus = OPSTATUS_UNTESTED;
    st->nperiods = svc != NULL ? svc->nperiods : 0;
    st->periods = st->nperiods ? xcalloc(st->nperiods, sizeof(*st->periods))
                               : NULL;
}

char svc_state_empty[1];

void
svc_str_free(char *s)
{
    if (s != svc_state_empty)
        free(s);
}

void
svc_state_fini(struct svc_state *st)
{
    svc_str_free(st->last_summary);
    svc_str_free(st->last_detail);
    svc_str_free(st->last_output);
    free(st->ack_comment);
    free(st->failure_summary);
    free(st->failure_detail);
    for (size_t i = 0; i < st->nperiods; i++)
        period_state_fini(&st->periods[i]);
    free(st->periods);
    memset(st, 0, sizeof(*st));
}

static bool
same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* The same period in two configs: same label, or both unlabelled with
 * the same spec (mon requires labels or specs to be unique). */
static bool
same_period(const struct period_def *a, const struct period_def *b)
{
    if (a->label != NULL || b->label != NULL)
        return same_str(a->label, b->label);
    return same_str(a->spec, b->spec);
}

void
svc_state_rebind(struct svc_state *st, const struct service *old_svc,
                 const struct service *new_svc)
{
    size_t n = new_svc->nperiods;
    struct period_state *np = n ? xcalloc(n, sizeof(*np)) : NULL;
    bool *taken = st->nperiods ? xcalloc(st->nperiods, sizeof(*taken))
                               : NULL;

    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < st->nperiods; i++) {
            if (taken[i])
                continue;
            bool match = old_svc != NULL && i < old_svc->nperiods
                ? same_period(&old_svc->periods[i], &new_svc->periods[j])
                : i == j;
            if (match) {
                np[j] = st->periods[i];
                taken[i] = true;
                break;
            }
        }
    }
    for (size_t i = 0; i < st->nperiods; i++)
        if (!taken[i])
            period_state_fini(&st->periods[i]);
    free(taken);
    free(st->periods);
    st->periods = np;
    st->nperiods = n;
}

void
decision_init(struct decision *d)
{
    memset(d, 0, sizeof(*d));
}

void
decision_fini(struct decision *d)
{
    free(d->actions);
    memset(d, 0, sizeof(*d));
}

/* The same text again (a service failing the same way at every check)
 * keeps its string: no allocation, and no churn that fragments the heap
 * of 10,000 services. */
static void
replace(char **dst, const char *src)
{
    char *c;

    if (*dst != NULL && src != NULL && strcmp(*dst, src) == 0)
        return;
    c = src != NULL ? xstrdup(src) : NULL;
    free(*dst);
    *dst = c;
}

/* A last_* field: NULL or "" become the shared svc_state_empty. */
static void
replace_last(char **dst, const char *src)
{
    char *c;

    if (src == NULL || src[0] == '\0')
        c = svc_state_empty;
    else if (*dst != NULL && strcmp(*dst, src) == 0)
        return;
    else
        c = xstrdup(src);
    svc_str_free(*dst);
    *dst = c;
}

/* NULL compiled = a blank spec = always. */
static bool
period_in(const struct period_def *pd, int64_t now_wall_ms)
{
    if (pd->compiled == NULL)
        return true;
    return period_match(pd->compiled, (time_t)(now_wall_ms / 1000));
}

static bool
exit_in_range(const struct alert_def *a, int retval)
{
    return !a->has_exit_range ||
           (retval >= a->exit_min && retval <= a->exit_max);
}

/* What kind of event is being decided, and how its alerts are flagged. */
struct event {
    enum alert_type type;       /* for failure alerts */
    bool trap;                  /* -T */
    bool traptimeout;           /* -O */
};

static struct alert_action *
push_action(struct decision *d)
{
    xgrow((void **)&d->actions, &d->cap, d->n + 1, sizeof(*d->actions));
    struct alert_action *a = &d->actions[d->n++];
    memset(a, 0, sizeof(*a));
    return a;
}

/* mon calls the redistribute program on every status update, before any
 * other check (disabled and acknowledged services included). */
static void
add_redistribute(const struct service *svc, struct decision *d,
                 enum alert_type type, bool up, const struct event *ev)
{
    if (svc->redistribute_argv == NULL)
        return;
    struct alert_action *a = push_action(d);
    a->type = type;
    a->upalert = up;
    a->trap = ev != NULL && ev->trap;
    a->traptimeout = ev != NULL && ev->traptimeout;
    a->redistribute = true;
}

static void
set_opstatus(struct svc_state *st, enum opstatus s, struct decision *d)
{
    if (st->opstatus != s) {
        st->last_opstatus = st->opstatus;
        st->opstatus = s;
        d->state_changed = true;
    }
}

static bool
is_blank_text(const char *s)
{
    if (s == NULL)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n' &&
            *s != '\f' && *s != '\v')
            return false;
    return true;
}

/* Equal after removing all blanks: unack_summary's comparison (mon). */
static bool
same_ignoring_blanks(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
            a++;
        while (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')
            b++;
        if (*a != *b)
            return false;
        if (*a == '\0')
            return true;
        a++;
        b++;
    }
}

static void
ring_push(struct period_state *ps, int64_t t)
{
    if (ps->nfail_times == DECIDE_MAX_ALERTAFTER) {
        memmove(ps->fail_times_ms, ps->fail_times_ms + 1,
                (DECIDE_MAX_ALERTAFTER - 1) * sizeof(ps->fail_times_ms[0]));
        ps->nfail_times--;
    }
    ps->fail_times_ms[ps->nfail_times++] = t;
}

/* alertafter: may this period alert on the current failure? */
static bool
alertafter_allows(const struct period_def *pd, const struct period_state *ps,
                  const struct svc_state *st, int64_t now)
{
    int need = pd->alertafter_count;
    int64_t within = pd->alertafter_within_ms;

    if (need > DECIDE_MAX_ALERTAFTER)
        need = DECIDE_MAX_ALERTAFTER;       /* the ring holds no more */
    if (need > 0 && within == 0)            /* alertafter N */
        return st->consecutive_failures >= need;
    if (need > 0) {                         /* alertafter N T */
        int n = 0;
        for (int i = 0; i < ps->nfail_times; i++)
            if (now - ps->fail_times_ms[i] <= within)
                n++;
        return n >= need;
    }
    if (within > 0)                         /* alertafter T: longer than T */
        return now - st->first_failure_wall_ms > within;
    return true;
}

/* alertevery: held back by the timer?  summary_changed / detail_changed
 * compare with the previous failure of this episode. */
static bool
alertevery_holds(const struct period_def *pd, const struct period_state *ps,
                 int64_t now, bool summary_changed, bool detail_changed)
{
    if (pd->alertevery_ms <= 0 || ps->last_alert_wall_ms == 0 ||
        now - ps->last_alert_wall_ms >= pd->alertevery_ms)
        return false;
    switch (pd->alertevery_mode) {
    case ALERTEVERY_STRICT:
        return true;
    case ALERTEVERY_OBSERVE_DETAIL:
        return !summary_changed && !detail_changed;
    case ALERTEVERY_SUMMARY:
    default:
        return !summary_changed;
    }
}

/* The failure path: a non-zero exit, a timed-out monitor, a failing
 * trap, a trap timeout.  summary is never blank here. */
static void
on_failure(const struct service *svc, struct svc_state *st,
           const char *summary, const char *detail, const char *output,
           int retval, const struct decide_facts *f, const struct event *ev,
           struct decision *d)
{
    int64_t now = f->now_wall_ms;

    st->failure_count++;
    st->consecutive_failures++;
    st->last_failure_wall_ms = now;
    if (st->opstatus != OPSTATUS_FAIL || st->first_failure_wall_ms == 0)
        st->first_failure_wall_ms = now;
    set_opstatus(st, OPSTATUS_FAIL, d);

    bool summary_changed = !same_str(st->failure_summary, summary);
    bool detail_changed = summary_changed ||
                          !same_str(st->failure_detail, detail);

    for (size_t i = 0; i < st->nperiods; i++)
        ring_push(&st->periods[i], now);

    /* unack_summary: a different summary (blanks aside) drops the ack,
     * and the failure counts as new (mon's do_alert). */
    if (!f->stopped && st->acked && svc->unack_summary &&
        !same_ignoring_blanks(st->failure_summary != NULL
                              ? st->failure_summary : "", summary)) {
        decide_unack(st);
        st->consecutive_failures = 1;
        for (size_t i = 0; i < st->nperiods; i++) {
            st->periods[i].last_alert_wall_ms = 0;
            st->periods[i].nfail_times = 0;
            ring_push(&st->periods[i], now);
        }
    }

    const char *why = NULL;
    if (f->stopped) {
        why = why_stopped;
        d->stopped = true;
    } else if (st->disabled || f->watch_disabled)
        why = why_disabled;
    else if (!f->deps_ok)
        why = why_deps;
    else if (st->acked)
        why = why_acked;
    else if (svc->nperiods == 0)
        why = why_no_periods;

    size_t sent = 0;
    for (size_t pi = 0; why == NULL && pi < svc->nperiods &&
                        pi < st->nperiods; pi++) {
        const struct period_def *pd = &svc->periods[pi];
        struct period_state *ps = &st->periods[pi];
        const char *held = NULL;

        if (!period_in(pd, now))
            held = why_no_period;
        else if (!alertafter_allows(pd, ps, st, now))
            held = why_alertafter;
        else if (pd->numalerts > 0 && ps->alerts_sent >= pd->numalerts)
            held = why_numalerts;
        else if (alertevery_holds(pd, ps, now, summary_changed,
                                  detail_changed))
            held = why_alertevery;
        if (held != NULL) {
            /* Report the reason of a period that matched, if any did. */
            if (d->why == NULL || d->why == why_no_period)
                d->why = held;
            continue;
        }

        size_t n = 0;
        for (size_t ai = 0; ai < pd->nalerts; ai++) {
            const struct alert_def *a = &pd->alerts[ai];
            if (a->kind != ALERT_KIND_ALERT || !exit_in_range(a, retval))
                continue;
            struct alert_action *act = push_action(d);
            act->period = pi;
            act->alert = ai;
            act->type = ev->type;
            act->trap = ev->trap;
            act->traptimeout = ev->traptimeout;
            act->alertevery_s = pd->alertevery_ms / 1000;
            n++;
        }
        if (n == 0) {
            if (d->why == NULL || d->why == why_no_period)
                d->why = why_exit;
            continue;
        }
        ps->alerts_sent++;
        ps->last_alert_wall_ms = now;
        ps->down_alert_sent = true;
        replace(&ps->last_alert_summary, summary);
        replace(&ps->last_alert_detail, detail);
        st->alert_count += n;
        sent += n;
    }
    if (why != NULL)
        d->why = why;
    if (sent > 0) {
        d->why = NULL;
    } else {
        d->suppressed = true;
        if (d->why == NULL)
            d->why = why_no_period;
    }

    replace(&st->failure_summary, summary);
    replace(&st->failure_detail, detail);
    st->last_retval = retval;
    replace_last(&st->last_summary, summary);
    replace_last(&st->last_detail, detail);
    replace_last(&st->last_output, output);
}

/* The success path: upalerts if this ends a failure, then a clean slate. */
static void
on_success(const struct service *svc, struct svc_state *st,
           const struct check_result *r, const struct decide_facts *f,
           bool is_trap, struct decision *d)
{
    int64_t now = f->now_wall_ms;
    bool was_failing = st->opstatus == OPSTATUS_FAIL;

    st->success_count++;
    st->last_success_wall_ms = now;
    set_opstatus(st, OPSTATUS_OK, d);

    /* Upalerts: only on failure -> success, never for a disabled service;
     * an ack or failing dependencies do not hold them (mon). */
    if (was_failing && f->stopped)
        d->stopped = true;          /* its upalert is dropped */
    if (was_failing && !f->stopped && !st->disabled && !f->watch_disabled) {
        for (size_t pi = 0; pi < svc->nperiods && pi < st->nperiods; pi++) {
            const struct period_def *pd = &svc->periods[pi];
            const struct period_state *ps = &st->periods[pi];

            if (!period_in(pd, now))
                continue;
            if (!pd->no_comp_alerts && !ps->down_alert_sent)
                continue;
            if (pd->upalertafter_ms > 0 &&
                now - st->first_failure_wall_ms < pd->upalertafter_ms)
                continue;
            for (size_t ai = 0; ai < pd->nalerts; ai++) {
                const struct alert_def *a = &pd->alerts[ai];
                /* mon checks exit= on upalerts too, against 0. */
                if (a->kind != ALERT_KIND_UPALERT || !exit_in_range(a, 0))
                    continue;
                struct alert_action *act = push_action(d);
                act->period = pi;
                act->alert = ai;
                act->type = ALERT_TYPE_UP;
                act->upalert = true;
                act->trap = is_trap;
                act->alertevery_s = pd->alertevery_ms / 1000;
                st->alert_count++;
            }
        }
    }

    if (was_failing)
        st->last_failure_start_wall_ms = st->first_failure_wall_ms;
    decide_unack(st);
    st->first_failure_wall_ms = 0;
    st->consecutive_failures = 0;
    st->trap_fail_until_wall_ms = 0;
    replace(&st->failure_summary, NULL);
    replace(&st->failure_detail, NULL);
    for (size_t pi = 0; pi < st->nperiods; pi++) {
        struct period_state *ps = &st->periods[pi];
        bool strict = pi < svc->nperiods &&
                      svc->periods[pi].alertevery_mode == ALERTEVERY_STRICT;
        if (!strict)
            ps->last_alert_wall_ms = 0;
        ps->alerts_sent = 0;
        ps->down_alert_sent = false;
        ps->nfail_times = 0;
    }

    st->last_retval = 0;
    replace_last(&st->last_summary, r->summary);
    replace_last(&st->last_detail, r->detail);
    replace_last(&st->last_output, r->output);
}

void
decide_result(const struct service *svc, struct svc_state *st,
              const struct check_result *r, const struct decide_facts *f,
              bool is_trap, struct decision *d)
{
    bool failed = r->exit_status != 0 || r->timed_out;
    struct event ev = {
        .type = is_trap ? ALERT_TYPE_TRAP : ALERT_TYPE_FAILURE,
        .trap = is_trap,
    };

    st->last_check_wall_ms = f->now_wall_ms;
    if (is_trap) {
        st->last_trap_wall_ms = f->now_wall_ms;
        if (failed && svc->trapduration_ms > 0)
            st->trap_fail_until_wall_ms = f->now_wall_ms +
                                          svc->trapduration_ms;
    }
    if (!f->stopped)
        add_redistribute(svc, d, failed ? ev.type : ALERT_TYPE_UP, !failed,
                         &ev);
    if (failed) {
        const char *summary = is_blank_text(r->summary) ? "(NO SUMMARY)"
                                                        : r->summary;
        on_failure(svc, st, summary, r->detail != NULL ? r->detail : "",
                   r->output != NULL ? r->output : "", r->exit_status, f,
                   &ev, d);
    } else {
        on_success(svc, st, r, f, is_trap, d);
    }
}

void
decide_traptimeout(const struct service *svc, struct svc_state *st,
                   const struct decide_facts *f, struct decision *d)
{
    struct event ev = { .type = ALERT_TYPE_TRAPTIMEOUT, .traptimeout = true };
    char *detail = xasprintf("no trap received for %lld s\n",
                             (long long)(svc->traptimeout_ms / 1000));
    char *output = xasprintf("trap timeout\n%s", detail);

    if (!f->stopped)
        add_redistribute(svc, d, ev.type, false, &ev);
    on_failure(svc, st, "trap timeout", detail, output, 1, f, &ev, d);
    free(output);
    free(detail);
}

void
decide_startup(const struct service *svc, struct svc_state *st,
               const struct decide_facts *f, struct decision *d)
{
    if (f->stopped) {
        d->why = why_stopped;
        d->stopped = true;
        return;
    }
    add_redistribute(svc, d, ALERT_TYPE_STARTUP, false, NULL);
    /* mon's do_alert: disabled and ack hold startupalerts too; exit= does
     * not apply to them; they do not count as down alerts. */
    if (st->disabled || f->watch_disabled) {
        d->why = why_disabled;
        return;
    }
    if (st->acked) {
        d->why = why_acked;
        return;
    }
    for (size_t pi = 0; pi < svc->nperiods; pi++) {
        const struct period_def *pd = &svc->periods[pi];
        if (!period_in(pd, f->now_wall_ms))
            continue;
        for (size_t ai = 0; ai < pd->nalerts; ai++) {
            if (pd->alerts[ai].kind != ALERT_KIND_STARTUP)
                continue;
            struct alert_action *act = push_action(d);
            act->period = pi;
            act->alert = ai;
            act->type = ALERT_TYPE_STARTUP;
            act->alertevery_s = pd->alertevery_ms / 1000;
            st->alert_count++;
        }
    }
}

void
decide_ack(struct svc_state *st, const char *comment)
{
    st->acked = true;
    replace(&st->ack_comment, comment != NULL ? comment : "");
}

void
decide_unack(struct svc_state *st)
{
    st->acked = false;
    replace(&st->ack_comment, NULL);
}

bool
decide_deps_ok(const struct service *svc, struct svc_state *st,
               bool deps_ok_now, int64_t now_wall_ms)
{
    if (!deps_ok_now) {
        if (svc->dep_memory_ms > 0)
            st->dep_fail_until_wall_ms = now_wall_ms + svc->dep_memory_ms;
        return false;
    }
    if (st->dep_fail_until_wall_ms != 0 &&
        now_wall_ms < st->dep_fail_until_wall_ms)
        return false;
    st->dep_fail_until_wall_ms = 0;
    return true;
}

bool
decide_trapduration_expired(const struct service *svc, struct svc_state *st,
                            const struct decide_facts *f, struct decision *d)
{
    (void)svc;
    if (st->trap_fail_until_wall_ms == 0 ||
        f->now_wall_ms < st->trap_fail_until_wall_ms)
        return false;
    st->trap_fail_until_wall_ms = 0;
    if (st->opstatus != OPSTATUS_FAIL)
        return false;
    /* As mon: only the status returns to ok.  The alertevery timer,
     * numalerts count and last failure output stay, so a burst of the
     * same trap alerts as one failure would. */
    set_opstatus(st, OPSTATUS_OK, d);
    st->last_failure_start_wall_ms = st->first_failure_wall_ms;
    st->first_failure_wall_ms = 0;
    st->consecutive_failures = 0;
    return true;
}

int64_t
decide_next_interval_ms(const struct service *svc, const struct svc_state *st)
{
    if (st->opstatus == OPSTATUS_FAIL && svc->failure_interval_ms > 0)
        return svc->failure_interval_ms;
    return svc->interval_ms;
}
