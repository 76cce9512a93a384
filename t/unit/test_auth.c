/*
 * test_auth.c — auth.cf as mon reads it (all, AUTH_ANY, !user,
 * !AUTH_ANY, trap section with * host and * user, host names resolved
 * at load with mon's name pattern), errors with their
 * file:line:col, password hashes (DES, $1$, $6$, $apr1$ from openssl
 * passwd, bcrypt), and the userfile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"

static const char good[] =
    "# comment\n"
    "command section\n"
    "list:\t\tall\n"
    "ack:   AUTH_ANY, !mallory\n"
    "disable: alice, bob\n"
    "Term: alice\n"
    "reset: AUTH_ANY, !AUTH_ANY\n"
    "\n"
    "trap section\n"
    "127.0.0.1 trapper zz/zB0Z3xV5/.\n"
    "10.0.0.9 * *\n";

static void
test_commands(void **state)
{
    struct diag_list errs;
    struct auth *a;

    (void)state;
    diag_list_init(&errs);
    a = auth_parse("auth.cf", good, &errs);
    assert_non_null(a);
    assert_true(auth_may(a, NULL, "list"));
    assert_true(auth_may(a, "anyone", "list"));
    assert_false(auth_may(a, NULL, "ack"));
    assert_true(auth_may(a, "bob", "ack"));
    assert_false(auth_may(a, "mallory", "ack"));
    assert_true(auth_may(a, "alice", "disable"));
    assert_true(auth_may(a, "bob", "disable"));
    assert_false(auth_may(a, "carol", "disable"));
    assert_false(auth_may(a, NULL, "disable"));
    assert_true(auth_may(a, "alice", "term"));      /* names lower-cased */
    assert_false(auth_may(a, "alice", "reset"));    /* !AUTH_ANY wins */
    assert_false(auth_may(a, "alice", "savestate"));/* not listed */
    auth_free(a);
    diag_list_fini(&errs);
}

static void
test_traps(void **state)
{
    struct diag_list errs;
    struct auth *a;

    (void)state;
    diag_list_init(&errs);
    a = auth_parse("auth.cf", good, &errs);
    assert_non_null(a);
    assert_int_equal(auth_trap_check(a, "127.0.0.1", "trapper", "trappw"),
                     AUTH_TRAP_OK);
    assert_int_equal(auth_trap_check(a, "127.0.0.1", "trapper", "wrong"),
                     AUTH_TRAP_PASSWORD);
    assert_int_equal(auth_trap_check(a, "127.0.0.1", "other", "trappw"),
                     AUTH_TRAP_USER);
    assert_int_equal(auth_trap_check(a, "127.0.0.1", NULL, NULL),
                     AUTH_TRAP_USER);
    assert_int_equal(auth_trap_check(a, "127.0.0.2", "trapper", "trappw"),
                     AUTH_TRAP_HOST);
    assert_int_equal(auth_trap_check(a, "10.0.0.9", NULL, NULL),
                     AUTH_TRAP_OK);
    assert_string_equal(auth_trap_result_str(AUTH_TRAP_PASSWORD),
                        "bad password");
    auth_free(a);

    /* a "*" host line applies to every sender */
    a = auth_parse("auth.cf", "trap section\n* * *\n", &errs);
    assert_non_null(a);
    assert_int_equal(auth_trap_check(a, "192.0.2.1", "x", "y"),
                     AUTH_TRAP_OK);
    assert_false(auth_may(a, NULL, "list"));
    auth_free(a);
    diag_list_fini(&errs);
}

/* A resolver that knows two names and nothing else. */
static int
fake_resolve(const char *host, char (*addrs)[AUTH_ADDR_LEN], size_t max,
             char *err, size_t errlen)
{
    if (strcmp(host, "traps.example") == 0 && max >= 2) {
        snprintf(addrs[0], AUTH_ADDR_LEN, "192.0.2.7");
        snprintf(addrs[1], AUTH_ADDR_LEN, "2001:db8::7");
        return 2;
    }
    if (strcmp(host, "one-host") == 0 && max >= 1) {
        snprintf(addrs[0], AUTH_ADDR_LEN, "198.51.100.1");
        return 1;
    }
    snprintf(err, errlen, "Name or service not known");
    return -1;
}

