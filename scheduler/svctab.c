/*
 * svctab.c — the service table: scheduling and monitor runs (alerts,
 * state-change lines and traps are in svctab_alert.c).
 *
 * Holds one struct svc_rt per (watch, service), each allocated on its own
 * so a running monitor's callback keeps a stable pointer across reloads.
 * The table borrows the config; every decision is delegated:
 *   period_match()       exclude_period
 *   depexpr_eval()       depend / monitordepend / hostdepend / alertdepend
 *   decide_result()      alerts to send after a monitor exits
 *   decide_startup()     startup alerts
 *   decide_next_interval_ms()  interval or failure_interval
 * What is left here is mon's mechanics: argv and environment of
 * monitors and the order of events.
 *
 * "Ahead": when a check's result is in and its next run is due within
 * AHEAD_MAX_MS, the next run is handed to the spawn helper right away
 * with its start time (spawn_req.start_at_ns), instead of mond waking
 * at that time to hand it over: with quiet results (spawner.h) a
 * service that keeps passing then costs mond no wake-up of its own.
 * Only for services whose run depends on nothing but their own state,
 * the control state and the clock (no depend of any kind): anything
 * that changes those (disable, stop, reload, test, trap, set) takes the
 * run back (svctab_unahead), and it runs from the timer as before.
 */
#include "svctab_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alertq.h"
#include "depexpr.h"
#include "histlog.h"
#include "log.h"
#include "loop.h"
#include "perfdata.h"
#include "period.h"
#include "spawner.h"
#include "xalloc.h"

#define SVCTAB_DEP_RECUR_DEFAULT 10

/* ---- small helpers ---- */

static unsigned
svctab_rand(struct svctab *s)
{
    /* xorshift32: spreading start times needs no quality beyond that. */
    unsigned x = s->rand_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rand_state = x;
    return x;
}

static int64_t
rand_below(struct svctab *s, int64_t n)
{
    if (n <= 0)
        return 0;
    return (int64_t)(((uint64_t)svctab_rand(s) << 32 | svctab_rand(s)) %
                     (uint64_t)n);
}

/* A deadline for messages: "30s", or "250ms" when not whole seconds. */
static void
fmt_deadline(int64_t ms, char *buf, size_t n)
{
    if (ms % 1000 == 0)
        snprintf(buf, n, "%llds", (long long)(ms / 1000));
    else
        snprintf(buf, n, "%lldms", (long long)ms);
}

/* Find an executable name in a colon-separated directory list.  A name
 * with a '/' is taken as it is.  Returns a new string or NULL. */
char *
svctab_resolve_program(const char *name, const char *dirs)
{
    const char *p = dirs;

    if (name == NULL || *name == '\0')
        return NULL;
    if (strchr(name, '/') != NULL)
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    while (p != NULL && *p != '\0') {
        const char *colon = strchr(p, ':');
        size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);
        if (len > 0) {
            char *cand = xasprintf("%.*s/%s", (int)len, p, name);
            struct stat sb;
            if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) &&
                access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        p = colon != NULL ? colon + 1 : NULL;
    }
    return NULL;
}

/* name resolved in dirs, looked up once per config for all the services
 * that run it; a name not found is looked for again (it may have been
 * installed since).  Borrowed from s->progs, or NULL. */
static const char *
svctab_program(struct svctab *s, const char *name, const char *dirs)
{
    struct strmap_ent *e;

    if (name == NULL || *name == '\0')
        return NULL;
    e = strmap_get(&s->progs, name);
    if (e->val == NULL)
        e->val = svctab_resolve_program(name, dirs);
    return e->val;
}

/* A file name from the config taken relative to logdir, as mon does. */
char *
svctab_logdir_path(const struct config *cfg, const char *name)
{
    if (name == NULL)
        return NULL;
    if (name[0] == '/' || cfg->g.logdir == NULL)
        return xstrdup(name);
    return xasprintf("%s/%s", cfg->g.logdir, name);
}

/* ---- lookup ---- */

static struct svc_rt *
find_rt(const struct svctab *s, const char *watch, const char *service)
{
    for (size_t i = 0; i < s->nsvcs; i++) {
        struct svc_rt *rt = s->svcs[i];
        if (strcmp(rt->watch->name, watch) == 0 &&
            strcmp(rt->svc->name, service) == 0)
            return rt;
    }
    return NULL;
}

long
svctab_find(const struct svctab *s, const char *watch, const char *service)
{
    for (size_t i = 0; i < s->nsvcs; i++)
        if (strcmp(s->svcs[i]->watch->name, watch) == 0 &&
            strcmp(s->svcs[i]->svc->name, service) == 0)
            return (long)i;
    return -1;
}

bool
svctab_host_is_disabled(const struct svctab *s, const char *group,
                       const char *host)
{
    for (size_t i = 0; i < s->ndis_hosts; i++)
        if (strcmp(s->dis_hosts[i].group, group) == 0 &&
            strcmp(s->dis_hosts[i].host, host) == 0)
            return true;
    return false;
}

