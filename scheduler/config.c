/*
 * config.c — the configuration model: defaults, the one function that
 * frees every member, lookups, the canonical dump, the summary line,
 * path resolution and the program look-up of `mond -t`.
 *
 * config_load() picks the front-end by file name; the front-ends fill the
 * model and call nothing here but config_init() and config_resolve_paths().
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depexpr.h"
#include "parse_moncf.h"
#include "parse_yaml.h"
#include "strmap.h"
#include "period.h"
#include "xalloc.h"

void
config_init(struct config *cfg)
{
    struct globals *g = &cfg->g;

    memset(cfg, 0, sizeof(*cfg));
    diag_list_init(&cfg->warnings);
    /* mon 1.3.6 init_cf_globals(), without its probing of the file
     * system: the model is pure, so the Debian locations are fixed. */
    g->basedir = xstrdup("/usr/lib/mon");
    g->cfbasedir = xstrdup("/etc/mon");
    g->mondir = xstrdup("mon.d");
    g->alertdir = xstrdup("alert.d");
    g->statedir = xstrdup("/var/lib/mon");
    g->logdir = xstrdup("/var/log/mon");
    g->authfile = xstrdup("auth.cf");
    g->authtype = xstrdup("getpwnam");
    g->userfile = xstrdup("monusers.cf");
    g->pamservice = xstrdup("passwd");
    g->serverbind = xstrdup("127.0.0.1");
    g->serverport = 2583;
    g->trapbind = xstrdup("127.0.0.1");
    g->trapport = 2583;
    g->pidfile = NULL;          /* mond picks its default (mond -P) */
    g->maxprocs = 0;
    g->histlength = 100;
    g->historicfile = NULL;
    g->historictime_ms = 0;
    g->dtlogfile = xstrdup("downtime.log");
    g->dtlogging = false;
    g->cltimeout_ms = 30 * 1000;
    g->randstart_ms = 0;
    g->dep_recur_limit = 10;
    g->dep_behavior = DEP_BEHAVIOR_ALERT;
    g->dep_memory_ms = 0;
    g->syslog_facility = xstrdup("daemon");
    g->startupalerts_on_reset = false;
    g->monerrfile = xstrdup("/dev/null");
    g->monremote = NULL;
    g->clientallow = NULL;
    g->unack_summary = false;
    g->httpbind = xstrdup("127.0.0.1");
    g->httpport = 2584;
    g->http_read_access = xstrdup("loopback");
    g->monitor_timeout_ms = 0;
    g->alert_timeout_ms = 60 * 1000;
    g->alert_retry_ms = 30 * 1000;
    g->alert_retry_max_ms = 30 * 60 * 1000;
    g->alert_giveup_ms = 24 * 3600 * 1000LL;
    g->output_max_bytes = 64 * 1024;
}

static void
free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void
free_alerts(struct alert_def *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free_strv(a[i].argv, a[i].argc);
    free(a);
}

static void
free_service(struct service *s)
{
    free(s->name);
    free_strv(s->monitor_argv, s->monitor_argc);
    free(s->description);
    free_strv(s->exclude_hosts, s->nexclude_hosts);
    free(s->exclude_period_spec);
    period_free(s->exclude_period);
    free(s->depend);
    free(s->alertdepend);
    free(s->monitordepend);
    free(s->hostdepend);
    depexpr_free(s->depend_expr);
    depexpr_free(s->alertdepend_expr);
    depexpr_free(s->monitordepend_expr);
    depexpr_free(s->hostdepend_expr);
    free_strv(s->redistribute_argv, s->redistribute_argc);
    for (size_t i = 0; i < s->nenv; i++) {
        free(s->env[i].name);
        free(s->env[i].value);
    }
    free(s->env);
    for (size_t i = 0; i < s->nperiods; i++) {
        struct period_def *p = &s->periods[i];
        free(p->label);
        free(p->spec);
        period_free(p->compiled);
        free_alerts(p->alerts, p->nalerts);
        free_alerts(p->ackalerts, p->nackalerts);
        free_alerts(p->disablealerts, p->ndisablealerts);
    }
    free(s->periods);
}

