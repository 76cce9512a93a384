/*
 * main.c — mond: options, start-up, signals, reload.
 *
 * Reads the config whole (refusing to start on any error), then hands it
 * to the service table and runs the loop.  SIGHUP parses the file into a
 * fresh model and swaps it in only if it has no error; SIGTERM/SIGINT
 * stop: every child's process group gets SIGTERM, mond waits up to the
 * spawner's grace for them, then exits 0.
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alertq.h"
#include "config.h"
#include "config_write.h"
#include "diag.h"
#include "log.h"
#include "loop.h"
#include "monstate.h"
#include "spawner.h"
#include "srv_http.h"
#include "srv_mon.h"
#include "srv_state.h"
#include "srv_trap.h"
#include "svctab.h"
#include "xalloc.h"

#ifndef MOND_VERSION
#define MOND_VERSION "0"
#endif

#define EXIT_USAGE 2
#define STOP_POLL_MS 20

/* Command-line settings that override the config file (mon: "command-line
 * options have a higher precedence than these definitions"). */
struct opts {
    const char *config;
    bool foreground, check, use_m4, debug;
    bool stopped;               /* -S: start with the scheduler stopped */
    const char *convert;        /* --convert FILE */
    char *mondir, *alertdir, *statedir, *logdir, *pidfile;
    bool pidfile_set;
    int maxprocs, histlength;
    int64_t randstart_ms;
    bool randstart_set;
    unsigned loadstate;         /* -l: MONSTATE_* mask, 0 = not given */
};

struct mond {
    struct opts o;
    struct config *cfg;
    struct loop *lp;
    struct spawner *sp;
    struct alertq *aq;
    struct svctab *tab;
    struct srv_http *http;      /* NULL when httpport is 0 */
    struct srv_state *ss;       /* control plane (issue 6) */
    struct srv_mon *srvmon;
    struct srv_trap *srvtrap;
    struct loop_timer stop_timer;
    int64_t stop_deadline_ns;
    bool stopping;
    char *pidfile;
    char *config_abs;           /* -c made absolute when daemonized */
};

static void
usage(FILE *f)
{
    fprintf(f,
"usage: mond [-dfhMStv] [-c file] [-s mondir] [-a alertdir] [-D statedir]\n"
"            [-L logdir] [-P pidfile] [-m maxprocs] [-k histlength]\n"
"            [-r randstart] [-l [statetype]]\n"
"\n"
"mond runs monitors on their intervals and alerts when they fail, the way\n"
"mon does, reading mon's configuration file.\n"
"\n"
"  -c file       configuration file (default /etc/mon/mon.cf if /etc/mon\n"
"                exists, else /etc/mon.cf); *.m4 is run through m4\n"
"  -M            preprocess the configuration with m4\n"
"  -t            check the configuration: print a summary and any\n"
"                warnings, or the errors, and exit\n"
"  --convert FILE  print FILE (mon.cf, *.m4 or mond.yaml) in the other\n"
"                format (YAML for mon.cf, mon.cf for YAML) and exit\n"
"  -f            fork and run as a daemon (as mon's -f): log to syslog,\n"
"                write a pid file; without -f mond stays in the\n"
"                foreground and logs to stderr\n"
"  -s dir        monitor directories (colon-separated), overrides mondir\n"
"  -a dir        alert directories (colon-separated), overrides alertdir\n"
"  -D dir        state directory, overrides statedir\n"
"  -L dir        log directory, overrides logdir\n"
"  -P file       pid file (\"\" = none); default pidfile, else\n"
"                /run/mon/mon.pid or /run/mond.pid when daemonized\n"
"  -m num        at most num children at once, overrides maxprocs\n"
"  -k num        alert history length, overrides histlength\n"
"  -r time       randomize first runs over time, overrides randstart\n"
"  -S            start with the scheduler stopped (as mon's -S): no\n"
"                monitor runs and no alert is sent, startup alerts\n"
"                included, until a client sends \"start\"\n"
"  -l [type], --loadstate[=type]\n"
"                at start-up load mon's saved state from statedir, after\n"
"                mond's own state: disabled (statedir/disabled: disabled\n"
"                hosts, watches, services; the default), opstatus\n"
"                (statedir/opstatus) or all\n"
"  -d            debug logging\n"
"  -v, --version print the version and exit\n"
"  -h, --help    print this help and exit\n"
"\n"
"environment: MOND_NO_SPAWN_HELPER=1 makes mond fork monitors and alerts\n"
"itself instead of through its spawn helper process (mond-spawn).\n"
"\n"
"signals: SIGHUP re-reads the configuration (a broken file is reported\n"
"and the running one kept); SIGTERM or SIGINT stops mond and the\n"
"process groups of its children.\n"
"\n"
"exit status: 0 stopped by a signal, or -t found the configuration good;\n"
"             1 configuration error or start-up failure;\n"
"             2 usage error.\n");
}

