/*
 * test_auth.c — auth.cf as mon reads it (all, AUTH_ANY, !user,
 * !AUTH_ANY, trap section with * host and * user), errors with their
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
          "auth.cf:2:2: error: trap host \"bad_host\" is not an IP address "
          "or \"*\"" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct diag_list errs;
        char *m;

        diag_list_init(&errs);
        assert_null(auth_parse("auth.cf", cases[i].text, &errs));
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
    assert_true(auth_login("userfile", path, "alice", "secret", "10.1.1.1"));
    assert_false(auth_login("userfile", path, "alice", "", "10.1.1.1"));
    assert_false(auth_login("userfile", path, "", "secret", "10.1.1.1"));
    assert_true(auth_login("getpwnam trustlocal", path, "x", "", "127.0.0.1"));
    assert_false(auth_login("trustlocal", path, "x", "", "127.0.0.2"));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(auth_userfile_check(path, "alice", "secret"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_traps),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_userfile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