bool
svctab_watch_is_disabled(const struct svctab *s, const char *watch)
{
    for (size_t i = 0; i < s->ndis_watches; i++)
        if (strcmp(s->dis_watches[i], watch) == 0)
            return true;
    return false;
}

/* ---- dependencies ---- */

struct dep_ctx {
    struct svctab *s;
    int depth;
    const char *subject;
};

static bool dep_up(const struct depref *ref, void *arg);

/* Evaluate e; true when dependencies hold.  An expression that cannot be
 * evaluated counts as holding, as mon's failed Perl eval does. */
static bool
dep_holds(struct svctab *s, const struct depexpr *e, int depth,
          const char *subject)
{
    struct dep_ctx ctx = { s, depth, subject };

    if (e == NULL)
        return true;
    return depexpr_eval(e, dep_up, &ctx) != DEPEXPR_FALSE;
}

static bool
dep_up(const struct depref *ref, void *arg)
{
    struct dep_ctx *ctx = arg;
    struct svc_rt *rt = find_rt(ctx->s, ref->group, ref->service);
    int limit = ctx->s->cfg->g.dep_recur_limit > 0
                ? ctx->s->cfg->g.dep_recur_limit : SVCTAB_DEP_RECUR_DEFAULT;

    if (rt == NULL)
        return true;
    if (!opstatus_is_up(rt->st.opstatus))
        return false;
    /* mon substitutes recursively: A depends on B depends on C. */
    if (rt->svc->depend_expr != NULL &&
        depexpr_is_evaluable(rt->svc->depend_expr)) {
        if (ctx->depth + 1 > limit) {
            log_warnx("%s: dependency recursion deeper than %d at %s:%s",
                      ctx->subject, limit, ref->group, ref->service);
            return true;
        }
        return dep_holds(ctx->s, rt->svc->depend_expr, ctx->depth + 1,
                         ctx->subject);
    }
    return true;
}

/* The expression for one context: depend wins when dep_behavior names
 * that context, else the context's own keyword. */
static const struct depexpr *
dep_expr_for(const struct service *svc, enum dep_behavior ctx)
{
    if (svc->depend_expr != NULL && svc->dep_behavior == ctx)
        return svc->depend_expr;
    switch (ctx) {
    case DEP_BEHAVIOR_ALERT:
        return svc->alertdepend_expr;
    case DEP_BEHAVIOR_MONITOR:
        return svc->monitordepend_expr;
    case DEP_BEHAVIOR_HOST:
        return svc->hostdepend_expr;
    }
    return NULL;
}

/* Alert-context dependencies now; decide_deps_ok() adds dep_memory. */
bool
svctab_alert_deps_ok(struct svc_rt *rt, int64_t now_wall_ms)
{
    const struct depexpr *e = dep_expr_for(rt->svc, DEP_BEHAVIOR_ALERT);

    return decide_deps_ok(rt->svc, &rt->st, dep_holds(rt->s, e, 0, rt->label),
                          now_wall_ms);
}

/* Is word a whole whitespace-separated word of text? */
static bool
has_word(const char *text, const char *word)
{
    size_t wl = strlen(word);

    if (text == NULL || wl == 0)
        return false;
    for (const char *p = text; (p = strstr(p, word)) != NULL; p++) {
        bool start = p == text || p[-1] == ' ' || p[-1] == '\t' ||
                     p[-1] == ',';
        char e = p[wl];
        if (start && (e == '\0' || e == ' ' || e == '\t' || e == ',' ||
                      e == '\n'))
            return true;
    }
    return false;
}

/* ---- monitors ---- */

static void schedule_at(struct svc_rt *rt, int64_t due_ns);

static void
schedule_after(struct svc_rt *rt, int64_t base_ns, int64_t interval_ms)
{
    int64_t skew = rt->svc->randskew_ms;
    int64_t ms = interval_ms;

    /* A service with a monitor but no interval (the parser should have
     * refused it) must not spin: once a minute. */
    if (ms <= 0)
        ms = 60000;

    if (skew > 0) {
        /* mon: interval plus or minus 1..randskew */
        int64_t r = rand_below(rt->s, skew) + 1;
        ms += (svctab_rand(rt->s) & 1) ? r : -r;
    }
    if (ms < 1)
        ms = 1;
    schedule_at(rt, base_ns + ms * 1000000);
}

#define AHEAD_MAX_MS 5000   /* later runs wait for mond's timer */
#define QUIET_MIN_INTERVAL_MS (10 * SPAWN_QUIET_MAX_MS)

static bool monitor_run(struct svc_rt *rt, int64_t now_ns, int64_t at_ns);
static void schedule_at(struct svc_rt *rt, int64_t due_ns);

