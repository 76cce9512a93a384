/*
 * spawn.c — posix_spawn, pidfds, bounded output, deadlines, maxprocs.
 *
 * Holds every child of mond.  A job moves QUEUED -> RUNNING ->
 * (TERMINATING after its deadline) -> done; a job whose program cannot be
 * started moves QUEUED -> FAILED and is reported from a timer due now, so
 * callers never see their callback run inside spawn_submit().
 */
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "spawn_int.h"
#include "xalloc.h"

#define SPAWN_READ_CHUNK 65536
#define SPAWN_POLL_MS 50        /* exit polling without pidfd/SIGCHLD */
#define SPAWN_DRAIN_READS 64    /* reads after exit: grandchildren may hold
                                 * the pipe open and keep writing */

static char scratch[SPAWN_READ_CHUNK];

static void
list_append(struct job_list *l, struct spawn_job *j)
{
    j->next = NULL;
    j->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->n++;
}

static void
list_prepend(struct job_list *l, struct spawn_job *j)
{
    j->prev = NULL;
    j->next = l->head;
    if (l->head != NULL)
        l->head->prev = j;
    else
        l->tail = j;
    l->head = j;
    l->n++;
}

static void
list_remove(struct job_list *l, struct spawn_job *j)
{
    if (j->prev != NULL)
        j->prev->next = j->next;
    else
        l->head = j->next;
    if (j->next != NULL)
        j->next->prev = j->prev;
    else
        l->tail = j->prev;
    j->prev = j->next = NULL;
    l->n--;
}

static struct job_list *
job_list_of(struct spawner *sp, struct spawn_job *j)
{
    switch (j->state) {
    case JOB_QUEUED:
        return &sp->queued;
    case JOB_FAILED:
        return &sp->failed;
    default:
        return &sp->running;
    }
}

/* ---- string vectors ---- */

void
spawn_vec_init(struct spawn_vec *sv)
{
    sv->v = NULL;
    sv->n = sv->cap = 0;
    xgrow((void **)&sv->v, &sv->cap, 1, sizeof *sv->v);
    sv->v[0] = NULL;
}

void
spawn_vec_fini(struct spawn_vec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

static void
spawn_vec_take(struct spawn_vec *sv, char *s)
{
    xgrow((void **)&sv->v, &sv->cap, sv->n + 2, sizeof *sv->v);
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void
spawn_vec_add(struct spawn_vec *sv, const char *s)
{
    spawn_vec_take(sv, xstrdup(s));
}

void
spawn_vec_addf(struct spawn_vec *sv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    spawn_vec_take(sv, xvasprintf(fmt, ap));
    va_end(ap);
}

void
spawn_vec_setenv(struct spawn_vec *sv, const char *name, const char *value)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < sv->n; i++) {
        if (strncmp(sv->v[i], name, len) == 0 && sv->v[i][len] == '=') {
            free(sv->v[i]);
            sv->v[i] = xasprintf("%s=%s", name, value);
            return;
        }
    }
    spawn_vec_take(sv, xasprintf("%s=%s", name, value));
}

char **
spawn_strv_copy(char *const *v)
{
    size_t n = 0;
    char **c;

    while (v != NULL && v[n] != NULL)
        n++;
    c = xcalloc(n + 1, sizeof *c);
    for (size_t i = 0; i < n; i++)
        c[i] = xstrdup(v[i]);
    return c;
}

void
spawn_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/* ---- jobs ---- */

static void job_start(struct spawner *sp, struct spawn_job *j, int64_t now_ns);
static void start_queued(struct spawner *sp, int64_t now_ns);

static void
job_free(struct spawn_job *j)
{
    free(j->label);
    free(j->path);
    spawn_strv_free(j->argv);
    spawn_strv_free(j->envp);
    free(j->input);
    free(j->out);
    free(j);
}

static void
close_fd(struct loop *lp, struct loop_io *io, int *fd)
{
    if (*fd < 0)
        return;
    loop_io_del(lp, io);
    if (close(*fd) < 0 && errno != EINTR)
        log_warn("spawn: close fd %d", *fd);
    *fd = -1;
}

static void
job_release_fds(struct spawner *sp, struct spawn_job *j)
{
    close_fd(sp->lp, &j->pid_io, &j->pidfd);
    close_fd(sp->lp, &j->out_io, &j->outfd);
    close_fd(sp->lp, &j->in_io, &j->infd);
}

