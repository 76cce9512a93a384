/*
 * spawn_int.h — what spawn.c (the spawner that forks) and spawn_remote.c
 * (the same API served by a separate spawn helper process) share.
 * Internal: nothing else includes it.
 */
#ifndef MOND_SPAWN_INT_H
#define MOND_SPAWN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capctl.h"
#include "loop.h"
#include "spawner.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_TERMINATING, JOB_FAILED };

struct spawn_job {
    /* Both spawners.  A job of the spawn helper is allocated only up to
     * SPAWN_JOB_REMOTE_SIZE (mond holds one per service whose next check
     * is handed over ahead): nothing from `prev` on is its. */
    struct spawner *sp;
    enum job_state state;
    pid_t pid;
    char *label;
    int64_t timeout_ms;
    spawn_done_cb done;
    spawn_started_cb started;
    void *arg;
    int64_t start_ns;
    uint64_t rid;                       /* id at the spawn helper (remote) */
    int64_t start_at_ns;                /* remote: to start then */
    bool ahead;                         /* remote: start_at not reached yet
                                         * (counted in rm->nahead) */

    /* The in-process spawner only. */
    struct spawn_job *prev, *next;      /* in queued or running list */
    char *path;
    char **argv, **envp;
    bool has_input;
    char *input;
    size_t input_len, input_off;
    size_t output_max;
    bool priority;
    int pidfd, outfd, infd;
    struct loop_io pid_io, out_io, in_io;
    struct loop_timer timer;            /* deadline, grace, or failure */
    bool timed_out;
    int spawn_errno;
    char *out;                          /* output_max + 1 bytes */
    size_t out_len;
    uint64_t out_total;
};

#define SPAWN_JOB_REMOTE_SIZE offsetof(struct spawn_job, prev)

struct job_list {
    struct spawn_job *head, *tail;
    size_t n;
};

struct spawner {
    struct loop *lp;
    int maxprocs;
    struct job_list queued, running, failed;
    /* Overload guard (spawn_guard_holds): CPUs, /proc/loadavg kept open,
     * the retry timer while starts are held, and how often that was. */
    int ncpu;
    int loadavg_fd;
    struct loop_timer hold_timer;
    bool holding;
    uint64_t holds;
    /* How many children may be starting at once under overload, tuned
     * by measuring (capctl.h); ordinary jobs finished, which it counts. */
    struct capctl capc;
    int last_level;
    uint64_t finished;
    struct spawn_remote *rm;    /* non-NULL: jobs run by the spawn helper */
    int quiet_max_ms;           /* SPAWN_QUIET_MAX_MS unless a test says */
    bool slack;                 /* the loop's timer slack is on (backlog) */
    bool pidfds;                /* pidfd_open works: SIGCHLD not watched */
    struct loop_timer poll_timer;       /* exits of jobs without a pidfd */
};

struct spawn_remote;

/* spawn_remote.c.  Start the helper for sp: 0, or -1 (sp stays local). */
int spawn_remote_start(struct spawner *sp);
struct spawn_job *spawn_remote_submit(struct spawner *sp,
                                      const struct spawn_req *req);
void spawn_remote_detach(struct spawner *sp, struct spawn_job *j);
bool spawn_remote_cancel(struct spawner *sp, struct spawn_job *j);
void spawn_remote_set_maxprocs(struct spawner *sp, int maxprocs);
size_t spawn_remote_running(const struct spawner *sp);
size_t spawn_remote_queued(const struct spawner *sp);
void spawn_remote_sigchld(struct spawner *sp);
void spawn_remote_signal_all(struct spawner *sp, int sig);
void spawn_remote_free(struct spawner *sp);

/* spawn.c, for the helper side. */
char **spawn_strv_copy(char *const *v);
void spawn_strv_free(char **v);

#endif
