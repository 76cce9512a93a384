/*
 * srv_state.c — the service table's state on disk (see srv_state.h).
 *
 * "Changed" is decided by formatting the whole state and comparing it
 * with the text last written: simple and exact, and cheap next to a
 * monitor run for tables of a few thousand services.  A dirty flag set
 * by every state change would replace it if tables grow much larger.
 */
#include "srv_state.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "statefile.h"
#include "svctab.h"
#include "xalloc.h"

struct extra {
    char *group, *service;
    int64_t ack_wall_ms;
    char *trap_host;
};

struct srv_state {
    struct loop *lp;
    struct svctab *tab;
    char *path;                 /* NULL: not persisted */
    uint64_t last_hash;         /* of what is on disk (FNV-1a), and */
    size_t last_len;            /* its length; last_len 0: nothing yet.
                                 * Not the text itself: at 10,000
                                 * services that is 4 MB kept for a
                                 * comparison. */
    struct loop_timer timer;
    struct extra *ex;
    size_t nex, capex;
    bool failed_logged;
    bool touched;               /* srv_state_touch() since the last save */
    uint64_t saved_changes;     /* svctab_changes() at the last save */
    int64_t saved_ns;           /* when it was last saved (monotonic) */
};

static struct extra *
find_extra(const struct srv_state *ss, const char *g, const char *s,
           bool create)
{
    struct srv_state *mss = (struct srv_state *)ss;
    struct extra *e;

    for (size_t i = 0; i < ss->nex; i++)
        if (strcmp(ss->ex[i].group, g) == 0 &&
            strcmp(ss->ex[i].service, s) == 0)
            return &mss->ex[i];
    if (!create)
        return NULL;
    xgrow((void **)&mss->ex, &mss->capex, mss->nex + 1, sizeof(*mss->ex));
    e = &mss->ex[mss->nex++];
    memset(e, 0, sizeof(*e));
    e->group = xstrdup(g);
    e->service = xstrdup(s);
    return e;
}

int64_t
srv_state_ack_time(const struct srv_state *ss, const char *group,
                   const char *service)
{
    const struct extra *e = find_extra(ss, group, service, false);

    return e != NULL ? e->ack_wall_ms : 0;
}

void
srv_state_set_ack_time(struct srv_state *ss, const char *group,
                       const char *service, int64_t wall_ms)
{
    find_extra(ss, group, service, true)->ack_wall_ms = wall_ms;
}

const char *
srv_state_trap_host(const struct srv_state *ss, const char *group,
                    const char *service)
{
    const struct extra *e = find_extra(ss, group, service, false);

    return e != NULL && e->trap_host != NULL ? e->trap_host : "";
}

void
srv_state_set_trap_host(struct srv_state *ss, const char *group,
                        const char *service, const char *host)
{
    struct extra *e = find_extra(ss, group, service, true);

    free(e->trap_host);
    e->trap_host = xstrdup(host);
}

static void
on_timer(struct loop *lp, void *arg, int64_t now_ns)
{
    struct srv_state *ss = arg;

    if (ss->touched || svctab_changes(ss->tab) != ss->saved_changes ||
        now_ns - ss->saved_ns >= SRV_STATE_IDLE_SAVE_MS * 1000000LL)
        (void)srv_state_save(ss);
    loop_timer_arm(lp, &ss->timer, now_ns + SRV_STATE_SAVE_MS * 1000000LL);
}

struct srv_state *
srv_state_new(struct loop *lp, struct svctab *tab, const char *statedir)
{
    struct srv_state *ss = xcalloc(1, sizeof(*ss));

    ss->lp = lp;
    ss->tab = tab;
    ss->saved_ns = loop_clock_mono_ns();
    if (statedir != NULL && statedir[0] != '\0')
        ss->path = xasprintf("%s/%s", statedir, SRV_STATE_FILE);
    loop_timer_init(&ss->timer, on_timer, ss);
    if (ss->path != NULL)
        loop_timer_arm(lp, &ss->timer,
                       loop_clock_mono_ns() + SRV_STATE_SAVE_MS * 1000000LL);
    return ss;
}

void
srv_state_free(struct srv_state *ss)
{
    if (ss == NULL)
        return;
    (void)srv_state_save(ss);
    loop_timer_cancel(ss->lp, &ss->timer);
    for (size_t i = 0; i < ss->nex; i++) {
        free(ss->ex[i].group);
        free(ss->ex[i].service);
        free(ss->ex[i].trap_host);
    }
    free(ss->ex);
    free(ss->path);
    free(ss);
}

void
srv_state_touch(struct srv_state *ss)
{
    if (ss->path != NULL) {
        ss->touched = true;
        loop_timer_arm(ss->lp, &ss->timer, loop_clock_mono_ns());
    }
}

