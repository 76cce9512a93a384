/*
 * moncf_service.c — the inside of a mon.cf watch block: service,
 * NAME=value, period, and every service and period keyword of mon 1.3
 * (man mon, "Service Definitions" and "Period Definitions"), plus
 * monitor_timeout.  Keywords are a table of handlers; a handler checks
 * its arguments, reports errors at their exact column and fills the
 * current service or period.
 */
#include "moncf_parse.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depexpr.h"
#include "period.h"
#include "timeval.h"
#include "xalloc.h"

/* "N" or "N-M" exit codes (0..255) from s[0..n). */
static bool
exit_range(const char *s, size_t n, int *lo, int *hi)
{
    int v[2] = {0, 0}, k = 0;
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            v[k] = v[k] * 10 + (s[i] - '0');
            if (v[k] > 255)
                return false;
            digits++;
        } else if (s[i] == '-' && k == 0 && digits > 0) {
            k = 1;
            digits = 0;
        } else {
            return false;
        }
    }
    if (digits == 0)
        return false;
    *lo = v[0];
    *hi = k ? v[1] : v[0];
    return *lo <= *hi;
}

/* Shell-like argv of monitor / alert / redistribute lines.  Returns false
 * (error reported) on an unterminated quote or no words. */
static bool
line_argv(struct pstate *ps, const char *kw, size_t off, const char *what,
          char ***argv, size_t *argc, bool strip_semis, bool *no_hosts)
{
    size_t *offs = NULL, erroff = 0;
    bool *quoted = NULL;
    if (moncf_words(ps->l, off, argv, argc, &offs, &quoted, &erroff) < 0) {
        moncf_err(ps, erroff,
                  "%s: %s: found an unterminated %s quote, expected "
                  "its closing quote",
                  ps->ctx, kw, ps->l->s[erroff] == '"' ? "double" : "single");
        return false;
    }
    if (strip_semis && *argc > 0 && !quoted[*argc - 1]) {
        /* mon: a monitor line ending in ";;" gets no host arguments. */
        char *last = (*argv)[*argc - 1];
        size_t n = strlen(last);
        if (n >= 2 && strcmp(last + n - 2, ";;") == 0) {
            *no_hosts = true;
            last[n - 2] = '\0';
            if (n == 2) {
                free(last);
                (*argv)[--*argc] = NULL;
            }
        }
    }
    free(offs);
    free(quoted);
    if (*argc == 0) {
        moncf_err(ps, off, "%s: found end of line, expected %s after \"%s\"",
                  ps->ctx, what, kw);
        free(*argv);
        *argv = NULL;
        return false;
    }
    return true;
}

/* ---- services and periods --------------------------------------------- */

struct kwdef;
typedef void kw_fn(struct pstate *ps, const struct kwdef *d, size_t kwoff,
                   size_t argoff);

struct kwdef {
    const char *name;
    kw_fn *fn;
    bool in_period;             /* a period keyword */
    size_t off;                 /* field for generic handlers */
    int arg;                    /* handler-specific */
};

#define SOFF(f) offsetof(struct service, f)
#define POFF(f) offsetof(struct period_def, f)

/* interval, randskew, ...: one positive time value. */
static void
kw_time(struct pstate *ps, const struct kwdef *d, size_t kwoff,
        size_t argoff)
{
    struct moncf_word w;
    int64_t ms;
    (void)kwoff;
    if (!moncf_one_word(ps, d->name, argoff, TIME_EXPECTED, &w)
        || !moncf_word_time(ps, &w, true, &ms))
        return;
    char *base =
        d->in_period ? (char *)moncf_cur_per(ps) : (char *)moncf_cur_svc(ps);
    *(int64_t *)(void *)(base + d->off) = ms;
    if (strcmp(d->name, "dep_memory") == 0)
        moncf_cur_note(ps)->set |= SET_DEP_MEMORY;
    if (strcmp(d->name, "monitor_timeout") == 0)
        moncf_cur_note(ps)->set |= SET_MONITOR_TIMEOUT;
}