void
config_fini(struct config *cfg)
{
    struct globals *g = &cfg->g;

    free(cfg->path);
    free(g->alertdir);
    free(g->mondir);
    free(g->statedir);
    free(g->logdir);
    free(g->basedir);
    free(g->cfbasedir);
    free(g->authfile);
    free(g->authtype);
    free(g->userfile);
    free(g->pamservice);
    free(g->serverbind);
    free(g->trapbind);
    free(g->pidfile);
    free(g->historicfile);
    free(g->dtlogfile);
    free(g->syslog_facility);
    free(g->monerrfile);
    free(g->monremote);
    free(g->clientallow);
    free(g->exclude_period_spec);
    period_free(g->exclude_period);
    free(g->httpbind);
    free(g->http_read_access);
    for (size_t i = 0; i < cfg->ngroups; i++) {
        free(cfg->groups[i].name);
        free_strv(cfg->groups[i].hosts, cfg->groups[i].nhosts);
    }
    free(cfg->groups);
    for (size_t i = 0; i < cfg->nviews; i++) {
        free(cfg->views[i].name);
        free_strv(cfg->views[i].groups, cfg->views[i].ngroups);
    }
    free(cfg->views);
    for (size_t i = 0; i < cfg->naliases; i++) {
        free(cfg->aliases[i].name);
        free_strv(cfg->aliases[i].lines, cfg->aliases[i].nlines);
    }
    free(cfg->aliases);
    for (size_t i = 0; i < cfg->nwatches; i++) {
        struct watch *w = &cfg->watches[i];
        free(w->name);
        for (size_t j = 0; j < w->nservices; j++)
            free_service(&w->services[j]);
        free(w->services);
    }
    free(cfg->watches);
    diag_list_fini(&cfg->warnings);
    memset(cfg, 0, sizeof(*cfg));
}

void
config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    config_fini(cfg);
    free(cfg);
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

struct config *
config_load(const char *path, bool use_m4, struct diag_list *errs)
{
    if (ends_with(path, ".yaml") || ends_with(path, ".yml")) {
        (void)use_m4;           /* m4 is a mon.cf habit; YAML has anchors */
        return parse_yaml(path, errs);
    }
    return parse_moncf(path, use_m4 || ends_with(path, ".m4"), errs);
}

struct hostgroup *
config_find_group(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ngroups; i++)
        if (strcmp(cfg->groups[i].name, name) == 0)
            return &cfg->groups[i];
    return NULL;
}

struct watch *
config_find_watch(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nwatches; i++)
        if (strcmp(cfg->watches[i].name, name) == 0)
            return &cfg->watches[i];
    return NULL;
}

struct service *
config_find_service(const struct config *cfg, const char *watch,
                    const char *service)
{
    struct watch *w = config_find_watch(cfg, watch);
    if (w == NULL)
        return NULL;
    for (size_t i = 0; i < w->nservices; i++)
        if (strcmp(w->services[i].name, service) == 0)
            return &w->services[i];
    return NULL;
}

int64_t
config_monitor_timeout_ms(const struct service *s)
{
    const int64_t cap = 5 * 60 * 1000;

    if (s->monitor_timeout_ms > 0)
        return s->monitor_timeout_ms;
    if (s->interval_ms > 0 && s->interval_ms < cap)
        return s->interval_ms;
    return cap;
}

/* ---- paths ------------------------------------------------------------ */

/* dir/name unless name is absolute (or dir unset).  Takes *p. */
static void
resolve_one(char **p, const char *dir)
{
    if (*p == NULL || (*p)[0] == '/' || (*p)[0] == '\0' || dir == NULL)
        return;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    char *r = xasprintf("%.*s/%s", (int)n, dir, *p);
    free(*p);
    *p = r;
}

/* Each entry of a colon-separated list: trailing "/" dropped, relative
 * entries joined to basedir (mon's normalize_paths()). */
static void
resolve_list(char **p, const char *basedir)
{
    if (*p == NULL)
        return;
    size_t cap = strlen(*p) * 2 + strlen(basedir) * 8 + 64, len = 0;
    char *out = xmalloc(cap);
    const char *s = *p;
    out[0] = '\0';
    for (;;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        while (n > 1 && s[n - 1] == '/')
            n--;
        char *entry = xstrndup(s, n);
        resolve_one(&entry, basedir);
        size_t need = len + strlen(entry) + 2;
        if (need > cap) {
            cap = need * 2;
            out = xrealloc(out, cap);
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s",
                                len ? ":" : "", entry);
        free(entry);
        if (e == NULL)
            break;
        s = e + 1;
    }
    free(*p);
    *p = out;
}

