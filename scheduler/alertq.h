/*
 * alertq.h — alert delivery: start an alert program, keep it in the
 * spool (statedir/spool, spool.c) until it exits 0, retry it with
 * backoff when it fails or times out, give up after alert_giveup.
 *
 * svctab.c decides *which* alerts to send and builds their argv,
 * environment and stdin; this module owns what happens after that.
 * Delivery is at-least-once: spooled alerts left by a previous run are
 * started again at start-up.
 */
#ifndef MOND_ALERTQ_H
#define MOND_ALERTQ_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct loop;
struct spawner;
struct alertq;

/* One alert to deliver; everything is copied by alertq_send(). */
struct alertq_alert {
    const char *label;          /* log subject: "web/http: alert mail.alert" */
    const char *group, *service;
    const char *type;           /* MON_ALERTTYPE value */
    const char *program;        /* resolved path */
    char *const *argv;          /* NULL-terminated */
    char *const *envp;          /* NULL-terminated */
    const char *input;          /* stdin text */
};

struct alertq *alertq_new(struct loop *lp, struct spawner *sp);
/* Forget pending retries (they stay spooled for the next start). */
void alertq_free(struct alertq *q);

/* Take timeouts, retry settings and the statedir from g.  The first call
 * opens statedir/spool and schedules what a previous run left there; a
 * spool that cannot be opened is logged and alerts are then retried in
 * memory only.  g is read during the call only. */
void alertq_configure(struct alertq *q, const struct globals *g);

/* Start an alert now and spool it until it succeeds. */
void alertq_send(struct alertq *q, const struct alertq_alert *a);

/* Stopping: no more retries start (undelivered alerts stay spooled for
 * the next start); running alerts finish or are killed by the caller. */
void alertq_stop(struct alertq *q);

/* Alerts not yet delivered (running or waiting for a retry). */
size_t alertq_pending(const struct alertq *q);

#endif
