/*
 * test_moncf.c — the mon.cf front-end and the config model: every keyword
 * into its field, every error with its exact file:line:col and message,
 * mon's own example configurations, m4, the canonical dump, the summary
 * line and the program look-up.  Runs in t/ (fixtures/moncf/...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "depexpr.h"
#include "parse_moncf.h"
#include "period.h"
#include "xalloc.h"

#define FIX "fixtures/moncf/"

/* Every diagnostic of a list, formatted, one per line. */
static char *
all_diags(const struct diag_list *l)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < l->n; i++) {
        char *d = diag_format(&l->items[i]);
        char *t = xasprintf("%s%s\n", out, d);
        free(d);
        free(out);
        out = t;
    }
    return out;
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("%s: cannot open", path);
    char *buf = xmalloc(65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* Parse text that must fail; return its formatted errors. */
static char *
errors_of(const char *text)
{
    struct diag_list errs;
    diag_list_init(&errs);
    struct config *cfg = parse_moncf_buffer("t.cf", text, strlen(text),
                                            &errs);
    if (cfg != NULL)
        fail_msg("parsed without errors:\n%s", text);
    char *s = all_diags(&errs);
    diag_list_fini(&errs);
    return s;
}

/* Parse text that must load; caller frees. */
static struct config *
load_text(const char *text)
{
    struct diag_list errs;
    diag_list_init(&errs);
    struct config *cfg = parse_moncf_buffer("t.cf", text, strlen(text),
                                            &errs);
    if (cfg == NULL) {
        char *s = all_diags(&errs);
        fail_msg("errors:\n%s", s);
    }
    diag_list_fini(&errs);
    return cfg;
}

static struct config *
load_file(const char *path, bool m4)
{
    struct diag_list errs;
    diag_list_init(&errs);
    struct config *cfg = config_load(path, m4, &errs);
    if (cfg == NULL) {
        char *s = all_diags(&errs);
        fail_msg("%s: errors:\n%s", path, s);
    }
    assert_int_equal(errs.n, 0);
    diag_list_fini(&errs);
    return cfg;
}

static void
assert_argv(char **argv, size_t argc, const char *const *want)
{
    size_t n = 0;
    while (want[n] != NULL)
        n++;
    assert_int_equal(argc, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(argv[i], want[i]);
}

/* ---- every keyword ---------------------------------------------------- */

static void
test_globals(void **state)
{
    (void)state;
    struct config *cfg = load_file(FIX "all-keywords.cf", false);
    const struct globals *g = &cfg->g;

    assert_string_equal(g->basedir, "/opt/mon");
    assert_string_equal(g->cfbasedir, "/etc/mond");
    /* relative entries of the lists resolved against basedir, trailing
     * slashes dropped */
    assert_string_equal(g->alertdir, "/opt/mon/alert.d:/usr/local/alerts");
    assert_string_equal(g->mondir, "/opt/mon/mon.d:/usr/local/mon.d");
    assert_string_equal(g->statedir, "/opt/mon/state");
    assert_string_equal(g->logdir, "/var/log/mond");
    assert_string_equal(g->authfile, "/etc/mond/auth.cf");
    assert_string_equal(g->authtype, "getpwnam userfile");
    assert_string_equal(g->userfile, "/etc/mond/users");
    assert_string_equal(g->pamservice, "mon");
    assert_string_equal(g->serverbind, "127.0.0.2");
    assert_int_equal(g->serverport, 12583);
    assert_string_equal(g->trapbind, "127.0.0.3");
    assert_int_equal(g->trapport, 12584);
    assert_string_equal(g->pidfile, "/run/mond-test.pid");
    assert_int_equal(g->maxprocs, 7);
    assert_int_equal(g->histlength, 250);
    assert_string_equal(g->historicfile, "/var/log/mond/history.log");
    assert_int_equal(g->historictime_ms, 2 * 86400000LL);
    assert_string_equal(g->dtlogfile, "/var/log/mond/dt.log");
    assert_true(g->dtlogging);
    assert_int_equal(g->cltimeout_ms, 600000);
    assert_int_equal(g->randstart_ms, 30000);
    assert_int_equal(g->dep_recur_limit, 5);
    assert_int_equal(g->dep_behavior, DEP_BEHAVIOR_MONITOR);
    assert_int_equal(g->dep_memory_ms, 90000);
    assert_string_equal(g->syslog_facility, "local3");
    assert_true(g->startupalerts_on_reset);
    assert_string_equal(g->monerrfile, "/var/log/mond/err");
    assert_string_equal(g->monremote, "/usr/local/bin/monremote.pl");
    assert_string_equal(g->clientallow, "127.0.0.1");
    assert_string_equal(g->exclude_period_spec, "wd {Sun} hr {3am-4am}");
    assert_non_null(g->exclude_period);
    assert_true(g->unack_summary);
    assert_string_equal(g->httpbind, "0.0.0.0");
    assert_int_equal(g->httpport, 8080);
    assert_int_equal(g->monitor_timeout_ms, 45000);
    assert_int_equal(g->alert_timeout_ms, 120000);
    assert_int_equal(g->alert_retry_ms, 10000);
    assert_int_equal(g->alert_retry_max_ms, 3600000);
    assert_int_equal(g->alert_giveup_ms, 2 * 86400000LL);
    assert_int_equal(g->output_max_bytes, 128 * 1024);
    config_free(cfg);
}

static void
test_defaults(void **state)
{
    (void)state;
    struct config *cfg = load_text("watch h\n    service s\n"
                                   "        interval 10m\n"
                                   "        monitor m\n");
    const struct globals *g = &cfg->g;
    assert_string_equal(g->basedir, "/usr/lib/mon");
    assert_string_equal(g->mondir, "/usr/lib/mon/mon.d");
    assert_string_equal(g->alertdir, "/usr/lib/mon/alert.d");
    assert_string_equal(g->authfile, "/etc/mon/auth.cf");
    assert_string_equal(g->dtlogfile, "/var/log/mon/downtime.log");
    assert_null(g->historicfile);
    assert_int_equal(g->serverport, 2583);
    assert_int_equal(g->trapport, 2583);
    assert_int_equal(g->httpport, 2584);
    assert_string_equal(g->serverbind, "127.0.0.1");
    assert_int_equal(g->histlength, 100);
    assert_int_equal(g->dep_recur_limit, 10);
    assert_int_equal(g->cltimeout_ms, 30000);
    assert_int_equal(g->alert_timeout_ms, 60000);
    assert_int_equal(g->output_max_bytes, 65536);
    const struct service *s = config_find_service(cfg, "h", "s");
    assert_non_null(s);
    /* default deadline: the smaller of interval and 5 minutes */
    assert_int_equal(config_monitor_timeout_ms(s), 300000);
    assert_int_equal(s->dep_behavior, DEP_BEHAVIOR_ALERT);
    assert_false(s->has_dep_behavior);
    /* watch of an unknown group: an implicit group of that one host */
    const struct hostgroup *hg = config_find_group(cfg, "h");
    assert_non_null(hg);
    assert_true(hg->implicit);
    assert_int_equal(hg->nhosts, 1);
    assert_string_equal(hg->hosts[0], "h");
    assert_ptr_equal(cfg->watches[0].group, hg);
    assert_ptr_equal(s->watch, &cfg->watches[0]);
    config_free(cfg);
}

static void
test_blocks(void **state)
{
    (void)state;
    struct config *cfg = load_file(FIX "all-keywords.cf", false);
    const struct hostgroup *g = config_find_group(cfg, "servers");
    assert_non_null(g);
    assert_false(g->implicit);
    const char *const hosts[] = {"alpha", "beta", "gamma", "delta", NULL};
    assert_argv(g->hosts, g->nhosts, hosts);
    assert_int_equal(g->line, 44);
    assert_int_equal(cfg->nviews, 1);
    assert_string_equal(cfg->views[0].name, "all");
    const char *const vg[] = {"servers", "routers", NULL};
    assert_int_equal(cfg->views[0].ngroups, 2);
    assert_string_equal(cfg->views[0].groups[0], vg[0]);
    assert_string_equal(cfg->views[0].groups[1], vg[1]);
    assert_int_equal(cfg->naliases, 1);
    assert_string_equal(cfg->aliases[0].name, "web");
    assert_int_equal(cfg->aliases[0].nlines, 1);
    assert_string_equal(cfg->aliases[0].lines[0], "service servers http");
    assert_int_equal(cfg->nwatches, 3);
    const struct hostgroup *lone = config_find_group(cfg, "lonely.host");
    assert_non_null(lone);
    assert_true(lone->implicit);
    config_free(cfg);
}

static void
test_service_keywords(void **state)
{
    (void)state;
    struct config *cfg = load_file(FIX "all-keywords.cf", false);
    const struct service *s = config_find_service(cfg, "servers", "ping");
    assert_non_null(s);
    assert_string_equal(s->description, "ping the servers");
    assert_int_equal(s->interval_ms, 60000);
    assert_int_equal(s->randskew_ms, 5000);
    assert_int_equal(s->failure_interval_ms, 20000);
    assert_int_equal(s->monitor_timeout_ms, 30000);
    assert_int_equal(config_monitor_timeout_ms(s), 30000);
    const char *const mon[] = {"fping.monitor", "-t", "4000 ms", "a b",
                               "c d", NULL};
    assert_argv(s->monitor_argv, s->monitor_argc, mon);
    assert_false(s->monitor_no_hosts);
    assert_int_equal(s->monitor_line, 63);
    assert_true(s->allow_empty_group);
    const char *const ex[] = {"gamma", "delta", NULL};
    assert_argv(s->exclude_hosts, s->nexclude_hosts, ex);
    assert_string_equal(s->exclude_period_spec, "wd {Sat-Sun}");
    assert_non_null(s->exclude_period);
    assert_string_equal(s->depend, "routers:ping && !SELF:http");
    assert_non_null(s->depend_expr);
    assert_string_equal(s->alertdepend, "routers:ping");
    assert_non_null(s->alertdepend_expr);
    assert_string_equal(s->monitordepend, "routers:ping || routers:ping");
    assert_non_null(s->monitordepend_expr);
    assert_string_equal(s->hostdepend, "routers:ping");
    assert_non_null(s->hostdepend_expr);
    assert_true(s->has_dep_behavior);
    assert_int_equal(s->dep_behavior, DEP_BEHAVIOR_HOST);
    assert_int_equal(s->dep_memory_ms, 300000);
    assert_false(s->unack_summary);
    const char *const red[] = {"remote.alert", "-x", "1", NULL};
    assert_argv(s->redistribute_argv, s->redistribute_argc, red);
    assert_int_equal(s->nenv, 2);
    assert_string_equal(s->env[0].name, "MON_EXTRA");
    assert_string_equal(s->env[0].value, "value with spaces");
    assert_string_equal(s->env[1].name, "OTHER_VAR");
    assert_string_equal(s->env[1].value, "2");
    assert_int_equal(s->nperiods, 3);

    /* globals as defaults of services that do not set them */
    const struct service *h = config_find_service(cfg, "servers", "http");
    const char *const hm[] = {"http.monitor", "-p", "8080", NULL};
    assert_argv(h->monitor_argv, h->monitor_argc, hm);
    assert_true(h->monitor_no_hosts);
    assert_true(h->unack_summary);          /* bare keyword = yes */
    assert_false(h->has_dep_behavior);
    assert_int_equal(h->dep_behavior, DEP_BEHAVIOR_MONITOR);
    assert_int_equal(h->dep_memory_ms, 90000);
    assert_int_equal(h->monitor_timeout_ms, 45000);
    const struct service *t = config_find_service(cfg, "servers", "trap");
    assert_null(t->monitor_argv);
    assert_int_equal(t->traptimeout_ms, 600000);
    assert_int_equal(t->trapduration_ms, 3600000);
    assert_int_equal(t->periods[0].alertevery_mode, ALERTEVERY_STRICT);
    config_free(cfg);
}

static void
test_period_keywords(void **state)
{
    (void)state;
    struct config *cfg = load_file(FIX "all-keywords.cf", false);
    const struct service *s = config_find_service(cfg, "servers", "ping");
    const struct period_def *p = &s->periods[0];

    assert_null(p->label);
    assert_string_equal(p->spec, "wd {Mon-Fri} hr {7am-10pm}");
    assert_non_null(p->compiled);
    assert_int_equal(p->line, 77);
    assert_int_equal(p->nalerts, 4);
    assert_int_equal(p->alerts[0].kind, ALERT_KIND_ALERT);
    assert_false(p->alerts[0].has_exit_range);
    const char *const a0[] = {"mail.alert", "ops@example.org", NULL};
    assert_argv(p->alerts[0].argv, p->alerts[0].argc, a0);
    assert_int_equal(p->alerts[0].line, 78);
    assert_int_equal(p->alerts[0].col, 19);
    assert_true(p->alerts[1].has_exit_range);
    assert_int_equal(p->alerts[1].exit_min, 2);
    assert_int_equal(p->alerts[1].exit_max, 3);
    const char *const a1[] = {"page.alert", "oncall", NULL};
    assert_argv(p->alerts[1].argv, p->alerts[1].argc, a1);
    assert_int_equal(p->alerts[2].kind, ALERT_KIND_UPALERT);
    const char *const a2[] = {"mail.alert", "-S", "back up",
                              "ops@example.org", NULL};
    assert_argv(p->alerts[2].argv, p->alerts[2].argc, a2);
    assert_int_equal(p->alerts[3].kind, ALERT_KIND_STARTUP);
    assert_int_equal(p->nackalerts, 1);
    assert_string_equal(p->ackalerts[0].argv[1], "acks@example.org");
    assert_int_equal(p->ndisablealerts, 1);
    assert_int_equal(p->alertevery_ms, 3600000);
    assert_int_equal(p->alertevery_mode, ALERTEVERY_OBSERVE_DETAIL);
    assert_int_equal(p->alertafter_count, 3);
    assert_int_equal(p->alertafter_within_ms, 600000);
    assert_int_equal(p->numalerts, 10);
    assert_true(p->no_comp_alerts);
    assert_int_equal(p->upalertafter_ms, 120000);
    assert_true(p->alerts_dont_count);
    assert_true(p->has_exit_range);
    assert_int_equal(p->exit_min, 1);
    assert_int_equal(p->exit_max, 2);

    p = &s->periods[1];
    assert_string_equal(p->label, "night");
    assert_string_equal(p->spec, "wd {Mon-Fri} hr {7am-10pm}");
    assert_true(p->alerts[0].has_exit_range);
    assert_int_equal(p->alerts[0].exit_min, 5);
    assert_int_equal(p->alerts[0].exit_max, 5);
    assert_int_equal(p->alertevery_ms, 1800000);
    assert_int_equal(p->alertevery_mode, ALERTEVERY_STRICT);
    assert_int_equal(p->alertafter_count, 2);
    assert_int_equal(p->alertafter_within_ms, 0);
    assert_int_equal(p->numalerts, 0);
    assert_false(p->no_comp_alerts);

    p = &s->periods[2];
    assert_null(p->label);
    assert_string_equal(p->spec, "");       /* blank = always */
    assert_non_null(p->compiled);
    assert_int_equal(p->alertafter_count, 0);
    assert_int_equal(p->alertafter_within_ms, 900000);
    assert_int_equal(p->alertevery_mode, ALERTEVERY_SUMMARY);
    config_free(cfg);
}

/* Findings that do not stop a load, each exactly. */
static void
test_warnings(void **state)
{
    (void)state;
    struct config *cfg = load_text(
        "watch w extra words\n"
        "    service s\n"
        "        interval 1m\n"
        "        interval 2m\n"
        "        monitor m\n"
        "        period\n"
        "            startupalert exit=1 a\n"
        "            alertevery 1h\n"
        "            alertevery 2h\n");
    char *got = all_diags(&cfg->warnings);
    assert_string_equal(got,
        "t.cf:1:9: warning: watch w: \"extra\" and the rest of the line "
        "ignored (as mon does)\n"
        "t.cf:4:9: warning: watch w service s: interval given twice; the last "
        "one counts\n"
        "t.cf:7:26: warning: watch w service s: exit= does not apply to "
        "startupalert; ignored\n"
        "t.cf:9:13: warning: watch w service s: alertevery given twice; the "
        "last one counts\n");
    free(got);
    const struct service *s = config_find_service(cfg, "w", "s");
    assert_int_equal(s->interval_ms, 120000);
    assert_false(s->periods[0].alerts[0].has_exit_range);
    assert_int_equal(s->periods[0].alertevery_ms, 7200000);
    config_free(cfg);
}

/* Details of mon's grammar. */
static void
test_grammar_details(void **state)
{
    (void)state;
    struct config *cfg = load_text(
        "unack_summary =\n"
        "watch late\n"
        "    service s\n"
        "        interval 1.5h\n"
        "        monitor m \\\n"
        "            -t 80;;\n"
        "        MON_X=a=b\n"
        "        period p1:wd {Sun}\n"
        "            alert a \"x y\" 'z\\' \\;\n"
        "\n"
        "hostgroup late h1 h2\n"
        "\n"
        "view v late\n");
    assert_true(cfg->g.unack_summary);
    const struct hostgroup *g = config_find_group(cfg, "late");
    assert_false(g->implicit);          /* replaced by the real one */
    assert_int_equal(g->nhosts, 2);
    assert_string_equal(g->hosts[1], "h2");
    assert_ptr_equal(cfg->watches[0].group, g);
    const struct service *s = config_find_service(cfg, "late", "s");
    assert_int_equal(s->interval_ms, 5400000);
    assert_true(s->unack_summary);
    const char *const m[] = {"m", "-t", "80", NULL};
    assert_argv(s->monitor_argv, s->monitor_argc, m);
    assert_true(s->monitor_no_hosts);
    assert_string_equal(s->env[0].name, "MON_X");
    assert_string_equal(s->env[0].value, "a=b");
    assert_string_equal(s->periods[0].label, "p1");
    assert_string_equal(s->periods[0].spec, "wd {Sun}");
    const char *const a[] = {"a", "x y", "z\\", ";", NULL};
    assert_argv(s->periods[0].alerts[0].argv, s->periods[0].alerts[0].argc,
                a);
    assert_int_equal(cfg->warnings.n, 0);
    config_free(cfg);
}

/* ---- mon's examples --------------------------------------------------- */

static void
test_example_cf(void **state)
{
    (void)state;
    struct config *cfg = load_file(FIX "example.cf", false);
    char *w = all_diags(&cfg->warnings);
    assert_string_equal(w,
        "fixtures/moncf/example.cf:110:22: warning: watch serversbd2 service "
        "telnet: depend is a list of services with no operator between "
        "them; mon cannot evaluate it and counts it as satisfied (join them "
        "with && or ||)\n"
        "fixtures/moncf/example.cf:118: warning: watch mailhost service "
        "fping has no monitor and no traptimeout: only traps change its "
        "state\n"
        "fixtures/moncf/example.cf:169: warning: watch wwwservers service "
        "telnet has a monitor but no interval: the monitor never runs (as "
        "in mon)\n"
        "fixtures/moncf/example.cf:59: warning: hostgroup new has no watch "
        "assigned to it\n");
    free(w);
    char *sum = config_summary(cfg);
    assert_string_equal(sum, "configuration OK: 13 hostgroups, 12 watches, "
                        "23 services");
    free(sum);
    const struct service *s = config_find_service(cfg, "serversbd2",
                                                  "telnet");
    assert_non_null(s->depend_expr);
    const struct service *f = config_find_service(cfg, "netapps",
                                                  "freespace");
    const char *const fm[] = {"freespace.monitor", "/f330:5000",
                              "/f540:5000", NULL};
    assert_argv(f->monitor_argv, f->monitor_argc, fm);
    assert_true(f->monitor_no_hosts);
    const struct service *r = config_find_service(cfg, "routers", "ping");
    assert_int_equal(r->nperiods, 2);
    assert_string_equal(r->periods[1].label, "LOGFILE");
    assert_string_equal(r->periods[1].spec, "wd {Sun-Sat}");
    assert_true(config_find_group(cfg, "news")->implicit);
    config_free(cfg);
}

static void
test_other_examples(void **state)
{
    (void)state;
    struct config *cfg = load_file(FIX "very-simple.cf", false);
    assert_int_equal(cfg->warnings.n, 1);   /* hostgroup mail unwatched */
    config_free(cfg);

    cfg = load_file(FIX "debian-mon.cf", false);
    assert_int_equal(cfg->warnings.n, 0);
    assert_string_equal(cfg->g.clientallow, "127.0.0.1");
    assert_string_equal(cfg->g.dtlogfile, "/var/log/mon/dtlog");
    assert_string_equal(cfg->g.mondir,
                        "/usr/lib/mon/mon.d:/usr/lib/mon/mon-local.d");
    const struct service *t = config_find_service(cfg, "localhost", "trap");
    assert_int_equal(t->traptimeout_ms, 600000);
    assert_string_equal(t->periods[0].spec, "");
    config_free(cfg);
}

/* Every mon.cf shipped in etc/ loads without an error or a warning. */
static void
test_etc_files(void **state)
{
    (void)state;
    glob_t gl;
    int rc = glob("../etc/*.cf", 0, NULL, &gl);
    if (rc == GLOB_NOMATCH)
        skip();
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < gl.gl_pathc; i++) {
        struct config *cfg = load_file(gl.gl_pathv[i], false);
        if (cfg->warnings.n > 0) {
            char *w = all_diags(&cfg->warnings);
            fail_msg("%s", w);
        }
        config_free(cfg);
    }
    globfree(&gl);
}

static void
test_m4(void **state)
{
    (void)state;
    /* *.m4 goes through m4 on its own */
    struct config *cfg = load_file(FIX "example.m4", false);
    const struct service *s = config_find_service(cfg, "serversbd1", "ping");
    assert_int_equal(s->nperiods, 3);
    assert_string_equal(s->periods[0].spec, "wd {Mon-Fri} hr {7am-10pm}");
    assert_string_equal(s->periods[1].label, "PAGE");
    const char *const a[] = {"qpage.alert", "joe", "bob", "zoomzip", NULL};
    assert_argv(s->periods[1].alerts[0].argv, s->periods[1].alerts[0].argc,
                a);
    assert_string_equal(cfg->g.cfbasedir, "/usr/lib/mon/etc");
    /* the depend-list warning names the line of the m4 source */
    assert_true(cfg->warnings.n > 0);
    assert_int_equal(cfg->warnings.items[0].line, 146);
    config_free(cfg);

    /* errors after m4 point into the source file (m4 -s sync lines) */
    char dir[] = "/tmp/test_moncf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/x.cf", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("define(_IV_, `5m')dnl\n"
          "dnl a comment\n"
          "define(_M_, `ping.monitor -c 3')dnl\n"
          "\n"
          "watch h\n"
          "    service s\n"
          "        interval _IV_\n"
          "        monitor _M_\n"
          "        bogus 1\n", f);
    assert_int_equal(fclose(f), 0);
    struct diag_list errs;
    diag_list_init(&errs);
    assert_null(config_load(path, true, &errs));
    char *got = all_diags(&errs);
    char *want = xasprintf("%s:9:9: error: watch h service s: found "
                           "\"bogus\", expected a service keyword (interval, "
                           "monitor, period, depend, ...)\n", path);
    assert_string_equal(got, want);
    free(got);
    free(want);
    diag_list_fini(&errs);

    /* an error in an include()d file names that file */
    char *inc = xasprintf("%s/inc.cf", dir);
    f = fopen(inc, "w");
    assert_non_null(f);
    fputs("hostgroup g a\n\nwatch g\n    service s\n        interval 9z\n",
          f);
    assert_int_equal(fclose(f), 0);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "maxprocs = 3\ninclude(`%s')\nbogus = 1\n", inc);
    assert_int_equal(fclose(f), 0);
    diag_list_init(&errs);
    assert_null(config_load(path, true, &errs));
    got = all_diags(&errs);
    want = xasprintf("%s:5:18: error: watch g service s: found \"9z\", "
                     "expected a time value such as 30s, 5m, 1.5h or 1d\n"
                     "%s:3:1: error: found \"bogus\", expected a global "
                     "variable name (unknown variable)\n", inc, path);
    assert_string_equal(got, want);
    free(got);
    free(want);
    diag_list_fini(&errs);
    assert_int_equal(unlink(inc), 0);
    free(inc);

    /* m4's own errors */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("watch h\ndefine(_X_,\n", f);
    assert_int_equal(fclose(f), 0);
    diag_list_init(&errs);
    assert_null(config_load(path, true, &errs));
    got = all_diags(&errs);
    want = xasprintf("%s:2: error: m4: ERROR: end of file in argument "
                     "list\n", path);
    assert_string_equal(got, want);
    free(got);
    free(want);
    diag_list_fini(&errs);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    free(path);
}