/* An absolute version of a command-line path (the daemon changes its
 * directory to /).  Colon-separated lists are resolved entry by entry. */
static char *
absolute_path(const char *p)
{
    char cwd[PATH_MAX];
    char *out = xstrdup("");
    const char *s = p;

    if (getcwd(cwd, sizeof cwd) == NULL)
        snprintf(cwd, sizeof cwd, ".");
    while (s != NULL) {
        const char *colon = strchr(s, ':');
        size_t len = colon != NULL ? (size_t)(colon - s) : strlen(s);
        char *ent, *joined;
        if (len == 0)
            ent = xstrdup("");
        else if (s[0] == '/')
            ent = xstrndup(s, len);
        else
            ent = xasprintf("%s/%.*s", cwd, (int)len, s);
        joined = out[0] == '\0' && s == p ? xstrdup(ent)
                                          : xasprintf("%s:%s", out, ent);
        free(out);
        free(ent);
        out = joined;
        s = colon != NULL ? colon + 1 : NULL;
    }
    return out;
}

static void
replace_str(char **dst, const char *val)
{
    free(*dst);
    *dst = xstrdup(val);
}

/* A file that config_resolve_paths() put under the config's logdir
 * moves with -L, as in mon where -L is known before paths are resolved. */
static void
rebase_logfile(char **file, const char *oldlogdir, const char *newlogdir)
{
    size_t ol;

    if (*file == NULL || oldlogdir == NULL)
        return;
    ol = strlen(oldlogdir);
    if (strncmp(*file, oldlogdir, ol) == 0 && (*file)[ol] == '/') {
        char *n = xasprintf("%s%s", newlogdir, *file + ol);
        free(*file);
        *file = n;
    }
}

static void
apply_overrides(struct config *cfg, const struct opts *o)
{
    struct globals *g = &cfg->g;

    if (o->mondir != NULL)
        replace_str(&g->mondir, o->mondir);
    if (o->alertdir != NULL)
        replace_str(&g->alertdir, o->alertdir);
    if (o->statedir != NULL)
        replace_str(&g->statedir, o->statedir);
    if (o->logdir != NULL) {
        rebase_logfile(&g->dtlogfile, g->logdir, o->logdir);
        rebase_logfile(&g->historicfile, g->logdir, o->logdir);
        replace_str(&g->logdir, o->logdir);
    }
    if (o->maxprocs > 0)
        g->maxprocs = o->maxprocs;
    if (o->histlength > 0)
        g->histlength = o->histlength;
    if (o->randstart_set)
        g->randstart_ms = o->randstart_ms;
}

static void
print_diags(FILE *f, const struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        char *s = diag_format(&l->items[i]);
        fprintf(f, "%s\n", s);
        free(s);
    }
    if (l->dropped > 0)
        fprintf(f, "(%zu more not shown)\n", l->dropped);
}

static void
log_diags(const char *prefix, const struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        char *s = diag_format(&l->items[i]);
        log_warnx("%s%s", prefix, s);
        free(s);
    }
    if (l->dropped > 0)
        log_warnx("%s(%zu more not shown)", prefix, l->dropped);
}

