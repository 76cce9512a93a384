/*
 * parse_moncf.c — mon 1.3's mon.cf grammar into the config model.
 *
 * Line by line, as mon's read_cf() does, in the same order of tests: a
 * global "name = value" (outside a watch), a blank line ending any block,
 * hostgroup, alias, view and watch blocks, and inside a watch service,
 * NAME=value, period and the service and period keywords.  Unlike mon,
 * which stops at the first error (and silently ignores some lines), every
 * error is collected with its exact position and parsing goes on; the
 * model is returned only if there was none.  References between objects
 * (view groups, depend services) are checked once the whole file is read,
 * then global defaults are applied to every service and relative paths
 * resolved (config_resolve_paths()).
 *
 * Where mon 1.3.6's code and its manual disagree the manual wins (a bare
 * `unack_summary` is accepted); keywords only its code knows (alias,
 * ackalert, disablealert, alertexitrange, alerts_dont_count, clientallow,
 * global exclude_period) are accepted too.
 */
#include "parse_moncf.h"

#include "moncf_parse.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depexpr.h"
#include "moncf_read.h"
#include "period.h"
#include "timeval.h"
#include "xalloc.h"

/* ---- globals ---------------------------------------------------------- */

enum gtype {
    G_STR, G_INT, G_TIME, G_BOOL, G_DEPB, G_PERIOD, G_UNACK, G_SIZE,
    G_AUTHTYPE, G_FACILITY, G_ABSDIR,
};

struct gdef {
    const char *name;
    enum gtype type;
    size_t off;
    long min, max;              /* G_INT bounds; G_TIME: min 1 = positive */
};

#define GOFF(f) offsetof(struct globals, f)
static const struct gdef gdefs[] = {
    {"alertdir", G_STR, GOFF(alertdir), 0, 0},
    {"mondir", G_STR, GOFF(mondir), 0, 0},
    {"statedir", G_STR, GOFF(statedir), 0, 0},
    {"logdir", G_STR, GOFF(logdir), 0, 0},
    {"basedir", G_ABSDIR, GOFF(basedir), 0, 0},
    {"cfbasedir", G_ABSDIR, GOFF(cfbasedir), 0, 0},
    {"authfile", G_STR, GOFF(authfile), 0, 0},
    {"authtype", G_AUTHTYPE, GOFF(authtype), 0, 0},
    {"userfile", G_STR, GOFF(userfile), 0, 0},
    {"pamservice", G_STR, GOFF(pamservice), 0, 0},
    {"serverbind", G_STR, GOFF(serverbind), 0, 0},
    {"serverport", G_INT, GOFF(serverport), 1, 65535},
    {"trapbind", G_STR, GOFF(trapbind), 0, 0},
    {"trapport", G_INT, GOFF(trapport), 1, 65535},
    {"pidfile", G_STR, GOFF(pidfile), 0, 0},
    {"maxprocs", G_INT, GOFF(maxprocs), 0, 100000},
    {"histlength", G_INT, GOFF(histlength), 0, 1000000},
    {"historicfile", G_STR, GOFF(historicfile), 0, 0},
    {"historictime", G_TIME, GOFF(historictime_ms), 0, 0},
    {"dtlogfile", G_STR, GOFF(dtlogfile), 0, 0},
    {"dtlogging", G_BOOL, GOFF(dtlogging), 0, 0},
    {"cltimeout", G_TIME, GOFF(cltimeout_ms), 1, 0},
    {"randstart", G_TIME, GOFF(randstart_ms), 0, 0},
    {"dep_recur_limit", G_INT, GOFF(dep_recur_limit), 1, 1000},
    {"dep_behavior", G_DEPB, GOFF(dep_behavior), 0, 0},
    {"dep_memory", G_TIME, GOFF(dep_memory_ms), 0, 0},
    {"syslog_facility", G_FACILITY, GOFF(syslog_facility), 0, 0},
    {"startupalerts_on_reset", G_BOOL, GOFF(startupalerts_on_reset), 0, 0},
    {"monerrfile", G_STR, GOFF(monerrfile), 0, 0},
    {"monremote", G_STR, GOFF(monremote), 0, 0},
    {"clientallow", G_STR, GOFF(clientallow), 0, 0},
    {"exclude_period", G_PERIOD, GOFF(exclude_period_spec), 0, 0},
    {"unack_summary", G_UNACK, GOFF(unack_summary), 0, 0},
    {"httpbind", G_STR, GOFF(httpbind), 0, 0},
    {"httpport", G_INT, GOFF(httpport), 0, 65535},
    {"http_read_access", G_STR, GOFF(http_read_access), 0, 0},
    {"monitor_timeout", G_TIME, GOFF(monitor_timeout_ms), 1, 0},
    {"alert_timeout", G_TIME, GOFF(alert_timeout_ms), 1, 0},
    {"alert_retry", G_TIME, GOFF(alert_retry_ms), 1, 0},
    {"alert_retry_max", G_TIME, GOFF(alert_retry_max_ms), 1, 0},
    {"alert_giveup", G_TIME, GOFF(alert_giveup_ms), 1, 0},
    {"output_max", G_SIZE, GOFF(output_max_bytes), 0, 0},
};

