/*
 * srv_state.h — keeps the service table's state on disk: loads
 * statedir/mond.state at start (and applies it to the services that
 * still exist), saves it when it changed (checked every
 * SRV_STATE_SAVE_MS, and at once after a control command), and at stop.
 * Also holds what the control plane knows beyond struct svc_state: when
 * each service was acknowledged and the last trap's sender.
 */
#ifndef MOND_SRV_STATE_H
#define MOND_SRV_STATE_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct svctab;
struct srv_state;

/* Saved SRV_STATE_SAVE_MS after a check result a restart must not
 * forget (a failure, a state change, an alert: svctab_changes()), at
 * once after srv_state_touch() (acks, disables, traps), and otherwise
 * every SRV_STATE_IDLE_SAVE_MS (last outputs and check times).  At
 * 10,000 services a save costs mond ~100 ms, so an all-quiet machine is
 * not made to pay it every 5 s. */
#define SRV_STATE_SAVE_MS 5000
#define SRV_STATE_IDLE_SAVE_MS 60000
#define SRV_STATE_FILE "mond.state"

/* statedir may be NULL (nothing is saved or loaded). */
struct srv_state *srv_state_new(struct loop *lp, struct svctab *tab,
                                const char *statedir);
/* Save (if changed) and free. */
void srv_state_free(struct srv_state *ss);

/* Load the file and apply it to the table (call after the first
 * svctab_set_config()).  Logs what happened; a corrupt file is moved
 * aside and reported.  Returns 0, or -1 when nothing was loaded. */
int srv_state_load(struct srv_state *ss);

/* Write now if the state changed since the last save.  0 or -1. */
int srv_state_save(struct srv_state *ss);
/* Ask for a save soon (coalesced). */
void srv_state_touch(struct srv_state *ss);

/* Wall ms when group/service was acknowledged (0 when not known). */
int64_t srv_state_ack_time(const struct srv_state *ss, const char *group,
                           const char *service);
void srv_state_set_ack_time(struct srv_state *ss, const char *group,
                            const char *service, int64_t wall_ms);
/* The last trap's sender address ("" when none). */
const char *srv_state_trap_host(const struct srv_state *ss,
                                const char *group, const char *service);
void srv_state_set_trap_host(struct srv_state *ss, const char *group,
                             const char *service, const char *host);

#endif
