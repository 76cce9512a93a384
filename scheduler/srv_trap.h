/*
 * srv_trap.h — mon's traps on UDP (trapbind:trapport) and the trap
 * timers of services: traptimeout (a heartbeat that stops arriving is a
 * failure, alerted with -O) and trapduration (a failing trap holds the
 * service failed for that long, then it returns to ok).
 *
 * A packet (trap.h) is checked against auth.cf's trap section, mapped to
 * its service (unknown groups go to default/default when it exists, as
 * mon), and handed to the service table, which decides with is_trap and
 * runs alert/upalert with -T.
 */
#ifndef MOND_SRV_TRAP_H
#define MOND_SRV_TRAP_H

struct loop;
struct svctab;
struct srv_mon;
struct srv_state;
struct srv_trap;

/* auth comes from srv_mon_auth(mon) at each packet (so "reload auth"
 * applies); ss may be NULL. */
struct srv_trap *srv_trap_new(struct loop *lp, struct svctab *tab,
                              struct srv_mon *mon, struct srv_state *ss);
/* Bind addr:port (UDP).  0, or -1 with errno. */
int srv_trap_listen(struct srv_trap *t, const char *addr, int port);
/* Re-arm traptimeout timers for the table's current config (call after
 * every svctab_set_config(); timers of surviving services keep their
 * due time). */
void srv_trap_config_changed(struct srv_trap *t);
void srv_trap_free(struct srv_trap *t);

#endif