void
config_resolve_paths(struct globals *g)
{
    resolve_one(&g->statedir, g->basedir);
    resolve_one(&g->logdir, g->basedir);
    resolve_one(&g->authfile, g->cfbasedir);
    resolve_one(&g->userfile, g->cfbasedir);
    resolve_one(&g->dtlogfile, g->logdir);
    resolve_one(&g->historicfile, g->logdir);
    resolve_list(&g->mondir, g->basedir ? g->basedir : ".");
    resolve_list(&g->alertdir, g->basedir ? g->basedir : ".");
}

/* ---- dump ------------------------------------------------------------- */

struct sbuf {
    char *s;
    size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *t = xvasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(t);
    xgrow((void **)&b->s, &b->cap, b->len + n + 1, 1);
    memcpy(b->s + b->len, t, n + 1);
    b->len += n;
    free(t);
}

/* A string in double quotes with \" \\ \n \t and \xNN escapes, or
 * "(unset)" for NULL, so a dump line is unambiguous. */
static void
sb_str(struct sbuf *b, const char *s)
{
    if (s == NULL) {
        sb_printf(b, "(unset)");
        return;
    }
    sb_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(b, "\\%c", *p);
        else if (*p == '\n')
            sb_printf(b, "\\n");
        else if (*p == '\t')
            sb_printf(b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            sb_printf(b, "\\x%02x", *p);
        else
            sb_printf(b, "%c", *p);
    }
    sb_printf(b, "\"");
}

static void
sb_strv(struct sbuf *b, char **v, size_t n)
{
    sb_printf(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_printf(b, " ");
        sb_str(b, v[i]);
    }
    sb_printf(b, "]");
}

static void
sb_key_str(struct sbuf *b, const char *ind, const char *key, const char *v)
{
    sb_printf(b, "%s%s ", ind, key);
    sb_str(b, v);
    sb_printf(b, "\n");
}

static void
sb_key_ms(struct sbuf *b, const char *ind, const char *key, int64_t ms)
{
    sb_printf(b, "%s%s %lld\n", ind, key, (long long)ms);
}

static const char *
dep_behavior_name(enum dep_behavior d)
{
    switch (d) {
    case DEP_BEHAVIOR_ALERT:
        return "a";
    case DEP_BEHAVIOR_MONITOR:
        return "m";
    case DEP_BEHAVIOR_HOST:
        return "hm";
    }
    return "?";
}

static const char *
alertevery_mode_name(enum alertevery_mode m)
{
    switch (m) {
    case ALERTEVERY_SUMMARY:
        return "summary";
    case ALERTEVERY_OBSERVE_DETAIL:
        return "observe_detail";
    case ALERTEVERY_STRICT:
        return "strict";
    }
    return "?";
}

static const char *
alert_kind_name(enum alert_kind k)
{
    switch (k) {
    case ALERT_KIND_ALERT:
        return "alert";
    case ALERT_KIND_UPALERT:
        return "upalert";
    case ALERT_KIND_STARTUP:
        return "startupalert";
    }
    return "?";
}

static void
dump_alerts(struct sbuf *b, const char *kind, const struct alert_def *a,
            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sb_printf(b, "      %s", kind ? kind : alert_kind_name(a[i].kind));
        if (a[i].has_exit_range)
            sb_printf(b, " exit=%d-%d", a[i].exit_min, a[i].exit_max);
        sb_printf(b, " ");
        sb_strv(b, a[i].argv, a[i].argc);
        sb_printf(b, "\n");
    }
}

static void
dump_dep(struct sbuf *b, const char *key, const char *text,
         const struct depexpr *e)
{
    if (text == NULL)
        return;
    sb_printf(b, "    %s ", key);
    sb_str(b, text);
    sb_printf(b, " evaluable=%d refs=[", e ? depexpr_is_evaluable(e) : 0);
    size_t n = e ? depexpr_nrefs(e) : 0;
    for (size_t i = 0; i < n; i++) {
        struct depref r = depexpr_ref(e, i);
        sb_printf(b, "%s%s:%s", i ? " " : "", r.group, r.service);
    }
    sb_printf(b, "]\n");
}

