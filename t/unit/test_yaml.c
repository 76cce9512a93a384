/*
 * test_yaml.c — the YAML front-end and the config writers.
 *
 * - Every mon.cf of the test suite (t/fixtures/moncf/, etc/) converted to
 *   YAML and loaded gives the same model (config_dump() equal); the same
 *   for mon.cf written back from the model.
 * - YAML errors name file:line:col (1-based) and the key path.
 * - Anchors, aliases and merge keys work for shared service settings.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_write.h"
#include "diag.h"
#include "xalloc.h"

static char tmpdir[] = "/tmp/mond-test-yaml-XXXXXX";

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

static char *
write_tmp(const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void
print_errors(const struct diag_list *errs)
{
    for (size_t i = 0; i < errs->n; i++) {
        char *s = diag_format(&errs->items[i]);
        fprintf(stderr, "  %s\n", s);
        free(s);
    }
}

/* Load path or fail the test showing the errors. */
static struct config *
must_load(const char *path, bool m4)
{
    struct diag_list errs;
    diag_list_init(&errs);
    struct config *cfg = config_load(path, m4, &errs);
    if (cfg == NULL) {
        fprintf(stderr, "loading %s failed:\n", path);
        print_errors(&errs);
    }
    diag_list_fini(&errs);
    assert_non_null(cfg);
    return cfg;
}

/* Report the first differing line of two dumps, then fail. */
static void
assert_same_dump(const char *what, const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return;
    const char *pa = a, *pb = b;
    int line = 1;
    while (*pa && *pb) {
        const char *ea = strchr(pa, '\n'), *eb = strchr(pb, '\n');
        size_t la = ea ? (size_t)(ea - pa) : strlen(pa);
        size_t lb = eb ? (size_t)(eb - pb) : strlen(pb);
        if (la != lb || memcmp(pa, pb, la) != 0) {
            fprintf(stderr, "%s: dumps differ at line %d:\n  -%.*s\n  +%.*s\n",
                    what, line, (int)la, pa, (int)lb, pb);
            break;
        }
        pa += la + (ea ? 1 : 0);
        pb += lb + (eb ? 1 : 0);
        line++;
    }
    fail_msg("%s: models differ", what);
}

static char *
dump_without_path(const struct config *cfg)
{
    return config_dump(cfg);
}

/* mon.cf -> model A -> YAML -> model B (== A) and -> mon.cf -> C (== A). */
static void
roundtrip(const char *path, bool m4)
{
    struct config *a = must_load(path, m4);
    char *da = dump_without_path(a);

    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *ypath = xasprintf("%s/%s.yaml", tmpdir, base);
    FILE *f = fopen(ypath, "w");
    assert_non_null(f);
    assert_int_equal(config_write_yaml(f, a), 0);
    assert_int_equal(fclose(f), 0);
    struct config *b = must_load(ypath, false);
    char *db = dump_without_path(b);
    char *what = xasprintf("%s -> YAML", path);
    assert_same_dump(what, da, db);
    free(what);

    char *cpath = xasprintf("%s/%s.back.cf", tmpdir, base);
    f = fopen(cpath, "w");
    assert_non_null(f);
    assert_int_equal(config_write_moncf(f, b), 0);
    assert_int_equal(fclose(f), 0);
    struct config *c = must_load(cpath, false);
    char *dc = dump_without_path(c);
    what = xasprintf("%s -> YAML -> mon.cf", path);
    assert_same_dump(what, da, dc);
    free(what);

    free(da);
    free(db);
    free(dc);
    free(ypath);
    free(cpath);
    config_free(a);
    config_free(b);
    config_free(c);
}

static bool
ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Every config of the test suite that loads as mon.cf. */
static void
test_roundtrip_every_moncf(void **state)
{
    (void)state;
    static const char *const dirs[] = { "fixtures/moncf", "../etc",
                                        "fixtures/yaml" };
    int done = 0;
    for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
        DIR *dir = opendir(dirs[d]);
        if (dir == NULL)
            continue;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            bool cf = ends_with(e->d_name, ".cf"), m4 = ends_with(e->d_name, ".m4");
            if (!cf && !m4)
                continue;
            char *path = xasprintf("%s/%s", dirs[d], e->d_name);
            struct diag_list errs;
            diag_list_init(&errs);
            struct config *cfg = config_load(path, m4, &errs);
            diag_list_fini(&errs);
            if (cfg != NULL) {   /* bad-config fixtures are for the parser */
                config_free(cfg);
                roundtrip(path, m4);
                done++;
            }
            free(path);
        }
        closedir(dir);
    }
    /* The fixtures hold at least Debian's example.cf, the all-keywords
     * file and etc/mon.cf. */
    assert_true(done >= 3);
}