/* ---- errors ----------------------------------------------------------- */

struct err_case {
    const char *text;
    const char *want;           /* every diagnostic, formatted */
};

static const struct err_case err_cases[] = {
    {"bogus = 1\n",
     "t.cf:1:1: error: found \"bogus\", expected a global variable name "
     "(unknown variable)\n"},
    {"maxprocs = many\n",
     "t.cf:1:12: error: maxprocs: found \"many\", expected a number from 0 "
     "to 100000\n"},
    {"serverport = 0\n",
     "t.cf:1:14: error: serverport: found \"0\", expected a number from 1 "
     "to 65535\n"},
    {"randstart = 5x\n",
     "t.cf:1:13: error: randstart: found \"5x\", expected a time value such "
     "as 30s, 5m, 1.5h or 1d\n"},
    {"dtlogging = maybe\n",
     "t.cf:1:13: error: dtlogging: found \"maybe\", expected yes or no\n"},
    {"dep_behavior = x\n",
     "t.cf:1:16: error: dep_behavior: found \"x\", expected a, m or hm\n"},
    {"authtype = getpwnam kerberos\n",
     "t.cf:1:21: error: authtype: found \"kerberos\", expected getpwnam, "
     "shadow, userfile, pam or trustlocal\n"},
    {"syslog_facility = local9\n",
     "t.cf:1:19: error: syslog_facility: found \"local9\", expected a syslog "
     "facility (daemon, local0 ... local7, ...)\n"},
    {"output_max = 12q\n",
     "t.cf:1:14: error: output_max: found \"12q\", expected a size from 1k "
     "to 1024M (bytes, or with suffix k or M)\n"},
    {"histlength = 1 2\n",
     "t.cf:1:16: error: histlength: found \"2\", expected end of line\n"},
    {"hostgroup\n",
     "t.cf:1:10: error: found end of line, expected a hostgroup name after "
     "\"hostgroup\"\n"},
    {"hostgroup a/b x\n",
     "t.cf:1:11: error: found \"a/b\", expected a hostgroup name of letters, "
     "digits, \"-\", \".\" or \"_\"\n"},
    {"hostgroup g a\n\nhostgroup g b\n",
     "t.cf:3:11: error: hostgroup g defined twice (first at line 1)\n"},
    {"hostgroup g a b\nwatch g\n    service s\n",
     "t.cf:2:1: error: hostgroup g: found \"watch\", expected host names; a "
     "blank line must end a hostgroup\n"},
    {"view v nosuch\n",
     "t.cf:1:8: error: view v: hostgroup nosuch is not defined\n"},
    {"stray line\n",
     "t.cf:1:1: error: found \"stray\", expected a global variable (name = "
     "value), hostgroup, view, alias or watch\n"},
    {"watch w\n    service s\n        monitor m\n\n    service t\n",
     "t.cf:5:5: error: found \"service\", expected a global variable (name "
     "= value), hostgroup, view, alias or watch (a blank line ends a "
     "watch)\n"},
    {"watch w\n    interval 5m\n",
     "t.cf:2:5: error: watch w: found \"interval\", expected \"service\"\n"},
    {"watch w\n    X=1\n",
     "t.cf:2:5: error: watch w: found \"X=1\", expected \"service\"\n"},
    {"watch w\n    service\n",
     "t.cf:2:12: error: watch w: found end of line, expected a service name "
     "after \"service\"\n"},
    {"watch w\n    service a b\n",
     "t.cf:2:15: error: watch w: found \"b\", expected end of line after "
     "the service name\n"},
    {"watch web\n    service http\n        monitor h\n"
     "    service http\n        monitor h\n",
     "t.cf:4:13: error: watch web: service http defined twice (first at "
     "line 2)\n"},
    {"watch w\n    service s\n        monitor m\n\nwatch w\n",
     "t.cf:5:7: error: watch w defined twice (first at line 1)\n"},
    {"watch w\n    service s\n        interval 5x\n",
     "t.cf:3:18: error: watch w service s: found \"5x\", expected a time "
     "value such as 30s, 5m, 1.5h or 1d\n"},
    {"watch w\n    service s\n        interval 0s\n",
     "t.cf:3:18: error: watch w service s: found \"0s\", expected a "
     "positive time value\n"},
    {"watch w\n    service s\n        interval\n",
     "t.cf:3:17: error: watch w service s: found end of line, expected a "
     "time value such as 30s, 5m, 1.5h or 1d after \"interval\"\n"},
    {"watch w\n    service s\n        interval 5m 6m\n",
     "t.cf:3:21: error: watch w service s: found \"6m\", expected end of "
     "line after interval\n"},
    {"watch w\n    service s\n        monitor\n",
     "t.cf:3:16: error: watch w service s: found end of line, expected a "
     "monitor program after \"monitor\"\n"},
    {"watch w\n    service s\n        monitor m \"unterminated\n",
     "t.cf:3:19: error: watch w service s: monitor: found an unterminated "
     "double quote, expected its closing quote\n"},
    {"watch w\n    service s\n        monitor m\n        frobnicate\n",
     "t.cf:4:9: error: watch w service s: found \"frobnicate\", expected a "
     "service keyword (interval, monitor, period, depend, ...)\n"},
    {"watch w\n    service s\n        monitor m\n        alert mail.alert x\n",
     "t.cf:4:9: error: watch w service s: found \"alert\" outside a period, "
     "expected \"period\" before it\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            alert a\n        interval 5m\n",
     "t.cf:6:9: error: watch w service s: found \"interval\" inside period "
     "\"\", expected a period keyword; service keywords go before the "
     "first period\n"},
    {"watch w\n    service s\n        monitor m\n        period wd {Sun}\n"
     "            alert a\n        period wd {Sun}\n",
     "t.cf:6:16: error: watch w service s: period \"wd {Sun}\" defined twice "
     "(first at line 4); give one a label (period NAME: ...)\n"},
    {"watch w\n    service s\n        monitor m\n"
     "        period p: wd {Sun}\n        period p: wd {Mon}\n",
     "t.cf:5:16: error: watch w service s: period \"p\" defined twice "
     "(first at line 4); give one a label (period NAME: ...)\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            alert exit=3-1 a\n",
     "t.cf:5:19: error: watch w service s: alert: found \"exit=3-1\", "
     "expected exit=N or exit=N-M with exit codes from 0 to 255, N <= M\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            alert exit=2\n",
     "t.cf:5:25: error: watch w service s: found end of line, expected an "
     "alert program after \"alert\"\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            alertevery 1h sometimes\n",
     "t.cf:5:27: error: watch w service s: alertevery: found \"sometimes\", "
     "expected observe_detail or strict\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            alertafter 0\n",
     "t.cf:5:24: error: watch w service s: found \"0\", expected a count of "
     "failures from 1 to 1000000\n"},
    {"watch w\n    service s\n        interval 10m\n        monitor m\n"
     "        period\n            alertafter 4 30m\n",
     "t.cf:6:26: error: watch w service s: alertafter 4 30m can never "
     "alert: 4 failures at interval 10m take at least 30m\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            numalerts -1\n",
     "t.cf:5:23: error: watch w service s: found \"-1\", expected a number "
     "from 0 to 1000000000\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            no_comp_alerts please\n",
     "t.cf:5:28: error: watch w service s: found \"please\", expected end "
     "of line after no_comp_alerts\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            upalertafter soon\n",
     "t.cf:5:26: error: watch w service s: found \"soon\", expected a time "
     "value such as 30s, 5m, 1.5h or 1d\n"},
    {"watch w\n    service s\n        monitor m\n        period\n"
     "            comp_alerts\n",
     "t.cf:5:13: error: watch w service s: found \"comp_alerts\", expected a "
     "period keyword (alert, upalert, startupalert, alertevery, alertafter, "
     "numalerts, upalertafter, no_comp_alerts)\n"},
    {"watch w\n    service s\n        monitor m\n        dep_behavior x\n",
     "t.cf:4:22: error: watch w service s: dep_behavior: found \"x\", "
     "expected a, m or hm\n"},
    {"watch w\n    service s\n        monitor m\n"
     "        unack_summary perhaps\n",
     "t.cf:4:23: error: watch w service s: unack_summary: found \"perhaps\", "
     "expected yes or no\n"},
    {"watch w\n    service s\n        monitor m\n"
     "        depend w:s && other:ping\n",
     "t.cf:4:23: error: watch w service s: depend refers to other:ping, "
     "which is not defined\n"},
    {"watch w\n    service s\n        monitor m\n"
     "        hostdepend SELF:nope\n",
     "t.cf:4:20: error: watch w service s: hostdepend refers to w:nope, "
     "which is not defined\n"},
    {"watch w\n    service s\n        monitor m\n        exclude_hosts\n",
     "t.cf:4:22: error: watch w service s: found end of line, expected host "
     "names after \"exclude_hosts\"\n"},
    {"watch w\n    service s\n        monitor m\n        allow_empty_group 1\n",
     "t.cf:4:27: error: watch w service s: found \"1\", expected end of line "
     "after allow_empty_group\n"},
    /* a continued line: the position is on the physical line */
    {"watch w\n    service s\n        monitor m \\\n"
     "            -x \\\n            -y\n        interval \\\n"
     "              7q\n",
     "t.cf:7:15: error: watch w service s: found \"7q\", expected a time "
     "value such as 30s, 5m, 1.5h or 1d\n"},
    /* several errors, all reported */
    {"maxprocs = x\nhistlength = y\nwatch w\n    service s\n"
     "        interval z\n",
     "t.cf:1:12: error: maxprocs: found \"x\", expected a number from 0 to "
     "100000\n"
     "t.cf:2:14: error: histlength: found \"y\", expected a number from 0 to "
     "1000000\n"
     "t.cf:5:18: error: watch w service s: found \"z\", expected a time "
     "value such as 30s, 5m, 1.5h or 1d\n"},
};