/* monitor PROGRAM [arg...] [;;] */
static void
kw_monitor(struct pstate *ps, const struct kwdef *d, size_t kwoff,
           size_t argoff)
{
    struct service *s = moncf_cur_svc(ps);
    char **argv;
    size_t argc;
    bool no_hosts = false;
    int col;
    if (!line_argv(ps, d->name, argoff, "a monitor program", &argv, &argc,
                   true, &no_hosts))
        return;
    for (size_t i = 0; i < s->monitor_argc; i++)
        free(s->monitor_argv[i]);
    free(s->monitor_argv);
    s->monitor_argv = argv;
    s->monitor_argc = argc;
    s->monitor_no_hosts = no_hosts;
    moncf_pos(ps->l, kwoff, &s->monitor_line, &col);
}

/* redistribute ALERT [arg...] */
static void
kw_redistribute(struct pstate *ps, const struct kwdef *d, size_t kwoff,
                size_t argoff)
{
    struct service *s = moncf_cur_svc(ps);
    char **argv;
    size_t argc;
    (void)kwoff;
    if (!line_argv(ps, d->name, argoff, "an alert program", &argv, &argc,
                   false, NULL))
        return;
    for (size_t i = 0; i < s->redistribute_argc; i++)
        free(s->redistribute_argv[i]);
    free(s->redistribute_argv);
    s->redistribute_argv = argv;
    s->redistribute_argc = argc;
}

static void
kw_allow_empty_group(struct pstate *ps, const struct kwdef *d, size_t kwoff,
                     size_t argoff)
{
    (void)kwoff;
    if (moncf_no_words(ps, d->name, argoff))
        moncf_cur_svc(ps)->allow_empty_group = true;
}

static void
kw_description(struct pstate *ps, const struct kwdef *d, size_t kwoff,
               size_t argoff)
{
    struct service *s = moncf_cur_svc(ps);
    (void)d;
    (void)kwoff;
    free(s->description);
    s->description = moncf_rest(ps->l, argoff);
}

/* unack_summary [0|1|y|yes|n|no]: bare means yes, as the manual says. */
static void
kw_unack_summary(struct pstate *ps, const struct kwdef *d, size_t kwoff,
                 size_t argoff)
{
    struct moncf_word ws[2];
    size_t n = moncf_split(ps->l, argoff, ws, 2);
    int b = 1;
    (void)kwoff;
    if (n > 1) {
        moncf_err(ps, ws[1].off,
                  "%s: found \"%.*s\", expected end of line after "
                  "unack_summary",
                  ps->ctx, WARG(ps->l, ws[1]));
        return;
    }
    if (n == 1 && (b = moncf_word_bool(ps->l, &ws[0])) < 0) {
        moncf_err(ps, ws[0].off, "%s: %s: found \"%.*s\", expected yes or no",
                  ps->ctx, d->name, WARG(ps->l, ws[0]));
        return;
    }
    moncf_cur_svc(ps)->unack_summary = b == 1;
    moncf_cur_note(ps)->set |= SET_UNACK;
}

static void
kw_dep_behavior(struct pstate *ps, const struct kwdef *d, size_t kwoff,
                size_t argoff)
{
    struct service *s = moncf_cur_svc(ps);
    struct moncf_word w;
    (void)kwoff;
    if (!moncf_one_word(ps, d->name, argoff, "a, m or hm", &w))
        return;
    if (moncf_weq(ps->l, &w, "a"))
        s->dep_behavior = DEP_BEHAVIOR_ALERT;
    else if (moncf_weq(ps->l, &w, "m"))
        s->dep_behavior = DEP_BEHAVIOR_MONITOR;
    else if (moncf_weq(ps->l, &w, "hm"))
        s->dep_behavior = DEP_BEHAVIOR_HOST;
    else {
        moncf_err(ps, w.off,
                  "%s: dep_behavior: found \"%.*s\", expected a, m or "
                  "hm",
                  ps->ctx, WARG(ps->l, w));
        return;
    }
    s->has_dep_behavior = true;
}

/* Column of "group:service" (or "SELF:service") in text from *from on,
 * so an undefined reference is reported where it is written. */
static size_t
find_ref(const char *text, size_t *from, const struct depref *r)
{
    char *a = xasprintf("%s:%s", r->group, r->service);
    char *b = xasprintf("SELF:%s", r->service);
    const char *pa = strstr(text + *from, a), *pb = strstr(text + *from, b);
    const char *p = pa && (!pb || pa < pb) ? pa : pb;
    size_t off = p ? (size_t)(p - text) : 0;
    if (p)
        *from = off + 1;
    free(a);
    free(b);
    return off;
}