/* Merge keys share settings; own keys win; aliases of lists work. */
static void
test_anchors_and_merge_keys(void **state)
{
    (void)state;
    char *p = write_tmp("anchors.yaml",
        "hostgroups:\n"
        "  mail: [mx1, mx2]\n"
        "  web: \"www1 www2\"\n"
        "watch:\n"
        "  mail:\n"
        "    services:\n"
        "      smtp: &svc\n"
        "        interval: 5m\n"
        "        description: SMTP on port 25\n"
        "        monitor: smtp.monitor -t 10\n"
        "        periods: &office\n"
        "          - when: \"wd {Mon-Fri} hr {9am-5pm}\"\n"
        "            alertevery: 1h observe_detail\n"
        "            alerts:\n"
        "              - mail.alert ops@example.org\n"
        "              - upalert: mail.alert ops@example.org\n"
        "              - alert: page.alert 5551234\n"
        "                exit: 2-3\n"
        "      imap:\n"
        "        <<: *svc\n"
        "        monitor: [imap.monitor, -p, \"993\"]\n"
        "  web:\n"
        "    services:\n"
        "      http:\n"
        "        <<: *svc\n"
        "        interval: 30s\n"
        "        periods: *office\n");
    struct config *cfg = must_load(p, false);
    struct service *smtp = config_find_service(cfg, "mail", "smtp");
    struct service *imap = config_find_service(cfg, "mail", "imap");
    struct service *http = config_find_service(cfg, "web", "http");
    assert_non_null(smtp);
    assert_non_null(imap);
    assert_non_null(http);
    assert_int_equal(imap->interval_ms, 5 * 60 * 1000);
    assert_string_equal(imap->description, "SMTP on port 25");
    assert_int_equal(imap->monitor_argc, 3);
    assert_string_equal(imap->monitor_argv[0], "imap.monitor");
    assert_string_equal(imap->monitor_argv[2], "993");
    assert_int_equal(http->interval_ms, 30 * 1000);
    assert_string_equal(http->monitor_argv[0], "smtp.monitor");
    assert_int_equal(http->nperiods, 1);
    const struct period_def *pd = &http->periods[0];
    assert_string_equal(pd->spec, "wd {Mon-Fri} hr {9am-5pm}");
    assert_int_equal(pd->alertevery_ms, 3600 * 1000);
    assert_int_equal(pd->alertevery_mode, ALERTEVERY_OBSERVE_DETAIL);
    assert_int_equal(pd->nalerts, 3);
    assert_int_equal(pd->alerts[0].kind, ALERT_KIND_ALERT);
    assert_false(pd->alerts[0].has_exit_range);
    assert_int_equal(pd->alerts[1].kind, ALERT_KIND_UPALERT);
    assert_int_equal(pd->alerts[2].kind, ALERT_KIND_ALERT);
    assert_true(pd->alerts[2].has_exit_range);
    assert_int_equal(pd->alerts[2].exit_min, 2);
    assert_int_equal(pd->alerts[2].exit_max, 3);
    struct hostgroup *web = config_find_group(cfg, "web");
    assert_non_null(web);
    assert_int_equal(web->nhosts, 2);
    assert_string_equal(web->hosts[1], "www2");
    config_free(cfg);
    free(p);
}

struct error_case {
    const char *name;
    const char *yaml;
    const char *expect;     /* the whole first error, after "FILE:" */
};