static const char *const facilities[] = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
    "uucp", "cron", "authpriv", "ftp", "local0", "local1", "local2",
    "local3", "local4", "local5", "local6", "local7",
};

/* "name = value" with name \w+ (mon's /^(\w+) \s* = \s* (.*)/x). */
static bool
is_global(const struct moncf_line *l, size_t *namelen, size_t *valoff)
{
    size_t i = 0;
    while (i < l->len
           && (moncf_is_tag_char(l->s[i]) && l->s[i] != '.' && l->s[i] != '-'))
        i++;
    if (i == 0)
        return false;
    size_t j = moncf_skip_blank(l, i);
    if (j >= l->len || l->s[j] != '=')
        return false;
    *namelen = i;
    *valoff = moncf_skip_blank(l, j + 1);
    return true;
}

static void
global_size(struct pstate *ps, const struct moncf_word *w, size_t *out)
{
    const struct moncf_line *l = ps->l;
    uint64_t v = 0, mul = 1;
    size_t i = 0, n = w->len;
    const char *s = l->s + w->off;
    while (i < n && s[i] >= '0' && s[i] <= '9' && v < (1u << 31))
        v = v * 10 + (uint64_t)(s[i++] - '0');
    if (i < n && i + 1 == n) {
        if (s[i] == 'k' || s[i] == 'K')
            mul = 1024;
        else if (s[i] == 'm' || s[i] == 'M')
            mul = 1024 * 1024;
        else
            mul = 0;
        i++;
    }
    v *= mul;
    if (i == 0 || i != n || mul == 0 || v < 1024 || v > (1u << 30)) {
        moncf_err(ps, w->off,
                  "output_max: found \"%.*s\", expected a size from "
                  "1k to 1024M (bytes, or with suffix k or M)",
                  WARG(l, *w));
        return;
    }
    *out = (size_t)v;
}