static void
test_errors(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
        char *got = errors_of(err_cases[i].text);
        if (strcmp(got, err_cases[i].want) != 0) {
            print_error("case %zu:\n%s\ngot:\n%s\nwant:\n%s\n", i,
                        err_cases[i].text, got, err_cases[i].want);
            bad++;
        }
        free(got);
    }
    assert_int_equal(bad, 0);
}

/* Errors found by the period and dependency languages: their message
 * (owned by those modules, tested there) placed at the column inside the
 * line, with the object named. */
static void
test_errors_inside(void **state)
{
    (void)state;
    int ec = 0, wc = 0;
    const char *em = NULL;

    assert_null(period_compile("wd {Mon-Fri} hr {7am-25pm}", &ec, &em));
    char *want = xasprintf("t.cf:4:%d: error: watch w service s: bad period "
                           "\"wd {Mon-Fri} hr {7am-25pm}\": %s\n",
                           16 + ec - 1, em);
    char *got = errors_of("watch w\n    service s\n        monitor m\n"
                          "        period wd {Mon-Fri} hr {7am-25pm}\n");
    assert_string_equal(got, want);
    assert_int_equal(ec, 22);           /* at "25pm" */
    free(got);
    free(want);

    assert_null(period_compile("hr {25}", &ec, &em));
    want = xasprintf("t.cf:4:%d: error: watch w service s: exclude_period: "
                     "bad period: %s\n", 24 + ec - 1, em);
    got = errors_of("watch w\n    service s\n        monitor m\n"
                    "        exclude_period hr {25}\n");
    assert_string_equal(got, want);
    free(got);
    free(want);

    assert_null(depexpr_compile("w:x &&", "w", &ec, &em, &wc));
    want = xasprintf("t.cf:4:%d: error: watch w service s: depend: %s\n",
                     16 + ec - 1, em);
    got = errors_of("watch w\n    service s\n        monitor m\n"
                    "        depend w:x &&\n");
    assert_string_equal(got, want);
    free(got);
    free(want);
}