/* depend / alertdepend / monitordepend / hostdepend EXPR */
static void
kw_depend(struct pstate *ps, const struct kwdef *d, size_t kwoff,
          size_t argoff)
{
    struct service *s = moncf_cur_svc(ps);
    const char *text = argoff < ps->l->len ? ps->l->s + argoff : "";
    char **textp;
    struct depexpr **exprp;
    int ec = 0, wc = 0;
    const char *em = NULL;
    (void)kwoff;

    switch (d->arg) {
    case 0:
        textp = &s->depend, exprp = &s->depend_expr;
        break;
    case 1:
        textp = &s->alertdepend, exprp = &s->alertdepend_expr;
        break;
    case 2:
        textp = &s->monitordepend, exprp = &s->monitordepend_expr;
        break;
    default:
        textp = &s->hostdepend, exprp = &s->hostdepend_expr;
        break;
    }
    if (*text == '\0') {
        moncf_err(ps, argoff,
                  "%s: found end of line, expected a dependency "
                  "expression (group:service ...) after \"%s\"",
                  ps->ctx, d->name);
        return;
    }
    struct depexpr *e =
        depexpr_compile(text, moncf_cur_watch(ps)->name, &ec, &em, &wc);
    if (e == NULL) {
        moncf_err(ps, argoff + (size_t)(ec > 0 ? ec - 1 : 0), "%s: %s: %s",
                  ps->ctx, d->name, em ? em : "bad dependency expression");
        return;
    }
    if (!depexpr_is_evaluable(e))
        moncf_warn(
            ps, argoff + (size_t)(wc > 0 ? wc - 1 : 0),
            "%s: %s is a list of services with no operator between them; "
            "mon cannot evaluate it and counts it as satisfied (join them "
            "with && or ||)",
            ps->ctx, d->name);
    free(*textp);
    depexpr_free(*exprp);
    *textp = xstrdup(text);
    *exprp = e;
    size_t from = 0;
    for (size_t i = 0; i < depexpr_nrefs(e); i++) {
        struct depref r = depexpr_ref(e, i);
        xgrow((void **)&ps->rn, &ps->crn, ps->nrn + 1, sizeof(*ps->rn));
        struct ref_note *rn = &ps->rn[ps->nrn++];
        rn->w = ps->cur;
        rn->s = ps->svc;
        rn->kw = d->name;
        rn->group = xstrdup(r.group);
        rn->service = xstrdup(r.service);
        rn->file = ps->l->file;
        moncf_pos(ps->l, argoff + find_ref(text, &from, &r), &rn->line,
                  &rn->col);
    }
}

static void
kw_exclude_hosts(struct pstate *ps, const struct kwdef *d, size_t kwoff,
                 size_t argoff)
{
    struct service *s = moncf_cur_svc(ps);
    const struct moncf_line *l = ps->l;
    size_t n = moncf_split(l, argoff, NULL, 0);
    (void)kwoff;
    if (n == 0) {
        moncf_err(ps, argoff,
                  "%s: found end of line, expected host names after "
                  "\"%s\"",
                  ps->ctx, d->name);
        return;
    }
    struct moncf_word *w = xcalloc(n, sizeof(*w));
    (void)moncf_split(l, argoff, w, n);
    for (size_t i = 0; i < n; i++)
        moncf_push_str(&s->exclude_hosts, &s->nexclude_hosts,
                       moncf_wstr(l, &w[i]));
    free(w);
}

static void
kw_exclude_period(struct pstate *ps, const struct kwdef *d, size_t kwoff,
                  size_t argoff)
{
    struct service *s = moncf_cur_svc(ps);
    int ec = 0;
    const char *em = NULL;
    (void)kwoff;
    struct period *p = period_compile(argoff < ps->l->len
                                      ? ps->l->s + argoff : "", &ec, &em);
    if (p == NULL) {
        moncf_err(ps, argoff + (size_t)(ec > 0 ? ec - 1 : 0),
                  "%s: %s: bad "
                  "period: %s",
                  ps->ctx, d->name, em ? em : "syntax error");
        return;
    }
    period_free(s->exclude_period);
    free(s->exclude_period_spec);
    s->exclude_period = p;
    s->exclude_period_spec = moncf_rest(ps->l, argoff);
}

