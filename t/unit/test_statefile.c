/*
 * test_statefile.c — the state file: a service's whole state, disabled
 * hosts/watches and history survive a save and load (values with tabs,
 * newlines, '=' and backslashes), periods are matched by label after a
 * config change, and damaged files (truncated, wrong version, bad
 * numbers, garbage) are refused with their line and moved aside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statefile.h"
#include "xalloc.h"

static const char nasty[] = "tab\there\nnew=line \\20 back\\slash \xc3\xa9";

static void
fill(struct svc_state *st)
{
    svc_state_init(st, NULL);
    st->opstatus = OPSTATUS_FAIL;
    st->last_opstatus = OPSTATUS_OK;
    st->last_retval = 2;
    st->last_summary = xstrdup("host1 host2");
    st->last_detail = xstrdup(nasty);
    st->last_output = xstrdup("");
    st->last_check_wall_ms = 1795438081123;
    st->first_failure_wall_ms = 1795438058000;
    st->consecutive_failures = 7;
    st->failure_count = 12345678901ULL;
    st->alert_count = 3;
    st->acked = true;
    st->ack_comment = xstrdup("alice: on it");
    st->disabled = true;
    st->nperiods = 2;
    st->periods = xcalloc(2, sizeof(*st->periods));
    st->periods[0].last_alert_wall_ms = 1795438079000;
    st->periods[0].alerts_sent = 4;
    st->periods[0].down_alert_sent = true;
    st->periods[0].last_alert_summary = xstrdup("host1");
    st->periods[1].alerts_sent = 1;
    st->periods[1].nfail_times = 3;
    st->periods[1].fail_times_ms[0] = 1;
    st->periods[1].fail_times_ms[1] = 2;
    st->periods[1].fail_times_ms[2] = 3;
}

static void
make_service(struct service *svc, struct period_def *pd, const char *l0,
             const char *l1)
{
    memset(svc, 0, sizeof(*svc));
    memset(pd, 0, 2 * sizeof(*pd));
    pd[0].label = (char *)l0;
    pd[0].spec = (char *)"wd {Mon-Fri}";
    pd[1].spec = (char *)l1;
    svc->periods = pd;
    svc->nperiods = 2;
}

static void
test_round_trip(void **state)
{
    struct statefile sf, back;
    struct svc_state st, live;
    struct service svc;
    struct period_def pd[2];
    struct diag_list errs;
    char *text, *text2;
    const struct statefile_svc *s;

    (void)state;
    fill(&st);
    make_service(&svc, pd, "business", "");
    statefile_init(&sf);
    statefile_add_service(&sf, "g 1", "svc=1", &svc, &st, 1795438080000);
    statefile_add_host(&sf, "g 1", "host\t2");
    statefile_add_watch(&sf, "w");
    statefile_add_history(&sf, "alert g1 bad 1795438058 /x/log.alert () x y");
    text = statefile_format(&sf);
    assert_true(strncmp(text, "mond-state 1\nsvc\tgroup=g\\201\t", 29) == 0);

    statefile_init(&back);
    diag_list_init(&errs);
    assert_int_equal(statefile_parse("state", text, &back, &errs), 0);
    text2 = statefile_format(&back);
    assert_string_equal(text, text2);       /* nothing lost */
    s = statefile_find(&back, "g 1", "svc=1");
    assert_non_null(s);
    assert_null(statefile_find(&back, "g 1", "other"));
    assert_int_equal(s->ack_wall_ms, 1795438080000);
    assert_string_equal(s->st.last_detail, nasty);
    assert_int_equal(s->st.failure_count, 12345678901ULL);
    assert_true(s->st.acked);
    assert_null(s->st.failure_summary);
    assert_string_equal(s->st.last_output, "");
    assert_int_equal(back.nhosts, 1);
    assert_string_equal(back.hosts[0].host, "host\t2");
    assert_string_equal(back.watches[0], "w");
    assert_int_equal(back.nhistory, 1);

    /* apply into a service whose periods were swapped: matched by key */
    {
        struct service svc2;
        struct period_def pd2[2];

        make_service(&svc2, pd2, "business", "");
        pd2[0] = pd[1];
        pd2[1] = pd[0];
        svc_state_init(&live, &svc2);
        statefile_apply(s, &svc2, &live);
        assert_int_equal(live.opstatus, OPSTATUS_FAIL);
        assert_string_equal(live.ack_comment, "alice: on it");
        assert_int_equal(live.periods[1].alerts_sent, 4);
        assert_string_equal(live.periods[1].last_alert_summary, "host1");
        assert_int_equal(live.periods[0].nfail_times, 3);
        assert_int_equal(live.periods[0].fail_times_ms[2], 3);
        svc_state_fini(&live);
    }
    free(text);
    free(text2);
    svc_state_fini(&st);
    statefile_fini(&sf);
    statefile_fini(&back);
    diag_list_fini(&errs);
}

