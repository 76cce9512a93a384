/*
 * spawn_remote.c — the spawner API served by a spawn helper process.
 *
 * Creating a process costs its parent far more than anything else mond
 * does per check (copy_process, the fd table copy, a kernel stack to
 * clear; on a 2-CPU VM 150-300 us), and while a vfork child has not yet
 * exec'ed the parent's loop stands still.  So, like Nagios 4's core
 * workers, mond forks one small helper at start-up and lets it do the
 * forking: mond sends START frames over a socketpair, the helper runs
 * spawn.c's ordinary in-process spawner (pidfds, bounded output,
 * deadlines, maxprocs, the overload guard) in its own loop and answers
 * STARTED (pid) and DONE (status and output).  The helper has a handful
 * of fds, so its forks are cheap, and it runs on the other CPU while
 * mond schedules.
 *
 * Frames, host byte order (both ends are the same binary):
 *   u32 length of what follows, u8 type, payload.
 *   mond -> helper: START (now, or at a start time: the helper keeps
 *   the timer), SIGNAL (all children), MAXPROCS, CANCEL (a job not
 *   started yet), PING; helper -> mond: STARTED, DONE, CANCELLED, PONG,
 *   NUDGE (read the quiet socket).
 * Jobs are named by a 64-bit id: slot in mond's table | generation << 32.
 *
 * Two sockets.  What mond must act on at once (a failure, a timeout, an
 * alert's end, a cancelled job, PONG) comes on the main one, which
 * mond's loop watches.  What can wait (STARTED, and the DONE of a quiet
 * job that passed: spawn_req.quiet) comes on the quiet one, which
 * mond's loop does not watch: mond reads it first thing whenever it is
 * awake anyway (loop_set_wake_hook), and a timer makes sure it is read
 * at most SPAWN_QUIET_MAX_MS after the last read while jobs are out.  A
 * busy mond wakes for its timers and finds the results waiting, so a
 * check costs it one wake-up instead of two.  Order: the helper sends
 * what is pending on the quiet socket before anything on the main one,
 * and mond reads the quiet socket after reading the main one and before
 * handling it, so a job's STARTED is always seen before its DONE.  If
 * the quiet socket is full, urgent frames queue behind the quiet ones
 * and an empty NUDGE on the main socket wakes mond to read them.
 *
 * mond pings the helper every HELPER_PING_MS; one that has not answered
 * within HELPER_PONG_DEADLINE_MS (stopped, stuck) is killed and handled
 * as dead, so a hung helper cannot stop every check in silence.
 *
 * If the helper dies (EOF on the socket), the process groups of the jobs
 * it had are killed, a new helper is started, and those jobs are reported
 * with result.lost so callers retry; after HELPER_DEATHS_MAX deaths in
 * HELPER_DEATH_WINDOW_S mond gives up on helpers and forks itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "spawn_int.h"
#include "xalloc.h"

enum {
    MSG_START = 1, MSG_SIGNAL = 2, MSG_MAXPROCS = 3, MSG_CANCEL = 4,
    MSG_PING = 5,
    MSG_STARTED = 11, MSG_DONE = 12, MSG_CANCELLED = 13, MSG_PONG = 14,
    MSG_NUDGE = 15
};

#define FRAME_MAX (512u << 20)          /* sanity bound on one frame */
#define READ_CHUNK 65536
#define BUF_KEEP (256u << 10)           /* buffers shrink back to this */
#define HELPER_DEATHS_MAX 5
#define HELPER_DEATH_WINDOW_S 60
#define HELPER_LAZY_MS 5                /* STARTED frames may wait this */
#define HELPER_BATCH_MS 10              /* and a quiet DONE under backlog */
#define HELPER_PING_MS 1000             /* mond asks "alive?" this often */
#define BACKLOG_JOBS 8                  /* more not started: a backlog */
#define BACKLOG_SLACK_MS 10             /* mond's timer slack meanwhile */
#define HELPER_PONG_DEADLINE_MS 5000    /* no answer: hung, replaced */

/* ---- byte buffers and frames ---- */

struct buf {
    char *p;
    size_t len, off, cap;       /* data is p[off..len) */
};

