/*
 * test_strmap.c — the string map (scheduler/strmap.c): entries are found
 * again through growth, keys are copied, values stay the caller's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "strmap.h"

static int freed;

static void
count_free(void *p)
{
    freed++;
    free(p);
}

static void
test_get_find_grow(void **state)
{
    struct strmap m = STRMAP_INIT;
    char key[32];

    (void)state;
    assert_null(strmap_find(&m, "absent"));
    for (int i = 0; i < 1000; i++) {
        struct strmap_ent *e;

        snprintf(key, sizeof key, "k%d", i);
        e = strmap_get(&m, key);
        assert_string_equal(e->key, key);
        assert_null(e->val);            /* new */
        e->val = malloc(4);
        assert_ptr_not_equal(e->key, key);      /* copied */
    }
    assert_int_equal(m.n, 1000);
    assert_true(m.cap >= 2000);        /* at most half full */
    for (int i = 0; i < 1000; i++) {
        struct strmap_ent *e;
        void *v;

        snprintf(key, sizeof key, "k%d", i);
        e = strmap_find(&m, key);
        assert_non_null(e);
        v = e->val;
        /* get of an existing key returns it, value untouched */
        assert_ptr_equal(strmap_get(&m, key)->val, v);
    }
    assert_int_equal(m.n, 1000);
    assert_null(strmap_find(&m, "k1000"));
    assert_null(strmap_find(&m, ""));
    freed = 0;
    strmap_fini(&m, count_free);
    assert_int_equal(freed, 1000);
    assert_int_equal(m.n, 0);
    assert_null(strmap_find(&m, "k1"));
}

static void
test_empty_key_and_no_free(void **state)
{
    struct strmap m = STRMAP_INIT;
    static int v;

    (void)state;
    strmap_get(&m, "")->val = &v;
    assert_ptr_equal(strmap_find(&m, "")->val, &v);
    strmap_fini(&m, NULL);              /* values are the caller's */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_find_grow),
        cmocka_unit_test(test_empty_key_and_no_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
