/*
 * srv_mon_cmd.c — the commands of mon's client protocol, answered from
 * the service table (see srv_mon.h; the sockets are srv_mon.c's).
 *
 * The replies are mon 1.3's client_command() text.  A command refused by
 * auth.cf falls through mon's if/elsif chain to its last branch, hence
 * "520 command could not be executed, unknown command".
 */
#include "srv_mon_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "monstate.h"
#include "decide.h"
#include "log.h"
#include "srv_state.h"
#include "svctab.h"
#include "xalloc.h"

#define DTLOG_MAX_BYTES (16u << 20)

/* ---- lookups ---- */


static bool
view_match(const struct srv_mon *m, const struct client *c,
           const char *group, const char *service)
{
    const struct config *cf = srv_mon_cfg(m);

    if (c->view == NULL)
        return true;
    for (size_t v = 0; v < cf->nviews; v++) {
        const struct view *vw = &cf->views[v];

        if (strcmp(vw->name, c->view) != 0)
            continue;
        for (size_t g = 0; g < vw->ngroups; g++) {
            char *gs;
            bool hit;

            if (strcmp(vw->groups[g], group) == 0)
                return true;
            if (service == NULL)
                continue;
            gs = xasprintf("%s:%s", group, service);
            hit = strcmp(vw->groups[g], gs) == 0;
            free(gs);
            if (hit)
                return true;
        }
    }
    return false;
}

static char *
join(char **v, size_t n)
{
    size_t len = 1;
    char *s, *p;

    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    s = p = xmalloc(len);
    *p = '\0';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? " " : "", v[i]);
    return s;
}

static int64_t
secs(int64_t ms)
{
    return ms / 1000;
}

static void
write_opstatus(struct client *c, size_t i, int64_t now_ns)
{
    struct srv_mon *m = c->m;
    const struct service *svc = svctab_service_at(m->tab, i);
    const struct svc_state *st = svctab_state_at(m->tab, i);
    struct monproto_opstatus o;
    char *monitor = svc->monitor_argv ? join(svc->monitor_argv,
                                             svc->monitor_argc)
                                      : xstrdup("");
    char *excl = join(svc->exclude_hosts, svc->nexclude_hosts);
    int64_t due = svctab_next_due_ns(m->tab, i), last_alert = 0, sent = 0;
    int64_t ackt;
    char *line;

    memset(&o, 0, sizeof(o));
    o.group = svc->watch->name;
    o.service = svc->name;
    o.opstatus = (int)st->opstatus;
    /* mon's last_opstatus is the status before the latest check: the
     * same as now once a check has confirmed the current state. */
    o.last_opstatus = st->last_check_wall_ms != 0 &&
                      svctab_state_since_wall_ms(m->tab, i) <
                      st->last_check_wall_ms
                      ? (int)st->opstatus : (int)st->last_opstatus;
    o.exitval = st->last_check_wall_ms != 0 || st->last_trap_wall_ms != 0
                ? st->last_retval : MONPROTO_UNSET;
    o.timer = due > now_ns ? (due - now_ns + 999999999) / 1000000000 : 0;
    o.last_success = secs(st->last_success_wall_ms);
    o.last_trap = secs(st->last_trap_wall_ms);
    o.last_traphost = m->ss ? srv_state_trap_host(m->ss, o.group, o.service)
                            : "";
    o.last_check = st->last_check_wall_ms ? secs(st->last_check_wall_ms)
                                          : MONPROTO_UNSET;
    ackt = m->ss ? srv_state_ack_time(m->ss, o.group, o.service) : 0;
    o.ack = st->acked ? (ackt ? secs(ackt) : 1) : 0;
    o.ackcomment = st->ack_comment;
    for (size_t p = 0; p < st->nperiods && p < svc->nperiods; p++) {
        if (!svc->periods[p].alerts_dont_count)
            sent += st->periods[p].alerts_sent;
        if (st->periods[p].last_alert_wall_ms > last_alert)
            last_alert = st->periods[p].last_alert_wall_ms;
    }
    o.alerts_sent = sent;
    o.depstatus = svctab_depstatus(m->tab, i) >= 0
                  ? svctab_depstatus(m->tab, i) : MONPROTO_UNSET;
    o.depend = svc->depend;
    o.hostdepend = svc->hostdepend;
    o.monitordepend = svc->monitordepend;
    o.alertdepend = svc->alertdepend;
    o.monitor = monitor;
    o.last_summary = st->last_summary;
    o.last_detail = st->last_detail;
    o.last_failure = secs(st->last_failure_wall_ms);
    o.interval = svc->monitor_argv != NULL ? secs(svc->interval_ms) : 0;
    /* mon: whole seconds of the last run, -1 before the first */
    o.monitor_duration = svctab_monitor_duration_ms(m->tab, i) >= 0
                         ? secs(svctab_monitor_duration_ms(m->tab, i))
                         : st->last_check_wall_ms ? 0 : -1;
    o.monitor_running = svctab_is_running(m->tab, i);
    o.exclude_period = svc->exclude_period_spec;
    o.exclude_hosts = excl;
    o.randskew = secs(svc->randskew_ms);
    o.last_alert = secs(last_alert);
    o.first_failure = secs(st->first_failure_wall_ms);
    o.now = secs(loop_now_wall_ms(m->lp));
    line = monproto_opstatus_line(&o);
    srv_mon_out_str(c, line);
    free(line);
    free(monitor);
    free(excl);
}

