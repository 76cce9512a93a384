/*
 * svctab.h — the service table: when each monitor runs, what it is given,
 * and what happens when it exits.
 *
 * Holds one runtime entry per (watch, service) of the current config:
 * its struct svc_state (decide.h), its next due time, its running
 * monitor.  It acts and never decides: periods, dependencies and the
 * alert decision come from period.c, depexpr.c and decide.c; this module
 * builds argv and environment exactly as mon does, starts monitors
 * through the spawner and alerts through alertq (spooled, retried), and
 * writes mon's alert history and downtime log.
 */
#ifndef MOND_SVCTAB_H
#define MOND_SVCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"
#include "notify.h"

struct loop;
struct spawner;
struct alertq;
struct svctab;

/* The table starts monitors through sp and hands alerts to aq (both
 * borrowed; they must outlive the table). */
struct svctab *svctab_new(struct loop *lp, struct spawner *sp,
                          struct alertq *aq);
/* Stop every timer, detach running monitors (their results are
 * dropped) and free the table.  The config is not freed. */
void svctab_free(struct svctab *s);

/* Install cfg (the table borrows it until replaced; the caller keeps
 * ownership) and configure alertq from it.  The first call schedules
 * every service (now, or within randstart), reads historicfile, starts
 * dtlog and sends startup alerts.  Later calls (reload) keep the state
 * of every service whose (watch, service) survives, including a running
 * monitor; removed services' monitors finish unobserved; new services
 * are due now.  Returns 0. */
int svctab_set_config(struct svctab *s, struct config *cfg);
const struct config *svctab_config(const struct svctab *s);

/* SIGTERM: stop scheduling, detach monitors and send SIGTERM to every
 * child's process group. */
void svctab_stop(struct svctab *s);

/* Read access for status and protocol servers. */
size_t svctab_count(const struct svctab *s);
/* Counts check results a restart must not forget (failures, state
 * changes, alerts); the state file is saved soon after it moves. */
uint64_t svctab_changes(const struct svctab *s);
const struct service *svctab_service_at(const struct svctab *s, size_t i);
const struct svc_state *svctab_state_at(const struct svctab *s, size_t i);
/* Writable state of service i, for restoring a saved state right after
 * the first svctab_set_config(); NULL when out of range. */
struct svc_state *svctab_state_mut(struct svctab *s, size_t i);
/* Monotonic ns when service i is next due (0 while its monitor runs or
 * when it has no monitor). */
int64_t svctab_next_due_ns(const struct svctab *s, size_t i);
bool svctab_is_running(const struct svctab *s, size_t i);
/* Index of (watch, service), or -1. */
long svctab_find(const struct svctab *s, const char *watch,
                 const char *service);

/* Alert history, oldest first (mon's "alerttype group service time
 * program (args) summary" lines); borrowed. */
size_t svctab_history_count(const struct svctab *s);
const char *svctab_history_at(const struct svctab *s, size_t i);

/* Replace the in-memory history with saved lines (oldest first). */
void svctab_restore_history(struct svctab *s, const char *const *lines,
                            size_t n);

/* Disable or enable a host in a group, a watch, a service (runs and
 * alerts).  0, or -1 with errno ENOENT when there is no such object. */
int svctab_set_host_disabled(struct svctab *s, const char *group,
                            const char *host, bool disabled);
int svctab_set_watch_disabled(struct svctab *s, const char *watch,
                              bool disabled);
int svctab_set_service_disabled(struct svctab *s, const char *watch,
                               const char *service, bool disabled);
bool svctab_host_is_disabled(const struct svctab *s, const char *group,
                            const char *host);
bool svctab_watch_is_disabled(const struct svctab *s, const char *watch);

/* Run service i's monitor now (mon's "test monitor"), unless it runs. */
int svctab_run_now(struct svctab *s, size_t i);

/* Wall ms since service i has been in its current opstatus (start-up
 * or the last state change); 0 when i is out of range. */
int64_t svctab_state_since_wall_ms(const struct svctab *s, size_t i);

/* Acknowledge service i's failure (decide_ack; dropped on recovery).
 * 0, or -1 with errno ENOENT (no such service) or EINVAL (not failing). */
int svctab_ack(struct svctab *s, size_t i, const char *comment);
int svctab_unack(struct svctab *s, size_t i);

/* Traps (srv_trap.c owns the socket and the timers): a trap arrived
 * for service i (decide_result with is_trap: alerts get -T); its
 * traptimeout passed without one (decide_traptimeout: -O); its
 * trapduration ended (decide_trapduration_expired).  Each logs a state
 * change, writes the downtime log and starts alerts like a monitor
 * result.  0, or -1 with errno ENOENT. */
int svctab_trap(struct svctab *s, size_t i, const struct check_result *cr);
int svctab_traptimeout(struct svctab *s, size_t i);
int svctab_trapduration_end(struct svctab *s, size_t i);

/* mon's "stop" / "start": while paused no monitor starts (checks that
 * come due wait and run at resume), and the alerts of results, traps
 * and acks are dropped as mon's do_alert() drops them; state still
 * changes and clients are served.  Running monitors finish. */
void svctab_set_paused(struct svctab *s, bool paused);
/* Wall ms when the table was paused; 0 while it runs. */
int64_t svctab_paused_since_wall_ms(const struct svctab *s);

/* ackalert (kind NOTIFY_ACK) or disablealert (NOTIFY_DISABLE) lines of
 * service i as notify_decide() picks them; text is their stdin and
 * summary (the ack comment, the user who disabled).  0, or -1 with
 * errno ENOENT. */
int svctab_notify(struct svctab *s, size_t i, enum notify_kind kind,
                  const char *text);
/* mon's "test alert": every line of kind in period p of service i, with
 * MON_RETVAL=retval (NULL: unset), "test\ntest detail\n" on stdin; not
 * counted, not in the alert history.  0, or -1 with errno ENOENT. */
int svctab_test_alert(struct svctab *s, size_t i, enum notify_kind kind,
                      size_t p, const char *retval);

/* mon's failure history ("group service time summary" per failed check
 * or trap, oldest first; borrowed), keeping maxkeep + 1 lines as mon. */
void svctab_set_maxkeep(struct svctab *s, size_t maxkeep);
size_t svctab_failhist_count(const struct svctab *s);
const char *svctab_failhist_at(const struct svctab *s, size_t i);

/* pid of service i's running monitor; 0 when none runs. */
long svctab_monitor_pid(const struct svctab *s, size_t i);
/* Wall ms the last finished run of service i took; -1 before one. */
int64_t svctab_monitor_duration_ms(const struct svctab *s, size_t i);
/* mon's _depend_status: the last evaluation of the service's
 * dependencies (1 hold, 0 fail); -1 when it has none or none ran. */
int svctab_depstatus(const struct svctab *s, size_t i);

/* One finished monitor run, for observers (status page, metrics). */
struct perf_set;
struct svctab_check {
    size_t index;               /* svctab_service_at(index) */
    int64_t wall_ms;            /* when it finished */
    int64_t duration_ms;
    int exit_status;            /* as decided on: 127 could not run, ... */
    bool ok;                    /* exit 0 and not timed out */
    int64_t lateness_ns;        /* started this long after it was due */
    const struct perf_set *perf;    /* its perfdata; borrowed for the call */
};
typedef void (*svctab_check_hook)(void *arg, const struct svctab_check *ck);
/* Call hook after every monitor run (NULL: none).  One hook. */
void svctab_set_check_hook(struct svctab *s, svctab_check_hook hook,
                           void *arg);

#endif
