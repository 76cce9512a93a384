/*
 * test_monstate.c — mon's statedir/opstatus lines: escaping as mon's
 * esc_str()/un_esc_str(), the exact line mon's save_state() writes (its
 * field order), a line written by mon read back into a service's state,
 * and a mond line surviving its own round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monstate.h"
#include "xalloc.h"

static void
make_service(struct watch *w, struct service *svc, struct period_def *pd)
{
    memset(w, 0, sizeof(*w));
    memset(svc, 0, sizeof(*svc));
    memset(pd, 0, 2 * sizeof(*pd));
    w->name = (char *)"web";
    svc->name = (char *)"http";
    svc->watch = w;
    pd[0].label = (char *)"office";
    pd[0].spec = (char *)"wd {Mon-Fri}";
    pd[1].spec = (char *)"wd {Sat-Sun}";
    svc->periods = pd;
    svc->nperiods = 2;
}

static void
test_types(void **state)
{
    (void)state;
    assert_int_equal(monstate_type("disabled"), MONSTATE_DISABLED);
    assert_int_equal(monstate_type("opstatus"), MONSTATE_OPSTATUS);
    assert_int_equal(monstate_type("all"), MONSTATE_ALL);
    assert_int_equal(monstate_type("Disabled"), 0);
    assert_int_equal(monstate_type(""), 0);
}

static void
test_escape(void **state)
{
    char *e, *u;

    (void)state;
    e = monstate_escape("a b\t\"c'\n=\\\xc3\xa9~");
    assert_string_equal(e, "a\\20b\\09\\22c\\27\\0a\\3d\\5c\\c3\\a9~");
    u = monstate_unescape(e);
    assert_string_equal(u, "a b\t\"c'\n=\\\xc3\xa9~");
    free(e);
    free(u);
    e = monstate_escape(NULL);
    assert_string_equal(e, "");
    free(e);
    /* mon's un_esc_str only knows lower-case hex pairs */
    u = monstate_unescape("x\\4Ay\\4az\\");
    assert_string_equal(u, "x\\4AyJz\\");
    free(u);
}

static void
test_line(void **state)
{
    struct watch w;
    struct service svc;
    struct period_def pd[2];
    struct svc_state st;
    char *l;

    (void)state;
    make_service(&w, &svc, pd);
    svc_state_init(&st, &svc);
    st.opstatus = OPSTATUS_FAIL;
    st.last_opstatus = OPSTATUS_OK;
    st.failure_count = 3;
    st.alert_count = 2;
    st.consecutive_failures = 3;
    st.last_success_wall_ms = 1700000000123;
    st.last_failure_wall_ms = 1700000100000;
    st.first_failure_wall_ms = 1700000050000;
    st.last_check_wall_ms = 1700000100999;
    st.last_retval = 2;
    st.last_summary = xstrdup("host1 host2");
    st.last_detail = xstrdup("host1: refused\nhost2: timeout");
    st.acked = true;
    st.ack_comment = xstrdup("alice: on it");
    st.failure_summary = xstrdup("host1 host2");
    st.failure_detail = xstrdup("d");
    st.periods[0].last_alert_wall_ms = 1700000060000;
    st.periods[0].alerts_sent = 2;
    l = monstate_opstatus_line(&svc, &st, 1700000070000, "127.0.0.1");
    assert_string_equal(l,
        "group=web\tservice=http\top_status=0\tfailure_count=3"
        "\talert_count=2\tlast_success=1700000000\tfirst_success="
        "\tconsec_failures=3\tlast_failure=1700000100"
        "\tfirst_failure=1700000050\tlast_summary=host1\\20host2"
        "\tlast_failure_time=\tlast_failure_summary=\tlast_failure_detail="
        "\tlast_detail=host1:\\20refused\\0ahost2:\\20timeout"
        "\tack=1700000070\tack_comment=alice:\\20on\\20it\tlast_trap=0"
        "\tlast_traphost=127.0.0.1\texitval=2\tlast_check=1700000100"
        "\tlast_op_status=1\tfailure_output=host1\\20host2\\0ad"
        "\ttrap_timer="
        "\toffice:last_alert=1700000060\toffice:alert_sent=2"
        "\toffice:1stfailtime=0\toffice:failcount=0"
        "\twd {Sat-Sun}:last_alert=0\twd {Sat-Sun}:alert_sent=0"
        "\twd {Sat-Sun}:1stfailtime=0\twd {Sat-Sun}:failcount=0");
    free(l);
    svc_state_fini(&st);
}

/* A line as mon 1.3 writes it (ack holds a time, the period is keyed by
 * its spec) applied to a fresh state. */
