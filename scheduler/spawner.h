/*
 * spawner.h — the process runner of scheduler/spawn.c: monitors and alerts
 * as children that are spawned, watched and bounded.  (Not named spawn.h:
 * it would shadow the system <spawn.h> on the include path.)
 *
 * A job is a copy of everything needed to start one program (path, argv,
 * environment, optional stdin bytes, deadline, output bound) plus a
 * callback.  The spawner starts it with posix_spawn: stdin /dev/null or a
 * pipe fed from memory, stdout and stderr into one pipe, its own process
 * group, an empty signal mask and default dispositions, exactly the
 * environment given.  Output is kept up to the bound; the rest is read,
 * counted and dropped.  A pidfd in the loop reports the exit.  At the
 * deadline the group gets SIGTERM, SPAWN_GRACE_MS later SIGKILL; when a
 * timed-out leader exits, what is left of its group gets SIGKILL.
 * maxprocs caps the children alive at once; excess jobs wait in FIFO
 * order (priority jobs, i.e. alerts, go first).
 *
 * spawner_new_helper() gives the same API served by a spawn helper: a
 * small process forked at start-up that does the forking, waiting and
 * output capture and talks to mond over a socket (spawn_remote.c), so
 * the cost of creating processes is not paid by mond's event loop.  If
 * the helper dies it is restarted; jobs it had are reported with
 * result.lost.
 */
#ifndef MOND_SPAWNER_H
#define MOND_SPAWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct spawner;
struct spawn_job;

#define SPAWN_GRACE_MS 2000              /* SIGTERM -> SIGKILL */
#define SPAWN_QUIET_MAX_MS 50            /* see spawn_req.quiet */
#define SPAWN_OUTPUT_MAX_DEFAULT (64 * 1024)
#define SPAWN_PATH \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct spawn_result {
    pid_t pid;                  /* 0 if it never started */
    int spawn_errno;            /* != 0: could not start (then no exit) */
    bool exited;                /* exited normally: exit_code valid */
    int exit_code;
    bool signaled;              /* killed by termsig */
    int termsig;
    bool timed_out;             /* passed its deadline and was killed */
    bool cancelled;             /* spawn_cancel() dropped it unstarted */
    bool lost;                  /* no result: the spawn helper died while
                                 * the job was with it (nothing is known
                                 * about the run; callers retry) */
    int64_t timeout_ms;
    const char *output;         /* captured stdout+stderr, NUL-terminated;
                                 * borrowed for the callback only */
    size_t output_len;
    uint64_t output_total;      /* bytes the child wrote, kept or not */
    int64_t duration_ms;
    int64_t start_ns;           /* CLOCK_MONOTONIC when it started; 0 if
                                 * it never did */
    int64_t end_ns;             /* CLOCK_MONOTONIC when the end was seen
                                 * (a quiet result reaches the callback
                                 * later, see spawn_req.quiet); 0 if lost
                                 * or cancelled */
};

/* Called once per job, from the loop, when it is over.  The job is freed
 * after the callback returns. */
typedef void (*spawn_done_cb)(void *arg, const struct spawn_result *r,
                              int64_t now_ns);
/* Called once the child runs (pid known); optional. */
typedef void (*spawn_started_cb)(void *arg, pid_t pid);

struct spawn_req {
    const char *label;          /* subject of log lines, e.g. "web/http" */
    const char *path;           /* program to execute */
    char *const *argv;          /* NULL-terminated; argv[0] as shown */
    char *const *envp;          /* NULL-terminated; the whole environment */
    bool has_input;             /* stdin is a pipe fed with input */
    const char *input;
    size_t input_len;
    int64_t timeout_ms;         /* 0 = no deadline */
    size_t output_max;          /* 0 = SPAWN_OUTPUT_MAX_DEFAULT */
    bool priority;              /* queue ahead of non-priority jobs */
    bool quiet;                 /* a plain success (exit 0 in time) is
                                 * not urgent: the spawn helper hands it
                                 * over when mond is awake anyway, at
                                 * most SPAWN_QUIET_MAX_MS later, instead
                                 * of waking mond for it */
    int64_t start_at_ns;        /* CLOCK_MONOTONIC; later than now: the
                                 * spawn helper starts it then, without
                                 * mond waking for it (only where
                                 * spawner_can_start_later(); else, and
                                 * for 0, it starts now) */
    spawn_done_cb done;         /* may be NULL */
    spawn_started_cb started;   /* may be NULL */
    void *arg;
};