/* alert / upalert / startupalert / ackalert / disablealert
 *   [exit=N[-M]] PROGRAM [arg...] */
static void
kw_alert(struct pstate *ps, const struct kwdef *d, size_t kwoff,
         size_t argoff)
{
    const struct moncf_line *l = ps->l;
    struct period_def *p = moncf_cur_per(ps);
    struct alert_def a;
    struct moncf_word w;
    size_t from = argoff;
    (void)kwoff;

    memset(&a, 0, sizeof(a));
    a.kind = d->arg == 1 ? ALERT_KIND_UPALERT
           : d->arg == 2 ? ALERT_KIND_STARTUP : ALERT_KIND_ALERT;
    if (moncf_split(l, argoff, &w, 1) >= 1 && w.len >= 5
        && memcmp(l->s + w.off, "exit=", 5) == 0) {
        if (!exit_range(l->s + w.off + 5, w.len - 5, &a.exit_min,
                        &a.exit_max)) {
            moncf_err(ps, w.off,
                      "%s: %s: found \"%.*s\", expected exit=N or "
                      "exit=N-M with exit codes from 0 to 255, N <= M",
                      ps->ctx, d->name, WARG(l, w));
            return;
        }
        a.has_exit_range = true;
        from = moncf_skip_blank(l, w.off + w.len);
        if (d->arg != 0 && d->arg != 1) {
            moncf_warn(ps, w.off, "%s: exit= does not apply to %s; ignored",
                       ps->ctx, d->name);
            a.has_exit_range = false;
        }
    }
    if (!line_argv(ps, d->name, from, "an alert program", &a.argv, &a.argc,
                   false, NULL))
        return;
    moncf_pos(l, moncf_skip_blank(l, from), &a.line, &a.col);

    struct alert_def **arr = &p->alerts;
    size_t *narr = &p->nalerts;
    if (d->arg == 3) {
        arr = &p->ackalerts;
        narr = &p->nackalerts;
    } else if (d->arg == 4) {
        arr = &p->disablealerts;
        narr = &p->ndisablealerts;
    }
    *arr = xrealloc(*arr, (*narr + 1) * sizeof(**arr));
    (*arr)[(*narr)++] = a;
}

/* alertevery TIME [observe_detail | strict | ignore_summary | summary] */
static void
kw_alertevery(struct pstate *ps, const struct kwdef *d, size_t kwoff,
              size_t argoff)
{
    const struct moncf_line *l = ps->l;
    struct period_def *p = moncf_cur_per(ps);
    struct moncf_word w[3];
    size_t n = moncf_split(l, argoff, w, 3);
    int64_t ms;
    (void)kwoff;
    if (n == 0) {
        moncf_err(ps, argoff,
                  "%s: found end of line, expected " TIME_EXPECTED
                  " after \"%s\"",
                  ps->ctx, d->name);
        return;
    }
    if (n > 2) {
        moncf_err(ps, w[2].off,
                  "%s: found \"%.*s\", expected end of line after "
                  "alertevery",
                  ps->ctx, WARG(l, w[2]));
        return;
    }
    if (!moncf_word_time(ps, &w[0], true, &ms))
        return;
    enum alertevery_mode mode = ALERTEVERY_SUMMARY;
    if (n == 2) {
        if (moncf_weq(l, &w[1], "observe_detail"))
            mode = ALERTEVERY_OBSERVE_DETAIL;
        else if (moncf_weq(l, &w[1], "strict")
                 || moncf_weq(l, &w[1], "ignore_summary"))
            /* mon 1.3.6 code: ignore_summary suppresses exactly as
             * strict does. */
            mode = ALERTEVERY_STRICT;
        else if (!moncf_weq(l, &w[1], "summary")) {
            moncf_err(ps, w[1].off,
                      "%s: alertevery: found \"%.*s\", expected "
                      "observe_detail or strict",
                      ps->ctx, WARG(l, w[1]));
            return;
        }
    }
    p->alertevery_ms = ms;
    p->alertevery_mode = mode;
}