static void
parse_global(struct pstate *ps, size_t namelen, size_t valoff)
{
    const struct moncf_line *l = ps->l;
    const struct gdef *d = NULL;
    for (size_t i = 0; i < sizeof(gdefs) / sizeof(gdefs[0]); i++)
        if (strlen(gdefs[i].name) == namelen
            && memcmp(gdefs[i].name, l->s, namelen) == 0)
            d = &gdefs[i];
    if (d == NULL) {
        moncf_err(ps, 0,
                  "found \"%.*s\", expected a global variable name "
                  "(unknown variable)",
                  (int)namelen, l->s);
        return;
    }
    char *gp = (char *)&ps->cfg->g + d->off;
    struct moncf_word w;
    size_t nw = moncf_split(l, valoff, &w, 1);
    snprintf(ps->ctx, sizeof(ps->ctx), "%s", d->name);

    switch (d->type) {
    case G_STR:
    case G_ABSDIR:
    case G_AUTHTYPE:
    case G_FACILITY: {
        char **sp = (char **)(void *)gp;
        if (d->type == G_AUTHTYPE) {
            struct moncf_word ws[16];
            size_t n = moncf_split(l, valoff, ws, 16);
            if (n == 0) {
                moncf_err(ps, valoff,
                          "authtype: found end of line, expected "
                          "getpwnam, shadow, userfile, pam or trustlocal");
                return;
            }
            for (size_t i = 0; i < n && i < 16; i++)
                if (!moncf_weq(l, &ws[i], "getpwnam")
                    && !moncf_weq(l, &ws[i], "shadow")
                    && !moncf_weq(l, &ws[i], "userfile")
                    && !moncf_weq(l, &ws[i], "pam")
                    && !moncf_weq(l, &ws[i], "trustlocal")) {
                    moncf_err(ps, ws[i].off,
                              "authtype: found \"%.*s\", expected "
                              "getpwnam, shadow, userfile, pam or trustlocal",
                              WARG(l, ws[i]));
                    return;
                }
        }
        if (strcmp(d->name, "http_read_access") == 0
            && !(nw == 1 && (moncf_weq(l, &w, "loopback")
                             || moncf_weq(l, &w, "any")
                             || moncf_weq(l, &w, "login")))) {
            moncf_err(ps, valoff, "http_read_access: found \"%s\", "
                      "expected loopback, any or login", l->s + valoff);
            return;
        }
        if (d->type == G_FACILITY) {
            bool ok = false;
            for (size_t i = 0; i < sizeof(facilities) / sizeof(*facilities);
                 i++)
                if (nw == 1 && moncf_weq(l, &w, facilities[i]))
                    ok = true;
            if (!ok) {
                moncf_err(ps, valoff,
                          "syslog_facility: found \"%s\", expected a "
                          "syslog facility (daemon, local0 ... local7, ...)",
                          l->s + valoff);
                return;
            }
        }
        free(*sp);
        *sp = moncf_rest(l, valoff);
        if (d->type == G_ABSDIR && (*sp)[0] != '/' && (*sp)[0] != '\0') {
            /* mon: File::Spec->catdir(curdir, dir), i.e. "./dir". */
            char *t = xasprintf("./%s", *sp);
            free(*sp);
            *sp = t;
        }
        return;
    }
    default:
        break;
    }

    if (nw == 0 && d->type != G_UNACK) {
        moncf_err(ps, valoff, "%s: found end of line, expected a value",
                  d->name);
        return;
    }
    struct moncf_word ws[2];
    if (moncf_split(l, valoff, ws, 2) > 1 && d->type != G_PERIOD) {
        moncf_err(ps, ws[1].off, "%s: found \"%.*s\", expected end of line",
                  d->name, WARG(l, ws[1]));
        return;
    }
    switch (d->type) {
    case G_INT: {
        long v;
        if (moncf_word_uint(ps, &w, d->min, d->max, "a number", &v))
            *(int *)(void *)gp = (int)v;
        break;
    }
    case G_TIME: {
        int64_t ms;
        if (moncf_word_time(ps, &w, d->min > 0, &ms))
            *(int64_t *)(void *)gp = ms;
        break;
    }
    case G_BOOL:
    case G_UNACK: {
        int b = nw == 0 ? 1 : moncf_word_bool(l, &w);
        if (b < 0)
            moncf_err(ps, w.off, "%s: found \"%.*s\", expected yes or no",
                      d->name, WARG(l, w));
        else
            *(bool *)(void *)gp = b == 1;
        break;
    }
    case G_DEPB: {
        enum dep_behavior *db = (enum dep_behavior *)(void *)gp;
        if (moncf_weq(l, &w, "a"))
            *db = DEP_BEHAVIOR_ALERT;
        else if (moncf_weq(l, &w, "m"))
            *db = DEP_BEHAVIOR_MONITOR;
        else if (moncf_weq(l, &w, "hm"))
            *db = DEP_BEHAVIOR_HOST;
        else
            moncf_err(ps, w.off,
                      "dep_behavior: found \"%.*s\", expected a, m "
                      "or hm",
                      WARG(l, w));
        break;
    }
    case G_PERIOD: {
        struct globals *g = &ps->cfg->g;
        int ec = 0;
        const char *em = NULL;
        struct period *p = period_compile(l->s + valoff, &ec, &em);
        if (p == NULL) {
            moncf_err(ps, valoff + (size_t)(ec > 0 ? ec - 1 : 0),
                      "exclude_period: bad period: %s",
                      em ? em : "syntax error");
            break;
        }
        period_free(g->exclude_period);
        free(g->exclude_period_spec);
        g->exclude_period = p;
        g->exclude_period_spec = moncf_rest(l, valoff);
        break;
    }
    case G_SIZE:
        global_size(ps, &w, (size_t *)(void *)gp);
        break;
    default:
        break;
    }
}

/* ---- hostgroup, view, alias, watch ------------------------------------ */