static void
dump_service(struct sbuf *b, const struct service *s)
{
    const char *in = "    ";

    sb_printf(b, "  service ");
    sb_str(b, s->name);
    sb_printf(b, "\n");
    sb_key_ms(b, in, "interval_ms", s->interval_ms);
    sb_key_ms(b, in, "randskew_ms", s->randskew_ms);
    sb_key_ms(b, in, "failure_interval_ms", s->failure_interval_ms);
    sb_key_ms(b, in, "monitor_timeout_ms", s->monitor_timeout_ms);
    sb_printf(b, "%smonitor ", in);
    if (s->monitor_argv)
        sb_strv(b, s->monitor_argv, s->monitor_argc);
    else
        sb_printf(b, "(unset)");
    sb_printf(b, " no_hosts=%d\n", s->monitor_no_hosts);
    sb_printf(b, "%sallow_empty_group %d\n", in, s->allow_empty_group);
    sb_key_str(b, in, "description", s->description);
    sb_printf(b, "%sexclude_hosts ", in);
    sb_strv(b, s->exclude_hosts, s->nexclude_hosts);
    sb_printf(b, "\n");
    sb_key_str(b, in, "exclude_period", s->exclude_period_spec);
    dump_dep(b, "depend", s->depend, s->depend_expr);
    dump_dep(b, "alertdepend", s->alertdepend, s->alertdepend_expr);
    dump_dep(b, "monitordepend", s->monitordepend, s->monitordepend_expr);
    dump_dep(b, "hostdepend", s->hostdepend, s->hostdepend_expr);
    sb_printf(b, "%sdep_behavior %s%s\n", in,
              dep_behavior_name(s->dep_behavior),
              s->has_dep_behavior ? " (set)" : "");
    sb_key_ms(b, in, "dep_memory_ms", s->dep_memory_ms);
    sb_key_ms(b, in, "traptimeout_ms", s->traptimeout_ms);
    sb_key_ms(b, in, "trapduration_ms", s->trapduration_ms);
    sb_printf(b, "%sredistribute ", in);
    if (s->redistribute_argv)
        sb_strv(b, s->redistribute_argv, s->redistribute_argc);
    else
        sb_printf(b, "(unset)");
    sb_printf(b, "\n");
    sb_printf(b, "%sunack_summary %d\n", in, s->unack_summary);
    for (size_t i = 0; i < s->nenv; i++) {
        sb_printf(b, "%senv %s=", in, s->env[i].name);
        sb_str(b, s->env[i].value);
        sb_printf(b, "\n");
    }
    for (size_t i = 0; i < s->nperiods; i++) {
        const struct period_def *p = &s->periods[i];
        sb_printf(b, "    period label=");
        sb_str(b, p->label);
        sb_printf(b, " spec=");
        sb_str(b, p->spec);
        sb_printf(b, "\n");
        const char *pi = "      ";
        sb_printf(b, "%salertevery_ms %lld %s\n", pi,
                  (long long)p->alertevery_ms,
                  alertevery_mode_name(p->alertevery_mode));
        sb_printf(b, "%salertafter count=%d within_ms=%lld\n", pi,
                  p->alertafter_count, (long long)p->alertafter_within_ms);
        sb_printf(b, "%snumalerts %d\n", pi, p->numalerts);
        sb_printf(b, "%sno_comp_alerts %d\n", pi, p->no_comp_alerts);
        sb_key_ms(b, pi, "upalertafter_ms", p->upalertafter_ms);
        if (p->has_exit_range)
            sb_printf(b, "%salertexitrange %d-%d\n", pi, p->exit_min,
                      p->exit_max);
        sb_printf(b, "%salerts_dont_count %d\n", pi, p->alerts_dont_count);
        dump_alerts(b, NULL, p->alerts, p->nalerts);
        dump_alerts(b, "ackalert", p->ackalerts, p->nackalerts);
        dump_alerts(b, "disablealert", p->disablealerts, p->ndisablealerts);
    }
}