static void
monitor_result(struct svc_rt *rt, const struct spawn_result *r,
               int64_t now_ns)
{
    struct svctab *s = rt->s;
    /* When the check ended, not when mond heard of it: a quiet result
     * may reach mond a little later (spawn_req.quiet). */
    int64_t late_ms = r->end_ns > 0 && now_ns > r->end_ns
                      ? (now_ns - r->end_ns) / 1000000 : 0;
    int64_t now_wall_ms = loop_now_wall_ms(s->lp) - late_ms;
    char *text = NULL, *summary = NULL, *detail = NULL;
    const char *out = r->output;
    size_t outlen = r->output_len;
    struct perf_set ps;
    struct check_result cr;
    struct decide_facts f;
    struct decision d;
    enum opstatus old = rt->st.opstatus;
    int64_t old_first_fail = rt->st.first_failure_wall_ms;
    char *old_summary = rt->st.last_summary != NULL
                        ? xstrdup(rt->st.last_summary) : NULL;

    rt->job = NULL;
    if (r->lost) {
        /* mond's spawn helper died under this run: nothing is known of
         * it, so no state changes; run it again soon. */
        log_warnx("%s: result lost (spawn helper died), checking again",
                  rt->label);
        free(old_summary);
        schedule_after(rt, now_ns, 1000);
        return;
    }
    rt->last_duration_ms = r->duration_ms;
    memset(&cr, 0, sizeof cr);
    if (r->spawn_errno != 0) {
        text = xasprintf("could not run: %s: %s", rt->svc->monitor_argv[0],
                         strerror(r->spawn_errno));
        cr.exit_status = 127;
    } else if (r->timed_out) {
        /* The summary says what happened; what the monitor had said so
         * far becomes the detail. */
        char dl[32];
        fmt_deadline(r->timeout_ms, dl, sizeof dl);
        text = xasprintf("timed out after %s\n%s", dl, r->output);
        cr.exit_status = r->exited && r->exit_code != 0 ? r->exit_code : 1;
        cr.timed_out = true;
    } else if (r->signaled) {
        cr.exit_status = 128 + r->termsig;
        if (outlen == 0)
            text = xasprintf("killed by signal %d", r->termsig);
    } else {
        cr.exit_status = r->exit_code;
    }
    if (text != NULL) {
        out = text;
        outlen = strlen(text);
    }
    perf_set_init(&ps);
    perfdata_split_output(out, outlen, &summary, &detail, &ps);
    cr.summary = summary;
    cr.detail = detail;
    cr.output = out;
    memset(&f, 0, sizeof f);
    f.now_wall_ms = now_wall_ms;
    f.deps_ok = svctab_alert_deps_ok(rt, now_wall_ms);
    f.watch_disabled = svctab_watch_is_disabled(s, rt->watch->name);
    f.stopped = s->paused;

    decision_init(&d);
    decide_result(rt->svc, &rt->st, &cr, &f, false, &d);
    if (cr.exit_status != 0)
        svctab_failhist_note(rt, summary, now_wall_ms);
    log_debug("%s: exit %d after %lldms: %s", rt->label, cr.exit_status,
              (long long)r->duration_ms, summary);
    svctab_after_decision(rt, &d, old, old_first_fail, old_summary,
                          now_wall_ms);
    decision_fini(&d);
    /* What a restart must not forget changed: a failure (its counters),
     * a state change, or an alert. */
    if (cr.exit_status != 0 || d.state_changed || d.n > 0)
        s->changes++;
    if (s->check_hook != NULL) {
        struct svctab_check ck;
        memset(&ck, 0, sizeof ck);
        ck.index = rt->index;
        ck.wall_ms = now_wall_ms;
        ck.duration_ms = r->duration_ms;
        ck.exit_status = cr.exit_status;
        ck.ok = cr.exit_status == 0 && !cr.timed_out;
        ck.lateness_ns = rt->lateness_ns;
        ck.perf = &ps;
        s->check_hook(s->check_arg, &ck);
    }

    if (!s->stopped)
        schedule_after(rt, rt->run_start_ns,
                       decide_next_interval_ms(rt->svc, &rt->st));
    if (rt->due.armed && rt->due.due_ns < now_ns)
        schedule_at(rt, now_ns);
    perf_set_fini(&ps);
    free(summary);
    free(detail);
    free(text);
    free(old_summary);
}

/* Hand the next run over now if nothing but the clock can change it. */
static void
try_ahead(struct svc_rt *rt, int64_t now_ns)
{
    struct svctab *s = rt->s;
    const struct service *svc = rt->svc;

    if (rt->job != NULL || !rt->due.armed || s->stopped || s->paused ||
        rt->due.due_ns <= now_ns ||
        rt->due.due_ns - now_ns > AHEAD_MAX_MS * 1000000LL)
        return;
    if (svc->depend_expr != NULL || svc->alertdepend_expr != NULL ||
        svc->monitordepend_expr != NULL || svc->hostdepend_expr != NULL)
        return;
    if (!spawner_can_start_later(s->sp))
        return;
    (void)monitor_run(rt, now_ns, rt->due.due_ns);
}