static void
add_hosts(struct pstate *ps, struct hostgroup *g, size_t from)
{
    const struct moncf_line *l = ps->l;
    size_t n = moncf_split(l, from, NULL, 0);
    struct moncf_word *w = xcalloc(n + 1, sizeof(*w));
    (void)moncf_split(l, from, w, n);
    for (size_t i = 0; i < n; i++)
        moncf_push_str(&g->hosts, &g->nhosts, moncf_wstr(l, &w[i]));
    free(w);
}

/* "hostgroup NAME host..." */
static void
start_group(struct pstate *ps)
{
    const struct moncf_line *l = ps->l;
    struct config *cfg = ps->cfg;
    struct moncf_word w[2];
    size_t n = moncf_split(l, 0, w, 2);
    ps->blk = BLK_NONE;
    if (n < 2) {
        moncf_err(ps, l->len,
                  "found end of line, expected a hostgroup name "
                  "after \"hostgroup\"");
        return;
    }
    if (!moncf_is_tag(l, &w[1])) {
        moncf_err(ps, w[1].off,
                  "found \"%.*s\", expected a hostgroup name of "
                  "letters, digits, \"-\", \".\" or \"_\"",
                  WARG(l, w[1]));
        return;
    }
    char *name = moncf_wstr(l, &w[1]);
    struct hostgroup *g = config_find_group(cfg, name);
    if (g != NULL && g->implicit) {
        /* watch NAME came first and made a one-host group; mon replaces
         * it with the real definition. */
        free(name);
        for (size_t i = 0; i < g->nhosts; i++)
            free(g->hosts[i]);
        g->nhosts = 0;
        g->implicit = false;
    } else {
        if (g != NULL)
            moncf_err(ps, w[1].off,
                      "hostgroup %s defined twice (first at line "
                      "%d)",
                      name, g->line);
        cfg->groups = xrealloc(cfg->groups,
                               (cfg->ngroups + 1) * sizeof(*cfg->groups));
        g = &cfg->groups[cfg->ngroups++];
        memset(g, 0, sizeof(*g));
        g->name = name;
    }
    int col;
    moncf_pos(l, 0, &g->line, &col);
    ps->blk = BLK_GROUP;
    ps->cur = (size_t)(g - cfg->groups);
    add_hosts(ps, g, w[1].off + w[1].len);
}

/* A continuation line of a hostgroup: more hosts (mon(8)).  A line that
 * starts with a block keyword is almost surely a missing blank line, which
 * mon would silently turn into host names: reported, and false returned so
 * the caller reads the line as the start of that block. */
static bool
group_more(struct pstate *ps)
{
    const struct moncf_line *l = ps->l;
    struct moncf_word w;
    (void)moncf_split(l, 0, &w, 1);
    if (moncf_weq(l, &w, "watch") || moncf_weq(l, &w, "view")
        || moncf_weq(l, &w, "alias") || moncf_weq(l, &w, "service")) {
        moncf_err(ps, w.off,
                  "hostgroup %s: found \"%.*s\", expected host names; "
                  "a blank line must end a hostgroup",
                  ps->cfg->groups[ps->cur].name, WARG(l, w));
        ps->blk = BLK_NONE;
        return false;
    }
    add_hosts(ps, &ps->cfg->groups[ps->cur], 0);
    return true;
}

static void
add_view_groups(struct pstate *ps, size_t from)
{
    const struct moncf_line *l = ps->l;
    struct view *v = &ps->cfg->views[ps->cur];
    size_t n = moncf_split(l, from, NULL, 0);
    struct moncf_word *w = xcalloc(n + 1, sizeof(*w));
    (void)moncf_split(l, from, w, n);
    for (size_t i = 0; i < n; i++) {
        moncf_push_str(&v->groups, &v->ngroups, moncf_wstr(l, &w[i]));
        xgrow((void **)&ps->vn, &ps->cvn, ps->nvn + 1, sizeof(*ps->vn));
        struct view_note *vn = &ps->vn[ps->nvn++];
        vn->v = ps->cur;
        vn->group = moncf_wstr(l, &w[i]);
        vn->file = l->file;
        moncf_pos(l, w[i].off, &vn->line, &vn->col);
    }
    free(w);
}