/* Each YAML error: exact line:col, and the key path. */
static const struct error_case error_cases[] = {
    { "syntax",
      "watch:\n  mail:\n    services: [a\n",
      "4:1: error: did not find expected ',' or ']' while parsing a flow "
      "sequence" },
    { "unknown-top",
      "hostgroups: {a: [b]}\nwatches:\n  a: {}\n",
      "2:1: error: unknown top-level key \"watches\", expected globals, "
      "hostgroups, views, aliases or watch" },
    { "unknown-service-key",
      "watch:\n  web:\n    services:\n      http:\n        intreval: 5m\n",
      "5:9: error: watch.web.services.http.intreval: unknown key "
      "\"intreval\" in a service" },
    { "wrong-type",
      "watch:\n  web:\n    services:\n      http:\n        interval: [5m]\n",
      "5:19: error: watch.web.services.http.interval: found a list, "
      "expected a value" },
    { "bad-time",
      "watch:\n  web:\n    services:\n      http:\n        interval: 5x\n"
      "        monitor: http.monitor\n",
      NULL /* checked by position only, below */ },
    { "bad-period",
      "watch:\n  web:\n    services:\n      http:\n        interval: 5m\n"
      "        monitor: http.monitor\n        periods:\n"
      "          - when: \"wd {Mon-Fri} hr {25}\"\n            alerts: [mail.alert root]\n",
      NULL },
    { "unknown-period-key",
      "watch:\n  web:\n    services:\n      http:\n        interval: 5m\n"
      "        monitor: http.monitor\n        periods:\n"
      "          - when: \"\"\n            alret: mail.alert\n",
      "9:13: error: watch.web.services.http.periods[0].alret: unknown key "
      "\"alret\" in a period (expected when, label, alerts, alertevery, "
      "alertafter, numalerts, upalertafter, no_comp_alerts, alertexitrange, "
      "alerts_dont_count)" },
    { "duplicate-key",
      "hostgroups:\n  a: [x]\n  a: [y]\n",
      "3:3: error: duplicate key \"a\"" },
    { "unknown-anchor",
      "hostgroups:\n  a: *nope\n",
      "2:6: error: unknown anchor \"*nope\"" },
};

static char *
first_error(const char *name, const char *yaml, int *line, int *col)
{
    char *fname = xasprintf("%s.yaml", name);
    char *p = write_tmp(fname, yaml);
    struct diag_list errs;
    diag_list_init(&errs);
    struct config *cfg = config_load(p, false, &errs);
    if (cfg != NULL)
        fail_msg("%s: loaded without error", name);
    assert_true(errs.n >= 1);
    char *s = diag_format(&errs.items[0]);
    *line = errs.items[0].line;
    *col = errs.items[0].col;
    /* Drop "path:" so the expectation does not depend on tmpdir. */
    size_t plen = strlen(p);
    assert_true(strncmp(s, p, plen) == 0 && s[plen] == ':');
    char *rest = xstrdup(s + plen + 1);
    free(s);
    diag_list_fini(&errs);
    free(p);
    free(fname);
    return rest;
}

static void
test_error_positions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const struct error_case *c = &error_cases[i];
        int line, col;
        char *got = first_error(c->name, c->yaml, &line, &col);
        if (c->expect != NULL && strcmp(got, c->expect) != 0)
            fail_msg("%s:\n  got    %s\n  wanted %s", c->name, got, c->expect);
        free(got);
    }
}

/* A bad value inside a scalar points at its column in the YAML file, and
 * the message names the key path. */
static void
test_value_errors_point_into_yaml(void **state)
{
    (void)state;
    int line, col;
    char *got = first_error("bad-time", error_cases[4].yaml, &line, &col);
    assert_int_equal(line, 5);
    assert_int_equal(col, 19);      /* the "5x" after "interval: " */
    assert_non_null(strstr(got, "watch.web.services.http.interval: "));
    assert_non_null(strstr(got, "found \"5x\", expected a time value"));
    free(got);
    got = first_error("bad-period", error_cases[5].yaml, &line, &col);
    assert_int_equal(line, 8);
    /* `when: "wd {Mon-Fri} hr {25}"`: the "25" inside the quotes. */
    assert_int_equal(col, 37);
    assert_non_null(strstr(got, "watch.web.services.http.periods[0].when: "));
    assert_non_null(strstr(got, "expected an hour"));
    free(got);
}

/* The bundled example: etc/mond.yaml is etc/mon.cf in YAML. */
static void
test_example_yaml_equals_moncf(void **state)
{
    (void)state;
    struct config *a = must_load("../etc/mon.cf", false);
    struct config *b = must_load("../etc/mond.yaml", false);
    char *da = config_dump(a), *db = config_dump(b);
    assert_same_dump("etc/mond.yaml vs etc/mon.cf", da, db);
    free(da);
    free(db);
    config_free(a);
    config_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_moncf),
        cmocka_unit_test(test_anchors_and_merge_keys),
        cmocka_unit_test(test_error_positions),
        cmocka_unit_test(test_value_errors_point_into_yaml),
        cmocka_unit_test(test_example_yaml_equals_moncf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