/* alertafter N | N TIME | TIME */
static void
kw_alertafter(struct pstate *ps, const struct kwdef *d, size_t kwoff,
              size_t argoff)
{
    const struct moncf_line *l = ps->l;
    struct period_def *p = moncf_cur_per(ps);
    struct service *s = moncf_cur_svc(ps);
    struct moncf_word w[3];
    size_t n = moncf_split(l, argoff, w, 3);
    long count = 0;
    int64_t ms = 0;
    (void)kwoff;
    if (n == 0) {
        moncf_err(ps, argoff,
                  "%s: found end of line, expected N, N TIME or TIME "
                  "after \"%s\"",
                  ps->ctx, d->name);
        return;
    }
    if (n > 2) {
        moncf_err(ps, w[2].off,
                  "%s: found \"%.*s\", expected end of line after "
                  "alertafter",
                  ps->ctx, WARG(l, w[2]));
        return;
    }
    bool digits = true;
    for (size_t i = 0; i < w[0].len; i++)
        if (l->s[w[0].off + i] < '0' || l->s[w[0].off + i] > '9')
            digits = false;
    if (n == 1 && !digits) {
        if (!moncf_word_time(ps, &w[0], true, &ms))
            return;
    } else {
        if (!moncf_word_uint(ps, &w[0], 1, 1000000, "a count of failures",
                             &count))
            return;
        if (n == 2) {
            if (!moncf_word_time(ps, &w[1], true, &ms))
                return;
            /* mon: "(N - 1) * interval >= TIME" can never alert. */
            if (s->interval_ms > 0 && (count - 1) * s->interval_ms >= ms) {
                char a[32], b[32], c[32];
                moncf_err(
                    ps, w[1].off,
                    "%s: alertafter %ld %s can never alert: "
                    "%ld failures at interval %s take at least %s",
                    ps->ctx, count, timeval_format(ms, a, sizeof(a)), count,
                    timeval_format(s->interval_ms, b, sizeof(b)),
                    timeval_format((count - 1) * s->interval_ms, c, sizeof(c)));
                return;
            }
        }
    }
    p->alertafter_count = (int)count;
    p->alertafter_within_ms = ms;
}

static void
kw_numalerts(struct pstate *ps, const struct kwdef *d, size_t kwoff,
             size_t argoff)
{
    struct moncf_word w;
    long v;
    (void)kwoff;
    if (moncf_one_word(ps, d->name, argoff, "a number", &w)
        && moncf_word_uint(ps, &w, 0, 1000000000, "a number", &v))
        moncf_cur_per(ps)->numalerts = (int)v;
}

static void
kw_period_flag(struct pstate *ps, const struct kwdef *d, size_t kwoff,
               size_t argoff)
{
    (void)kwoff;
    if (!moncf_no_words(ps, d->name, argoff))
        return;
    if (d->arg == 0)
        moncf_cur_per(ps)->no_comp_alerts = true;
    else
        moncf_cur_per(ps)->alerts_dont_count = true;
}

static void
kw_alertexitrange(struct pstate *ps, const struct kwdef *d, size_t kwoff,
                  size_t argoff)
{
    struct period_def *p = moncf_cur_per(ps);
    struct moncf_word w;
    (void)kwoff;
    if (!moncf_one_word(ps, d->name, argoff, "N or N-M", &w))
        return;
    if (!exit_range(ps->l->s + w.off, w.len, &p->exit_min, &p->exit_max)) {
        moncf_err(ps, w.off,
                  "%s: alertexitrange: found \"%.*s\", expected N or "
                  "N-M with exit codes from 0 to 255, N <= M",
                  ps->ctx, WARG(ps->l, w));
        return;
    }
    p->has_exit_range = true;
}