/* Trap hosts given by name: every address of the name is allowed, other
 * senders are not; an IPv6 literal is compared in canonical form; the
 * last line for the same host and user wins (as mon's hash). */
static void
test_trap_names(void **state)
{
    static const char text[] =
        "trap section\n"
        "traps.example trapper zz/zB0Z3xV5/.\n"
        "one-host * *\n"
        "2001:DB8:0:0::9 u zz/zB0Z3xV5/.\n"
        "192.0.2.20 dup zz/zB0Z3xV5/.\n"
        "192.0.2.20 dup $1$ab$dslkcXxVH.x8LwW1W/oAB/\n";
    struct diag_list errs;
    struct auth *a;

    (void)state;
    diag_list_init(&errs);
    a = auth_parse_with("auth.cf", text, fake_resolve, &errs);
    assert_non_null(a);
    assert_int_equal(errs.n, 0);
    assert_int_equal(auth_trap_check(a, "192.0.2.7", "trapper", "trappw"),
                     AUTH_TRAP_OK);
    assert_int_equal(auth_trap_check(a, "2001:db8::7", "trapper", "trappw"),
                     AUTH_TRAP_OK);
    assert_int_equal(auth_trap_check(a, "192.0.2.7", "trapper", "nope"),
                     AUTH_TRAP_PASSWORD);
    assert_int_equal(auth_trap_check(a, "192.0.2.8", "trapper", "trappw"),
                     AUTH_TRAP_HOST);
    assert_int_equal(auth_trap_check(a, "198.51.100.1", NULL, NULL),
                     AUTH_TRAP_OK);
    assert_int_equal(auth_trap_check(a, "2001:db8::9", "u", "trappw"),
                     AUTH_TRAP_OK);
    assert_int_equal(auth_trap_check(a, "192.0.2.20", "dup", "trappw"),
                     AUTH_TRAP_PASSWORD);
    assert_int_equal(auth_trap_check(a, "192.0.2.20", "dup", "secret"),
                     AUTH_TRAP_OK);
    auth_free(a);

    /* the real resolver: localhost is in /etc/hosts on every machine */
    a = auth_parse("auth.cf", "trap section\nlocalhost * *\n", &errs);
    assert_non_null(a);
    assert_int_equal(auth_trap_check(a, "127.0.0.1", NULL, NULL),
                     AUTH_TRAP_OK);
    assert_int_equal(auth_trap_check(a, "127.0.0.2", NULL, NULL),
                     AUTH_TRAP_HOST);
    auth_free(a);
    diag_list_fini(&errs);
}

static void
test_errors(void **state)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        { "command section\nlist all\n",
          "auth.cf:2:1: error: expected \"command: user, ...\" in the "
          "command section" },
        { "command section\n  : all\n",
          "auth.cf:2:3: error: expected a command name before \":\"" },
        { "ack: bob, !\n",
          "auth.cf:1:11: error: expected a user name after \"!\"" },
        { "trap section\n127.0.0.1 user\n",
          "auth.cf:2:1: error: expected \"host user password-hash\" in the "
          "trap section" },
        { "trap section\n\tbad_host u p\n",
          "auth.cf:2:2: error: trap host \"bad_host\" is not an IP address, "
          "a host name or \"*\"" },
        { "trap section\n-a.example u p\n",
          "auth.cf:2:1: error: trap host \"-a.example\" is not an IP "
          "address, a host name or \"*\"" },
        { "trap section\nx u p\n",
          "auth.cf:2:1: error: trap host \"x\" is not an IP address, a host "
          "name or \"*\"" },
        { "trap section\n10.0.0.256 u p\n",
          "auth.cf:2:1: error: trap host \"10.0.0.256\" is not a valid IPv4 "
          "address" },
        { "# c\ntrap section\n\n  nosuch.invalid u p\n",
          "auth.cf:4:3: error: trap host \"nosuch.invalid\" does not "
          "resolve: Name or service not known" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct diag_list errs;
        char *m;

        diag_list_init(&errs);
        assert_null(auth_parse_with("auth.cf", cases[i].text, fake_resolve,
                                    &errs));
        assert_int_equal(errs.n, 1);
        m = diag_format(&errs.items[0]);
        assert_string_equal(m, cases[i].msg);
        free(m);
        diag_list_fini(&errs);
    }
    {
        struct diag_list errs;

        diag_list_init(&errs);
        assert_null(auth_load("/nonexistent/auth.cf", &errs));
        assert_int_equal(errs.n, 1);
        diag_list_fini(&errs);
    }
}

