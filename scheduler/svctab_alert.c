/*
 * svctab_alert.c — the service table's alerts: mon's alert argv,
 * environment and stdin, the history line of each alert, the one-line
 * state change, the downtime log on recovery, and trap events.  Part of
 * the svctab module (svctab_int.h); delivery itself is alertq.c's.
 */
#include "svctab_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertq.h"
#include "histlog.h"
#include "log.h"
#include "notify.h"
#include "xalloc.h"

#define SVCTAB_FAILHIST_MAX 100000  /* lines of "list failurehist" */

/* "1h2m3s" for durations in log lines. */
static void
fmt_duration(int64_t ms, char *buf, size_t n)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

    if (d > 0)
        snprintf(buf, n, "%lldd%lldh%lldm", (long long)d, (long long)h,
                 (long long)m);
    else if (h > 0)
        snprintf(buf, n, "%lldh%lldm%llds", (long long)h, (long long)m,
                 (long long)sec);
    else if (m > 0)
        snprintf(buf, n, "%lldm%llds", (long long)m, (long long)sec);
    else
        snprintf(buf, n, "%llds", (long long)sec);
}

/* ---- alert history, downtime log (histlog.c) ---- */

size_t
svctab_history_count(const struct svctab *s)
{
    return histlog_count(s->hist);
}

const char *
svctab_history_at(const struct svctab *s, size_t i)
{
    return histlog_at(s->hist, i);
}

void
svctab_set_maxkeep(struct svctab *s, size_t maxkeep)
{
    /* mon drops the oldest only once it holds more than MAX_KEEP; the
     * ring is allocated whole, so a client's "set maxkeep" is capped. */
    if (maxkeep > SVCTAB_FAILHIST_MAX)
        maxkeep = SVCTAB_FAILHIST_MAX;
    histlog_set_length(s->failhist, maxkeep + 1);
}

size_t
svctab_failhist_count(const struct svctab *s)
{
    return histlog_count(s->failhist);
}

const char *
svctab_failhist_at(const struct svctab *s, size_t i)
{
    return histlog_at(s->failhist, i);
}

void
svctab_failhist_note(struct svc_rt *rt, const char *summary,
                     int64_t now_wall_ms)
{
    char *line = xasprintf("%s %s %lld %s", rt->watch->name, rt->svc->name,
                           (long long)(now_wall_ms / 1000),
                           summary != NULL && summary[0] != '\0'
                           ? summary : "(NO SUMMARY)");

    histlog_add(rt->s->failhist, line, NULL);
    free(line);
}

char *
svctab_dtlog_path(const struct config *cfg)
{
    return svctab_logdir_path(cfg, cfg->g.dtlogfile != NULL ? cfg->g.dtlogfile
                                                     : "downtime.log");
}

/* ---- environment ---- */

void
svctab_env_base(struct spawn_vec *env, const struct svc_rt *rt)
{
    const struct service *svc = rt->svc;
    const struct globals *g = &rt->s->cfg->g;

    spawn_vec_setenv(env, "PATH", SPAWN_PATH);
    for (size_t i = 0; i < svc->nenv; i++)
        spawn_vec_setenv(env, svc->env[i].name, svc->env[i].value);
    if (rt->st.last_summary != NULL)
        spawn_vec_setenv(env, "MON_LAST_SUMMARY", rt->st.last_summary);
    if (rt->st.last_output != NULL)
        spawn_vec_setenv(env, "MON_LAST_OUTPUT", rt->st.last_output);
    if (rt->st.last_failure_wall_ms > 0)
        spawn_vec_addf(env, "MON_LAST_FAILURE=%lld",
                       (long long)(rt->st.last_failure_wall_ms / 1000));
    if (rt->st.first_failure_wall_ms > 0)
        spawn_vec_addf(env, "MON_FIRST_FAILURE=%lld",
                       (long long)(rt->st.first_failure_wall_ms / 1000));
    if (rt->st.last_success_wall_ms > 0)
        spawn_vec_addf(env, "MON_LAST_SUCCESS=%lld",
                       (long long)(rt->st.last_success_wall_ms / 1000));
    if (svc->description != NULL)
        spawn_vec_setenv(env, "MON_DESCRIPTION", svc->description);
    if (g->logdir != NULL)
        spawn_vec_setenv(env, "MON_LOGDIR", g->logdir);
    if (g->statedir != NULL)
        spawn_vec_setenv(env, "MON_STATEDIR", g->statedir);
    if (g->cfbasedir != NULL)
        spawn_vec_setenv(env, "MON_CFBASEDIR", g->cfbasedir);
}