/* Load and override; NULL with errs filled on any error. */
static struct config *
load_config(const struct opts *o, struct diag_list *errs)
{
    struct config *cfg = config_load(o->config, o->use_m4, errs);

    if (cfg == NULL)
        return NULL;
    if (diag_count(errs, DIAG_ERROR) > 0) {
        config_free(cfg);
        return NULL;
    }
    apply_overrides(cfg, o);
    return cfg;
}

static int
check_config(const struct opts *o)
{
    struct diag_list errs, progs;
    struct config *cfg;
    char *sum;

    diag_list_init(&errs);
    cfg = load_config(o, &errs);
    if (cfg == NULL) {
        print_diags(stderr, &errs);
        if (errs.n == 0)
            fprintf(stderr, "mond: %s: configuration not loaded\n", o->config);
        diag_list_fini(&errs);
        return 1;
    }
    diag_list_fini(&errs);
    diag_list_init(&progs);
    config_check_programs(cfg, &progs);
    sum = config_summary(cfg);
    printf("%s\n", sum);
    fflush(stdout);
    free(sum);
    print_diags(stderr, &cfg->warnings);
    print_diags(stderr, &progs);
    diag_list_fini(&progs);
    config_free(cfg);
    return 0;
}

static void
reload(struct mond *m)
{
    struct diag_list errs;
    struct config *cfg, *old;

    log_info("SIGHUP: reading %s", m->o.config);
    diag_list_init(&errs);
    cfg = load_config(&m->o, &errs);
    if (cfg == NULL) {
        log_diags("reload: ", &errs);
        log_warnx("reload: %s has %zu error(s), keeping the running "
                  "configuration", m->o.config,
                  diag_count(&errs, DIAG_ERROR) + errs.dropped);
        diag_list_fini(&errs);
        srv_http_reloaded(m->http, false);
        return;
    }
    diag_list_fini(&errs);
    log_diags("", &cfg->warnings);
    if (log_init(m->o.foreground, cfg->g.syslog_facility) < 0)
        log_warnx("syslog_facility %s unknown, using daemon",
                  cfg->g.syslog_facility);
    old = m->cfg;
    svctab_set_config(m->tab, cfg);
    m->cfg = cfg;
    config_free(old);
    if (m->srvtrap != NULL)
        srv_trap_config_changed(m->srvtrap);
    if (m->srvmon != NULL)
        (void)srv_mon_reload_auth(m->srvmon);
    log_info("reload: %s loaded", m->o.config);
    srv_http_reloaded(m->http, true);
}

static void
stop_poll(struct loop *lp, void *arg, int64_t now_ns)
{
    struct mond *m = arg;

    if (spawner_running(m->sp) == 0 || now_ns >= m->stop_deadline_ns) {
        loop_stop(lp);
        return;
    }
    loop_timer_arm(lp, &m->stop_timer, now_ns + STOP_POLL_MS * 1000000LL);
}

static void
on_signal(struct loop *lp, void *arg, int signo, int64_t now_ns)
{
    struct mond *m = arg;

    switch (signo) {
    case SIGHUP:
        if (!m->stopping)
            reload(m);
        break;
    case SIGTERM:
    case SIGINT:
        if (m->stopping)
            break;
        m->stopping = true;
        log_info("%s: stopping, %zu children get SIGTERM",
                 signo == SIGTERM ? "SIGTERM" : "SIGINT",
                 spawner_running(m->sp));
        svctab_stop(m->tab);
        alertq_stop(m->aq);
        m->stop_deadline_ns = now_ns + SPAWN_GRACE_MS * 1000000LL;
        loop_timer_init(&m->stop_timer, stop_poll, m);
        loop_timer_arm(lp, &m->stop_timer, now_ns);
        break;
    case SIGCHLD:
        spawner_sigchld(m->sp);
        break;
    default:
        break;
    }
}