static void
collect(struct srv_state *ss, struct statefile *sf)
{
    const struct config *cfg = svctab_config(ss->tab);
    size_t n = svctab_count(ss->tab);

    for (size_t i = 0; i < n; i++) {
        const struct service *svc = svctab_service_at(ss->tab, i);

        statefile_add_service(sf, svc->watch->name, svc->name, svc,
                              svctab_state_at(ss->tab, i),
                              srv_state_ack_time(ss, svc->watch->name,
                                                 svc->name));
    }
    for (size_t g = 0; cfg != NULL && g < cfg->ngroups; g++) {
        const struct hostgroup *hg = &cfg->groups[g];

        for (size_t h = 0; h < hg->nhosts; h++)
            if (svctab_host_is_disabled(ss->tab, hg->name, hg->hosts[h]))
                statefile_add_host(sf, hg->name, hg->hosts[h]);
    }
    for (size_t w = 0; cfg != NULL && w < cfg->nwatches; w++)
        if (svctab_watch_is_disabled(ss->tab, cfg->watches[w].name))
            statefile_add_watch(sf, cfg->watches[w].name);
    for (size_t h = 0; h < svctab_history_count(ss->tab); h++)
        statefile_add_history(sf, svctab_history_at(ss->tab, h));
}

static uint64_t
text_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int
srv_state_save(struct srv_state *ss)
{
    struct statefile sf;
    struct atomicfile_err err;
    char *text;
    size_t len;
    uint64_t hash;

    if (ss->path == NULL)
        return 0;
    ss->touched = false;
    ss->saved_changes = svctab_changes(ss->tab);
    ss->saved_ns = loop_clock_mono_ns();
    statefile_init(&sf);
    collect(ss, &sf);
    text = statefile_format(&sf);
    statefile_fini(&sf);
    /* The copy of every service's strings just freed leaves the heap
     * full of holes; give whole free pages back (glibc's malloc_trim also
     * releases pages inside the heap), or a table of services that keep
     * failing (saved every 5 s) holds that memory for good. */
    (void)malloc_trim(0);
    len = strlen(text);
    hash = text_hash(text, len);
    if (ss->last_len == len && ss->last_hash == hash) {
        free(text);
        return 0;
    }
    if (atomicfile_write(ss->path, text, len, 0600, &err) != 0) {
        char buf[512];

        atomicfile_err_format(&err, ss->path, buf, sizeof(buf));
        if (!ss->failed_logged)   /* once per failing streak */
            log_warnx("state: cannot save: %s", buf);
        ss->failed_logged = true;
        free(text);
        return -1;
    }
    if (ss->failed_logged)
        log_info("state: saved to %s again", ss->path);
    ss->failed_logged = false;
    ss->last_hash = hash;
    ss->last_len = len;
    free(text);
    return 0;
}

int
srv_state_load(struct srv_state *ss)
{
    struct statefile sf;
    struct diag_list errs;
    char *moved = NULL;
    enum statefile_load_result r;
    size_t applied = 0;

    if (ss->path == NULL)
        return -1;
    statefile_init(&sf);
    diag_list_init(&errs);
    r = statefile_load(ss->path, &sf, &errs, &moved);
    if (r != STATEFILE_LOADED) {
        for (size_t i = 0; i < errs.n; i++) {
            char *m = diag_format(&errs.items[i]);

            log_warnx("state: %s", m);
            free(m);
        }
        if (r == STATEFILE_CORRUPT)
            log_warnx("state: %s is damaged; moved aside to %s, starting "
                      "fresh", ss->path, moved != NULL ? moved
                      : "(rename failed)");
        free(moved);
        statefile_fini(&sf);
        diag_list_fini(&errs);
        return -1;
    }
    for (size_t i = 0; i < sf.nsvcs; i++) {
        const struct statefile_svc *s = &sf.svcs[i];
        long idx = svctab_find(ss->tab, s->group, s->service);
        struct svc_state *st;

        if (idx < 0)
            continue;
        st = svctab_state_mut(ss->tab, (size_t)idx);
        statefile_apply(s, svctab_service_at(ss->tab, (size_t)idx), st);
        /* No upalert for a failure alerted before the restart: its
         * alert may still wait in the spool, and an upalert must not
         * overtake the alert it answers. */
        for (size_t p = 0; p < st->nperiods; p++)
            st->periods[p].down_alert_sent = false;
        if (s->ack_wall_ms != 0)
            srv_state_set_ack_time(ss, s->group, s->service, s->ack_wall_ms);
        applied++;
    }
    for (size_t i = 0; i < sf.nhosts; i++)
        (void)svctab_set_host_disabled(ss->tab, sf.hosts[i].group,
                                       sf.hosts[i].host, true);
    for (size_t i = 0; i < sf.nwatches; i++)
        (void)svctab_set_watch_disabled(ss->tab, sf.watches[i], true);
    svctab_restore_history(ss->tab, (const char *const *)sf.history,
                           sf.nhistory);
    log_info("state: loaded %s: %zu services, %zu disabled hosts, %zu "
             "disabled watches", ss->path, applied, sf.nhosts, sf.nwatches);
    statefile_fini(&sf);
    diag_list_fini(&errs);
    return 0;
}
