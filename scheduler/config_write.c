/*
 * config_write.c — a config model written back as mon.cf or as YAML
 * (`mond --convert`).
 *
 * Both writers walk the model in the same order and print every setting
 * that differs from what the parser would give by default, so reading
 * the output back gives the same model (config_dump() equal): globals
 * are compared with a default model whose paths were resolved the same
 * way; a service prints dep_memory, unack_summary and monitor_timeout
 * only where they differ from the global default the parser applies.
 * Implicit hostgroups (made by `watch HOST`) are not written: the watch
 * line makes them again.
 */
#include "config_write.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeval.h"
#include "xalloc.h"

/* ---- what to write ---------------------------------------------------- */

enum gkind { GW_STR, GW_INT, GW_TIME, GW_BOOL, GW_DEPB, GW_SIZE };

struct gw {
    const char *name;
    enum gkind kind;
    size_t off;
};

#define GW(n, k, f) {n, k, offsetof(struct globals, f)}
/* basedir and cfbasedir first: the others are resolved against them. */
static const struct gw globals_out[] = {
    GW("basedir", GW_STR, basedir),
    GW("cfbasedir", GW_STR, cfbasedir),
    GW("alertdir", GW_STR, alertdir),
    GW("mondir", GW_STR, mondir),
    GW("statedir", GW_STR, statedir),
    GW("logdir", GW_STR, logdir),
    GW("authfile", GW_STR, authfile),
    GW("authtype", GW_STR, authtype),
    GW("userfile", GW_STR, userfile),
    GW("pamservice", GW_STR, pamservice),
    GW("serverbind", GW_STR, serverbind),
    GW("serverport", GW_INT, serverport),
    GW("trapbind", GW_STR, trapbind),
    GW("trapport", GW_INT, trapport),
    GW("pidfile", GW_STR, pidfile),
    GW("maxprocs", GW_INT, maxprocs),
    GW("histlength", GW_INT, histlength),
    GW("historicfile", GW_STR, historicfile),
    GW("historictime", GW_TIME, historictime_ms),
    GW("dtlogfile", GW_STR, dtlogfile),
    GW("dtlogging", GW_BOOL, dtlogging),
    GW("cltimeout", GW_TIME, cltimeout_ms),
    GW("randstart", GW_TIME, randstart_ms),
    GW("dep_recur_limit", GW_INT, dep_recur_limit),
    GW("dep_behavior", GW_DEPB, dep_behavior),
    GW("dep_memory", GW_TIME, dep_memory_ms),
    GW("syslog_facility", GW_STR, syslog_facility),
    GW("startupalerts_on_reset", GW_BOOL, startupalerts_on_reset),
    GW("monerrfile", GW_STR, monerrfile),
    GW("monremote", GW_STR, monremote),
    GW("clientallow", GW_STR, clientallow),
    GW("exclude_period", GW_STR, exclude_period_spec),
    GW("unack_summary", GW_BOOL, unack_summary),
    GW("httpbind", GW_STR, httpbind),
    GW("httpport", GW_INT, httpport),
    GW("http_read_access", GW_STR, http_read_access),
    GW("monitor_timeout", GW_TIME, monitor_timeout_ms),
    GW("alert_timeout", GW_TIME, alert_timeout_ms),
    GW("alert_retry", GW_TIME, alert_retry_ms),
    GW("alert_retry_max", GW_TIME, alert_retry_max_ms),
    GW("alert_giveup", GW_TIME, alert_giveup_ms),
    GW("output_max", GW_SIZE, output_max_bytes),
};

static const char *
depb_name(enum dep_behavior d)
{
    return d == DEP_BEHAVIOR_MONITOR ? "m" : d == DEP_BEHAVIOR_HOST ? "hm" : "a";
}

/* The base a path global is resolved against (config_resolve_paths()),
 * or NULL. */
static const char *
path_base(const struct globals *g, const char *name)
{
    if (strcmp(name, "statedir") == 0 || strcmp(name, "logdir") == 0
        || strcmp(name, "mondir") == 0 || strcmp(name, "alertdir") == 0)
        return g->basedir;
    if (strcmp(name, "authfile") == 0 || strcmp(name, "userfile") == 0)
        return g->cfbasedir;
    if (strcmp(name, "dtlogfile") == 0 || strcmp(name, "historicfile") == 0)
        return g->logdir;
    return NULL;
}