/* mon's "reset" and "term" from a client (srv_mon.c). */
static int
ctl_reset(void *arg, bool keepstate)
{
    struct mond *m = arg;
    struct config *before = m->cfg;

    (void)keepstate;            /* surviving services always keep state */
    reload(m);
    return m->cfg != before ? 0 : -1;
}

static void
ctl_term(void *arg)
{
    (void)arg;
    (void)kill(getpid(), SIGTERM);  /* stop through the signalfd path */
}

/* State file, mon's TCP server and trap server.  A port that cannot be
 * bound is logged and mond goes on monitoring without that server (as
 * with HTTP): checks and alerts matter more than the protocol. */
static void
start_control(struct mond *m)
{
    const struct srv_mon_hooks hooks = { ctl_reset, ctl_term, m };
    const struct globals *g = &m->cfg->g;

    m->ss = srv_state_new(m->lp, m->tab, g->statedir);
    (void)srv_state_load(m->ss);
    /* -l: mon's files on top of mond's own state (monstate.h). */
    if (m->o.loadstate != 0)
        (void)monstate_load(m->tab, m->ss, g->statedir, m->o.loadstate);
    m->srvmon = srv_mon_new(m->lp, m->tab, m->ss, &hooks);
    if (srv_mon_listen(m->srvmon, g->serverbind, g->serverport) < 0)
        log_warn("server: cannot listen on %s port %d, no client protocol",
                 g->serverbind, g->serverport);
    m->srvtrap = srv_trap_new(m->lp, m->tab, m->srvmon, m->ss);
    if (srv_trap_listen(m->srvtrap, g->trapbind, g->trapport) < 0)
        log_warn("trap server: cannot listen on %s port %d, no traps",
                 g->trapbind, g->trapport);
}

/* Save the state and close the servers. */
static void
stop_control(struct mond *m)
{
    srv_trap_free(m->srvtrap);
    srv_mon_free(m->srvmon);
    srv_state_free(m->ss);
    m->srvtrap = NULL;
    m->srvmon = NULL;
    m->ss = NULL;
}