static const struct kwdef kwdefs[] = {
    /* service keywords */
    {"interval", kw_time, false, SOFF(interval_ms), 0},
    {"failure_interval", kw_time, false, SOFF(failure_interval_ms), 0},
    {"randskew", kw_time, false, SOFF(randskew_ms), 0},
    {"traptimeout", kw_time, false, SOFF(traptimeout_ms), 0},
    {"trapduration", kw_time, false, SOFF(trapduration_ms), 0},
    {"dep_memory", kw_time, false, SOFF(dep_memory_ms), 0},
    {"monitor_timeout", kw_time, false, SOFF(monitor_timeout_ms), 0},
    {"monitor", kw_monitor, false, 0, 0},
    {"redistribute", kw_redistribute, false, 0, 0},
    {"allow_empty_group", kw_allow_empty_group, false, 0, 0},
    {"description", kw_description, false, 0, 0},
    {"unack_summary", kw_unack_summary, false, 0, 0},
    {"dep_behavior", kw_dep_behavior, false, 0, 0},
    {"depend", kw_depend, false, 0, 0},
    {"alertdepend", kw_depend, false, 0, 1},
    {"monitordepend", kw_depend, false, 0, 2},
    {"hostdepend", kw_depend, false, 0, 3},
    {"exclude_hosts", kw_exclude_hosts, false, 0, 0},
    {"exclude_period", kw_exclude_period, false, 0, 0},
    /* period keywords */
    {"alert", kw_alert, true, 0, 0},
    {"upalert", kw_alert, true, 0, 1},
    {"startupalert", kw_alert, true, 0, 2},
    {"ackalert", kw_alert, true, 0, 3},
    {"disablealert", kw_alert, true, 0, 4},
    {"alertevery", kw_alertevery, true, 0, 0},
    {"alertafter", kw_alertafter, true, 0, 0},
    {"numalerts", kw_numalerts, true, 0, 0},
    {"upalertafter", kw_time, true, POFF(upalertafter_ms), 0},
    {"no_comp_alerts", kw_period_flag, true, 0, 0},
    {"alerts_dont_count", kw_period_flag, true, 0, 1},
    {"alertexitrange", kw_alertexitrange, true, 0, 0},
};

/* "service NAME" */
/* FNV-1a of n bytes. */
static size_t
name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return (size_t)h;
}

static void
svc_name_insert(size_t *slots, size_t cap, const struct watch *w, size_t idx)
{
    const char *name = w->services[idx].name;
    size_t i = name_hash(name, strlen(name)) & (cap - 1);
    while (slots[i] != 0)
        i = (i + 1) & (cap - 1);
    slots[i] = idx + 1;
}

/* The slots must describe watch ps->cur: rebuild them when it changed. */
static void
svc_names_sync(struct pstate *ps, const struct watch *w)
{
    if (ps->svc_cap != 0 && ps->svc_watch == ps->cur)
        return;
    free(ps->svc_slots);
    ps->svc_cap = 64;
    while (ps->svc_cap < w->nservices * 2 + 2)
        ps->svc_cap *= 2;
    ps->svc_slots = xcalloc(ps->svc_cap, sizeof(*ps->svc_slots));
    ps->svc_watch = ps->cur;
    for (size_t i = 0; i < w->nservices; i++)
        svc_name_insert(ps->svc_slots, ps->svc_cap, w, i);
}

/* Index of service name[0..n) in watch w, or -1. */
static long
svc_name_find(struct pstate *ps, const struct watch *w, const char *name,
              size_t n)
{
    svc_names_sync(ps, w);
    size_t i = name_hash(name, n) & (ps->svc_cap - 1);
    while (ps->svc_slots[i] != 0) {
        const char *s = w->services[ps->svc_slots[i] - 1].name;
        if (strlen(s) == n && memcmp(s, name, n) == 0)
            return (long)(ps->svc_slots[i] - 1);
        i = (i + 1) & (ps->svc_cap - 1);
    }
    return -1;
}

static void
svc_name_add(struct pstate *ps, const struct watch *w, size_t idx)
{
    svc_names_sync(ps, w);
    if ((w->nservices + 1) * 2 > ps->svc_cap) {
        size_t cap = ps->svc_cap * 2;
        size_t *slots = xcalloc(cap, sizeof(*slots));
        for (size_t i = 0; i < w->nservices; i++)
            if (i != idx)
                svc_name_insert(slots, cap, w, i);
        free(ps->svc_slots);
        ps->svc_slots = slots;
        ps->svc_cap = cap;
    }
    svc_name_insert(ps->svc_slots, ps->svc_cap, w, idx);
}

