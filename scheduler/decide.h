/*
 * decide.h — mon's ALERT DECISION LOGIC as pure functions.
 *
 * Input: a service's config, its runtime state, an event (a monitor
 * result, a trap, a trap timeout, start-up), the time, and facts the
 * caller computed (are dependencies ok).  Output: the new state (updated
 * in place) and a list of alerts to start.  No clock, no I/O, no globals:
 * every rule of `man mon` has a unit test in t/unit/test_decide.c.
 *
 * Where mon 1.3.6's code and its manual disagree, the manual wins
 * (upalertafter and dep_memory work; alertdepend suppresses alerts only
 * while the expression is false; -l is passed to alerts).
 *
 * Periods: a period_def whose `compiled` is NULL counts as always in (a
 * blank spec); otherwise period_match(compiled, now) decides, evaluated
 * once per period per event.  README "decision" states every rule.
 */
#ifndef MOND_DECIDE_H
#define MOND_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* mon's opstatus values; numbers are part of the client protocol. */
enum opstatus {
    OPSTATUS_FAIL = 0,
    OPSTATUS_OK = 1,
    OPSTATUS_COLDSTART = 2,
    OPSTATUS_WARMSTART = 3,
    OPSTATUS_LINKDOWN = 4,
    OPSTATUS_UNKNOWN = 5,
    OPSTATUS_TIMEOUT = 6,
    OPSTATUS_UNTESTED = 7,
    OPSTATUS_DEPEND = 8,
    OPSTATUS_WARN = 9,
};

/* "counts as up" for dependencies: ok, coldstart, warmstart, unknown. */
bool opstatus_is_up(enum opstatus s);
const char *opstatus_name(enum opstatus s);     /* "ok", "fail", ... */

/* MON_ALERTTYPE values. */
enum alert_type {
    ALERT_TYPE_FAILURE = 0,
    ALERT_TYPE_UP,
    ALERT_TYPE_STARTUP,
    ALERT_TYPE_TRAP,
    ALERT_TYPE_TRAPTIMEOUT,
};
const char *alert_type_name(enum alert_type t);  /* "failure", "up", ... */

#define DECIDE_MAX_ALERTAFTER 64   /* cap on "alertafter N T" history */

/* Per-period runtime state (parallel to service->periods). */
struct period_state {
    int64_t last_alert_wall_ms;   /* 0 = never alerted in this failure */
    int alerts_sent;              /* this failure, for numalerts */
    bool down_alert_sent;         /* an alert went out since last ok */
    char *last_alert_summary;     /* owned; output at the last alert */
    char *last_alert_detail;      /* owned */
    /* failure times for "alertafter N T" (ring, newest last). */
    int64_t fail_times_ms[DECIDE_MAX_ALERTAFTER];
    int nfail_times;
};

/* Runtime state of one service.  Owned by the scheduler's service table;
 * strings are owned (xstrdup'd) and replaced by decide_*(). */
struct svc_state {
    enum opstatus opstatus;       /* starts OPSTATUS_UNTESTED */
    enum opstatus last_opstatus;
    int last_retval;              /* exit status of the last run, or trap's */
    char *last_summary;           /* perfdata stripped */
    char *last_detail;
    char *last_output;            /* whole output (MON_LAST_OUTPUT) */
    int64_t last_check_wall_ms;
    int64_t last_success_wall_ms;
    int64_t last_failure_wall_ms;
    int64_t first_failure_wall_ms;/* start of the current failure, 0 if up */
    int64_t last_trap_wall_ms;
    int64_t trap_fail_until_wall_ms;  /* trapduration: fail until then */
    int consecutive_failures;
    uint64_t failure_count;       /* totals since start (or state load) */
    uint64_t success_count;
    uint64_t alert_count;
    bool acked;
    char *ack_comment;
    bool disabled;                /* service disabled (alerts and runs) */
    int64_t dep_fail_until_wall_ms;   /* dep_memory: deps count failed until */
    /* mon's _failure_output: what the previous failure of this episode
     * printed (alertevery and unack_summary compare with it); NULL after
     * a success.  Owned. */
    char *failure_summary;
    char *failure_detail;
    int64_t last_failure_start_wall_ms;  /* first_failure of the episode
                                          * that ended last (upalerts,
                                          * downtime log) */
    struct period_state *periods; /* nperiods items */
    size_t nperiods;
};

