/*
 * srv_mon.h — mon's client protocol server (TCP serverbind:serverport),
 * driven by the event loop.  Many clients at once, each with a line
 * bound (MONPROTO_LINE_MAX), an output bound and an inactivity timeout
 * (cltimeout); commands are answered from the service table, with mon's
 * replies and auth.cf rules.
 */
#ifndef MOND_SRV_MON_H
#define MOND_SRV_MON_H

#include <stdbool.h>

struct loop;
struct svctab;
struct srv_state;
struct srv_mon;
struct auth;

#define SRV_MON_CLIENTS_MAX 4096          /* more wait in the backlog */
#define SRV_MON_OUTPUT_MAX (64u << 20)    /* unread replies per client */

/* What the server asks of mond itself. */
struct srv_mon_hooks {
    /* "reset [keepstate]": re-read the config; 0 ok, -1 config errors. */
    int (*reset)(void *arg, bool keepstate);
    /* "term": stop mond. */
    void (*term)(void *arg);
    void *arg;
};

/* A server for tab (borrowed); ss may be NULL.  Reads auth.cf from the
 * table's config (authfile); a missing or bad file is logged and the
 * defaults of mon's shipped auth.cf are used. */
struct srv_mon *srv_mon_new(struct loop *lp, struct svctab *tab,
                            struct srv_state *ss,
                            const struct srv_mon_hooks *hooks);
/* Listen on addr:port.  0, or -1 with errno (the caller reports). */
int srv_mon_listen(struct srv_mon *m, const char *addr, int port);
/* Re-read auth.cf (after a reload).  0, or -1 (old table kept). */
int srv_mon_reload_auth(struct srv_mon *m);
/* The current auth table (for traps); borrowed. */
const struct auth *srv_mon_auth(const struct srv_mon *m);
/* Close every client and the listener, free. */
void srv_mon_free(struct srv_mon *m);

#endif
