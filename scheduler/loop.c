/*
 * loop.c — epoll, timers, signals.
 *
 * Holds the epoll fd, the signalfd and a binary min-heap of armed
 * timers.  One pass: wait until the earliest timer (or an fd event),
 * read both clocks once, call the wake hook (if any), dispatch fd
 * events, then fire due timers.
 * A timer armed by a callback for "now" fires in the same pass, so a
 * child's exit and the alert it causes happen without a second wakeup.
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

#define LOOP_NEVENTS 64

struct loop {
    int epfd;
    struct loop_io sigio;
    sigset_t sigmask;
    loop_signal_cb on_signal;
    void *sig_arg;
    struct loop_timer **heap;   /* min-heap on due_ns */
    size_t nheap, capheap;
    struct epoll_event evs[LOOP_NEVENTS];
    int nevs, cur_ev;           /* the batch being dispatched */
    int64_t now_ns, now_wall_ms;
    bool stopping;
    bool no_pwait2;             /* epoll_pwait2 not in this kernel */
    int64_t slack_ns;           /* timers may fire this much late */
    loop_timer_cb wake_hook;    /* first thing after every wake-up */
    void *wake_arg;
    uint64_t wakeups;
};

int64_t
loop_clock_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
loop_clock_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
loop_read_clock(struct loop *lp)
{
    lp->now_ns = loop_clock_mono_ns();
    lp->now_wall_ms = loop_clock_wall_ms();
}

int64_t
loop_now_ns(const struct loop *lp)
{
    return lp->now_ns;
}

int64_t
loop_now_wall_ms(const struct loop *lp)
{
    return lp->now_wall_ms;
}

static void
loop_signal_read(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct signalfd_siginfo si;

    (void)arg;
    (void)events;
    for (;;) {
        ssize_t n = read(lp->sigio.fd, &si, sizeof si);
        if (n != (ssize_t)sizeof si) {
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                log_warn("loop: signalfd read");
            return;
        }
        if (lp->on_signal != NULL)
            lp->on_signal(lp, lp->sig_arg, (int)si.ssi_signo, now_ns);
    }
}

struct loop *
loop_new(loop_signal_cb on_signal, void *arg)
{
    struct loop *lp = xcalloc(1, sizeof *lp);
    int sfd;

    lp->on_signal = on_signal;
    lp->sig_arg = arg;
    lp->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lp->epfd < 0) {
        int e = errno;
        free(lp);
        errno = e;
        return NULL;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&lp->sigmask);
    sigaddset(&lp->sigmask, SIGHUP);
    sigaddset(&lp->sigmask, SIGINT);
    sigaddset(&lp->sigmask, SIGTERM);
    sigaddset(&lp->sigmask, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &lp->sigmask, NULL) < 0)
        goto fail;
    sfd = signalfd(-1, &lp->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0)
        goto fail;
    if (loop_io_add(lp, &lp->sigio, sfd, EPOLLIN, loop_signal_read, NULL) < 0) {
        int e = errno;
        close(sfd);
        errno = e;
        goto fail;
    }
    loop_read_clock(lp);
    return lp;
fail:
    {
        int e = errno;
        close(lp->epfd);
        free(lp);
        errno = e;
    }
    return NULL;
}

void
loop_free(struct loop *lp)
{
    if (lp == NULL)
        return;
    if (lp->sigio.added) {
        int fd = lp->sigio.fd;
        loop_io_del(lp, &lp->sigio);
        close(fd);
    }
    close(lp->epfd);
    free(lp->heap);
    free(lp);
}

int
loop_io_add(struct loop *lp, struct loop_io *io, int fd, uint32_t events,
            loop_io_cb cb, void *arg)
{
    struct epoll_event ev = { .events = events, .data.ptr = io };

    io->fd = fd;
    io->cb = cb;
    io->arg = arg;
    if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -1;
    io->added = true;
    return 0;
}

int
loop_io_mod(struct loop *lp, struct loop_io *io, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = io };

    return epoll_ctl(lp->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void
loop_io_del(struct loop *lp, struct loop_io *io)
{
    if (!io->added)
        return;
    /* Failure means the fd is already closed or not registered: either
     * way it will not be reported again. */
    (void)epoll_ctl(lp->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->added = false;
    for (int i = lp->cur_ev + 1; i < lp->nevs; i++)
        if (lp->evs[i].data.ptr == io)
            lp->evs[i].data.ptr = NULL;
}

/* ---- timers: binary min-heap of pointers, each knowing its index ---- */

static void
heap_swap(struct loop *lp, size_t a, size_t b)
{
    struct loop_timer *t = lp->heap[a];

    lp->heap[a] = lp->heap[b];
    lp->heap[b] = t;
    lp->heap[a]->heap_idx = a;
    lp->heap[b]->heap_idx = b;
}

static void
heap_up(struct loop *lp, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (lp->heap[p]->due_ns <= lp->heap[i]->due_ns)
            break;
        heap_swap(lp, p, i);
        i = p;
    }
}

static void
heap_down(struct loop *lp, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < lp->nheap && lp->heap[l]->due_ns < lp->heap[m]->due_ns)
            m = l;
        if (r < lp->nheap && lp->heap[r]->due_ns < lp->heap[m]->due_ns)
            m = r;
        if (m == i)
            break;
        heap_swap(lp, i, m);
        i = m;
    }
}