/* "view NAME group..." */
static void
start_view(struct pstate *ps)
{
    const struct moncf_line *l = ps->l;
    struct config *cfg = ps->cfg;
    struct moncf_word w[2];
    size_t n = moncf_split(l, 0, w, 2);
    ps->blk = BLK_NONE;
    if (n < 2 || !moncf_is_tag(l, &w[1])) {
        if (n < 2)
            moncf_err(ps, l->len,
                      "found end of line, expected a view name "
                      "after \"view\"");
        else
            moncf_err(ps, w[1].off,
                      "found \"%.*s\", expected a view name of "
                      "letters, digits, \"-\", \".\" or \"_\"",
                      WARG(l, w[1]));
        return;
    }
    for (size_t i = 0; i < cfg->nviews; i++)
        if (moncf_weq(l, &w[1], cfg->views[i].name))
            moncf_err(ps, w[1].off, "view %s defined twice (first at line %d)",
                      cfg->views[i].name, cfg->views[i].line);
    cfg->views = xrealloc(cfg->views, (cfg->nviews + 1) * sizeof(*cfg->views));
    struct view *v = &cfg->views[cfg->nviews];
    memset(v, 0, sizeof(*v));
    v->name = moncf_wstr(l, &w[1]);
    v->line = l->line;
    ps->cur = cfg->nviews++;
    ps->blk = BLK_VIEW;
    add_view_groups(ps, w[1].off + w[1].len);
}

/* "alias NAME", then its lines as written (mon keeps them for mon.cgi). */
static void
start_alias(struct pstate *ps)
{
    const struct moncf_line *l = ps->l;
    struct config *cfg = ps->cfg;
    struct moncf_word w[3];
    size_t n = moncf_split(l, 0, w, 3);
    ps->blk = BLK_NONE;
    if (n < 2 || !moncf_is_tag(l, &w[1])) {
        moncf_err(ps, n < 2 ? l->len : w[1].off,
                  "found %s%.*s%s, expected an "
                  "alias name after \"alias\"",
                  n < 2 ? "end of line" : "\"", n < 2 ? 0 : (int)w[1].len,
                  n < 2 ? "" : l->s + w[1].off, n < 2 ? "" : "\"");
        return;
    }
    if (n > 2) {
        moncf_err(ps, w[2].off,
                  "alias: found \"%.*s\", expected end of line "
                  "after the alias name",
                  WARG(l, w[2]));
        return;
    }
    for (size_t i = 0; i < cfg->naliases; i++)
        if (moncf_weq(l, &w[1], cfg->aliases[i].name))
            moncf_err(ps, w[1].off, "alias %s defined twice (first at line %d)",
                      cfg->aliases[i].name, cfg->aliases[i].line);
    cfg->aliases = xrealloc(cfg->aliases,
                            (cfg->naliases + 1) * sizeof(*cfg->aliases));
    struct alias *a = &cfg->aliases[cfg->naliases];
    memset(a, 0, sizeof(*a));
    a->name = moncf_wstr(l, &w[1]);
    a->line = l->line;
    ps->cur = cfg->naliases++;
    ps->blk = BLK_ALIAS;
}

/* "watch NAME": NAME is a hostgroup, or becomes one holding host NAME. */
static void
start_watch(struct pstate *ps)
{
    const struct moncf_line *l = ps->l;
    struct config *cfg = ps->cfg;
    struct moncf_word w[3];
    size_t n = moncf_split(l, 0, w, 3);
    ps->blk = BLK_NONE;
    ps->in_service = ps->in_period = false;
    ps->svc = 0;
    if (n < 2) {
        moncf_err(ps, l->len,
                  "found end of line, expected a hostgroup name "
                  "after \"watch\"");
        return;
    }
    if (!moncf_is_tag(l, &w[1])) {
        moncf_err(ps, w[1].off,
                  "found \"%.*s\", expected a hostgroup name of "
                  "letters, digits, \"-\", \".\" or \"_\"",
                  WARG(l, w[1]));
        return;
    }
    if (n > 2)
        moncf_warn(ps, w[2].off,
                   "watch %.*s: \"%.*s\" and the rest of the line "
                   "ignored (as mon does)",
                   WARG(l, w[1]), WARG(l, w[2]));
    char *name = moncf_wstr(l, &w[1]);
    struct watch *old = config_find_watch(cfg, name);
    if (old != NULL)
        moncf_err(ps, w[1].off, "watch %s defined twice (first at line %d)",
                  name, old->line);
    if (config_find_group(cfg, name) == NULL) {
        cfg->groups = xrealloc(cfg->groups,
                               (cfg->ngroups + 1) * sizeof(*cfg->groups));
        struct hostgroup *g = &cfg->groups[cfg->ngroups++];
        memset(g, 0, sizeof(*g));
        g->name = xstrdup(name);
        g->implicit = true;
        g->line = l->line;
        moncf_push_str(&g->hosts, &g->nhosts, xstrdup(name));
    }
    cfg->watches = xrealloc(cfg->watches,
                            (cfg->nwatches + 1) * sizeof(*cfg->watches));
    struct watch *wt = &cfg->watches[cfg->nwatches];
    memset(wt, 0, sizeof(*wt));
    wt->name = name;
    wt->line = l->line;
    ps->cur = cfg->nwatches++;
    ps->blk = BLK_WATCH;
    moncf_set_ctx(ps);
}

