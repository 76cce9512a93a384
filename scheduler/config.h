/*
 * config.h — the configuration model.
 *
 * Plain structs filled by the two front-ends (parse_moncf.c for mon.cf,
 * parse_yaml.c for mond.yaml) and read by everything else.  A struct
 * config owns every object hanging off it; config_free() releases all of
 * it, so a reload can drop a whole model at once.  Times are milliseconds
 * (int64_t, *_ms); a value of 0 means "not set" unless stated otherwise.
 * Arrays are (pointer, count) pairs allocated with the xalloc helpers.
 */
#ifndef MOND_CONFIG_H
#define MOND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* dep_behavior: which context a plain `depend` expression applies to. */
enum dep_behavior {
    DEP_BEHAVIOR_ALERT = 0,     /* "a": suppress alerts (mon's default) */
    DEP_BEHAVIOR_MONITOR,       /* "m": suppress monitor runs */
    DEP_BEHAVIOR_HOST,          /* "hm": drop hosts failing in parents */
};

/* alertevery's optional last word. */
enum alertevery_mode {
    ALERTEVERY_SUMMARY = 0,     /* default: a changed summary re-alerts */
    ALERTEVERY_OBSERVE_DETAIL,  /* summary or detail change re-alerts */
    ALERTEVERY_STRICT,          /* only the timer counts */
};

enum alert_kind {
    ALERT_KIND_ALERT = 0,       /* "alert": on failure */
    ALERT_KIND_UPALERT,         /* "upalert": on failure -> success */
    ALERT_KIND_STARTUP,         /* "startupalert": at start (and reset) */
};

/* One alert / upalert / startupalert line of a period. */
struct alert_def {
    enum alert_kind kind;
    bool has_exit_range;        /* exit=N or exit=N-M given */
    int exit_min, exit_max;     /* inclusive; N-N for exit=N */
    char **argv;                /* argv[0] = program name as written */
    size_t argc;
    int line;                   /* where it was defined (for messages) */
    int col;                    /* column of the program name */
};

/* A period block of a service. */
struct period_def {
    char *label;                /* "label" of `period label: spec`, or NULL */
    char *spec;                 /* the Time::Period spec text as written */
    struct period *compiled;    /* period_compile(spec); owned */
    int64_t alertevery_ms;      /* 0 = alert on every failure */
    enum alertevery_mode alertevery_mode;
    /* alertafter: three forms.  count>0 && within==0: N consecutive
     * failures; count>0 && within>0: N failures within the interval;
     * count==0 && within>0 ("alertafter 30m"): failing for longer than. */
    int alertafter_count;
    int64_t alertafter_within_ms;
    int numalerts;              /* 0 = unlimited */
    bool no_comp_alerts;
    int64_t upalertafter_ms;    /* 0 = not set */
    struct alert_def *alerts;   /* all kinds, in file order */
    size_t nalerts;
    int line;
    /* mon 1.3.6 code, not in its manual: */
    bool has_exit_range;        /* alertexitrange N[-M]: failure alerts of
                                 * this period only for these exit codes */
    int exit_min, exit_max;
    bool alerts_dont_count;     /* alerts_dont_count */
    struct alert_def *ackalerts;      /* ackalert: run on "ack" */
    size_t nackalerts;
    struct alert_def *disablealerts;  /* disablealert: run on "disable" */
    size_t ndisablealerts;
};

/* NAME=value environment variable of a service. */
struct env_var {
    char *name;
    char *value;
};

struct service {
    char *name;
    struct watch *watch;        /* back pointer, borrowed */
    int64_t interval_ms;        /* required unless traptimeout-only */
    int64_t randskew_ms;
    int64_t failure_interval_ms;
    int64_t monitor_timeout_ms; /* 0 = default: min(interval, 5 min) */
    char **monitor_argv;        /* NULL when the service has no monitor */
    size_t monitor_argc;
    bool monitor_no_hosts;      /* the monitor line ended with ";;" */
    bool allow_empty_group;
    char *description;
    char **exclude_hosts;
    size_t nexclude_hosts;
    char *exclude_period_spec;
    struct period *exclude_period;  /* compiled; owned; NULL if unset */
    /* Dependency expressions as written (NULL = unset) and compiled. */
    char *depend, *alertdepend, *monitordepend, *hostdepend;
    struct depexpr *depend_expr, *alertdepend_expr,
                   *monitordepend_expr, *hostdepend_expr;
    bool has_dep_behavior;
    enum dep_behavior dep_behavior;  /* effective (global default applied) */
    int64_t dep_memory_ms;           /* effective (global default applied) */
    int64_t traptimeout_ms;
    int64_t trapduration_ms;
    char **redistribute_argv;   /* NULL = unset */
    size_t redistribute_argc;
    bool unack_summary;
    struct env_var *env;
    size_t nenv;
    struct period_def *periods;
    size_t nperiods;
    int line;
    int monitor_line;           /* line of the monitor keyword (0 = none) */
};

struct hostgroup {
    char *name;
    char **hosts;
    size_t nhosts;
    bool implicit;              /* made by `watch NAME` with no hostgroup */
    int line;
};

