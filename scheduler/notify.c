/*
 * notify.c — ackalert, disablealert and mon's "test alert" selection
 * (see notify.h).  No clock, no I/O: unit-tested in t/unit/test_notify.c.
 */
#include "notify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "period.h"
#include "xalloc.h"

void
notify_list_init(struct notify_list *l)
{
    memset(l, 0, sizeof(*l));
}

void
notify_list_fini(struct notify_list *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static void
add_pick(struct notify_list *l, size_t period, const struct alert_def *a)
{
    xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
    l->v[l->n].period = period;
    l->v[l->n].alert = a;
    l->n++;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

bool
notify_test_kind(const char *word, enum notify_kind *kind)
{
    static const struct {
        const char *name;
        enum notify_kind kind;
    } exact[] = {
        { "alert", NOTIFY_ALERT },
        { "startupalert", NOTIFY_STARTUP },
        { "upalert", NOTIFY_UPALERT },
        { "ackalert", NOTIFY_ACK },
        { "disablealert", NOTIFY_DISABLE },
    };

    /* Perl: ^alert | startupalert | upalert | ackalert | disablealert$ */
    if (strncmp(word, "alert", 5) != 0 &&
        strstr(word, "startupalert") == NULL &&
        strstr(word, "upalert") == NULL &&
        strstr(word, "ackalert") == NULL &&
        !ends_with(word, "disablealert"))
        return false;
    *kind = NOTIFY_NONE;
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(word, exact[i].name) == 0)
            *kind = exact[i].kind;
    return true;
}

long
notify_find_period(const struct service *svc, const char *name)
{
    for (size_t p = 0; p < svc->nperiods; p++) {
        const struct period_def *pd = &svc->periods[p];
        const char *key = pd->label != NULL ? pd->label : pd->spec;

        if (key != NULL && strcmp(key, name) == 0)
            return (long)p;
    }
    return -1;
}

static enum alert_kind
alert_kind_of(enum notify_kind kind)
{
    switch (kind) {
    case NOTIFY_UPALERT:
        return ALERT_KIND_UPALERT;
    case NOTIFY_STARTUP:
        return ALERT_KIND_STARTUP;
    default:
        return ALERT_KIND_ALERT;
    }
}

/* The list of kind in period pd: (array, count). */
static const struct alert_def *
list_of(const struct period_def *pd, enum notify_kind kind, size_t *n)
{
    switch (kind) {
    case NOTIFY_ACK:
        *n = pd->nackalerts;
        return pd->ackalerts;
    case NOTIFY_DISABLE:
        *n = pd->ndisablealerts;
        return pd->disablealerts;
    default:
        *n = pd->nalerts;
        return pd->alerts;
    }
}

void
notify_test_picks(const struct service *svc, size_t p,
                  enum notify_kind kind, struct notify_list *out)
{
    const struct alert_def *v;
    size_t n;

    if (p >= svc->nperiods || kind == NOTIFY_NONE)
        return;
    v = list_of(&svc->periods[p], kind, &n);
    for (size_t i = 0; i < n; i++) {
        /* alerts holds every kind; the other two lists hold one each */
        if (kind != NOTIFY_ACK && kind != NOTIFY_DISABLE &&
            v[i].kind != alert_kind_of(kind))
            continue;
        add_pick(out, p, &v[i]);
    }
}

static bool
period_now(const struct period_def *pd, int64_t now_wall_ms)
{
    if (pd->compiled == NULL)
        return true;
    return period_match(pd->compiled, (time_t)(now_wall_ms / 1000));
}

void
notify_decide(const struct service *svc, struct svc_state *st,
              enum notify_kind kind, const struct decide_facts *f,
              struct notify_list *out)
{
    if (kind != NOTIFY_ACK && kind != NOTIFY_DISABLE)
        return;
    if (f->watch_disabled || (kind == NOTIFY_ACK && st->disabled))
        return;
    if (!f->deps_ok)
        return;
    for (size_t p = 0; p < svc->nperiods; p++) {
        const struct period_def *pd = &svc->periods[p];
        struct period_state *ps = p < st->nperiods ? &st->periods[p] : NULL;
        const struct alert_def *v;
        size_t n, called = 0;

        if (!period_now(pd, f->now_wall_ms))
            continue;
        /* mon: "skip upalerts/ackalerts not paired with down alerts" */
        if (kind == NOTIFY_ACK && !pd->no_comp_alerts &&
            (ps == NULL || ps->alerts_sent == 0))
            continue;
        v = list_of(pd, kind, &n);
        for (size_t i = 0; i < n; i++) {
            if (v[i].has_exit_range &&
                (v[i].exit_min > 0 || v[i].exit_max < 0))
                continue;
            add_pick(out, p, &v[i]);
            called++;
        }
        if (called > 0 && ps != NULL) {
            ps->alerts_sent++;
            ps->last_alert_wall_ms = f->now_wall_ms;
        }
        st->alert_count += called;
    }
}

const char *
notify_type_name(enum notify_kind kind, bool test)
{
    switch (kind) {
    case NOTIFY_UPALERT:
        return "up";
    case NOTIFY_STARTUP:
        return "startup";
    case NOTIFY_ACK:
        return "ack";
    case NOTIFY_DISABLE:
        return "disable";
    default:
        return test ? "test" : "failure";
    }
}

const char *
notify_flag(enum notify_kind kind)
{
    switch (kind) {
    case NOTIFY_UPALERT:
        return "-u";
    case NOTIFY_ACK:
        return "-a";
    case NOTIFY_DISABLE:
        return "-D";
    default:
        return NULL;
    }
}

const char *
notify_history_type(enum notify_kind kind, bool test)
{
    switch (kind) {
    case NOTIFY_UPALERT:
        return "upalert";
    case NOTIFY_STARTUP:
        return "startupalert";
    case NOTIFY_ACK:
        return "ackalert";
    case NOTIFY_DISABLE:
        return "disablealert";
    default:
        return test ? "testalert" : "alert";
    }
}