static void
buf_put(struct buf *b, const void *d, size_t n)
{
    xgrow((void **)&b->p, &b->cap, b->len + n, 1);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

/* An empty buffer that grew past BUF_KEEP (a burst of frames) gives its
 * memory back. */
static void
buf_shrink(struct buf *b)
{
    if (b->len == 0 && b->cap > BUF_KEEP) {
        free(b->p);
        b->p = NULL;
        b->cap = 0;
    }
}

static void
put_u8(struct buf *b, uint8_t v)
{
    buf_put(b, &v, sizeof v);
}

static void
put_u32(struct buf *b, uint32_t v)
{
    buf_put(b, &v, sizeof v);
}

static void
put_u64(struct buf *b, uint64_t v)
{
    buf_put(b, &v, sizeof v);
}

static void
put_i64(struct buf *b, int64_t v)
{
    buf_put(b, &v, sizeof v);
}

static void
put_bytes(struct buf *b, const char *s, size_t n)
{
    put_u64(b, n);
    buf_put(b, s, n);
}

static void
put_str(struct buf *b, const char *s)
{
    put_bytes(b, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static void
put_strv(struct buf *b, char *const *v)
{
    uint32_t n = 0;

    while (v != NULL && v[n] != NULL)
        n++;
    put_u32(b, n);
    for (uint32_t i = 0; i < n; i++)
        put_str(b, v[i]);
}

/* Start a frame; returns where its length goes (filled by frame_end). */
static size_t
frame_begin(struct buf *b, uint8_t type)
{
    size_t at = b->len;

    put_u32(b, 0);
    put_u8(b, type);
    return at;
}

static void
frame_end(struct buf *b, size_t at)
{
    uint32_t n = (uint32_t)(b->len - at - sizeof(uint32_t));

    memcpy(b->p + at, &n, sizeof n);
}

/* A reader over one frame's payload; any overrun sets bad. */
struct rd {
    const char *p;
    size_t n;
    bool bad;
};

static void
get(struct rd *r, void *d, size_t n)
{
    if (r->bad || r->n < n) {
        r->bad = true;
        memset(d, 0, n);
        return;
    }
    memcpy(d, r->p, n);
    r->p += n;
    r->n -= n;
}

static uint8_t
get_u8(struct rd *r)
{
    uint8_t v;

    get(r, &v, sizeof v);
    return v;
}

static uint32_t
get_u32(struct rd *r)
{
    uint32_t v;

    get(r, &v, sizeof v);
    return v;
}

static uint64_t
get_u64(struct rd *r)
{
    uint64_t v;

    get(r, &v, sizeof v);
    return v;
}

static int64_t
get_i64(struct rd *r)
{
    int64_t v;

    get(r, &v, sizeof v);
    return v;
}

/* Borrow n bytes of the frame (not NUL-terminated); NULL if short. */
static const char *
get_bytes(struct rd *r, size_t *len)
{
    uint64_t n = get_u64(r);
    const char *p;

    if (r->bad || n > r->n) {
        r->bad = true;
        *len = 0;
        return NULL;
    }
    p = r->p;
    r->p += n;
    r->n -= n;
    *len = (size_t)n;
    return p;
}

static char *
get_str(struct rd *r)
{
    size_t n;
    const char *p = get_bytes(r, &n);

    return p != NULL ? xstrndup(p, n) : xstrdup("");
}

static char **
get_strv(struct rd *r)
{
    uint32_t n = get_u32(r);
    char **v;

    if (r->bad || n > r->n) {       /* each string takes >= 8 bytes */
        r->bad = true;
        n = 0;
    }
    v = xcalloc((size_t)n + 1, sizeof *v);
    for (uint32_t i = 0; i < n; i++)
        v[i] = get_str(r);
    return v;
}

/* Write what b holds to fd; 0 when all is written or the rest must wait
 * for EPOLLOUT, -1 on a dead peer. */
static int
buf_flush(struct buf *b, int fd)
{
    while (b->off < b->len) {
        ssize_t n = send(fd, b->p + b->off, b->len - b->off, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return -1;
        }
        b->off += (size_t)n;
    }
    b->off = b->len = 0;
    buf_shrink(b);
    return 0;
}

/* Read what fd has into b.  1 at EOF, -1 on error, else 0.  The socket
 * is watched level-triggered, so a read that does not fill the room
 * ends the round: anything that arrives later wakes the loop again, and
 * the read that would only say EAGAIN is saved. */
static int
buf_fill(struct buf *b, int fd)
{
    for (;;) {
        ssize_t n;
        size_t room;

        if (b->off > 0 && b->off == b->len)
            b->off = b->len = 0;
        xgrow((void **)&b->p, &b->cap, b->len + READ_CHUNK, 1);
        room = b->cap - b->len;
        n = recv(fd, b->p + b->len, room, 0);
        if (n == 0)
            return 1;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? 0 : -1;
        }
        b->len += (size_t)n;
        if ((size_t)n < room)
            return 0;
    }
}

/* The next whole frame in b: its type and payload; false if none yet.
 * *bad is set for a frame longer than FRAME_MAX. */
static bool
next_frame(struct buf *b, uint8_t *type, struct rd *r, bool *bad)
{
    uint32_t n;

    *bad = false;
    if (b->len - b->off < sizeof n + 1)
        goto compact;
    memcpy(&n, b->p + b->off, sizeof n);
    if (n < 1 || n > FRAME_MAX) {
        *bad = true;
        return false;
    }
    if (b->len - b->off < sizeof n + n)
        goto compact;
    *type = (uint8_t)b->p[b->off + sizeof n];
    r->p = b->p + b->off + sizeof n + 1;
    r->n = n - 1;
    r->bad = false;
    b->off += sizeof n + n;
    return true;
compact:
    if (b->off > 0) {
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    buf_shrink(b);
    return false;
}

/* ======== the helper process ======== */

/* What a job needs to start, kept until then (only a job given a start
 * time keeps it past its START frame). */
struct hpend {
    struct loop_timer at;
    struct spawn_req req;
    char *label, *path, **argv, **envp, *input;
};

struct hjob {
    struct helper *h;
    uint64_t rid;
    struct spawn_job *job;
    struct hjob *prev, *next;
    bool priority;
    bool quiet;
    struct hpend *pend;         /* not started yet: waits for pend->at */
};

struct helper {
    struct loop *lp;
    struct spawner *sp;
    int fd, qfd;                /* main and quiet sockets */
    struct loop_io io, qio;
    bool out_watched, q_watched;
    struct buf in, out, qout;
    bool q_urgent;              /* qout holds urgent frames (main was
                                 * blocked behind it): nudge mond */
    struct hjob *jobs;
    struct loop_timer lazy;     /* flushes quiet frames left waiting */
};

static void
helper_mainflush(struct helper *h)
{
    if (buf_flush(&h->out, h->fd) < 0) {
        loop_stop(h->lp);               /* mond is gone */
        return;
    }
    if ((h->out.len > 0) != h->out_watched) {
        h->out_watched = h->out.len > 0;
        (void)loop_io_mod(h->lp, &h->io,
                          EPOLLIN | (h->out_watched ? EPOLLOUT : 0));
    }
}

/* Send what waits on the quiet socket.  If urgent frames were among
 * what went, mond is told on the main socket. */
static void
helper_qflush(struct helper *h)
{
    size_t before = h->qout.len - h->qout.off, after;

    if (before == 0)
        return;
    if (buf_flush(&h->qout, h->qfd) < 0) {
        loop_stop(h->lp);
        return;
    }
    after = h->qout.len - h->qout.off;
    if (after < before && h->q_urgent) {
        size_t at = frame_begin(&h->out, MSG_NUDGE);

        frame_end(&h->out, at);
        helper_mainflush(h);
    }
    if (after == 0) {
        h->q_urgent = false;
        loop_timer_cancel(h->lp, &h->lazy);
    }
    if ((after > 0) != h->q_watched) {
        h->q_watched = after > 0;
        (void)loop_io_mod(h->lp, &h->qio, h->q_watched ? EPOLLOUT : 0);
    }
}

/* Everything, quiet frames first. */
static void
helper_flush(struct helper *h)
{
    loop_timer_cancel(h->lp, &h->lazy);
    helper_qflush(h);
    helper_mainflush(h);
}

/* Where an urgent frame about a job goes: the main socket, unless quiet
 * frames (its STARTED among them) cannot all be sent first. */
static struct buf *
helper_urgent_buf(struct helper *h)
{
    helper_qflush(h);
    if (h->qout.len > h->qout.off) {
        h->q_urgent = true;
        return &h->qout;
    }
    return &h->out;
}

static void
hjob_drop_pend(struct hjob *hj)
{
    struct hpend *p = hj->pend;

    if (p == NULL)
        return;
    loop_timer_cancel(hj->h->lp, &p->at);
    free(p->label);
    free(p->path);
    spawn_strv_free(p->argv);
    spawn_strv_free(p->envp);
    free(p->input);
    free(p);
    hj->pend = NULL;
}

static void
hjob_unlink(struct hjob *hj)
{
    struct helper *h = hj->h;

    hjob_drop_pend(hj);
    if (hj->prev != NULL)
        hj->prev->next = hj->next;
    else
        h->jobs = hj->next;
    if (hj->next != NULL)
        hj->next->prev = hj->prev;
    free(hj);
}

static void
helper_started(void *arg, pid_t pid)
{
    struct hjob *hj = arg;
    struct helper *h = hj->h;
    size_t at = frame_begin(&h->qout, MSG_STARTED);

    put_u64(&h->qout, hj->rid);
    put_i64(&h->qout, pid);
    put_u64(&h->qout, spawner_holds(h->sp));
    frame_end(&h->qout, at);
    /* On the quiet socket, and not even sent at once: most checks end
     * within milliseconds, and their DONE carries this frame along,
     * which spares a send per check.  A child still running
     * HELPER_LAZY_MS later is reported then. */
    if (!h->lazy.armed)
        loop_timer_arm(h->lp, &h->lazy,
                       loop_now_ns(h->lp) + HELPER_LAZY_MS * 1000000LL);
}

static void
helper_lazy_flush(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)lp;
    (void)now_ns;
    helper_flush(arg);
}

static void
helper_done(void *arg, const struct spawn_result *r, int64_t now_ns)
{
    struct hjob *hj = arg;
    struct helper *h = hj->h;
    /* A quiet job that passed can wait for mond; a failure, a timeout,
     * an alert's end cannot: alerts hang on them. */
    bool quiet = hj->quiet && !hj->priority && r->exited &&
                 r->exit_code == 0 && !r->timed_out;
    struct buf *b = quiet ? &h->qout : helper_urgent_buf(h);
    size_t at = frame_begin(b, MSG_DONE);

    put_u64(b, hj->rid);
    put_i64(b, r->pid);
    put_i64(b, r->spawn_errno);
    put_u8(b, r->exited);
    put_i64(b, r->exit_code);
    put_u8(b, r->signaled);
    put_i64(b, r->termsig);
    put_u8(b, r->timed_out);
    put_i64(b, r->timeout_ms);
    put_u64(b, r->output_total);
    put_i64(b, r->duration_ms);
    put_i64(b, r->start_ns);
    put_i64(b, now_ns);
    put_u64(b, spawner_holds(h->sp));
    put_bytes(b, r->output, r->output_len);
    frame_end(b, at);
    hjob_unlink(hj);
    /*
     * While checks wait in the queue, a quiet result goes with the next
     * ones, at most HELPER_BATCH_MS later: one send for several.
     */
    if (quiet && spawner_queued(h->sp) > 0) {
        int64_t due = now_ns + HELPER_BATCH_MS * 1000000LL;

        if (!h->lazy.armed || h->lazy.due_ns > due)
            loop_timer_arm(h->lp, &h->lazy, due);
        return;
    }
    if (quiet)
        helper_qflush(h);
    else
        helper_flush(h);
}

/* A job whose time has come (at once, or at its start_at). */
static void
hjob_submit(struct hjob *hj)
{
    struct helper *h = hj->h;
    struct hpend *p = hj->pend;

    p->req.label = p->label;
    p->req.path = p->path;
    p->req.argv = p->argv;
    p->req.envp = p->envp;
    p->req.input = p->input;
    p->req.start_at_ns = 0;
    p->req.done = helper_done;
    p->req.started = helper_started;
    p->req.arg = hj;
    hj->job = spawn_submit(h->sp, &p->req);        /* copies it all */
    hjob_drop_pend(hj);
}

static void
hjob_at_fired(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)lp;
    (void)now_ns;
    hjob_submit(arg);
}

static void
helper_start(struct helper *h, struct rd *r)
{
    struct hjob *hj = xcalloc(1, sizeof *hj);
    struct hpend *p = xcalloc(1, sizeof *p);
    const char *input;
    size_t input_len;
    int64_t start_at;

    hj->h = h;
    hj->pend = p;
    loop_timer_init(&p->at, hjob_at_fired, hj);
    hj->rid = get_u64(r);
    p->req.timeout_ms = get_i64(r);
    p->req.output_max = (size_t)get_u64(r);
    p->req.priority = get_u8(r) != 0;
    p->req.quiet = get_u8(r) != 0;
    p->req.has_input = get_u8(r) != 0;
    start_at = get_i64(r);
    p->label = get_str(r);
    p->path = get_str(r);
    p->argv = get_strv(r);
    p->envp = get_strv(r);
    input = get_bytes(r, &input_len);
    if (r->bad) {
        log_warnx("spawn helper: malformed START frame dropped");
        hjob_drop_pend(hj);
        free(hj);
        return;
    }
    p->input = xmalloc(input_len + 1);
    memcpy(p->input, input, input_len);
    p->input[input_len] = '\0';
    p->req.input_len = input_len;
    hj->priority = p->req.priority;
    hj->quiet = p->req.quiet;
    hj->next = h->jobs;
    if (h->jobs != NULL)
        h->jobs->prev = hj;
    h->jobs = hj;
    if (start_at > loop_now_ns(h->lp)) {
        /* mond's timer, kept here: the job starts without mond waking. */
        loop_timer_arm(h->lp, &p->at, start_at);
        return;
    }
    hjob_submit(hj);
}

static void
helper_cancel(struct helper *h, uint64_t rid)
{
    for (struct hjob *hj = h->jobs; hj != NULL; hj = hj->next) {
        size_t at;

        if (hj->rid != rid)
            continue;
        /* Running or failed jobs report DONE as usual. */
        if (hj->pend == NULL &&
            (hj->job == NULL || hj->job->state != JOB_QUEUED))
            return;
        if (hj->pend == NULL)
            spawn_detach(hj->job);
        /* A queued job: no STARTED of it can be waiting, any socket
         * will do. */
        at = frame_begin(&h->out, MSG_CANCELLED);
        put_u64(&h->out, rid);
        frame_end(&h->out, at);
        hjob_unlink(hj);
        helper_mainflush(h);
        return;
    }
}

static void
helper_io(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct helper *h = arg;
    uint8_t type;
    struct rd r;
    bool bad;
    int rc;

    (void)now_ns;
    if (events & EPOLLOUT)
        helper_flush(h);
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    rc = buf_fill(&h->in, h->fd);
    while (next_frame(&h->in, &type, &r, &bad)) {
        switch (type) {
        case MSG_START:
            helper_start(h, &r);
            break;
        case MSG_SIGNAL:
            spawner_signal_all(h->sp, (int)get_i64(&r));
            /* mond is stopping and counts what still runs: STARTED
             * frames left waiting go now. */
            helper_flush(h);
            break;
        case MSG_MAXPROCS:
            spawner_set_maxprocs(h->sp, (int)get_i64(&r));
            break;
        case MSG_CANCEL:
            helper_cancel(h, get_u64(&r));
            break;
        case MSG_PING: {
            size_t at = frame_begin(&h->out, MSG_PONG);

            frame_end(&h->out, at);
            helper_mainflush(h);
            break;
        }
        default:
            break;
        }
    }
    if (rc != 0 || bad)
        loop_stop(lp);                  /* mond closed its end */
}

static void
helper_qio(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct helper *h = arg;

    (void)now_ns;
    if (events & (EPOLLHUP | EPOLLERR))
        loop_stop(lp);                  /* mond closed its end */
    else if (events & EPOLLOUT)
        helper_qflush(h);
}

static void
helper_signal(struct loop *lp, void *arg, int signo, int64_t now_ns)
{
    struct helper *h = arg;

    (void)lp;
    (void)now_ns;
    /* SIGINT from a terminal or SIGTERM to the process group: mond
     * decides when children stop; the helper goes when mond's end of the
     * socket closes. */
    if (signo == SIGCHLD)
        spawner_sigchld(h->sp);
}

static __attribute__((noreturn)) void
helper_main(int fd, int qfd)
{
    struct helper h;

    memset(&h, 0, sizeof h);
    (void)prctl(PR_SET_NAME, "mond-spawn", 0, 0, 0);
    h.fd = fd;
    h.qfd = qfd;
    h.lp = loop_new(helper_signal, &h);
    if (h.lp == NULL)
        _exit(1);
    h.sp = spawner_new(h.lp);
    loop_timer_init(&h.lazy, helper_lazy_flush, &h);
    if (loop_io_add(h.lp, &h.io, fd, EPOLLIN, helper_io, &h) < 0 ||
        loop_io_add(h.lp, &h.qio, qfd, 0, helper_qio, &h) < 0)
        _exit(1);
    (void)loop_run(h.lp);
    /* mond is gone or stopping: kill and reap what is left. */
    spawner_free(h.sp);
    _exit(0);
}

/* ======== mond's side ======== */

struct spawn_remote {
    pid_t pid;
    bool reaped;
    int fd, qfd;                /* main and quiet sockets */
    struct loop_io io;
    bool out_watched;
    struct buf in, out, qin;
    struct spawn_job **slots;
    size_t nslots, slotcap;
    size_t *freeslots;
    size_t nfree, freecap;
    uint32_t gen;
    size_t nqueued, nrunning;
    size_t nahead;              /* of nqueued: start_at not reached yet */
    struct ahead_at {
        int64_t at;
        uint64_t rid;
    } *aheap;                   /* min-heap on at; stale entries skipped */
    size_t naheap, capaheap;
    int maxprocs;
    int deaths;
    int64_t first_death_ns;
    struct loop_timer ping;     /* the watchdog */
    struct loop_timer flush;    /* START frames of one loop pass, sent once */
    struct loop_timer drain;    /* the quiet socket is read by then */
    bool ping_outstanding;
    int64_t ping_sent_ns;
};

static void remote_io(struct loop *lp, void *arg, uint32_t events,
                      int64_t now_ns);
static void remote_died(struct spawner *sp, const char *why);
static void remote_send(struct spawner *sp, bool from_submit);
static bool remote_drain_frames(struct spawner *sp, int64_t now_ns);
static void remote_frame_started(struct spawner *sp, struct rd *r);
static void remote_frame_done(struct spawner *sp, struct rd *r,
                              int64_t now_ns);

/* ---- jobs to start later: a min-heap of their start times ---- */

static void
aheap_push(struct spawn_remote *rm, int64_t at, uint64_t rid)
{
    size_t i;

    xgrow((void **)&rm->aheap, &rm->capaheap, rm->naheap + 1,
          sizeof *rm->aheap);
    i = rm->naheap++;
    while (i > 0 && rm->aheap[(i - 1) / 2].at > at) {
        rm->aheap[i] = rm->aheap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    rm->aheap[i].at = at;
    rm->aheap[i].rid = rid;
}

static void
aheap_pop(struct spawn_remote *rm)
{
    struct ahead_at last = rm->aheap[--rm->naheap];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= rm->naheap)
            break;
        if (c + 1 < rm->naheap && rm->aheap[c + 1].at < rm->aheap[c].at)
            c++;
        if (rm->aheap[c].at >= last.at)
            break;
        rm->aheap[i] = rm->aheap[c];
        i = c;
    }
    if (rm->naheap > 0)
        rm->aheap[i] = last;
}