/* ---- driver ----------------------------------------------------------- */

static void
parse_line(struct pstate *ps)
{
    const struct moncf_line *l = ps->l;
    size_t namelen, valoff;

    if (l->len == 0) {
        ps->blk = BLK_NONE;
        ps->in_service = ps->in_period = false;
        return;
    }
    if (ps->blk != BLK_WATCH && is_global(l, &namelen, &valoff)) {
        parse_global(ps, namelen, valoff);
        ps->ctx[0] = '\0';
        return;
    }
    struct moncf_word w;
    (void)moncf_split(l, 0, &w, 1);
    if (moncf_weq(l, &w, "hostgroup")) {
        start_group(ps);
    } else if (ps->blk == BLK_GROUP && group_more(ps)) {
        /* more hosts; on a block keyword, reported, then read as one */
    } else if (moncf_weq(l, &w, "alias")) {
        start_alias(ps);
    } else if (ps->blk == BLK_ALIAS) {
        struct alias *a = &ps->cfg->aliases[ps->cur];
        moncf_push_str(&a->lines, &a->nlines, xstrdup(l->s));
    } else if (moncf_weq(l, &w, "view")) {
        start_view(ps);
    } else if (ps->blk == BLK_VIEW) {
        add_view_groups(ps, 0);
    } else if (moncf_weq(l, &w, "watch")) {
        start_watch(ps);
    } else if (ps->blk == BLK_WATCH) {
        moncf_watch_line(ps);
    } else {
        moncf_err(ps, w.off,
                  "found \"%.*s\", expected a global variable "
                  "(name = value), hostgroup, view, alias or watch%s",
                  WARG(l, w),
                  moncf_weq(l, &w, "service") || moncf_weq(l, &w, "period")
                      ? " (a blank line ends a watch)"
                      : "");
    }
}

static void
finish(struct pstate *ps)
{
    struct config *cfg = ps->cfg;
    struct globals *g = &cfg->g;

    for (size_t i = 0; i < cfg->nwatches; i++) {
        struct watch *w = &cfg->watches[i];
        w->group = config_find_group(cfg, w->name);
        for (size_t j = 0; j < w->nservices; j++)
            w->services[j].watch = w;
    }
    for (size_t i = 0; i < ps->nvn; i++) {
        struct view_note *vn = &ps->vn[i];
        if (config_find_group(cfg, vn->group) == NULL)
            diag_add(ps->errs, DIAG_ERROR, vn->file ? vn->file : ps->file,
                     vn->line, vn->col,
                     "view %s: hostgroup %s is not defined",
                     cfg->views[vn->v].name, vn->group);
    }
    for (size_t i = 0; i < ps->nrn; i++) {
        struct ref_note *rn = &ps->rn[i];
        struct watch *w = &cfg->watches[rn->w];
        if (config_find_service(cfg, rn->group, rn->service) == NULL)
            diag_add(ps->errs, DIAG_ERROR, rn->file ? rn->file : ps->file,
                     rn->line, rn->col,
                     "watch %s service %s: %s refers to %s:%s, which is not "
                     "defined", w->name, w->services[rn->s].name, rn->kw,
                     rn->group, rn->service);
    }
    for (size_t i = 0; i < ps->nsn; i++) {
        struct svc_note *sn = &ps->sn[i];
        struct watch *w = &cfg->watches[sn->w];
        struct service *s = &w->services[sn->s];
        if (!s->has_dep_behavior)
            s->dep_behavior = g->dep_behavior;
        if (!(sn->set & SET_DEP_MEMORY))
            s->dep_memory_ms = g->dep_memory_ms;
        if (!(sn->set & SET_UNACK))
            s->unack_summary = g->unack_summary;
        if (!(sn->set & SET_MONITOR_TIMEOUT))
            s->monitor_timeout_ms = g->monitor_timeout_ms;
        if (s->monitor_argv == NULL && s->traptimeout_ms == 0)
            diag_add(&cfg->warnings, DIAG_WARNING, ps->file, s->line, 0,
                     "watch %s service %s has no monitor and no "
                     "traptimeout: only traps change its state",
                     w->name, s->name);
        else if (s->monitor_argv != NULL && s->interval_ms == 0)
            diag_add(&cfg->warnings, DIAG_WARNING, ps->file, s->line, 0,
                     "watch %s service %s has a monitor but no interval: "
                     "the monitor never runs (as in mon)", w->name, s->name);
    }
    for (size_t i = 0; i < cfg->ngroups; i++) {
        const char *name = cfg->groups[i].name;
        bool used = config_find_watch(cfg, name) != NULL;
        for (size_t v = 0; !used && v < cfg->nviews; v++)
            for (size_t k = 0; k < cfg->views[v].ngroups; k++)
                if (strcmp(cfg->views[v].groups[k], name) == 0)
                    used = true;
        if (!used)
            diag_add(&cfg->warnings, DIAG_WARNING, ps->file,
                     cfg->groups[i].line, 0,
                     "hostgroup %s has no watch assigned to it", name);
    }
    config_resolve_paths(g);
}