void
loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg)
{
    memset(t, 0, sizeof *t);
    t->cb = cb;
    t->arg = arg;
}

void
loop_timer_cancel(struct loop *lp, struct loop_timer *t)
{
    size_t i;

    if (!t->armed)
        return;
    i = t->heap_idx;
    t->armed = false;
    lp->nheap--;
    if (i != lp->nheap) {
        lp->heap[i] = lp->heap[lp->nheap];
        lp->heap[i]->heap_idx = i;
        heap_down(lp, i);
        heap_up(lp, i);
    }
}

void
loop_timer_arm(struct loop *lp, struct loop_timer *t, int64_t due_ns)
{
    loop_timer_cancel(lp, t);
    xgrow((void **)&lp->heap, &lp->capheap, lp->nheap + 1, sizeof *lp->heap);
    t->due_ns = due_ns;
    t->armed = true;
    t->heap_idx = lp->nheap;
    lp->heap[lp->nheap++] = t;
    heap_up(lp, t->heap_idx);
}

/* Nanoseconds until the first timer (0: due now, -1: none). */
static int64_t
loop_timeout_ns(const struct loop *lp)
{
    int64_t d;

    if (lp->nheap == 0)
        return -1;
    d = lp->heap[0]->due_ns + lp->slack_ns - loop_clock_mono_ns();
    if (d <= 0)
        return 0;
    return d > 3600LL * 1000000000LL ? 3600LL * 1000000000LL : d;
}

/*
 * Wait for events until the first timer.  epoll_pwait2 takes the timeout
 * in nanoseconds, so a check starts within the kernel's timer slack of
 * its due time; epoll_wait (kernels before 5.11) rounds up to the next
 * millisecond, which made starts 0.5 ms late on average.
 */
static int
loop_wait(struct loop *lp)
{
    int64_t d = loop_timeout_ns(lp);

    if (!lp->no_pwait2) {
        struct timespec ts = { d / 1000000000LL, d % 1000000000LL };
        int n = epoll_pwait2(lp->epfd, lp->evs, LOOP_NEVENTS,
                             d < 0 ? NULL : &ts, NULL);

        if (n >= 0 || errno != ENOSYS)
            return n;
        lp->no_pwait2 = true;
    }
    /* Round up: waking a little late is fine, early means a spin. */
    return epoll_wait(lp->epfd, lp->evs, LOOP_NEVENTS,
                      d < 0 ? -1 : (int)((d + 999999) / 1000000));
}

static void
loop_fire_timers(struct loop *lp)
{
    /* A timer armed for the past by a callback fires in this pass too;
     * the count bounds the pass against a callback re-arming forever. */
    for (size_t budget = lp->nheap + 1024; budget > 0 && lp->nheap > 0;
         budget--) {
        struct loop_timer *t = lp->heap[0];
        if (t->due_ns > lp->now_ns)
            break;
        loop_timer_cancel(lp, t);
        t->cb(lp, t->arg, lp->now_ns);
    }
}

int
loop_run(struct loop *lp)
{
    lp->stopping = false;
    while (!lp->stopping) {
        int n = loop_wait(lp);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        loop_read_clock(lp);
        lp->wakeups++;
        lp->nevs = n;
        if (lp->wake_hook != NULL) {
            lp->cur_ev = -1;        /* loop_io_del() from it drops events */
            lp->wake_hook(lp, lp->wake_arg, lp->now_ns);
        }
        for (lp->cur_ev = 0; lp->cur_ev < n; lp->cur_ev++) {
            struct loop_io *io = lp->evs[lp->cur_ev].data.ptr;
            if (io != NULL)
                io->cb(lp, io->arg, lp->evs[lp->cur_ev].events, lp->now_ns);
        }
        lp->nevs = 0;
        lp->cur_ev = 0;
        loop_fire_timers(lp);
    }
    return 0;
}

void
loop_set_timer_slack(struct loop *lp, int64_t slack_ns)
{
    lp->slack_ns = slack_ns > 0 ? slack_ns : 0;
}

int64_t
loop_timer_slack(const struct loop *lp)
{
    return lp->slack_ns;
}

void
loop_set_wake_hook(struct loop *lp, loop_timer_cb cb, void *arg)
{
    lp->wake_hook = cb;
    lp->wake_arg = arg;
}

uint64_t
loop_wakeups(const struct loop *lp)
{
    return lp->wakeups;
}

void
loop_stop(struct loop *lp)
{
    lp->stopping = true;
}

int
loop_unwatch_signal(struct loop *lp, int signo)
{
    if (sigdelset(&lp->sigmask, signo) < 0)
        return -1;
    if (signalfd(lp->sigio.fd, &lp->sigmask, 0) < 0)
        return -1;
    return 0;
}