struct spawner *spawner_new(struct loop *lp);
/* The same, served by a spawn helper process; falls back to
 * spawner_new()'s in-process spawner (logged) if it cannot be started. */
struct spawner *spawner_new_helper(struct loop *lp);
/* The helper's pid, or 0 when children are forked by mond itself. */
pid_t spawner_helper_pid(const struct spawner *sp);
/* Kill every child's group (SIGKILL), drop queued jobs without calling
 * back, free everything. */
void spawner_free(struct spawner *sp);
void spawner_set_maxprocs(struct spawner *sp, int maxprocs);  /* 0 = no cap */
/* How long a quiet result may wait for mond (SPAWN_QUIET_MAX_MS; <= 0
 * restores it); for tests. */
void spawner_set_quiet_max_ms(struct spawner *sp, int ms);

/* Children alive and jobs waiting. */
size_t spawner_running(const struct spawner *sp);
size_t spawner_queued(const struct spawner *sp);
/* Times the overload guard held ordinary jobs back (see spawn.c). */
uint64_t spawner_holds(const struct spawner *sp);
/* The overload guard's decision: hold an ordinary job when mond has at
 * least ncpu fresh children and more than 2 x ncpu tasks are runnable
 * on the machine (runnable < 0: unknown, never hold).  Pure. */
bool spawn_guard_holds(int ncpu, size_t fresh, long runnable);
/* With a tuned level (capctl.h): at level ncpu or above the guard above,
 * below it a strict limit of `level` fresh children. */
bool spawn_cap_holds(int level, int ncpu, size_t fresh, long runnable);

/* Queue or start a job; everything in req is copied.  Never fails: a
 * program that cannot be started is reported through done() (with
 * spawn_errno) from the loop, never from inside this call.  The handle
 * stays valid until done() returns or spawn_detach(). */
struct spawn_job *spawn_submit(struct spawner *sp, const struct spawn_req *req);

/* Whether jobs can be given a start_at_ns (a spawn helper runs them). */
bool spawner_can_start_later(const struct spawner *sp);

/* Ask for a job that has not started yet to be dropped.  true: asked;
 * done() follows, with result.cancelled if it was dropped, or the usual
 * result if it had started meanwhile.  false: it has started as far as
 * is known, or this spawner cannot (in-process); the result comes as
 * usual.  Never calls back from inside this call. */
bool spawn_cancel(struct spawn_job *job);

/* Forget the callback of a job (its owner is going away).  A running
 * child is left to finish under its deadline; a queued job is dropped. */
void spawn_detach(struct spawn_job *job);

/* The child's pid while it runs (mon's "list pids"); 0 while queued. */
pid_t spawn_job_pid(const struct spawn_job *job);

/* SIGCHLD fallback when pidfds are not available: check every child. */
void spawner_sigchld(struct spawner *sp);

/* Send sig to the process group of every running child (stop). */
void spawner_signal_all(struct spawner *sp, int sig);

/* A growing NULL-terminated string vector for argv and envp. */
struct spawn_vec {
    char **v;
    size_t n, cap;
};
void spawn_vec_init(struct spawn_vec *sv);
void spawn_vec_fini(struct spawn_vec *sv);
void spawn_vec_add(struct spawn_vec *sv, const char *s);
void spawn_vec_addf(struct spawn_vec *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Add NAME=value, replacing an earlier NAME= entry. */
void spawn_vec_setenv(struct spawn_vec *sv, const char *name,
                      const char *value);

#endif
