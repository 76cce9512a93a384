/*
 * test_spawn.c — the process runner with real children: output bound,
 * failed spawns as results, deadlines, stdin, clean environment,
 * maxprocs queueing.  Each case runs a loop until its jobs are done.
 * Every case runs twice: with the in-process spawner and with the spawn
 * helper (spawn_remote.c), which must behave the same; then the helper's
 * own cases (its death, its exit with mond) and the overload guard.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
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

static bool use_helper;

static struct spawner *
new_spawner(struct loop *lp)
{
    struct spawner *sp = use_helper ? spawner_new_helper(lp)
                                    : spawner_new(lp);

    assert_int_equal(spawner_helper_pid(sp) > 0, use_helper);
    return sp;
}

struct got {
    int n;
    struct spawn_result r[8];
    char *out[8];
    int64_t at_ns[8];           /* now_ns the callback was given */
    int order[8];
    struct loop *lp;
    int want;
};

static void
on_done(void *arg, const struct spawn_result *r, int64_t now_ns)
{
    struct got *g = arg;

    assert_true(g->n < 8);
    /* When the end was seen: before it was handed over, never after. */
    if (!r->lost && !r->cancelled) {
        assert_true(r->end_ns > 0);
        assert_true(r->end_ns <= now_ns);
    }
    g->at_ns[g->n] = now_ns;
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
    struct spawner *sp = new_spawner(lp);
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
    struct spawner *sp = new_spawner(lp);
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
    struct spawner *sp = new_spawner(lp);
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
    struct spawner *sp = new_spawner(lp);
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
    struct spawner *sp = new_spawner(lp);
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
    struct spawner *sp = new_spawner(lp);
    struct got g = { 0 };

    (void)state;
    spawner_set_maxprocs(sp, 1);
    sh(sp, &g, "sleep 0.2; echo one", 0, 0);
    sh(sp, &g, "echo two", 0, 0);
    if (use_helper) {
        /* Both are with the helper; which one runs is its business. */
        assert_int_equal(spawner_running(sp) + spawner_queued(sp), 2);
    } else {
        assert_int_equal(spawner_running(sp), 1);
        assert_int_equal(spawner_queued(sp), 1);
    }
    run_until(lp, &g, 2);
    assert_string_equal(g.out[0], "one\n");
    assert_string_equal(g.out[1], "two\n");
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_guard_decision(void **state)
{
    (void)state;
    /* Fewer fresh children than CPUs: never held, whatever the load. */
    assert_false(spawn_guard_holds(2, 0, 100));
    assert_false(spawn_guard_holds(2, 1, 100));
    /* Enough fresh children: held only while the CPUs are oversubscribed
     * (more than 2 x ncpu runnable). */
    assert_false(spawn_guard_holds(2, 2, 4));
    assert_true(spawn_guard_holds(2, 2, 5));
    assert_true(spawn_guard_holds(2, 50, 60));
    /* Load unknown: never held. */
    assert_false(spawn_guard_holds(2, 50, -1));
    /* A bogus CPU count counts as one. */
    assert_true(spawn_guard_holds(0, 1, 3));
    assert_false(spawn_guard_holds(0, 1, 2));

    /* A tuned level (capctl) below the CPUs is a strict limit on fresh
     * children, whatever the load; at the CPUs it is the guard above. */
    assert_false(spawn_cap_holds(1, 2, 0, 100));
    assert_true(spawn_cap_holds(1, 2, 1, 0));
    assert_true(spawn_cap_holds(1, 2, 1, -1));
    assert_false(spawn_cap_holds(3, 4, 2, 100));
    assert_true(spawn_cap_holds(3, 4, 3, 0));
    assert_false(spawn_cap_holds(2, 2, 2, 4));
    assert_true(spawn_cap_holds(2, 2, 2, 5));
    assert_false(spawn_cap_holds(2, 2, 1, 100));
    /* A level of 0 or less still lets nothing fresh run beside one. */
    assert_true(spawn_cap_holds(0, 2, 1, 0));
    assert_false(spawn_cap_holds(0, 2, 0, 0));
}

struct started {
    pid_t pid;
    int n;
};

static void
on_started(void *arg, pid_t pid)
{
    struct started *st = arg;

    st->pid = pid;
    st->n++;
}

struct order_arg {
    struct got *g;
    struct started *st;
    int started_seq, done_seq;
};

static void
order_started(void *arg, pid_t pid)
{
    struct order_arg *oa = arg;

    on_started(oa->st, pid);
    oa->started_seq = oa->started_seq + oa->done_seq + 1;
}

static void
order_done(void *arg, const struct spawn_result *r, int64_t now_ns)
{
    struct order_arg *oa = arg;

    oa->done_seq = oa->started_seq + oa->done_seq + 1;
    on_done(oa->g, r, now_ns);
}

static void
stop_soon(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)arg;
    (void)now_ns;
    loop_stop(lp);
}