static void
start_service(struct pstate *ps, const struct moncf_word *kw)
{
    const struct moncf_line *l = ps->l;
    struct watch *w = moncf_cur_watch(ps);
    struct moncf_word ws[2];
    size_t n = moncf_split(l, kw->off + kw->len, ws, 2);

    if (n == 0 || !moncf_is_tag(l, &ws[0]) || n > 1) {
        if (n == 0)
            moncf_err(ps, l->len,
                      "watch %s: found end of line, expected a "
                      "service name after \"service\"",
                      w->name);
        else if (!moncf_is_tag(l, &ws[0]))
            moncf_err(ps, ws[0].off,
                      "watch %s: found \"%.*s\", expected a service "
                      "name of letters, digits, \"-\", \".\" or \"_\"",
                      w->name, WARG(l, ws[0]));
        else
            moncf_err(ps, ws[1].off,
                      "watch %s: found \"%.*s\", expected end of "
                      "line after the service name",
                      w->name, WARG(l, ws[1]));
        /* Keep parsing the block, but into no service. */
        ps->in_service = false;
        ps->in_period = false;
        ps->svc = SIZE_MAX;
        return;
    }
    long dup = svc_name_find(ps, w, l->s + ws[0].off, ws[0].len);
    if (dup >= 0)
        moncf_err(ps, ws[0].off,
                  "watch %s: service %s defined twice (first "
                  "at line %d)",
                  w->name, w->services[dup].name, w->services[dup].line);
    /* Room doubles (8, 16, 32, ...): a watch of 10,000 services is not
     * copied 10,000 times. */
    {
        size_t have = w->nservices;

        if (have == 0 || (have >= 8 && (have & (have - 1)) == 0))
            w->services = xrealloc(w->services, (have == 0 ? 8 : 2 * have) *
                                                    sizeof(*w->services));
    }
    struct service *s = &w->services[w->nservices];
    memset(s, 0, sizeof(*s));
    s->name = moncf_wstr(l, &ws[0]);
    s->line = l->line;
    ps->svc = w->nservices++;
    if (dup < 0)
        svc_name_add(ps, w, ps->svc);
    ps->in_service = true;
    ps->in_period = false;
    ps->svc_seen = 0;
    xgrow((void **)&ps->sn, &ps->csn, ps->nsn + 1, sizeof(*ps->sn));
    ps->sn[ps->nsn].w = ps->cur;
    ps->sn[ps->nsn].s = ps->svc;
    ps->sn[ps->nsn].set = 0;
    ps->nsn++;
    moncf_set_ctx(ps);
}

/* "period [label:] spec" */
static void
start_period(struct pstate *ps, size_t argoff)
{
    const struct moncf_line *l = ps->l;
    struct service *s = moncf_cur_svc(ps);
    size_t i = argoff, specoff = argoff;
    char *label = NULL;

    /* mon: /^([a-z_]\w*) \s* : \s* (.*)$/ix */
    if (i < l->len && ((l->s[i] >= 'a' && l->s[i] <= 'z')
                       || (l->s[i] >= 'A' && l->s[i] <= 'Z')
                       || l->s[i] == '_')) {
        while (i < l->len && moncf_is_tag_char(l->s[i]) && l->s[i] != '.'
               && l->s[i] != '-')
            i++;
        size_t j = moncf_skip_blank(l, i);
        if (j < l->len && l->s[j] == ':') {
            label = xstrndup(l->s + argoff, i - argoff);
            specoff = moncf_skip_blank(l, j + 1);
        }
    }
    char *spec = moncf_rest(l, specoff);
    const char *key = label ? label : spec;
    for (size_t k = 0; k < s->nperiods; k++) {
        const struct period_def *o = &s->periods[k];
        if (strcmp(o->label ? o->label : o->spec, key) == 0)
            moncf_err(ps, argoff,
                      "%s: period \"%s\" defined twice (first at line "
                      "%d); give one a label (period NAME: ...)",
                      ps->ctx, key, o->line);
    }
    int ec = 0;
    const char *em = NULL;
    struct period *compiled = period_compile(spec, &ec, &em);
    if (compiled == NULL)
        moncf_err(ps, specoff + (size_t)(ec > 0 ? ec - 1 : 0),
                  "%s: bad period \"%s\": %s", ps->ctx, spec,
                  em ? em : "syntax error");
    s->periods = xrealloc(s->periods, (s->nperiods + 1) * sizeof(*s->periods));
    struct period_def *p = &s->periods[s->nperiods];
    memset(p, 0, sizeof(*p));
    p->label = label;
    p->spec = spec;
    p->compiled = compiled;
    p->line = l->line;
    ps->per = s->nperiods++;
    ps->in_period = true;
    ps->per_seen = 0;
}