/* Hosts of the watch's group that are not disabled (mon's @groupargs). */
static char *
alert_hosts(const struct svc_rt *rt)
{
    const struct hostgroup *hg = rt->watch->group;
    size_t len = 1;
    char *out;

    if (hg == NULL)
        return xstrdup("");
    for (size_t i = 0; i < hg->nhosts; i++)
        len += strlen(hg->hosts[i]) + 1;
    out = xmalloc(len);
    out[0] = '\0';
    for (size_t i = 0; i < hg->nhosts; i++) {
        if (svctab_host_is_disabled(rt->s, hg->name, hg->hosts[i]))
            continue;
        if (out[0] != '\0')
            strcat(out, " ");
        strcat(out, hg->hosts[i]);
    }
    return out;
}

/* ---- alerts ---- */

static const char *
alert_history_type(const struct alert_action *a)
{
    switch (a->type) {
    case ALERT_TYPE_UP:
        return "upalert";
    case ALERT_TYPE_STARTUP:
        return "startupalert";
    case ALERT_TYPE_TRAP:
        return "trapalert";
    case ALERT_TYPE_TRAPTIMEOUT:
        return "traptimeoutalert";
    case ALERT_TYPE_FAILURE:
        break;
    }
    return "alert";
}

/* One alert program to start, whatever called for it. */
struct alert_call {
    char *const *cargv;         /* the alert line: program, its args */
    size_t cargc;
    const char *type;           /* MON_ALERTTYPE */
    const char *histtype;       /* word of log and history lines */
    const char *flag;           /* "-u", "-a", ... or NULL */
    bool trap, traptimeout;     /* -T, -O */
    int64_t alertevery_s;       /* -l */
    const char *retval;         /* MON_RETVAL; NULL: not set (mon's undef) */
    const char *input;          /* stdin, as it is */
    const char *summary;        /* for the log and history lines */
    bool redistribute;          /* not logged as an alert, no history */
    bool history;               /* counts: alert history line */
};