static struct spawn_job *slot_get(struct spawn_remote *rm, uint64_t rid);

static void
ahead_reached(struct spawn_remote *rm, struct spawn_job *j)
{
    if (j->ahead) {
        j->ahead = false;
        rm->nahead--;
    }
}

/* Jobs whose start time has passed count as queued from now on. */
static void
aheap_expire(struct spawn_remote *rm, int64_t now_ns)
{
    while (rm->naheap > 0 && rm->aheap[0].at <= now_ns) {
        struct spawn_job *j = slot_get(rm, rm->aheap[0].rid);

        if (j != NULL)
            ahead_reached(rm, j);
        aheap_pop(rm);
    }
}

/* Jobs sent and not started whose time has come. */
static size_t
remote_waiting(const struct spawn_remote *rm)
{
    return rm->nqueued - rm->nahead;
}

/*
 * With a backlog at the helper, a check that comes due only joins the
 * queue: waking for it to the microsecond buys nothing.  So while more
 * than BACKLOG_JOBS jobs are sent but not started, mond's timers may
 * fire BACKLOG_SLACK_MS late, and checks due close together go in one
 * wake-up (a fleet of 10,000 services due 1,000 times a second woke mond
 * 1,000 times a second).
 */
static void
remote_slack(struct spawner *sp)
{
    bool backlog = sp->rm != NULL && remote_waiting(sp->rm) > BACKLOG_JOBS;

    if (backlog != sp->slack) {
        sp->slack = backlog;
        loop_set_timer_slack(sp->lp, backlog ? BACKLOG_SLACK_MS * 1000000LL
                                             : 0);
    }
}