static bool
is_failure(enum opstatus s)
{
    return s == OPSTATUS_FAIL || s == OPSTATUS_LINKDOWN ||
           s == OPSTATUS_TIMEOUT;
}

static bool
is_success(enum opstatus s)
{
    return s == OPSTATUS_OK || s == OPSTATUS_COLDSTART ||
           s == OPSTATUS_WARMSTART || s == OPSTATUS_UNKNOWN ||
           s == OPSTATUS_UNTESTED;
}

static bool
is_warning(enum opstatus s)
{
    return s == OPSTATUS_COLDSTART || s == OPSTATUS_WARMSTART ||
           s == OPSTATUS_UNKNOWN || s == OPSTATUS_WARN;
}

static bool
host_exists(const struct config *cf, const char *h)
{
    for (size_t g = 0; g < cf->ngroups; g++)
        for (size_t i = 0; i < cf->groups[g].nhosts; i++)
            if (strcmp(cf->groups[g].hosts[i], h) == 0)
                return true;
    return false;
}

static void
set_host(struct srv_mon *m, const char *h, bool disabled)
{
    const struct config *cf = srv_mon_cfg(m);

    for (size_t g = 0; g < cf->ngroups; g++) {
        const struct hostgroup *hg = &cf->groups[g];
        bool in = false;

        for (size_t i = 0; i < hg->nhosts; i++)
            in = in || strcmp(hg->hosts[i], h) == 0;
        if (!in)
            continue;
        (void)svctab_set_host_disabled(m->tab, hg->name, h, disabled);
        /* mon: a group whose only member this is gets its watch
         * disabled too, so no monitor runs with no hosts. */
        if (hg->nhosts == 1 && config_find_watch(cf, hg->name) != NULL)
            (void)svctab_set_watch_disabled(m->tab, hg->name, disabled);
    }
}

/* ---- commands ---- */