static void
test_apply_mon_line(void **state)
{
    struct watch w;
    struct service svc;
    struct period_def pd[2];
    struct svc_state st;
    struct monstate_rec *rec = xmalloc(sizeof(*rec));
    char line[] =
        "group=web\tservice=http\top_status=0\tfailure_count=5"
        "\talert_count=1\tlast_success=1700000000\tfirst_success=1699990000"
        "\tconsec_failures=2\tlast_failure=1700000200\tfirst_failure="
        "1700000100\tlast_summary=down\\20now\tlast_failure_time="
        "\tlast_failure_summary=\tlast_failure_detail=\tlast_detail=x"
        "\tack=1700000300\tack_comment=bob:\\20looking\tlast_trap="
        "\tlast_traphost=\texitval=1\tlast_check=1700000200"
        "\tlast_op_status=1\tfailure_output=down\\20now\\0adetail\\0a2"
        "\ttrap_timer=\twd {Sat-Sun}:last_alert=1700000150"
        "\twd {Sat-Sun}:alert_sent=1\tnosuch:last_alert=9\tjunk";
    int64_t ack_ms;
    char *th = (char *)"unchanged";

    (void)state;
    make_service(&w, &svc, pd);
    svc_state_init(&st, &svc);
    assert_int_equal(monstate_opstatus_parse(line, rec), 0);
    assert_string_equal(rec->group, "web");
    assert_string_equal(rec->service, "http");
    monstate_opstatus_apply(rec, &svc, &st, &ack_ms, &th);
    assert_int_equal(st.opstatus, OPSTATUS_FAIL);
    assert_int_equal(st.last_opstatus, OPSTATUS_OK);
    assert_int_equal(st.failure_count, 5);
    assert_int_equal(st.alert_count, 1);
    assert_int_equal(st.consecutive_failures, 2);
    assert_int_equal(st.last_success_wall_ms, 1700000000000);
    assert_int_equal(st.first_failure_wall_ms, 1700000100000);
    assert_int_equal(st.last_check_wall_ms, 1700000200000);
    assert_int_equal(st.last_retval, 1);
    assert_string_equal(st.last_summary, "down now");
    assert_true(st.acked);
    assert_string_equal(st.ack_comment, "bob: looking");
    assert_int_equal(ack_ms, 1700000300000);
    assert_null(th);
    assert_string_equal(st.failure_summary, "down now");
    assert_string_equal(st.failure_detail, "detail\n2");
    assert_int_equal(st.periods[0].last_alert_wall_ms, 0);
    assert_int_equal(st.periods[1].last_alert_wall_ms, 1700000150000);
    assert_int_equal(st.periods[1].alerts_sent, 1);
    assert_true(st.periods[1].down_alert_sent);
    svc_state_fini(&st);

    /* no group: refused */
    {
        char bad[] = "service=http\top_status=1";

        assert_int_equal(monstate_opstatus_parse(bad, rec), -1);
    }
    free(rec);
}

/* What mond writes, it reads back. */
static void
test_round_trip(void **state)
{
    struct watch w;
    struct service svc;
    struct period_def pd[2];
    struct svc_state a, b;
    struct monstate_rec *rec = xmalloc(sizeof(*rec));
    int64_t ack_ms;
    char *th = NULL, *l;

    (void)state;
    make_service(&w, &svc, pd);
    svc_state_init(&a, &svc);
    svc_state_init(&b, &svc);
    a.opstatus = OPSTATUS_WARN;
    a.last_summary = xstrdup("tab\there = \"q\" \\");
    a.last_detail = xstrdup("");
    a.acked = false;
    a.last_trap_wall_ms = 1700000001000;
    a.periods[0].alerts_sent = 7;
    l = monstate_opstatus_line(&svc, &a, 0, "::1");
    assert_int_equal(monstate_opstatus_parse(l, rec), 0);
    monstate_opstatus_apply(rec, &svc, &b, &ack_ms, &th);
    assert_int_equal(b.opstatus, OPSTATUS_WARN);
    assert_string_equal(b.last_summary, a.last_summary);
    assert_false(b.acked);
    assert_null(b.ack_comment);
    assert_int_equal(ack_ms, 0);
    assert_string_equal(th, "::1");
    assert_int_equal(b.last_trap_wall_ms, 1700000001000);
    assert_int_equal(b.periods[0].alerts_sent, 7);
    assert_null(b.failure_summary);
    free(th);
    free(l);
    free(rec);
    svc_state_fini(&a);
    svc_state_fini(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_apply_mon_line),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