/* Read what the helper left on the quiet socket (every wake-up, and at
 * the latest quiet_max_ms after the previous read while jobs are out). */
static void
remote_drain(struct spawner *sp, int64_t now_ns)
{
    struct spawn_remote *rm = sp->rm;

    if (rm == NULL)
        return;
    if (remote_drain_frames(sp, now_ns)) {
        remote_died(sp, "sent a malformed frame");
        return;
    }
    remote_slack(sp);
    if (sp->rm != rm)
        return;
    /* Jobs to start later need no reading until they start. */
    if (remote_waiting(rm) + rm->nrunning > 0)
        loop_timer_arm(sp->lp, &rm->drain,
                       now_ns + (int64_t)sp->quiet_max_ms * 1000000);
    else if (rm->naheap > 0)
        loop_timer_arm(sp->lp, &rm->drain, rm->aheap[0].at +
                       (int64_t)sp->quiet_max_ms * 1000000);
    else
        loop_timer_cancel(sp->lp, &rm->drain);
}

static void
remote_wake(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)lp;
    remote_drain(arg, now_ns);
}

/* The frames waiting on the quiet socket; true if one was malformed.
 * Nothing is read while no job is out: nothing can be there. */
static bool
remote_drain_frames(struct spawner *sp, int64_t now_ns)
{
    struct spawn_remote *rm = sp->rm;
    uint8_t type;
    struct rd r;
    bool bad = false;

    aheap_expire(rm, now_ns);
    if (rm->qfd < 0 || remote_waiting(rm) + rm->nrunning == 0)
        return false;
    /* EOF or an error: the helper is going; the main socket says so. */
    (void)buf_fill(&rm->qin, rm->qfd);
    while (sp->rm == rm && next_frame(&rm->qin, &type, &r, &bad)) {
        if (type == MSG_STARTED)
            remote_frame_started(sp, &r);
        else if (type == MSG_DONE)
            remote_frame_done(sp, &r, now_ns);
        else
            bad = true;         /* nothing else belongs here */
    }
    return bad;
}