static void
alert_call_start(struct svc_rt *rt, const struct alert_call *ac,
                 int64_t now_wall_ms)
{
    struct svctab *s = rt->s;
    const struct service *svc = rt->svc;
    char *path, *hosts, *args, *hline, *histpath;
    const char *summary = ac->summary != NULL && ac->summary[0] != '\0'
                          ? ac->summary : "(NO SUMMARY)";
    struct spawn_vec argv, env;
    struct alertq_alert qa;
    char *label;
    long long now_s = now_wall_ms / 1000;
    size_t alen;

    if (ac->cargv == NULL || ac->cargc == 0)
        return;
    path = svctab_resolve_program(ac->cargv[0], s->cfg->g.alertdir);
    if (path == NULL) {
        log_warnx("%s: no alert %s found in alertdir %s", rt->label,
                  ac->cargv[0], s->cfg->g.alertdir != NULL
                                ? s->cfg->g.alertdir : "(unset)");
        return;
    }
    hosts = alert_hosts(rt);

    spawn_vec_init(&argv);
    spawn_vec_add(&argv, path);
    spawn_vec_add(&argv, "-s");
    spawn_vec_add(&argv, svc->name);
    spawn_vec_add(&argv, "-g");
    spawn_vec_add(&argv, rt->watch->name);
    spawn_vec_add(&argv, "-h");
    spawn_vec_add(&argv, hosts);
    spawn_vec_add(&argv, "-t");
    spawn_vec_addf(&argv, "%lld", now_s);
    spawn_vec_add(&argv, "-l");
    spawn_vec_addf(&argv, "%lld", (long long)ac->alertevery_s);
    if (ac->flag != NULL)
        spawn_vec_add(&argv, ac->flag);
    if (ac->trap)
        spawn_vec_add(&argv, "-T");
    if (ac->traptimeout)
        spawn_vec_add(&argv, "-O");
    alen = 1;
    for (size_t i = 1; i < ac->cargc; i++) {
        spawn_vec_add(&argv, ac->cargv[i]);
        alen += strlen(ac->cargv[i]) + 1;
    }
    args = xmalloc(alen);
    args[0] = '\0';
    for (size_t i = 1; i < ac->cargc; i++) {
        if (i > 1)
            strcat(args, " ");
        strcat(args, ac->cargv[i]);
    }

    spawn_vec_init(&env);
    svctab_env_base(&env, rt);
    spawn_vec_setenv(&env, "MON_GROUP", rt->watch->name);
    spawn_vec_setenv(&env, "MON_SERVICE", svc->name);
    if (ac->retval != NULL)
        spawn_vec_setenv(&env, "MON_RETVAL", ac->retval);
    spawn_vec_addf(&env, "MON_OPSTATUS=%d", (int)rt->st.opstatus);
    spawn_vec_setenv(&env, "MON_ALERTTYPE", ac->type);
    if (rt->st.acked && rt->st.ack_comment != NULL &&
        rt->st.ack_comment[0] != '\0')
        spawn_vec_setenv(&env, "MON_ACK", rt->st.ack_comment);

    label = xasprintf("%s: %s %s", rt->label,
                      ac->redistribute ? "redistribute" : ac->histtype,
                      ac->cargv[0]);
    memset(&qa, 0, sizeof qa);
    qa.label = label;
    qa.group = rt->watch->name;
    qa.service = svc->name;
    qa.type = ac->type;
    qa.program = path;
    qa.argv = argv.v;
    qa.envp = env.v;
    qa.input = ac->input;
    if (!ac->redistribute)
        log_info("%s: calling %s %s (%s) %s", rt->label, ac->histtype,
                 ac->cargv[0], args, summary);
    alertq_send(s->aq, &qa);
    free(label);

    /* mon's history: redistributions and tests do not count. */
    if (ac->history && !ac->redistribute) {
        hline = xasprintf("%s %s %s %lld %s (%s) %s", ac->histtype,
                          rt->watch->name, svc->name, now_s, path, args,
                          summary);
        /* One line per alert: a summary never contains a newline. */
        histpath = svctab_logdir_path(s->cfg, s->cfg->g.historicfile);
        histlog_add(s->hist, hline, histpath);
        free(histpath);
        free(hline);
    }
    free(args);
    free(hosts);
    free(path);
    spawn_vec_fini(&argv);
    spawn_vec_fini(&env);
}

static void
alert_start(struct svc_rt *rt, const struct alert_action *a,
            int64_t now_wall_ms)
{
    const struct service *svc = rt->svc;
    const char *summary = rt->st.last_summary != NULL ? rt->st.last_summary
                                                      : "";
    const char *detail = rt->st.last_detail != NULL ? rt->st.last_detail : "";
    struct alert_call ac;
    char retval[16];
    char *input;

    memset(&ac, 0, sizeof ac);
    if (a->redistribute) {
        ac.cargv = svc->redistribute_argv;
        ac.cargc = svc->redistribute_argc;
    } else {
        if (a->period >= svc->nperiods ||
            a->alert >= svc->periods[a->period].nalerts)
            return;
        ac.cargv = svc->periods[a->period].alerts[a->alert].argv;
        ac.cargc = svc->periods[a->period].alerts[a->alert].argc;
    }
    /* stdin: summary line, then the detail, newline-terminated. */
    {
        size_t dl = strlen(detail);
        bool nl = dl > 0 && detail[dl - 1] != '\n';
        input = xasprintf("%s\n%s%s", summary, detail, nl ? "\n" : "");
    }
    snprintf(retval, sizeof retval, "%d", rt->st.last_retval);
    ac.type = alert_type_name(a->type);
    ac.histtype = alert_history_type(a);
    ac.flag = a->upalert ? "-u" : NULL;
    ac.trap = a->trap;
    ac.traptimeout = a->traptimeout;
    ac.alertevery_s = a->alertevery_s;
    ac.retval = retval;
    ac.input = input;
    ac.summary = summary;
    ac.redistribute = a->redistribute;
    ac.history = true;
    alert_call_start(rt, &ac, now_wall_ms);
    free(input);
}