static void
cmd_list(struct client *c, char *args, int64_t now_ns)
{
    struct srv_mon *m = c->m;
    const struct config *cf = srv_mon_cfg(m);
    size_t n = svctab_count(m->tab);
    char *f[2];
    size_t nf = monproto_split(args, f, 2);
    const char *what = nf > 0 ? f[0] : "";
    char *rest = nf > 1 ? f[1] : (char *)"";

    if (strcmp(what, "descriptions") == 0) {
        for (size_t i = 0; i < n; i++) {
            const struct service *s = svctab_service_at(m->tab, i);
            char *d;

            if (!view_match(m, c, s->watch->name, s->name))
                continue;
            d = monproto_esc(s->description ? s->description : "", true);
            srv_mon_out_fmt(c, "%s %s %s\n", s->watch->name, s->name, d);
            free(d);
        }
        srv_mon_out_str(c, "220 list descriptions completed\n");
    } else if (strcmp(what, "group") == 0) {
        const struct hostgroup *hg = config_find_group(cf, rest);

        if (hg == NULL || rest[0] == '\0') {
            srv_mon_out_str(c, "520 list group error, undefined group\n");
            return;
        }
        srv_mon_out_fmt(c, "hostgroup %s", hg->name);
        for (size_t i = 0; i < hg->nhosts; i++)
            srv_mon_out_fmt(c, " %s%s", svctab_host_is_disabled(m->tab, hg->name,
                                                        hg->hosts[i])
                                ? "*" : "", hg->hosts[i]);
        srv_mon_out_str(c, "\n220 list group completed\n");
    } else if (strcmp(what, "opstatus") == 0 && rest[0] != '\0') {
        char *gs[256];
        size_t ngs = monproto_split(rest, gs, 256);
        long idx[256];

        for (size_t k = 0; k < ngs; k++) {
            char *comma = strchr(gs[k], ',');

            idx[k] = -2;        /* whole group */
            if (comma != NULL && comma[1] != '\0') {
                *comma = '\0';
                idx[k] = svctab_find(m->tab, gs[k], comma + 1);
                if (idx[k] < 0) {
                    srv_mon_out_fmt(c, "520 %s,%s does not exist\n", gs[k],
                            comma + 1);
                    return;
                }
            } else if (comma != NULL) {
                *comma = '\0';
            }
        }
        for (size_t k = 0; k < ngs; k++) {
            if (idx[k] >= 0) {
                write_opstatus(c, (size_t)idx[k], now_ns);
                continue;
            }
            for (size_t i = 0; i < n; i++)
                if (strcmp(svctab_service_at(m->tab, i)->watch->name,
                           gs[k]) == 0)
                    write_opstatus(c, i, now_ns);
        }
        srv_mon_out_str(c, "220 list opstatus completed\n");
    } else if (strcmp(what, "opstatus") == 0 ||
               strcmp(what, "failures") == 0 ||
               strcmp(what, "successes") == 0 ||
               strcmp(what, "warnings") == 0) {
        for (size_t i = 0; i < n; i++) {
            const struct service *s = svctab_service_at(m->tab, i);
            enum opstatus op = svctab_state_at(m->tab, i)->opstatus;

            if (!view_match(m, c, s->watch->name, s->name))
                continue;
            if ((what[0] == 'f' && !is_failure(op)) ||
                (what[0] == 's' && !is_success(op)) ||
                (what[0] == 'w' && !is_warning(op)))
                continue;
            write_opstatus(c, i, now_ns);
        }
        srv_mon_out_fmt(c, "220 list %s completed\n",
                what[0] == 'w' ? "successes" : what);
    } else if (strcmp(what, "disabled") == 0) {
        for (size_t g = 0; g < cf->ngroups; g++) {
            const struct hostgroup *hg = &cf->groups[g];
            bool any = false;

            if (!view_match(m, c, hg->name, NULL))
                continue;
            for (size_t i = 0; i < hg->nhosts; i++) {
                if (!svctab_host_is_disabled(m->tab, hg->name, hg->hosts[i]))
                    continue;
                srv_mon_out_fmt(c, any ? " %s" : "group %s: %s", any ? hg->hosts[i]
                        : hg->name, hg->hosts[i]);
                any = true;
            }
            if (any)
                srv_mon_out_str(c, "\n");
        }
        for (size_t w = 0; w < cf->nwatches; w++) {
            const struct watch *wt = &cf->watches[w];

            if (view_match(m, c, wt->name, NULL) &&
                svctab_watch_is_disabled(m->tab, wt->name))
                srv_mon_out_fmt(c, "watch %s\n", wt->name);
            for (size_t s = 0; s < wt->nservices; s++) {
                long i = svctab_find(m->tab, wt->name, wt->services[s].name);

                if (i >= 0 && view_match(m, c, wt->name,
                                         wt->services[s].name) &&
                    svctab_state_at(m->tab, (size_t)i)->disabled)
                    srv_mon_out_fmt(c, "watch %s service %s\n", wt->name,
                            wt->services[s].name);
            }
        }
        srv_mon_out_str(c, "220 list disabled completed\n");
    } else if (strcmp(what, "alerthist") == 0) {
        for (size_t h = 0; h < svctab_history_count(m->tab); h++) {
            char *e = monproto_esc(svctab_history_at(m->tab, h), false);

            srv_mon_out_fmt(c, "%s\n", e);
            free(e);
        }
        srv_mon_out_str(c, "220 list alerthist completed\n");
    } else if (strcmp(what, "failurehist") == 0) {
        for (size_t h = 0; h < svctab_failhist_count(m->tab); h++) {
            char *e = monproto_esc(svctab_failhist_at(m->tab, h), false);

            srv_mon_out_fmt(c, "%s\n", e);
            free(e);
        }
        srv_mon_out_str(c, "220 list failurehist completed\n");
    } else if (strcmp(what, "pids") == 0) {
        srv_mon_out_fmt(c, "server %ld\n", (long)getpid());
        for (size_t i = 0; i < n; i++) {
            long pid = svctab_monitor_pid(m->tab, i);
            const struct service *s = svctab_service_at(m->tab, i);

            if (pid > 0)
                srv_mon_out_fmt(c, "%s %s %ld\n", s->watch->name, s->name,
                                pid);
        }
        srv_mon_out_str(c, "220 list pids completed\n");
    } else if (strcmp(what, "watch") == 0) {
        for (size_t i = 0; i < n; i++) {
            const struct service *s = svctab_service_at(m->tab, i);

            if (view_match(m, c, s->watch->name, s->name))
                srv_mon_out_fmt(c, "%s %s\n", s->watch->name, s->name);
        }
        srv_mon_out_str(c, "220 list watch completed\n");
    } else if (strcmp(what, "state") == 0) {
        int64_t since = svctab_paused_since_wall_ms(m->tab);

        if (since != 0)
            srv_mon_out_fmt(c, "scheduler stopped since %lld\n",
                            (long long)secs(since));
        else
            srv_mon_out_str(c, "scheduler running\n");
        srv_mon_out_str(c, "220 list state completed\n");
    } else if (strcmp(what, "aliases") == 0) {
        char *want[256];
        size_t nw = monproto_split(rest, want, 256);

        for (size_t a = 0; a < cf->naliases; a++) {
            const struct alias *al = &cf->aliases[a];
            bool hit = nw == 0;

            for (size_t k = 0; k < nw; k++)
                hit = hit || strcmp(want[k], al->name) == 0;
            if (!hit)
                continue;
            srv_mon_out_fmt(c, "alias %s\n", al->name);
            for (size_t l = 0; l < al->nlines; l++)
                srv_mon_out_fmt(c, "%s\n", al->lines[l]);
            srv_mon_out_str(c, "\n");
        }
        srv_mon_out_str(c, "220 list aliases completed\n");
    } else if (strcmp(what, "aliasgroups") == 0) {
        for (size_t a = 0; a < cf->naliases; a++)
            srv_mon_out_fmt(c, "%s%s", a ? " " : "", cf->aliases[a].name);
        if (cf->naliases > 0)
            srv_mon_out_str(c, "\n");
        srv_mon_out_str(c, "220 list aliasgroups completed\n");
    } else if (strcmp(what, "deps") == 0) {
        for (size_t i = 0; i < n; i++) {
            const struct service *s = svctab_service_at(m->tab, i);
            const char *d = s->depend != NULL ? s->depend : "";
            char *e = monproto_esc(d, true);
            bool any = false;

            srv_mon_out_fmt(c, "exp %s %s '%s'\n", s->watch->name, s->name,
                    d[0] ? e : "NONE");
            free(e);
            srv_mon_out_fmt(c, "cmp %s %s", s->watch->name, s->name);
            /* mon: /[a-zA-Z0-9_.-]+:[a-zA-Z0-9_.-]+/g */
            for (const char *p = d; *p;) {
                size_t a = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
                                  "KLMNOPQRSTUVWXYZ0123456789_.-");
                size_t b = 0;

                if (a > 0 && p[a] == ':')
                    b = strspn(p + a + 1, "abcdefghijklmnopqrstuvwxyzABCDEF"
                               "GHIJKLMNOPQRSTUVWXYZ0123456789_.-");
                if (a > 0 && b > 0) {
                    srv_mon_out_fmt(c, " %.*s", (int)(a + 1 + b), p);
                    any = true;
                    p += a + 1 + b;
                } else {
                    p += a > 0 ? a : 1;
                }
            }
            srv_mon_out_str(c, any ? "\n" : " NONE\n");
        }
        srv_mon_out_str(c, "220 list deps completed\n");
    } else if (strcmp(what, "dtlog") == 0) {
        FILE *fp;
        char line[4096];
        size_t total = 0;

        if (!cf->g.dtlogging || cf->g.dtlogfile == NULL) {
            srv_mon_out_str(c, "520 list dtlog error, dtlogging is not turned on\n");
            return;
        }
        fp = fopen(cf->g.dtlogfile, "re");
        if (fp == NULL) {
            srv_mon_out_str(c, "520 list dtlog error, cannot open dtlog\n");
            return;
        }
        while (fgets(line, sizeof(line), fp) != NULL &&
               total < DTLOG_MAX_BYTES) {
            const char *p = line;

            total += strlen(line);
            while (*p == ' ' || *p == '\t')
                p++;
            if (line[0] == '#' || *p == '\n' || *p == '\0')
                continue;
            srv_mon_out_str(c, line);
        }
        (void)fclose(fp);
        srv_mon_out_str(c, "220 list dtlog completed\n");
    } else if (strcmp(what, "views") == 0) {
        /* mon sorts the names; config order is usually sorted enough,
         * but sort to match. */
        char **names = xcalloc(cf->nviews + 1, sizeof(char *));

        for (size_t v = 0; v < cf->nviews; v++)
            names[v] = cf->views[v].name;
        for (size_t a = 0; a < cf->nviews; a++)
            for (size_t b = a + 1; b < cf->nviews; b++)
                if (strcmp(names[a], names[b]) > 0) {
                    char *t = names[a];

                    names[a] = names[b];
                    names[b] = t;
                }
        srv_mon_out_str(c, "views ");
        for (size_t v = 0; v < cf->nviews; v++)
            srv_mon_out_fmt(c, "%s%s", v ? " " : "", names[v]);
        srv_mon_out_str(c, "\n220 list group completed\n");
        free(names);
    } else {
        srv_mon_out_str(c, "520 unknown list command\n");
    }
}