static void
test_bad_fixture(void **state)
{
    (void)state;
    struct diag_list errs;
    diag_list_init(&errs);
    assert_null(config_load(FIX "bad.cf", false, &errs));
    char *got = all_diags(&errs);
    /* bad.expected holds @WK@ for period.c's own message */
    char *want = slurp(FIX "bad.expected");
    int ec = 0;
    const char *em = NULL;
    assert_null(period_compile("wk {Mon-Fri}", &ec, &em));
    assert_int_equal(ec, 5);
    char *at = strstr(want, "@WK@");
    assert_non_null(at);
    *at = '\0';
    char *full = xasprintf("%s%s%s", want, em, at + 4);
    assert_string_equal(got, full);
    free(full);
    free(want);
    free(got);
    diag_list_fini(&errs);
}

static void
test_error_cap(void **state)
{
    (void)state;
    char *text = xstrdup("");
    for (int i = 0; i < 150; i++) {
        char *t = xasprintf("%snope%d = 1\n", text, i);
        free(text);
        text = t;
    }
    struct diag_list errs;
    diag_list_init(&errs);
    assert_null(parse_moncf_buffer("t.cf", text, strlen(text), &errs));
    assert_int_equal(errs.n, 100);
    assert_int_equal(errs.dropped, 50);
    diag_list_fini(&errs);
    free(text);
}