static int
write_pidfile(const char *path)
{
    char buf[32];
    int fd, n;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

static int
daemonize(const struct config *cfg)
{
    int fd;

    if (daemon(0, 1) < 0)
        return -1;
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (dup2(fd, STDIN_FILENO) < 0)
        return -1;
    if (cfg->g.monerrfile != NULL) {
        int ef = open(cfg->g.monerrfile,
                      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (ef >= 0) {
            close(fd);
            fd = ef;
        }
    }
    if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
        return -1;
    close(fd);
    return 0;
}

static const char *
default_config_path(void)
{
    struct stat sb;

    return stat("/etc/mon", &sb) == 0 && S_ISDIR(sb.st_mode)
           ? "/etc/mon/mon.cf" : "/etc/mon.cf";
}

static char *
default_pidfile(void)
{
    struct stat sb;

    if (stat("/run/mon", &sb) == 0 && S_ISDIR(sb.st_mode))
        return xstrdup("/run/mon/mon.pid");
    return xstrdup("/run/mond.pid");
}

static int
parse_int(const char *s, const char *opt, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < 1 || v > 1000000) {
        fprintf(stderr, "mond: %s: expected a positive number, got \"%s\"\n",
                opt, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static void
opts_fini(struct opts *o)
{
    free(o->mondir);
    free(o->alertdir);
    free(o->statedir);
    free(o->logdir);
    free(o->pidfile);
    memset(o, 0, sizeof *o);
}

/* --convert FILE: print the model of a mon.cf (or .m4) as YAML, or of a
 * YAML file as mon.cf, on stdout.  The model is converted as written:
 * command-line overrides are not applied. */
static int
convert_config(const struct opts *o)
{
    struct diag_list errs;
    const char *p = o->convert;
    size_t n = strlen(p);
    bool from_yaml = (n > 5 && strcmp(p + n - 5, ".yaml") == 0) ||
                     (n > 4 && strcmp(p + n - 4, ".yml") == 0);

    diag_list_init(&errs);
    struct config *cfg = config_load(p, o->use_m4, &errs);
    if (cfg == NULL) {
        print_diags(stderr, &errs);
        if (errs.n == 0)
            fprintf(stderr, "mond: %s: configuration not loaded\n", p);
        diag_list_fini(&errs);
        return 1;
    }
    diag_list_fini(&errs);
    print_diags(stderr, &cfg->warnings);
    int rc = from_yaml ? config_write_moncf(stdout, cfg)
                       : config_write_yaml(stdout, cfg);
    config_free(cfg);
    if (rc < 0 && errno == EILSEQ)
        fprintf(stderr, "mond: --convert: %s holds text that is not UTF-8; "
                "YAML cannot hold it\n", p);
    else if (rc < 0 && errno == EINVAL)
        fprintf(stderr, "mond: --convert: %s has a host name with a blank; "
                "mon.cf cannot hold it\n", p);
    else if (rc < 0)
        fprintf(stderr, "mond: --convert: writing the output: %s\n",
                strerror(errno));
    if (rc < 0)
        return 1;
    return 0;
}

static int run(struct mond *m);

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { "convert", required_argument, NULL, 'C' },
        { "loadstate", optional_argument, NULL, 'l' },
        { NULL, 0, NULL, 0 },
    };
    struct mond m;
    int c, rc;

    memset(&m, 0, sizeof m);
    m.o.foreground = true;      /* as mon: the foreground unless -f */
    m.o.config = NULL;
    while ((c = getopt_long(argc, argv, "a:c:dD:fhk:l::L:m:MP:r:s:Stv",
                            longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            free(m.o.alertdir);
            m.o.alertdir = absolute_path(optarg);
            break;
        case 'c':
            m.o.config = optarg;
            break;
        case 'd':
            m.o.debug = true;
            break;
        case 'D':
            free(m.o.statedir);
            m.o.statedir = absolute_path(optarg);
            break;
        case 'f':               /* mon's -f: fork into the background */
            m.o.foreground = false;
            break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        case 'k':
            if (parse_int(optarg, "-k", &m.o.histlength) < 0) {
                rc = EXIT_USAGE;
                goto out;
            }
            break;
        case 'l': {
            /* mon's Getopt "l|loadstate:s": the type is optional and may
             * be the next word ("-l opstatus") when that is not an
             * option. */
            const char *t = optarg;

            if (t == NULL && optind < argc && argv[optind][0] != '-')
                t = argv[optind++];
            m.o.loadstate = monstate_type(t != NULL ? t : "disabled");
            if (m.o.loadstate == 0) {
                fprintf(stderr, "mond: -l: expected disabled, opstatus or "
                        "all, got \"%s\"\n", t);
                rc = EXIT_USAGE;
                goto out;
            }
            break;
        }
        case 'L':
            free(m.o.logdir);
            m.o.logdir = absolute_path(optarg);
            break;
        case 'm':
            if (parse_int(optarg, "-m", &m.o.maxprocs) < 0) {
                rc = EXIT_USAGE;
                goto out;
            }
            break;
        case 'M':
            m.o.use_m4 = true;
            break;
        case 'P':
            free(m.o.pidfile);
            m.o.pidfile = optarg[0] != '\0' ? absolute_path(optarg) : NULL;
            m.o.pidfile_set = true;
            break;
        case 'r': {
            int secs;
            if (parse_int(optarg, "-r", &secs) < 0) {
                rc = EXIT_USAGE;
                goto out;
            }
            m.o.randstart_ms = (int64_t)secs * 1000;
            m.o.randstart_set = true;
            break;
        }
        case 's':
            free(m.o.mondir);
            m.o.mondir = absolute_path(optarg);
            break;
        case 'S':
            m.o.stopped = true;
            break;
        case 't':
            m.o.check = true;
            break;
        case 'C':
            m.o.convert = optarg;
            break;
        case 'v':
            printf("mond %s\n", MOND_VERSION);
            rc = 0;
            goto out;
        default:
            usage(stderr);
            rc = EXIT_USAGE;
            goto out;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "mond: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        rc = EXIT_USAGE;
        goto out;
    }
    if (m.o.config == NULL)
        m.o.config = default_config_path();
    log_set_debug(m.o.debug);
    (void)log_init(true, NULL);

    if (m.o.convert != NULL)
        rc = convert_config(&m.o);
    else
        rc = m.o.check ? check_config(&m.o) : run(&m);
out:
    opts_fini(&m.o);
    return rc;
}

/* Start-up after the options: load, daemonize, run the loop, clean up. */
static int
run(struct mond *m)
{
    struct diag_list errs;
    int rc;

    diag_list_init(&errs);
    m->cfg = load_config(&m->o, &errs);
    if (m->cfg == NULL) {
        print_diags(stderr, &errs);
        fprintf(stderr, "mond: %s: %zu error(s), not starting\n", m->o.config,
                diag_count(&errs, DIAG_ERROR) + errs.dropped);
        diag_list_fini(&errs);
        return 1;
    }
    diag_list_fini(&errs);
    print_diags(stderr, &m->cfg->warnings);

    if (!m->o.foreground) {
        /* The daemon lives in "/": a reload must find the same file. */
        m->config_abs = absolute_path(m->o.config);
        m->o.config = m->config_abs;
    }
    if (!m->o.foreground && daemonize(m->cfg) < 0) {
        perror("mond: daemonize");
        config_free(m->cfg);
        free(m->config_abs);
        return 1;
    }
    if (log_init(m->o.foreground, m->cfg->g.syslog_facility) < 0)
        log_warnx("syslog_facility %s unknown, using daemon",
                  m->cfg->g.syslog_facility);

    if (m->o.pidfile_set)
        m->pidfile = m->o.pidfile != NULL ? xstrdup(m->o.pidfile) : NULL;
    else if (m->cfg->g.pidfile != NULL && m->cfg->g.pidfile[0] != '\0')
        m->pidfile = xstrdup(m->cfg->g.pidfile);
    else if (!m->o.foreground)
        m->pidfile = default_pidfile();
    if (m->pidfile != NULL && write_pidfile(m->pidfile) < 0) {
        log_warn("pidfile %s", m->pidfile);
        free(m->pidfile);
        m->pidfile = NULL;
    }

    /* Big buffers that come and go (a state file being written, a page
     * being rendered, a burst of frames) get their own mappings and are
     * given back when freed.  Setting the threshold also stops glibc
     * from raising it after such a free, which would leave the next
     * ones in the heap for good. */
    (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    m->lp = loop_new(on_signal, m);
    if (m->lp == NULL)
        fatal("event loop");
    m->sp = spawner_new_helper(m->lp);
    m->aq = alertq_new(m->lp, m->sp);
    m->tab = svctab_new(m->lp, m->sp, m->aq);
    log_info("mond %s started, pid %ld, %s", MOND_VERSION, (long)getpid(),
             m->o.config);
    /* mon's -S sets $STOPPED before its startup alerts, so do_alert()
     * drops those too: pause before the first config is bound. */
    if (m->o.stopped)
        svctab_set_paused(m->tab, true);
    svctab_set_config(m->tab, m->cfg);

    start_control(m);
    m->http = srv_http_new(m->lp, m->tab, m->sp, m->aq);
    rc = loop_run(m->lp);
    stop_control(m);
    if (rc < 0)
        log_warn("event loop");
    srv_http_free(m->http);
    svctab_free(m->tab);
    alertq_free(m->aq);
    spawner_free(m->sp);
    loop_free(m->lp);
    config_free(m->cfg);
    if (m->pidfile != NULL && unlink(m->pidfile) < 0 && errno != ENOENT)
        log_warn("pidfile %s: unlink", m->pidfile);
    log_info("stopped");
    free(m->pidfile);
    free(m->config_abs);
    return rc < 0 ? 1 : 0;
}