/* Start the alert lines of picks (notify.c) for kind. */
static void
notify_start(struct svc_rt *rt, const struct notify_list *picks,
             enum notify_kind kind, bool test, const char *retval,
             const char *input, int64_t now_wall_ms)
{
    char *summary = xstrdup(input != NULL ? input : "");

    /* mon: the summary is the first line of the output */
    summary[strcspn(summary, "\n")] = '\0';
    for (size_t i = 0; i < picks->n; i++) {
        const struct notify_pick *pk = &picks->v[i];
        struct alert_call ac;

        memset(&ac, 0, sizeof ac);
        ac.cargv = pk->alert->argv;
        ac.cargc = pk->alert->argc;
        ac.type = notify_type_name(kind, test);
        ac.histtype = notify_history_type(kind, test);
        ac.flag = notify_flag(kind);
        ac.alertevery_s = pk->period < rt->svc->nperiods
                          ? rt->svc->periods[pk->period].alertevery_ms / 1000
                          : 0;
        ac.retval = retval;
        ac.input = input != NULL ? input : "";
        ac.summary = summary;
        ac.history = !test;
        alert_call_start(rt, &ac, now_wall_ms);
    }
    free(summary);
}

int
svctab_notify(struct svctab *s, size_t i, enum notify_kind kind,
              const char *text)
{
    struct svc_rt *rt;
    struct decide_facts f;
    struct notify_list picks;
    int64_t now_wall_ms = loop_now_wall_ms(s->lp);

    if (i >= s->nsvcs) {
        errno = ENOENT;
        return -1;
    }
    rt = s->svcs[i];
    if (s->paused) {
        log_info("%s: ignoring %s because the scheduler is stopped",
                 rt->label, notify_history_type(kind, false));
        return 0;
    }
    memset(&f, 0, sizeof f);
    f.now_wall_ms = now_wall_ms;
    f.deps_ok = svctab_alert_deps_ok(rt, now_wall_ms);
    f.watch_disabled = svctab_watch_is_disabled(s, rt->watch->name);
    f.stopped = s->paused;
    notify_list_init(&picks);
    notify_decide(rt->svc, &rt->st, kind, &f, &picks);
    notify_start(rt, &picks, kind, false, NULL, text, now_wall_ms);
    notify_list_fini(&picks);
    return 0;
}

int
svctab_test_alert(struct svctab *s, size_t i, enum notify_kind kind,
                  size_t period, const char *retval)
{
    struct notify_list picks;

    if (i >= s->nsvcs || period >= s->svcs[i]->svc->nperiods) {
        errno = ENOENT;
        return -1;
    }
    notify_list_init(&picks);
    notify_test_picks(s->svcs[i]->svc, period, kind, &picks);
    notify_start(s->svcs[i], &picks, kind, true, retval,
                 "test\ntest detail\n", loop_now_wall_ms(s->lp));
    notify_list_fini(&picks);
    return 0;
}

void
svctab_run_actions(struct svc_rt *rt, const struct decision *d,
                   int64_t now_wall_ms)
{
    /* mon's do_alert(): "ignoring alert ... because the mon scheduler
     * is stopped" (the state still changes). */
    if (d->stopped) {
        log_info("%s: ignoring alert because the scheduler is stopped",
                 rt->label);
        return;
    }
    for (size_t i = 0; i < d->n; i++)
        alert_start(rt, &d->actions[i], now_wall_ms);
}

