/*
 * test_trap.c — the trap packet: encode byte for byte as Mon::Client's
 * send_trap() (packet captured from Debian's libmon-client-perl), decode
 * it back, and the packets mon refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "trap.h"

/* perl -MMon::Client: send_trap(group=>'g1', service=>'s', retval=>1,
 * opstatus=>'fail', summary=>"it's down", detail=>"line1\nline2") with
 * username u, password "p w". */
static const char captured[] =
    "pro='0.3807'\nusr='u'\npas='p\\20w'\nspc='0'\nseq='0'\ntyp='trap'\n"
    "grp='g1'\nsvc='s'\nsta='1'\nspc='0'\ntsp='1795438368'\n"
    "sum='it\\27s\\20down'\ndtl='line1\\0aline2'\n";

static void
test_encode(void **state)
{
    struct trap_send s = {
        .user = "u", .password = "p w", .group = "g1", .service = "s",
        .retval = 1, .opstatus = 0, .time_s = 1795438368,
        .summary = "it's down", .detail = "line1\nline2",
    };
    size_t len;
    char *p;

    (void)state;
    p = trap_encode(&s, &len);
    assert_string_equal(p, captured);
    assert_int_equal(len, strlen(captured));
    free(p);

    /* without a user there is no pas line */
    s.user = NULL;
    p = trap_encode(&s, &len);
    assert_non_null(strstr(p, "usr=''\nspc='0'\n"));
    assert_null(strstr(p, "pas="));
    free(p);
}

static void
test_decode(void **state)
{
    struct trap_packet t;
    const char *why = "x";

    (void)state;
    assert_int_equal(trap_decode(captured, strlen(captured), &t, &why), 0);
    assert_null(why);
    assert_string_equal(t.usr, "u");
    assert_string_equal(t.pas, "p w");
    assert_string_equal(t.grp, "g1");
    assert_string_equal(t.svc, "s");
    assert_string_equal(t.sta, "1");
    assert_string_equal(t.sum, "it's down");
    assert_string_equal(t.dtl, "line1\nline2");
    assert_string_equal(t.tsp, "1795438368");
    assert_null(t.hst);
    assert_int_equal(t.unknown_lines, 0);
    trap_packet_fini(&t);
}

static void
test_refused(void **state)
{
    static const struct {
        const char *pkt;
        const char *why;
    } cases[] = {
        { "grp='g'\nsta='1'\n",
          "protocol version missing or older than 0.3807" },
        { "pro='0.3806'\ngrp='g'\nsta='1'\n",
          "protocol version missing or older than 0.3807" },
        { "pro='0.3807'\ngrp='g'\n", "no sta (status) value" },
        { "pro='0.3807'\ngrp='g'\nsta='x'\n",
          "sta (status) is not a number" },
        { "pro='0.3807'\nsta='0'\n", "no grp (group)" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trap_packet t;
        const char *why = NULL;

        assert_int_equal(trap_decode(cases[i].pkt, strlen(cases[i].pkt), &t,
                                     &why), -1);
        assert_string_equal(why, cases[i].why);
        trap_packet_fini(&t);
    }
}

static void
test_garbage(void **state)
{
    static const char junk[] = "pro=0.39\nnot a tag\n\x01\x02\ngrp=g\n"
                               "sta=0\nsum='unterminated\nzzz=1\n=x\n";
    struct trap_packet t;
    const char *why;
    char big[300];

    (void)state;
    assert_int_equal(trap_decode(junk, sizeof(junk) - 1, &t, &why), 0);
    assert_string_equal(t.pro, "0.39");     /* unquoted is fine too */
    assert_string_equal(t.sum, "'unterminated");
    assert_int_equal(t.unknown_lines, 3);
    trap_packet_fini(&t);

    /* embedded NUL bytes and no final newline */
    memset(big, 'a', sizeof(big));
    memcpy(big, "pro='1'\nsta='0'\ngrp='\0x'", 24);
    assert_int_equal(trap_decode(big, sizeof(big), &t, &why), 0);
    trap_packet_fini(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