/* One path relative to base when it lies under it ("BASE/x" -> "x"), so
 * the file says what its author wrote and resolves the same again. */
static char *
unresolve_one(const char *path, size_t n, const char *base)
{
    size_t bl = base ? strlen(base) : 0;
    while (bl > 1 && base[bl - 1] == '/')
        bl--;
    if (bl > 0 && n > bl + 1 && strncmp(path, base, bl) == 0
        && path[bl] == '/')
        return xstrndup(path + bl + 1, n - bl - 1);
    return xstrndup(path, n);
}

static char *
unresolve(const struct globals *g, const char *name, const char *value)
{
    const char *base = path_base(g, name);
    bool list = strcmp(name, "mondir") == 0 || strcmp(name, "alertdir") == 0;
    if (base == NULL)
        return xstrdup(value);
    if (!list)
        return unresolve_one(value, strlen(value), base);
    char *out = xstrdup("");
    for (const char *s = value;;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *one = unresolve_one(s, n, base);
        char *t = xasprintf("%s%s%s", out, out[0] ? ":" : "", one);
        free(one);
        free(out);
        out = t;
        if (e == NULL)
            break;
        s = e + 1;
    }
    return out;
}

/* The text of global d in g, or NULL when unset.  Caller frees. */
static char *
global_text(const struct globals *g, const struct gw *d)
{
    const char *p = (const char *)g + d->off;
    char buf[64];
    switch (d->kind) {
    case GW_STR: {
        const char *s = *(char *const *)(const void *)p;
        if (s == NULL)
            return NULL;
        if (path_base(g, d->name) != NULL)
            return unresolve(g, d->name, s);
        /* The parser turns a relative basedir "x" into "./x": give it back
         * as written so it is not made "././x". */
        if ((strcmp(d->name, "basedir") == 0 || strcmp(d->name, "cfbasedir") == 0)
            && strncmp(s, "./", 2) == 0 && s[2] != '\0')
            s += 2;
        return xstrdup(s);
    }
    case GW_INT:
        return xasprintf("%d", *(const int *)(const void *)p);
    case GW_TIME:
        return xstrdup(timeval_format(*(const int64_t *)(const void *)p, buf,
                                      sizeof(buf)));
    case GW_BOOL:
        return xstrdup(*(const bool *)(const void *)p ? "yes" : "no");
    case GW_DEPB:
        return xstrdup(depb_name(*(const enum dep_behavior *)(const void *)p));
    case GW_SIZE:
        return xasprintf("%zu", *(const size_t *)(const void *)p);
    }
    return NULL;
}

static bool
global_differs(const struct globals *g, const struct globals *def,
               const struct globals *pristine, const struct gw *d)
{
    /* The bases themselves compare with the built-in defaults. */
    if (strcmp(d->name, "basedir") == 0 || strcmp(d->name, "cfbasedir") == 0
        || strcmp(d->name, "logdir") == 0)
        def = pristine;
    char *a = global_text(g, d), *b = global_text(def, d);
    bool differ = (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
    /* A time of 0 means "unset" for the optional ones. */
    if (differ && d->kind == GW_TIME && a && strcmp(a, "0s") == 0 && b == NULL)
        differ = false;
    free(a);
    free(b);
    return differ;
}

/* ---- quoting ---------------------------------------------------------- */

/* A word for mon.cf's shell-like splitting. */
static void
moncf_word(FILE *f, const char *w)
{
    bool plain = *w != '\0';
    for (const char *p = w; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'' || *p == '\\'
            || *p == '#' || (unsigned char)*p < 0x20)
            plain = false;
    if (plain) {
        fputs(w, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = w; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    }
    fputc('\'', f);
}

/* Hosts, hostgroups of a view, exclude_hosts: mon.cf splits these on
 * blanks only (no quoting), so they are written as they are. */
static void
moncf_plain(FILE *f, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(' ', f);
        fputs(v[i], f);
    }
}

/* Can every word be written plain (no blank, no control byte)? */
static bool
plain_ok(char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i][0] == '\0')
            return false;
        for (const unsigned char *p = (const unsigned char *)v[i]; *p; p++)
            if (*p <= ' ' || *p == 0x7f)
                return false;
    }
    return true;
}

static void
moncf_words(FILE *f, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(' ', f);
        moncf_word(f, v[i]);
    }
}