static void
log_state_change(struct svc_rt *rt, enum opstatus old, int64_t now_wall_ms)
{
    char dur[64];

    fmt_duration(now_wall_ms - rt->state_since_wall_ms, dur, sizeof dur);
    log_info("%s: %s -> %s after %s: %s", rt->label, opstatus_name(old),
             opstatus_name(rt->st.opstatus), dur,
             rt->st.last_summary != NULL && rt->st.last_summary[0] != '\0'
             ? rt->st.last_summary : "(no summary)");
    rt->state_since_wall_ms = now_wall_ms;
}

/* What follows every decision: the state-change line, the downtime log
 * on recovery (with the failure's first time and summary, saved by the
 * caller before deciding), the alerts. */
void
svctab_after_decision(struct svc_rt *rt, const struct decision *d,
               enum opstatus old, int64_t old_first_fail,
               const char *old_summary, int64_t now_wall_ms)
{
    struct svctab *s = rt->s;

    if (rt->st.opstatus != old)
        log_state_change(rt, old, now_wall_ms);
    if (d->suppressed && d->why != NULL)
        log_info("%s: failure, no alert: %s", rt->label, d->why);
    if (old == OPSTATUS_FAIL && rt->st.opstatus == OPSTATUS_OK &&
        s->cfg->g.dtlogging) {
        char *dp = svctab_dtlog_path(s->cfg);
        histlog_dt_write(dp, now_wall_ms, rt->watch->name, rt->svc->name,
                         old_first_fail > 0 ? old_first_fail : now_wall_ms,
                         rt->svc->interval_ms, old_summary);
        free(dp);
    }
    svctab_run_actions(rt, d, now_wall_ms);
}

/* ---- traps (srv_trap.c owns the socket and the trap timers) ---- */

enum trap_event { TRAP_EVENT_TRAP, TRAP_EVENT_TIMEOUT, TRAP_EVENT_DURATION };

static int
trap_event(struct svctab *s, size_t i, enum trap_event ev,
           const struct check_result *cr)
{
    struct svc_rt *rt;
    struct decide_facts f;
    struct decision d;
    enum opstatus old;
    int64_t old_first_fail, now_wall_ms = loop_now_wall_ms(s->lp);
    char *old_summary;

    if (i >= s->nsvcs) {
        errno = ENOENT;
        return -1;
    }
    rt = s->svcs[i];
    svctab_unahead(rt);             /* its state changes */
    /* mon's main loop runs no trap timers while stopped */
    if (s->paused && ev == TRAP_EVENT_TIMEOUT)
        return 0;
    old = rt->st.opstatus;
    old_first_fail = rt->st.first_failure_wall_ms;
    old_summary = rt->st.last_summary != NULL ? xstrdup(rt->st.last_summary)
                                              : NULL;
    memset(&f, 0, sizeof f);
    f.now_wall_ms = now_wall_ms;
    f.deps_ok = svctab_alert_deps_ok(rt, now_wall_ms);
    f.watch_disabled = svctab_watch_is_disabled(s, rt->watch->name);
    f.stopped = s->paused;
    decision_init(&d);
    switch (ev) {
    case TRAP_EVENT_TRAP:
        decide_result(rt->svc, &rt->st, cr, &f, true, &d);
        if (cr->exit_status != 0)
            svctab_failhist_note(rt, rt->st.last_summary, now_wall_ms);
        break;
    case TRAP_EVENT_TIMEOUT:
        decide_traptimeout(rt->svc, &rt->st, &f, &d);
        break;
    case TRAP_EVENT_DURATION:
        (void)decide_trapduration_expired(rt->svc, &rt->st, &f, &d);
        break;
    }
    svctab_after_decision(rt, &d, old, old_first_fail, old_summary,
                          now_wall_ms);
    decision_fini(&d);
    free(old_summary);
    return 0;
}

int
svctab_trap(struct svctab *s, size_t i, const struct check_result *cr)
{
    return trap_event(s, i, TRAP_EVENT_TRAP, cr);
}

int
svctab_traptimeout(struct svctab *s, size_t i)
{
    return trap_event(s, i, TRAP_EVENT_TIMEOUT, NULL);
}

int
svctab_trapduration_end(struct svctab *s, size_t i)
{
    return trap_event(s, i, TRAP_EVENT_DURATION, NULL);
}
