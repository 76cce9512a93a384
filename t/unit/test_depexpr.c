/*
 * test_depexpr.c — the dependency expression language: what compiles,
 * what it evaluates to, and the exact column and message of each error.
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

#include "depexpr.h"

/* Services that are down, as "group:service" strings, NULL-terminated. */
struct world {
    const char *const *down;
    int calls;
};

static bool
up(const struct depref *ref, void *ctx)
{
    struct world *w = ctx;
    char buf[256];

    w->calls++;
    snprintf(buf, sizeof(buf), "%s:%s", ref->group, ref->service);
    for (size_t i = 0; w->down[i] != NULL; i++)
        if (strcmp(w->down[i], buf) == 0)
            return false;
    return true;
}

static struct depexpr *
compile_ok(const char *text)
{
    int errcol = -1, warncol = -1;
    const char *errmsg = "unset";
    struct depexpr *e = depexpr_compile(text, "web", &errcol, &errmsg,
                                        &warncol);
    if (e == NULL)
        fail_msg("\"%s\" did not compile: col %d: %s", text, errcol, errmsg);
    assert_int_equal(errcol, 0);
    assert_null(errmsg);
    assert_int_equal(warncol, 0);
    assert_true(depexpr_is_evaluable(e));
    return e;
}

static enum depexpr_result
eval_with(const char *text, const char *const *down)
{
    struct depexpr *e = compile_ok(text);
    struct world w = { .down = down };
    enum depexpr_result r = depexpr_eval(e, up, &w);
    depexpr_free(e);
    return r;
}

static void
assert_error(const char *text, int col, const char *msg)
{
    int errcol = -1, warncol = -1;
    const char *errmsg = NULL;
    struct depexpr *e = depexpr_compile(text, "web", &errcol, &errmsg,
                                        &warncol);
    if (e != NULL) {
        depexpr_free(e);
        fail_msg("\"%s\" compiled but should not", text);
    }
    if (errcol != col || errmsg == NULL || strcmp(errmsg, msg) != 0)
        fail_msg("\"%s\": got col %d \"%s\", want col %d \"%s\"", text,
                 errcol, errmsg ? errmsg : "(null)", col, msg);
}

static void
test_single_reference(void **state)
{
    (void)state;
    static const char *const none[] = { NULL };
    static const char *const rdown[] = { "routers:ping", NULL };
    assert_int_equal(eval_with("routers:ping", none), DEPEXPR_TRUE);
    assert_int_equal(eval_with("routers:ping", rdown), DEPEXPR_FALSE);
    assert_int_equal(eval_with("  routers:ping  ", rdown), DEPEXPR_FALSE);
}

static void
test_symbolic_operators(void **state)
{
    (void)state;
    static const char *const adown[] = { "a:x", NULL };
    static const char *const none[] = { NULL };
    assert_int_equal(eval_with("a:x && b:y", adown), DEPEXPR_FALSE);
    assert_int_equal(eval_with("a:x && b:y", none), DEPEXPR_TRUE);
    assert_int_equal(eval_with("a:x || b:y", adown), DEPEXPR_TRUE);
    assert_int_equal(eval_with("!a:x", adown), DEPEXPR_TRUE);
    assert_int_equal(eval_with("!a:x", none), DEPEXPR_FALSE);
    assert_int_equal(eval_with("a:x&&b:y", none), DEPEXPR_TRUE);
}

static void
test_word_operators(void **state)
{
    (void)state;
    static const char *const adown[] = { "a:x", NULL };
    assert_int_equal(eval_with("a:x and b:y", adown), DEPEXPR_FALSE);
    assert_int_equal(eval_with("a:x or b:y", adown), DEPEXPR_TRUE);
    assert_int_equal(eval_with("not a:x", adown), DEPEXPR_TRUE);
    assert_int_equal(eval_with("not not a:x", adown), DEPEXPR_FALSE);
}

static void
test_precedence_and_parentheses(void **state)
{
    (void)state;
    /* && binds tighter than ||: a || (b && c). */
    static const char *const bdown[] = { "b:s", NULL };
    static const char *const abdown[] = { "a:s", "b:s", NULL };
    static const char *const acdown[] = { "a:s", "c:s", NULL };
    assert_int_equal(eval_with("a:s || b:s && c:s", abdown), DEPEXPR_FALSE);
    assert_int_equal(eval_with("a:s || b:s && c:s", bdown), DEPEXPR_TRUE);
    assert_int_equal(eval_with("(a:s || b:s) && c:s", acdown), DEPEXPR_FALSE);
    assert_int_equal(eval_with("((a:s)) and (not b:s or c:s)", bdown),
                     DEPEXPR_TRUE);
    assert_int_equal(eval_with("!(a:s && b:s)", bdown), DEPEXPR_TRUE);
}