static void
cmd_disen(struct client *c, char *args, bool disable)
{
    struct srv_mon *m = c->m;
    const char *verb = disable ? "disable" : "enable";
    char *f[2];
    size_t nf = monproto_split(args, f, 2);
    const char *what = nf > 0 ? f[0] : "";
    char *rest = nf > 1 ? f[1] : (char *)"";

    if (strcmp(what, "watch") == 0) {
        if (svctab_set_watch_disabled(m->tab, rest, disable) != 0) {
            if (disable)
                srv_mon_out_fmt(c, "520 disable error, unknown watch \"%s\"\n", rest);
            else
                srv_mon_out_str(c, "520 enable error, unknown watch\n");
            return;
        }
        log_info("client %s: %s watch %s", c->peer, verb, rest);
        srv_mon_out_fmt(c, "220 %s watch completed\n", verb);
    } else if (strcmp(what, "service") == 0) {
        char *gs[2];
        size_t ng = monproto_split(rest, gs, 2);

        if (ng < 2 || svctab_set_service_disabled(m->tab, gs[0], gs[1],
                                                  disable) != 0) {
            srv_mon_out_fmt(c, "520 %s error, unknown %s\n", verb,
                    disable ? "service" : "group");
            return;
        }
        log_info("client %s: %s service %s/%s", c->peer, verb, gs[0], gs[1]);
        srv_mon_out_str(c, disable ? "220 disable service completed\n"
                           : "220 enable completed\n");
        if (disable)
            (void)svctab_notify(m->tab, (size_t)svctab_find(m->tab, gs[0],
                                                            gs[1]),
                                NOTIFY_DISABLE, c->user ? c->user : "");
    } else if (strcmp(what, "host") == 0) {
        char *hosts[1024];
        size_t nh = monproto_split(rest, hosts, 1024);

        if (disable) {
            bool missing = false;

            for (size_t i = 0; i < nh; i++)
                if (!host_exists(srv_mon_cfg(m), hosts[i])) {
                    srv_mon_out_str(c, missing ? " " :
                            "520 disable host failed, host(s) ");
                    srv_mon_out_str(c, hosts[i]);
                    missing = true;
                }
            if (missing) {
                srv_mon_out_str(c, " do not exist\n");
                return;
            }
        }
        for (size_t i = 0; i < nh; i++) {
            set_host(m, hosts[i], disable);
            log_info("client %s: %s host %s", c->peer, verb, hosts[i]);
        }
        srv_mon_out_str(c, disable ? "220 disable host completed\n"
                           : "220 enable completed\n");
    } else {
        srv_mon_out_str(c, "520 command could not be executed\n");
        return;
    }
    if (m->ss != NULL)
        srv_state_touch(m->ss);
}