/* A YAML scalar: plain when it is safe, else double-quoted. */
static void
yaml_scalar(FILE *f, const char *s)
{
    static const char *const special[] = {
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false",
        "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On",
        "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "<<",
    };
    bool plain = true;
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
        if (strcmp(s, special[i]) == 0)
            plain = false;
    if (strchr("-?:,[]{}#&*!|>'\"%@`~ ", s[0]) != NULL && s[0] != '\0')
        plain = false;
    for (const char *p = s; *p && plain; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '#'
            || c == '\'' || c == ',' || c == '[' || c == ']' || c == '{'
            || c == '}')
            plain = false;
        if (c == ':' && (p[1] == ' ' || p[1] == '\0'))
            plain = false;
    }
    size_t n = strlen(s);
    if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == ':'))
        plain = false;
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void
yaml_list(FILE *f, char *const *v, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        yaml_scalar(f, v[i]);
    }
    fputc(']', f);
}

/* A command (monitor, alert) for YAML: one string when mon.cf's word
 * splitting gives the words back, else a list. */
static void
yaml_command(FILE *f, char *const *v, size_t n, bool no_hosts)
{
    bool simple = true;
    for (size_t i = 0; i < n; i++)
        for (const char *p = v[i]; *p; p++)
            if (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'' || *p == '\\')
                simple = false;
    for (size_t i = 0; i < n; i++)
        if (v[i][0] == '\0')
            simple = false;
    if (simple) {
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
            len += strlen(v[i]) + 1;
        char *s = xmalloc(len + 4);
        s[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (i)
                strcat(s, " ");
            strcat(s, v[i]);
        }
        if (no_hosts)
            strcat(s, " ;;");
        yaml_scalar(f, s);
        free(s);
        return;
    }
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        yaml_scalar(f, v[i]);
    }
    if (no_hosts)
        fputs(", \";;\"", f);
    fputc(']', f);
}

static const char *
tv(int64_t ms, char *buf, size_t n)
{
    return timeval_format(ms, buf, n);
}

static const char *
alert_kw(enum alert_kind k)
{
    switch (k) {
    case ALERT_KIND_UPALERT: return "upalert";
    case ALERT_KIND_STARTUP: return "startupalert";
    default:                 return "alert";
    }
}

static char *
exit_text(const struct alert_def *a)
{
    if (a->exit_min == a->exit_max)
        return xasprintf("%d", a->exit_min);
    return xasprintf("%d-%d", a->exit_min, a->exit_max);
}

static char *
alertevery_text(const struct period_def *p)
{
    char buf[64];
    const char *mode = p->alertevery_mode == ALERTEVERY_OBSERVE_DETAIL
                           ? " observe_detail"
                           : p->alertevery_mode == ALERTEVERY_STRICT ? " strict" : "";
    return xasprintf("%s%s", tv(p->alertevery_ms, buf, sizeof(buf)), mode);
}

static char *
alertafter_text(const struct period_def *p)
{
    char buf[64];
    if (p->alertafter_count > 0 && p->alertafter_within_ms > 0)
        return xasprintf("%d %s", p->alertafter_count,
                         tv(p->alertafter_within_ms, buf, sizeof(buf)));
    if (p->alertafter_count > 0)
        return xasprintf("%d", p->alertafter_count);
    return xstrdup(tv(p->alertafter_within_ms, buf, sizeof(buf)));
}

static void
default_globals(struct config *def, const struct config *cfg)
{
    config_init(def);
    /* Resolve the defaults against this config's bases, as the parser
     * resolves the ones the file leaves alone. */
    free(def->g.basedir);
    def->g.basedir = cfg->g.basedir ? xstrdup(cfg->g.basedir) : NULL;
    free(def->g.cfbasedir);
    def->g.cfbasedir = cfg->g.cfbasedir ? xstrdup(cfg->g.cfbasedir) : NULL;
    /* logdir decides where dtlogfile and historicfile land. */
    free(def->g.logdir);
    def->g.logdir = cfg->g.logdir ? xstrdup(cfg->g.logdir) : NULL;
    config_resolve_paths(&def->g);
}

/* ---- what each format can hold ---------------------------------------- */

/* Valid UTF-8 (no overlongs, no surrogates)? */
static bool
utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1; min = 0x80; c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2; min = 0x800; c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3; min = 0x10000; c &= 0x07;
        } else
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

/* YAML text is Unicode: a model holding other bytes (mon.cf takes any)
 * cannot be written as YAML.  The canonical dump holds every string. */