static void
monitor_done(void *arg, const struct spawn_result *r, int64_t now_ns)
{
    struct svc_rt *rt = arg;
    bool was_ahead = rt->ahead;

    rt->ahead = false;
    rt->cancelling = false;
    if (r->cancelled || (was_ahead && r->lost && r->pid == 0)) {
        /* Taken back (or lost with the helper) before it started: the
         * timer runs it at its time, or now for a "test". */
        rt->job = NULL;
        schedule_at(rt, rt->run_now || rt->ahead_due_ns < now_ns
                        ? now_ns : rt->ahead_due_ns);
        rt->run_now = false;
        return;
    }
    if (was_ahead && r->start_ns > 0) {
        rt->run_start_ns = r->start_ns;
        rt->lateness_ns = r->start_ns > rt->ahead_due_ns
                          ? r->start_ns - rt->ahead_due_ns : 0;
    }
    monitor_result(rt, r, now_ns);
    if (rt->run_now) {
        rt->run_now = false;
        schedule_at(rt, now_ns);
    } else {
        try_ahead(rt, now_ns);
    }
}

void
svctab_unahead(struct svc_rt *rt)
{
    if (rt->ahead && rt->job != NULL && !rt->cancelling)
        rt->cancelling = spawn_cancel(rt->job);
}

void
svctab_unahead_all(struct svctab *s)
{
    for (size_t i = 0; i < s->nsvcs; i++)
        svctab_unahead(s->svcs[i]);
}

/* The hosts for this run: the group minus exclude_hosts, disabled hosts
 * and, with hostdepend, hosts named in a failing parent's summary. */
static void
monitor_hosts(struct svc_rt *rt, struct spawn_vec *hosts)
{
    const struct service *svc = rt->svc;
    const struct hostgroup *hg = rt->watch->group;
    const struct depexpr *hd = dep_expr_for(svc, DEP_BEHAVIOR_HOST);

    if (hg == NULL)
        return;
    for (size_t i = 0; i < hg->nhosts; i++) {
        const char *h = hg->hosts[i];
        bool skip = svctab_host_is_disabled(rt->s, hg->name, h);
        for (size_t k = 0; !skip && k < svc->nexclude_hosts; k++)
            skip = strcmp(svc->exclude_hosts[k], h) == 0;
        for (size_t k = 0; !skip && hd != NULL && k < depexpr_nrefs(hd); k++) {
            struct depref ref = depexpr_ref(hd, k);
            struct svc_rt *p = find_rt(rt->s, ref.group, ref.service);
            if (p != NULL && !opstatus_is_up(p->st.opstatus) &&
                has_word(p->st.last_summary, h)) {
                log_debug("%s: host %s skipped, failing in %s:%s",
                          rt->label, h, ref.group, ref.service);
                skip = true;
            }
        }
        if (!skip)
            spawn_vec_add(hosts, h);
    }
}

/* Run the monitor now (at_ns 0), or hand it over to start at at_ns;
 * false if it does not run (then, for at_ns, nothing is done: the timer
 * decides at its time). */