/* Armed for "now" by a submit: it fires after the timers and events of
 * this loop pass, so the checks that came due together reach the helper
 * in one send (and wake it once). */
static void
remote_flush_timer(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)lp;
    (void)now_ns;
    remote_send(arg, true);
}

/* Only for the wake-up: the wake hook has read the quiet socket. */
static void
remote_drain_timer(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)lp;
    remote_drain(arg, now_ns);
}

/* The watchdog: ping, or replace a helper that left the last one
 * unanswered for HELPER_PONG_DEADLINE_MS. */
static void
remote_ping(struct loop *lp, void *arg, int64_t now_ns)
{
    struct spawner *sp = arg;
    struct spawn_remote *rm = sp->rm;

    if (rm->ping_outstanding) {
        if (now_ns - rm->ping_sent_ns >= HELPER_PONG_DEADLINE_MS * 1000000LL) {
            log_warnx("spawn helper pid %d has not answered for %d s; "
                      "killing it", (int)rm->pid,
                      HELPER_PONG_DEADLINE_MS / 1000);
            (void)kill(rm->pid, SIGKILL);
            remote_died(sp, "hung");
            if (sp->rm == NULL)
                return;                 /* gave up on helpers */
            rm = sp->rm;
        }
    } else {
        size_t at = frame_begin(&rm->out, MSG_PING);

        frame_end(&rm->out, at);
        rm->ping_outstanding = true;
        rm->ping_sent_ns = now_ns;
        remote_send(sp, false);
    }
    loop_timer_arm(lp, &rm->ping, now_ns + HELPER_PING_MS * 1000000LL);
}