/* Read what the pipe has now; at most max_reads reads.  Returns true at
 * end of file. */
static bool
job_read_output(struct spawn_job *j, int max_reads)
{
    for (int i = 0; i < max_reads; i++) {
        ssize_t n = read(j->outfd, scratch, sizeof scratch);
        if (n == 0)
            return true;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                log_warn("%s: reading output", j->label);
            return errno != EAGAIN;
        }
        j->out_total += (uint64_t)n;
        if (j->out_len < j->output_max) {
            size_t room = j->output_max - j->out_len;
            size_t take = (size_t)n < room ? (size_t)n : room;
            if (j->out == NULL)
                j->out = xmalloc(j->output_max + 1);
            memcpy(j->out + j->out_len, scratch, take);
            j->out_len += take;
        }
    }
    return false;
}

static void
job_output_ready(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct spawn_job *j = arg;

    (void)events;
    (void)now_ns;
    if (job_read_output(j, 16))
        close_fd(lp, &j->out_io, &j->outfd);
}

static void
job_input_ready(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct spawn_job *j = arg;

    (void)events;
    (void)now_ns;
    while (j->input_off < j->input_len) {
        ssize_t n = write(j->infd, j->input + j->input_off,
                          j->input_len - j->input_off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return;
            /* EPIPE: the child does not read its stdin; that is its
             * business, not an error of mond's. */
            if (errno != EPIPE)
                log_warn("%s: writing stdin", j->label);
            break;
        }
        j->input_off += (size_t)n;
    }
    close_fd(lp, &j->in_io, &j->infd);
}

static void
job_finish(struct spawner *sp, struct spawn_job *j, const siginfo_t *si,
           int64_t now_ns)
{
    struct spawn_result r;

    memset(&r, 0, sizeof r);
    r.pid = j->pid;
    r.spawn_errno = j->spawn_errno;
    r.timed_out = j->timed_out;
    r.timeout_ms = j->timeout_ms;
    if (si != NULL) {
        if (si->si_code == CLD_EXITED) {
            r.exited = true;
            r.exit_code = si->si_status;
        } else {
            r.signaled = true;
            r.termsig = si->si_status;
        }
    }
    if (j->out == NULL)
        j->out = xmalloc(1);
    j->out[j->out_len] = '\0';
    r.output = j->out;
    r.output_len = j->out_len;
    r.output_total = j->out_total;
    r.duration_ms = j->state == JOB_FAILED ? 0
                    : (now_ns - j->start_ns) / 1000000;
    r.start_ns = j->state == JOB_FAILED ? 0 : j->start_ns;
    r.end_ns = now_ns;
    if (j->out_total > j->out_len)
        log_warnx("%s: output bound %zu bytes reached, %llu bytes dropped",
                  j->label, j->output_max,
                  (unsigned long long)(j->out_total - j->out_len));

    loop_timer_cancel(sp->lp, &j->timer);
    job_release_fds(sp, j);
    list_remove(job_list_of(sp, j), j);
    if (!j->priority)
        sp->finished++;
    if (j->done != NULL)
        j->done(j->arg, &r, now_ns);
    job_free(j);
    start_queued(sp, now_ns);
}

/* Has the child exited?  If so reap it and finish the job. */
static void
job_check_exit(struct spawner *sp, struct spawn_job *j, int64_t now_ns)
{
    siginfo_t si;

    memset(&si, 0, sizeof si);
    /* A timed-out job is peeked at first (WNOWAIT): the zombie leader
     * keeps its pid, so the group id cannot be reused while we kill what
     * is left of the late group.  Others are reaped at once. */
    if (waitid(P_PID, (id_t)j->pid, &si,
               WEXITED | WNOHANG | (j->timed_out ? WNOWAIT : 0)) < 0) {
        if (errno != ECHILD) {
            log_warn("%s: waitid", j->label);
            return;
        }
        /* Reaped behind our back: the status is lost, but a readable
         * pidfd must not spin the loop.  Report a failure. */
        log_warnx("%s: pid %d was reaped elsewhere, exit status unknown",
                  j->label, (int)j->pid);
        memset(&si, 0, sizeof si);
        si.si_code = CLD_EXITED;
        si.si_status = 255;
        job_finish(sp, j, &si, now_ns);
        return;
    }
    if (si.si_pid == 0)
        return;
    if (j->timed_out) {
        if (kill(-j->pid, SIGKILL) < 0 && errno != ESRCH)
            log_warn("%s: SIGKILL to group %d", j->label, (int)j->pid);
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG) < 0 ||
            si.si_pid == 0) {
            log_warn("%s: reaping pid %d", j->label, (int)j->pid);
            return;
        }
    }
    /* Everything the child wrote before exiting is in the pipe now. */
    if (j->outfd >= 0)
        job_read_output(j, SPAWN_DRAIN_READS);
    job_finish(sp, j, &si, now_ns);
}

