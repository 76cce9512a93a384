/*
 * test_loop.c — the event loop: timers fire in due order, cancel and
 * re-arm work, a timer armed for now fires in the same pass, an fd
 * removed during a batch is not delivered, the wake hook runs first in
 * every pass, signals arrive via signalfd.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

#define MS 1000000LL

static int order[16];
static int norder;

struct tctx {
    int id;
    struct loop_timer *chain;    /* armed for now from the callback */
    bool stop;
};

static void
on_timer(struct loop *lp, void *arg, int64_t now_ns)
{
    struct tctx *c = arg;

    order[norder++] = c->id;
    if (c->chain != NULL)
        loop_timer_arm(lp, c->chain, now_ns);
    if (c->stop)
        loop_stop(lp);
}

static void
test_timers_in_order(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct loop_timer t[6];
    struct tctx c[6];
    int64_t now = loop_clock_mono_ns();
    int64_t due[6] = { 30, 10, 50, 20, 40, 60 };

    (void)state;
    norder = 0;
    for (int i = 0; i < 6; i++) {
        c[i] = (struct tctx){ .id = i };
        loop_timer_init(&t[i], on_timer, &c[i]);
        loop_timer_arm(lp, &t[i], now + due[i] * MS);
    }
    loop_timer_cancel(lp, &t[4]);               /* 40 never fires */
    loop_timer_arm(lp, &t[2], now + 5 * MS);    /* 50 -> 5 */
    c[5].stop = true;
    assert_int_equal(loop_run(lp), 0);
    assert_int_equal(norder, 5);
    int want[5] = { 2, 1, 3, 0, 5 };
    for (int i = 0; i < 5; i++)
        assert_int_equal(order[i], want[i]);
    loop_free(lp);
}

static void
test_timer_armed_for_now_same_pass(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct loop_timer a, b;
    struct tctx ca = { .id = 1 }, cb = { .id = 2, .stop = true };

    (void)state;
    norder = 0;
    loop_timer_init(&a, on_timer, &ca);
    loop_timer_init(&b, on_timer, &cb);
    ca.chain = &b;
    loop_timer_arm(lp, &a, loop_clock_mono_ns());
    assert_int_equal(loop_run(lp), 0);
    assert_int_equal(norder, 2);
    loop_free(lp);
}

struct ioctx {
    struct loop_io io;
    struct ioctx *other;
    int fd;
    int calls;
};

static void
on_io(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct ioctx *c = arg;
    char buf[16];

    (void)events;
    (void)now_ns;
    c->calls++;
    assert_true(read(c->fd, buf, sizeof buf) > 0);
    /* Whoever runs first removes the other: it must not be called. */
    loop_io_del(lp, &c->other->io);
    loop_io_del(lp, &c->io);
    loop_stop(lp);
}

static void
test_io_del_during_batch(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    int p1[2], p2[2];
    struct ioctx a = { 0 }, b = { 0 };

    (void)state;
    assert_int_equal(pipe(p1), 0);
    assert_int_equal(pipe(p2), 0);
    a.fd = p1[0];
    b.fd = p2[0];
    a.other = &b;
    b.other = &a;
    assert_int_equal(write(p1[1], "x", 1), 1);
    assert_int_equal(write(p2[1], "y", 1), 1);
    assert_int_equal(loop_io_add(lp, &a.io, a.fd, EPOLLIN, on_io, &a), 0);
    assert_int_equal(loop_io_add(lp, &b.io, b.fd, EPOLLIN, on_io, &b), 0);
    assert_int_equal(loop_run(lp), 0);
    assert_int_equal(a.calls + b.calls, 1);
    close(p1[0]);
    close(p1[1]);
    close(p2[0]);
    close(p2[1]);
    loop_free(lp);
}

/* The wake hook runs first in each pass, before fd events and timers,
 * once per wake-up; an fd it removes is not delivered in that pass. */
struct hookctx {
    struct ioctx *drop;         /* removed by the hook when set */
};

static void
on_hook(struct loop *lp, void *arg, int64_t now_ns)
{
    struct hookctx *h = arg;

    (void)now_ns;
    order[norder++] = 100;
    if (h->drop != NULL)
        loop_io_del(lp, &h->drop->io);
}

static void
on_io_order(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct ioctx *c = arg;
    char buf[16];

    (void)lp;
    (void)events;
    (void)now_ns;
    c->calls++;
    order[norder++] = 200;
    assert_true(read(c->fd, buf, sizeof buf) > 0);
}

