/*
 * svctab_int.h — what svctab.c (table, scheduling, monitor runs) and
 * svctab_alert.c (alerts, state-change lines, traps) share.  Not for
 * other modules: they use svctab.h.
 */
#ifndef MOND_SVCTAB_INT_H
#define MOND_SVCTAB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"
#include "loop.h"
#include "spawner.h"
#include "strmap.h"
#include "svctab.h"

struct alertq;
struct histlog;

struct svc_rt {
    struct svctab *s;
    const struct watch *watch;
    const struct service *svc;
    struct svc_state st;
    char *label;                /* "watch/service" */
    const char *monitor_path;   /* resolved; NULL when not found; borrowed
                                 * from svctab.progs */
    struct loop_timer due;
    int64_t run_start_ns;
    struct spawn_job *job;      /* monitor running (or queued) */
    bool ahead;                 /* job was handed over to start at
                                 * ahead_due_ns (svctab.c, "ahead") */
    bool cancelling;            /* spawn_cancel() asked for it */
    bool run_now;               /* run as soon as job is out of the way */
    int64_t ahead_due_ns;
    int64_t state_since_wall_ms;
    int64_t lateness_ns;        /* of the current run */
    size_t index;               /* position in the table */
    bool empty_warned;          /* "no hosts left" logged */
    bool reused;                /* matched during a reload */
    bool held;                  /* came due while paused: run on resume */
    int64_t last_duration_ms;   /* of the last finished run; -1 = none */
    int depstatus;              /* last dependency evaluation: 0/1, -1 */
};

/* A check handed over to start later is taken back (its state or what
 * decides whether and how it runs is changing); it is then run by the
 * timer as usual.  svctab.c. */
void svctab_unahead(struct svc_rt *rt);
void svctab_unahead_all(struct svctab *s);

struct host_ref {
    char *group, *host;
};

struct svctab {
    struct loop *lp;
    struct spawner *sp;
    struct alertq *aq;
    struct config *cfg;
    struct svc_rt **svcs;
    size_t nsvcs, capsvcs;
    bool started, stopped;
    struct histlog *hist;       /* alert history */
    struct host_ref *dis_hosts;
    size_t ndis_hosts, capdis_hosts;
    char **dis_watches;
    size_t ndis_watches, capdis_watches;
    unsigned rand_state;
    uint64_t changes;           /* svctab_changes() */
    svctab_check_hook check_hook;
    void *check_arg;
    bool paused;                /* mon's "stop" */
    int64_t paused_wall_ms;
    struct histlog *failhist;   /* mon's @last_failures */
    /* Monitor names resolved in mondir (name -> path, NULL when not
     * found), shared by every service that runs the same program;
     * rebuilt for each config. */
    struct strmap progs;
};

/* A file name from the config taken relative to logdir, as mon does. */
char *svctab_logdir_path(const struct config *cfg, const char *name);
/* dtlogfile (default downtime.log) relative to logdir; a new string. */
char *svctab_dtlog_path(const struct config *cfg);
/* The first executable match of name in a colon-separated list (a name
 * with a '/' as it is); a new string or NULL. */
char *svctab_resolve_program(const char *name, const char *dirs);
/* Alert-context dependencies now, through decide_deps_ok(). */
bool svctab_alert_deps_ok(struct svc_rt *rt, int64_t now_wall_ms);
/* PATH, the service's variables and the MON_* both children get. */
void svctab_env_base(struct spawn_vec *env, const struct svc_rt *rt);
/* Start the alerts of a decision. */
void svctab_run_actions(struct svc_rt *rt, const struct decision *d,
                        int64_t now_wall_ms);
/* A failed check or trap of rt: a line in the failure history. */
void svctab_failhist_note(struct svc_rt *rt, const char *summary,
                          int64_t now_wall_ms);
/* State-change line, downtime log on recovery, alerts. */
void svctab_after_decision(struct svc_rt *rt, const struct decision *d,
                           enum opstatus old, int64_t old_first_fail,
                           const char *old_summary, int64_t now_wall_ms);

#endif