static void
job_pidfd_ready(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct spawn_job *j = arg;

    (void)lp;
    (void)events;
    job_check_exit(j->sp, j, now_ns);
}

static void
job_timer(struct loop *lp, void *arg, int64_t now_ns)
{
    struct spawn_job *j = arg;
    struct spawner *sp = j->sp;

    switch (j->state) {
    case JOB_FAILED:
        job_finish(sp, j, NULL, now_ns);
        return;
    case JOB_RUNNING:
        j->timed_out = true;
        j->state = JOB_TERMINATING;
        log_warnx("%s: pid %d passed its %lldms deadline, SIGTERM to group",
                  j->label, (int)j->pid, (long long)j->timeout_ms);
        if (kill(-j->pid, SIGTERM) < 0 && errno != ESRCH)
            log_warn("%s: SIGTERM to group %d", j->label, (int)j->pid);
        loop_timer_arm(lp, &j->timer, now_ns + SPAWN_GRACE_MS * 1000000LL);
        return;
    case JOB_TERMINATING:
        log_warnx("%s: pid %d still running %dms after SIGTERM, SIGKILL to "
                  "group", j->label, (int)j->pid, SPAWN_GRACE_MS);
        if (kill(-j->pid, SIGKILL) < 0 && errno != ESRCH)
            log_warn("%s: SIGKILL to group %d", j->label, (int)j->pid);
        /* Without a pidfd the exit comes through SIGCHLD; check here
         * too in case it was missed. */
        job_check_exit(sp, j, now_ns);
        return;
    case JOB_QUEUED:
        return;
    }
}

/*
 * Start the child with vfork() + execve() rather than posix_spawn():
 * glibc's posix_spawn maps a fresh stack for every child and unmaps it
 * afterwards, and on a 2-CPU VM that munmap's TLB shootdown (an IPI to
 * the other CPU, where the child ran on our mm) was half of mond's own
 * CPU per check.  vfork borrows our stack while we wait, so nothing is
 * mapped.  The child does only async-signal-safe calls: its own process
 * group, stdin/stdout/stderr, ignored signals back to default, an empty
 * mask, execve; a failure to exec is passed back in *child_errno (the
 * memory is shared until exec) and the child is reaped here, so the
 * caller sees it exactly as posix_spawn's error.
 */

/* Signals mond ignores (SIGPIPE at least): ignored dispositions survive
 * exec, so the child puts them back to default.  Found once. */
static int spawn_ignored[64];
static int spawn_nignored = -1;

static void
find_ignored_signals(void)
{
    spawn_nignored = 0;
    for (int sig = 1; sig < 64 && spawn_nignored < 64; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            spawn_ignored[spawn_nignored++] = sig;
    }
}