static bool
monitor_run(struct svc_rt *rt, int64_t now_ns, int64_t at_ns)
{
    struct svctab *s = rt->s;
    const struct service *svc = rt->svc;
    /* The wall clock when it will run: exclude_period is for then. */
    int64_t now_wall_ms = loop_now_wall_ms(s->lp) +
                          (at_ns > now_ns ? (at_ns - now_ns) / 1000000 : 0);
    const struct depexpr *md;
    const struct period *excl;
    struct spawn_vec argv, env, hosts;
    struct spawn_req req;
    const struct depexpr *anydep;

    if (svc->monitor_argv == NULL || svc->monitor_argc == 0 || rt->job != NULL)
        return false;
    if (rt->st.disabled || svctab_watch_is_disabled(s, rt->watch->name)) {
        log_debug("%s: disabled, not run", rt->label);
        goto skip;
    }
    excl = svc->exclude_period != NULL ? svc->exclude_period
                                       : s->cfg->g.exclude_period;
    if (excl != NULL && period_match(excl, (time_t)(now_wall_ms / 1000))) {
        log_debug("%s: in exclude_period, not run", rt->label);
        goto skip;
    }
    md = dep_expr_for(svc, DEP_BEHAVIOR_MONITOR);
    if (md != NULL && !dep_holds(s, md, 0, rt->label)) {
        log_debug("%s: monitordepend failing, not run", rt->label);
        goto skip;
    }
    spawn_vec_init(&hosts);
    monitor_hosts(rt, &hosts);
    if (hosts.n == 0 && !svc->monitor_no_hosts && !svc->allow_empty_group) {
        /* Said once until hosts come back, not at every interval. */
        if (!rt->empty_warned)
            log_warnx("%s: no hosts left to check (all disabled or "
                      "excluded), monitor not run", rt->label);
        rt->empty_warned = true;
        spawn_vec_fini(&hosts);
        goto skip;
    }
    rt->empty_warned = false;

    if (rt->monitor_path == NULL)
        rt->monitor_path = svctab_program(s, svc->monitor_argv[0],
                                          s->cfg->g.mondir);
    spawn_vec_init(&argv);
    spawn_vec_add(&argv, rt->monitor_path != NULL ? rt->monitor_path
                                                  : svc->monitor_argv[0]);
    for (size_t i = 1; i < svc->monitor_argc; i++)
        spawn_vec_add(&argv, svc->monitor_argv[i]);
    if (!svc->monitor_no_hosts)
        for (size_t i = 0; i < hosts.n; i++)
            spawn_vec_add(&argv, hosts.v[i]);
    spawn_vec_fini(&hosts);

    spawn_vec_init(&env);
    svctab_env_base(&env, rt);
    /* mon's _depend_status: the last evaluation of the dependencies. */
    anydep = svc->depend_expr != NULL ? svc->depend_expr
             : svc->alertdepend_expr != NULL ? svc->alertdepend_expr
             : svc->monitordepend_expr != NULL ? svc->monitordepend_expr
             : svc->hostdepend_expr;
    if (anydep != NULL) {
        rt->depstatus = dep_holds(s, anydep, 0, rt->label) ? 1 : 0;
        spawn_vec_setenv(&env, "MON_DEPEND_STATUS",
                         rt->depstatus ? "1" : "0");
    }

    memset(&req, 0, sizeof req);
    req.label = rt->label;
    /* A monitor that is not found still goes through the spawner so the
     * failure arrives as a result ("could not run: ..."). */
    req.path = argv.v[0];
    req.argv = argv.v;
    req.envp = env.v;
    req.timeout_ms = config_monitor_timeout_ms(svc);
    req.output_max = s->cfg->g.output_max_bytes;
    /* A pass changes nothing that cannot wait a few milliseconds, so
     * mond need not wake for it (spawner.h): no alert hangs on it.  A
     * pass after a failure is news (the upalert), and so is any result
     * of a service checked more often than twice a second: its next
     * check is scheduled when mond has the result, and reading it up to
     * SPAWN_QUIET_MAX_MS late would make that check late. */
    req.quiet = rt->st.opstatus != OPSTATUS_FAIL &&
                svc->interval_ms >= QUIET_MIN_INTERVAL_MS;
    req.done = monitor_done;
    req.arg = rt;
    req.start_at_ns = at_ns;
    rt->run_start_ns = at_ns > 0 ? at_ns : now_ns;
    rt->job = spawn_submit(s->sp, &req);
    if (at_ns > 0) {
        rt->ahead = true;
        rt->ahead_due_ns = at_ns;
        loop_timer_cancel(s->lp, &rt->due);
    }
    spawn_vec_fini(&argv);
    spawn_vec_fini(&env);
    return true;

skip:
    if (at_ns == 0)
        schedule_after(rt, now_ns, svc->interval_ms > 0 ? svc->interval_ms
                                                        : 60000);
    return false;
}

static void
due_fired(struct loop *lp, void *arg, int64_t now_ns)
{
    struct svc_rt *rt = arg;

    (void)lp;
    if (rt->s->stopped)
        return;
    if (rt->s->paused) {
        /* mon's "stop": the check waits for "start" */
        rt->held = true;
        return;
    }
    /* The timer was due at rt->due.due_ns; how late we are is a health
     * figure of the scheduler. */
    rt->lateness_ns = now_ns > rt->due.due_ns ? now_ns - rt->due.due_ns : 0;
    (void)monitor_run(rt, now_ns, 0);
}

static void
schedule_at(struct svc_rt *rt, int64_t due_ns)
{
    if (rt->svc->monitor_argv == NULL || rt->s->stopped)
        return;
    loop_timer_arm(rt->s->lp, &rt->due, due_ns);
}

int
svctab_run_now(struct svctab *s, size_t i)
{
    struct svc_rt *rt;

    if (i >= s->nsvcs) {
        errno = ENOENT;
        return -1;
    }
    rt = s->svcs[i];
    if (rt->job != NULL) {
        /* Handed over but not started: taken back and run now. */
        if (rt->ahead && spawn_job_pid(rt->job) == 0) {
            rt->run_now = true;
            svctab_unahead(rt);
            return 0;
        }
        errno = EBUSY;
        return -1;
    }
    schedule_at(rt, loop_now_ns(s->lp));
    return 0;
}

/* ---- the table ---- */

static struct svc_rt *
rt_new(struct svctab *s, const struct watch *w, const struct service *svc)
{
    struct svc_rt *rt = xcalloc(1, sizeof *rt);

    rt->s = s;
    rt->watch = w;
    rt->svc = svc;
    rt->label = xasprintf("%s/%s", w->name, svc->name);
    svc_state_init(&rt->st, svc);
    loop_timer_init(&rt->due, due_fired, rt);
    rt->last_duration_ms = -1;
    rt->depstatus = -1;
    rt->state_since_wall_ms = loop_now_wall_ms(s->lp);
    return rt;
}