static bool
yaml_can_hold(const struct config *cfg)
{
    char *d = config_dump(cfg);
    bool ok = utf8_valid(d);
    free(d);
    return ok;
}

/* mon.cf splits host lists on blanks and has no way to quote them; a
 * YAML model may hold a host with a blank. */
static bool
moncf_can_hold(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->ngroups; i++)
        if (!plain_ok(cfg->groups[i].hosts, cfg->groups[i].nhosts))
            return false;
    for (size_t i = 0; i < cfg->nviews; i++)
        if (!plain_ok(cfg->views[i].groups, cfg->views[i].ngroups))
            return false;
    for (size_t i = 0; i < cfg->nwatches; i++)
        for (size_t j = 0; j < cfg->watches[i].nservices; j++) {
            const struct service *s = &cfg->watches[i].services[j];
            if (!plain_ok(s->exclude_hosts, s->nexclude_hosts))
                return false;
        }
    return true;
}

/* ---- mon.cf ----------------------------------------------------------- */

static void
moncf_alert(FILE *f, const char *kw, const struct alert_def *a)
{
    fprintf(f, "\t\t%s ", kw);
    if (a->has_exit_range) {
        char *e = exit_text(a);
        fprintf(f, "exit=%s ", e);
        free(e);
    }
    moncf_words(f, a->argv, a->argc);
    fputc('\n', f);
}

static void
moncf_service(FILE *f, const struct config *cfg, const struct service *s)
{
    const struct globals *g = &cfg->g;
    char buf[64];

    fprintf(f, "\tservice %s\n", s->name);
    if (s->interval_ms)
        fprintf(f, "\t\tinterval %s\n", tv(s->interval_ms, buf, sizeof(buf)));
    if (s->failure_interval_ms)
        fprintf(f, "\t\tfailure_interval %s\n",
                tv(s->failure_interval_ms, buf, sizeof(buf)));
    if (s->randskew_ms)
        fprintf(f, "\t\trandskew %s\n", tv(s->randskew_ms, buf, sizeof(buf)));
    if (s->monitor_timeout_ms != g->monitor_timeout_ms)
        fprintf(f, "\t\tmonitor_timeout %s\n",
                tv(s->monitor_timeout_ms, buf, sizeof(buf)));
    if (s->traptimeout_ms)
        fprintf(f, "\t\ttraptimeout %s\n", tv(s->traptimeout_ms, buf, sizeof(buf)));
    if (s->trapduration_ms)
        fprintf(f, "\t\ttrapduration %s\n",
                tv(s->trapduration_ms, buf, sizeof(buf)));
    if (s->monitor_argv) {
        fputs("\t\tmonitor ", f);
        moncf_words(f, s->monitor_argv, s->monitor_argc);
        fputs(s->monitor_no_hosts ? " ;;\n" : "\n", f);
    }
    if (s->allow_empty_group)
        fputs("\t\tallow_empty_group\n", f);
    if (s->description)
        fprintf(f, "\t\tdescription %s\n", s->description);
    if (s->nexclude_hosts) {
        fputs("\t\texclude_hosts ", f);
        moncf_plain(f, s->exclude_hosts, s->nexclude_hosts);
        fputc('\n', f);
    }
    if (s->exclude_period_spec)
        fprintf(f, "\t\texclude_period %s\n", s->exclude_period_spec);
    if (s->depend)
        fprintf(f, "\t\tdepend %s\n", s->depend);
    if (s->alertdepend)
        fprintf(f, "\t\talertdepend %s\n", s->alertdepend);
    if (s->monitordepend)
        fprintf(f, "\t\tmonitordepend %s\n", s->monitordepend);
    if (s->hostdepend)
        fprintf(f, "\t\thostdepend %s\n", s->hostdepend);
    if (s->has_dep_behavior)
        fprintf(f, "\t\tdep_behavior %s\n", depb_name(s->dep_behavior));
    if (s->dep_memory_ms != g->dep_memory_ms)
        fprintf(f, "\t\tdep_memory %s\n", tv(s->dep_memory_ms, buf, sizeof(buf)));
    if (s->redistribute_argv) {
        fputs("\t\tredistribute ", f);
        moncf_words(f, s->redistribute_argv, s->redistribute_argc);
        fputc('\n', f);
    }
    if (s->unack_summary != g->unack_summary)
        fprintf(f, "\t\tunack_summary %s\n", s->unack_summary ? "yes" : "no");
    for (size_t i = 0; i < s->nenv; i++)
        fprintf(f, "\t\t%s=%s\n", s->env[i].name, s->env[i].value);
    for (size_t i = 0; i < s->nperiods; i++) {
        const struct period_def *p = &s->periods[i];
        fputs("\t\tperiod ", f);
        if (p->label)
            fprintf(f, "%s: ", p->label);
        fprintf(f, "%s\n", p->spec);
        if (p->alertevery_ms) {
            char *t = alertevery_text(p);
            fprintf(f, "\t\talertevery %s\n", t);
            free(t);
        }
        if (p->alertafter_count || p->alertafter_within_ms) {
            char *t = alertafter_text(p);
            fprintf(f, "\t\talertafter %s\n", t);
            free(t);
        }
        if (p->numalerts)
            fprintf(f, "\t\tnumalerts %d\n", p->numalerts);
        if (p->no_comp_alerts)
            fputs("\t\tno_comp_alerts\n", f);
        if (p->upalertafter_ms)
            fprintf(f, "\t\tupalertafter %s\n",
                    tv(p->upalertafter_ms, buf, sizeof(buf)));
        if (p->has_exit_range) {
            if (p->exit_min == p->exit_max)
                fprintf(f, "\t\talertexitrange %d\n", p->exit_min);
            else
                fprintf(f, "\t\talertexitrange %d-%d\n", p->exit_min, p->exit_max);
        }
        if (p->alerts_dont_count)
            fputs("\t\talerts_dont_count\n", f);
        for (size_t j = 0; j < p->nalerts; j++)
            moncf_alert(f, alert_kw(p->alerts[j].kind), &p->alerts[j]);
        for (size_t j = 0; j < p->nackalerts; j++)
            moncf_alert(f, "ackalert", &p->ackalerts[j]);
        for (size_t j = 0; j < p->ndisablealerts; j++)
            moncf_alert(f, "disablealert", &p->disablealerts[j]);
    }
}