static __attribute__((noinline, noreturn)) void
child_exec(const char *path, char *const *argv, char *const *envp,
           int infd, int outfd, volatile int *child_errno)
{
    sigset_t none;
    int fd;

    if (setpgid(0, 0) < 0)
        goto fail;
    /* The pipes were made non-blocking for mond's ends; the child's
     * share those file descriptions' flags, so clear them here. */
    if (fcntl(outfd, F_SETFL, 0) < 0 ||
        (infd >= 0 && fcntl(infd, F_SETFL, 0) < 0))
        goto fail;
    if (infd >= 0)
        fd = infd;
    else if ((fd = open("/dev/null", O_RDONLY)) < 0)
        goto fail;
    if (fd != STDIN_FILENO && dup2(fd, STDIN_FILENO) < 0)
        goto fail;
    if (dup2(outfd, STDOUT_FILENO) < 0 || dup2(outfd, STDERR_FILENO) < 0)
        goto fail;
    for (int i = 0; i < spawn_nignored; i++)
        signal(spawn_ignored[i], SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(path, argv, envp);
fail:
    *child_errno = errno;
    _exit(127);
}

static int
job_posix_spawn(struct spawn_job *j, int inpipe[2], int outpipe[2])
{
    volatile int child_errno = 0;
    pid_t pid;

    if (spawn_nignored < 0)
        find_ignored_signals();
    pid = vfork();
    if (pid < 0)
        return errno;
    if (pid == 0)
        child_exec(j->path, j->argv, j->envp, j->has_input ? inpipe[0] : -1,
                   outpipe[1], &child_errno);
    if (child_errno != 0) {
        int err = child_errno;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return err;
    }
    j->pid = pid;
    return 0;
}

static void
job_fail(struct spawner *sp, struct spawn_job *j, int err, int64_t now_ns)
{
    list_remove(job_list_of(sp, j), j);
    j->state = JOB_FAILED;
    j->spawn_errno = err;
    j->pid = 0;
    list_append(&sp->failed, j);
    loop_timer_arm(sp->lp, &j->timer, now_ns);
}

static void
job_start(struct spawner *sp, struct spawn_job *j, int64_t now_ns)
{
    int inpipe[2] = { -1, -1 }, outpipe[2] = { -1, -1 };
    int rc;

    /* Both ends non-blocking in one call; the child makes its own end
     * blocking again (child_exec), which spares mond two fcntl calls per
     * pipe. */
    if (pipe2(outpipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
        (j->has_input && pipe2(inpipe, O_CLOEXEC | O_NONBLOCK) < 0)) {
        rc = errno;
        goto fail;
    }
    rc = job_posix_spawn(j, inpipe, outpipe);
    if (rc != 0)
        goto fail;
    close(outpipe[1]);
    if (inpipe[0] >= 0)
        close(inpipe[0]);
    j->outfd = outpipe[0];
    j->infd = inpipe[1];
    j->start_ns = now_ns;
    list_remove(&sp->queued, j);
    j->state = JOB_RUNNING;
    list_append(&sp->running, j);
    log_debug("%s: started pid %d", j->label, (int)j->pid);
    if (j->started != NULL)
        j->started(j->arg, j->pid);

    if (loop_io_add(sp->lp, &j->out_io, j->outfd, EPOLLIN, job_output_ready,
                    j) < 0)
        log_warn("%s: watching output", j->label);
    if (j->infd >= 0) {
        if (j->input_len == 0 ||
            loop_io_add(sp->lp, &j->in_io, j->infd, EPOLLOUT,
                        job_input_ready, j) < 0)
            close_fd(sp->lp, &j->in_io, &j->infd);
    }
    j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
    if (j->pidfd < 0) {
        /* Old kernel: SIGCHLD (spawner_sigchld) reports the exit.  If
         * pidfds work but this one failed (out of fds), SIGCHLD is not
         * watched: poll for the exit instead. */
        log_debug("%s: pidfd_open: %s", j->label, strerror(errno));
        if (sp->pidfds && !sp->poll_timer.armed)
            loop_timer_arm(sp->lp, &sp->poll_timer,
                           now_ns + SPAWN_POLL_MS * 1000000LL);
    } else if (loop_io_add(sp->lp, &j->pid_io, j->pidfd, EPOLLIN,
                           job_pidfd_ready, j) < 0) {
        log_warn("%s: watching pidfd", j->label);
        close(j->pidfd);
        j->pidfd = -1;
    }
    if (j->timeout_ms > 0)
        loop_timer_arm(sp->lp, &j->timer, now_ns + j->timeout_ms * 1000000);
    return;

fail:
    for (int i = 0; i < 2; i++) {
        if (inpipe[i] >= 0)
            close(inpipe[i]);
        if (outpipe[i] >= 0)
            close(outpipe[i]);
    }
    job_fail(sp, j, rc, now_ns);
}

/*
 * The overload guard.  Starting more children than the CPUs can run does
 * not make more checks happen: every runnable child gets a fair slice,
 * so all of them finish late, pass their deadlines together and are
 * killed, and the work is lost (a 2-CPU machine asked for twice its
 * spawn rate did 60-80 % of it that way).  So an ordinary job is held
 * in the queue while both
 *   - mond already has at least ncpu "fresh" children (started in the
 *     last SPAWN_FRESH_MS and not finished: children that are still
 *     competing for CPU rather than waiting on a network), and
 *   - the machine's runnable tasks (/proc/loadavg) exceed 2 x ncpu,
 * and is retried when a child finishes or SPAWN_HOLD_RETRY_MS later.
 * Children that wait on the network age out of "fresh" quickly, and
 * other programs' load can never hold mond below ncpu fresh children,
 * so monitoring keeps going on a busy machine.  Priority jobs (alerts)
 * are never held.  Decision in spawn_guard_holds(), a pure function.
 *
 * While a backlog persists, capctl (capctl.h) measures whether fewer
 * fresh children at once complete more checks per second (on some VMs
 * two children on two CPUs each take over twice as long as one alone)
 * and, if so, lowers the level: below ncpu it is a strict limit on fresh
 * children (spawn_cap_holds), retried when one exits or ages out.
 */
#define SPAWN_FRESH_MS 25
#define SPAWN_HOLD_RETRY_MS 1

bool
spawn_guard_holds(int ncpu, size_t fresh, long runnable)
{
    if (ncpu < 1)
        ncpu = 1;
    if (fresh < (size_t)ncpu)
        return false;
    return runnable > 2L * ncpu;
}

bool
spawn_cap_holds(int level, int ncpu, size_t fresh, long runnable)
{
    if (ncpu < 1)
        ncpu = 1;
    if (level >= ncpu)
        return spawn_guard_holds(ncpu, fresh, runnable);
    return fresh >= (size_t)(level < 1 ? 1 : level);
}

/* Runnable tasks on the machine now (4th field of /proc/loadavg, "R/T"),
 * or -1 if it cannot be read (then nothing is held). */
static long
machine_runnable(struct spawner *sp)
{
    char buf[128];
    ssize_t n;
    char *p;

    if (sp->loadavg_fd < 0)
        return -1;
    n = pread(sp->loadavg_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* "0.52 0.58 0.59 3/457 12345" */
    p = strchr(buf, '/');
    if (p == NULL)
        return -1;
    while (p > buf && p[-1] != ' ')
        p--;
    return strtol(p, NULL, 10);
}

/* Children started in the last SPAWN_FRESH_MS and still running; *oldest
 * gets the start of the oldest of them. */
static size_t
fresh_children(const struct spawner *sp, int64_t now_ns, int64_t *oldest)
{
    size_t n = 0;

    *oldest = now_ns;
    /* running is in start order: walk back from the youngest. */
    for (const struct spawn_job *j = sp->running.tail; j != NULL;
         j = j->prev) {
        if (now_ns - j->start_ns > SPAWN_FRESH_MS * 1000000LL)
            break;
        if (j->state == JOB_RUNNING) {
            n++;
            *oldest = j->start_ns;
        }
    }
    return n;
}

/* Jobs without a pidfd while SIGCHLD is not watched: look every
 * SPAWN_POLL_MS. */
static void
poll_exits(struct loop *lp, void *arg, int64_t now_ns)
{
    struct spawner *sp = arg;
    bool any = false;

    for (struct spawn_job *j = sp->running.head, *next; j != NULL; j = next) {
        next = j->next;
        if (j->pidfd >= 0)
            continue;
        job_check_exit(sp, j, now_ns);
    }
    for (struct spawn_job *j = sp->running.head; j != NULL; j = j->next)
        any = any || j->pidfd < 0;
    if (any)
        loop_timer_arm(lp, &sp->poll_timer, now_ns + SPAWN_POLL_MS * 1000000LL);
}

static void
hold_retry(struct loop *lp, void *arg, int64_t now_ns)
{
    struct spawner *sp = arg;

    (void)lp;
    sp->holding = false;
    start_queued(sp, now_ns);
}

static void
start_queued(struct spawner *sp, int64_t now_ns)
{
    int level = sp->capc.cap;

    while (sp->queued.head != NULL &&
           (sp->maxprocs <= 0 || sp->running.n < (size_t)sp->maxprocs)) {
        struct spawn_job *j = sp->queued.head;
        int64_t oldest;

        if (!j->priority && sp->running.n >= (size_t)level &&
            spawn_cap_holds(level, sp->ncpu,
                            fresh_children(sp, now_ns, &oldest),
                            level >= sp->ncpu ? machine_runnable(sp) : 0)) {
            if (!sp->holding) {
                /* Below the plain guard only an exit or a child ageing
                 * out of "fresh" can free a place. */
                int64_t at = level >= sp->ncpu
                    ? now_ns + SPAWN_HOLD_RETRY_MS * 1000000LL
                    : oldest + SPAWN_FRESH_MS * 1000000LL + 1;

                sp->holding = true;
                sp->holds++;
                loop_timer_arm(sp->lp, &sp->hold_timer, at);
            }
            break;
        }
        job_start(sp, j, now_ns);
    }
    level = capctl_update(&sp->capc, now_ns, sp->finished,
                          sp->queued.head != NULL);
    if (level != sp->last_level) {
        log_debug("spawn: at most %d children starting at once%s "
                  "(measured %d: %.0f/s, %d: %.0f/s)", level,
                  level >= sp->ncpu ? " (overload guard)" : "",
                  sp->last_level, sp->capc.rate[sp->last_level],
                  level, sp->capc.rate[level]);
        sp->last_level = level;
    }
}

struct spawn_job *
spawn_submit(struct spawner *sp, const struct spawn_req *req)
{
    struct spawn_job *j;

    if (sp->rm != NULL)
        return spawn_remote_submit(sp, req);
    j = xcalloc(1, sizeof *j);

    j->sp = sp;
    j->state = JOB_QUEUED;
    j->label = xstrdup(req->label != NULL ? req->label : req->path);
    j->path = xstrdup(req->path);
    j->argv = spawn_strv_copy(req->argv);
    j->envp = spawn_strv_copy(req->envp);
    j->has_input = req->has_input;
    if (req->has_input && req->input_len > 0) {
        j->input = xmalloc(req->input_len);
        memcpy(j->input, req->input, req->input_len);
        j->input_len = req->input_len;
    }
    j->timeout_ms = req->timeout_ms;
    j->output_max = req->output_max > 0 ? req->output_max
                                        : SPAWN_OUTPUT_MAX_DEFAULT;
    j->priority = req->priority;
    j->done = req->done;
    j->started = req->started;
    j->arg = req->arg;
    j->pidfd = j->outfd = j->infd = -1;
    loop_timer_init(&j->timer, job_timer, j);

    if (j->priority) {
        /* Ahead of ordinary jobs, behind earlier priority ones. */
        struct spawn_job *after = NULL;
        for (struct spawn_job *q = sp->queued.head; q != NULL && q->priority;
             q = q->next)
            after = q;
        if (after == NULL) {
            list_prepend(&sp->queued, j);
        } else {
            j->prev = after;
            j->next = after->next;
            if (after->next != NULL)
                after->next->prev = j;
            else
                sp->queued.tail = j;
            after->next = j;
            sp->queued.n++;
        }
    } else {
        list_append(&sp->queued, j);
    }
    if (sp->maxprocs > 0 && sp->running.n >= (size_t)sp->maxprocs)
        log_debug("%s: waiting, %zu children running (maxprocs %d)",
                  j->label, sp->running.n, sp->maxprocs);
    start_queued(sp, loop_now_ns(sp->lp));
    return j;
}

bool
spawner_can_start_later(const struct spawner *sp)
{
    return sp->rm != NULL;
}

bool
spawn_cancel(struct spawn_job *j)
{
    if (j == NULL || j->sp->rm == NULL)
        return false;
    return spawn_remote_cancel(j->sp, j);
}

void
spawn_detach(struct spawn_job *j)
{
    if (j == NULL)
        return;
    if (j->sp->rm != NULL) {
        spawn_remote_detach(j->sp, j);
        return;
    }
    j->done = NULL;
    j->started = NULL;
    j->arg = NULL;
    if (j->state == JOB_QUEUED) {
        list_remove(&j->sp->queued, j);
        job_free(j);
    }
}

pid_t
spawn_job_pid(const struct spawn_job *j)
{
    return j != NULL && j->state != JOB_QUEUED ? j->pid : 0;
}

static int
online_cpus(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return 1;
}

struct spawner *
spawner_new(struct loop *lp)
{
    struct spawner *sp = xcalloc(1, sizeof *sp);

    sp->lp = lp;
    sp->quiet_max_ms = SPAWN_QUIET_MAX_MS;
    /* With pidfds every exit is reported on its own; SIGCHLD would only
     * wake the loop once more per child. */
    {
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);

        if (fd >= 0) {
            (void)close(fd);
            sp->pidfds = true;
            if (loop_unwatch_signal(lp, SIGCHLD) < 0)
                log_warn("spawn: SIGCHLD off the signalfd");
        }
    }
    sp->ncpu = online_cpus();
    capctl_init(&sp->capc, sp->ncpu);
    sp->last_level = sp->capc.cap;
    sp->loadavg_fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    loop_timer_init(&sp->hold_timer, hold_retry, sp);
    loop_timer_init(&sp->poll_timer, poll_exits, sp);
    return sp;
}

uint64_t
spawner_holds(const struct spawner *sp)
{
    return sp->holds;
}

struct spawner *
spawner_new_helper(struct loop *lp)
{
    struct spawner *sp = spawner_new(lp);
    const char *no = getenv("MOND_NO_SPAWN_HELPER");

    if (no != NULL && no[0] != '\0' && strcmp(no, "0") != 0) {
        log_info("MOND_NO_SPAWN_HELPER set: mond forks its children itself");
        return sp;
    }
    if (spawn_remote_start(sp) < 0)
        log_warnx("spawn helper could not be started; mond forks its "
                  "children itself");
    return sp;
}

void
spawner_set_quiet_max_ms(struct spawner *sp, int ms)
{
    sp->quiet_max_ms = ms > 0 ? ms : SPAWN_QUIET_MAX_MS;
}

void
spawner_set_maxprocs(struct spawner *sp, int maxprocs)
{
    sp->maxprocs = maxprocs;
    if (sp->rm != NULL) {
        spawn_remote_set_maxprocs(sp, maxprocs);
        return;
    }
    start_queued(sp, loop_now_ns(sp->lp));
}

size_t
spawner_running(const struct spawner *sp)
{
    if (sp->rm != NULL)
        return spawn_remote_running(sp);
    return sp->running.n;
}

size_t
spawner_queued(const struct spawner *sp)
{
    if (sp->rm != NULL)
        return spawn_remote_queued(sp);
    return sp->queued.n;
}

void
spawner_sigchld(struct spawner *sp)
{
    struct spawn_job *j = sp->running.head;
    int64_t now = loop_now_ns(sp->lp);

    if (sp->rm != NULL) {
        spawn_remote_sigchld(sp);
        return;
    }
    while (j != NULL) {
        struct spawn_job *next = j->next;
        if (j->pidfd < 0)
            job_check_exit(sp, j, now);
        j = next;
    }
}

void
spawner_signal_all(struct spawner *sp, int sig)
{
    if (sp->rm != NULL) {
        spawn_remote_signal_all(sp, sig);
        return;
    }
    for (struct spawn_job *j = sp->running.head; j != NULL; j = j->next)
        if (kill(-j->pid, sig) < 0 && errno != ESRCH)
            log_warn("%s: signal %d to group %d", j->label, sig, (int)j->pid);
}

static void
drop_list(struct spawner *sp, struct job_list *l)
{
    while (l->head != NULL) {
        struct spawn_job *j = l->head;
        loop_timer_cancel(sp->lp, &j->timer);
        job_release_fds(sp, j);
        list_remove(l, j);
        job_free(j);
    }
}

void
spawner_free(struct spawner *sp)
{
    if (sp == NULL)
        return;
    if (sp->rm != NULL)
        spawn_remote_free(sp);
    spawner_signal_all(sp, SIGKILL);
    for (struct spawn_job *j = sp->running.head; j != NULL; j = j->next) {
        siginfo_t si;
        /* Reap what we just killed so no zombie outlives us in tests. */
        (void)waitid(P_PID, (id_t)j->pid, &si, WEXITED);
    }
    drop_list(sp, &sp->queued);
    drop_list(sp, &sp->running);
    drop_list(sp, &sp->failed);
    loop_timer_cancel(sp->lp, &sp->hold_timer);
    loop_timer_cancel(sp->lp, &sp->poll_timer);
    if (sp->loadavg_fd >= 0)
        (void)close(sp->loadavg_fd);
    free(sp);
}