static void
pstate_fini(struct pstate *ps)
{
    free(ps->svc_slots);
    free(ps->sn);
    for (size_t i = 0; i < ps->nrn; i++) {
        free(ps->rn[i].group);
        free(ps->rn[i].service);
    }
    free(ps->rn);
    for (size_t i = 0; i < ps->nvn; i++)
        free(ps->vn[i].group);
    free(ps->vn);
}

static size_t
nerrors(const struct diag_list *errs)
{
    return diag_count(errs, DIAG_ERROR) + errs->dropped;
}

static struct config *
parse_src(const char *name, struct moncf_src *src, struct diag_list *errs)
{
    struct config *cfg = xmalloc(sizeof(*cfg));
    struct moncf_line l;
    struct pstate ps;
    size_t before = nerrors(errs);

    config_init(cfg);
    cfg->path = xstrdup(name);
    memset(&ps, 0, sizeof(ps));
    ps.cfg = cfg;
    ps.errs = errs;
    ps.file = name;
    ps.l = &l;
    moncf_line_init(&l);
    while (moncf_next_line(src, &l))
        parse_line(&ps);
    finish(&ps);
    moncf_line_fini(&l);
    pstate_fini(&ps);
    if (nerrors(errs) > before) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

struct config *
parse_moncf(const char *path, bool use_m4, struct diag_list *errs)
{
    struct moncf_src src;
    if (moncf_src_open(&src, path, use_m4, errs) < 0)
        return NULL;
    struct config *cfg = parse_src(path, &src, errs);
    moncf_src_fini(&src);
    return cfg;
}

struct config *
parse_moncf_buffer(const char *name, const char *text, size_t len,
                   struct diag_list *errs)
{
    struct moncf_src src;
    moncf_src_from_buffer(&src, text, len);
    struct config *cfg = parse_src(name, &src, errs);
    moncf_src_fini(&src);
    return cfg;
}

/* ---- incremental use (the YAML front-end) ------------------------------ */

struct moncf_parser {
    struct pstate ps;
    size_t before;
};

struct moncf_parser *
moncf_parser_new(const char *name, struct diag_list *errs)
{
    struct moncf_parser *p = xcalloc(1, sizeof(*p));
    struct config *cfg = xmalloc(sizeof(*cfg));

    config_init(cfg);
    cfg->path = xstrdup(name);
    p->ps.cfg = cfg;
    p->ps.errs = errs;
    p->ps.file = cfg->path;
    p->before = nerrors(errs);
    return p;
}

void
moncf_parser_feed(struct moncf_parser *p, struct moncf_line *l,
                  const char *keypath)
{
    p->ps.l = l;
    p->ps.keypath = keypath;
    parse_line(&p->ps);
    p->ps.keypath = NULL;
}

struct config *
moncf_parser_finish(struct moncf_parser *p)
{
    struct config *cfg = p->ps.cfg;
    struct diag_list *errs = p->ps.errs;

    finish(&p->ps);
    pstate_fini(&p->ps);
    size_t before = p->before;
    free(p);
    if (nerrors(errs) > before) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}