void svc_state_init(struct svc_state *st, const struct service *svc);
void svc_state_fini(struct svc_state *st);
/* last_summary, last_detail and last_output that are empty all point at
 * this one "" (most checks that pass print nothing: 10,000 services keep
 * no 30,000 empty strings).  Free those fields with svc_str_free(). */
extern char svc_state_empty[1];
void svc_str_free(char *s);
/* Resize per-period state after a reload changed the service's periods,
 * keeping what it can (by label/spec).  old_svc may be NULL. */
void svc_state_rebind(struct svc_state *st, const struct service *old_svc,
                      const struct service *new_svc);

/* What the monitor (or trap) reported. */
struct check_result {
    int exit_status;              /* 0 = success */
    bool timed_out;               /* killed at monitor_timeout: a failure */
    const char *summary;          /* perfdata stripped; borrowed */
    const char *detail;           /* borrowed; may be "" */
    const char *output;           /* whole output; borrowed */
};

/* Facts the caller computed before deciding. */
struct decide_facts {
    int64_t now_wall_ms;
    bool deps_ok;                 /* alert-context dependencies hold (true
                                   * when there are none or they cannot be
                                   * evaluated, as mon); pass it through
                                   * decide_deps_ok() for dep_memory */
    bool watch_disabled;          /* the whole watch is disabled */
    bool stopped;                 /* the scheduler is stopped (mon's
                                   * "stop", -S): as mon's do_alert, no
                                   * alert, no redistribute and none of
                                   * their bookkeeping (alertevery,
                                   * numalerts, down alert sent); the
                                   * state still changes */
};

/* One alert to start. */
struct alert_action {
    size_t period;                /* index into service->periods */
    size_t alert;                 /* index into period_def.alerts */
    enum alert_type type;
    bool upalert;                 /* pass -u */
    bool trap;                    /* pass -T */
    bool traptimeout;             /* pass -O */
    int64_t alertevery_s;         /* -l value */
    bool redistribute;            /* the service's redistribute program,
                                   * not a period alert (period/alert unused) */
};

struct decision {
    struct alert_action *actions;
    size_t n, cap;
    bool state_changed;           /* opstatus changed (log + save) */
    bool suppressed;              /* a failure whose alerts were held back */
    bool stopped;                 /* alerts dropped: scheduler stopped */
    const char *why;              /* static: why alerts were held (for logs) */
};

void decision_init(struct decision *d);
void decision_fini(struct decision *d);

/* A monitor finished (or a trap arrived when is_trap).  Updates st and
 * fills d with the alerts to send now. */
void decide_result(const struct service *svc, struct svc_state *st,
                   const struct check_result *r,
                   const struct decide_facts *f, bool is_trap,
                   struct decision *d);

/* traptimeout expired without a trap: a failure with -O. */
void decide_traptimeout(const struct service *svc, struct svc_state *st,
                        const struct decide_facts *f, struct decision *d);

/* mond started (or reset with startupalerts_on_reset): startupalerts of
 * every period that matches now. */
void decide_startup(const struct service *svc, struct svc_state *st,
                    const struct decide_facts *f, struct decision *d);

/* Acknowledge / clear; ack is dropped automatically on recovery and,
 * with unack_summary, when the summary changes. */
void decide_ack(struct svc_state *st, const char *comment);
void decide_unack(struct svc_state *st);

/* dep_memory: deps_ok_now is the alert-context expression's value now
 * (true when none or unevaluable).  A failing value is remembered for
 * svc->dep_memory_ms after it was last seen, so alerts stay suppressed
 * while a parent that just came back settles.  Returns the value to put
 * in decide_facts.deps_ok; updates st->dep_fail_until_wall_ms. */
bool decide_deps_ok(const struct service *svc, struct svc_state *st,
                    bool deps_ok_now, int64_t now_wall_ms);

/* trapduration: a failing trap holds the service failed until
 * st->trap_fail_until_wall_ms; the caller schedules a timer then and
 * calls this.  When that time has come and the service is still failed
 * by the trap, it returns to ok without alerts (as mon) and true is
 * returned (d->state_changed set); else false and nothing changes. */
bool decide_trapduration_expired(const struct service *svc,
                                 struct svc_state *st,
                                 const struct decide_facts *f,
                                 struct decision *d);

/* When the next check is due, relative to the previous start: interval,
 * or failure_interval while failing.  randskew is applied by the caller. */
int64_t decide_next_interval_ms(const struct service *svc,
                                const struct svc_state *st);

#endif