static void
test_bad_files(void **state)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        { "mond-state 2\nend\n", "state:1:1: error: expected \"mond-state "
          "1\" (not a mond state file, or another version)" },
        { "mond-state 1\nhost\tgroup=g\thost=h\n",
          "state:2: error: no \"end\" line: the file is truncated" },
        { "mond-state 1\nhost\tgroup=g\thost=h",
          "state:2:1: error: truncated line (no newline)" },
        { "mond-state 1\nsvc\tgroup=g\tservice=s\topstatus=x\nend\n",
          "state:2:1: error: svc g/s: field opstatus is not a number" },
        { "mond-state 1\nbogus\ta=b\nend\n",
          "state:2:1: error: unknown or incomplete record \"bogus\"" },
        { "mond-state 1\nwatch\tnoequals\nend\n",
          "state:2:1: error: malformed field \"noequals\"" },
        { "mond-state 1\nend\nwatch\twatch=w\n",
          "state:3:1: error: data after \"end\"" },
        { "mond-state 1\nperiod\tgroup=g\tservice=s\tindex=0\nend\n",
          "state:2:1: error: period record out of order or for an unknown "
          "service" },
        { "", "state:1:1: error: empty file" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct statefile sf;
        struct diag_list errs;
        char *m;

        statefile_init(&sf);
        diag_list_init(&errs);
        assert_int_equal(statefile_parse("state", cases[i].text, &sf, &errs),
                         -1);
        assert_int_equal(errs.n, 1);
        m = diag_format(&errs.items[0]);
        assert_string_equal(m, cases[i].msg);
        free(m);
        statefile_fini(&sf);
        diag_list_fini(&errs);
    }
}

static void
test_save_load(void **state)
{
    char dir[] = "/tmp/test_statefile_XXXXXX";
    char *path, *moved = NULL;
    struct statefile sf, back;
    struct diag_list errs;
    struct atomicfile_err aerr;
    struct stat sb;
    FILE *fp;

    (void)state;
    assert_non_null(mkdtemp(dir));
    path = xasprintf("%s/mond.state", dir);
    statefile_init(&sf);
    statefile_init(&back);
    diag_list_init(&errs);
    assert_int_equal(statefile_load(path, &back, &errs, &moved),
                     STATEFILE_ABSENT);
    statefile_add_watch(&sf, "w1");
    assert_int_equal(statefile_save(path, &sf, &aerr), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(statefile_load(path, &back, &errs, &moved),
                     STATEFILE_LOADED);
    assert_int_equal(back.nwatches, 1);
    statefile_fini(&back);

    /* a damaged file is moved aside and reported */
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("mond-state 1\nwatch\twatch=w1\n\x01garbage", fp);
    assert_int_equal(fclose(fp), 0);
    statefile_init(&back);
    assert_int_equal(statefile_load(path, &back, &errs, &moved),
                     STATEFILE_CORRUPT);
    assert_true(errs.n >= 1);
    assert_int_equal(back.nwatches, 0);
    assert_non_null(moved);
    assert_int_equal(stat(moved, &sb), 0);
    assert_int_not_equal(stat(path, &sb), 0);
    assert_int_equal(unlink(moved), 0);
    free(moved);
    assert_int_equal(rmdir(dir), 0);
    free(path);
    statefile_fini(&sf);
    statefile_fini(&back);
    diag_list_fini(&errs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