char *
config_dump(const struct config *cfg)
{
    struct sbuf b = {0};
    const struct globals *g = &cfg->g;
    const char *in = "";

    sb_printf(&b, "mond-config-dump 1\n");
    sb_key_str(&b, in, "alertdir", g->alertdir);
    sb_key_str(&b, in, "mondir", g->mondir);
    sb_key_str(&b, in, "statedir", g->statedir);
    sb_key_str(&b, in, "logdir", g->logdir);
    sb_key_str(&b, in, "basedir", g->basedir);
    sb_key_str(&b, in, "cfbasedir", g->cfbasedir);
    sb_key_str(&b, in, "authfile", g->authfile);
    sb_key_str(&b, in, "authtype", g->authtype);
    sb_key_str(&b, in, "userfile", g->userfile);
    sb_key_str(&b, in, "pamservice", g->pamservice);
    sb_key_str(&b, in, "serverbind", g->serverbind);
    sb_printf(&b, "serverport %d\n", g->serverport);
    sb_key_str(&b, in, "trapbind", g->trapbind);
    sb_printf(&b, "trapport %d\n", g->trapport);
    sb_key_str(&b, in, "pidfile", g->pidfile);
    sb_printf(&b, "maxprocs %d\n", g->maxprocs);
    sb_printf(&b, "histlength %d\n", g->histlength);
    sb_key_str(&b, in, "historicfile", g->historicfile);
    sb_key_ms(&b, in, "historictime_ms", g->historictime_ms);
    sb_key_str(&b, in, "dtlogfile", g->dtlogfile);
    sb_printf(&b, "dtlogging %d\n", g->dtlogging);
    sb_key_ms(&b, in, "cltimeout_ms", g->cltimeout_ms);
    sb_key_ms(&b, in, "randstart_ms", g->randstart_ms);
    sb_printf(&b, "dep_recur_limit %d\n", g->dep_recur_limit);
    sb_printf(&b, "dep_behavior %s\n", dep_behavior_name(g->dep_behavior));
    sb_key_ms(&b, in, "dep_memory_ms", g->dep_memory_ms);
    sb_key_str(&b, in, "syslog_facility", g->syslog_facility);
    sb_printf(&b, "startupalerts_on_reset %d\n", g->startupalerts_on_reset);
    sb_key_str(&b, in, "monerrfile", g->monerrfile);
    sb_key_str(&b, in, "monremote", g->monremote);
    sb_key_str(&b, in, "clientallow", g->clientallow);
    sb_key_str(&b, in, "exclude_period", g->exclude_period_spec);
    sb_printf(&b, "unack_summary %d\n", g->unack_summary);
    sb_key_str(&b, in, "httpbind", g->httpbind);
    sb_printf(&b, "httpport %d\n", g->httpport);
    sb_key_str(&b, in, "http_read_access", g->http_read_access);
    sb_key_ms(&b, in, "monitor_timeout_ms", g->monitor_timeout_ms);
    sb_key_ms(&b, in, "alert_timeout_ms", g->alert_timeout_ms);
    sb_key_ms(&b, in, "alert_retry_ms", g->alert_retry_ms);
    sb_key_ms(&b, in, "alert_retry_max_ms", g->alert_retry_max_ms);
    sb_key_ms(&b, in, "alert_giveup_ms", g->alert_giveup_ms);
    sb_printf(&b, "output_max_bytes %zu\n", g->output_max_bytes);

    for (size_t i = 0; i < cfg->ngroups; i++) {
        sb_printf(&b, "hostgroup ");
        sb_str(&b, cfg->groups[i].name);
        sb_printf(&b, "%s ", cfg->groups[i].implicit ? " implicit" : "");
        sb_strv(&b, cfg->groups[i].hosts, cfg->groups[i].nhosts);
        sb_printf(&b, "\n");
    }
    for (size_t i = 0; i < cfg->nviews; i++) {
        sb_printf(&b, "view ");
        sb_str(&b, cfg->views[i].name);
        sb_printf(&b, " ");
        sb_strv(&b, cfg->views[i].groups, cfg->views[i].ngroups);
        sb_printf(&b, "\n");
    }
    for (size_t i = 0; i < cfg->naliases; i++) {
        sb_printf(&b, "alias ");
        sb_str(&b, cfg->aliases[i].name);
        sb_printf(&b, " ");
        sb_strv(&b, cfg->aliases[i].lines, cfg->aliases[i].nlines);
        sb_printf(&b, "\n");
    }
    for (size_t i = 0; i < cfg->nwatches; i++) {
        const struct watch *w = &cfg->watches[i];
        sb_printf(&b, "watch ");
        sb_str(&b, w->name);
        sb_printf(&b, " group=");
        sb_str(&b, w->group ? w->group->name : NULL);
        sb_printf(&b, "\n");
        for (size_t j = 0; j < w->nservices; j++)
            dump_service(&b, &w->services[j]);
    }
    return b.s;
}