/* Fork the helper; 0 or -1 (errno). */
static int
remote_fork(struct spawner *sp, struct spawn_remote *rm)
{
    int sv[2], qv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                   sv) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                   qv) < 0) {
        int e = errno;

        (void)close(sv[0]);
        (void)close(sv[1]);
        errno = e;
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        int e = errno;

        (void)close(sv[0]);
        (void)close(sv[1]);
        (void)close(qv[0]);
        (void)close(qv[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        /* The helper keeps stdin/stdout/stderr and its sockets as fds 3
         * (main) and 4 (quiet), nothing else of mond's: its forks copy
         * a tiny fd table.  Both go above 4 first, so neither dup2
         * overwrites the other. */
        int a = fcntl(sv[1], F_DUPFD_CLOEXEC, 5);
        int b = fcntl(qv[1], F_DUPFD_CLOEXEC, 5);

        if (a < 0 || b < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0)
            _exit(1);
        if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0 ||
            fcntl(4, F_SETFD, FD_CLOEXEC) < 0)
            _exit(1);
        (void)close_range(5, ~0U, 0);
        helper_main(3, 4);
    }
    (void)close(sv[1]);
    (void)close(qv[1]);
    rm->pid = pid;
    rm->reaped = false;
    rm->ping_outstanding = false;
    rm->fd = sv[0];
    rm->qfd = qv[0];
    rm->out_watched = false;
    rm->in.off = rm->in.len = 0;
    rm->out.off = rm->out.len = 0;
    rm->qin.off = rm->qin.len = 0;
    if (loop_io_add(sp->lp, &rm->io, rm->fd, EPOLLIN, remote_io, sp) < 0) {
        int e = errno;

        (void)close(rm->fd);
        rm->fd = -1;
        (void)close(rm->qfd);
        rm->qfd = -1;
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, NULL, 0);
        errno = e;
        return -1;
    }
    if (rm->maxprocs > 0) {
        size_t at = frame_begin(&rm->out, MSG_MAXPROCS);

        put_i64(&rm->out, rm->maxprocs);
        frame_end(&rm->out, at);
    }
    log_debug("spawn helper started, pid %d", (int)pid);
    return 0;
}

int
spawn_remote_start(struct spawner *sp)
{
    struct spawn_remote *rm = xcalloc(1, sizeof *rm);

    rm->fd = rm->qfd = -1;
    if (remote_fork(sp, rm) < 0) {
        log_warn("spawn helper");
        free(rm);
        return -1;
    }
    sp->rm = rm;
    loop_timer_init(&rm->ping, remote_ping, sp);
    loop_timer_init(&rm->flush, remote_flush_timer, sp);
    loop_timer_init(&rm->drain, remote_drain_timer, sp);
    loop_set_wake_hook(sp->lp, remote_wake, sp);
    loop_timer_arm(sp->lp, &rm->ping,
                   loop_now_ns(sp->lp) + HELPER_PING_MS * 1000000LL);
    return 0;
}

pid_t
spawner_helper_pid(const struct spawner *sp)
{
    return sp->rm != NULL ? sp->rm->pid : 0;
}

/* Send what is buffered.  from_submit: called for a new frame; if the
 * socket is known to be full, leave it to EPOLLOUT (under overload the
 * helper reads slower than checks come due, and trying each time would
 * cost a system call per check for nothing). */
static void
remote_send(struct spawner *sp, bool from_submit)
{
    struct spawn_remote *rm = sp->rm;

    if (from_submit && rm->out_watched)
        return;
    if (buf_flush(&rm->out, rm->fd) < 0) {
        /* The helper is gone; the socket's HUP reaches remote_io, which
         * handles the death outside of the caller's stack. */
        rm->out.off = rm->out.len = 0;
        return;
    }
    if ((rm->out.len > 0) != rm->out_watched) {
        rm->out_watched = rm->out.len > 0;
        (void)loop_io_mod(sp->lp, &rm->io,
                          EPOLLIN | (rm->out_watched ? EPOLLOUT : 0));
    }
}

static struct spawn_job *
slot_get(struct spawn_remote *rm, uint64_t rid)
{
    size_t slot = (size_t)(rid & 0xffffffffu);

    if (slot >= rm->nslots || rm->slots[slot] == NULL ||
        rm->slots[slot]->rid != rid)
        return NULL;
    return rm->slots[slot];
}

static void
slot_put(struct spawn_remote *rm, struct spawn_job *j)
{
    size_t slot;

    if (rm->nfree > 0) {
        slot = rm->freeslots[--rm->nfree];
    } else {
        xgrow((void **)&rm->slots, &rm->slotcap, rm->nslots + 1,
              sizeof *rm->slots);
        slot = rm->nslots++;
    }
    rm->slots[slot] = j;
    j->rid = (uint64_t)++rm->gen << 32 | slot;
}

static void
slot_release(struct spawn_remote *rm, struct spawn_job *j)
{
    size_t slot = (size_t)(j->rid & 0xffffffffu);

    rm->slots[slot] = NULL;
    xgrow((void **)&rm->freeslots, &rm->freecap, rm->nfree + 1,
          sizeof *rm->freeslots);
    rm->freeslots[rm->nfree++] = slot;
    ahead_reached(rm, j);
    if (j->state == JOB_QUEUED)
        rm->nqueued--;
    else
        rm->nrunning--;
}

static void
remote_job_free(struct spawn_job *j)
{
    free(j->label);
    free(j);
}