/* NAME=value: an environment variable of the service (mon: all capitals,
 * starting with a letter or "_", no blank before "="). */
static bool
is_env(const struct moncf_line *l, size_t *eq)
{
    size_t i = 0;
    if (l->len == 0 || !((l->s[0] >= 'A' && l->s[0] <= 'Z') || l->s[0] == '_'))
        return false;
    while (i < l->len && ((l->s[i] >= 'A' && l->s[i] <= 'Z')
                          || (l->s[i] >= '0' && l->s[i] <= '9')
                          || l->s[i] == '_'))
        i++;
    if (i >= l->len || l->s[i] != '=')
        return false;
    *eq = i;
    return true;
}

void
moncf_watch_line(struct pstate *ps)
{
    const struct moncf_line *l = ps->l;
    struct moncf_word kw;
    size_t eq;

    (void)moncf_split(l, 0, &kw, 1);
    if (moncf_weq(l, &kw, "service")) {
        start_service(ps, &kw);
        return;
    }
    if (!ps->in_service) {
        /* svc == SIZE_MAX: after a bad service line, already reported. */
        if (ps->svc != SIZE_MAX)
            moncf_err(ps, kw.off,
                      "watch %s: found \"%.*s\", expected \"service\"",
                      moncf_cur_watch(ps)->name, WARG(l, kw));
        return;
    }
    if (is_env(l, &eq)) {
        struct service *s = moncf_cur_svc(ps);
        char *name = xstrndup(l->s, eq);
        for (size_t i = 0; i < s->nenv; i++)
            if (strcmp(s->env[i].name, name) == 0) {
                free(s->env[i].value);
                s->env[i].value = xstrdup(l->s + eq + 1);
                free(name);
                return;
            }
        s->env = xrealloc(s->env, (s->nenv + 1) * sizeof(*s->env));
        s->env[s->nenv].name = name;
        s->env[s->nenv].value = xstrdup(l->s + eq + 1);
        s->nenv++;
        return;
    }
    size_t argoff = moncf_skip_blank(l, kw.off + kw.len);
    if (moncf_weq(l, &kw, "period")) {
        start_period(ps, argoff);
        return;
    }
    const struct kwdef *d = NULL;
    size_t di = 0;
    for (size_t i = 0; i < sizeof(kwdefs) / sizeof(kwdefs[0]); i++)
        if (moncf_weq(l, &kw, kwdefs[i].name)) {
            d = &kwdefs[i];
            di = i;
        }
    if (d == NULL) {
        moncf_err(ps, kw.off, "%s: found \"%.*s\", expected a %s", ps->ctx,
                  WARG(l, kw),
                  ps->in_period
                      ? "period keyword (alert, upalert, startupalert, "
                        "alertevery, alertafter, numalerts, upalertafter, "
                        "no_comp_alerts)"
                      : "service keyword (interval, monitor, period, depend, "
                        "...)");
        return;
    }
    if (d->in_period && !ps->in_period) {
        moncf_err(ps, kw.off,
                  "%s: found \"%s\" outside a period, expected "
                  "\"period\" before it",
                  ps->ctx, d->name);
        return;
    }
    if (!d->in_period && ps->in_period) {
        moncf_err(ps, kw.off,
                  "%s: found \"%s\" inside period \"%s\", expected a "
                  "period keyword; service keywords go before the first period",
                  ps->ctx, d->name,
                  moncf_cur_per(ps)->label ? moncf_cur_per(ps)->label
                                           : moncf_cur_per(ps)->spec);
        return;
    }
    bool repeatable = d->fn == kw_alert || d->fn == kw_exclude_hosts;
    uint64_t *seen = d->in_period ? &ps->per_seen : &ps->svc_seen;
    if (!repeatable && (*seen & (1ull << di)))
        moncf_warn(ps, kw.off, "%s: %s given twice; the last one counts",
                   ps->ctx, d->name);
    *seen |= 1ull << di;
    d->fn(ps, d, kw.off, argoff);
}