/* *.yaml and *.yml go to the YAML front-end: text that is a valid mon.cf
 * is refused there (it is one YAML scalar, not a mapping). */
static void
test_yaml_routing(void **state)
{
    (void)state;
    const char *text = "watch h\n    service s\n        interval 1m\n"
                       "        monitor m\n";
    struct config *cfg = load_text(text);
    config_free(cfg);
    char dir[] = "/tmp/test_moncf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *const names[] = {"c.yaml", "c.yml"};
    for (size_t i = 0; i < 2; i++) {
        char *path = xasprintf("%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
        struct diag_list errs;
        diag_list_init(&errs);
        assert_null(config_load(path, false, &errs));
        assert_true(diag_count(&errs, DIAG_ERROR) > 0);
        diag_list_fini(&errs);
        assert_int_equal(unlink(path), 0);
        free(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

static void
test_missing_file(void **state)
{
    (void)state;
    struct diag_list errs;
    diag_list_init(&errs);
    assert_null(config_load(FIX "no-such.cf", false, &errs));
    char *got = all_diags(&errs);
    assert_string_equal(got, "fixtures/moncf/no-such.cf: error: cannot "
                        "open: No such file or directory\n");
    free(got);
    diag_list_fini(&errs);
}

/* ---- dump, summary, programs ------------------------------------------ */

static void
test_dump(void **state)
{
    (void)state;
    struct config *a = load_file(FIX "all-keywords.cf", false);
    struct config *b = load_file(FIX "all-keywords.cf", false);
    char *da = config_dump(a), *db = config_dump(b);
    assert_string_equal(da, db);
    /* a few lines, exactly */
    assert_non_null(strstr(da, "\nmondir "
                           "\"/opt/mon/mon.d:/usr/local/mon.d\"\n"));
    assert_non_null(strstr(da, "\n    monitor [\"fping.monitor\" \"-t\" "
                           "\"4000 ms\" \"a b\" \"c d\"] no_hosts=0\n"));
    assert_non_null(strstr(da, "\n      alert exit=2-3 [\"page.alert\" "
                           "\"oncall\"]\n"));
    assert_non_null(strstr(da, "\n    env MON_EXTRA=\"value with spaces\"\n"));
    assert_non_null(strstr(da, "\n    depend \"routers:ping && !SELF:http\" "
                           "evaluable=1 refs=[routers:ping servers:http]\n"));
    free(da);
    free(db);
    config_free(a);
    config_free(b);

    /* the same model written differently dumps the same */
    const char *x = "hostgroup g a b\n\nwatch g\n    service s\n"
                    "        interval 300s\n        monitor m -x \"y\"\n"
                    "        period wd {Sun}\n            alert mail.alert u\n";
    const char *y = "# comment\nhostgroup g a \\\n   b\n\nwatch g\n"
                    "  service s\n\tinterval 5m\n\tmonitor m '-x' y\n"
                    "  period wd {Sun}\n    # inner comment\n"
                    "    alert mail.alert \\\n u\n";
    a = load_text(x);
    b = load_text(y);
    da = config_dump(a);
    db = config_dump(b);
    assert_string_equal(da, db);
    free(da);
    free(db);
    config_free(a);
    config_free(b);
}

static void
test_summary(void **state)
{
    (void)state;
    struct config *cfg = load_text("watch h\n    service s\n"
                                   "        interval 1m\n        monitor m\n");
    char *s = config_summary(cfg);
    assert_string_equal(s, "configuration OK: 1 hostgroup, 1 watch, "
                        "1 service");
    free(s);
    config_free(cfg);
}

static void
test_check_programs(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_moncf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *mon = xasprintf("%s/present.monitor", dir);
    FILE *f = fopen(mon, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nexit 0\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(mon, 0755), 0);
    /* alertdir is a second directory holding only both.x, so the same
     * name is found as an alert and not as a monitor. */
    char adir[] = "/tmp/test_moncf_a_XXXXXX";
    assert_non_null(mkdtemp(adir));
    char *both = xasprintf("%s/both.x", adir);
    f = fopen(both, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nexit 0\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(both, 0755), 0);
    char *text = xasprintf(
        "mondir = /nonexistent:%s\nalertdir = %s\n"
        "watch h\n    service a\n        interval 1m\n"
        "        monitor present.monitor -x\n"
        "        period\n            alert missing.alert x\n"
        "    service b\n        interval 1m\n"
        "        monitor absent.monitor\n"
        "    service c\n        interval 1m\n"
        "        monitor /bin/sh -c true\n"
        "    service d\n        interval 1m\n"
        "        monitor /nonexistent/x.monitor\n"
        "    service e\n        interval 1m\n"
        "        monitor absent.monitor\n"
        "        period\n            alert missing.alert y\n"
        "    service f\n        interval 1m\n"
        "        monitor both.x\n"
        "        period\n            alert both.x\n", dir, adir);
    struct config *cfg = load_text(text);
    struct diag_list w;
    diag_list_init(&w);
    config_check_programs(cfg, &w);
    char *got = all_diags(&w);
    /* Every service that names a missing program is warned about, also
     * when the look-up was made once for an earlier service. */
    char *want = xasprintf(
        "t.cf:8:19: warning: watch h service a: alert missing.alert not "
        "found in alertdir %s\n"
        "t.cf:11: warning: watch h service b: monitor absent.monitor not "
        "found in mondir /nonexistent:%s\n"
        "t.cf:17: warning: watch h service d: monitor /nonexistent/x.monitor "
        "not found in mondir /nonexistent:%s\n"
        "t.cf:20: warning: watch h service e: monitor absent.monitor not "
        "found in mondir /nonexistent:%s\n"
        "t.cf:22:19: warning: watch h service e: alert missing.alert not "
        "found in alertdir %s\n"
        "t.cf:25: warning: watch h service f: monitor both.x not "
        "found in mondir /nonexistent:%s\n", adir, dir, dir, dir, adir, dir);
    assert_string_equal(got, want);
    free(got);
    free(want);
    diag_list_fini(&w);
    config_free(cfg);
    free(text);
    assert_int_equal(unlink(mon), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(unlink(both), 0);
    assert_int_equal(rmdir(adir), 0);
    free(mon);
    free(both);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_globals),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_service_keywords),
        cmocka_unit_test(test_period_keywords),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_grammar_details),
        cmocka_unit_test(test_example_cf),
        cmocka_unit_test(test_other_examples),
        cmocka_unit_test(test_etc_files),
        cmocka_unit_test(test_m4),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_errors_inside),
        cmocka_unit_test(test_bad_fixture),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_yaml_routing),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_check_programs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