static void
test_default(void **state)
{
    struct auth *a = auth_default();

    (void)state;
    assert_non_null(a);
    assert_true(auth_may(a, NULL, "list"));
    assert_false(auth_may(a, NULL, "disable"));
    assert_true(auth_may(a, "u", "disable"));
    assert_int_equal(auth_trap_check(a, "127.0.0.1", "u", "p"),
                     AUTH_TRAP_HOST);
    auth_free(a);
}

static void
test_hashes(void **state)
{
    (void)state;
    assert_true(auth_password_matches("trappw", "zz/zB0Z3xV5/."));
    assert_false(auth_password_matches("trappx", "zz/zB0Z3xV5/."));
    assert_true(auth_password_matches("secret",
                                      "$1$ab$dslkcXxVH.x8LwW1W/oAB/"));
    assert_true(auth_password_matches("secret",
        "$6$s1$CoYDZFlH8uCTc52f6MrIP7KPAEFvYFWWGT439ndOjAwEhTLEG2y1P5YqKRI2"
        "6LZJnTMgCqg0gk6yYzt1ttM9X1"));
    assert_true(auth_password_matches("secret",
                                      "$apr1$Xy12$GLsymIGo7.ZavKYrGfltS0"));
    assert_false(auth_password_matches("Secret",
                                       "$apr1$Xy12$GLsymIGo7.ZavKYrGfltS0"));
    assert_true(auth_password_matches("longer password here!",
        "$apr1$abcdefgh$EJj.Iq/EOHakmCBrSTKiu/"));
    assert_true(auth_password_matches("pw",
        "$2y$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q"));
    assert_false(auth_password_matches("pw", ""));
    assert_false(auth_password_matches("pw", "*"));
}

static void
test_userfile(void **state)
{
    char path[] = "/tmp/test_auth_XXXXXX";
    int fd = mkstemp(path);
    FILE *fp;

    (void)state;
    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs("# users\n\nalice:$apr1$Xy12$GLsymIGo7.ZavKYrGfltS0\n"
          "bob : zz/zB0Z3xV5/.  \n", fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(auth_userfile_check(path, "alice", "secret"), 1);
    assert_int_equal(auth_userfile_check(path, "alice", "wrong"), 0);
    assert_int_equal(auth_userfile_check(path, "bob", "trappw"), 1);
    assert_int_equal(auth_userfile_check(path, "carol", "x"), 0);
    {
        struct auth_login_cfg uf = { "userfile", path, NULL };
        struct auth_login_cfg tl = { "getpwnam trustlocal", path, NULL };
        struct auth_login_cfg tl2 = { "trustlocal", path, NULL };

        assert_true(auth_login(&uf, "alice", "secret", "10.1.1.1"));
        assert_false(auth_login(&uf, "alice", "", "10.1.1.1"));
        assert_false(auth_login(&uf, "", "secret", "10.1.1.1"));
        assert_false(auth_login(&uf, "alice", "wrong", "10.1.1.1"));
        assert_true(auth_login(&tl, "x", "", "127.0.0.1"));
        assert_false(auth_login(&tl2, "x", "", "127.0.0.2"));
    }
    assert_int_equal(unlink(path), 0);
    assert_int_equal(auth_userfile_check(path, "alice", "secret"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_traps),
        cmocka_unit_test(test_trap_names),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_userfile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
