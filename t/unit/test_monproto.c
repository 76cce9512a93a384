/*
 * test_monproto.c — mon's client protocol lines: command recognition as
 * mon's regexp, Perl split semantics, esc_str/un_esc_str, the ack
 * comment word (Text::ParseWords), and the "list opstatus" line byte for
 * byte against lines recorded from Debian's mon 1.3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "monproto.h"

static void
test_parse(void **state)
{
    struct monproto_cmd c;

    (void)state;
    assert_int_equal(monproto_parse("list opstatus", &c), 0);
    assert_int_equal(c.verb, MONPROTO_LIST);
    assert_string_equal(c.args, "opstatus");
    assert_int_equal(monproto_parse("LIST   opstatus g1,s", &c), 0);
    assert_int_equal(c.verb, MONPROTO_LIST);
    assert_string_equal(c.args, "opstatus g1,s");
    assert_int_equal(monproto_parse("quit", &c), 0);
    assert_int_equal(c.verb, MONPROTO_QUIT);
    assert_string_equal(c.args, "");
    assert_int_equal(monproto_parse("ack g s 'x y'", &c), 0);
    assert_int_equal(c.verb, MONPROTO_ACK);
    assert_int_equal(monproto_parse("listx", &c), -1);
    assert_int_equal(monproto_parse("bogus", &c), -1);
    assert_int_equal(monproto_parse("", &c), -1);
    assert_int_equal(monproto_parse(" list", &c), -1);
    assert_int_equal(monproto_parse("list\x01", &c), -1);
    assert_string_equal(monproto_verb_name(MONPROTO_SAVESTATE), "savestate");
}

static void
test_split(void **state)
{
    char buf[64];
    char *f[8];

    (void)state;
    strcpy(buf, "g1 bad   some comment here");
    assert_int_equal(monproto_split(buf, f, 3), 3);
    assert_string_equal(f[0], "g1");
    assert_string_equal(f[1], "bad");
    assert_string_equal(f[2], "some comment here");

    strcpy(buf, "a b ");
    assert_int_equal(monproto_split(buf, f, 0), 2);
    strcpy(buf, "a b ");
    assert_int_equal(monproto_split(buf, f, 3), 3);
    assert_string_equal(f[2], "");
    strcpy(buf, " a");
    assert_int_equal(monproto_split(buf, f, 0), 2);
    assert_string_equal(f[0], "");
    assert_string_equal(f[1], "a");
    strcpy(buf, "");
    assert_int_equal(monproto_split(buf, f, 2), 0);
    strcpy(buf, "only");
    assert_int_equal(monproto_split(buf, f, 2), 1);
    assert_string_equal(f[0], "only");
}

static void
test_escape(void **state)
{
    char *e, *u;

    (void)state;
    e = monproto_esc("the ok \"service\"", true);
    assert_string_equal(e, "the\\20ok\\20\\22service\\22");
    u = monproto_unesc(e);
    assert_string_equal(u, "the ok \"service\"");
    free(e);
    free(u);
    e = monproto_esc("a\\b\n\xff", true);
    assert_string_equal(e, "a\\\\b\\0a\\ff");
    free(e);
    e = monproto_esc("a\\b", false);
    assert_string_equal(e, "a\\b");
    free(e);
    u = monproto_unesc("x\\4Ay\\4a\\2");      /* upper case is not hex */
    assert_string_equal(u, "x\\4AyJ\\2");
    free(u);
}

static void
test_first_word(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "'hello there'", "hello there" },
        { "'hello\\20there'", "hello there" },
        { "hello there", "hello" },
        { "\"a b\" c", "a b" },
        { "a\\ b c", "a b" },
        { "x'y z'w rest", "xy zw" },
        { "", "" },
        { " lead", "" },
        { "'it\\27s'", "it's" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *w = monproto_first_word(cases[i].in);

        assert_string_equal(w, cases[i].out);
        free(w);
    }
}

static struct monproto_opstatus
untested(const char *group, const char *service)
{
    struct monproto_opstatus o;

    memset(&o, 0, sizeof(o));
    o.group = group;
    o.service = service;
    o.opstatus = 7;
    o.last_opstatus = 7;
    o.exitval = MONPROTO_UNSET;
    o.last_check = MONPROTO_UNSET;
    o.depstatus = MONPROTO_UNSET;
    o.monitor_duration = -1;
    return o;
}

/* Lines recorded from Debian's mon 1.3.x ("moncmd list opstatus"). */
static void
test_opstatus_line(void **state)
{
    struct monproto_opstatus o = untested("default", "default");
    char *l;

    (void)state;
    l = monproto_opstatus_line(&o);
    assert_string_equal(l,
        "group=default service=default opstatus=7 last_opstatus=7 "
        "exitval=undef timer=0 last_success=0 last_trap=0 last_traphost= "
        "last_check= ack=0 ackcomment= alerts_sent=0 depstatus= depend= "
        "hostdepend= monitordepend= alertdepend= monitor= last_summary= "
        "last_detail=\n");
    free(l);

    o = untested("g1", "bad");
    o.opstatus = 0;
    o.last_opstatus = 0;
    o.exitval = 1;
    o.last_check = 1795438081;
    o.ack = 1795438080;
    o.ackcomment = ": hello there";
    o.alerts_sent = 11;
    o.monitor = "bad.monitor";
    o.last_summary = "localhost broken";
    o.last_detail = "detail line\n";
    o.last_failure = 1795438081;
    o.interval = 2;
    o.monitor_duration = 0;
    o.last_alert = 1795438079;
    o.first_failure = 1795438058;
    o.now = 1795438082;
    l = monproto_opstatus_line(&o);
    assert_string_equal(l,
        "group=g1 service=bad opstatus=0 last_opstatus=0 exitval=1 timer=0 "
        "last_success=0 last_trap=0 last_traphost= last_check=1795438081 "
        "ack=1795438080 ackcomment=:\\20hello\\20there alerts_sent=11 "
        "depstatus= depend= hostdepend= monitordepend= alertdepend= "
        "monitor=bad.monitor last_summary=localhost\\20broken "
        "last_detail=detail\\20line\\0a last_failure=1795438081 interval=2 "
        "monitor_duration=0 monitor_running=0 last_alert=1795438079 "
        "first_failure=1795438058 failure_duration=24\n");

    /* ... and Mon::Client reads it back. */
    {
        struct monproto_var v[64];
        size_t n = monproto_parse_vars(l, v, 64);

        assert_true(n > 20);
        assert_string_equal(monproto_var_get(v, n, "group"), "g1");
        assert_string_equal(monproto_var_get(v, n, "ackcomment"),
                            ": hello there");
        assert_string_equal(monproto_var_get(v, n, "last_detail"),
                            "detail line\n");
        assert_string_equal(monproto_var_get(v, n, "last_traphost"), "");
        assert_string_equal(monproto_var_get(v, n, "failure_duration"),
                            "24");
        assert_null(monproto_var_get(v, n, "nothing"));
        monproto_vars_free(v, n);
    }
    free(l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_first_word),
        cmocka_unit_test(test_opstatus_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