static void
cmd_ack(struct client *c, char *args, bool ack)
{
    struct srv_mon *m = c->m;
    char *f[3];
    size_t nf = monproto_split(args, f, 3);
    long i;
    struct svc_state *st;

    if (nf < 1 || config_find_watch(srv_mon_cfg(m), f[0]) == NULL) {
        srv_mon_out_str(c, "520 unknown group\n");
        return;
    }
    i = nf >= 2 ? svctab_find(m->tab, f[0], f[1]) : -1;
    if (i < 0) {
        srv_mon_out_str(c, "520 unknown service\n");
        return;
    }
    st = svctab_state_mut(m->tab, (size_t)i);
    if (!ack) {
        (void)svctab_unack(m->tab, (size_t)i);
        if (m->ss != NULL)
            srv_state_set_ack_time(m->ss, f[0], f[1], 0);
        log_info("client %s: unack %s/%s", c->peer, f[0], f[1]);
        srv_mon_out_str(c, "220 unack completed\n");
    } else if (st->opstatus == OPSTATUS_OK ||
               st->opstatus == OPSTATUS_UNTESTED) {
        srv_mon_out_str(c, "520 service is in a non-failure state\n");
        return;
    } else {
        char *word = monproto_first_word(nf > 2 ? f[2] : "");
        char *comment = xasprintf("%s: %s", c->user ? c->user : "", word);

        if (svctab_ack(m->tab, (size_t)i, comment) != 0)
            decide_ack(st, comment);
        if (m->ss != NULL)
            srv_state_set_ack_time(m->ss, f[0], f[1],
                                   loop_now_wall_ms(m->lp));
        log_info("client %s: ack %s/%s: %s", c->peer, f[0], f[1], comment);
        srv_mon_out_str(c, "220 ack completed\n");
        (void)svctab_notify(m->tab, (size_t)i, NOTIFY_ACK, comment);
        free(word);
        free(comment);
    }
    if (m->ss != NULL)
        srv_state_touch(m->ss);
}