struct spawn_job *
spawn_remote_submit(struct spawner *sp, const struct spawn_req *req)
{
    struct spawn_remote *rm = sp->rm;
    struct spawn_job *j = xcalloc(1, SPAWN_JOB_REMOTE_SIZE);
    size_t at;

    j->sp = sp;
    j->state = JOB_QUEUED;
    j->label = xstrdup(req->label != NULL ? req->label : req->path);
    j->timeout_ms = req->timeout_ms;
    j->done = req->done;
    j->started = req->started;
    j->arg = req->arg;
    slot_put(rm, j);
    rm->nqueued++;
    if (req->start_at_ns > loop_now_ns(sp->lp)) {
        j->start_at_ns = req->start_at_ns;
        j->ahead = true;
        rm->nahead++;
        aheap_push(rm, j->start_at_ns, j->rid);
    }

    at = frame_begin(&rm->out, MSG_START);
    put_u64(&rm->out, j->rid);
    put_i64(&rm->out, req->timeout_ms);
    put_u64(&rm->out, req->output_max);
    put_u8(&rm->out, req->priority);
    put_u8(&rm->out, req->quiet);
    put_u8(&rm->out, req->has_input);
    put_i64(&rm->out, j->ahead ? j->start_at_ns : 0);
    put_str(&rm->out, j->label);
    put_str(&rm->out, req->path);
    put_strv(&rm->out, req->argv);
    put_strv(&rm->out, req->envp);
    put_bytes(&rm->out, req->has_input ? req->input : "",
              req->has_input ? req->input_len : 0);
    frame_end(&rm->out, at);
    /* An alert goes at once, not after the rest of this pass's work
     * (history, spool, page); checks that come due together go in one
     * send. */
    if (req->priority)
        remote_send(sp, true);
    else if (!rm->out_watched && !rm->flush.armed)
        loop_timer_arm(sp->lp, &rm->flush, loop_now_ns(sp->lp));
    {
        int64_t due = (j->ahead ? j->start_at_ns : loop_now_ns(sp->lp)) +
                      (int64_t)sp->quiet_max_ms * 1000000;

        if (!rm->drain.armed || rm->drain.due_ns > due)
            loop_timer_arm(sp->lp, &rm->drain, due);
    }
    remote_slack(sp);
    return j;
}

void
spawn_remote_detach(struct spawner *sp, struct spawn_job *j)
{
    j->done = NULL;
    j->started = NULL;
    j->arg = NULL;
    if (j->state == JOB_QUEUED && sp->rm != NULL) {
        size_t at = frame_begin(&sp->rm->out, MSG_CANCEL);

        put_u64(&sp->rm->out, j->rid);
        frame_end(&sp->rm->out, at);
        remote_send(sp, false);
    }
}

bool
spawn_remote_cancel(struct spawner *sp, struct spawn_job *j)
{
    size_t at;

    if (j->state != JOB_QUEUED || sp->rm == NULL)
        return false;
    at = frame_begin(&sp->rm->out, MSG_CANCEL);
    put_u64(&sp->rm->out, j->rid);
    frame_end(&sp->rm->out, at);
    remote_send(sp, false);
    return true;
}

static void
remote_frame_started(struct spawner *sp, struct rd *r)
{
    uint64_t rid = get_u64(r);
    pid_t pid = (pid_t)get_i64(r);
    uint64_t holds = get_u64(r);
    struct spawn_job *j;

    if (r->bad)
        return;
    sp->holds = holds;
    j = slot_get(sp->rm, rid);
    if (j == NULL || j->state != JOB_QUEUED)
        return;
    ahead_reached(sp->rm, j);
    j->state = JOB_RUNNING;
    j->pid = pid;
    j->start_ns = loop_now_ns(sp->lp);
    sp->rm->nqueued--;
    sp->rm->nrunning++;
    if (j->started != NULL)
        j->started(j->arg, pid);
}

static void
remote_frame_done(struct spawner *sp, struct rd *r, int64_t now_ns)
{
    struct spawn_result res;
    uint64_t rid = get_u64(r);
    struct spawn_job *j;
    const char *out;
    char *copy;
    size_t outlen;

    memset(&res, 0, sizeof res);
    res.pid = (pid_t)get_i64(r);
    res.spawn_errno = (int)get_i64(r);
    res.exited = get_u8(r) != 0;
    res.exit_code = (int)get_i64(r);
    res.signaled = get_u8(r) != 0;
    res.termsig = (int)get_i64(r);
    res.timed_out = get_u8(r) != 0;
    res.timeout_ms = get_i64(r);
    res.output_total = get_u64(r);
    res.duration_ms = get_i64(r);
    res.start_ns = get_i64(r);
    res.end_ns = get_i64(r);
    sp->holds = get_u64(r);
    out = get_bytes(r, &outlen);
    if (r->bad) {
        log_warnx("spawn helper: malformed DONE frame dropped");
        return;
    }
    j = slot_get(sp->rm, rid);
    if (j == NULL)
        return;
    /* The callback wants a NUL-terminated string. */
    copy = xmalloc(outlen + 1);
    memcpy(copy, out, outlen);
    copy[outlen] = '\0';
    res.output = copy;
    res.output_len = outlen;
    slot_release(sp->rm, j);
    if (j->done != NULL)
        j->done(j->arg, &res, now_ns);
    free(copy);
    remote_job_free(j);
}