static void
test_self_and_name_characters(void **state)
{
    (void)state;
    int errcol, warncol;
    const char *errmsg;
    struct depexpr *e = depexpr_compile("SELF:ping && dns-1.lan_x:named.v2",
                                        "web", &errcol, &errmsg, &warncol);
    assert_non_null(e);
    assert_int_equal(depexpr_nrefs(e), 2);
    assert_string_equal(depexpr_ref(e, 0).group, "web");
    assert_string_equal(depexpr_ref(e, 0).service, "ping");
    assert_string_equal(depexpr_ref(e, 1).group, "dns-1.lan_x");
    assert_string_equal(depexpr_ref(e, 1).service, "named.v2");
    depexpr_free(e);

    /* A group spelled like an operator is still a group before ':'. */
    static const char *const down[] = { "web:and", NULL };
    assert_int_equal(eval_with("or:x and SELF:and", down), DEPEXPR_FALSE);
}

static void
test_bare_list_is_unevaluable(void **state)
{
    (void)state;
    int errcol = -1, warncol = -1;
    const char *errmsg = "unset";
    /* Debian's example.cf */
    struct depexpr *e = depexpr_compile("routers:ping serversbd2:ping", "g",
                                        &errcol, &errmsg, &warncol);
    assert_non_null(e);
    assert_false(depexpr_is_evaluable(e));
    assert_int_equal(warncol, 14);
    assert_int_equal(errcol, 0);
    assert_null(errmsg);
    assert_int_equal(depexpr_nrefs(e), 2);
    assert_string_equal(depexpr_ref(e, 1).group, "serversbd2");
    static const char *const none[] = { NULL };
    struct world w = { .down = none };
    assert_int_equal(depexpr_eval(e, up, &w), DEPEXPR_ERROR);
    assert_int_equal(w.calls, 0);
    depexpr_free(e);
}

static void
test_syntax_errors_name_column(void **state)
{
    (void)state;
    assert_error("", 1, "expected group:service, \"!\", \"not\" or \"(\" "
                 "but the expression ended");
    assert_error("a:b &&", 7, "expected group:service, \"!\", \"not\" or "
                 "\"(\" but the expression ended");
    assert_error("a:b & c:d", 5, "expected \"&&\"");
    assert_error("a:b | c:d", 5, "expected \"||\"");
    assert_error("(a:b || c:d", 12, "expected \")\"");
    assert_error("a:b)", 4, "unbalanced \")\": expected an operator or the "
                 "end");
    assert_error("routers", 8, "expected \":\" and a service name after the "
                 "group name (group:service)");
    assert_error("a: && b:c", 3, "expected a service name after \":\"");
    assert_error("a:b == c:d", 5, "unexpected character: expected "
                 "group:service, \"!\", \"not\", \"(\", \")\", \"&&\", \"||\", "
                 "\"and\" or \"or\"");
    assert_error("a:b && || c:d", 8, "expected group:service, \"!\", \"not\" "
                 "or \"(\"");
    /* Not a bare list: operators mixed with a missing one. */
    assert_error("a:b c:d && e:f", 5, "expected an operator (\"&&\", \"||\", "
                 "\"and\", \"or\") or the end of the expression");
    /* Perl code is not an expression here. */
    assert_error("system(\"rm\")", 7, "expected \":\" and a service name "
                 "after the group name (group:service)");
}

static void
test_nesting_is_bounded(void **state)
{
    (void)state;
    char buf[400];
    memset(buf, '(', 100);
    strcpy(buf + 100, "a:b");
    assert_error(buf, 65, "expression nested too deeply");

    char *big = malloc(9000);
    assert_non_null(big);
    memset(big, ' ', 8999);
    big[8999] = '\0';
    memcpy(big, "a:b", 3);
    assert_error(big, 8193, "expression too long (over 8192 characters)");
    free(big);
}

static void
test_eval_visits_every_reference(void **state)
{
    (void)state;
    static const char *const none[] = { NULL };
    struct depexpr *e = compile_ok("a:b || c:d || !e:f");
    struct world w = { .down = none };
    assert_int_equal(depexpr_eval(e, up, &w), DEPEXPR_TRUE);
    assert_int_equal(w.calls, 3);
    depexpr_free(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_reference),
        cmocka_unit_test(test_symbolic_operators),
        cmocka_unit_test(test_word_operators),
        cmocka_unit_test(test_precedence_and_parentheses),
        cmocka_unit_test(test_self_and_name_characters),
        cmocka_unit_test(test_bare_list_is_unevaluable),
        cmocka_unit_test(test_syntax_errors_name_column),
        cmocka_unit_test(test_nesting_is_bounded),
        cmocka_unit_test(test_eval_visits_every_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
