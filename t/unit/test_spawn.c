/*
 * test_spawn.c — the process runner with real children: output bound,
 * failed spawns as results, deadlines, stdin, clean environment,
 * maxprocs queueing.  Each case runs a loop until its jobs are done.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "loop.h"
#include "spawner.h"
#include "xalloc.h"

struct got {
    int n;
    struct spawn_result r[8];
    char *out[8];
    int order[8];
    struct loop *lp;
    int want;
};

static void
on_done(void *arg, const struct spawn_result *r, int64_t now_ns)
{
    struct got *g = arg;

    (void)now_ns;
    assert_true(g->n < 8);
    g->r[g->n] = *r;
    g->out[g->n] = xstrdup(r->output);
    g->r[g->n].output = g->out[g->n];
    g->n++;
    if (g->n >= g->want)
        loop_stop(g->lp);
}

static void
on_deadline(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)arg;
    (void)now_ns;
    fail_msg("test deadline passed");
    loop_stop(lp);
}

static void
run_until(struct loop *lp, struct got *g, int want)
{
    struct loop_timer t;

    g->lp = lp;
    g->want = want;
    loop_timer_init(&t, on_deadline, NULL);
    loop_timer_arm(lp, &t, loop_clock_mono_ns() + 20LL * 1000000000);
    assert_int_equal(loop_run(lp), 0);
    loop_timer_cancel(lp, &t);
}

static void
got_fini(struct got *g)
{
    for (int i = 0; i < g->n; i++)
        free(g->out[i]);
}

static struct spawn_job *
sh(struct spawner *sp, struct got *g, const char *script, int64_t timeout_ms,
   size_t output_max)
{
    char *argv[] = { "sh", "-c", (char *)script, NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", "ONLY=this", NULL };
    struct spawn_req req = {
        .label = "test", .path = "/bin/sh", .argv = argv, .envp = envp,
        .timeout_ms = timeout_ms, .output_max = output_max,
        .done = on_done, .arg = g,
    };
    return spawn_submit(sp, &req);
}

static void
test_output_bound(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new(lp);
    struct got g = { 0 };

    (void)state;
    sh(sp, &g, "echo first; head -c 3000000 /dev/zero; exit 3", 0, 1000);
    run_until(lp, &g, 1);
    assert_int_equal(g.n, 1);
    assert_true(g.r[0].exited);
    assert_int_equal(g.r[0].exit_code, 3);
    assert_int_equal(g.r[0].output_len, 1000);
    assert_int_equal(g.r[0].output_total, 3000000 + 6);
    assert_memory_equal(g.out[0], "first\n", 6);
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_env_and_stderr(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new(lp);
    struct got g = { 0 };

    (void)state;
    /* Only the given environment (sh adds PWD; nothing of ours), stderr
     * in the same pipe, stdin is /dev/null, no blocked signals. */
    sh(sp, &g, "env | grep -v '^PWD=\\|^SHLVL=\\|^_=' | sort; echo err >&2; "
               "cat; grep SigBlk /proc/self/status", 0, 0);
    run_until(lp, &g, 1);
    assert_string_equal(g.out[0], "ONLY=this\nPATH=/usr/bin:/bin\nerr\n"
                                  "SigBlk:\t0000000000000000\n");
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_spawn_failure_is_a_result(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new(lp);
    struct got g = { 0 };
    char *argv[] = { "nope", NULL };
    char *envp[] = { NULL };
    struct spawn_req req = {
        .label = "t", .path = "/nonexistent/nope", .argv = argv,
        .envp = envp, .done = on_done, .arg = &g,
    };

    (void)state;
    spawn_submit(sp, &req);
    assert_int_equal(g.n, 0);           /* never from inside submit */
    run_until(lp, &g, 1);
    assert_int_equal(g.r[0].spawn_errno, ENOENT);
    assert_false(g.r[0].exited);
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_deadline_kills_group(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new(lp);
    struct got g = { 0 };

    (void)state;
    /* The leader ignores SIGTERM: SIGKILL after the grace period. */
    sh(sp, &g, "trap '' TERM; echo partial; sleep 30 & wait; sleep 30", 200,
       0);
    run_until(lp, &g, 1);
    assert_true(g.r[0].timed_out);
    assert_true(g.r[0].signaled);
    assert_int_equal(g.r[0].termsig, SIGKILL);
    assert_string_equal(g.out[0], "partial\n");
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_stdin_fed(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new(lp);
    struct got g = { 0 };
    char *argv[] = { "wc", "-c", NULL };
    char *envp[] = { NULL };
    size_t big = 300000;
    char *in = xmalloc(big);
    struct spawn_req req = {
        .label = "t", .path = "/usr/bin/wc", .argv = argv, .envp = envp,
        .has_input = true, .input = in, .input_len = big,
        .done = on_done, .arg = &g,
    };

    (void)state;
    memset(in, 'a', big);
    spawn_submit(sp, &req);
    free(in);
    run_until(lp, &g, 1);
    assert_int_equal(atoi(g.out[0]), (int)big);
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_maxprocs_queues(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new(lp);
    struct got g = { 0 };

    (void)state;
    spawner_set_maxprocs(sp, 1);
    sh(sp, &g, "sleep 0.2; echo one", 0, 0);
    sh(sp, &g, "echo two", 0, 0);
    assert_int_equal(spawner_running(sp), 1);
    assert_int_equal(spawner_queued(sp), 1);
    run_until(lp, &g, 2);
    assert_string_equal(g.out[0], "one\n");
    assert_string_equal(g.out[1], "two\n");
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_bound),
        cmocka_unit_test(test_env_and_stderr),
        cmocka_unit_test(test_spawn_failure_is_a_result),
        cmocka_unit_test(test_deadline_kills_group),
        cmocka_unit_test(test_stdin_fed),
        cmocka_unit_test(test_maxprocs_queues),
    };

    (void)log_init(true, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