static void
remote_io(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct spawner *sp = arg;
    struct spawn_remote *rm = sp->rm;
    uint8_t type;
    struct rd r;
    bool bad;
    int rc;

    (void)lp;
    if (events & EPOLLOUT) {
        remote_send(sp, false);
        if (sp->rm != rm)
            return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    rc = buf_fill(&rm->in, rm->fd);
    /* What the helper put on the quiet socket before these frames comes
     * before them (a job's STARTED before its DONE). */
    if (remote_drain_frames(sp, now_ns)) {
        remote_died(sp, "sent a malformed frame");
        return;
    }
    /* Frames first: what the helper said before dying still counts. */
    while (sp->rm == rm && next_frame(&rm->in, &type, &r, &bad)) {
        switch (type) {
        case MSG_STARTED:
            remote_frame_started(sp, &r);
            break;
        case MSG_DONE:
            remote_frame_done(sp, &r, now_ns);
            break;
        case MSG_PONG:
            rm->ping_outstanding = false;
            break;
        case MSG_NUDGE:                 /* the quiet socket is read */
            break;
        case MSG_CANCELLED: {
            struct spawn_job *j = slot_get(rm, get_u64(&r));

            if (j != NULL) {
                struct spawn_result res;

                slot_release(rm, j);
                memset(&res, 0, sizeof res);
                res.cancelled = true;
                res.output = "";
                if (j->done != NULL)
                    j->done(j->arg, &res, now_ns);
                remote_job_free(j);
            }
            break;
        }
        default:
            break;
        }
    }
    if (sp->rm != rm)
        return;
    if (bad)
        remote_died(sp, "sent a malformed frame");
    else if (rc != 0)
        remote_died(sp, rc > 0 ? "exited" : "socket error");
}

/* Collect the helper's exit status; block only if it must be killed. */
static void
remote_reap(struct spawn_remote *rm, bool kill_it)
{
    int st;

    if (rm->reaped)
        return;
    if (waitpid(rm->pid, &st, WNOHANG) == rm->pid) {
        rm->reaped = true;
        if (WIFSIGNALED(st))
            log_warnx("spawn helper pid %d killed by signal %d",
                      (int)rm->pid, WTERMSIG(st));
        return;
    }
    if (!kill_it)
        return;
    (void)kill(rm->pid, SIGKILL);
    while (waitpid(rm->pid, &st, 0) < 0 && errno == EINTR)
        ;
    rm->reaped = true;
}

static void
remote_died(struct spawner *sp, const char *why)
{
    struct spawn_remote *rm = sp->rm;
    int64_t now = loop_now_ns(sp->lp);
    struct spawn_job **lost;
    size_t nlost = 0;
    bool give_up;

    /* Results it left on the quiet socket are results (a malformed rest
     * is dropped with the helper). */
    (void)remote_drain_frames(sp, now);
    loop_io_del(sp->lp, &rm->io);
    (void)close(rm->fd);
    rm->fd = -1;
    (void)close(rm->qfd);
    rm->qfd = -1;
    rm->qin.off = rm->qin.len = 0;
    remote_reap(rm, true);
    lost = xcalloc(rm->nslots + 1, sizeof *lost);
    for (size_t i = 0; i < rm->nslots; i++) {
        struct spawn_job *j = rm->slots[i];

        if (j == NULL)
            continue;
        /* Its children are orphans now: end their process groups. */
        if (j->pid > 0 && kill(-j->pid, SIGKILL) < 0 && errno != ESRCH)
            log_warn("%s: SIGKILL to group %d", j->label, (int)j->pid);
        slot_release(rm, j);
        lost[nlost++] = j;
    }
    rm->naheap = 0;
    log_warnx("spawn helper pid %d %s; %zu job(s) lost and retried",
              (int)rm->pid, why, nlost);

    if (rm->deaths == 0 ||
        now - rm->first_death_ns > HELPER_DEATH_WINDOW_S * 1000000000LL) {
        rm->deaths = 0;
        rm->first_death_ns = now;
    }
    give_up = ++rm->deaths >= HELPER_DEATHS_MAX;
    if (!give_up && remote_fork(sp, rm) < 0) {
        log_warn("spawn helper: restart");
        give_up = true;
    }
    if (give_up) {
        log_warnx("spawn helper died %d times in %ds; mond forks its "
                  "children itself from now on", rm->deaths,
                  HELPER_DEATH_WINDOW_S);
        sp->rm = NULL;
        remote_slack(sp);
        loop_set_wake_hook(sp->lp, NULL, NULL);
        loop_timer_cancel(sp->lp, &rm->ping);
        loop_timer_cancel(sp->lp, &rm->flush);
        loop_timer_cancel(sp->lp, &rm->drain);
        free(rm->in.p);
        free(rm->out.p);
        free(rm->qin.p);
        free(rm->aheap);
        free(rm->slots);
        free(rm->freeslots);
        free(rm);
    }

    /* Callbacks last: they may submit again (to the new helper). */
    for (size_t i = 0; i < nlost; i++) {
        struct spawn_job *j = lost[i];
        struct spawn_result res;

        memset(&res, 0, sizeof res);
        res.pid = j->pid;
        res.lost = true;
        res.output = "";
        if (j->done != NULL)
            j->done(j->arg, &res, now);
        remote_job_free(j);
    }
    free(lost);
}

void
spawn_remote_set_maxprocs(struct spawner *sp, int maxprocs)
{
    struct spawn_remote *rm = sp->rm;
    size_t at;

    rm->maxprocs = maxprocs;
    at = frame_begin(&rm->out, MSG_MAXPROCS);
    put_i64(&rm->out, maxprocs);
    frame_end(&rm->out, at);
    remote_send(sp, false);
}

size_t
spawn_remote_running(const struct spawner *sp)
{
    return sp->rm->nrunning;
}

size_t
spawn_remote_queued(const struct spawner *sp)
{
    return remote_waiting(sp->rm);
}

void
spawn_remote_sigchld(struct spawner *sp)
{
    /* mond's only child is the helper (m4 is waited for in place). */
    remote_reap(sp->rm, false);
}

void
spawn_remote_signal_all(struct spawner *sp, int sig)
{
    struct spawn_remote *rm = sp->rm;
    size_t at = frame_begin(&rm->out, MSG_SIGNAL);

    put_i64(&rm->out, sig);
    frame_end(&rm->out, at);
    remote_send(sp, false);
}

void
spawn_remote_free(struct spawner *sp)
{
    struct spawn_remote *rm = sp->rm;

    sp->rm = NULL;
    remote_slack(sp);
    loop_set_wake_hook(sp->lp, NULL, NULL);
    loop_timer_cancel(sp->lp, &rm->ping);
    loop_timer_cancel(sp->lp, &rm->flush);
    loop_timer_cancel(sp->lp, &rm->drain);
    if (rm->qfd >= 0)
        (void)close(rm->qfd);
    if (rm->fd >= 0) {
        loop_io_del(sp->lp, &rm->io);
        /* EOF tells the helper to kill and reap its children and go. */
        (void)close(rm->fd);
        if (!rm->reaped)
            while (waitpid(rm->pid, NULL, 0) < 0 && errno == EINTR)
                ;
    }
    for (size_t i = 0; i < rm->nslots; i++)
        if (rm->slots[i] != NULL)
            remote_job_free(rm->slots[i]);
    free(rm->in.p);
    free(rm->out.p);
    free(rm->qin.p);
    free(rm->aheap);
    free(rm->slots);
    free(rm->freeslots);
    free(rm);
}