int
config_write_moncf(FILE *f, const struct config *cfg)
{
    struct config def, pristine;
    if (!moncf_can_hold(cfg)) {
        errno = EINVAL;
        return -1;
    }
    default_globals(&def, cfg);
    config_init(&pristine);
    fprintf(f, "#\n# mon.cf written by mond --convert from %s\n#\n",
            cfg->path ? cfg->path : "(memory)");
    bool any = false;
    for (size_t i = 0; i < sizeof(globals_out) / sizeof(globals_out[0]); i++) {
        const struct gw *d = &globals_out[i];
        if (!global_differs(&cfg->g, &def.g, &pristine.g, d))
            continue;
        char *t = global_text(&cfg->g, d);
        fprintf(f, "%s = %s\n", d->name, t ? t : "");
        free(t);
        any = true;
    }
    config_fini(&def);
    config_fini(&pristine);
    if (any)
        fputc('\n', f);
    for (size_t i = 0; i < cfg->ngroups; i++) {
        const struct hostgroup *h = &cfg->groups[i];
        if (h->implicit)
            continue;
        fprintf(f, "hostgroup %s ", h->name);
        moncf_plain(f, h->hosts, h->nhosts);
        fputs("\n\n", f);
    }
    for (size_t i = 0; i < cfg->nviews; i++) {
        fprintf(f, "view %s ", cfg->views[i].name);
        moncf_plain(f, cfg->views[i].groups, cfg->views[i].ngroups);
        fputs("\n\n", f);
    }
    for (size_t i = 0; i < cfg->naliases; i++) {
        fprintf(f, "alias %s\n", cfg->aliases[i].name);
        for (size_t j = 0; j < cfg->aliases[i].nlines; j++)
            fprintf(f, "%s\n", cfg->aliases[i].lines[j]);
        fputc('\n', f);
    }
    for (size_t i = 0; i < cfg->nwatches; i++) {
        const struct watch *w = &cfg->watches[i];
        fprintf(f, "watch %s\n", w->name);
        for (size_t j = 0; j < w->nservices; j++)
            moncf_service(f, cfg, &w->services[j]);
        fputc('\n', f);
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* ---- YAML ------------------------------------------------------------- */

static void
ykv(FILE *f, const char *ind, const char *k, const char *v)
{
    fprintf(f, "%s%s: ", ind, k);
    yaml_scalar(f, v);
    fputc('\n', f);
}

static void
yaml_alert(FILE *f, const char *kw, const struct alert_def *a)
{
    const char *ind = "              ";
    if (strcmp(kw, "alert") == 0 && !a->has_exit_range) {
        fprintf(f, "%s- ", ind);
        yaml_command(f, a->argv, a->argc, false);
        fputc('\n', f);
        return;
    }
    fprintf(f, "%s- %s: ", ind, kw);
    yaml_command(f, a->argv, a->argc, false);
    fputc('\n', f);
    if (a->has_exit_range) {
        char *e = exit_text(a);
        fprintf(f, "%s  exit: ", ind);
        yaml_scalar(f, e);
        fputc('\n', f);
        free(e);
    }
}

static void
yaml_service(FILE *f, const struct config *cfg, const struct service *s)
{
    const struct globals *g = &cfg->g;
    const char *in = "        ";
    char buf[64];

    fputs("      ", f);
    yaml_scalar(f, s->name);
    fputs(":\n", f);
    if (s->interval_ms)
        ykv(f, in, "interval", tv(s->interval_ms, buf, sizeof(buf)));
    if (s->failure_interval_ms)
        ykv(f, in, "failure_interval", tv(s->failure_interval_ms, buf, sizeof(buf)));
    if (s->randskew_ms)
        ykv(f, in, "randskew", tv(s->randskew_ms, buf, sizeof(buf)));
    if (s->monitor_timeout_ms != g->monitor_timeout_ms)
        ykv(f, in, "monitor_timeout", tv(s->monitor_timeout_ms, buf, sizeof(buf)));
    if (s->traptimeout_ms)
        ykv(f, in, "traptimeout", tv(s->traptimeout_ms, buf, sizeof(buf)));
    if (s->trapduration_ms)
        ykv(f, in, "trapduration", tv(s->trapduration_ms, buf, sizeof(buf)));
    if (s->monitor_argv) {
        fprintf(f, "%smonitor: ", in);
        yaml_command(f, s->monitor_argv, s->monitor_argc, s->monitor_no_hosts);
        fputc('\n', f);
    }
    if (s->allow_empty_group)
        fprintf(f, "%sallow_empty_group: true\n", in);
    if (s->description)
        ykv(f, in, "description", s->description);
    if (s->nexclude_hosts) {
        fprintf(f, "%sexclude_hosts: ", in);
        yaml_list(f, s->exclude_hosts, s->nexclude_hosts);
        fputc('\n', f);
    }
    if (s->exclude_period_spec)
        ykv(f, in, "exclude_period", s->exclude_period_spec);
    if (s->depend)
        ykv(f, in, "depend", s->depend);
    if (s->alertdepend)
        ykv(f, in, "alertdepend", s->alertdepend);
    if (s->monitordepend)
        ykv(f, in, "monitordepend", s->monitordepend);
    if (s->hostdepend)
        ykv(f, in, "hostdepend", s->hostdepend);
    if (s->has_dep_behavior)
        ykv(f, in, "dep_behavior", depb_name(s->dep_behavior));
    if (s->dep_memory_ms != g->dep_memory_ms)
        ykv(f, in, "dep_memory", tv(s->dep_memory_ms, buf, sizeof(buf)));
    if (s->redistribute_argv) {
        fprintf(f, "%sredistribute: ", in);
        yaml_command(f, s->redistribute_argv, s->redistribute_argc, false);
        fputc('\n', f);
    }
    if (s->unack_summary != g->unack_summary)
        fprintf(f, "%sunack_summary: %s\n", in, s->unack_summary ? "true" : "false");
    if (s->nenv) {
        fprintf(f, "%senv:\n", in);
        for (size_t i = 0; i < s->nenv; i++) {
            fprintf(f, "%s  %s: ", in, s->env[i].name);
            yaml_scalar(f, s->env[i].value);
            fputc('\n', f);
        }
    }
    if (s->nperiods)
        fprintf(f, "%speriods:\n", in);
    for (size_t i = 0; i < s->nperiods; i++) {
        const struct period_def *p = &s->periods[i];
        const char *pi = "            ";
        fprintf(f, "%s  - when: ", in);
        yaml_scalar(f, p->spec);
        fputc('\n', f);
        if (p->label)
            ykv(f, pi, "label", p->label);
        if (p->alertevery_ms) {
            char *t = alertevery_text(p);
            ykv(f, pi, "alertevery", t);
            free(t);
        }
        if (p->alertafter_count || p->alertafter_within_ms) {
            char *t = alertafter_text(p);
            ykv(f, pi, "alertafter", t);
            free(t);
        }
        if (p->numalerts)
            fprintf(f, "%snumalerts: %d\n", pi, p->numalerts);
        if (p->no_comp_alerts)
            fprintf(f, "%sno_comp_alerts: true\n", pi);
        if (p->upalertafter_ms)
            ykv(f, pi, "upalertafter", tv(p->upalertafter_ms, buf, sizeof(buf)));
        if (p->has_exit_range) {
            char *t = p->exit_min == p->exit_max
                          ? xasprintf("%d", p->exit_min)
                          : xasprintf("%d-%d", p->exit_min, p->exit_max);
            ykv(f, pi, "alertexitrange", t);
            free(t);
        }
        if (p->alerts_dont_count)
            fprintf(f, "%salerts_dont_count: true\n", pi);
        if (p->nalerts + p->nackalerts + p->ndisablealerts)
            fprintf(f, "%salerts:\n", pi);
        for (size_t j = 0; j < p->nalerts; j++)
            yaml_alert(f, alert_kw(p->alerts[j].kind), &p->alerts[j]);
        for (size_t j = 0; j < p->nackalerts; j++)
            yaml_alert(f, "ackalert", &p->ackalerts[j]);
        for (size_t j = 0; j < p->ndisablealerts; j++)
            yaml_alert(f, "disablealert", &p->disablealerts[j]);
    }
}

int
config_write_yaml(FILE *f, const struct config *cfg)
{
    struct config def, pristine;
    if (!yaml_can_hold(cfg)) {
        errno = EILSEQ;
        return -1;
    }
    default_globals(&def, cfg);
    config_init(&pristine);
    fprintf(f, "# mond.yaml written by mond --convert from %s\n",
            cfg->path ? cfg->path : "(memory)");
    bool any = false;
    for (size_t i = 0; i < sizeof(globals_out) / sizeof(globals_out[0]); i++) {
        const struct gw *d = &globals_out[i];
        if (!global_differs(&cfg->g, &def.g, &pristine.g, d))
            continue;
        if (!any)
            fputs("globals:\n", f);
        any = true;
        char *t = global_text(&cfg->g, d);
        if (d->kind == GW_BOOL)     /* plain YAML booleans */
            fprintf(f, "  %s: %s\n", d->name,
                    t && strcmp(t, "yes") == 0 ? "true" : "false");
        else
            ykv(f, "  ", d->name, t ? t : "");
        free(t);
    }
    config_fini(&def);
    config_fini(&pristine);
    bool hdr = false;
    for (size_t i = 0; i < cfg->ngroups; i++) {
        const struct hostgroup *h = &cfg->groups[i];
        if (h->implicit)
            continue;
        if (!hdr)
            fputs("hostgroups:\n", f);
        hdr = true;
        fputs("  ", f);
        yaml_scalar(f, h->name);
        fputs(": ", f);
        yaml_list(f, h->hosts, h->nhosts);
        fputc('\n', f);
    }
    if (cfg->nviews)
        fputs("views:\n", f);
    for (size_t i = 0; i < cfg->nviews; i++) {
        fputs("  ", f);
        yaml_scalar(f, cfg->views[i].name);
        fputs(": ", f);
        yaml_list(f, cfg->views[i].groups, cfg->views[i].ngroups);
        fputc('\n', f);
    }
    if (cfg->naliases)
        fputs("aliases:\n", f);
    for (size_t i = 0; i < cfg->naliases; i++) {
        fputs("  ", f);
        yaml_scalar(f, cfg->aliases[i].name);
        fputs(":\n", f);
        for (size_t j = 0; j < cfg->aliases[i].nlines; j++) {
            fputs("    - ", f);
            yaml_scalar(f, cfg->aliases[i].lines[j]);
            fputc('\n', f);
        }
    }
    if (cfg->nwatches)
        fputs("watch:\n", f);
    for (size_t i = 0; i < cfg->nwatches; i++) {
        const struct watch *w = &cfg->watches[i];
        fputs("  ", f);
        yaml_scalar(f, w->name);
        fputs(":\n    services:", f);
        fputs(w->nservices ? "\n" : " {}\n", f);
        for (size_t j = 0; j < w->nservices; j++)
            yaml_service(f, cfg, &w->services[j]);
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