static void
cmd_test(struct client *c, char *args)
{
    struct srv_mon *m = c->m;
    char *f[2];
    size_t nf = monproto_split(args, f, 2);
    const char *what = nf > 0 ? f[0] : "";
    enum notify_kind kind;

    if (strcmp(what, "monitor") == 0) {
        char *gs[3];
        size_t ng = nf > 1 ? monproto_split(f[1], gs, 3) : 0;
        long i = ng >= 2 ? svctab_find(m->tab, gs[0], gs[1]) : -1;

        if (i < 0)
            srv_mon_out_fmt(c, "%s %s not defined\n", ng > 0 ? gs[0] : "",
                    ng > 1 ? gs[1] : "");
        else
            (void)svctab_run_now(m->tab, (size_t)i);  /* EBUSY: running */
        srv_mon_out_str(c, "220 test monitor completed\n");
    } else if (strcmp(what, "config") == 0) {
        struct diag_list errs;
        struct config *n;

        diag_list_init(&errs);
        n = config_load(srv_mon_cfg(m)->path, false, &errs);
        if (n == NULL) {
            for (size_t e = 0; e < errs.n; e++) {
                char *msg = diag_format(&errs.items[e]);

                srv_mon_out_fmt(c, "%s\n", msg);
                free(msg);
            }
            srv_mon_out_str(c, "\n520 test config completed, errors found in "
                    "config file\n");
        } else {
            srv_mon_out_str(c, "220 test config completed OK, no errors found\n");
            config_free(n);
        }
        diag_list_fini(&errs);
    } else if (notify_test_kind(what, &kind)) {
        /* mon: split(/\s+/, $args, 4): the period is the rest */
        char *gs[4];
        size_t ng = nf > 1 ? monproto_split(f[1], gs, 4) : 0;
        long i = ng >= 2 ? svctab_find(m->tab, gs[0], gs[1]) : -1;
        long p = i >= 0 && ng >= 4
                 ? notify_find_period(svctab_service_at(m->tab, (size_t)i),
                                      gs[3])
                 : -1;

        if (i < 0) {
            srv_mon_out_fmt(c, "520 %s %s not defined\n", ng > 0 ? gs[0] : "",
                            ng > 1 ? gs[1] : "");
        } else if (p < 0) {
            srv_mon_out_str(c, "520 period not defined\n");
        } else {
            log_info("client %s: test %s %s/%s", c->peer, what, gs[0], gs[1]);
            (void)svctab_test_alert(m->tab, (size_t)i, kind, (size_t)p,
                                    ng > 2 ? gs[2] : NULL);
            srv_mon_out_str(c, "220 test alert completed\n");
        }
    } else {
        srv_mon_out_str(c, "520 test error\n");
    }
}

static void
cmd_savestate(struct client *c, char *args, bool save)
{
    struct srv_mon *m = c->m;
    char *f[8];
    size_t nf = monproto_split(args, f, 8);

    if (save && nf == 0) {
        srv_mon_out_str(c, "520 savestate error, arguments required\n");
        return;
    }
    /* mon's own statedir/disabled and statedir/opstatus (monstate.h);
     * words mon does not know are ignored, as mon does. */
    for (size_t k = 0; k < nf; k++) {
        unsigned type = monstate_type(f[k]);

        if (type == 0)
            continue;
        if (save)
            (void)monstate_save(m->tab, m->ss, srv_mon_cfg(m)->g.statedir,
                                type);
        else
            (void)monstate_load(m->tab, m->ss, srv_mon_cfg(m)->g.statedir,
                                type);
    }
    if (m->ss != NULL) {
        if (!save)
            srv_state_touch(m->ss);
        else
            (void)srv_state_save(m->ss);
    }
    srv_mon_out_str(c, save ? "220 savestate completed\n"
                    : "220 loadstate completed\n");
}

static void
cmd_setget(struct client *c, char *args, bool set)
{
    struct srv_mon *m = c->m;
    char *f[4];
    size_t nf;

    if (strncmp(args, "maxkeep", 7) == 0 &&
        (args[7] == '\0' || args[7] == ' ' || args[7] == '\t')) {
        if (set) {
            char *end;
            long v = strtol(args + 7, &end, 10);

            if (v <= 0 || end == args + 7) {
                srv_mon_out_str(c, "520 command could not be executed\n");
                return;
            }
            m->maxkeep = (size_t)v;
            svctab_set_maxkeep(m->tab, m->maxkeep);
        } else {
            srv_mon_out_fmt(c, "maxkeep = %zu\n", m->maxkeep);
        }
        srv_mon_out_str(c, "220 set completed\n");
        return;
    }
    nf = monproto_split(args, f, set ? 4 : 3);
    if (nf < 2 || svctab_find(m->tab, f[0], f[1]) < 0) {
        srv_mon_out_fmt(c, "520 %s,%s not defined\n", nf > 0 ? f[0] : "",
                nf > 1 ? f[1] : "");
        return;
    }
    {
        long i = svctab_find(m->tab, f[0], f[1]);
        const struct service *s = svctab_service_at(m->tab, (size_t)i);
        const char *var = nf > 2 ? f[2] : "";

        if (set && strcmp(var, "opstatus") == 0) {
            static const char *const names[] = {
                "fail", "ok", "coldstart", "warmstart", "linkdown",
                "unknown", "timeout", "untested",
            };
            char *v = monproto_first_word(nf > 3 ? f[3] : "");

            for (size_t k = 0; k < 8; k++)
                if (strcmp(v, names[k]) == 0) {
                    struct svc_state *st = svctab_state_mut(m->tab,
                                                            (size_t)i);

                    st->opstatus = (enum opstatus)k;
                    free(v);
                    srv_mon_out_str(c, "220 set completed\n");
                    return;
                }
            free(v);
            srv_mon_out_str(c, "520 undefined opstatus\n");
        } else if (set) {
            srv_mon_out_fmt(c, "520 set %s is not supported by mond\n", var);
        } else {
            char *val = NULL, *e;

            if (strcmp(var, "description") == 0)
                val = xstrdup(s->description ? s->description : "");
            else if (strcmp(var, "interval") == 0)
                val = xasprintf("%" PRId64, secs(s->interval_ms));
            else if (strcmp(var, "monitor") == 0)
                val = s->monitor_argv ? join(s->monitor_argv,
                                             s->monitor_argc) : xstrdup("");
            else if (strcmp(var, "depend") == 0)
                val = xstrdup(s->depend ? s->depend : "");
            else
                val = xstrdup("");
            e = monproto_esc(val, true);
            srv_mon_out_fmt(c, "%s %s %s='%s'\n", f[0], f[1], var, e);
            srv_mon_out_str(c, "220 get completed\n");
            free(e);
            free(val);
        }
    }
}

