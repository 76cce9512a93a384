/*
 * loop.h — mond's one event loop: one epoll fd, a timer min-heap on
 * CLOCK_MONOTONIC, a signalfd, and fd callbacks.
 *
 * Every module that owns an fd (child pipes and pidfds, servers, HTTP)
 * registers a struct loop_io; every deadline is a struct loop_timer.
 * Both are owned by the caller (embedded in its own structs) and must
 * stay registered/armed only while they are alive.  The clock is read
 * once per wakeup; callbacks get that reading as now_ns (monotonic) and
 * may ask loop_now_wall_ms() for the wall clock of the same instant.
 */
#ifndef MOND_LOOP_H
#define MOND_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

typedef void (*loop_io_cb)(struct loop *lp, void *arg, uint32_t events,
                           int64_t now_ns);
typedef void (*loop_timer_cb)(struct loop *lp, void *arg, int64_t now_ns);
typedef void (*loop_signal_cb)(struct loop *lp, void *arg, int signo,
                               int64_t now_ns);

/* An fd watched for events (EPOLLIN, EPOLLOUT, ...).  Owned by the caller. */
struct loop_io {
    int fd;
    loop_io_cb cb;
    void *arg;
    bool added;
};

/* A one-shot timer.  Owned by the caller; zero it (or loop_timer_init)
 * before first use. */
struct loop_timer {
    int64_t due_ns;             /* CLOCK_MONOTONIC */
    size_t heap_idx;            /* position in the heap while armed */
    bool armed;
    loop_timer_cb cb;
    void *arg;
};

/* Monotonic and wall clocks, read now (not cached). */
int64_t loop_clock_mono_ns(void);
int64_t loop_clock_wall_ms(void);

/* A new loop owning an epoll fd and a signalfd for SIGHUP, SIGINT,
 * SIGTERM and SIGCHLD (blocked in the calling thread so only the signalfd
 * sees them; SIGPIPE is ignored).  NULL with errno on failure. */
struct loop *loop_new(loop_signal_cb on_signal, void *arg);
void loop_free(struct loop *lp);

/* The readings of the current wakeup. */
int64_t loop_now_ns(const struct loop *lp);
int64_t loop_now_wall_ms(const struct loop *lp);

/* Watch io->fd for events.  Returns 0 or -1 with errno (epoll_ctl). */
int loop_io_add(struct loop *lp, struct loop_io *io, int fd, uint32_t events,
                loop_io_cb cb, void *arg);
int loop_io_mod(struct loop *lp, struct loop_io *io, uint32_t events);
/* Stop watching (the fd is not closed).  Events of this wakeup not yet
 * delivered to io are dropped, so io may be freed right after. */
void loop_io_del(struct loop *lp, struct loop_io *io);

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg);
/* Arm (or re-arm) t to fire at due_ns (monotonic). */
void loop_timer_arm(struct loop *lp, struct loop_timer *t, int64_t due_ns);
void loop_timer_cancel(struct loop *lp, struct loop_timer *t);

/* Let timers fire up to slack_ns late (0, the default: on time), so
 * that timers close together fire in one wake-up.  Every timer due by
 * the time the loop wakes fires in that pass. */
void loop_set_timer_slack(struct loop *lp, int64_t slack_ns);
int64_t loop_timer_slack(const struct loop *lp);

/* Call cb first thing in every wake-up, after the clocks are read and
 * before any fd event or timer of that pass (one hook; NULL removes it).
 * For work that waits for the loop to be awake anyway: the spawn
 * helper's quiet channel (spawn_remote.c) is read here. */
void loop_set_wake_hook(struct loop *lp, loop_timer_cb cb, void *arg);
/* Times the loop has woken up (returned from epoll) so far. */
uint64_t loop_wakeups(const struct loop *lp);

/* Run until loop_stop(); returns 0, or -1 with errno if epoll fails. */
int loop_run(struct loop *lp);
void loop_stop(struct loop *lp);

/* Stop reporting signo (one of those loop_new watches) to on_signal; it
 * stays blocked, so it is simply left pending.  For SIGCHLD once every
 * child has a pidfd: no wake-up per exit.  0 or -1 (errno). */
int loop_unwatch_signal(struct loop *lp, int signo);

#endif