static void
rt_free(struct svctab *s, struct svc_rt *rt)
{
    loop_timer_cancel(s->lp, &rt->due);
    if (rt->job != NULL)
        spawn_detach(rt->job);
    svc_state_fini(&rt->st);
    free(rt->label);
    free(rt);
}

struct svctab *
svctab_new(struct loop *lp, struct spawner *sp, struct alertq *aq)
{
    struct svctab *s = xcalloc(1, sizeof *s);

    s->lp = lp;
    s->sp = sp;
    s->aq = aq;
    s->hist = histlog_new();
    s->failhist = histlog_new();
    histlog_set_length(s->failhist, HISTLOG_LENGTH_DEFAULT + 1);
    s->rand_state = (unsigned)loop_clock_mono_ns() ^ (unsigned)getpid() ^
                    0x9e3779b9u;
    if (s->rand_state == 0)
        s->rand_state = 1;
    return s;
}

void
svctab_free(struct svctab *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nsvcs; i++)
        rt_free(s, s->svcs[i]);
    free(s->svcs);
    histlog_free(s->hist);
    histlog_free(s->failhist);
    strmap_fini(&s->progs, free);
    for (size_t i = 0; i < s->ndis_hosts; i++) {
        free(s->dis_hosts[i].group);
        free(s->dis_hosts[i].host);
    }
    free(s->dis_hosts);
    for (size_t i = 0; i < s->ndis_watches; i++)
        free(s->dis_watches[i]);
    free(s->dis_watches);
    free(s);
}

static void
startup_alerts(struct svctab *s)
{
    int64_t now_wall_ms = loop_now_wall_ms(s->lp);

    for (size_t i = 0; i < s->nsvcs; i++) {
        struct svc_rt *rt = s->svcs[i];
        struct decide_facts f;
        struct decision d;

        memset(&f, 0, sizeof f);
        f.now_wall_ms = now_wall_ms;
        f.deps_ok = true;
        f.watch_disabled = svctab_watch_is_disabled(s, rt->watch->name);
        f.stopped = s->paused;

        decision_init(&d);
        decide_startup(rt->svc, &rt->st, &f, &d);
        svctab_run_actions(rt, &d, now_wall_ms);
        decision_fini(&d);
    }
}

static int
name_cmp(const char *w1, const char *s1, const char *w2, const char *s2)
{
    int c = strcmp(w1, w2);

    return c != 0 ? c : strcmp(s1, s2);
}

static int
rt_cmp(const void *a, const void *b)
{
    const struct svc_rt *x = *(struct svc_rt *const *)a;
    const struct svc_rt *y = *(struct svc_rt *const *)b;

    return name_cmp(x->watch->name, x->svc->name, y->watch->name,
                    y->svc->name);
}