static void
cmd_setview(struct client *c, char *args, bool set)
{
    const struct config *cf = srv_mon_cfg(c->m);
    char *f[3];
    size_t nf = monproto_split(args, f, 0 + 3);

    if (!set) {
        if (c->view != NULL)
            srv_mon_out_fmt(c, "view %s selected\n", c->view);
        else
            srv_mon_out_str(c, "no view selected -- all groups will be displayed\n");
        srv_mon_out_str(c, "220 getview completed\n");
        return;
    }
    if (nf > 1) {
        srv_mon_out_str(c, "500 Unknown setview command\n");
        return;
    }
    if (nf == 0) {
        free(c->view);
        c->view = NULL;
        srv_mon_out_str(c, "no view selected -- all groups will be displayed\n"
                "220 setview completed\n");
        return;
    }
    for (size_t v = 0; v < cf->nviews; v++)
        if (strcmp(cf->views[v].name, f[0]) == 0) {
            free(c->view);
            c->view = xstrdup(f[0]);
            srv_mon_out_fmt(c, "selecting view %s\n220 setview completed\n", f[0]);
            return;
        }
    srv_mon_out_fmt(c, "504 unknown view %s\n", f[0]);
}

void
srv_mon_run_line(struct client *c, const char *line, int64_t now_ns)
{
    struct srv_mon *m = c->m;
    struct monproto_cmd cmd;
    const char *authname;
    char *args;

    if (monproto_parse(line, &cmd) != 0) {
        srv_mon_out_str(c, "520 invalid command\n");
        return;
    }
    if (cmd.verb != MONPROTO_LOGIN)
        log_debug("client %s: \"%s\"", c->peer, line);
    args = xstrdup(cmd.args);
    authname = cmd.verb == MONPROTO_UNACK ? "ack"
                                          : monproto_verb_name(cmd.verb);
    switch (cmd.verb) {
    case MONPROTO_QUIT:
    case MONPROTO_PROTID:
    case MONPROTO_LOGIN:
    case MONPROTO_VERSION:
    case MONPROTO_SETVIEW:
    case MONPROTO_GETVIEW:
    case MONPROTO_CHECKAUTH:
    case MONPROTO_DUMP:
        break;
    default:
        if (!auth_may(m->auth, c->user, authname)) {
            srv_mon_log(m, "client %s: user '%s' tried '%s', denied",
                       c->peer, c->user ? c->user : "", authname);
            srv_mon_out_str(c, "520 command could not be executed, unknown "
                    "command\n");
            free(args);
            return;
        }
    }
    switch (cmd.verb) {
    case MONPROTO_QUIT:
        srv_mon_out_str(c, "220 quitting\n");
        c->closing = true;
        break;
    case MONPROTO_PROTID:
        srv_mon_out_str(c, strtol(args, NULL, 10) == MONPROTO_PROT_VERSION
                   ? "220 protocol match\n" : "520 protocol mismatch\n");
        break;
    case MONPROTO_LOGIN: {
        char *f[2];
        size_t nf = monproto_split(args, f, 2);
        const struct config *cf = srv_mon_cfg(m);
        const struct auth_login_cfg lc = { cf->g.authtype, cf->g.userfile,
                                           cf->g.pamservice };

        if (nf == 2 && auth_login(&lc, f[0], f[1], c->peer)) {
            free(c->user);
            c->user = xstrdup(f[0]);
            log_info("client %s: authenticated %s", c->peer, f[0]);
            srv_mon_out_str(c, "220 login accepted\n");
        } else {
            srv_mon_log(m, "client %s: login refused for '%s'", c->peer,
                       nf > 0 ? f[0] : "");
            srv_mon_out_str(c, "530 login unsuccessful\n");
        }
        break;
    }
    case MONPROTO_VERSION:
        srv_mon_out_fmt(c, "version %d\n220 version completed\n",
                MONPROTO_PROT_VERSION);
        break;
    case MONPROTO_CHECKAUTH: {
        char *f[2];
        size_t nf = monproto_split(args, f, 2);

        srv_mon_out_str(c, nf > 0 && auth_may(m->auth, c->user, f[0])
                   ? "220 command authorized\n"
                   : "520 command could not be executed\n");
        break;
    }
    case MONPROTO_LIST:
        cmd_list(c, args, now_ns);
        break;
    case MONPROTO_DISABLE:
    case MONPROTO_ENABLE:
        cmd_disen(c, args, cmd.verb == MONPROTO_DISABLE);
        break;
    case MONPROTO_ACK:
    case MONPROTO_UNACK:
        cmd_ack(c, args, cmd.verb == MONPROTO_ACK);
        break;
    case MONPROTO_TEST:
        cmd_test(c, args);
        break;
    case MONPROTO_SERVERTIME: {
        time_t t = (time_t)(loop_now_wall_ms(m->lp) / 1000);
        struct tm tm;
        char buf[64];

        (void)localtime_r(&t, &tm);
        (void)strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
        srv_mon_out_fmt(c, "%lld %s\n220 servertime completed\n", (long long)t, buf);
        break;
    }
    case MONPROTO_SAVESTATE:
    case MONPROTO_LOADSTATE:
        cmd_savestate(c, args, cmd.verb == MONPROTO_SAVESTATE);
        break;
    case MONPROTO_RELOAD: {
        char *f[8];
        size_t nf = monproto_split(args, f, 8);
        bool ok = true;

        for (size_t k = 0; k < nf; k++)
            if (strcmp(f[k], "auth") != 0)
                ok = false;
        if (ok)
            for (size_t k = 0; k < nf; k++)
                (void)srv_mon_reload_auth(m);
        srv_mon_out_str(c, ok ? "220 reload completed\n"
                      : "520 unknown reload command\n");
        break;
    }
    case MONPROTO_RESET: {
        char host[256];

        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        if (c->local && strcasestr(args, "stopped") != NULL)
            svctab_set_paused(m->tab, true);    /* mon: before the reset */
        if (!c->local) {
            srv_mon_out_str(c, "520 command could not be executed, unknown "
                    "command\n");
        } else if (m->hooks.reset != NULL &&
                   m->hooks.reset(m->hooks.arg,
                                  strstr(args, "keepstate") != NULL) == 0) {
            srv_mon_out_fmt(c, "220 reset PID %ld@%s\n", (long)getpid(), host);
        } else {
            srv_mon_out_fmt(c, "520 reset PID %ld@%s failed, error in config "
                    "file\n", (long)getpid(), host);
        }
        break;
    }
    case MONPROTO_TERM:
        if (!c->local) {
            srv_mon_out_str(c, "520 command could not be executed, unknown "
                    "command\n");
            break;
        }
        srv_mon_out_str(c, "220 terminating server\n");
        c->closing = true;
        log_info("client %s: terminating by user command", c->peer);
        if (m->hooks.term != NULL)
            m->hooks.term(m->hooks.arg);
        break;
    case MONPROTO_SET:
    case MONPROTO_GET:
        cmd_setget(c, args, cmd.verb == MONPROTO_SET);
        break;
    case MONPROTO_SETVIEW:
    case MONPROTO_GETVIEW:
        cmd_setview(c, args, cmd.verb == MONPROTO_SETVIEW);
        break;
    case MONPROTO_CLEAR: {
        char *f[3];
        size_t nf = monproto_split(args, f, 3);

        if (nf == 3 && strcmp(f[0], "timers") == 0) {
            long i = svctab_find(m->tab, f[1], f[2]);

            if (i < 0) {
                srv_mon_out_str(c, "520 unknown group\n");
            } else {
                struct svc_state *st = svctab_state_mut(m->tab, (size_t)i);

                for (size_t p = 0; p < st->nperiods; p++) {
                    st->periods[p].last_alert_wall_ms = 0;
                    st->periods[p].alerts_sent = 0;
                    st->periods[p].nfail_times = 0;
                }
                srv_mon_out_str(c, "220 clear timers completed\n");
            }
        } else {
            srv_mon_out_str(c, "520 unknown clear command\n");
        }
        break;
    }
    case MONPROTO_STOP:
    case MONPROTO_START:
        /* mon: the scheduler holds checks (and drops alerts) while
         * clients are still served */
        svctab_set_paused(m->tab, cmd.verb == MONPROTO_STOP);
        log_info("client %s: %s", c->peer, monproto_verb_name(cmd.verb));
        srv_mon_out_fmt(c, "220 %s completed\n",
                        monproto_verb_name(cmd.verb));
        break;
    case MONPROTO_DUMP:
    default:
        srv_mon_out_str(c, "520 command could not be executed, unknown command\n");
        break;
    }
    free(args);
}

