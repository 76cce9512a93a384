/*
 * alertq.c — spooled, retried alert delivery.
 *
 * Holds every undelivered alert as an item: its spool record (owned
 * strings; rec.id NULL when the spool is unavailable), the running job or
 * the retry timer.  An item is started, then spooled: the spool write
 * (fsync of file and directory) would otherwise sit between a monitor's
 * exit and its alert; a crash in the microseconds between the two loses
 * only the retry of an alert that is already running.
 */
#include "alertq.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "log.h"
#include "loop.h"
#include "spawner.h"
#include "spool.h"
#include "xalloc.h"

#define ALERTQ_TIMEOUT_MS_DEFAULT 60000
#define ALERTQ_RETRY_MS_DEFAULT 30000
#define ALERTQ_RETRY_MAX_MS_DEFAULT (30 * 60000)
#define ALERTQ_GIVEUP_MS_DEFAULT (24 * 3600000LL)

struct aq_item {
    struct alertq *q;
    struct aq_item *prev, *next;
    struct spool_record rec;
    char *label;
    struct loop_timer retry;
    struct spawn_job *job;
};

struct alertq {
    struct loop *lp;
    struct spawner *sp;
    struct spool *spool;
    bool configured;
    char *statedir;
    char *logdir;               /* LOGDIR/alert.delivery, one line per
                                 * attempt; NULL = not written */
    int64_t timeout_ms, retry_ms, retry_max_ms, giveup_ms;
    size_t output_max;
    struct aq_item *head;
    size_t n;
    bool stopping;              /* alertq_stop(): no retries */
};

static void item_start(struct aq_item *it);