static void
test_wake_hook_first(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    int p1[2];
    struct ioctx a = { 0 };
    struct hookctx h = { NULL };
    struct loop_timer t;
    struct tctx c = { .id = 1, .stop = true };
    uint64_t w0 = loop_wakeups(lp);

    (void)state;
    norder = 0;
    assert_int_equal(pipe(p1), 0);
    a.fd = p1[0];
    assert_int_equal(write(p1[1], "x", 1), 1);
    assert_int_equal(loop_io_add(lp, &a.io, a.fd, EPOLLIN, on_io_order, &a),
                     0);
    loop_set_wake_hook(lp, on_hook, &h);
    loop_timer_init(&t, on_timer, &c);
    loop_timer_arm(lp, &t, loop_clock_mono_ns());
    assert_int_equal(loop_run(lp), 0);
    assert_int_equal(norder, 3);
    assert_int_equal(order[0], 100);
    assert_int_equal(order[1], 200);
    assert_int_equal(order[2], 1);
    assert_int_equal(loop_wakeups(lp) - w0, 1);

    /* Data waiting, but the hook removes the fd: only the hook runs. */
    norder = 0;
    assert_int_equal(write(p1[1], "y", 1), 1);
    h.drop = &a;
    loop_timer_arm(lp, &t, loop_clock_mono_ns() + 20 * MS);
    assert_int_equal(loop_run(lp), 0);
    assert_int_equal(a.calls, 1);
    assert_true(norder >= 2);
    assert_int_equal(order[0], 100);
    assert_int_equal(order[norder - 1], 1);
    for (int i = 0; i < norder; i++)
        assert_int_not_equal(order[i], 200);
    loop_set_wake_hook(lp, NULL, NULL);
    close(p1[0]);
    close(p1[1]);
    loop_free(lp);
}

/* With slack, timers due close together fire in one wake-up, none
 * before its time; without, each has its own. */
struct slackctx {
    int64_t due, fired_at;
};

static void
on_slack_timer(struct loop *lp, void *arg, int64_t now_ns)
{
    struct slackctx *c = arg;

    (void)lp;
    c->fired_at = now_ns;
    order[norder++] = 1;
}

static void
on_slack_last(struct loop *lp, void *arg, int64_t now_ns)
{
    on_slack_timer(lp, arg, now_ns);
    loop_stop(lp);
}

static uint64_t
run_three(struct loop *lp, struct slackctx c[3])
{
    struct loop_timer t[3];
    int64_t now = loop_clock_mono_ns();
    uint64_t w0 = loop_wakeups(lp);

    norder = 0;
    for (int i = 0; i < 3; i++) {
        c[i].due = now + (20 + 10 * i) * MS;
        c[i].fired_at = 0;
        loop_timer_init(&t[i], i == 2 ? on_slack_last : on_slack_timer,
                        &c[i]);
        loop_timer_arm(lp, &t[i], c[i].due);
    }
    assert_int_equal(loop_run(lp), 0);
    for (int i = 0; i < 3; i++)
        assert_true(c[i].fired_at >= c[i].due);
    assert_int_equal(norder, 3);
    return loop_wakeups(lp) - w0;
}

static void
test_timer_slack(void **state)
{
    struct loop *lp = loop_new(NULL, NULL);
    struct slackctx c[3];

    (void)state;
    assert_int_equal(loop_timer_slack(lp), 0);
    /* 20, 30 and 40 ms: a wake-up each (two if this machine stalls for
     * 10 ms). */
    assert_true(run_three(lp, c) >= 2);
    /* 25 ms of slack: the first wake-up comes 20 + 25 ms on, when all
     * three are due: one wake-up. */
    loop_set_timer_slack(lp, 25 * MS);
    assert_int_equal(loop_timer_slack(lp), 25 * MS);
    assert_int_equal(run_three(lp, c), 1);
    assert_true(c[0].fired_at == c[2].fired_at);
    loop_set_timer_slack(lp, -5);
    assert_int_equal(loop_timer_slack(lp), 0);
    loop_free(lp);
}

static int got_signo;

static void
on_sig(struct loop *lp, void *arg, int signo, int64_t now_ns)
{
    (void)arg;
    (void)now_ns;
    got_signo = signo;
    loop_stop(lp);
}

static void
test_signal_via_signalfd(void **state)
{
    struct loop *lp = loop_new(on_sig, NULL);

    (void)state;
    got_signo = 0;
    assert_int_equal(kill(getpid(), SIGHUP), 0);
    assert_int_equal(loop_run(lp), 0);
    assert_int_equal(got_signo, SIGHUP);
    loop_free(lp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_in_order),
        cmocka_unit_test(test_timer_armed_for_now_same_pass),
        cmocka_unit_test(test_io_del_during_batch),
        cmocka_unit_test(test_wake_hook_first),
        cmocka_unit_test(test_timer_slack),
        cmocka_unit_test(test_signal_via_signalfd),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