char *
config_summary(const struct config *cfg)
{
    size_t nserv = 0;
    for (size_t i = 0; i < cfg->nwatches; i++)
        nserv += cfg->watches[i].nservices;
    return xasprintf("configuration OK: %zu hostgroup%s, %zu watch%s, "
                     "%zu service%s",
                     cfg->ngroups, cfg->ngroups == 1 ? "" : "s",
                     cfg->nwatches, cfg->nwatches == 1 ? "" : "es",
                     nserv, nserv == 1 ? "" : "s");
}

/* ---- program look-up -------------------------------------------------- */

static bool
is_executable_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode)
           && access(path, X_OK) == 0;
}

/* Is prog an executable file in one of the colon-separated dirs?  A name
 * with a "/" is taken as it is (as the daemon's look-up does). */
static bool
find_program(const char *dirs, const char *prog)
{
    if (strchr(prog, '/') != NULL)
        return is_executable_file(prog);
    if (dirs == NULL)
        return false;
    const char *s = dirs;
    for (;;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *p = xasprintf("%.*s/%s", (int)n, s, prog);
        bool ok = n > 0 && is_executable_file(p);
        free(p);
        if (ok)
            return true;
        if (e == NULL)
            return false;
        s = e + 1;
    }
}

/*
 * Programs already looked up, so that 10,000 services of one monitor cost
 * one look-up, not 10,000: keyed "dirs\nname", the value says found (2)
 * or not (1).
 */
static bool
find_program_memo(struct strmap *m, const char *dirs, const char *prog)
{
    char *key = xasprintf("%s\n%s", dirs != NULL ? dirs : "", prog);
    struct strmap_ent *e = strmap_get(m, key);

    free(key);
    if (e->val == NULL)
        e->val = (void *)(uintptr_t)(find_program(dirs, prog) ? 2 : 1);
    return (uintptr_t)e->val == 2;
}

static void
check_alerts(const struct config *cfg, struct diag_list *warnings,
             struct strmap *memo, const struct watch *w,
             const struct service *s, const struct alert_def *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].argc == 0 ||
            find_program_memo(memo, cfg->g.alertdir, a[i].argv[0]))
            continue;
        diag_add(warnings, DIAG_WARNING, cfg->path, a[i].line, a[i].col,
                 "watch %s service %s: alert %s not found in alertdir %s",
                 w->name, s->name, a[i].argv[0], cfg->g.alertdir);
    }
}

void
config_check_programs(const struct config *cfg, struct diag_list *warnings)
{
    struct strmap memo = STRMAP_INIT;

    for (size_t i = 0; i < cfg->nwatches; i++) {
        const struct watch *w = &cfg->watches[i];
        for (size_t j = 0; j < w->nservices; j++) {
            const struct service *s = &w->services[j];
            if (s->monitor_argc > 0
                && !find_program_memo(&memo, cfg->g.mondir,
                                      s->monitor_argv[0]))
                diag_add(warnings, DIAG_WARNING, cfg->path, s->monitor_line,
                         0, "watch %s service %s: monitor %s not found in "
                         "mondir %s", w->name, s->name, s->monitor_argv[0],
                         cfg->g.mondir);
            if (s->redistribute_argc > 0
                && !find_program_memo(&memo, cfg->g.alertdir,
                                      s->redistribute_argv[0]))
                diag_add(warnings, DIAG_WARNING, cfg->path, s->line, 0,
                         "watch %s service %s: redistribute alert %s not "
                         "found in alertdir %s", w->name, s->name,
                         s->redistribute_argv[0], cfg->g.alertdir);
            for (size_t k = 0; k < s->nperiods; k++) {
                const struct period_def *p = &s->periods[k];
                check_alerts(cfg, warnings, &memo, w, s, p->alerts,
                             p->nalerts);
                check_alerts(cfg, warnings, &memo, w, s, p->ackalerts,
                             p->nackalerts);
                check_alerts(cfg, warnings, &memo, w, s, p->disablealerts,
                             p->ndisablealerts);
            }
        }
    }
    strmap_fini(&memo, NULL);
}