static void delivery_log(struct aq_item *it, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One line per delivery attempt in LOGDIR/alert.delivery:
 * "WALL_S ID GROUP SERVICE TYPE attempt N RESULT", so the history of an
 * alert (failed, retried, delivered or given up) can be read back. */
static void
delivery_log(struct aq_item *it, const char *fmt, ...)
{
    struct alertq *q = it->q;
    va_list ap;

    if (q->logdir == NULL)
        return;
    va_start(ap, fmt);
    char *what = xvasprintf(fmt, ap);
    va_end(ap);
    /* A reason from a child's output is one line. */
    for (char *p = what; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    char *path = xasprintf("%s/alert.delivery", q->logdir);
    char *line = xasprintf("%lld %s %s %s %s attempt %u %s\n",
                           (long long)(loop_now_wall_ms(q->lp) / 1000),
                           it->rec.id ? it->rec.id : "-",
                           it->rec.group ? it->rec.group : "-",
                           it->rec.service ? it->rec.service : "-",
                           it->rec.type ? it->rec.type : "-",
                           it->rec.attempts, what);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    size_t len = strlen(line);
    if (fd < 0 || write(fd, line, len) != (ssize_t)len)
        log_warn("%s: cannot append the delivery log", path);
    if (fd >= 0 && close(fd) < 0)
        log_warn("%s: close", path);
    free(line);
    free(path);
    free(what);
}

static void
log_diag_list(const struct diag_list *dl)
{
    for (size_t i = 0; i < dl->n; i++) {
        char *s = diag_format(&dl->items[i]);
        log_warnx("%s", s);
        free(s);
    }
}

static void
item_unlink(struct aq_item *it)
{
    struct alertq *q = it->q;

    if (it->prev != NULL)
        it->prev->next = it->next;
    else
        q->head = it->next;
    if (it->next != NULL)
        it->next->prev = it->prev;
    q->n--;
}

static void
item_free(struct aq_item *it)
{
    loop_timer_cancel(it->q->lp, &it->retry);
    if (it->job != NULL)
        spawn_detach(it->job);
    spool_record_fini(&it->rec);
    free(it->label);
    free(it);
}

/* The alert is over for good: delivered or given up. */
static void
item_done(struct aq_item *it)
{
    struct alertq *q = it->q;

    if (it->rec.id != NULL && q->spool != NULL) {
        struct diag_list dl;
        diag_list_init(&dl);
        if (spool_done(q->spool, it->rec.id, &dl) < 0)
            log_diag_list(&dl);
        diag_list_fini(&dl);
    }
    item_unlink(it);
    item_free(it);
}

static void
retry_fired(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)lp;
    (void)now_ns;
    item_start(arg);
}

static void
item_done_cb(void *arg, const struct spawn_result *r, int64_t now_ns)
{
    struct aq_item *it = arg;
    struct alertq *q = it->q;
    int64_t now_wall = loop_now_wall_ms(q->lp);
    int64_t delay;
    char why[160];

    it->job = NULL;
    if (r->spawn_errno == 0 && r->exited && r->exit_code == 0) {
        it->rec.attempts++;
        log_debug("%s: delivered", it->label);
        delivery_log(it, "delivered");
        item_done(it);
        return;
    }
    if (r->lost)
        snprintf(why, sizeof why, "result lost (spawn helper died)");
    else if (r->spawn_errno != 0)
        snprintf(why, sizeof why, "could not run: %s",
                 strerror(r->spawn_errno));
    else if (r->timed_out)
        snprintf(why, sizeof why, "timed out after %lldms",
                 (long long)r->timeout_ms);
    else if (r->signaled)
        snprintf(why, sizeof why, "killed by signal %d", r->termsig);
    else {
        size_t first = strcspn(r->output, "\n");
        snprintf(why, sizeof why, "exited %d%s%.*s", r->exit_code,
                 first > 0 ? ": " : "", (int)(first > 120 ? 120 : first),
                 r->output);
    }
    it->rec.attempts++;
    if (now_wall - it->rec.first_spooled_wall_ms >= q->giveup_ms) {
        log_warnx("%s: %s; giving up after %u attempts", it->label, why,
                  it->rec.attempts);
        delivery_log(it, "failed: %s; gave up, NOT delivered", why);
        item_done(it);
        return;
    }
    delay = spool_backoff_ms(it->rec.attempts, q->retry_ms, q->retry_max_ms);
    it->rec.next_attempt_wall_ms = now_wall + delay;
    if (delay % 1000 == 0)
        log_warnx("%s: %s; retry %u in %llds", it->label, why,
                  it->rec.attempts, (long long)(delay / 1000));
    else
        log_warnx("%s: %s; retry %u in %lldms", it->label, why,
                  it->rec.attempts, (long long)delay);
    delivery_log(it, "failed: %s; retry in %lldms", why, (long long)delay);
    if (it->rec.id != NULL && q->spool != NULL) {
        struct diag_list dl;
        diag_list_init(&dl);
        if (spool_reschedule(q->spool, it->rec.id, it->rec.attempts,
                             it->rec.next_attempt_wall_ms, &dl) < 0)
            log_diag_list(&dl);
        diag_list_fini(&dl);
    }
    if (!q->stopping)
        loop_timer_arm(q->lp, &it->retry, now_ns + delay * 1000000);
}

static void
item_start(struct aq_item *it)
{
    struct alertq *q = it->q;
    char **argv = xcalloc(it->rec.argc + 1, sizeof *argv);
    char **envp = xcalloc(it->rec.envc + 1, sizeof *envp);
    struct spawn_req req;

    memcpy(argv, it->rec.argv, it->rec.argc * sizeof *argv);
    memcpy(envp, it->rec.env, it->rec.envc * sizeof *envp);
    memset(&req, 0, sizeof req);
    req.label = it->label;
    req.path = it->rec.program;
    req.argv = argv;
    req.envp = envp;
    req.has_input = true;
    req.input = it->rec.stdin_text != NULL ? it->rec.stdin_text : "";
    req.input_len = strlen(req.input);
    req.timeout_ms = q->timeout_ms;
    req.output_max = q->output_max;
    req.priority = true;
    req.done = item_done_cb;
    req.arg = it;
    it->job = spawn_submit(q->sp, &req);
    free(argv);
    free(envp);
}

static struct aq_item *
item_new(struct alertq *q)
{
    struct aq_item *it = xcalloc(1, sizeof *it);

    it->q = q;
    spool_record_init(&it->rec);
    loop_timer_init(&it->retry, retry_fired, it);
    it->next = q->head;
    if (q->head != NULL)
        q->head->prev = it;
    q->head = it;
    q->n++;
    return it;
}

static char **
strv_dup(char *const *v, size_t *n)
{
    size_t c = 0;
    char **out;

    while (v != NULL && v[c] != NULL)
        c++;
    out = xcalloc(c + 1, sizeof *out);
    for (size_t i = 0; i < c; i++)
        out[i] = xstrdup(v[i]);
    *n = c;
    return out;
}

void
alertq_send(struct alertq *q, const struct alertq_alert *a)
{
    struct aq_item *it = item_new(q);
    struct spool_record *r = &it->rec;

    it->label = xstrdup(a->label);
    r->group = xstrdup(a->group);
    r->service = xstrdup(a->service);
    r->program = xstrdup(a->program);
    r->type = xstrdup(a->type);
    r->argv = strv_dup(a->argv, &r->argc);
    r->env = strv_dup(a->envp, &r->envc);
    r->stdin_text = xstrdup(a->input != NULL ? a->input : "");
    r->first_spooled_wall_ms = loop_now_wall_ms(q->lp);
    r->next_attempt_wall_ms = r->first_spooled_wall_ms;
    item_start(it);
    if (q->spool != NULL) {
        struct diag_list dl;
        diag_list_init(&dl);
        r->id = spool_put(q->spool, r, &dl);
        if (r->id == NULL) {
            log_diag_list(&dl);
            log_warnx("%s: not spooled; a failure is retried in memory only",
                      it->label);
        }
        diag_list_fini(&dl);
    }
}

/* Alerts a previous run left in the spool: due now or at their time. */
static void
load_spool(struct alertq *q)
{
    struct spool_record *recs = NULL;
    size_t n = 0;
    struct diag_list dl;
    int64_t now_ns = loop_now_ns(q->lp), now_wall = loop_now_wall_ms(q->lp);

    diag_list_init(&dl);
    if (spool_load_all(q->spool, &recs, &n, &dl) < 0)
        log_warn("spool %s: cannot read", spool_dir(q->spool));
    log_diag_list(&dl);
    diag_list_fini(&dl);
    for (size_t i = 0; i < n; i++) {
        struct aq_item *it = item_new(q);
        int64_t wait_ms = recs[i].next_attempt_wall_ms - now_wall;
        it->rec = recs[i];
        spool_record_init(&recs[i]);
        it->label = xasprintf("%s/%s: spooled %s alert %s",
                              it->rec.group != NULL ? it->rec.group : "?",
                              it->rec.service != NULL ? it->rec.service : "?",
                              it->rec.type != NULL ? it->rec.type : "",
                              it->rec.id);
        loop_timer_arm(q->lp, &it->retry,
                       now_ns + (wait_ms > 0 ? wait_ms : 0) * 1000000);
    }
    if (n > 0)
        log_info("spool %s: %zu undelivered alert(s) from a previous run",
                 spool_dir(q->spool), n);
    spool_records_free(recs, n);
}

void
alertq_configure(struct alertq *q, const struct globals *g)
{
    q->timeout_ms = g->alert_timeout_ms > 0 ? g->alert_timeout_ms
                                            : ALERTQ_TIMEOUT_MS_DEFAULT;
    q->retry_ms = g->alert_retry_ms > 0 ? g->alert_retry_ms
                                        : ALERTQ_RETRY_MS_DEFAULT;
    q->retry_max_ms = g->alert_retry_max_ms > 0 ? g->alert_retry_max_ms
                                                : ALERTQ_RETRY_MAX_MS_DEFAULT;
    q->giveup_ms = g->alert_giveup_ms > 0 ? g->alert_giveup_ms
                                          : ALERTQ_GIVEUP_MS_DEFAULT;
    q->output_max = g->output_max_bytes;
    free(q->logdir);
    q->logdir = g->logdir != NULL ? xstrdup(g->logdir) : NULL;
    if (q->configured) {
        if (g->statedir != NULL && q->statedir != NULL &&
            strcmp(g->statedir, q->statedir) != 0)
            log_warnx("statedir %s: a new statedir takes effect at restart; "
                      "spooling in %s", g->statedir, q->statedir);
        return;
    }
    q->configured = true;
    if (g->statedir == NULL) {
        log_warnx("no statedir: alerts are not spooled");
        return;
    }
    q->statedir = xstrdup(g->statedir);
    {
        struct diag_list dl;
        diag_list_init(&dl);
        q->spool = spool_open(g->statedir, &dl);
        if (q->spool == NULL) {
            log_diag_list(&dl);
            log_warnx("statedir %s: alerts are not spooled", g->statedir);
        }
        diag_list_fini(&dl);
    }
    if (q->spool != NULL)
        load_spool(q);
}

struct alertq *
alertq_new(struct loop *lp, struct spawner *sp)
{
    struct alertq *q = xcalloc(1, sizeof *q);

    q->lp = lp;
    q->sp = sp;
    q->timeout_ms = ALERTQ_TIMEOUT_MS_DEFAULT;
    q->retry_ms = ALERTQ_RETRY_MS_DEFAULT;
    q->retry_max_ms = ALERTQ_RETRY_MAX_MS_DEFAULT;
    q->giveup_ms = ALERTQ_GIVEUP_MS_DEFAULT;
    return q;
}

void
alertq_free(struct alertq *q)
{
    if (q == NULL)
        return;
    while (q->head != NULL) {
        struct aq_item *it = q->head;
        item_unlink(it);
        item_free(it);
    }
    spool_close(q->spool);
    free(q->statedir);
    free(q->logdir);
    free(q);
}

void
alertq_stop(struct alertq *q)
{
    q->stopping = true;
    for (struct aq_item *it = q->head; it != NULL; it = it->next)
        loop_timer_cancel(q->lp, &it->retry);
}

size_t
alertq_pending(const struct alertq *q)
{
    return q->n;
}