/* mon's "alias NAME" block (used by mon.cgi): lines kept as written. */
struct alias {
    char *name;
    char **lines;
    size_t nlines;
    int line;
};

struct view {
    char *name;
    char **groups;
    size_t ngroups;
    int line;
};

struct watch {
    char *name;                 /* = the hostgroup's name */
    struct hostgroup *group;    /* borrowed from config.groups */
    struct service *services;
    size_t nservices;
    int line;
};

struct globals {
    char *alertdir;             /* colon-separated list, resolved */
    char *mondir;               /* colon-separated list, resolved */
    char *statedir, *logdir, *basedir, *cfbasedir;
    char *authfile, *authtype, *userfile, *pamservice;
    char *serverbind;           /* default 127.0.0.1 */
    int serverport;             /* default 2583 */
    char *trapbind;             /* default 127.0.0.1 */
    int trapport;               /* default 2583 */
    char *pidfile;              /* NULL = mond's default (see mond -P) */
    int maxprocs;               /* default 0 = unlimited */
    int histlength;             /* default 100 */
    char *historicfile;
    int64_t historictime_ms;
    char *dtlogfile;
    bool dtlogging;
    int64_t cltimeout_ms;       /* default 30 s, as mon 1.3.6's code */
    int64_t randstart_ms;
    int dep_recur_limit;        /* default 10 */
    enum dep_behavior dep_behavior;
    int64_t dep_memory_ms;
    char *syslog_facility;      /* default "daemon" */
    bool startupalerts_on_reset;
    char *monerrfile;
    char *monremote;
    char *clientallow;          /* mon's regexp of allowed client addresses */
    char *exclude_period_spec;  /* global exclude_period, NULL = unset */
    struct period *exclude_period;  /* compiled; owned */
    bool unack_summary;         /* default for services */
    /* mond's own */
    char *httpbind;             /* default 127.0.0.1 */
    int httpport;               /* default 2584; 0 = off */
    char *http_read_access;     /* who may read the page and API without
                                 * logging in: "loopback" (default),
                                 * "any", or "login" (nobody) */
    int64_t monitor_timeout_ms; /* default for services; 0 = min(interval,
                                 * 5 min) */
    int64_t alert_timeout_ms;   /* default 60 s */
    int64_t alert_retry_ms;     /* first retry delay; default 30 s */
    int64_t alert_retry_max_ms; /* backoff cap; default 30 min */
    int64_t alert_giveup_ms;    /* default 24 h */
    size_t output_max_bytes;    /* child output bound; default 64 KiB */
};

struct config {
    char *path;                 /* the file this model came from */
    struct globals g;
    struct hostgroup *groups;
    size_t ngroups;
    struct view *views;
    size_t nviews;
    struct alias *aliases;
    size_t naliases;
    struct watch *watches;
    size_t nwatches;
    struct diag_list warnings;  /* non-fatal findings, e.g. odd depends */
};

/* Defaults for a fresh model (all the "default ..." values above). */
void config_init(struct config *cfg);

/* Release everything a config owns; the struct itself is not freed.
 * Safe on a zeroed or partly filled config. */
void config_fini(struct config *cfg);

/* Load a config file, choosing the front-end by name: *.yaml / *.yml ->
 * YAML, *.m4 or use_m4 -> mon.cf through m4, else mon.cf.  Returns a new
 * model, or NULL with every error appended to errs (file:line:col).
 * Warnings go to cfg->warnings.  Caller frees with config_free(). */
struct config *config_load(const char *path, bool use_m4,
                           struct diag_list *errs);
void config_free(struct config *cfg);

/* Lookups; NULL when absent.  Borrowed pointers into cfg. */
struct hostgroup *config_find_group(const struct config *cfg, const char *name);
struct watch *config_find_watch(const struct config *cfg, const char *name);
struct service *config_find_service(const struct config *cfg,
                                    const char *watch, const char *service);

/* Effective monitor deadline of a service in ms (monitor_timeout, else
 * the smaller of the interval and 5 minutes). */
int64_t config_monitor_timeout_ms(const struct service *s);

/* Canonical text dump of a model (every field, stable order), used by
 * tests to compare models from different front-ends.  Caller frees. */
char *config_dump(const struct config *cfg);

/* "configuration OK: 3 hostgroups, 4 watches, 7 services" (mond -t).
 * Caller frees. */
char *config_summary(const struct config *cfg);

/* Look up every monitor (in g.mondir) and alert (in g.alertdir) program
 * the way mon does: argv[0] in each colon-separated directory, first
 * executable match wins.  Appends a warning per program not found.  Does
 * I/O (access(2)); not called by config_load(). */
void config_check_programs(const struct config *cfg,
                           struct diag_list *warnings);

/* Resolve relative directories as mon's normalize_paths() does:
 * statedir, logdir, mondir and alertdir entries against basedir; authfile
 * and userfile against cfbasedir; dtlogfile and historicfile against
 * logdir.  Absolute paths are left alone, so a caller that overrides a
 * directory from the command line should pass an absolute path or
 * resolve it first.  The mon.cf front-end calls this once after parsing. */
void config_resolve_paths(struct globals *g);

#endif