/* The old entry of (watch, service), marked reused; NULL if none. */
static struct svc_rt *
find_old(struct svc_rt **byname, size_t n, const char *watch,
         const char *service)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        struct svc_rt *rt = byname[mid];
        int c = name_cmp(watch, service, rt->watch->name, rt->svc->name);
        if (c == 0) {
            if (rt->reused)
                return NULL;        /* a duplicate the parser let through */
            rt->reused = true;
            return rt;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int
svctab_set_config(struct svctab *s, struct config *cfg)
{
    struct svc_rt **old = s->svcs, **byname;
    size_t nold = s->nsvcs;
    struct svc_rt **nsv = NULL;
    size_t n = 0, cap = 0;
    int64_t now_ns = loop_now_ns(s->lp);
    bool first = !s->started;
    int64_t randstart = cfg->g.randstart_ms;
    /* Paths resolved for the old config stay until every service has
     * let go of them (below); the new config's mondir gets a new map. */
    struct strmap old_progs = s->progs;

    memset(&s->progs, 0, sizeof s->progs);
    svctab_unahead_all(s);
    /* Surviving services are found by name in a sorted copy of the old
     * table: a reload of 10,000 services stays O(n log n). */
    byname = xcalloc(nold > 0 ? nold : 1, sizeof *byname);
    for (size_t i = 0; i < nold; i++) {
        old[i]->reused = false;
        byname[i] = old[i];
    }
    qsort(byname, nold, sizeof *byname, rt_cmp);

    alertq_configure(s->aq, &cfg->g);
    histlog_set_length(s->hist, cfg->g.histlength > 0
                                ? (size_t)cfg->g.histlength : 0);

    for (size_t w = 0; w < cfg->nwatches; w++) {
        const struct watch *wa = &cfg->watches[w];
        for (size_t k = 0; k < wa->nservices; k++) {
            const struct service *svc = &wa->services[k];
            struct svc_rt *rt = find_old(byname, nold, wa->name, svc->name);
            xgrow((void **)&nsv, &cap, n + 1, sizeof *nsv);
            if (rt != NULL) {
                /* A surviving service keeps its state and its running
                 * monitor; only what the config says is rebound. */
                svc_state_rebind(&rt->st, rt->svc, svc);
                rt->watch = wa;
                rt->svc = svc;
                rt->monitor_path = NULL;        /* from the old map */
                if (svc->monitor_argv == NULL) {
                    loop_timer_cancel(s->lp, &rt->due);
                } else if (rt->job == NULL) {
                    int64_t latest = now_ns + svc->interval_ms * 1000000;
                    if (!rt->due.armed || rt->due.due_ns > latest)
                        schedule_at(rt, rt->due.armed ? latest : now_ns);
                }
            } else {
                rt = rt_new(s, wa, svc);
            }
            nsv[n++] = rt;
        }
    }
    s->cfg = cfg;
    s->svcs = nsv;
    s->nsvcs = n;
    s->capsvcs = cap;
    for (size_t i = 0; i < nold; i++) {
        if (old[i]->reused)
            continue;
        log_info("%s: removed by reload", old[i]->label);
        rt_free(s, old[i]);
    }
    free(old);
    free(byname);

    spawner_set_maxprocs(s->sp, cfg->g.maxprocs);
    for (size_t i = 0; i < n; i++) {
        struct svc_rt *rt = nsv[i];
        rt->index = i;
        if (rt->monitor_path == NULL && rt->svc->monitor_argv != NULL)
            rt->monitor_path = svctab_program(s, rt->svc->monitor_argv[0],
                                              cfg->g.mondir);
        if (rt->svc->monitor_argv != NULL && rt->monitor_path == NULL)
            log_warnx("%s: monitor %s not found in mondir %s", rt->label,
                      rt->svc->monitor_argv[0],
                      cfg->g.mondir != NULL ? cfg->g.mondir : "(unset)");
        if (rt->job == NULL && !rt->due.armed &&
            rt->svc->monitor_argv != NULL)
            schedule_at(rt, now_ns + rand_below(s, randstart) * 1000000);
    }
    strmap_fini(&old_progs, free);
    if (first) {
        s->started = true;
        char *hp = svctab_logdir_path(cfg, cfg->g.historicfile);
        histlog_load(s->hist, hp, cfg->g.historictime_ms,
                     loop_now_wall_ms(s->lp));
        free(hp);
        if (cfg->g.dtlogging) {
            char *dp = svctab_dtlog_path(cfg);
            histlog_dt_start(dp, loop_now_wall_ms(s->lp));
            free(dp);
        }
        startup_alerts(s);
    } else if (cfg->g.startupalerts_on_reset) {
        startup_alerts(s);
    }
    return 0;
}

const struct config *
svctab_config(const struct svctab *s)
{
    return s->cfg;
}

void
svctab_stop(struct svctab *s)
{
    s->stopped = true;
    for (size_t i = 0; i < s->nsvcs; i++) {
        struct svc_rt *rt = s->svcs[i];
        loop_timer_cancel(s->lp, &rt->due);
        if (rt->job != NULL) {
            spawn_detach(rt->job);
            rt->job = NULL;
        }
    }
    spawner_signal_all(s->sp, SIGTERM);
}

size_t
svctab_count(const struct svctab *s)
{
    return s->nsvcs;
}

const struct service *
svctab_service_at(const struct svctab *s, size_t i)
{
    return i < s->nsvcs ? s->svcs[i]->svc : NULL;
}

const struct svc_state *
svctab_state_at(const struct svctab *s, size_t i)
{
    return i < s->nsvcs ? &s->svcs[i]->st : NULL;
}

struct svc_state *
svctab_state_mut(struct svctab *s, size_t i)
{
    if (i >= s->nsvcs)
        return NULL;
    svctab_unahead(s->svcs[i]);     /* its environment may change */
    return &s->svcs[i]->st;
}

void
svctab_restore_history(struct svctab *s, const char *const *lines, size_t n)
{
    histlog_restore(s->hist, lines, n);
}

int64_t
svctab_next_due_ns(const struct svctab *s, size_t i)
{
    if (i >= s->nsvcs)
        return 0;
    if (s->svcs[i]->ahead && s->svcs[i]->job != NULL)
        return s->svcs[i]->ahead_due_ns;
    if (!s->svcs[i]->due.armed)
        return 0;
    return s->svcs[i]->due.due_ns;
}

bool
svctab_is_running(const struct svctab *s, size_t i)
{
    const struct svc_rt *rt = i < s->nsvcs ? s->svcs[i] : NULL;

    return rt != NULL && rt->job != NULL &&
           (!rt->ahead || loop_now_ns(s->lp) >= rt->ahead_due_ns);
}

int
svctab_set_host_disabled(struct svctab *s, const char *group, const char *host,
                        bool disabled)
{
    const struct hostgroup *hg = config_find_group(s->cfg, group);
    bool found = false;

    for (size_t i = 0; hg != NULL && i < hg->nhosts; i++)
        found = found || strcmp(hg->hosts[i], host) == 0;
    if (!found) {
        errno = ENOENT;
        return -1;
    }
    svctab_unahead_all(s);          /* argv of the group's monitors */
    for (size_t i = 0; i < s->ndis_hosts; i++) {
        if (strcmp(s->dis_hosts[i].group, group) == 0 &&
            strcmp(s->dis_hosts[i].host, host) == 0) {
            if (!disabled) {
                free(s->dis_hosts[i].group);
                free(s->dis_hosts[i].host);
                s->dis_hosts[i] = s->dis_hosts[--s->ndis_hosts];
            }
            return 0;
        }
    }
    if (disabled) {
        xgrow((void **)&s->dis_hosts, &s->capdis_hosts, s->ndis_hosts + 1,
              sizeof *s->dis_hosts);
        s->dis_hosts[s->ndis_hosts].group = xstrdup(group);
        s->dis_hosts[s->ndis_hosts].host = xstrdup(host);
        s->ndis_hosts++;
    }
    return 0;
}

int
svctab_set_watch_disabled(struct svctab *s, const char *watch, bool disabled)
{
    if (config_find_watch(s->cfg, watch) == NULL) {
        errno = ENOENT;
        return -1;
    }
    svctab_unahead_all(s);
    for (size_t i = 0; i < s->ndis_watches; i++) {
        if (strcmp(s->dis_watches[i], watch) == 0) {
            if (!disabled) {
                free(s->dis_watches[i]);
                s->dis_watches[i] = s->dis_watches[--s->ndis_watches];
            }
            return 0;
        }
    }
    if (disabled) {
        xgrow((void **)&s->dis_watches, &s->capdis_watches,
              s->ndis_watches + 1, sizeof *s->dis_watches);
        s->dis_watches[s->ndis_watches++] = xstrdup(watch);
    }
    return 0;
}

int
svctab_set_service_disabled(struct svctab *s, const char *watch,
                           const char *service, bool disabled)
{
    struct svc_rt *rt = find_rt(s, watch, service);

    if (rt == NULL) {
        errno = ENOENT;
        return -1;
    }
    svctab_unahead(rt);
    rt->st.disabled = disabled;
    return 0;
}

int64_t
svctab_state_since_wall_ms(const struct svctab *s, size_t i)
{
    return i < s->nsvcs ? s->svcs[i]->state_since_wall_ms : 0;
}

int
svctab_ack(struct svctab *s, size_t i, const char *comment)
{
    struct svc_rt *rt;

    if (i >= s->nsvcs) {
        errno = ENOENT;
        return -1;
    }
    rt = s->svcs[i];
    if (opstatus_is_up(rt->st.opstatus) ||
        rt->st.opstatus == OPSTATUS_UNTESTED) {
        errno = EINVAL;
        return -1;
    }
    decide_ack(&rt->st, comment);
    log_info("%s: acknowledged: %s", rt->label,
             comment != NULL ? comment : "");
    return 0;
}

int
svctab_unack(struct svctab *s, size_t i)
{
    if (i >= s->nsvcs) {
        errno = ENOENT;
        return -1;
    }
    decide_unack(&s->svcs[i]->st);
    return 0;
}

void
svctab_set_paused(struct svctab *s, bool paused)
{
    int64_t now_ns = loop_now_ns(s->lp);

    if (paused == s->paused)
        return;
    if (paused)
        svctab_unahead_all(s);
    s->paused = paused;
    s->paused_wall_ms = paused ? loop_now_wall_ms(s->lp) : 0;
    log_info("scheduler %s", paused ? "stopped" : "started");
    if (paused)
        return;
    for (size_t i = 0; i < s->nsvcs; i++) {
        struct svc_rt *rt = s->svcs[i];

        if (rt->held && rt->job == NULL)
            schedule_at(rt, now_ns);
        rt->held = false;
    }
}

int64_t
svctab_paused_since_wall_ms(const struct svctab *s)
{
    return s->paused ? s->paused_wall_ms : 0;
}

long
svctab_monitor_pid(const struct svctab *s, size_t i)
{
    if (i >= s->nsvcs || s->svcs[i]->job == NULL)
        return 0;
    return (long)spawn_job_pid(s->svcs[i]->job);
}

int64_t
svctab_monitor_duration_ms(const struct svctab *s, size_t i)
{
    return i < s->nsvcs ? s->svcs[i]->last_duration_ms : -1;
}

int
svctab_depstatus(const struct svctab *s, size_t i)
{
    return i < s->nsvcs ? s->svcs[i]->depstatus : -1;
}

void
svctab_set_check_hook(struct svctab *s, svctab_check_hook hook, void *arg)
{
    s->check_hook = hook;
    s->check_arg = arg;
}

uint64_t
svctab_changes(const struct svctab *s)
{
    return s->changes;
}