/* Run the loop for ms milliseconds. */
static void
run_for(struct loop *lp, int ms)
{
    struct loop_timer t;

    loop_timer_init(&t, stop_soon, NULL);
    loop_timer_arm(lp, &t, loop_clock_mono_ns() + ms * 1000000LL);
    assert_int_equal(loop_run(lp), 0);
}

static bool
pid_gone(pid_t pid)
{
    return kill(pid, 0) < 0 && errno == ESRCH;
}

/* Wait up to 5 s for pid to vanish (init reaps orphans on its own time). */
static bool
wait_gone(pid_t pid)
{
    for (int i = 0; i < 500 && !pid_gone(pid); i++)
        usleep(10000);
    return pid_gone(pid);
}

static void
test_helper_death_loses_and_restarts(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new_helper(lp);
    struct got g = { 0 };
    struct started st = { 0 };
    char *argv[] = { "sleep", "30", NULL };
    char *envp[] = { NULL };
    struct spawn_req req = {
        .label = "sleeper", .path = "/bin/sleep", .argv = argv,
        .envp = envp, .done = on_done, .started = on_started, .arg = &st,
    };
    pid_t helper = spawner_helper_pid(sp), helper2;

    (void)state;
    assert_true(helper > 0);
    req.arg = &g;
    req.started = NULL;
    spawn_submit(sp, &req);
    /* A job with a started callback; the pid shows within the lazy
     * delay of STARTED frames. */
    {
        struct spawn_req r2 = req;
        struct spawn_job *j;

        r2.done = NULL;
        r2.started = on_started;
        r2.arg = &st;
        j = spawn_submit(sp, &r2);
        run_for(lp, 300);
        assert_int_equal(st.n, 1);
        assert_true(st.pid > 0);
        assert_int_equal(spawn_job_pid(j), st.pid);
        assert_int_equal(spawner_running(sp), 2);
    }
    assert_int_equal(kill(helper, SIGKILL), 0);
    run_until(lp, &g, 1);
    assert_true(g.r[0].lost);
    assert_false(g.r[0].exited);
    /* The orphaned sleeper's group was killed. */
    assert_true(wait_gone(st.pid));
    /* A new helper took over and runs jobs. */
    helper2 = spawner_helper_pid(sp);
    assert_true(helper2 > 0);
    assert_int_not_equal(helper2, helper);
    assert_int_equal(spawner_running(sp) + spawner_queued(sp), 0);
    sh(sp, &g, "echo after", 0, 0);
    run_until(lp, &g, 2);
    assert_string_equal(g.out[1], "after\n");
    assert_false(g.r[1].lost);
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_hung_helper_replaced(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new_helper(lp);
    struct got g = { 0 };
    pid_t helper = spawner_helper_pid(sp), helper2;

    (void)state;
    /* A stopped helper answers nothing: the watchdog kills it within its
     * deadline (5 s), the job it held is lost, a new helper runs. */
    assert_int_equal(kill(helper, SIGSTOP), 0);
    sh(sp, &g, "echo never", 0, 0);
    run_until(lp, &g, 1);
    assert_true(g.r[0].lost);
    assert_true(wait_gone(helper));
    helper2 = spawner_helper_pid(sp);
    assert_true(helper2 > 0);
    assert_int_not_equal(helper2, helper);
    sh(sp, &g, "echo again", 0, 0);
    run_until(lp, &g, 2);
    assert_false(g.r[1].lost);
    assert_string_equal(g.out[1], "again\n");
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

/*
 * A quiet job that passes is not worth a wake-up: its result waits on
 * the quiet socket until the loop wakes for something else (here the
 * timer of run_for, the drain bound being set far away), and comes with
 * the time it really ended.  A failure of the same kind of job wakes
 * the loop at once.
 */
static void
test_quiet_pass_waits_failure_does_not(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new_helper(lp);
    struct got g = { 0 };
    char *argv_ok[] = { "sh", "-c", "echo fine", NULL };
    char *argv_bad[] = { "sh", "-c", "echo broken; exit 2", NULL };
    char *envp[] = { NULL };
    struct spawn_req req = {
        .label = "quiet", .path = "/bin/sh", .argv = argv_ok, .envp = envp,
        .quiet = true, .done = on_done, .arg = &g,
    };
    int64_t t0, t1;
    uint64_t w0;

    (void)state;
    spawner_set_quiet_max_ms(sp, 60000);
    /* The helper's first ping (1 s after it started) would wake the
     * loop: these runs stay well inside that second. */
    g.lp = lp;
    g.want = 99;                /* run_for's timer ends this run */
    t0 = loop_clock_mono_ns();
    w0 = loop_wakeups(lp);
    spawn_submit(sp, &req);
    run_for(lp, 600);
    t1 = loop_clock_mono_ns();
    assert_int_equal(g.n, 1);
    assert_true(g.r[0].exited);
    assert_int_equal(g.r[0].exit_code, 0);
    assert_string_equal(g.out[0], "fine\n");
    /* Handed over at the timer's wake-up, not when it ended. */
    assert_true(g.at_ns[0] >= t0 + 600 * 1000000LL);
    assert_true(g.r[0].end_ns >= t0);
    assert_true(g.r[0].end_ns < g.at_ns[0]);
    /* The submit's send, then the timer; nothing for the result. */
    assert_true(loop_wakeups(lp) - w0 <= 2);
    assert_int_equal(spawner_running(sp) + spawner_queued(sp), 0);

    /* The same job failing: handed over as soon as it ends, long before
     * the 600 ms; the loop is stopped by the callback (run_until). */
    req.argv = argv_bad;
    spawn_submit(sp, &req);
    run_until(lp, &g, 2);
    assert_int_equal(g.r[1].exit_code, 2);
    assert_string_equal(g.out[1], "broken\n");
    assert_true(g.at_ns[1] - t1 < 600 * 1000000LL);
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

/* A quiet job's STARTED travels on the quiet socket, its failure on the
 * main one: the started callback still comes first. */
static void
test_quiet_started_before_urgent_done(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new_helper(lp);
    struct got g = { 0 };
    struct started st = { 0 };
    char *argv[] = { "sh", "-c", "sleep 0.2; exit 1", NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", NULL };
    struct order_arg oa = { &g, &st, 0, 0 };
    struct spawn_req req = {
        .label = "order", .path = "/bin/sh", .argv = argv, .envp = envp,
        .quiet = true, .done = order_done, .started = order_started,
        .arg = &oa,
    };

    (void)state;
    spawner_set_quiet_max_ms(sp, 60000);
    spawn_submit(sp, &req);
    run_until(lp, &g, 1);
    assert_int_equal(g.r[0].exit_code, 1);
    assert_int_equal(st.n, 1);
    assert_int_equal(st.pid, g.r[0].pid);
    assert_int_equal(oa.started_seq, 1);
    assert_int_equal(oa.done_seq, 2);
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

struct counter {
    int n, want;
};

static void
count_done(void *arg, const struct spawn_result *r, int64_t now_ns)
{
    struct counter *c = arg;

    (void)now_ns;
    assert_true(r->exited);
    c->n++;
}

/* More than 8 jobs sent and not started is a backlog: mond's timers get
 * 10 ms of slack until it is gone. */
static void
test_backlog_gives_timer_slack(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new_helper(lp);
    char *argv[] = { "sh", "-c", "exit 0", NULL };
    char *envp[] = { NULL };
    struct counter c = { 0, 12 };
    struct spawn_req req = {
        .label = "backlog", .path = "/bin/sh", .argv = argv, .envp = envp,
        .done = count_done, .arg = &c,
    };

    (void)state;
    spawner_set_maxprocs(sp, 1);
    for (int i = 0; i < 8; i++)
        spawn_submit(sp, &req);
    assert_int_equal(loop_timer_slack(lp), 0);
    for (int i = 8; i < 12; i++)
        spawn_submit(sp, &req);
    assert_int_equal(loop_timer_slack(lp), 10 * 1000000LL);
    for (int i = 0; i < 200 && c.n < c.want; i++)
        run_for(lp, 100);
    assert_int_equal(c.n, c.want);
    run_for(lp, 100);
    assert_int_equal(spawner_running(sp) + spawner_queued(sp), 0);
    assert_int_equal(loop_timer_slack(lp), 0);
    spawner_free(sp);
    loop_free(lp);
}

/*
 * A job given a start time is started by the helper then (not before),
 * without counting as queued meanwhile; one not started yet can be
 * cancelled and never runs; one that runs cannot.
 */
static void
test_start_later_and_cancel(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new_helper(lp);
    struct got g = { 0 };
    char dir[] = "/tmp/mond-test-XXXXXX", marker[64], script[128];
    char *argv1[] = { "sh", "-c", "echo later", NULL };
    char *argv2[] = { "sh", "-c", script, NULL };
    char *argv3[] = { "sh", "-c", "sleep 0.6; echo ran", NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", NULL };
    struct spawn_req req = {
        .label = "later", .path = "/bin/sh", .argv = argv1, .envp = envp,
        .done = on_done, .arg = &g,
    };
    struct spawn_job *j;
    int64_t at;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(marker, sizeof marker, "%s/ran", dir);
    snprintf(script, sizeof script, "touch %s", marker);
    assert_true(spawner_can_start_later(sp));

    at = loop_clock_mono_ns() + 300 * 1000000LL;
    req.start_at_ns = at;
    spawn_submit(sp, &req);
    assert_int_equal(spawner_queued(sp) + spawner_running(sp), 0);
    run_until(lp, &g, 1);
    assert_true(g.r[0].exited);
    assert_string_equal(g.out[0], "later\n");
    assert_true(g.r[0].start_ns >= at);
    assert_true(g.at_ns[0] >= at);

    at = loop_clock_mono_ns() + 1000 * 1000000LL;
    req.start_at_ns = at;
    req.argv = argv2;
    j = spawn_submit(sp, &req);
    run_for(lp, 100);
    assert_int_equal(spawn_job_pid(j), 0);
    assert_true(spawn_cancel(j));
    run_until(lp, &g, 2);
    assert_true(g.r[1].cancelled);
    assert_int_equal(g.r[1].pid, 0);
    assert_false(g.r[1].exited);
    /* past the time it had: it never ran */
    while (loop_clock_mono_ns() < at + 300 * 1000000LL)
        run_for(lp, 100);
    assert_int_not_equal(access(marker, F_OK), 0);

    req.start_at_ns = 0;
    req.argv = argv3;
    j = spawn_submit(sp, &req);
    for (int i = 0; i < 50 && spawn_job_pid(j) == 0; i++)
        run_for(lp, 20);
    assert_true(spawn_job_pid(j) > 0);
    assert_false(spawn_cancel(j));
    run_until(lp, &g, 3);
    assert_false(g.r[2].cancelled);
    assert_string_equal(g.out[2], "ran\n");
    assert_int_equal(rmdir(dir), 0);
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_in_process_starts_now(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new(lp);
    struct got g = { 0 };
    struct spawn_job *j;

    (void)state;
    assert_false(spawner_can_start_later(sp));
    j = sh(sp, &g, "echo now", 0, 0);
    assert_false(spawn_cancel(j));
    run_until(lp, &g, 1);
    assert_false(g.r[0].cancelled);
    assert_string_equal(g.out[0], "now\n");
    got_fini(&g);
    spawner_free(sp);
    loop_free(lp);
}

static void
test_helper_ends_children_with_mond(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct spawner *sp = spawner_new_helper(lp);
    struct started st = { 0 };
    char *argv[] = { "sleep", "30", NULL };
    char *envp[] = { NULL };
    struct spawn_req req = {
        .label = "sleeper", .path = "/bin/sleep", .argv = argv,
        .envp = envp, .started = on_started, .arg = &st,
    };
    pid_t helper = spawner_helper_pid(sp);

    (void)state;
    spawn_submit(sp, &req);
    run_for(lp, 300);
    assert_true(st.pid > 0);
    /* spawner_free (mond stopping) closes the socket: the helper kills
     * and reaps its children and exits, and is reaped. */
    spawner_free(sp);
    assert_true(wait_gone(st.pid));
    assert_true(pid_gone(helper));
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

    const struct CMUnitTest helper_tests[] = {
        cmocka_unit_test(test_guard_decision),
        cmocka_unit_test(test_helper_death_loses_and_restarts),
        cmocka_unit_test(test_helper_ends_children_with_mond),
        cmocka_unit_test(test_hung_helper_replaced),
        cmocka_unit_test(test_quiet_pass_waits_failure_does_not),
        cmocka_unit_test(test_quiet_started_before_urgent_done),
        cmocka_unit_test(test_backlog_gives_timer_slack),
        cmocka_unit_test(test_start_later_and_cancel),
        cmocka_unit_test(test_in_process_starts_now),
    };
    int failed;

    (void)log_init(true, NULL);
    failed = cmocka_run_group_tests_name("in-process spawner", tests, NULL,
                                         NULL);
    use_helper = true;
    failed += cmocka_run_group_tests_name("spawn helper", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("spawn helper only", helper_tests,
                                          NULL, NULL);
    return failed;
}
